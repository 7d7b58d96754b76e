import CSQLite
import Foundation

/// How a connection is opened and tuned. Defaults fit an embedded store: WAL,
/// `synchronous=NORMAL`, foreign keys on, a 5 s busy timeout.
public struct Configuration: Sendable {
    /// `PRAGMA synchronous` for the writer.
    /// - `.normal` (default, WAL): a commit survives a process crash; a power loss may roll back
    ///   the last transactions, never corrupt the file.
    /// - `.full`: every commit is on disk before the call returns, at the cost of an fsync per commit.
    public enum Synchronous: String, Sendable { case off = "OFF", normal = "NORMAL", full = "FULL" }

    public var synchronous: Synchronous = .normal
    /// How long a connection waits for a lock held by another connection before SQLITE_BUSY.
    public var busyTimeoutMilliseconds: Int32 = 5_000
    /// Number of read-only connections in a ``DatabasePool``.
    public var maximumReaderCount = 4
    /// Open the file read-only (`SQLITE_OPEN_READONLY`: no migrations, no writes). The file must
    /// exist and be a database: a missing or empty file is refused, never created. In a directory
    /// this process cannot write, a file without a `-wal` is opened `immutable=1` (SQLite could
    /// not create the `-shm` it needs otherwise); nobody can write a WAL-mode file there either.
    public var readOnly = false
    /// Whether opening read-write creates a missing file (`SQLITE_OPEN_CREATE`). With `false`, a
    /// missing or empty file is an error (``StoreError``): commands that change an existing store
    /// must not turn a mistyped path into a new database.
    public var createIfMissing = true
    /// `PRAGMA cache_size` of every connection, in KiB (SQLite's default is 2 MiB). Memory is
    /// taken as pages are read, up to this.
    public var cacheSizeKiB = 16_384
    /// `PRAGMA mmap_size`, in bytes (0: off). Pages of a mapped file are read by a memory access
    /// instead of a `pread()` copying them out of the OS cache: recommendation and page lookups
    /// seek all over tables of hundreds of MiB, where most reads miss the page cache. SQLite
    /// caps it (Debian: 2 GiB); only the start of a larger file is mapped.
    public var mmapSizeBytes: Int64 = 1 << 31
    /// `PRAGMA wal_autocheckpoint` of the writer, in pages (0: never automatically): SQLite's
    /// 1,000. A larger WAL makes each durable small commit slower while the file grows (with
    /// `synchronous = FULL` a 1-event append took 50–80 % longer at 10,000).
    public var walAutocheckpointPages = 1_000
    /// The same for the commits of ``CrosslinkStore/writeBatch(_:)`` (event batches and files).
    /// A 1,000-event batch with aggregation dirties 1,000–5,000 pages (most of them the live
    /// co-occurrence lists and the visitor history it rewrites), so at 1,000 every such commit
    /// also checkpointed: each page written twice at once and the file fsynced per batch. At 10,000 (a WAL of up to ≈ 40 MiB) a hot page
    /// reaches the database file once per several batches: ingest with aggregation ≈ 15 % faster.
    public var batchWalAutocheckpointPages = 10_000
    /// `PRAGMA journal_size_limit` of the writer, in bytes (-1: no limit): after a checkpoint
    /// restarts the WAL, SQLite truncates the file to this size. A store closed cleanly has no
    /// WAL at all (the last connection checkpoints and deletes it); this bounds the one that
    /// stays while another process keeps the file open or after a crash. 64 MiB is above the
    /// ≈ 40 MiB a batch WAL reaches at `batchWalAutocheckpointPages`, so batches do not pay a
    /// truncate-and-grow per checkpoint.
    public var journalSizeLimitBytes: Int64 = 64 << 20

    public init() {}
}

/// SQLite's process-wide settings, applied once before the first connection opens (a lazy
/// global: thread-safe). Ignored by SQLite when the host process initialised it already.
private let sqliteProcessConfiguration: Int32 = csqlite_config_no_page_cache_bulk()

/// The engine a ``Database`` connection talks to.
public enum DatabaseEngine: String, Sendable, CaseIterable {
    /// An embedded SQLite file (the default).
    case sqlite = "SQLite"
    /// A PostgreSQL server, opened by a `postgresql://` connection URI.
    case postgresql = "PostgreSQL"
}

/// One connection: to a SQLite file, or to a PostgreSQL database. Not thread-safe: use it from
/// one thread at a time, normally through ``DatabasePool/read(_:)`` or ``DatabasePool/write(_:)``,
/// which own the connections.
///
/// The same SQL runs on both engines where the dialects agree: statements are written with
/// SQLite's parameters (`?`, `?NNN`, `:name`), which a PostgreSQL connection renumbers as `$N`
/// (`PostgreSQLPlaceholders`); what differs is chosen by ``engine``.
///
/// ```swift
/// let db = try Database(path: "/tmp/demo.sqlite")
/// try db.execute(script: "CREATE TABLE t(x INTEGER) STRICT")
/// try db.execute("INSERT INTO t VALUES (?)", [42])
/// let x = try db.scalarInt("SELECT x FROM t")  // 42
/// ```
public final class Database {
    /// The SQLite connection, or nil on PostgreSQL.
    let sqliteHandle: OpaquePointer?
    /// The PostgreSQL connection, or nil on SQLite.
    let postgreSQL: PostgreSQLConnection?
    /// The SQLite connection, for code that runs on SQLite only.
    var handle: OpaquePointer { sqliteHandle! }
    /// The file path as given to `init`; on PostgreSQL, the connection URI without its password.
    public let path: String
    /// The engine this connection talks to.
    public var engine: DatabaseEngine { postgreSQL == nil ? .sqlite : .postgresql }
    /// Rows changed by the last statement run on PostgreSQL (SQLite counts them itself).
    var postgreSQLChanges = 0
    private var statementCache: [SQLKey: Statement] = [:]
    /// Renderings of ``SQLTemplate``s with their statements.
    let templateStatements = TemplateStatements()
    /// State derived from the store's data, shared with the other connections of its pool.
    public let caches: StoreCaches
    private var savepointDepth = 0
    private var isOpen = true
    /// The busy timeout the connection was opened with, for error messages.
    let busyTimeoutMilliseconds: Int32

    /// Opens (creating if needed, unless read-only) the database at `path` and applies the
    /// connection settings: extended result codes, foreign keys, busy timeout, no double-quoted
    /// string literals, and for writers WAL + `synchronous`.
    public convenience init(path: String, configuration: Configuration = Configuration(), readOnly: Bool = false) throws {
        try self.init(path: path, configuration: configuration, readOnly: readOnly, writerSettings: !readOnly)
    }

    /// A connection sharing `caches` with the other connections of its pool.
    convenience init(path: String, configuration: Configuration, readOnly: Bool, caches: StoreCaches) throws {
        try self.init(path: path, configuration: configuration, readOnly: readOnly, writerSettings: !readOnly, caches: caches)
    }

    /// `writerSettings: false` opens a read-write connection that leaves the journal mode alone:
    /// switching to WAL rewrites the file header, so a file must be checked before (CrosslinkStore).
    /// `immutable` opens a read-only connection through the URI `file:…?immutable=1`: no locks,
    /// no `-shm` (see ``Configuration/readOnly``).
    init(path: String, configuration: Configuration, readOnly: Bool, writerSettings: Bool, immutable: Bool = false,
         caches: StoreCaches = StoreCaches()) throws {
        _ = sqliteProcessConfiguration
        self.path = path
        self.busyTimeoutMilliseconds = configuration.busyTimeoutMilliseconds
        self.caches = caches
        var handle: OpaquePointer?
        var flags = (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | (configuration.createIfMissing ? SQLITE_OPEN_CREATE : 0)))
            | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        var filename = path
        if immutable && readOnly {
            flags |= SQLITE_OPEN_URI
            filename = Self.immutableURI(path)
        }
        let code = sqlite3_open_v2(filename, &handle, flags, nil)
        guard code == SQLITE_OK, let handle else {
            var message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
            // SQLite's "unable to open database file" does not say why; the OS error does
            // ("Is a directory", "No such file or directory", "Permission denied").
            if let osError = handle.map({ sqlite3_system_errno($0) }), osError != 0 {
                message += " (\(String(cString: strerror(osError))))"
            }
            sqlite3_close_v2(handle)
            throw DatabaseError(extendedResultCode: code, message: "cannot open database: \(message)", path: path)
        }
        self.sqliteHandle = handle
        self.postgreSQL = nil
        sqlite3_extended_result_codes(handle, 1)
        sqlite3_busy_timeout(handle, configuration.busyTimeoutMilliseconds)
        _ = csqlite_disable_dqs(handle)
        _ = csqlite_enable_defensive(handle)
        do {
            // The first statement reads the header: a foreign or damaged file fails here.
            try execute(script: "PRAGMA foreign_keys = ON")
            _ = try scalarInt("SELECT count(*) FROM sqlite_schema")
            // Integers of ours (PRAGMA takes no bound parameters).
            try execute(script: "PRAGMA cache_size = -\(max(0, configuration.cacheSizeKiB)); PRAGMA mmap_size = \(max(0, configuration.mmapSizeBytes))")
            if readOnly {
                try execute(script: "PRAGMA query_only = ON")
            } else if writerSettings {
                if try switchToWAL(timeoutMilliseconds: configuration.busyTimeoutMilliseconds)?.lowercased() != "wal" {
                    throw DatabaseError(extendedResultCode: SQLITE_CANTOPEN,
                                        message: "cannot switch to WAL journal mode", sql: "PRAGMA journal_mode = WAL", path: path)
                }
                try execute(script: "PRAGMA synchronous = \(configuration.synchronous.rawValue); PRAGMA wal_autocheckpoint = \(max(0, configuration.walAutocheckpointPages)); PRAGMA journal_size_limit = \(max(-1, configuration.journalSizeLimitBytes))")
            }
        } catch let error as DatabaseError {
            close()  // once: deinit, which also runs for this initialized object, then does nothing
            if error.resultCode == SQLITE_NOTADB {
                throw DatabaseError(extendedResultCode: error.extendedResultCode,
                                    message: "\(path) is not a SQLite database (\(error.message))", sql: error.sql, path: path)
            }
            throw error
        }
    }

    /// `PRAGMA journal_mode = WAL`, retried within the busy timeout: when two connections switch
    /// a new file at once, SQLite fails one at once with SQLITE_BUSY instead of calling the busy
    /// handler (both hold a shared lock; waiting could deadlock). The retry runs without locks.
    private func switchToWAL(timeoutMilliseconds: Int32) throws -> String? {
        let deadline = Date().addingTimeInterval(Double(timeoutMilliseconds) / 1_000)
        while true {
            do {
                return try scalarText("PRAGMA journal_mode = WAL")
            } catch let error as DatabaseError where error.isBusy && Date() < deadline {
                Thread.sleep(forTimeInterval: 0.002)
            }
        }
    }

    /// `file:///absolute/path?immutable=1`, the path percent-encoded (SQLite decodes `%XX`;
    /// `?` and `#` would otherwise end the path).
    static func immutableURI(_ path: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)..<Unicode.Scalar(128)))
        allowed.insert(charactersIn: "/-._~")
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        return "file://" + (absolute.addingPercentEncoding(withAllowedCharacters: allowed) ?? absolute) + "?immutable=1"
    }

    /// A connection to the PostgreSQL database at `uri` (a `postgresql://` URI as libpq reads it),
    /// in UTC, read-only by default when `readOnly`.
    init(postgreSQL uri: String, configuration: Configuration, readOnly: Bool, caches: StoreCaches = StoreCaches()) throws {
        let connection = try PostgreSQLConnection(uri: uri)
        self.sqliteHandle = nil
        self.postgreSQL = connection
        self.path = StoreLocation.redacted(uri)
        self.busyTimeoutMilliseconds = configuration.busyTimeoutMilliseconds
        self.caches = caches
        // Our settings, no value of a request. lock_timeout plays SQLite's busy timeout.
        // plan_cache_mode: every statement is prepared once per connection and run many times;
        // left to choose, PostgreSQL re-planned an id-list query at each run (its custom plans,
        // knowing the list's length, looked cheaper than the generic one), and planning took
        // longer than the query: ~1–4 ms of a placement's few hundred µs.
        // random_page_cost 1.1 (the default 4 prices a disk seek): a catalog's tables are served
        // from memory, and at the default the generic plans of id-list lookups (a page's roll-up
        // of a few candidates, its linked products) hashed a whole table instead of a few index
        // lookups — 2–5× slower on catalogs of a few thousand products.
        try connection.execute(script: """
            SET TIME ZONE 'UTC'; SET client_min_messages = warning; SET plan_cache_mode = force_generic_plan;
            SET random_page_cost = 1.1;
            SET lock_timeout = \(max(0, configuration.busyTimeoutMilliseconds));
            SET default_transaction_read_only = \(readOnly ? "on" : "off")
            """)
    }

    /// Whether the connection can no longer be used (a PostgreSQL server that went away): the
    /// pool opens a new one for the next caller.
    var isBroken: Bool { postgreSQL?.isBroken ?? false }

    deinit { close() }

    /// Closes the connection (idempotent). `truncatingWAL`: first checkpoint and truncate the
    /// WAL without waiting (busy timeout 0), so that even when another process keeps the file
    /// open the WAL left behind is empty. When this is the file's last connection, SQLite's own
    /// close then checkpoints and deletes the `-wal` and `-shm`. Nothing may use the connection
    /// afterwards: ``SerializedConnection`` guarantees it.
    func close(truncatingWAL: Bool = false) {
        guard isOpen else { return }
        isOpen = false
        statementCache.removeAll()
        templateStatements.removeAll()
        if let postgreSQL { return postgreSQL.close() }
        if truncatingWAL && sqlite3_get_autocommit(handle) != 0 {
            sqlite3_busy_timeout(handle, 0)
            // SQLITE_BUSY (readers of another process) leaves a partial checkpoint: harmless.
            try? execute(script: "PRAGMA wal_checkpoint(TRUNCATE)")
        }
        sqlite3_close_v2(handle)
    }

    func error(_ code: Int32, sql: String?) -> DatabaseError {
        let extended = sqlite3_extended_errcode(handle)
        // sqlite3_extended_errcode may lag behind for errors detected outside a statement.
        let resolved = (extended & 0xFF) == (code & 0xFF) ? extended : code
        var message = String(cString: sqlite3_errmsg(handle))
        // "database is locked" alone does not say that SQLite already waited, nor for how long.
        if resolved == SQLITE_BUSY {
            message += " (another connection held the lock for the whole busy timeout of \(busyTimeoutMilliseconds) ms)"
        }
        return DatabaseError(extendedResultCode: resolved, message: message, sql: sql, path: path)
    }

    // MARK: Statements

    /// Prepares a statement that the caller owns.
    public func prepare(_ sql: String) throws -> Statement {
        try Statement(database: self, sql: sql, persistent: false)
    }

    func prepare(_ sql: String, persistent: Bool) throws -> Statement {
        try Statement(database: self, sql: sql, persistent: persistent)
    }

    /// Returns a prepared statement kept for the life of the connection; preparing the same SQL
    /// again costs a dictionary lookup. Use it for hot, fixed SQL text.
    public func cachedStatement(_ sql: String) throws -> Statement {
        let key = SQLKey(sql: sql)
        if let statement = statementCache[key] { return statement }
        let statement = try Statement(database: self, sql: sql, persistent: true)
        statementCache[key] = statement
        return statement
    }

    /// Runs one statement with bound arguments (cached).
    public func execute(_ sql: String, _ arguments: [any DatabaseValueConvertible] = []) throws {
        try cachedStatement(sql).execute(arguments)
    }

    /// Runs a script of several statements without arguments (migrations, pragmas).
    /// A failing statement is reported with its own SQL text.
    public func execute(script: String) throws {
        if let postgreSQL { return try postgreSQL.execute(script: script) }
        try script.withCString { start in
            var cursor = start
            while cursor.pointee != 0 {
                var statement: OpaquePointer?
                var tail: UnsafePointer<CChar>?
                let code = sqlite3_prepare_v2(handle, cursor, -1, &statement, &tail)
                let end = tail ?? cursor + strlen(cursor)
                // On a syntax error the tail stops at the bad token: report the whole statement.
                guard code == SQLITE_OK else { throw error(code, sql: Self.statementText(at: cursor)) }
                let text = String(decoding: UnsafeRawBufferPointer(start: cursor, count: cursor.distance(to: end)), as: UTF8.self)
                cursor = end
                guard let statement else { continue }  // whitespace or a comment
                defer { sqlite3_finalize(statement) }
                var stepCode = sqlite3_step(statement)
                while stepCode == SQLITE_ROW { stepCode = sqlite3_step(statement) }
                guard stepCode == SQLITE_DONE else { throw error(stepCode, sql: text) }
            }
        }
    }

    /// The statement that starts at `start`: up to the first `;` that completes it
    /// (`sqlite3_complete` knows strings, comments and triggers), or the rest of the script.
    private static func statementText(at start: UnsafePointer<CChar>) -> String {
        let rest = String(cString: start)
        var index = rest.startIndex
        while let semicolon = rest[index...].firstIndex(of: ";") {
            let candidate = String(rest[...semicolon])
            if sqlite3_complete(candidate) != 0 { return candidate }
            index = rest.index(after: semicolon)
        }
        return rest
    }

    // MARK: Convenience reads

    public func scalarInt(_ sql: String, _ arguments: [any DatabaseValueConvertible] = []) throws -> Int? {
        let statement = try cachedStatement(sql)
        try statement.bind(arguments)
        defer { statement.reset() }
        return try statement.step() ? statement.optionalInt(at: 0) : nil
    }

    public func scalarDouble(_ sql: String, _ arguments: [any DatabaseValueConvertible] = []) throws -> Double? {
        let statement = try cachedStatement(sql)
        try statement.bind(arguments)
        defer { statement.reset() }
        return try statement.step() ? statement.optionalDouble(at: 0) : nil
    }

    public func scalarText(_ sql: String, _ arguments: [any DatabaseValueConvertible] = []) throws -> String? {
        let statement = try prepare(sql)
        try statement.bind(arguments)
        return try statement.step() ? statement.optionalText(at: 0) : nil
    }

    /// All rows as values, for small results (tests, inspection).
    public func rows(_ sql: String, _ arguments: [any DatabaseValueConvertible] = []) throws -> [[DatabaseValue]] {
        let statement = try prepare(sql)
        return try statement.map(arguments) { row in (0..<row.columnCount).map { row.value(at: $0) } }
    }

    /// The id given to the row last inserted. On PostgreSQL, the value last taken from a sequence
    /// in this session (`lastval()`: an identity column's), 0 when none was.
    public var lastInsertRowID: Int {
        guard engine == .postgresql else { return Int(sqlite3_last_insert_rowid(handle)) }
        // lastval() fails when no sequence was used yet; a savepoint keeps that failure from
        // aborting the caller's transaction.
        let read = { try self.scalarInt("SELECT lastval()") }
        return ((try? (isInTransaction ? inSavepoint(read) : read())) ?? nil) ?? 0
    }
    /// Rows inserted, updated or deleted by the last statement.
    public var changes: Int { engine == .postgresql ? postgreSQLChanges : Int(sqlite3_changes64(handle)) }
    public var isInTransaction: Bool { postgreSQL?.isInTransaction ?? (sqlite3_get_autocommit(handle) == 0) }

    // MARK: Transactions

    public enum TransactionKind: String, Sendable { case deferred = "DEFERRED", immediate = "IMMEDIATE", exclusive = "EXCLUSIVE" }

    /// The key of the PostgreSQL advisory lock that a write transaction takes: "CRLK" as on
    /// SQLite's application id. Writers of every instance are serialized by it, as SQLite's
    /// single writer serializes them, so code that reads then writes in one transaction is
    /// correct on both engines; readers never take it.
    static let postgreSQLWriteLock = 0x4352_4C4B

    /// How `kind` begins on PostgreSQL: a read in a snapshot (REPEATABLE READ: one consistent
    /// view for the whole transaction, like a SQLite read transaction in WAL), a write after the
    /// write lock.
    private static func postgreSQLBegin(_ kind: TransactionKind) -> String {
        switch kind {
        case .deferred: "BEGIN ISOLATION LEVEL REPEATABLE READ"
        case .immediate, .exclusive: "BEGIN; SELECT pg_advisory_xact_lock(\(postgreSQLWriteLock))"
        }
    }

    /// Runs `body` in a transaction: committed if it returns, rolled back if it throws.
    /// Inside an open transaction it becomes a savepoint, so transactions nest.
    ///
    /// Writers use `.immediate` so the write lock is taken up front: in WAL a deferred
    /// transaction that later upgrades to a write can fail with SQLITE_BUSY halfway.
    public func inTransaction<T>(_ kind: TransactionKind = .immediate, _ body: () throws -> T) throws -> T {
        if isInTransaction { return try inSavepoint(body) }
        try execute(script: engine == .postgresql ? Self.postgreSQLBegin(kind) : "BEGIN \(kind.rawValue) TRANSACTION")
        let result: T
        do {
            result = try body()
        } catch {
            if isInTransaction { try? execute(script: "ROLLBACK TRANSACTION") }
            throw error
        }
        do {
            try execute(script: "COMMIT TRANSACTION")
        } catch {
            if isInTransaction { try? execute(script: "ROLLBACK TRANSACTION") }
            throw error
        }
        return result
    }

    /// Resets statements left mid-rows (e.g. a lookup that read only its first row). A pending
    /// statement keeps its read snapshot open past COMMIT, so the connection's next transaction
    /// would see old data. The pool calls it when a caller hands the connection back.
    func resetBusyStatements() {
        guard engine == .sqlite else { return }  // PostgreSQL results are read whole: no open cursor
        var statement = sqlite3_next_stmt(handle, nil)
        while let current = statement {
            if sqlite3_stmt_busy(current) != 0 { sqlite3_reset(current) }
            statement = sqlite3_next_stmt(handle, current)
        }
    }

    /// Runs `body` in a savepoint: released if it returns, rolled back to (and released) if it throws.
    public func inSavepoint<T>(_ body: () throws -> T) throws -> T {
        savepointDepth += 1
        defer { savepointDepth -= 1 }
        let name = "crosslink_sp\(savepointDepth)"
        try execute(script: "SAVEPOINT \(name)")
        do {
            let result = try body()
            try execute(script: "RELEASE SAVEPOINT \(name)")
            return result
        } catch {
            try? execute(script: "ROLLBACK TO SAVEPOINT \(name)")
            try? execute(script: "RELEASE SAVEPOINT \(name)")
            throw error
        }
    }
}

// A connection must not cross threads on its own: DatabasePool owns and serializes them.
@available(*, unavailable)
extension Database: Sendable {}

/// A statement cache key that hashes a sample of the SQL, not all of it: recommendation and
/// page queries are several KiB long and looked up several times per request, and hashing
/// each in full cost more than some of the queries. Equality still compares the whole text.
struct SQLKey: Hashable {
    let sql: String

    static func == (a: SQLKey, b: SQLKey) -> Bool { a.sql == b.sql }

    func hash(into hasher: inout Hasher) {
        var sql = sql
        sql.withUTF8 { bytes in
            let raw = UnsafeRawBufferPointer(bytes)
            hasher.combine(raw.count)
            guard raw.count >= 64 else { return hasher.combine(bytes: raw) }
            // Eight words: both ends and six spread over the middle (queries differ in their filters).
            let step = (raw.count - 8) / 7
            for index in 0..<8 { hasher.combine(raw.loadUnaligned(fromByteOffset: min(index * step, raw.count - 8), as: UInt64.self)) }
        }
    }
}

