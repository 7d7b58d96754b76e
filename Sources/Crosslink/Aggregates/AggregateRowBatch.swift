/// PostgreSQL: the rows of one aggregate table gathered for one set-wise statement per chunk
/// of events, instead of a statement (a round trip) per row. Rows are bound with the same
/// closures as the one-row statements SQLite runs, into a statement that is never run, and
/// sent as one JSON array that `jsonb_populate_recordset` turns into rows typed as the table
/// declares its columns.
///
/// Rows of one batch must have distinct keys: PostgreSQL's `ON CONFLICT DO UPDATE` refuses to
/// update a row twice in one statement (every caller sums its changes per key first).
final class AggregateRowBatch {
    let table: String
    let columns: [String]
    /// Columns whose text values are JSON already (jsonb columns: the pair lists).
    private let jsonColumns: Set<Int>
    private let recorder: Statement
    private var json: [UInt8] = [UInt8(ascii: "[")]
    private(set) var count = 0

    /// `columns` in parameter order: the closures bind column i at parameter i + 1.
    init(_ db: Database, table: String, columns: [String], jsonColumns: Set<String> = []) throws {
        self.table = table
        self.columns = columns
        self.jsonColumns = Set(columns.indices.filter { jsonColumns.contains(columns[$0]) })
        // Never run (nor prepared on the server): it only holds the bound values.
        recorder = try db.prepare("SELECT " + columns.indices.map { "?\($0 + 1)" }.joined(separator: ", "))
    }

    var isEmpty: Bool { count == 0 }

    /// Records one row: `bind` binds its values at parameters 1…columns.count (unbound: NULL).
    func add(_ bind: (Statement) -> Void) {
        recorder.reset()
        bind(recorder)
        let values = recorder.postgreSQL!.boundValues
        if count > 0 { json.append(UInt8(ascii: ",")) }
        json.append(UInt8(ascii: "{"))
        for (index, column) in columns.enumerated() {
            if index > 0 { json.append(UInt8(ascii: ",")) }
            Self.appendString(column, to: &json)
            json.append(UInt8(ascii: ":"))
            switch values[index] {
            case .null, .blob: json.append(contentsOf: "null".utf8)
            case .integer(let value): json.append(contentsOf: String(value).utf8)
            // Bounded by ingest (EventBounds): finite; JSON has no infinity.
            case .real(let value): json.append(contentsOf: (value.isFinite ? value.description : "null").utf8)
            case .text(let value):
                if jsonColumns.contains(index) { json.append(contentsOf: value.utf8) } else { Self.appendString(value, to: &json) }
            }
        }
        json.append(UInt8(ascii: "}"))
        count += 1
    }

    /// The rows as one JSON array (bound as the statement's parameter), and empties the batch.
    func take() -> String {
        json.append(UInt8(ascii: "]"))
        let text = String(decoding: json, as: UTF8.self)
        json.removeAll(keepingCapacity: true)
        json.append(UInt8(ascii: "["))
        count = 0
        return text
    }

    /// `SELECT <expressions> FROM` the batch's rows (alias `r`, columns named as the table's).
    func rowsSQL(_ expressions: [String]) -> String {
        "SELECT \(expressions.joined(separator: ", ")) FROM jsonb_populate_recordset(CAST(NULL AS \(table)), CAST(?1 AS jsonb)) AS r"
    }

    /// Runs `sql` (which reads the rows through ``rowsSQL(_:)``) on the batch's rows, if any.
    func run(_ db: Database, _ sql: String) throws {
        guard !isEmpty else { return }
        let statement = try db.cachedStatement(sql)
        statement.reset()
        defer { statement.reset() }
        statement.bind(take(), at: 1)
        while try statement.step() {}
    }

    private static func appendString(_ text: String, to json: inout [UInt8]) {
        json.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): json.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): json.append(contentsOf: #"\\"#.utf8)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                json.append(contentsOf: #"\u00"#.utf8)
                json.append(hex[Int(byte >> 4)])
                json.append(hex[Int(byte & 15)])
            default: json.append(byte)
            }
        }
        json.append(UInt8(ascii: "\""))
    }
}
