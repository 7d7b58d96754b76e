import Foundation
import Testing
@testable import Crosslink

/// A closed database is one file: the last connection checkpoints the WAL into it and removes
/// the `-wal` and `-shm`, in the library and after every kind of CLI command.
@Suite(.serialized) struct StoreCloseTests {
    static func sideFiles(_ path: String) -> [String] {
        ["-wal", "-shm", "-journal"].filter { FileManager.default.fileExists(atPath: path + $0) }.map { path + $0 }
    }

    static func crosslink(_ arguments: [String]) throws -> ProcessResult { try run(CLITests.executable, arguments) }

    /// Copies `path` alone (no side files) into a fresh directory and counts rows there with the sqlite3 CLI.
    static func countsOfPlainCopy(_ path: String, tables: [String]) throws -> [String: Int] {
        let dir = try TemporaryDirectory()
        let copy = dir.path("copy.sqlite")
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        var counts: [String: Int] = [:]
        for table in tables { counts[table] = Int(try sqlite3Rows(copy, "SELECT count(*) FROM \(table)")[0][0]) }
        #expect(try sqlite3Rows(copy, "PRAGMA integrity_check") == [["ok"]])
        return counts
    }

    @Test func closeCheckpointsAndRemovesTheWAL() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("close.sqlite")
        let store = try CrosslinkStore(path: path)
        try store.write { db in try db.execute(script: "CREATE TABLE t(x INTEGER) STRICT") }
        try store.write { db in for x in 0..<1_000 { try db.execute("INSERT INTO t VALUES (?)", [x]) } }
        #expect(try store.read { db in try db.scalarInt("SELECT count(*) FROM t") } == 1_000)
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))
        store.close()
        store.close()  // idempotent
        #expect(Self.sideFiles(path) == [])
        #expect(try sqlite3Rows(path, "SELECT count(*) FROM t") == [["1000"]])
        let error = #expect(throws: StoreError.self) { try store.read { db in try db.scalarInt("SELECT 1") } }
        #expect(error == .closed(path: path))
        #expect(throws: StoreError.self) { try store.write { db in try db.execute("INSERT INTO t VALUES (1)") } }
    }

    @Test func lastReferenceGoneClosesLikeClose() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("scope.sqlite")
        do {
            let store = try CrosslinkStore(path: path)
            try store.write { db in try db.execute(script: "CREATE TABLE t(x INTEGER) STRICT; INSERT INTO t VALUES (1)") }
            // A reader was used last: it must not be the connection that closes last.
            #expect(try store.read { db in try db.scalarInt("SELECT count(*) FROM t") } == 1)
        }
        #expect(Self.sideFiles(path) == [])
    }

    @Test func closeWhileAnotherConnectionIsOpenLeavesAnEmptyWAL() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("shared.sqlite")
        let store = try CrosslinkStore(path: path)
        let other = try Database(path: path)
        #expect(try other.scalarInt("SELECT count(*) FROM products") == 0)
        try store.write { db in
            try db.execute(script: "CREATE TABLE t(x BLOB) STRICT")
            for _ in 0..<50 { try db.execute("INSERT INTO t VALUES (zeroblob(10000))") }
        }
        #expect(try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? 0 > 500_000)
        store.close()
        // Not the last connection: SQLite keeps the WAL, but the TRUNCATE checkpoint emptied it.
        #expect(try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int == 0)
        #expect(try other.scalarInt("SELECT count(*) FROM t") == 50)
        other.close()
        #expect(Self.sideFiles(path) == [])
    }

    @Test func journalSizeLimitBoundsAWALThatStays() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("limit.sqlite")
        #expect(Configuration().journalSizeLimitBytes == 64 << 20)
        var configuration = Configuration()
        configuration.journalSizeLimitBytes = 256 << 10
        let store = try CrosslinkStore(path: path, configuration: configuration)
        #expect(try store.pool.writeWithoutTransaction { db in try db.scalarInt("PRAGMA journal_size_limit") } == 256 << 10)
        let other = try Database(path: path)  // keeps the WAL from being deleted
        _ = try other.scalarInt("SELECT count(*) FROM sqlite_schema")
        try store.write { db in
            try db.execute(script: "CREATE TABLE t(x BLOB) STRICT")
            for _ in 0..<400 { try db.execute("INSERT INTO t VALUES (zeroblob(10000))") }
        }
        let grown = try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? 0
        #expect(grown > 4_000_000)
        // A checkpoint, then the next commit restarts the WAL from its start and truncates it to the limit.
        try store.pool.writeWithoutTransaction { db in try db.execute(script: "PRAGMA wal_checkpoint(PASSIVE)") }
        try store.write { db in try db.execute("INSERT INTO t VALUES (zeroblob(10))") }
        let bounded = try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? 0
        #expect(bounded <= 256 << 10, "\(bounded) bytes")
        store.close()
        other.close()
        #expect(Self.sideFiles(path) == [])
    }

    /// After each kind of command (creating, writing, reading, failing) the database is one file,
    /// and a plain copy of it holds everything.
    @Test func everyCLICommandLeavesOneFile() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("cli.sqlite")
        let steps: [(String, [String], Bool)] = [
            ("init", ["init"], true),
            ("demo", ["demo", "--quiet"], true),
            ("aggregates rebuild", ["aggregates", "rebuild"], true),
            ("recommend", ["recommend", "--type", "most-viewed"], true),
            ("aggregates status", ["aggregates", "status"], true),
            ("placement", ["placement", "product", "MH01"], true),
            ("failing links set", ["links", "set", "24-MB01", "--type", "upsell", "24-MB01"], false),
            ("failing read", ["placement", "product", "NO-SUCH-SKU"], false),
            ("failing option", ["recommend", "--type", "no-such-type"], false),
        ]
        var expected: [String: Int] = [:]
        for (name, arguments, succeeds) in steps {
            let result = try Self.crosslink(["--database", path] + arguments)
            #expect((result.status == 0) == succeeds, "\(name): \(result.stderr)")
            #expect(Self.sideFiles(path) == [], "after \(name)")
            if name == "demo" {
                expected = try Self.countsOfPlainCopy(path, tables: ["events", "units", "products", "product_links"])
                #expect(expected["events"] ?? 0 > 1_000, "\(expected)")
                #expect(expected["units"] ?? 0 > 0, "\(expected)")
                #expect(expected["products"] == 2_046)
            }
        }
        #expect(try Self.countsOfPlainCopy(path, tables: ["events", "units", "products", "product_links"]) == expected)
    }
}
