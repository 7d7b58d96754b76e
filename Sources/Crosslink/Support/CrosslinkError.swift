/// Every error Crosslink throws on purpose conforms to `CrosslinkError`, and there are only a few
/// of them, each for one kind of failure. Each reads as a full sentence (its `description`) that
/// names what failed and where: file, line, column, field and JSON path for input, SQL and
/// database path for the engine, the SKU, unit or rule for requests.
///
/// | Error | When | Where it says it happened |
/// |---|---|---|
/// | ``DatabaseError`` | the database engine (SQLite or PostgreSQL) refused a statement or a connection (codes, SQLSTATE, message) | `sql`, `path`; on PostgreSQL `host`, `port`, `database` |
/// | ``StoreError`` | the store refuses a file or its content: missing, empty, not a database, a schema too old or too new, an edited or failed migration, damaged stored lists, a closed store, a backup target | the database path, table and row |
/// | ``InputError`` | bad input: a CSV record or cell, a Magento cell, an event or a batch of them, a rule or unit file, gzip data, a value refused before it is stored (a SKU, a link, a store code) | ``InputError/location`` (an ``InputLocation``: file, line, column, field), ``InputError/subject`` and ``InputError/path`` (the entry and its JSON path) |
/// | ``RequestError`` | a request that cannot be answered as asked: an unknown SKU, store, rule or unit, a name taken, a bad option or limit, a type missing its context, an evaluation with nothing to evaluate | the name or value (``RequestError/names``) |
/// | ``OutputFileError`` | an output file that cannot be written | `path` |
///
/// Where to add a new error: in the type above whose "When" column fits — a case of
/// ``StoreError``, a ``RequestError/Kind``, an ``InputError`` with its location — with a message
/// that names the place; a new public error type is the exception. Catch sites match on the type
/// and then on its kind:
///
/// ```swift
/// do { try store.write { db in try ItemNeighbours(db).refresh(listLength: 0) } }
/// catch let error as RequestError where error.kind == .invalidLimit {
///     print(error)  // invalid neighbour list length 0: must be 1 to 100000
/// }
/// catch StoreError.missingFile(let path) { print("no database at \(path)") }
/// catch let error as any CrosslinkError { print(error) }
/// ```
public protocol CrosslinkError: Error, Sendable, CustomStringConvertible {}

/// Where in an input something is: file, line, column (a character column in JSON; absent for
/// CSV, whose cells are named by ``field``) and field (a CSV column name, `field 3`, or an
/// event's field such as `lines[1].quantity`). ``InputError`` holds it (with the entry and JSON
/// path of rule and unit files), so that a message reads the same whatever the format:
/// `rules.json:12:7`, `line 3, column 5` (text without a file), `products.csv:12: column sku`.
public struct InputLocation: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The file name as given to the reader; nil for text that came without one.
    public var file: String?
    /// 1-based line; 0 when the location is the whole file.
    public var line: Int
    /// 1-based character column, when known.
    public var column: Int?
    /// The field or CSV column the problem is in, when it is in one.
    public var field: String?

    public init(file: String?, line: Int, column: Int? = nil, field: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.field = field
    }

    public var description: String {
        var text: String
        switch (file, line, column) {
        case (let file?, 0, _): text = file
        case (let file?, let line, let column?): text = "\(file):\(line):\(column)"
        case (let file?, let line, nil): text = "\(file):\(line)"
        case (nil, let line, let column?): text = "line \(line), column \(column)"
        case (nil, let line, nil): text = "line \(line)"
        }
        if let field { text += ": column \(field)" }
        return text
    }
}
