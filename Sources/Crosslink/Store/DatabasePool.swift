import Dispatch
import Foundation
import Synchronization

/// One writer connection and a pool of reader connections on the same WAL database file.
///
/// - Writes are serialized on the single writer and run in `BEGIN IMMEDIATE` transactions,
///   so a write never fails halfway on a lock upgrade.
/// - Each read runs in its own read transaction on a reader connection: it sees one consistent
///   snapshot (WAL) for its whole duration, never a half-applied write, and never blocks the writer.
/// - Connections are not Sendable; the pool is, because each connection lives in a
///   `SerializedConnection` that hands it out to one caller at a time, on the caller's thread.
///
/// ```swift
/// let pool = try DatabasePool(path: "/var/lib/shop/crosslink.sqlite")
/// try pool.write { db in try db.execute("UPDATE products SET price = ? WHERE sku = ?", [42.0, "24-MB01"]) }
/// let count = try pool.read { db in try db.scalarInt("SELECT count(*) FROM products") }
/// ```
public final class DatabasePool: Sendable {
    /// The file path, or the PostgreSQL URI without its password.
    public let path: String
    /// The engine of every connection of the pool.
    public let engine: DatabaseEngine
    public let configuration: Configuration
    private let writer: SerializedConnection?
    private let readers: [SerializedConnection]
    private let freeReaders: Mutex<[Int]>
    private let readerSemaphore: DispatchSemaphore
    private let isClosed = Atomic<Bool>(false)
    private let readOnlyOpen: ReadOnlyOpen?
    /// What the connections derive from the store's data (compiled rules, decoded units), shared
    /// by them and freed with the pool.
    public let caches: StoreCaches

    /// How a read-only pool found its file, for ``close()``.
    private struct ReadOnlyOpen: Sendable {
        var walExisted: Bool
        var immutable: Bool
    }

    /// Opens the pool. The writer is opened at once (creating the file unless
    /// `configuration.createIfMissing` is false, and switching it to WAL); readers are opened on
    /// first use. With `configuration.readOnly`, there is no writer and the file must exist.
    public init(path: String, configuration: Configuration = Configuration()) throws {
        self.path = path
        self.engine = .sqlite
        self.configuration = configuration
        let caches = StoreCaches()
        self.caches = caches
        try StoreFile.check(path, configuration)
        let walPath = path + "-wal"
        let walExisted = StoreFile.exists(walPath)
        // Read-only in a directory we cannot write, with no WAL to read: SQLite cannot create the
        // -shm a WAL-mode reader needs, and nobody can write the file in WAL mode either (that
        // needs a -wal here), so reading it as immutable is exact.
        let immutable = configuration.readOnly && StoreFile.isPlainPath(path) && !walExisted
            && !StoreFile.isWritable(StoreFile.directory(of: path))
        readOnlyOpen = configuration.readOnly ? ReadOnlyOpen(walExisted: walExisted, immutable: immutable) : nil
        writer = configuration.readOnly ? nil : try SerializedConnection(opened: Database(path: path, configuration: configuration, readOnly: false, caches: caches))
        let count = max(1, configuration.maximumReaderCount)
        readers = (0..<count).map { _ in
            SerializedConnection(path: path) { try Database(path: path, configuration: configuration, readOnly: true, writerSettings: false, immutable: immutable, caches: caches) }
        }
        freeReaders = Mutex(Array(0..<count))
        readerSemaphore = DispatchSemaphore(value: count)
        if configuration.readOnly {
            // Fail now, not on the first read, if the file cannot be read.
            _ = try read { db in try db.scalarInt("SELECT 1") }
        }
    }

    /// A pool on the PostgreSQL database at `uri` (a `postgresql://` URI as libpq reads it): one
    /// writer connection, opened at once, whose write transactions take the store's advisory
    /// lock (one writer at a time across every instance, as on SQLite), and readers opened on
    /// first use, each read in one REPEATABLE READ snapshot. With `configuration.readOnly` there
    /// is no writer and every session is read-only.
    public convenience init(postgreSQL uri: String, configuration: Configuration = Configuration()) throws {
        try self.init(postgreSQL: uri, configuration: configuration, probing: true)
    }

    /// `probing`: a read-only pool connects once at once, so that a wrong URI fails here; a
    /// replica's pool does not (a replica that is down is read around, see `Replication`).
    init(postgreSQL uri: String, configuration: Configuration, probing: Bool) throws {
        path = StoreLocation.redacted(uri)
        engine = .postgresql
        self.configuration = configuration
        let caches = StoreCaches()
        self.caches = caches
        readOnlyOpen = nil
        writer = configuration.readOnly ? nil
            : try SerializedConnection(opened: Database(postgreSQL: uri, configuration: configuration, readOnly: false, caches: caches)) {
                try Database(postgreSQL: uri, configuration: configuration, readOnly: false, caches: caches)
            }
        let count = max(1, configuration.maximumReaderCount)
        readers = (0..<count).map { _ in
            SerializedConnection(path: StoreLocation.redacted(uri)) {
                try Database(postgreSQL: uri, configuration: configuration, readOnly: true, caches: caches)
            }
        }
        freeReaders = Mutex(Array(0..<count))
        readerSemaphore = DispatchSemaphore(value: count)
        if configuration.readOnly && probing {
            _ = try read { db in try db.scalarInt("SELECT 1") }
        }
    }

    deinit { close() }

    /// Closes every connection (idempotent; later reads and writes throw ``StoreError/closed(path:)``).
    /// Waits for running reads and writes to finish.
    ///
    /// Readers close first and the writer last: only a read-write connection can checkpoint, and
    /// the file's last connection to close checkpoints the WAL into the database and deletes the
    /// `-wal` and `-shm`, so a store closed by its only process is one self-contained file that a
    /// plain copy backs up. A read-only pool's readers may have created an empty `-wal` and a
    /// `-shm` they cannot remove; when the file and its directory are writable and the WAL was
    /// not there before, a read-write connection (no writes) is opened and closed to remove them.
    public func close() {
        guard !isClosed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        for reader in readers { reader.close(truncatingWAL: false) }
        writer?.close(truncatingWAL: true)
        if engine == .sqlite, let readOnlyOpen, !readOnlyOpen.walExisted, !readOnlyOpen.immutable, StoreFile.exists(path + "-wal"),
           StoreFile.isWritable(path), StoreFile.isWritable(StoreFile.directory(of: path)) {
            var cleaner = configuration
            cleaner.readOnly = false
            cleaner.createIfMissing = false
            // Its open only reads the schema; its close is what removes the files.
            (try? Database(path: path, configuration: cleaner, readOnly: false, writerSettings: false))?.close()
        }
    }

    /// Runs `body` in a write transaction (BEGIN IMMEDIATE … COMMIT, rolled back on error).
    public func write<T: Sendable>(_ body: (Database) throws -> T) throws -> T {
        try writeWithoutTransaction { db in try db.inTransaction(.immediate) { try body(db) } }
    }

    /// Runs `body` with the writer connection and no implicit transaction (migrations, pragmas,
    /// callers that manage several transactions themselves).
    public func writeWithoutTransaction<T: Sendable>(_ body: (Database) throws -> T) throws -> T {
        guard let writer else {
            throw DatabaseError(extendedResultCode: 8 /* SQLITE_READONLY */, message: "the database was opened read-only", path: path)
        }
        return try writer.withConnection(body)
    }

    /// Runs `body` in a read transaction on a reader connection: one consistent snapshot.
    public func read<T: Sendable>(_ body: (Database) throws -> T) throws -> T {
        readerSemaphore.wait()
        defer { readerSemaphore.signal() }
        let index = freeReaders.withLock { $0.removeLast() }
        defer { freeReaders.withLock { $0.append(index) } }
        return try readers[index].withConnection { db in
            try db.inTransaction(.deferred) { try body(db) }
        }
    }
}

/// A connection that at most one caller uses at a time.
///
/// Invariant that makes `@unchecked Sendable` sound: `database` is read or written only while
/// `lock` is held, and the `Database` never escapes `withConnection`'s body.
final class SerializedConnection: @unchecked Sendable {
    private let lock = NSLock()
    private var database: Database?
    private var isClosed = false
    private let path: String
    private let open: @Sendable () throws -> Database

    /// A connection opened lazily, on first use.
    init(path: String, open: @escaping @Sendable () throws -> Database) {
        self.path = path
        self.open = open
    }

    /// A connection opened already (so that opening errors surface at once); `reopen` replaces
    /// it if it breaks (a PostgreSQL server that restarted).
    init(opened database: Database, reopen: @escaping @Sendable () throws -> Database = { preconditionFailure("already opened") }) {
        self.database = database
        self.path = database.path
        self.open = reopen
    }

    /// Closes the connection once its current user is done; later uses throw.
    func close(truncatingWAL: Bool) {
        lock.lock()
        defer { lock.unlock() }
        isClosed = true
        database?.close(truncatingWAL: truncatingWAL)
        database = nil
    }

    func withConnection<T>(_ body: (Database) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        if isClosed { throw StoreError.closed(path: path) }
        if database?.isBroken == true {
            database?.close()
            database = nil
        }
        if database == nil { database = try open() }
        let database = database!
        // No statement of this caller may keep running (and pin its snapshot) for the next one.
        defer { database.resetBusyStatements() }
        return try body(database)
    }
}
