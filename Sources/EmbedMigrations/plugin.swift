import Foundation
import PackagePlugin

/// Embeds the package's top-level `Migrations/*.sql` into the target that uses the plugin.
@main
struct EmbedMigrations: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let directory = context.package.directoryURL.appending(path: "Migrations")
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "sql" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedMigrations+Files.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(files.count) migration(s) from Migrations/",
                executable: try context.tool(named: "embed-migrations").url,
                arguments: [output.path, directory.path],
                // The folder itself is an input so that adding a file (which changes the folder's
                // modification time) re-runs the tool, which lists the folder when it runs.
                inputFiles: [directory] + files,
                outputFiles: [output]
            ),
        ]
    }
}
