/// Inserts rows into one table, ``rowsPerStatement`` rows per statement (one prepared multi-row
/// INSERT reused; the last, shorter one prepared once at the end): the rebuild's writer. Values
/// are buffered for one statement only, so memory stays bounded whatever the row count; texts
/// are copied into one byte buffer. Table and column names come from the callers' constants.
struct BulkInsert {
    static let rowsPerStatement = 64

    enum Value {
        case int(Int)
        case double(Double)
        case null
        case text(Range<Int>)
    }

    let db: Database
    private let head: String
    private let columns: Int
    private var values: [Value] = []
    private var text: [UInt8] = []
    private var rows = 0
    private var full: Statement?

    /// `into`: the table and its column list; `columns`: how many values each row has.
    init(_ db: Database, into: String, columns: Int) {
        self.db = db
        head = "INSERT INTO \(into) VALUES "
        self.columns = columns
        values.reserveCapacity(columns * Self.rowsPerStatement)
    }

    @inline(__always) mutating func int(_ value: Int) { values.append(.int(value)) }
    @inline(__always) mutating func double(_ value: Double) { values.append(.double(value)) }
    @inline(__always) mutating func null() { values.append(.null) }
    /// An optional time: `none` (Int64.max) is NULL.
    @inline(__always) mutating func time(_ value: Int64) { values.append(value == .max ? .null : .int(Int(value))) }

    /// A text value written by `write` into the shared buffer.
    mutating func text(_ write: (inout [UInt8]) -> Void) {
        let start = text.count
        write(&text)
        values.append(.text(start..<text.count))
    }

    /// Ends a row (after `columns` values); runs the statement when it is full.
    mutating func endRow() throws {
        rows += 1
        if rows == Self.rowsPerStatement { try flush() }
    }

    /// Inserts the rows still buffered.
    mutating func finish() throws { try flush() }

    private func statement(rows: Int) throws -> Statement {
        try db.cachedStatement(head + MultiRowInsert.valuesSQL(rows: rows, columns: columns))
    }

    private mutating func flush() throws {
        guard rows > 0 else { return }
        precondition(values.count == rows * columns, "a row of \(head) has the wrong number of values")
        let statement: Statement
        if rows == Self.rowsPerStatement {
            if full == nil { full = try self.statement(rows: rows) }
            statement = full!
        } else {
            statement = try self.statement(rows: rows)
        }
        statement.reset()
        defer { statement.reset() }
        text.withUnsafeBufferPointer { bytes in
            for (offset, value) in values.enumerated() {
                let index = Int32(offset + 1)
                switch value {
                case .int(let int): statement.bind(int, at: index)
                case .double(let double): statement.bind(double, at: index)
                case .null: statement.bind(Int?.none, at: index)
                case .text(let range): statement.bindUTF8Text(UnsafeBufferPointer(rebasing: bytes[range]), at: index)
                }
            }
        }
        while try statement.step() {}
        values.removeAll(keepingCapacity: true)
        text.removeAll(keepingCapacity: true)
        rows = 0
    }
}
