import Foundation
import PackagePlugin

/// Embeds the package's `Migrations/*.sql` (SQLite) and `Migrations/postgresql/*.sql` (PostgreSQL)
/// into the target that uses the plugin, as two separate lists: each folder is listed on its own,
/// so the SQLite list never picks up the subfolder's files.
@main
struct EmbedMigrations: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let sqlite = context.package.directoryURL.appending(path: "Migrations")
        return [
            try command(context, folder: sqlite, property: "files", output: "EmbeddedMigrations+Files.swift"),
            try command(context, folder: sqlite.appending(path: "postgresql"), property: "postgreSQLFiles",
                        output: "EmbeddedMigrations+PostgreSQLFiles.swift"),
        ]
    }

    private func command(_ context: PluginContext, folder: URL, property: String, output name: String) throws -> Command {
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "sql" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let output = context.pluginWorkDirectoryURL.appending(path: name)
        return .buildCommand(
            displayName: "Embedding \(files.count) migration(s) from \(folder.lastPathComponent)/",
            executable: try context.tool(named: "embed-migrations").url,
            arguments: [output.path, folder.path, property],
            // The folder itself is an input so that adding a file (which changes the folder's
            // modification time) re-runs the tool, which lists the folder when it runs.
            inputFiles: [folder] + files,
            outputFiles: [output]
        )
    }
}
