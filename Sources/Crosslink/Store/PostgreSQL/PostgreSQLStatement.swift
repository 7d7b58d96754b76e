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

    var isReadOnly: Bool {
        let head = sql.drop { $0.isWhitespace || $0 == "(" }.prefix(6).uppercased()
        guard head.hasPrefix("SELECT") || head.hasPrefix("VALUES") || head.hasPrefix("WITH") else { return false }
        let upper = sql.uppercased()
        return !["INSERT ", "UPDATE ", "DELETE "].contains { upper.contains($0) }
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
