/// The PostgreSQL side of a ``Statement``: the text with `$N` parameters, the values bound for
/// the next run, and the rows of the current run.
///
/// A cached statement is prepared on the server once per connection (`PQprepare`); a one-off
/// statement is sent with its values each run (`PQexecParams`), so nothing is left on the server
/// to deallocate. The first ``step(_:)`` after a bind runs it and keeps its rows; later steps
/// walk them.
final class PostgreSQLStatement {
    let connection: PostgreSQLConnection
    let placeholders: PostgreSQLPlaceholders
    private let prepared: PostgreSQLPreparedStatement?
    private var parameters: [DatabaseValue]
    private var result: PostgreSQLResult?
    private var row = -1
    /// The original (SQLite-dialect) text, for errors.
    let sql: String

    init(connection: PostgreSQLConnection, sql: String, prepared: Bool) throws {
        self.connection = connection
        self.sql = sql
        placeholders = PostgreSQLPlaceholders(sqlite: sql)
        parameters = Array(repeating: .null, count: placeholders.serverCount)
        self.prepared = prepared ? try connection.prepare(placeholders.text) : nil
    }

    var parameterCount: Int { placeholders.count }

    /// Whether the text only reads. PostgreSQL has no `sqlite3_stmt_readonly`, so the words of
    /// the statement decide: it must start as a query, and no word outside literals, quoted
    /// names and comments may write (`INSERT … RETURNING` in a `WITH`, `SELECT … INTO`, row
    /// locks, sequence and advisory-lock calls). A function that writes is not seen.
    var isReadOnly: Bool { Self.isReadOnly(sql) }

    static func isReadOnly(_ sql: String) -> Bool {
        let words = bareWords(of: sql)
        guard let first = words.first, ["SELECT", "VALUES", "WITH", "TABLE", "SHOW"].contains(first) else { return false }
        let writing: Set<String> = ["INSERT", "UPDATE", "DELETE", "MERGE", "INTO", "COPY", "CALL", "TRUNCATE",
                                    "CREATE", "DROP", "ALTER", "GRANT", "REVOKE", "LOCK", "SHARE",
                                    "NEXTVAL", "SETVAL", "LASTVAL"]
        return !words.contains { writing.contains($0) || $0.hasPrefix("PG_ADVISORY") }
    }

    /// The upper-cased words of `sql` outside string literals, quoted names and comments.
    private static func bareWords(of sql: String) -> [String] {
        let scalars = Array(sql.unicodeScalars)
        var words: [String] = []
        var word = String.UnicodeScalarView()
        var index = 0
        func endWord() {
            if !word.isEmpty { words.append(String(word).uppercased()) }
            word = String.UnicodeScalarView()
        }
        while index < scalars.count {
            let scalar = scalars[index]
            let next: Unicode.Scalar? = index + 1 < scalars.count ? scalars[index + 1] : nil
            if scalar == "_" || scalar.properties.isAlphabetic || (!word.isEmpty && ("0"..."9").contains(scalar)) {
                word.append(scalar)
                index += 1
                continue
            }
            endWord()
            switch scalar {
            case "'", "\"", "`", "[":
                let close: Unicode.Scalar = scalar == "[" ? "]" : scalar
                index += 1
                while index < scalars.count, scalars[index] != close { index += 1 }
                index += 1  // a doubled quote reopens at once: same result
            case "-" where next == "-":
                while index < scalars.count, scalars[index] != "\n" { index += 1 }
            case "/" where next == "*":
                index += 2
                while index + 1 < scalars.count, !(scalars[index] == "*" && scalars[index + 1] == "/") { index += 1 }
                index += 2
            default:
                index += 1
            }
        }
        endWord()
        return words
    }

    func reset() {
        result = nil
        row = -1
        for index in parameters.indices { parameters[index] = .null }
    }

    /// Binds `value` to the 1-based `index`; false when the statement has no such parameter.
    func bind(_ value: DatabaseValue, at index: Int) -> Bool {
        guard index >= 1, index <= placeholders.count else { return false }
        result = nil
        row = -1
        if let server = placeholders.serverIndex[index - 1] { parameters[server - 1] = value }
        return true
    }

    /// Like SQLite's typed binds: an index the SQL does not use binds nothing.
    func bindIgnoringRange(_ value: DatabaseValue, at index: Int) { _ = bind(value, at: index) }

    /// The values bound since the last reset, by server parameter ($1 first): what a row batch
    /// (Aggregates/AggregateRowBatch.swift) records instead of running the statement.
    var boundValues: [DatabaseValue] { parameters }

    func step(_ database: Database) throws -> Bool {
        if result == nil {
            let result: PostgreSQLResult
            do {
                if let prepared {
                    result = try connection.run(prepared, parameters)
                } else {
                    result = try connection.query(placeholders.text, parameters)
                }
            } catch let error as DatabaseError {
                // Name the statement as the caller wrote it.
                throw DatabaseError(sqlState: error.sqlState ?? "XX000", message: error.message, sql: sql,
                                    host: error.host, port: error.port, database: error.database,
                                    extendedResultCode: error.extendedResultCode)
            }
            self.result = result
            database.postgreSQLChanges = result.affectedRows
            row = -1
        }
        row += 1
        return row < result!.rowCount
    }

    var columnCount: Int { result?.columnCount ?? 0 }
    func columnName(at index: Int) -> String { result?.columnName(at: index) ?? "" }

    private func readable(_ index: Int) -> PostgreSQLResult? {
        guard let result, row >= 0, row < result.rowCount, index >= 0, index < result.columnCount else { return nil }
        return result
    }

    func isNull(at index: Int) -> Bool { readable(index)?.isNull(row: row, column: index) ?? true }
    func int(at index: Int) -> Int { readable(index)?.int(row: row, column: index) ?? 0 }
    func double(at index: Int) -> Double { readable(index)?.double(row: row, column: index) ?? 0 }
    func text(at index: Int) -> String { readable(index)?.text(row: row, column: index) ?? "" }
    func value(at index: Int) -> DatabaseValue { readable(index)?.value(row: row, column: index) ?? .null }
}
