import Foundation

/// Runs a one-row `INSERT` (or upsert) for many rows, several rows per statement: `VALUES (…),
/// (…), …`. Per row SQLite then skips a reset, a step and the statement's set-up, which is a
/// third of a small row's insert cost when hundreds of thousands of rows go in.
///
/// ```swift
/// let insert = MultiRowInsert(db, into: "session_products(store_id, session_id, product_id)", columns: 3,
///                             suffix: "ON CONFLICT DO NOTHING")
/// try insert.run(rows) { row, statement, first in
///     statement.bind(row.store, at: first); statement.bind(row.session, at: first + 1); statement.bind(row.product, at: first + 2)
/// }
/// ```
///
/// The suffix sees each row as `excluded`, as a one-row upsert does. Rows go in in order, at most
/// ``rowsPerStatement`` per statement. On PostgreSQL all rows go in one statement (a round
/// trip per 32 rows was most of an aggregated ingest's time there): see ``AggregateRowBatch``;
/// the rows must then have distinct keys when the suffix updates on conflict.
struct MultiRowInsert {
    static let rowsPerStatement = 32

    let db: Database
    private let into: String
    private let head: String
    private let columns: Int
    private let suffix: String
    private let jsonColumns: Set<String>

    /// `into`: the table and its column list; `columns`: how many values each row binds;
    /// `jsonColumns`: columns bound with JSON text for a jsonb column (PostgreSQL).
    init(_ db: Database, into: String, columns: Int, suffix: String = "", jsonColumns: Set<String> = []) {
        self.db = db
        self.into = into
        head = "INSERT INTO \(into) VALUES "
        self.columns = columns
        self.suffix = suffix
        self.jsonColumns = jsonColumns
    }

    private func statement(rows: Int) throws -> Statement {
        try db.cachedStatement(head + Self.valuesSQL(rows: rows, columns: columns) + " " + suffix)
    }

    /// `(?1, ?2), (?3, ?4)`: `rows` rows of `columns` numbered parameters, row after row.
    static func valuesSQL(rows: Int, columns: Int) -> String {
        (0..<rows).map { row in "(" + (1...columns).map { "?\(row * columns + $0)" }.joined(separator: ", ") + ")" }
            .joined(separator: ", ")
    }

    /// Inserts `rows`: `bind` binds a row's values at parameters `first`, `first` + 1, ….
    func run<Rows: RandomAccessCollection>(_ rows: Rows, bind: (Rows.Element, Statement, Int32) -> Void) throws {
        if db.engine == .postgresql {
            let into = into.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !rows.isEmpty else { return }
            guard let open = into.firstIndex(of: "("), into.last == ")" else { preconditionFailure("MultiRowInsert: \(into) is not table(columns)") }
            let table = into[..<open].trimmingCharacters(in: .whitespacesAndNewlines)
            let names = into[into.index(after: open)..<into.index(before: into.endIndex)].split(separator: ",")
                .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            let batch = try AggregateRowBatch(db, table: table, columns: names, jsonColumns: jsonColumns)
            for row in rows { batch.add { bind(row, $0, 1) } }
            return try batch.run(db, "INSERT INTO \(into) \(batch.rowsSQL(names.map { "r.\($0)" })) \(suffix)")
        }
        var start = rows.startIndex
        let full = try statement(rows: Self.rowsPerStatement)
        while start != rows.endIndex {
            let end = rows.index(start, offsetBy: Self.rowsPerStatement, limitedBy: rows.endIndex) ?? rows.endIndex
            let count = rows.distance(from: start, to: end)
            let statement = count == Self.rowsPerStatement ? full : try self.statement(rows: count)
            statement.reset()
            defer { statement.reset() }
            for (offset, row) in rows[start..<end].enumerated() { bind(row, statement, Int32(offset * columns + 1)) }
            while try statement.step() {}
            start = end
        }
    }
}
