import CSQLite
import Foundation
import Testing
@testable import Crosslink

/// Damaged and hostile files: each gives a clear error (never a crash or a trap), and nothing
/// is written to a file beyond what was already there. The library-level refusals of a foreign,
/// truncated, random or newer file are in MigrationTests; here they are checked as a user meets
/// them (the CLI's exit status and message), plus damage inside a file, stray WAL/SHM files,
/// read-only files and folders, and a full disk.
@Suite(.serialized) struct ReliabilityDamagedFileTests {
    static let isRoot = getuid() == 0

    /// A closed store holding the Magento sample (WAL checkpointed into the file).
    static func sampleFile(_ path: String) throws {
        let store = try CrosslinkStore(path: path)
        _ = try MagentoSampleImporter(store: store).importSample()
    }

    static func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    /// Side files holding data not in the main file (a non-empty -wal, a -journal).
    static func pendingSideFiles(_ path: String) -> [String] {
        ["-wal", "-journal"].map { path + $0 }.filter {
            ((try? FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int) ?? 0) > 0
        }
    }

    // MARK: What a user sees

    struct HostileFile: CustomTestStringConvertible, Sendable {
        var name: String
        var message: String
        var testDescription: String { name }
    }

    static let hostileFiles = [
        HostileFile(name: "random bytes", message: "is not a SQLite database"),
        HostileFile(name: "truncated", message: "database disk image is malformed"),
        HostileFile(name: "another application's database", message: "is not a Crosslink database"),
        HostileFile(name: "newer schema", message: "newer than this library knows"),
        HostileFile(name: "a directory", message: "is a directory, not a database file"),
        // Commands that may create the file say why SQLite could not; the others that there is none.
        HostileFile(name: "in a missing folder", message: "no database at"),
    ]

    @Test(arguments: hostileFiles)
    func eachHostileFileIsAClearCLIErrorAndStaysUntouched(_ file: HostileFile) throws {
        let dir = try TemporaryDirectory()
        var path = dir.path("shop.sqlite")
        switch file.name {
        case "random bytes":
            var random = SplitMix64(seed: 3)
            try Data((0..<16_384).map { _ in UInt8(truncatingIfNeeded: random.next()) }).write(to: URL(fileURLWithPath: path))
        case "truncated":
            try Self.sampleFile(path)
            let full = try Self.bytes(path)
            try full.prefix(full.count / 3 / 4_096 * 4_096).write(to: URL(fileURLWithPath: path))
        case "another application's database":
            #expect(try run("/usr/bin/sqlite3", [path, "CREATE TABLE orders(id INTEGER PRIMARY KEY); INSERT INTO orders VALUES (1)"]).status == 0)
        case "newer schema":
            try Self.sampleFile(path)
            #expect(try run("/usr/bin/sqlite3", [path, "PRAGMA user_version = 999"]).status == 0)
        case "a directory":
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        default:
            path = dir.path("missing/shop.sqlite")
        }
        let before = try? Self.bytes(path)
        for arguments in [["placement", "product", "24-MB01"], ["links", "set", "24-MB01", "--type", "related", "24-MB02"],
                          ["import", Fixtures.magentoImport("products_to_import.csv").path], ["init"]] {
            let result = try run(CLITests.executable, ["--database", path] + arguments)
            #expect(result.status == 1, "\(arguments): status \(result.status), \(result.stderr)")
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(arguments): \(result.stderr)")
            #expect(result.stderr.hasPrefix("Error: "))
            let creates = ["import", "init"].contains(arguments[0])
            let message = file.name == "in a missing folder" && creates ? "unable to open database file (No such file or directory)" : file.message
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(path))
        }
        #expect((try? Self.bytes(path)) == before)
        #expect(Self.pendingSideFiles(path).isEmpty)
    }

    // MARK: Damage inside a file

    /// A page of the products table overwritten with garbage: opening works (the header is
    /// intact), every query that touches the page fails with SQLITE_CORRUPT naming the file,
    /// integrity_check names the damage, and a failed write leaves the file as it was.
    @Test func corruptPageInsideTheFileIsAnErrorNotACrash() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("damaged.sqlite")
        try Self.sampleFile(path)
        let root = try #require(Int(try sqlite3Rows(path, "SELECT rootpage FROM sqlite_schema WHERE name = 'products'")[0][0]))
        var data = try Self.bytes(path)
        var random = SplitMix64(seed: 5)
        let pageStart = (root - 1) * 4_096
        for offset in pageStart..<(pageStart + 4_096) { data[offset] = UInt8(truncatingIfNeeded: random.next()) }
        try data.write(to: URL(fileURLWithPath: path))

        let store = try CrosslinkStore(path: path)
        // A scan of the table reaches the page (a count may be answered from an index).
        let read = #expect(throws: DatabaseError.self) { try store.read { db in try db.scalarInt("SELECT sum(length(name)) FROM products") } }
        #expect(read?.resultCode == SQLITE_CORRUPT)
        #expect(read?.description.contains("database disk image is malformed") == true)
        #expect(read?.path == path)
        let placement = #expect(throws: (any Error).self) { try store.read { db in try Placements(db).related(for: "MH01") } }
        #expect((placement as? DatabaseError)?.resultCode == SQLITE_CORRUPT)
        // integrity_check reports the damage, as rows or (when the damage stops it) as SQLITE_CORRUPT.
        do {
            let integrity = try store.read { db in try db.prepare("PRAGMA integrity_check").map { $0.text(at: 0) } }
            #expect(integrity != ["ok"])
        } catch let error as DatabaseError {
            #expect(error.resultCode == SQLITE_CORRUPT)
            #expect(error.sql == "PRAGMA integrity_check")
        }

        let before = try Self.bytes(path)
        let write = #expect(throws: (any Error).self) {
            try store.write { db in _ = try ProductRepository(db).upsert(Product(sku: "NEW-1", name: "New")) }
        }
        #expect((write as? DatabaseError)?.resultCode == SQLITE_CORRUPT, "\(String(describing: write))")
        #expect(try Self.bytes(path) == before)
        #expect(Self.pendingSideFiles(path).isEmpty)
    }

    static let contentSQL = "SELECT count(*), CAST(round(total(price) * 100) AS INTEGER), (SELECT count(*) FROM product_links) FROM products"

    /// Leftover garbage -wal / -shm files (a crashed copy, a disk error) are ignored by their
    /// checksums: the content is the file's own, and the store keeps working.
    @Test(arguments: ["garbage -wal", "garbage -shm"])
    func garbageWALAndSHMFilesAreIgnored(_ kind: String) throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("shop.sqlite")
        try Self.sampleFile(path)
        let expected = try sqlite3Rows(path, Self.contentSQL)
        var random = SplitMix64(seed: 9)
        let garbage = Data((0..<65_536).map { _ in UInt8(truncatingIfNeeded: random.next()) })
        try garbage.prefix(kind == "garbage -wal" ? 65_536 : 32_768).write(to: URL(fileURLWithPath: path + (kind == "garbage -wal" ? "-wal" : "-shm")))
        let store = try CrosslinkStore(path: path)
        let content = try store.read { db in try db.rows(Self.contentSQL)[0].map(\.description) }
        #expect(content == expected[0])
        #expect(try store.read { db in try db.prepare("PRAGMA integrity_check").map { $0.text(at: 0) } } == ["ok"])
        try store.write { db in _ = try ProductRepository(db).upsert(Product(sku: "AFTER", name: "After")) }
        #expect(try store.read { db in try ProductRepository(db).id(sku: "AFTER") } != nil)
    }

    /// The hazard SQLite documents ("How To Corrupt An SQLite Database File": mispairing
    /// database files and hot journals): a -wal is matched to its database by file name only, so
    /// a valid WAL of *another* database is replayed into this one. Crosslink cannot tell; the
    /// rule (the Reliability article) is to move or copy a database with its -wal, or only after the
    /// last connection closed — which checkpoints and deletes the -wal, as this test shows.
    @Test func aWALOfAnotherDatabaseIsReplayedSoCopyDatabasesClosed() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("shop.sqlite")
        try Self.sampleFile(path)
        #expect(FileManager.default.fileExists(atPath: path + "-wal") == false)  // closed cleanly: nothing to pair wrongly

        let other = dir.path("other.sqlite")
        let otherStore = try CrosslinkStore(path: other)
        try otherStore.write { db in _ = try ProductRepository(db).upsert(Product(sku: "OTHER", name: "Other")) }
        try FileManager.default.copyItem(atPath: other + "-wal", toPath: path + "-wal")
        let store = try CrosslinkStore(path: path)
        #expect(try store.read { db in try db.rows("SELECT sku FROM products") } == [[.text("OTHER")]])
        #expect(try store.read { db in try db.prepare("PRAGMA integrity_check").map { $0.text(at: 0) } } == ["ok"])
    }

    // MARK: Read-only files and folders

    /// Makes `path` unwritable for this process. Root ignores permission bits, so as root the
    /// file gets the immutable attribute (`chattr +i`), which binds root too; `undo` reverses it.
    static func makeReadOnly(_ path: String) throws -> () -> Void {
        if isRoot {
            let result = try run("/usr/bin/chattr", ["+i", path])
            guard result.status == 0 else { throw TestFailure("chattr \(path): \(result.stderr)") }
            return { _ = try? run("/usr/bin/chattr", ["-i", path]) }
        }
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        try FileManager.default.setAttributes([.posixPermissions: isDirectory.boolValue ? 0o555 : 0o444], ofItemAtPath: path)
        return { try? FileManager.default.setAttributes([.posixPermissions: isDirectory.boolValue ? 0o755 : 0o644], ofItemAtPath: path) }
    }

    /// Whether `makeReadOnly` works here (chattr needs a filesystem with attributes, e.g. ext4).
    static let canMakeReadOnly: Bool = {
        guard let dir = try? TemporaryDirectory() else { return false }
        let probe = dir.path("probe")
        guard FileManager.default.createFile(atPath: probe, contents: Data("x".utf8)),
              let undo = try? makeReadOnly(probe) else { return false }
        defer { undo() }
        return (try? Data("y".utf8).write(to: URL(fileURLWithPath: probe))) == nil
    }()

    @Test(.enabled(if: canMakeReadOnly, "no way to make a file read-only for this user here (root without chattr +i)"))
    func readOnlyFileReadsAndRefusesWritesClearly() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("shop.sqlite")
        try Self.sampleFile(path)
        let before = try Self.bytes(path)
        let undo = try Self.makeReadOnly(path)
        defer { undo() }

        let store = try CrosslinkStore(path: path)
        #expect(try store.read { db in try ProductRepository(db).count() } == 2_046)
        #expect(try store.read { db in try Placements(db).related(for: "MH01").count } > 0)
        let write = #expect(throws: DatabaseError.self) {
            try store.write { db in try LinkRepository(db).replace(sku: "24-MB01", type: .related, with: []) }
        }
        #expect(write?.resultCode == SQLITE_READONLY)
        #expect(write?.description.contains("attempt to write a readonly database") == true)
        #expect(write?.description.contains(path) == true)
        let imported = #expect(throws: InputError.self) {
            try MagentoCSVImporter(store: store).importFile(at: Fixtures.magentoImport("products_to_import.csv"))
        }
        #expect(imported?.message.contains("attempt to write a readonly database") == true)
        undo()
        #expect(try Self.bytes(path) == before)
        #expect(Self.pendingSideFiles(path).isEmpty)
    }

    @Test(.enabled(if: canMakeReadOnly, "no way to make a folder read-only for this user here (root without chattr +i)"))
    func readOnlyFolderIsAClearErrorForNewAndExistingFiles() throws {
        let dir = try TemporaryDirectory()
        let folder = dir.path("shop")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        let existing = folder + "/existing.sqlite"
        try Self.sampleFile(existing)
        let before = try Self.bytes(existing)
        let undo = try Self.makeReadOnly(folder)
        defer { undo() }

        // A new file cannot be created.
        let new = folder + "/new.sqlite"
        let created = #expect(throws: DatabaseError.self) { _ = try CrosslinkStore(path: new) }
        #expect(created?.resultCode == SQLITE_CANTOPEN)
        #expect(created?.description.contains(new) == true)
        #expect(FileManager.default.fileExists(atPath: new) == false)

        // An existing WAL database needs its -shm and -wal next to it: opening fails clearly.
        let opened = #expect(throws: DatabaseError.self) {
            let store = try CrosslinkStore(path: existing)
            _ = try store.read { db in try ProductRepository(db).count() }
        }
        #expect(opened?.description.contains(existing) == true)
        #expect([SQLITE_CANTOPEN, SQLITE_READONLY].contains(opened?.resultCode ?? 0), "\(String(describing: opened))")
        undo()
        #expect(try Self.bytes(existing) == before)
    }

    // MARK: Full disk

    /// `PRAGMA max_page_count` caps the file as a full disk would: the import fails with SQLite's
    /// "database or disk is full", names the file and line it reached, leaves nothing behind, and
    /// the same import succeeds once there is room.
    @Test func fullDiskFailsTheImportCleanlyAndLeavesTheFileUsable() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("full.sqlite")
        let store = try CrosslinkStore(path: path)
        try store.write { db in _ = try ProductRepository(db).upsert(Product(sku: "KEEP", name: "Kept", price: 1)) }
        let pages = try store.read { db in try db.scalarInt("PRAGMA page_count") ?? 0 }
        try store.pool.writeWithoutTransaction { db in try db.execute(script: "PRAGMA max_page_count = \(pages + 40)") }

        let issue = #expect(throws: InputError.self) { _ = try MagentoSampleImporter(store: store).importSample() }
        #expect(issue?.message.contains("SQLite error 13") == true, "\(String(describing: issue))")
        #expect(issue?.message.contains("database or disk is full") == true)
        #expect(issue?.message.contains(path) == true)
        #expect(issue?.line ?? 0 > 0)
        #expect(try store.read { db in try db.rows("SELECT sku FROM products") } == [[.text("KEEP")]])
        #expect(try store.read { db in try db.prepare("PRAGMA integrity_check").map { $0.text(at: 0) } } == ["ok"])

        // A small write still fits; then room is made and the import goes through.
        try store.write { db in _ = try ProductRepository(db).upsert(Product(sku: "SMALL", name: "Small")) }
        try store.pool.writeWithoutTransaction { db in try db.execute(script: "PRAGMA max_page_count = 1073741823") }
        let report = try MagentoSampleImporter(store: store).importSample()
        #expect(report.productsCreated == 2_046)
        #expect(try store.read { db in try ProductRepository(db).count() } == 2_048)
    }

    /// A full disk during event ingest: the batch fails as a whole with SQLite's error, none of
    /// it is stored (not in the log, not in the aggregates), and once there is room the same batch
    /// goes in — an event is acknowledged only by a call that returned.
    @Test func fullDiskFailsAnEventBatchWholeAndTheRetryStoresIt() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("events.sqlite")
        let store = try CrosslinkStore(path: path)
        _ = try MagentoSampleImporter(store: store).importSample()
        let time = Date(timeIntervalSince1970: 1_700_000_000)
        let events = (0..<3_000).map { i in
            Event(id: "full-\(i)", type: .productView, time: time.addingTimeInterval(Double(i)), visitorID: "v\(i % 50)",
                  sessionID: "s\(i / 10)", sku: ["24-MB01", "MH01", "24-WB04"][i % 3])
        }
        try EventStore(store: store).append(Array(events.prefix(10)))
        let aggregatesBefore = try store.read { db in try db.rows("SELECT * FROM product_windows ORDER BY 1, 2") }
        let pages = try store.read { db in try db.scalarInt("PRAGMA page_count") ?? 0 }
        try store.pool.writeWithoutTransaction { db in try db.execute(script: "PRAGMA max_page_count = \(pages + 5)") }

        let error = #expect(throws: DatabaseError.self) { try EventStore(store: store).append(Array(events.dropFirst(10))) }
        #expect(error?.resultCode == 13)  // SQLITE_FULL
        #expect(error?.description.contains("database or disk is full") == true)
        #expect(try store.read { db in try db.scalarInt("SELECT count(*) FROM events") } == 10)
        #expect(try store.read { db in try db.rows("SELECT * FROM product_windows ORDER BY 1, 2") } == aggregatesBefore)
        #expect(try store.read { db in try db.prepare("PRAGMA integrity_check").map { $0.text(at: 0) } } == ["ok"])

        try store.pool.writeWithoutTransaction { db in try db.execute(script: "PRAGMA max_page_count = 1073741823") }
        let report = try EventStore(store: store).append(Array(events.dropFirst(10)))
        #expect(report.stored == 2_990)
        #expect(try store.read { db in try db.scalarInt("SELECT count(*) FROM events") } == 3_000)
    }
}
