import Foundation
import Testing
@testable import Crosslink

/// The `crosslink` binary on a PostgreSQL URI: the same output as on a SQLite file, clear
/// connection errors, and what the file-only commands say there.
@Suite(.requiresPostgreSQL) struct PostgreSQLCLITests {
    func crosslink(_ arguments: [String]) throws -> ProcessResult {
        try run(CLITests.executable, arguments)
    }

    @Test func commandsOnAURIPrintWhatTheyPrintOnAFile() throws {
        let cluster = try #require(try PostgreSQLCluster.shared())
        let directory = try TemporaryDirectory()
        let file = directory.path("cli.sqlite")
        let uri = cluster.uri(database: try cluster.makeDatabase("cli"))
        let demo = try crosslink(["--database", file, "demo", "--quiet"])
        #expect(demo.status == 0, "\(demo.stderr)")
        let copy = try crosslink(["copy", "--from", file, "--to", uri])
        #expect(copy.status == 0, "\(copy.stdout)\(copy.stderr)")
        let commands = [["links", "set", "24-MB01", "--type", "related", "24-WB04", "MH01:0"],
                        ["placement", "product", "24-MB01", "--json"], ["placement", "product", "MH01"],
                        ["placement", "cart", "24-MB01", "24-WB04", "--json"], ["links", "show", "MH01", "--json"],
                        ["migrate", "--status"], ["export"]]
        var outputs: [[String]] = []
        for location in [file, uri] {
            var printed: [String] = []
            for arguments in commands {
                let result = try crosslink(["--database", location] + arguments)
                #expect(result.status == 0, "\(arguments) on \(location): \(result.stderr)")
                printed.append(result.stdout)
            }
            outputs.append(printed)
        }
        for (index, output) in outputs[0].enumerated() where index != 5 {
            #expect(output == outputs[1][index], "output \(index)")
        }
        #expect(outputs[0][1].contains("MH01"))
        #expect(outputs[0][6].split(separator: "\n").count > 1_000)
        #expect(outputs[1][5].contains("applied"))
    }

    @Test func connectionErrorsNameHostAndDatabaseNeverThePassword() throws {
        let cluster = try #require(try PostgreSQLCluster.shared())
        let unknown = try crosslink(["--database", cluster.uri(database: "no_such_store"), "placement", "product", "X"])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("no_such_store"))
        #expect(unknown.stderr.contains(cluster.directory))
        #expect(unknown.stderr.contains("createdb no_such_store"))

        let name = try cluster.makeDatabase("refused")
        let refused = try crosslink(["--database", cluster.uri(database: name, user: PostgreSQLCluster.passwordRole, password: "wrong-secret"), "init"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains(name))
        #expect(refused.stderr.contains("password"))
        #expect(!refused.stderr.contains("wrong-secret"))

        let noServer = try crosslink(["--database", "postgresql://postgres@/\(name)?host=\(cluster.directory)&port=1", "init"])
        #expect(noServer.status != 0)
        #expect(noServer.stderr.contains(cluster.directory))
        #expect(noServer.stderr.contains("pg_isready"))

        let malformed = try crosslink(["--database", "postgresql://postgres@/db?port=notaport&password=hunter2", "init"])
        #expect(malformed.status != 0)
        #expect(!malformed.stderr.contains("hunter2"))
        #expect(malformed.stderr.contains("PostgreSQL"))
    }

    @Test func backupPointsAtPgDumpAndCheckSkipsTheFileChecks() throws {
        let cluster = try #require(try PostgreSQLCluster.shared())
        let uri = cluster.uri(database: try cluster.makeDatabase("file_commands"))
        #expect(try crosslink(["--database", uri, "init"]).status == 0)
        let directory = try TemporaryDirectory()
        let backup = try crosslink(["--database", uri, "backup", directory.path("copy.sqlite")])
        #expect(backup.status != 0)
        #expect(backup.stderr.contains("pg_dump"))
        #expect(!backup.stderr.contains("SQLite error"))
        #expect(!FileManager.default.fileExists(atPath: directory.path("copy.sqlite")))

        let check = try crosslink(["--database", uri, "check", "--json"])
        #expect(check.stderr.isEmpty)
        struct Report: Decodable {
            struct Item: Decodable { var name: String; var outcome: String; var detail: String }
            var isSound: Bool
            var items: [Item]
        }
        let report = try JSONDecoder().decode(Report.self, from: Data(check.stdout.utf8))
        #expect(report.items.map(\.name) == ["file size matches header", "quick_check", "foreign keys", "migrations", "stale aggregates",
                                             "aggregates equal a rebuild", "rule cache equals its rules", "neighbour list versions"])
        #expect(report.items.prefix(3).allSatisfy { $0.outcome == "skipped" })
        // The library's check of an open store reads through the store.
        let store = try CrosslinkStore(location: uri)
        defer { store.close() }
        #expect(try store.check().items.first { $0.name == "migrations" }?.outcome == .ok)
        #expect(report.items.first { $0.name == "quick_check" }?.detail.contains("pg_amcheck") == true)
        #expect(report.items.first { $0.name == "migrations" }?.outcome == "ok")
        #expect(report.items.first { $0.name == "rule cache equals its rules" }?.outcome == "ok")
    }

    @Test func helpTeachesBothForms() throws {
        let help = try crosslink(["--help"])
        #expect(help.stdout.contains("postgresql://"))
        #expect(help.stdout.contains("crosslink.sqlite"))
        #expect(try crosslink(["copy", "--help"]).stdout.contains("crosslink copy --from shop.sqlite --to postgresql://"))
    }
}
