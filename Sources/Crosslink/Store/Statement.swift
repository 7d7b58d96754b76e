import CSQLite

/// A prepared statement: bind typed parameters, step, read typed columns. On PostgreSQL the
/// statement is prepared on the server when it is cached (``Database/cachedStatement(_:)-(String)``),
/// and its rows are fetched whole by the first ``step()`` of a run.
///
/// Statements are reused (see ``Database/cachedStatement(_:)-(String)``); a statement is reset and its
/// bindings cleared each time ``bind(_:)`` starts a new run.
///
/// ```swift
/// let statement = try db.cachedStatement("SELECT sku, price FROM products WHERE price < ?")
/// try statement.bind([100.0])
/// while try statement.step() {
///     print(statement.text(at: 0), statement.double(at: 1))
/// }
/// ```
public final class Statement {
    /// The SQLite statement, or nil on PostgreSQL.
    let handle: OpaquePointer?
    /// The PostgreSQL statement, or nil on SQLite.
    let postgreSQL: PostgreSQLStatement?
    /// The SQL text as given to `prepare`.
    public let sql: String
    unowned let database: Database
    /// The first failure of a non-throwing typed bind since the last reset (e.g. SQLITE_TOOBIG for
    /// a text longer than SQLite's length limit), thrown by the next ``step()``: a value that could
    /// not be bound must never run as NULL.
    private var bindFailure: (code: Int32, index: Int32)?
    /// Column name → index, built on the first read by name.
    private var columnIndexes: [String: Int32]?

    init(database: Database, sql: String, persistent: Bool) throws {
        self.database = database
        self.sql = sql
        if let connection = database.postgreSQL {
            handle = nil
            postgreSQL = try PostgreSQLStatement(connection: connection, sql: sql, prepared: persistent)
            return
        }
        postgreSQL = nil
        var statement: OpaquePointer?
        var tail: UnsafePointer<CChar>?
        let flags = persistent ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0
        let code = sql.withCString { sqlite3_prepare_v3(database.handle, $0, -1, flags, &statement, &tail) }
        guard code == SQLITE_OK, let statement else {
            throw database.error(code, sql: sql)
        }
        if let tail, tail.pointee != 0, !String(cString: tail).allSatisfy(\.isWhitespace) {
            sqlite3_finalize(statement)
            throw DatabaseError(extendedResultCode: SQLITE_MISUSE,
                                message: "only one statement may be prepared at a time; use Database.execute(script:) for several",
                                sql: sql, path: database.path)
        }
        self.handle = statement
    }

    deinit { sqlite3_finalize(handle) }

    /// Whether the statement only reads (`sqlite3_stmt_readonly`; on PostgreSQL, judged from its
    /// words: a query with no writing word outside literals and comments, no row lock, no
    /// sequence or advisory-lock call; a user function that writes is not seen there).
    public var isReadOnly: Bool {
        guard let handle else { return postgreSQL!.isReadOnly }
        return sqlite3_stmt_readonly(handle) != 0
    }

    /// Resets the statement and clears previous bindings.
    public func reset() {
        guard let handle else { return postgreSQL!.reset() }
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        bindFailure = nil
    }

    /// The number of parameters (the largest parameter number).
    public var parameterCount: Int {
        guard let handle else { return postgreSQL!.parameterCount }
        return Int(sqlite3_bind_parameter_count(handle))
    }

    /// Resets, then binds `arguments` to parameters 1...n.
    public func bind(_ arguments: [any DatabaseValueConvertible]) throws {
        reset()
        let expected = parameterCount
        guard arguments.count == expected else {
            throw DatabaseError(extendedResultCode: SQLITE_RANGE,
                                message: "statement expects \(expected) argument(s), got \(arguments.count)",
                                sql: sql, path: database.path)
        }
        for (offset, argument) in arguments.enumerated() {
            try bind(argument.databaseValue, at: Int32(offset + 1))
        }
    }

    /// Binds one value to the 1-based parameter `index`.
    public func bind(_ value: DatabaseValue, at index: Int32) throws {
        guard let handle else {
            guard postgreSQL!.bind(value, at: Int(index)) else { throw bindError(SQLITE_RANGE, at: index) }
            return
        }
        let code: Int32
        switch value {
        case .null: code = sqlite3_bind_null(handle, index)
        case .integer(let v): code = sqlite3_bind_int64(handle, index, v)
        case .real(let v): code = sqlite3_bind_double(handle, index, v)
        case .text(let v): code = bindText(v, at: index)
        case .blob(let v):
            code = v.withUnsafeBytes { sqlite3_bind_blob64(handle, index, $0.baseAddress, UInt64($0.count), csqlite_transient()) }
        }
        guard code == SQLITE_OK else { throw bindError(code, at: index) }
    }

    /// Typed binds for hot paths: no enum boxing, no throwing. A value that cannot be bound (a
    /// text over SQLite's length limit, out of memory) is kept and thrown by the next ``step()``;
    /// an index the SQL does not use (SQLITE_RANGE) binds nothing and is not an error here (SQL
    /// built from parts may leave a parameter out).
    public func bind(_ value: Int, at index: Int32) {
        guard let handle else { return postgreSQL!.bindIgnoringRange(.integer(Int64(value)), at: Int(index)) }
        check(sqlite3_bind_int64(handle, index, Int64(value)), index)
    }
    public func bind(_ value: Double, at index: Int32) {
        guard let handle else { return postgreSQL!.bindIgnoringRange(.real(value), at: Int(index)) }
        check(sqlite3_bind_double(handle, index, value), index)
    }
    public func bind(_ value: String, at index: Int32) {
        guard handle != nil else { return postgreSQL!.bindIgnoringRange(.text(value), at: Int(index)) }
        check(bindText(value, at: index), index)
    }
    public func bind(_ value: Double?, at index: Int32) {
        guard let handle else { return postgreSQL!.bindIgnoringRange(value.map { .real($0) } ?? .null, at: Int(index)) }
        check(value.map { sqlite3_bind_double(handle, index, $0) } ?? sqlite3_bind_null(handle, index), index)
    }
    public func bind(_ value: String?, at index: Int32) {
        guard let handle else { return postgreSQL!.bindIgnoringRange(value.map { .text($0) } ?? .null, at: Int(index)) }
        check(value.map { bindText($0, at: index) } ?? sqlite3_bind_null(handle, index), index)
    }
    public func bind(_ value: Int?, at index: Int32) {
        guard let handle else { return postgreSQL!.bindIgnoringRange(value.map { .integer(Int64($0)) } ?? .null, at: Int(index)) }
        check(value.map { sqlite3_bind_int64(handle, index, Int64($0)) } ?? sqlite3_bind_null(handle, index), index)
    }

    @inline(__always) private func check(_ code: Int32, _ index: Int32) {
        if code != SQLITE_OK && code != SQLITE_RANGE && bindFailure == nil { bindFailure = (code, index) }
    }

    private func bindError(_ code: Int32, at index: Int32) -> DatabaseError {
        DatabaseError(extendedResultCode: code,
                      message: "cannot bind parameter \(index): \(String(cString: sqlite3_errstr(code)))"
                        + (code == SQLITE_TOOBIG ? " (the value is longer than SQLite's length limit)" : ""),
                      sql: sql, path: database.path)
    }

    /// Binds UTF-8 bytes as text (SQLite copies them): text built in a byte buffer needs no
    /// `String` on the way.
    public func bindUTF8Text(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int32) {
        guard handle != nil else { return postgreSQL!.bindIgnoringRange(.text(String(decoding: bytes, as: UTF8.self)), at: Int(index)) }
        check(bindText(bytes, at: index), index)
    }

    private func bindText(_ value: String, at index: Int32) -> Int32 {
        var value = value
        return value.withUTF8 { bindText($0, at: index) }
    }

    private func bindText(_ buffer: UnsafeBufferPointer<UInt8>, at index: Int32) -> Int32 {
        // The 64-bit variant: a length over Int32 is SQLITE_TOOBIG, not a trap. A nil base
        // address would bind NULL: an empty buffer binds ''.
        let empty: StaticString = ""
        let base = buffer.baseAddress.map { UnsafeRawPointer($0) } ?? UnsafeRawPointer(empty.utf8Start)
        return sqlite3_bind_text64(handle, index, base.assumingMemoryBound(to: CChar.self), UInt64(buffer.count), csqlite_transient(), UInt8(SQLITE_UTF8))
    }

    /// Advances to the next row. Returns false when the statement is done.
    @discardableResult
    public func step() throws -> Bool {
        guard let handle else { return try postgreSQL!.step(database) }
        if let failure = bindFailure { throw bindError(failure.code, at: failure.index) }
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let code:
            let error = database.error(code, sql: sql)
            sqlite3_reset(handle)
            throw error
        }
    }

    /// Binds `arguments` and runs the statement to completion.
    public func execute(_ arguments: [any DatabaseValueConvertible] = []) throws {
        try bind(arguments)
        while try step() {}
    }

    /// Binds `arguments` and calls `body` for each row.
    public func forEachRow(_ arguments: [any DatabaseValueConvertible] = [], _ body: (Statement) throws -> Void) throws {
        try bind(arguments)
        while try step() { try body(self) }
    }

    /// Binds `arguments` and maps each row.
    public func map<T>(_ arguments: [any DatabaseValueConvertible] = [], _ transform: (Statement) throws -> T) throws -> [T] {
        var result: [T] = []
        try forEachRow(arguments) { result.append(try transform($0)) }
        return result
    }

    // MARK: Columns (0-based index)

    public var columnCount: Int32 {
        guard let handle else { return Int32(postgreSQL!.columnCount) }
        return sqlite3_column_count(handle)
    }
    public func columnName(at index: Int32) -> String {
        guard let handle else { return postgreSQL!.columnName(at: Int(index)) }
        return String(cString: sqlite3_column_name(handle, index))
    }
    /// The index of the result column named `name` (its `AS` alias); -1 when there is none
    /// (reads then give NULL's 0, "" or nil). Looked up once per prepared statement.
    public func columnIndex(_ name: String) -> Int32 {
        if columnIndexes == nil {
            var indexes: [String: Int32] = [:]
            for index in (0..<columnCount).reversed() { indexes[columnName(at: index)] = index }
            columnIndexes = indexes
        }
        return columnIndexes![name] ?? -1
    }
    public func isNull(at index: Int32) -> Bool {
        guard let handle else { return postgreSQL!.isNull(at: Int(index)) }
        return sqlite3_column_type(handle, index) == SQLITE_NULL
    }
    public func int(at index: Int32) -> Int {
        guard let handle else { return postgreSQL!.int(at: Int(index)) }
        return Int(sqlite3_column_int64(handle, index))
    }
    public func double(at index: Int32) -> Double {
        guard let handle else { return postgreSQL!.double(at: Int(index)) }
        return sqlite3_column_double(handle, index)
    }
    public func text(at index: Int32) -> String {
        guard let handle else { return postgreSQL!.text(at: Int(index)) }
        guard let pointer = sqlite3_column_text(handle, index) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, index))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }
    /// The column's UTF-8 text without copying it into a String; valid only inside `body`.
    public func withUTF8Text<R>(at index: Int32, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        guard let handle else {
            var text = postgreSQL!.text(at: Int(index))
            return try text.withUTF8(body)
        }
        let pointer = sqlite3_column_text(handle, index)
        return try body(UnsafeBufferPointer(start: pointer, count: pointer == nil ? 0 : Int(sqlite3_column_bytes(handle, index))))
    }
    public func optionalInt(at index: Int32) -> Int? { isNull(at: index) ? nil : int(at: index) }
    public func optionalDouble(at index: Int32) -> Double? { isNull(at: index) ? nil : double(at: index) }
    public func optionalText(at index: Int32) -> String? { isNull(at: index) ? nil : text(at: index) }

    public func value(at index: Int32) -> DatabaseValue {
        guard let handle else { return postgreSQL!.value(at: Int(index)) }
        switch sqlite3_column_type(handle, index) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(handle, index))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(handle, index))
        case SQLITE_TEXT: return .text(text(at: index))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(handle, index))
            guard count > 0, let pointer = sqlite3_column_blob(handle, index) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: pointer, count: count)))
        default: return .null
        }
    }
}

// A statement belongs to its connection, which is not Sendable.
@available(*, unavailable)
extension Statement: Sendable {}
