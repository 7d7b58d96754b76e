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
/// ``rowsPerStatement`` per statement.
struct MultiRowInsert {
    static let rowsPerStatement = 32

    let db: Database
    private let head: String
    private let columns: Int
    private let suffix: String

    /// `into`: the table and its column list; `columns`: how many values each row binds.
    init(_ db: Database, into: String, columns: Int, suffix: String = "") {
        self.db = db
        head = "INSERT INTO \(into) VALUES "
        self.columns = columns
        self.suffix = suffix
    }

    private func statement(rows: Int) throws -> Statement {
        try db.cachedStatement(head + (0..<rows).map { row in
            "(" + (1...columns).map { "?\(row * columns + $0)" }.joined(separator: ", ") + ")"
        }.joined(separator: ", ") + " " + suffix)
    }

    /// Inserts `rows`: `bind` binds a row's values at parameters `first`, `first` + 1, ….
    func run<Rows: RandomAccessCollection>(_ rows: Rows, bind: (Rows.Element, Statement, Int32) -> Void) throws {
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
