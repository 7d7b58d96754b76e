import Foundation

/// Holder for the migration files embedded at build time (see the EmbedMigrations plugin).
enum EmbeddedMigrations {}

/// One schema migration: a `Migrations/NNNN_name.sql` file.
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let fileName: String
    public let sql: String
    /// SHA-256 of the file's text; `sha256sum Migrations/NNNN_name.sql` prints the same.
    public let checksum: String

    /// Parses `fileName` (`NNNN_name.sql`) for the version and name.
    public init(fileName: String, sql: String) throws {
        let stem = fileName.hasSuffix(".sql") ? String(fileName.dropLast(4)) : fileName
        let parts = stem.split(separator: "_", maxSplits: 1)
        guard parts.count == 2, let version = Int(parts[0]), version > 0 else {
            throw StoreError.badMigrationFileName(fileName)
        }
        self.version = version
        self.name = String(parts[1])
        self.fileName = fileName
        self.sql = sql
        self.checksum = SHA256.hex(sql)
    }

    /// The migrations shipped with this library, in version order.
    public static let crosslink: [Migration] = EmbeddedMigrations.files.map { file in
        // The plugin only embeds files named NNNN_name.sql; a bad name is a build error.
        try! Migration(fileName: file.fileName, sql: file.sql)
    }.sorted { $0.version < $1.version }

    /// The PostgreSQL schema shipped with this library (`Migrations/postgresql/NNNN_name.sql`), in
    /// version order: the same versions, names and file names as ``crosslink``, with the checksums
    /// of their own text. `psql -X -v ON_ERROR_STOP=1 -1 -f` applies each file by hand.
    public static let crosslinkPostgreSQL: [Migration] = EmbeddedMigrations.postgreSQLFiles.map { file in
        try! Migration(fileName: file.fileName, sql: file.sql)
    }.sorted { $0.version < $1.version }
}

/// Applies `Migrations/*.sql` in version order, each in its own transaction, and records
/// version, name, checksum and time in `crosslink_migrations` (created by 0001) and
/// `PRAGMA user_version`.
///
/// ```swift
/// try pool.writeWithoutTransaction { db in try DatabaseMigrator().migrate(db) }
/// ```
public struct DatabaseMigrator: Sendable {
    /// `PRAGMA application_id` set by 0001_catalog.sql (0x43524C4B, "CRLK"): marks a file as a Crosslink
    /// database. Must equal the number in the file (MigrationTests checks it with the sqlite3 CLI).
    public static let applicationID = 0x4352_4C4B

    /// The SQLite migrations (`Migrations/*.sql`).
    public let migrations: [Migration]
    /// The PostgreSQL migrations (`Migrations/postgresql/*.sql`): the same versions and names.
    public let postgreSQLMigrations: [Migration]

    public init(migrations: [Migration] = Migration.crosslink, postgreSQLMigrations: [Migration] = Migration.crosslinkPostgreSQL) {
        self.migrations = migrations.sorted { $0.version < $1.version }
        self.postgreSQLMigrations = postgreSQLMigrations.sorted { $0.version < $1.version }
    }

    /// The migrations of `engine`, in version order.
    public func migrations(for engine: DatabaseEngine) -> [Migration] {
        engine == .sqlite ? migrations : postgreSQLMigrations
    }

    /// Versions already applied, in order.
    public func appliedVersions(_ db: Database) throws -> [Int] {
        guard try tableExists(db, "crosslink_migrations") else { return [] }
        return try db.prepare("SELECT version FROM crosslink_migrations ORDER BY version").map { $0.int(at: 0) }
    }

    /// Checks that `db` is empty or a Crosslink database this library can open, without writing.
    public func validate(_ db: Database) throws {
        // One snapshot: another connection may be migrating the file between these reads.
        try db.inTransaction(.deferred) { try validateSnapshot(db) }
    }

    private func validateSnapshot(_ db: Database) throws {
        if db.engine == .postgresql { return try validatePostgreSQL(db) }
        let objects = try db.scalarInt("SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'") ?? 0
        let applicationID = try db.scalarInt("PRAGMA application_id") ?? 0
        let userVersion = try db.scalarInt("PRAGMA user_version") ?? 0
        if objects == 0 && applicationID == 0 && userVersion == 0 { return }  // a new, empty file
        let hasMigrationsTable = try tableExists(db, "crosslink_migrations")
        guard applicationID == Self.applicationID, hasMigrationsTable else {
            let tables = try db.scalarInt("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'") ?? 0
            throw StoreError.notCrosslinkDatabase(
                path: db.path,
                detail: "it has \(tables) table(s), application_id \(applicationID) (Crosslink: \(Self.applicationID)), "
                    + "and \(hasMigrationsTable ? "a" : "no") crosslink_migrations table")
        }
        try validateRecorded(db, migrations: migrations, userVersion: userVersion)
    }

    /// On PostgreSQL, the database's current schema is Crosslink's when it holds the
    /// crosslink_migrations table and the crosslink_database row (0001) with Crosslink's
    /// application_id; that row's user_version stands for SQLite's PRAGMA user_version. A schema
    /// with other tables and without them is another application's (nothing is created beside them).
    private func validatePostgreSQL(_ db: Database) throws {
        let tables = try db.scalarInt("""
            SELECT count(*) FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'v', 'm', 'p')
            """) ?? 0
        if tables == 0 { return }  // a new, empty database
        let hasMigrationsTable = try tableExists(db, "crosslink_migrations")
        let marker = try tableExists(db, "crosslink_database")
            ? try db.prepare("SELECT application_id, user_version FROM crosslink_database WHERE database_id = 1")
                .map { (applicationID: $0.int(at: 0), userVersion: $0.int(at: 1)) }.first
            : nil
        guard hasMigrationsTable, let marker, marker.applicationID == Self.applicationID else {
            throw StoreError.notCrosslinkDatabase(
                path: db.path,
                detail: "its schema has \(tables) table(s) or view(s), "
                    + (marker.map { "application_id \($0.applicationID) (Crosslink: \(Self.applicationID))" } ?? "no crosslink_database row")
                    + " and \(hasMigrationsTable ? "a" : "no") crosslink_migrations table")
        }
        try validateRecorded(db, migrations: postgreSQLMigrations, userVersion: marker.userVersion)
    }

    /// The migrations recorded in the database are this library's (version, checksum), and none
    /// is newer.
    private func validateRecorded(_ db: Database, migrations: [Migration], userVersion: Int) throws {
        let latest = migrations.last?.version ?? 0
        let recorded = try db.prepare("SELECT version, name, checksum FROM crosslink_migrations ORDER BY version")
            .map { (version: $0.int(at: 0), name: $0.text(at: 1), checksum: $0.text(at: 2)) }
        let newest = max(userVersion, recorded.last?.version ?? 0)
        if newest > latest {
            throw StoreError.newerSchema(path: db.path, databaseVersion: newest, libraryVersion: latest)
        }
        for record in recorded {
            guard let migration = migrations.first(where: { $0.version == record.version }) else {
                throw StoreError.notCrosslinkDatabase(path: db.path, detail: "it records migration \(record.version) \(record.name), which this library does not have")
            }
            if migration.checksum != record.checksum {
                throw StoreError.checksumMismatch(path: db.path, fileName: migration.fileName,
                                                      recorded: record.checksum, expected: migration.checksum)
            }
        }
    }

    /// Applies every pending migration. Returns the file names applied.
    @discardableResult
    public func migrate(_ db: Database, now: Date = Date()) throws -> [String] {
        try validate(db)
        let applied = Set(try appliedVersions(db))
        var done: [String] = []
        for migration in migrations(for: db.engine) where !applied.contains(migration.version) {
            do {
                let didApply = try db.inTransaction(.immediate) { () -> Bool in
                    // Checked again under the write lock: another connection (process) opening the
                    // same file may have migrated it since we looked.
                    try validate(db)
                    if try appliedVersions(db).contains(migration.version) { return false }
                    try db.execute(script: migration.sql)
                    try db.execute(
                        "INSERT INTO crosslink_migrations(version, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
                        [migration.version, migration.name, migration.checksum, ISO8601DateFormatter().string(from: now)])
                    // PRAGMA takes no bound parameters; the version is an Int we parsed.
                    if db.engine == .sqlite { try db.execute(script: "PRAGMA user_version = \(migration.version)") }
                    return true
                }
                if didApply { done.append(migration.fileName) }
            } catch let error as DatabaseError {
                throw StoreError.migrationFailed(fileName: migration.fileName, error: error)
            }
        }
        return done
    }

    private func tableExists(_ db: Database, _ name: String) throws -> Bool {
        if db.engine == .postgresql {
            return try db.scalarInt("SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?",
                                    [name]) == 1
        }
        return try db.scalarInt("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?", [name]) == 1
    }
}
