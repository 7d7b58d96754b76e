import CSQLite
import Foundation
import Testing
@testable import Crosslink

/// Migrations: the files on disk are the schema (the sqlite3 CLI builds the same one), the
/// migrator records what it applied, and it refuses files it must not touch — leaving them as they were.
@Suite struct MigrationTests {
    /// The newest migration this library ships.
    static let latest = Migration.crosslink.last!.version

    static var migrationsDirectory: URL { Fixtures.packageRoot.appending(path: "Migrations", directoryHint: .isDirectory) }

    static func migrationFiles() throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: migrationsDirectory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "sql" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    // MARK: The files are the schema

    @Test func sqlite3CLIBuildsTheSameSchemaAsTheMigrator() throws {
        let dir = try TemporaryDirectory()
        let files = try Self.migrationFiles()
        #expect(files.map(\.lastPathComponent).first == "0001_catalog.sql")
        let cliPath = dir.path("cli.sqlite")
        for file in files {
            // -bail: stop at the first error, so a file the CLI rejects fails the test.
            let result = try run("/usr/bin/sqlite3", ["-bail", cliPath], stdin: file)
            #expect(result.status == 0, "sqlite3 < \(file.lastPathComponent): \(result.stderr)")
            #expect(result.stderr.isEmpty)
        }
        let libraryPath = dir.path("library.sqlite")
        do { _ = try CrosslinkStore(path: libraryPath) }  // closed at the end of the scope

        // Read both files with the CLI, so the comparison does not depend on the library's reads.
        let schemaSQL = "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name"
        let cliSchema = try sqlite3Rows(cliPath, schemaSQL)
        let librarySchema = try sqlite3Rows(libraryPath, schemaSQL)
        #expect(cliSchema == librarySchema)
        // The comparison is not vacuous: at least 0001's 12 tables, 3 views and 13 named indexes.
        let types = Dictionary(grouping: cliSchema.filter { !$0[1].hasPrefix("sqlite_autoindex") }, by: { $0[0] }).mapValues(\.count)
        #expect(types["table", default: 0] >= 12 && types["view", default: 0] >= 3 && types["index", default: 0] >= 13, "\(types)")
        #expect(cliSchema.contains { $0[0] == "table" && $0[1] == "product_links" && $0[3].hasSuffix(") STRICT") })

        #expect(try sqlite3Rows(cliPath, "PRAGMA application_id") == [["1129466955"]])
        #expect(try sqlite3Rows(libraryPath, "PRAGMA application_id") == [["1129466955"]])
        #expect(DatabaseMigrator.applicationID == 0x4352_4C4B)
        // Seed rows are part of the schema too.
        for table in ["websites", "stores", "categories", "link_types"] {
            let sql = "SELECT * FROM \(table) ORDER BY 1"
            #expect(try sqlite3Rows(cliPath, sql) == sqlite3Rows(libraryPath, sql), "\(table)")
        }
        #expect(try sqlite3Rows(libraryPath, "SELECT code FROM link_types ORDER BY link_type_id") == [["related"], ["upsell"], ["crosssell"]])
        // The CLI does not record migrations; the library does.
        #expect(try sqlite3Rows(cliPath, "PRAGMA user_version") == [["0"]])
        #expect(try sqlite3Rows(libraryPath, "PRAGMA user_version") == [[String(Self.latest)]])
    }

    @Test func embeddedMigrationsAreTheFilesOnDisk() throws {
        let files = try Self.migrationFiles()
        let embedded = Migration.crosslink
        #expect(embedded.map(\.fileName) == files.map(\.lastPathComponent))
        // Versions start at 1 and strictly increase (a gap is allowed while a migration is in review).
        #expect(embedded.first?.version == 1)
        #expect(zip(embedded, embedded.dropFirst()).allSatisfy { $0.version < $1.version })
        for (migration, file) in zip(embedded, files) {
            let bytes = try Data(contentsOf: file)
            #expect(Data(migration.sql.utf8) == bytes, "\(file.lastPathComponent) differs from the embedded text")
            let sha256sum = try run("/usr/bin/sha256sum", [file.path])
            #expect(sha256sum.status == 0)
            let expected = String(sha256sum.stdout.prefix { !$0.isWhitespace })
            #expect(expected.count == 64)
            #expect(migration.checksum == expected, "\(file.lastPathComponent)")
        }
        #expect(embedded.first?.name == "catalog")
        // The checksum function itself, on a known vector (FIPS 180-2 "abc") and on the empty string.
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func migrationFileNamesAreParsed() throws {
        let migration = try Migration(fileName: "0042_add_reviews.sql", sql: "SELECT 1;")
        #expect(migration.version == 42)
        #expect(migration.name == "add_reviews")
        for bad in ["catalog.sql", "0000_zero.sql", "x1_y.sql", "0003.sql"] {
            #expect(throws: StoreError.badMigrationFileName(bad)) { try Migration(fileName: bad, sql: "") }
        }
        #expect(StoreError.badMigrationFileName("catalog.sql").description.contains("catalog.sql"))
    }

    // MARK: Recording

    @Test func migratorRecordsEachMigrationAndReopeningAppliesNothing() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("recorded.sqlite")
        let checksum = try run("/usr/bin/sha256sum", [Self.migrationsDirectory.appending(path: "0001_catalog.sql").path])
            .stdout.prefix(64)
        do {
            // A library that knows 0001 only.
            let catalogOnly = DatabaseMigrator(migrations: Array(Migration.crosslink.prefix(1)))
            let db = try Database(path: path)
            let applied = try catalogOnly.migrate(db, now: Date(timeIntervalSince1970: 1_700_000_000))
            #expect(applied == ["0001_catalog.sql"])
            #expect(try db.rows("SELECT version, name, checksum, applied_at FROM crosslink_migrations") ==
                [[.integer(1), .text("catalog"), .text(String(checksum)), .text("2023-11-14T22:13:20Z")]])
            #expect(try db.scalarInt("PRAGMA user_version") == 1)
            #expect(try catalogOnly.migrate(db) == [])
            #expect(try catalogOnly.appliedVersions(db) == [1])
        }
        // Re-opening through the store applies the library's later migrations only: 0001's record
        // keeps its original time.
        let store = try CrosslinkStore(path: path)
        #expect(try store.read { db in try db.rows("SELECT version, applied_at FROM crosslink_migrations WHERE version = 1") } ==
            [[.integer(1), .text("2023-11-14T22:13:20Z")]])
        #expect(try store.read { db in try DatabaseMigrator().appliedVersions(db) } == Migration.crosslink.map(\.version))

        // A library with a second migration applies only that one, in its own record.
        let second = try Migration(fileName: "9001_reviews.sql", sql: """
            -- Product reviews.
            CREATE TABLE reviews (
                review_id INTEGER PRIMARY KEY,
                product_id INTEGER NOT NULL REFERENCES products(product_id) ON DELETE CASCADE
            ) STRICT;
            """)
        let migrator = DatabaseMigrator(migrations: [second] + Migration.crosslink)  // order is by version, not by list
        #expect(migrator.migrations.map(\.version) == Migration.crosslink.map(\.version) + [9001])
        let applied = try store.pool.writeWithoutTransaction { db in
            try migrator.migrate(db, now: Date(timeIntervalSince1970: 1_800_000_000))
        }
        #expect(applied == ["9001_reviews.sql"])
        #expect(try store.read { db in try db.rows("SELECT version, name, checksum, applied_at FROM crosslink_migrations WHERE version IN (1, 9001) ORDER BY version") } == [
            [.integer(1), .text("catalog"), .text(String(checksum)), .text("2023-11-14T22:13:20Z")],
            [.integer(9001), .text("reviews"), .text(SHA256.hex(second.sql)), .text("2027-01-15T08:00:00Z")],
        ])
        #expect(try store.read { db in try db.scalarInt("PRAGMA user_version") } == 9001)
    }

    @Test func emptyExistingFileIsTreatedAsNew() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("empty.sqlite")
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        let store = try CrosslinkStore(path: path)
        #expect(try store.read { db in try db.scalarInt("PRAGMA user_version") } == Self.latest)
        #expect(try store.read { db in try db.scalarInt("PRAGMA application_id") } == DatabaseMigrator.applicationID)
        #expect(try store.read { db in try db.scalarInt("SELECT count(*) FROM link_types") } == 3)
    }

    // MARK: Refusals

    @Test func fileOfRandomBytesIsRefused() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("random.sqlite")
        var generator = SplitMix64(seed: 7)
        let bytes = Data((0..<8_192).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
        try bytes.write(to: URL(fileURLWithPath: path))
        for configuration in [Configuration(), readOnlyConfiguration] {
            let error = #expect(throws: DatabaseError.self) { _ = try CrosslinkStore(path: path, configuration: configuration) }
            #expect(error?.resultCode == SQLITE_NOTADB)
            #expect(error?.message.hasPrefix("\(path) is not a SQLite database") == true)
            #expect(error?.description.contains(path) == true)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes)
        #expect(sideFiles(path).isEmpty)
    }

    @Test func truncatedCrosslinkDatabaseIsRefused() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("truncated.sqlite")
        try populatedStoreFile(path)
        let full = try Data(contentsOf: URL(fileURLWithPath: path))
        let pageSize = 4_096
        #expect(full.count % pageSize == 0 && full.count >= 10 * pageSize, "\(full.count) bytes")
        let truncated = full.prefix(full.count / pageSize / 2 * pageSize)
        try truncated.write(to: URL(fileURLWithPath: path))

        for configuration in [Configuration(), readOnlyConfiguration] {
            let error = #expect(throws: DatabaseError.self) { _ = try CrosslinkStore(path: path, configuration: configuration) }
            #expect(error?.resultCode == SQLITE_CORRUPT)
            #expect(error?.message.contains("malformed") == true)
            #expect(error?.description.contains(path) == true)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == truncated)
        #expect(pendingSideFiles(path).isEmpty)
    }

    @Test func databaseOfAnotherApplicationIsRefusedAndNotTouched() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("other-app.sqlite")
        // Made by the sqlite3 CLI, in its default rollback-journal mode, as another program would.
        let made = try run("/usr/bin/sqlite3", ["-bail", path, """
            CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT NOT NULL);
            INSERT INTO users VALUES (1, 'ada@example.com'), (2, 'grace@example.com');
            """])
        #expect(made.status == 0, "\(made.stderr)")
        let before = try Data(contentsOf: URL(fileURLWithPath: path))

        for configuration in [Configuration(), readOnlyConfiguration] {
            let error = #expect(throws: StoreError.self) { _ = try CrosslinkStore(path: path, configuration: configuration) }
            guard case .notCrosslinkDatabase(let reportedPath, let detail)? = error else {
                Issue.record("expected notCrosslinkDatabase, got \(String(describing: error))")
                continue
            }
            #expect(reportedPath == path)
            #expect(detail == "it has 1 table(s), application_id 0 (Crosslink: 1129466955), and no crosslink_migrations table")
            #expect(error?.description == "\(path) is not a Crosslink database (\(detail)); refusing to modify it")
        }
        // Byte for byte: not even switched to WAL (a journal-mode change rewrites the header).
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(sideFiles(path).isEmpty)
        #expect(try sqlite3Rows(path, "PRAGMA journal_mode") == [["delete"]])
        #expect(try sqlite3Rows(path, "SELECT email FROM users ORDER BY id") == [["ada@example.com"], ["grace@example.com"]])
    }

    @Test(arguments: ["user_version", "recorded version"])
    func newerSchemaIsRefused(_ how: String) throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("newer.sqlite")
        try populatedStoreFile(path)
        do {
            let db = try Database(path: path)
            if how == "user_version" {
                try db.execute(script: "PRAGMA user_version = \(Self.latest + 1)")
            } else {
                try db.execute("INSERT INTO crosslink_migrations(version, name, checksum, applied_at) VALUES (?, 'future', ?, ?)",
                               [Self.latest + 1, String(repeating: "0", count: 64), "2030-01-01T00:00:00Z"])
            }
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(pendingSideFiles(path).isEmpty)

        for configuration in [Configuration(), readOnlyConfiguration] {
            let error = #expect(throws: StoreError.self) { _ = try CrosslinkStore(path: path, configuration: configuration) }
            #expect(error == .newerSchema(path: path, databaseVersion: Self.latest + 1, libraryVersion: Self.latest))
            #expect(error?.description == "\(path) has schema version \(Self.latest + 1), newer than this library knows (\(Self.latest)); upgrade Crosslink to open it")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(pendingSideFiles(path).isEmpty)
    }

    @Test func editedMigrationIsRefusedByChecksum() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("edited.sqlite")
        try populatedStoreFile(path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))

        let original = try #require(Migration.crosslink.first)
        // Someone "fixes" 0001 after it shipped: one comment line more.
        let edited = try Migration(fileName: original.fileName, sql: original.sql + "\n-- edited after release\n")
        #expect(edited.checksum != original.checksum)
        let migrator = DatabaseMigrator(migrations: [edited] + Migration.crosslink.dropFirst())
        for configuration in [Configuration(), readOnlyConfiguration] {
            let error = #expect(throws: StoreError.self) {
                _ = try CrosslinkStore(path: path, configuration: configuration, migrator: migrator)
            }
            #expect(error == .checksumMismatch(path: path, fileName: "0001_catalog.sql", recorded: original.checksum, expected: edited.checksum))
            let description = error?.description ?? ""
            #expect(description.hasPrefix("\(path): migration 0001_catalog.sql was changed after it was applied"))
            #expect(description.contains(String(original.checksum.prefix(12))))
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(pendingSideFiles(path).isEmpty)
        // The unedited library still opens it.
        #expect(try CrosslinkStore(path: path).read { db in try db.scalarInt("SELECT count(*) FROM products") } == 300)
    }

    @Test func migrationFailingHalfwayLeavesNoTrace() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("halfway.sqlite")
        try populatedStoreFile(path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let schemaBefore = try sqlite3Rows(path, "SELECT type, name, sql FROM sqlite_schema ORDER BY name")

        let badSQL = "INSERT INTO no_such_table(x) VALUES (1);"
        let broken = try Migration(fileName: "9002_broken.sql", sql: """
            -- A good statement, then a bad one.
            CREATE TABLE extras(id INTEGER PRIMARY KEY) STRICT;
            INSERT INTO extras VALUES (1);
            \(badSQL)
            CREATE TABLE never(id INTEGER PRIMARY KEY) STRICT;
            """)
        let migrator = DatabaseMigrator(migrations: Migration.crosslink + [broken])
        let error = #expect(throws: StoreError.self) { _ = try CrosslinkStore(path: path, migrator: migrator) }
        guard case .migrationFailed(let fileName, let databaseError)? = error else {
            Issue.record("expected .failed, got \(String(describing: error))")
            return
        }
        #expect(fileName == "9002_broken.sql")
        #expect(databaseError.sql?.trimmingCharacters(in: .whitespacesAndNewlines) == badSQL)
        #expect(databaseError.message == "no such table: no_such_table")
        let description = error?.description ?? ""
        #expect(description.hasPrefix("migration 9002_broken.sql failed: SQLite error 1: no such table: no_such_table"))
        #expect(description.contains(badSQL))

        // Still at the library's version, nothing of 9002: same bytes, same schema, same records.
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(pendingSideFiles(path).isEmpty)
        #expect(try sqlite3Rows(path, "SELECT type, name, sql FROM sqlite_schema ORDER BY name") == schemaBefore)
        #expect(try sqlite3Rows(path, "PRAGMA user_version") == [[String(Self.latest)]])
        #expect(try sqlite3Rows(path, "SELECT version FROM crosslink_migrations ORDER BY version") == Migration.crosslink.map { [String($0.version)] })
        #expect(try sqlite3Rows(path, "SELECT count(*) FROM sqlite_schema WHERE name IN ('extras', 'never')") == [["0"]])

        // The same broken migration on a new file: the library's migrations are applied and kept, 9002 is not.
        let fresh = dir.path("fresh.sqlite")
        #expect(throws: StoreError.self) { _ = try CrosslinkStore(path: fresh, migrator: migrator) }
        #expect(try sqlite3Rows(fresh, "PRAGMA user_version") == [[String(Self.latest)]])
        #expect(try sqlite3Rows(fresh, "SELECT count(*) FROM sqlite_schema WHERE name = 'extras'") == [["0"]])
    }

    @Test func readOnlyStoreReadsAndRefusesWrites() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("readonly.sqlite")
        try populatedStoreFile(path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        do {
            let store = try CrosslinkStore(path: path, configuration: readOnlyConfiguration)
            #expect(try store.read { db in try db.scalarInt("SELECT count(*) FROM products") } == 300)
            #expect(try store.read { db in try db.scalarText("SELECT sku FROM products ORDER BY product_id LIMIT 1") } == "SKU-000")

            let write = #expect(throws: DatabaseError.self) { try store.write { db in try db.execute("DELETE FROM products") } }
            #expect(write?.resultCode == 8)  // SQLITE_READONLY
            #expect(write?.description == "SQLite error 8: the database was opened read-only — database \(path)")

            let sneaky = #expect(throws: DatabaseError.self) { try store.read { db in try db.execute("DELETE FROM products") } }
            #expect(sneaky?.resultCode == 8)
            #expect(sneaky?.message == "attempt to write a readonly database")
            #expect(sneaky?.sql == "DELETE FROM products")
            #expect(try store.read { db in try db.scalarInt("SELECT count(*) FROM products") } == 300)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(pendingSideFiles(path).isEmpty)

        // A read-only store never creates a file.
        let missing = dir.path("missing.sqlite")
        let error = #expect(throws: StoreError.self) { _ = try CrosslinkStore(path: missing, configuration: readOnlyConfiguration) }
        #expect(error == .missingFile(path: missing))
        #expect(FileManager.default.fileExists(atPath: missing) == false)
    }

    // MARK: Helpers

    var readOnlyConfiguration: Configuration {
        var configuration = Configuration()
        configuration.readOnly = true
        return configuration
    }

    /// A migrated store with 300 products, closed (so the WAL is checkpointed into the file and removed).
    func populatedStoreFile(_ path: String) throws {
        let store = try CrosslinkStore(path: path)
        try store.write { db in
            for index in 0..<300 {
                try db.execute("INSERT INTO products(sku, name, price) VALUES (?, ?, ?)",
                               [String(format: "SKU-%03d", index), "Product number \(index) with a longish name", Double(index)])
            }
        }
    }

    /// The -wal / -shm / -journal files next to `path` that exist.
    func sideFiles(_ path: String) -> [String] {
        ["-wal", "-shm", "-journal"].map { path + $0 }.filter { FileManager.default.fileExists(atPath: $0) }
    }

    /// Side files that hold content not in the main file: a non-empty -wal or a hot -journal.
    /// "Unchanged" = same main-file bytes and nothing pending. (A read-only connection on a WAL
    /// file leaves an empty -wal and a -shm behind, which SQLite needs and the next writer removes.)
    func pendingSideFiles(_ path: String) -> [String] {
        sideFiles(path).filter { file in
            !file.hasSuffix("-shm") && ((try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 1) > 0
        }
    }
}
