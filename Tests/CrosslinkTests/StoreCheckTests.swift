import CSQLite
import Foundation
import Testing
@testable import Crosslink

/// `crosslink check` and the refusal of a file whose size does not match its header, on the
/// database `crosslink demo` builds (with the rules of RuleCLITests added), checkpointed into
/// one file as a closed database is.
@Suite struct StoreCheckTests {
    /// The demo database, built once by the CLI; tests work on copies.
    static let demo: Result<String, any Error> = Result {
        let dir = try TemporaryDirectory()
        let path = dir.path("demo.sqlite")
        let demo = try run(CLITests.executable, ["--database", path, "demo"])
        guard demo.status == 0 else { throw StoreError.uncheckable(path: path, reason: "demo failed: \(demo.stderr)") }
        try Data(RuleCLITests.upsellFile.utf8).write(to: URL(fileURLWithPath: dir.path("rules.json")))
        let rules = try run(CLITests.executable, ["--database", path, "rules", "add", dir.path("rules.json")])
        guard rules.status == 0 else { throw StoreError.uncheckable(path: path, reason: "rules add failed: \(rules.stderr)") }
        // One file, as a closed database: the WAL checkpointed into it and removed.
        _ = try sqlite3Rows(path, "PRAGMA wal_checkpoint(TRUNCATE)")
        try? FileManager.default.removeItem(atPath: path + "-wal")
        try? FileManager.default.removeItem(atPath: path + "-shm")
        return path
    }

    static func copyOfDemo() throws -> (dir: TemporaryDirectory, path: String) {
        let dir = try TemporaryDirectory()
        let path = dir.path("shop.sqlite")
        try FileManager.default.copyItem(atPath: try demo.get(), toPath: path)
        return (dir, path)
    }

    static func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    struct JSONReport: Decodable {
        struct Item: Decodable { var name: String; var outcome: String; var detail: String }
        var isSound: Bool
        var level: String
        var items: [Item]
        func outcome(_ name: String) -> String? { items.first { $0.name == name }?.outcome }
    }

    static func check(_ path: String, _ arguments: [String] = []) throws -> (ProcessResult, JSONReport?) {
        let result = try run(CLITests.executable, ["--database", path, "check", "--json"] + arguments)
        return (result, try? JSONDecoder().decode(JSONReport.self, from: Data(result.stdout.utf8)))
    }

    @Test func soundDatabasePassesEveryCheckAndIsNotChanged() throws {
        let (_, path) = try Self.copyOfDemo()
        let before = try Self.bytes(path)
        for level in [[], ["--full"]] {
            let (result, report) = try Self.check(path, level)
            #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
            #expect(report?.isSound == true)
            #expect(report?.items.map(\.name) == ["file size matches header", level.isEmpty ? "quick_check" : "integrity_check", "foreign keys",
                                                  "migrations", "stale aggregates", "aggregates equal a rebuild",
                                                  "rule cache equals its rules", "neighbour list versions"])
            #expect(report?.items.allSatisfy { $0.outcome == "ok" } == true, "\(report?.items ?? [])")
        }
        let table = try run(CLITests.executable, ["--database", path, "check"])
        #expect(table.status == 0)
        #expect(table.stdout.contains("shop.sqlite: sound"))
        #expect(try Self.bytes(path) == before)
        // The library says the same.
        #expect(try CrosslinkStore.check(path: path, level: .full).isSound)
    }

    /// A check of a closed store leaves its directory as it was: no `-wal` or `-shm` beside the
    /// file (a read-only connection alone cannot remove the ones it creates), the file's bytes
    /// unchanged — by the CLI at both levels and by the library.
    @Test func checkingAClosedStoreLeavesOnlyItsFile() throws {
        let (dir, path) = try Self.copyOfDemo()
        let before = try Self.bytes(path)
        func files() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: dir.url.path).sorted() }
        for level in [[], ["--full"]] {
            let (result, report) = try Self.check(path, level)
            #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
            #expect(report?.isSound == true)
            #expect(try files() == ["shop.sqlite"], "after check \(level)")
            #expect(try Self.bytes(path) == before, "after check \(level)")
        }
        for level in [CheckLevel.quick, .full] {
            #expect(try CrosslinkStore.check(path: path, level: level).isSound)
            #expect(try files() == ["shop.sqlite"], "after CrosslinkStore.check(path:level: .\(level))")
            #expect(try Self.bytes(path) == before)
        }
    }

    struct Breakage: CustomTestStringConvertible, Sendable {
        var check: String
        var sql: String
        var testDescription: String { check }
    }

    /// Each invariant broken behind Crosslink's back (the sqlite3 CLI), and the check that must fail.
    static let breakages = [
        Breakage(check: "foreign keys", sql: """
            PRAGMA foreign_keys = OFF;
            INSERT INTO product_links(link_type_id, product_id, linked_product_id, position)
            SELECT link_type_id, product_id, 999999, 99 FROM product_links LIMIT 1;
            """),
        Breakage(check: "migrations", sql: "UPDATE crosslink_migrations SET checksum = 'edited' WHERE version = 3"),
        Breakage(check: "stale aggregates", sql: "INSERT INTO aggregate_staleness VALUES (1, '2026-12-07T15:00:00Z', 'events.jsonl', 3)"),
        Breakage(check: "aggregates equal a rebuild", sql: """
            UPDATE product_days SET viewers = viewers + 1
            WHERE (day, store_id, product_id) = (SELECT day, store_id, product_id FROM product_days ORDER BY 1, 2, 3 LIMIT 1)
            """),
        Breakage(check: "aggregates equal a rebuild", sql: "UPDATE conversion_ranks SET score = score + 1"),
        Breakage(check: "rule cache equals its rules", sql: "DELETE FROM rule_results"),
        // The index's definition no longer matches its entries: only integrity_check reads them all.
        Breakage(check: "integrity_check", sql: """
            PRAGMA writable_schema = ON;
            UPDATE sqlite_schema SET sql = replace(sql, 'ON product_links(linked_product_id)', 'ON product_links(position)')
            WHERE name = 'product_links_linked_product_id';
            """),
    ]

    @Test(arguments: breakages)
    func eachBrokenInvariantFailsItsCheck(_ breakage: Breakage) throws {
        let (_, path) = try Self.copyOfDemo()
        let tool = try run("/usr/bin/sqlite3", ["-bail", path, breakage.sql])
        #expect(tool.status == 0, "\(tool.stderr)")
        let (result, report) = try Self.check(path, ["--full"])
        #expect(result.status == 1, "\(result.stdout) \(result.stderr)")
        #expect(report?.isSound == false)
        #expect(report?.outcome(breakage.check) == "failed", "\(report?.items ?? [])")
        let table = try run(CLITests.executable, ["--database", path, "check", "--full"])
        #expect(table.status == 1)
        #expect(RuleCLITests.line(in: table.stdout, with: [breakage.check, "FAILED"]), "\(table.stdout)")
    }

    @Test func aFileThatCannotBeReadIsAClearError() throws {
        let dir = try TemporaryDirectory()
        let random = dir.path("random.sqlite")
        try Data((0..<8_192).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: URL(fileURLWithPath: random))
        try FileManager.default.createDirectory(atPath: dir.path("folder.sqlite"), withIntermediateDirectories: false)
        for (path, message) in [(dir.path("missing.sqlite"), "no such file"), (dir.path("folder.sqlite"), "it is a directory"),
                                (random, "is not a SQLite database")] {
            let result = try run(CLITests.executable, ["--database", path, "check"])
            #expect(result.status == 1)
            #expect(result.stderr.hasPrefix("Error: cannot check \(path): "), "\(result.stderr)")
            #expect(result.stderr.contains(message), "\(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir.path("missing.sqlite")))
        }
    }

    // MARK: A file whose size does not match its header

    @Test(arguments: [-1_024, 1_024])
    func aTruncatedOrExtendedDemoDatabaseIsNeitherServedNorWrittenTo(_ change: Int) throws {
        let (_, path) = try Self.copyOfDemo()
        let full = try Self.bytes(path)
        let damaged = change < 0 ? full.prefix(full.count + change) : full + Data(count: change)
        try damaged.write(to: URL(fileURLWithPath: path))
        let events = path + ".events.jsonl"
        try (JSONLinesEventParser.line(Event(id: "e-1", type: .productView, time: Date(), visitorID: "v-1", sessionID: "s-1", sku: "24-MB01")) + "\n")
            .write(toFile: events, atomically: true, encoding: .utf8)
        for arguments in [["links", "set", "24-MB01", "--type", "related", "24-MB02"], ["placement", "product", "24-MB01"],
                          ["events", "import", "--quiet", events]] {
            let result = try run(CLITests.executable, ["--database", path] + arguments)
            #expect(result.status == 1, "\(arguments)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
            for part in [path, "database disk image is malformed", "\(full.count) bytes", "the file has \(damaged.count) bytes",
                         "crosslink --database \(path) check --full", "restore a backup"] {
                #expect(result.stderr.contains(part), "\(arguments): \(part) in \(result.stderr)")
            }
        }
        #expect(try Self.bytes(path) == damaged)
        let library = #expect(throws: DatabaseError.self) { _ = try CrosslinkStore(path: path) }
        #expect(library?.resultCode == SQLITE_CORRUPT)
        #expect(try Self.bytes(path) == damaged)

        let (result, report) = try Self.check(path)
        #expect(result.status == 1)
        #expect(report?.outcome("file size matches header") == "failed")
        #expect(try Self.bytes(path) == damaged)
    }

    @Test func theSizeIsNotComparedWhileAWriteAheadLogHoldsPages() throws {
        let (_, path) = try Self.copyOfDemo()
        let full = try Self.bytes(path)
        try full.prefix(full.count - 1_024).write(to: URL(fileURLWithPath: path))
        #expect(try Self.sizeDamage(path)?.expectedBytes == full.count)
        // Until a checkpoint, the file may legitimately be shorter or longer than its header says.
        try Data(count: 32).write(to: URL(fileURLWithPath: path + "-wal"))
        #expect(try Self.sizeDamage(path) == nil)
        try Data().write(to: URL(fileURLWithPath: path + "-wal"))
        #expect(try Self.sizeDamage(path)?.actualBytes == full.count - 1_024)
    }

    @Test func sixtyFourKiBPagesAreReadFromTheHeader() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("big-pages.sqlite")
        let tool = try run("/usr/bin/sqlite3", [path, "PRAGMA page_size = 65536; CREATE TABLE t(x TEXT); INSERT INTO t VALUES (zeroblob(200000))"])
        #expect(tool.status == 0, "\(tool.stderr)")
        let full = try Self.bytes(path)
        #expect(DatabaseFileHeader(full.prefix(100))?.pageSize == 65_536)
        #expect(try Self.sizeDamage(path) == nil)
        try full.prefix(full.count - 1_024).write(to: URL(fileURLWithPath: path))
        let damage = try Self.sizeDamage(path)
        #expect(damage?.pageSize == 65_536)
        #expect(damage?.expectedBytes == full.count)
    }

    /// The size check on a read-only connection to `path`, as the store and `check` run it.
    static func sizeDamage(_ path: String) throws -> DatabaseFileHeader.SizeMismatch? {
        let db = try Database(path: path, readOnly: true)
        defer { db.close() }
        return DatabaseFileHeader.sizeDamage(db)
    }
}
