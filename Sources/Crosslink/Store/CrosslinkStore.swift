/// A Crosslink database: a ``DatabasePool`` on one SQLite file whose schema is brought up to
/// date by the embedded migrations when it is opened.
///
/// ```swift
/// let store = try CrosslinkStore(path: "crosslink.sqlite")
/// let report = try MagentoSampleImporter(store: store).importSample(at: sampleDirectory)
/// let related = try store.read { db in try Placements(db).related(for: "24-MB01") }
/// ```
public final class CrosslinkStore: Sendable {
    /// The primary's pool: every write, and every read of a store without replicas.
    public let pool: DatabasePool
    public var path: String { pool.path }
    /// The PostgreSQL hot standbys reads go to (``init(primary:replicas:readYourWrites:replicaWait:configuration:migrator:)``).
    let replication: Replication?

    /// Opens the database at `path`: refuses a file that is not SQLite, not a Crosslink database,
    /// of a newer schema, or whose size does not match its header
    /// (``DatabaseFileHeader/verifySize(_:)``); applies pending migrations unless read-only.
    ///
    /// - A missing file is created, unless ``Configuration/createIfMissing`` is false or the
    ///   open is ``Configuration/readOnly``: then a missing or empty (0-byte) file is a
    ///   ``StoreError`` and nothing is created.
    /// - Read-only, the schema must be complete (``StoreError/schemaNotCurrent(path:applied:latest:)``
    ///   otherwise): a reader cannot migrate.
    /// - Close it with ``close()`` (or let the last reference go): a store closed by the file's
    ///   last connection leaves no `-wal` or `-shm` beside it.
    public init(path: String, configuration: Configuration = Configuration(), migrator: DatabaseMigrator = DatabaseMigrator()) throws {
        replication = nil
        try StoreFile.check(path, configuration)
        if !configuration.readOnly {
            // Check the file before the pool's writer switches it to WAL (a header write):
            // a refused file must be left exactly as it was.
            do {
                let probe = try Database(path: path, configuration: configuration, readOnly: false, writerSettings: false)
                defer { probe.close() }
                try DatabaseFileHeader.verifySize(probe)  // a truncated file is neither served nor written to
                try migrator.validate(probe)
            }
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        if configuration.readOnly {
            try pool.read { db in
                try DatabaseFileHeader.verifySize(db)
                try migrator.validate(db)
                let applied = try migrator.appliedVersions(db)
                let latest = migrator.migrations.last?.version ?? 0
                if Set(applied) != Set(migrator.migrations.map(\.version)) {
                    throw StoreError.schemaNotCurrent(path: path, applied: applied.last ?? 0, latest: latest)
                }
            }
        } else {
            try pool.writeWithoutTransaction { db in _ = try migrator.migrate(db) }
        }
    }

    /// Opens the store at `location`: a SQLite file path or a PostgreSQL connection URI
    /// (``StoreLocation``), with the same checks and migrations on both engines.
    ///
    /// ```swift
    /// let store = try CrosslinkStore(location: "postgresql://postgres@/shop?host=/run/postgresql")
    /// ```
    public convenience init(location: String, configuration: Configuration = Configuration(),
                            migrator: DatabaseMigrator = DatabaseMigrator()) throws {
        switch StoreLocation(location) {
        case .sqlite(let path): try self.init(path: path, configuration: configuration, migrator: migrator)
        case .postgresql(let uri): try self.init(postgreSQL: uri, configuration: configuration, migrator: migrator)
        }
    }

    /// Opens the store in the PostgreSQL database at `uri`: refuses a database holding another
    /// application's tables or a newer schema; applies pending migrations
    /// (`Migrations/postgresql/`) unless read-only, one instance at a time.
    public init(postgreSQL uri: String, configuration: Configuration = Configuration(), migrator: DatabaseMigrator = DatabaseMigrator()) throws {
        replication = nil
        pool = try Self.openPostgreSQL(uri, configuration: configuration, migrator: migrator)
    }

    /// A store on a PostgreSQL primary and its streaming replicas (hot standbys): writes go to
    /// the primary, reads to the replicas in turn.
    ///
    /// A replica replays the primary's WAL a little later. With `readYourWrites`, a read that
    /// follows a write of this store waits until its replica has replayed the primary's WAL
    /// position at that write's commit (`pg_last_wal_replay_lsn()` against
    /// `pg_current_wal_lsn()`), at most `replicaWait`; then, or when the replica cannot be
    /// reached, the read runs on the primary. Without it a read may miss this store's last
    /// writes (for pages that tolerate being a few milliseconds behind). Only this store's writes
    /// are waited for: another instance's are seen once the replica has replayed them.
    /// Writes through `pool.write` directly are not tracked; use ``write(_:)``.
    ///
    /// ```swift
    /// let store = try CrosslinkStore(primary: "postgresql://app@db-primary/shop",
    ///                                replicas: ["postgresql://app@db-replica-1/shop", "postgresql://app@db-replica-2/shop"])
    /// ```
    public init(primary: String, replicas: [String], readYourWrites: Bool = true, replicaWait: Duration = .seconds(1),
                configuration: Configuration = Configuration(), migrator: DatabaseMigrator = DatabaseMigrator()) throws {
        guard case .postgresql(let uri) = StoreLocation(primary) else {
            throw RequestError.invalidValue(field: "primary", value: primary, reason: "replicas need a PostgreSQL primary (a postgresql:// URI)")
        }
        pool = try Self.openPostgreSQL(uri, configuration: configuration, migrator: migrator)
        var readOnly = configuration
        readOnly.readOnly = true
        let replicaPools = try replicas.map { replica in
            guard case .postgresql(let uri) = StoreLocation(replica) else {
                throw StoreError.notCrosslinkDatabase(path: replica, detail: "a replica is a PostgreSQL hot standby (a postgresql:// URI)")
            }
            // Not connected yet: a replica that is down is read around (Replication.read).
            return try DatabasePool(postgreSQL: uri, configuration: readOnly, probing: false)
        }
        replication = Replication(replicas: replicaPools, readYourWrites: readYourWrites, maximumWait: replicaWait)
    }

    private static func openPostgreSQL(_ uri: String, configuration: Configuration, migrator: DatabaseMigrator) throws -> DatabasePool {
        let pool = try DatabasePool(postgreSQL: uri, configuration: configuration)
        if configuration.readOnly {
            try pool.read { db in
                try migrator.validate(db)
                let applied = try migrator.appliedVersions(db)
                let expected = migrator.migrations(for: .postgresql).map(\.version)
                if Set(applied) != Set(expected) {
                    throw StoreError.schemaNotCurrent(path: db.path, applied: applied.last ?? 0, latest: expected.last ?? 0)
                }
            }
        } else {
            try pool.writeWithoutTransaction { db in _ = try migrator.migrate(db) }
        }
        return pool
    }

    /// The engine the store runs on.
    public var engine: DatabaseEngine { pool.engine }

    /// Closes the store's connections (idempotent; see ``DatabasePool/close()``). Later calls
    /// throw ``StoreError/closed(path:)``. Also done when the last reference goes away.
    public func close() {
        pool.close()
        replication?.close()
    }

    /// Runs `body` in a write transaction on the single writer connection. Before it commits,
    /// rule results that the write made stale are recomputed (``RuleCache/refreshIfStale()``:
    /// two primary-key lookups when nothing changed), so a reader never gets a stale block.
    /// `pool.write` is the raw transaction, without that step.
    public func write<T: Sendable>(_ body: (Database) throws -> T) throws -> T {
        let result = try pool.write { db in try Self.refreshingRules(db, body) }
        try replication?.recordWrite(on: pool)
        return result
    }

    private static func refreshingRules<T>(_ db: Database, _ body: (Database) throws -> T) throws -> T {
        let result = try body(db)
        try RuleCache(db).refreshIfStale()
        return result
    }

    /// ``write(_:)`` for a transaction that writes many pages (event batches and files with
    /// aggregation): its commit checkpoints only once the WAL holds
    /// `Configuration.batchWalAutocheckpointPages`, instead of after nearly every batch.
    public func writeBatch<T: Sendable>(_ body: (Database) throws -> T) throws -> T {
        let configuration = pool.configuration
        let result = try pool.writeWithoutTransaction { db in
            guard db.engine == .sqlite else { return try db.inTransaction(.immediate) { try Self.refreshingRules(db, body) } }
            try db.execute(script: "PRAGMA wal_autocheckpoint = \(max(0, configuration.batchWalAutocheckpointPages))")
            defer { try? db.execute(script: "PRAGMA wal_autocheckpoint = \(max(0, configuration.walAutocheckpointPages))") }
            return try db.inTransaction(.immediate) { try Self.refreshingRules(db, body) }
        }
        try replication?.recordWrite(on: pool)
        return result
    }

    /// Runs `body` on a reader connection, in one consistent snapshot: of a replica when the
    /// store has replicas (see ``init(primary:replicas:readYourWrites:replicaWait:configuration:migrator:)``).
    public func read<T: Sendable>(_ body: (Database) throws -> T) throws -> T {
        guard let replication else { return try pool.read(body) }
        return try replication.read(primary: pool, body)
    }
}
