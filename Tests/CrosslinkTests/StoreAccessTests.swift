import CSQLite
import Foundation
import Testing
@testable import Crosslink

/// Read commands never create or change a database; commands that change a store need one;
/// only init, migrate, import, events import and demo create. Real files, the real CLI.
@Suite(.serialized) struct StoreAccessTests {
    static func crosslink(_ arguments: [String]) throws -> ProcessResult { try run(CLITests.executable, arguments) }

    /// Every command that only reads, with arguments that work on the demo database.
    static let readCommands: [[String]] = [
        ["recommend", "--type", "most-viewed"],
        ["placement", "product", "MH01"],
        ["placement", "cart", "MH01"],
        ["links", "show", "MH01"],
        ["metrics"],
        ["export"],
        ["rules", "list"],
        ["rules", "export"],
        ["rules", "explain", "--sku", "MH01"],
        ["units", "list"],
        ["units", "export"],
        ["page", "product", "MH01"],
        ["events", "stats"],
        ["events", "export"],
        ["aggregates", "status"],
        ["aggregates", "neighbours"],
        ["similar", "status"],
        ["migrate", "--status"],
    ]

    /// Commands that change an existing store.
    static let writeCommands: [[String]] = [
        ["links", "set", "MH01", "--type", "related", "24-MB01"],
        ["aggregates", "rebuild"],
        ["similar", "refresh"],
        ["rules", "enable", "x"],
        ["units", "activate", "x"],
    ]

    @Test func readAndWriteCommandsRefuseAMissingFileAndCreateNothing() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("typo.sqlite")
        for arguments in Self.readCommands + Self.writeCommands + [["backup", dir.path("b.sqlite")], ["report", "--out", dir.path("r.html")]] {
            let result = try Self.crosslink(["--database", path] + arguments)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.stderr.contains("no database at \(path)"), "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("crosslink --database \(path) init"), "\(arguments): \(result.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == [], "\(arguments) created a file")
        }
        // The library's read-only and no-create opens.
        for configuration in [Self.readOnly, Self.noCreate] {
            let error = #expect(throws: StoreError.self) { _ = try CrosslinkStore(path: path, configuration: configuration) }
            #expect(error == .missingFile(path: path))
            #expect(error?.description == "no database at \(path)")
        }
        #expect(throws: StoreError.self) { _ = try DatabasePool(path: path, configuration: Self.noCreate) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == [])
    }

    @Test func anEmptyFileIsRefusedAndLeftEmpty() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("empty.sqlite")
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        for arguments in Self.readCommands + Self.writeCommands {
            let result = try Self.crosslink(["--database", path] + arguments)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.stderr.contains("\(path) is an empty file (0 bytes)"), "\(arguments): \(result.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == ["empty.sqlite"], "\(arguments)")
            #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int == 0, "\(arguments)")
        }
        for configuration in [Self.readOnly, Self.noCreate] {
            #expect(throws: StoreError.emptyFile(path: path)) { _ = try CrosslinkStore(path: path, configuration: configuration) }
        }
        // init is how it becomes a database.
        let initialized = try Self.crosslink(["--database", path, "init"])
        #expect(initialized.status == 0, "\(initialized.stderr)")
        #expect(try Self.crosslink(["--database", path, "recommend", "--type", "most-viewed"]).status == 0)
    }

    @Test func aSQLiteFileWithoutTheSchemaIsRefusedByReads() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("bare.sqlite")
        #expect(try run("/usr/bin/sqlite3", [path, "PRAGMA user_version = 0; VACUUM"]).status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(!before.isEmpty)
        let result = try Self.crosslink(["--database", path, "recommend", "--type", "most-viewed"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("\(path) holds no Crosslink schema"), "\(result.stderr)")
        #expect(result.stderr.contains("crosslink --database \(path) init"), "\(result.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test func createCommandsCreate() throws {
        let dir = try TemporaryDirectory()
        for arguments in [["init"], ["migrate"]] {
            let path = dir.path("\(arguments[0]).sqlite")
            let result = try Self.crosslink(["--database", path] + arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            #expect(try sqlite3Rows(path, "PRAGMA application_id") == [[String(DatabaseMigrator.applicationID)]])
        }
        let events = dir.url.appending(path: "events.jsonl")
        try #"{"id":"e1","type":"page-view","time":"2024-06-01T00:00:00Z","visitor_id":"v","session_id":"s"}"#
            .write(to: events, atomically: true, encoding: .utf8)
        let path = dir.path("events.sqlite")
        let result = try Self.crosslink(["--database", path, "events", "import", "--quiet", events.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try sqlite3Rows(path, "SELECT count(*) FROM events") == [["1"]])
    }

    /// Reads leave the file byte for byte as it was and leave no side file; writes through a
    /// read-only store are refused.
    @Test func readCommandsDoNotChangeTheFile() throws {
        let demo = try CLITests.demo.get()
        let dir = try TemporaryDirectory()
        let path = dir.path("demo.sqlite")
        try FileManager.default.copyItem(atPath: demo, toPath: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        for arguments in Self.readCommands {
            let result = try Self.crosslink(["--database", path] + arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == ["demo.sqlite"], "\(arguments)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        let store = try CrosslinkStore(path: path, configuration: Self.readOnly)
        let write = #expect(throws: DatabaseError.self) { try store.write { db in try db.execute("DELETE FROM products") } }
        #expect(write?.resultCode == SQLITE_READONLY)
        store.close()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == ["demo.sqlite"])
    }

    /// In a directory the reader cannot write (no -shm can be made), a cleanly closed database
    /// is read as immutable. Root ignores directory permissions, so as root the command runs as
    /// `nobody` (setpriv), the way a service account would.
    @Test func readingWorksInAReadOnlyDirectory() throws {
        let demo = try CLITests.demo.get()
        let parent = try TemporaryDirectory()
        let dir = parent.url.appending(path: "ro").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        let path = dir + "/demo.sqlite"
        try FileManager.default.copyItem(atPath: demo, toPath: path)
        chmod(path, 0o444)
        chmod(dir, 0o555)
        chmod(parent.url.path, 0o755)
        defer { chmod(dir, 0o755) }
        let asRoot = geteuid() == 0
        if asRoot && !Self.nobodyCanRun(CLITests.executable) {
            Issue.record("running as root and user nobody cannot execute \(CLITests.executable): read-only directory case not tested")
            return
        }
        let prefix = asRoot ? ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", CLITests.executable] : [CLITests.executable]
        for arguments in [["recommend", "--type", "most-viewed"], ["placement", "product", "MH01"], ["aggregates", "status"]] {
            let result = try run(prefix[0], Array(prefix.dropFirst()) + ["--database", path] + arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            #expect(!result.stdout.isEmpty)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["demo.sqlite"])
        // Writing there fails with SQLite's words and the path, and changes nothing.
        let write = try run(prefix[0], Array(prefix.dropFirst()) + ["--database", path, "links", "set", "MH01", "--type", "related", "24-MB01"])
        #expect(write.status != 0)
        #expect(write.stderr.contains(path), "\(write.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["demo.sqlite"])
    }

    @Test func immutableURIEscapesThePath() {
        #expect(Database.immutableURI("/tmp/a b?c#d%e.sqlite") == "file:///tmp/a%20b%3Fc%23d%25e.sqlite?immutable=1")
    }

    @Test func nonRegularFilesAreRefused() throws {
        let dir = try TemporaryDirectory()
        let fifo = dir.path("fifo")
        #expect(mkfifo(fifo, 0o644) == 0)
        for configuration in [Configuration(), Self.readOnly, Self.noCreate] {
            #expect(throws: StoreError.notRegularFile(path: fifo, kind: "fifo")) { _ = try CrosslinkStore(path: fifo, configuration: configuration) }
            #expect(throws: StoreError.notRegularFile(path: dir.url.path, kind: "directory")) {
                _ = try CrosslinkStore(path: dir.url.path, configuration: configuration)
            }
        }
        let result = try Self.crosslink(["--database", "/dev/null", "init"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("/dev/null is a character device, not a database file"), "\(result.stderr)")
        var info = stat()
        #expect(stat("/dev/null", &info) == 0 && (info.st_mode & S_IFMT) == S_IFCHR)
    }

    static func nobodyCanRun(_ executable: String) -> Bool {
        (try? run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", executable, "--version"]).status) == 0
    }

    static var readOnly: Configuration {
        var configuration = Configuration()
        configuration.readOnly = true
        return configuration
    }

    static var noCreate: Configuration {
        var configuration = Configuration()
        configuration.createIfMissing = false
        return configuration
    }
}
