import Foundation

/// Reads the CSV event format: a header row, then one row per event — except orders, which
/// take one row per order line.
///
/// ```csv
/// id,type,time,store,visitor_id,customer_id,session_id,sku,parent_sku,category,order_id,unit_id,quantity,price,variant
/// e-1,product-view,2024-05-01T10:00:00.250Z,default,v-42,,s-7,24-MB01,,,,,,,
/// e-2,category-view,2024-05-01T10:00:05Z,default,v-42,,s-7,,,Gear/Bags,,,,,
/// e-3,place-order,2024-05-01T10:02:00Z,default,v-42,c-9,s-7,MH01-XS-Black,MH01,,100001,,1,52,
/// e-3,place-order,2024-05-01T10:02:00Z,default,v-42,c-9,s-7,24-MB01,,,100001,,2,34,
/// e-4,recs-item-click,2024-05-01T10:03:00Z,default,v-42,,s-7,MH01,,,,7,,,B
/// ```
///
/// - The header names the columns, in any order: `id`, `type`, `time`, `visitor_id` and
///   `session_id` are required; `store` (default `default`), `customer_id`, `sku`,
///   `parent_sku`, `category`, `order_id`, `unit_id`, `quantity`, `price`, `variant` are optional. Other
///   columns are not read (one warning per file). An empty cell is an absent value.
/// - Values mean what they mean in JSON Lines (``JSONLinesEventParser``); `time` is ISO 8601
///   with a zone or Unix milliseconds; numbers are plain decimals (`2`, `34.5`).
/// - **Orders** (`place-order`, `cancel-order`): each row is one order line — `sku`,
///   `parent_sku`, `quantity`, `price` are the line's — and consecutive rows with the same `id`
///   are the lines of one event, in row order. Their `type`, `time`, `store`, `visitor_id`,
///   `customer_id`, `session_id` and `order_id` must agree with the first row. A later,
///   non-adjacent row with an id already seen is another delivery of it (a duplicate).
/// - An unreadable row (wrong number of cells, unknown type, bad time or number) is an issue
///   naming its line and column; a bad row of an order makes the whole order invalid.
public struct CSVEventParser: Sendable {
    public let data: Data
    public let file: String

    /// Every column, in the order ``rows(_:)`` writes them.
    public static let columns = ["id", "type", "time", "store", "visitor_id", "customer_id", "session_id", "sku",
                                 "parent_sku", "category", "order_id", "unit_id", "quantity", "price", "variant"]
    static let required = ["id", "type", "time", "visitor_id", "session_id"]

    public init(data: Data, file: String) {
        self.data = data
        self.file = file
    }

    /// The rows of `event` under ``columns`` (one per order line for orders).
    public static func rows(_ event: Event) -> [[String]] {
        let time = EventTime.format(EventTime.milliseconds(event.time) ?? 0)
        func row(sku: String?, parent: String?, quantity: Double?, price: Double?) -> [String] {
            [event.id, event.type.rawValue, time, event.store, event.visitorID, event.customerID ?? "", event.sessionID,
             sku ?? "", parent ?? "", event.category ?? "", event.orderID ?? "", event.unitID ?? "",
             quantity.map(MagentoFields.formatDecimal) ?? "", price.map(MagentoFields.formatDecimal) ?? "", event.variant ?? ""]
        }
        guard !event.lines.isEmpty else {
            return [row(sku: event.sku, parent: nil, quantity: event.quantity, price: event.price)]
        }
        return event.lines.map { row(sku: $0.sku, parent: $0.parentSKU, quantity: $0.quantity, price: $0.price) }
    }

    /// A whole CSV file (header included) for `events`.
    public static func text(_ events: [Event]) -> String {
        var out = CSVWriter.line(columns)
        for event in events {
            for row in rows(event) { out += CSVWriter.line(row) }
        }
        return out
    }

    func forEach(_ body: (EventFileReader.Item) throws -> Void) throws -> [InputError] {
        try Self.forEach(EventCSVRecords(input: try EventFileInput(data: data, file: file, limits: EventFileLimits())), body)
    }

    /// Reads the events of `records` (a stream: one block of rows and one order in memory at a time).
    static func forEach(_ records: EventCSVRecords, _ body: (EventFileReader.Item) throws -> Void) throws -> [InputError] {
        var header: [String]?
        var index: [String: Int] = [:]
        var warnings: [InputError] = []
        var pending: PendingOrder?
        let file = records.input.file

        func flush() throws {
            if let order = pending, let event = order.event { try body(.event(event, line: order.line, rowLines: order.rowLines)) }
            pending = nil
        }

        do {
            try records.forEachRecord { record in
                if record.fields.isEmpty { return }
                guard let columns = header else {
                    let names = record.fields.map { $0.trimmingCharacters(in: .whitespaces) }
                    for (i, name) in names.enumerated() where index[name] == nil { index[name] = i }
                    let missing = Self.required.filter { index[$0] == nil }
                    guard missing.isEmpty else {
                        throw InputError(file: file, line: record.line,
                                         message: "missing column\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ", ")) (header: \(Self.columns.joined(separator: ",")))")
                    }
                    let unread = names.filter { !Self.columns.contains($0) }
                    if !unread.isEmpty {
                        warnings.append(InputError(file: file, line: record.line, message: "columns not read: \(unread.joined(separator: ", "))"))
                    }
                    header = names
                    return
                }
                let row = Row(fields: record.fields, index: index, columnCount: columns.count, file: file, line: record.line)
                let id = row["id"] ?? ""
                if let order = pending, !id.isEmpty, order.id == id {
                    guard order.event != nil else { return }  // the rest of an invalid order
                    do {
                        try row.continueOrder(&pending!)
                    } catch let issue as InputError {
                        pending!.event = nil
                        try body(.invalid(issue))
                    }
                    return
                }
                try flush()
                guard record.fields.count == columns.count else {
                    try body(.invalid(InputError(file: file, line: record.line,
                                                 message: "expected \(columns.count) fields, got \(record.fields.count)")))
                    if row.isOrder { pending = PendingOrder(id: id, event: nil, line: record.line, rowLines: []) }
                    return
                }
                // Only the row's own problem is an invalid event; what `body` throws (ingest
                // refusing the batch) ends the read.
                let event: Event
                do {
                    event = try row.event()
                } catch let issue as InputError {
                    try body(.invalid(issue))
                    if row.isOrder && !id.isEmpty { pending = PendingOrder(id: id, event: nil, line: record.line, rowLines: []) }
                    return
                }
                if EventValidator.isOrder(event.type) {
                    pending = PendingOrder(id: id, event: event, line: record.line, rowLines: [record.line])
                } else {
                    try body(.event(event, line: record.line, rowLines: nil))
                }
            }
        } catch let error as EventCSVRecords.SyntaxError {
            try flush()
            // A syntax error (unterminated quote, bad UTF-8) leaves the rest of the file unreadable.
            try body(.invalid(error.issue.naming(header: header)))
            return warnings
        }
        try flush()
        if header == nil { throw InputError(file: file, line: 0, message: "empty file: no header row") }
        return warnings
    }
}

/// An order read so far: its event, the line it starts on, the line of each order line;
/// `event` nil once a row made it invalid (its remaining rows are skipped).
private struct PendingOrder {
    var id: String
    var event: Event?
    var line: Int
    var rowLines: [Int]
}

/// One data row, by column name.
private struct Row {
    let fields: [String]
    let index: [String: Int]
    let columnCount: Int
    let file: String
    let line: Int

    /// The cell of `column`, nil when absent or empty.
    subscript(_ column: String) -> String? {
        guard let i = index[column], i < fields.count, !fields[i].isEmpty else { return nil }
        return fields[i]
    }

    var isOrder: Bool { EventType(rawValue: self["type"] ?? "").map(EventValidator.isOrder) ?? false }

    private func issue(_ column: String, _ message: String) -> InputError {
        let id = self["id"].map { " (event \($0))" } ?? ""
        return InputError(file: file, line: line, field: column, message: message + id)
    }

    private func number(_ column: String) throws -> Double? {
        guard let text = self[column] else { return nil }
        guard let value = MagentoFields.parseDecimal(text) else { throw issue(column, "not a number: \(String(reflecting: text))") }
        return value
    }

    private func time() throws -> Int64 {
        guard let text = self["time"] else { throw issue("time", "missing") }
        guard let milliseconds = EventTime.parse(text) else {
            throw issue("time", "bad time \(String(reflecting: text)): give ISO 8601 with a zone (2024-05-01T10:00:00Z) or Unix milliseconds")
        }
        return milliseconds
    }

    private func orderLine() throws -> OrderLine {
        guard let quantity = try number("quantity") else { throw issue("quantity", "missing (an order line needs a quantity)") }
        guard let price = try number("price") else { throw issue("price", "missing (an order line needs a price)") }
        return OrderLine(sku: self["sku"] ?? "", parentSKU: self["parent_sku"], quantity: quantity, price: price)
    }

    func event() throws -> Event {
        guard let typeText = self["type"] else { throw issue("type", "missing or empty") }
        guard let type = EventType(rawValue: typeText) else { throw issue("type", "unknown event type \(String(reflecting: typeText))") }
        let milliseconds = try time()
        var event = Event(id: self["id"] ?? "", type: type, time: EventTime.date(milliseconds), store: self["store"] ?? "default",
                          visitorID: self["visitor_id"] ?? "", customerID: self["customer_id"], sessionID: self["session_id"] ?? "",
                          category: self["category"], orderID: self["order_id"], unitID: self["unit_id"],
                          variant: self["variant"])
        if EventValidator.isOrder(type) {
            event.lines = [try orderLine()]
        } else {
            if self["parent_sku"] != nil { throw issue("parent_sku", "only order lines have a parent SKU") }
            event.sku = self["sku"]
            event.quantity = try number("quantity")
            event.price = try number("price")
        }
        return event
    }

    /// Adds this row as the next line of the order in `pending`, after checking it repeats the order's fields.
    func continueOrder(_ pending: inout PendingOrder) throws {
        guard fields.count == columnCount else {
            throw InputError(file: file, line: line, message: "expected \(columnCount) fields, got \(fields.count)")
        }
        let first = pending.event!
        let milliseconds = try time()
        let checks: [(String, String?, String?)] = [
            ("type", self["type"], first.type.rawValue), ("store", self["store"] ?? "default", first.store),
            ("visitor_id", self["visitor_id"], first.visitorID.isEmpty ? nil : first.visitorID),
            ("customer_id", self["customer_id"], first.customerID), ("session_id", self["session_id"], first.sessionID.isEmpty ? nil : first.sessionID),
            ("order_id", self["order_id"], first.orderID),
        ]
        for (column, value, expected) in checks where value != expected {
            throw issue(column, "\(String(reflecting: value ?? "")) differs from the order's first row (line \(pending.line)): \(String(reflecting: expected ?? ""))")
        }
        if EventTime.milliseconds(first.time) != milliseconds {
            throw issue("time", "differs from the order's first row (line \(pending.line))")
        }
        pending.event!.lines.append(try orderLine())
        pending.rowLines.append(line)
    }
}
