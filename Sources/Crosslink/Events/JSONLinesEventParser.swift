import Foundation

/// Reads the JSON Lines event format: one JSON object per line, UTF-8, blank lines skipped.
///
/// ```json
/// {"id":"e-1","type":"product-view","time":"2024-05-01T10:00:00.250Z","store":"default","visitor_id":"v-42","session_id":"s-7","sku":"24-MB01"}
/// {"id":"e-2","type":"add-to-cart","time":1714557660000,"visitor_id":"v-42","customer_id":"c-9","session_id":"s-7","sku":"24-MB01","quantity":2,"price":34}
/// {"id":"e-3","type":"place-order","time":"2024-05-01T12:02:00+02:00","visitor_id":"v-42","session_id":"s-7","order_id":"100001",
///  "lines":[{"sku":"MH01-XS-Black","parent_sku":"MH01","quantity":1,"price":52}]}
/// ```
/// (the third event is one line in a file).
///
/// | key | value |
/// |---|---|
/// | `id` | the sender's event id (string or integer): a second delivery is ignored |
/// | `type` | `page-view`, `product-view`, `category-view`, `add-to-cart`, `remove-from-cart`, `place-order`, `cancel-order`, `recs-unit-render`, `recs-unit-view`, `recs-item-click`, `recs-add-to-cart-click` |
/// | `time` | ISO 8601 with a zone (`Z`, `+02:00`), or Unix milliseconds as an integer; kept to the millisecond |
/// | `store` | store view code; default `default` |
/// | `visitor_id`, `session_id` | required; `customer_id` optional |
/// | `sku` | product events and `recs-item-click`/`recs-add-to-cart-click` |
/// | `category` | `category-view`: a category id or name path (`Gear/Bags` or `Default Category/Gear/Bags`) |
/// | `order_id`, `lines` | `place-order`/`cancel-order`: `lines` is an array of `{sku, parent_sku?, quantity, price}` |
/// | `unit_id` | `recs-*` events |
/// | `variant` | `recs-*` events: the unit's variant the visitor was assigned (absent = `A`) |
/// | `quantity`, `price` | numbers; optional on cart events |
///
/// Ids may be JSON strings or integers (`"customer_id": 17850` reads as `"17850"`); `null` is
/// the same as an absent key; other keys are ignored. A line that is not such an object (bad
/// JSON, unknown type, bad time, a field of the wrong JSON type) is an issue naming the line
/// and field; whether a readable event may be stored is checked by ingest (``EventStore``).
public struct JSONLinesEventParser: Sendable {
    public let data: Data
    public let file: String

    public init(data: Data, file: String) {
        self.data = data
        self.file = file
    }

    /// Writes one event as a JSON Lines line (no trailing newline): keys in the table's
    /// order, absent values left out, times as UTC ISO 8601 with milliseconds.
    public static func line(_ event: Event) -> String {
        var out = "{"
        func key(_ name: String) { out += (out.count > 1 ? "," : "") + "\"\(name)\":" }
        func string(_ name: String, _ value: String?) {
            guard let value else { return }
            key(name)
            out += jsonString(value)
        }
        func number(_ name: String, _ value: Double?) {
            guard let value else { return }
            key(name)
            out += MagentoFields.formatDecimal(value)
        }
        string("id", event.id)
        string("type", event.type.rawValue)
        key("time")
        out += "\"" + EventTime.format(EventTime.milliseconds(event.time) ?? 0) + "\""
        string("store", event.store)
        string("visitor_id", event.visitorID)
        string("customer_id", event.customerID)
        string("session_id", event.sessionID)
        string("sku", event.sku)
        string("category", event.category)
        string("order_id", event.orderID)
        if !event.lines.isEmpty {
            key("lines")
            out += "[" + event.lines.map { line in
                var item = "{\"sku\":" + jsonString(line.sku)
                if let parent = line.parentSKU { item += ",\"parent_sku\":" + jsonString(parent) }
                return item + ",\"quantity\":\(MagentoFields.formatDecimal(line.quantity)),\"price\":\(MagentoFields.formatDecimal(line.price))}"
            }.joined(separator: ",") + "]"
        }
        string("unit_id", event.unitID)
        string("variant", event.variant)
        number("quantity", event.quantity)
        number("price", event.price)
        return out + "}"
    }

    /// A JSON string literal (RFC 8259 escapes; other characters as UTF-8).
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    func forEach(_ body: (EventFileReader.Item) throws -> Void) throws {
        var lines = EventLineReader(try EventFileInput(data: data, file: file, limits: EventFileLimits()))
        try Self.forEach(&lines, body)
    }

    /// Reads the events of `lines` (a stream: one line in memory at a time).
    static func forEach(_ lines: inout EventLineReader, _ body: (EventFileReader.Item) throws -> Void) throws {
        let decoder = JSONDecoder()
        let file = lines.input.file
        while let (lineNumber, slice) = try lines.next() {
            // Only the line's own problem is an invalid event; what `body` throws (ingest
            // refusing the batch) ends the read.
            let item: EventFileReader.Item
            do {
                item = try decoder.decode(WireEvent.self, from: slice).event(file: file, line: lineNumber)
            } catch let error as DecodingError {
                item = .invalid(Self.issue(error, file: file, line: lineNumber))
            } catch let issue as InputError {
                item = .invalid(issue)
            } catch let long as FieldTooLong {
                // A limit bounds memory: like CSVReader's, it refuses the file, not the line.
                throw InputError(file: file, line: lineNumber, field: long.field,
                                 message: "field of \(long.bytes) bytes is longer than the \(Self.maximumFieldBytes)-byte limit")
            }
            try body(item)
        }
    }

    /// Largest string field, in UTF-8 bytes: the same 1 MiB as ``CSVLimits/maximumFieldBytes``.
    public static let maximumFieldBytes = CSVLimits().maximumFieldBytes

    static func issue(_ error: DecodingError, file: String, line: Int) -> InputError {
        func path(_ codingPath: [any CodingKey]) -> String? {
            guard !codingPath.isEmpty else { return nil }
            var text = ""
            for key in codingPath {
                if let index = key.intValue { text += "[\(index + 1)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
            }
            return text
        }
        switch error {
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            let expected = type == Double.self ? "a number" : type is any Collection.Type ? "an array" : type == String.self ? "a string" : "an object"
            guard let field = path(context.codingPath) else { return InputError(file: file, line: line, message: "not a JSON object") }
            return InputError(file: file, line: line, field: field, message: "expected \(expected)")
        case .keyNotFound(let key, let context):
            let field = (path(context.codingPath).map { $0 + "." } ?? "") + key.stringValue
            return InputError(file: file, line: line, field: field, message: "missing")
        case .dataCorrupted(let context):
            if let field = path(context.codingPath) {
                return InputError(file: file, line: line, field: field, message: context.debugDescription)
            }
            return InputError(file: file, line: line, message: "malformed JSON")
        @unknown default:
            return InputError(file: file, line: line, message: "malformed JSON")
        }
    }
}

/// A string field over ``JSONLinesEventParser/maximumFieldBytes``.
private struct FieldTooLong: Error { var field: String; var bytes: Int }

/// A JSON string, or an integer read as its digits (ids are often numbers).
private struct LenientString: Decodable {
    var value: String
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            if text.utf8.count > JSONLinesEventParser.maximumFieldBytes {
                throw FieldTooLong(field: decoder.codingPath.map { $0.intValue.map { "[\($0 + 1)]" } ?? $0.stringValue }.joined(separator: "."),
                                   bytes: text.utf8.count)
            }
            value = text
        } else if let number = try? container.decode(Int64.self) {
            value = String(number)
        } else {
            throw DecodingError.typeMismatch(String.self, .init(codingPath: decoder.codingPath, debugDescription: "expected a string"))
        }
    }
}

/// `time`: ISO 8601 text or Unix milliseconds.
private struct WireTime: Decodable {
    var milliseconds: Int64?
    var text: String
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self.text = text
            milliseconds = EventTime.parse(text)
        } else if let number = try? container.decode(Double.self) {
            text = MagentoFields.formatDecimal(number)
            milliseconds = number == number.rounded() && Double(EventTime.validRange.lowerBound)...Double(EventTime.validRange.upperBound) ~= number
                ? Int64(number) : nil
        } else {
            throw DecodingError.typeMismatch(String.self, .init(codingPath: decoder.codingPath, debugDescription: "expected a string"))
        }
    }
}

private struct WireLine: Decodable {
    var sku: LenientString?
    var parentSKU: LenientString?
    var quantity: Double?
    var price: Double?
    enum CodingKeys: String, CodingKey { case sku, parentSKU = "parent_sku", quantity, price }
}

private struct WireEvent: Decodable {
    var id: LenientString?
    var type: String?
    var time: WireTime?
    var store: LenientString?
    var visitorID: LenientString?
    var customerID: LenientString?
    var sessionID: LenientString?
    var sku: LenientString?
    var category: LenientString?
    var orderID: LenientString?
    var lines: [WireLine]?
    var unitID: LenientString?
    var variant: LenientString?
    var quantity: Double?
    var price: Double?

    enum CodingKeys: String, CodingKey {
        case id, type, time, store, visitorID = "visitor_id", customerID = "customer_id", sessionID = "session_id"
        case sku, category, orderID = "order_id", lines, unitID = "unit_id", variant, quantity, price
    }

    func event(file: String, line: Int) throws -> EventFileReader.Item {
        let eventID = id?.value ?? ""
        let suffix = eventID.isEmpty ? "" : " (event \(eventID))"
        guard let typeText = type, !typeText.isEmpty else {
            throw InputError(file: file, line: line, field: "type", message: "missing or empty\(suffix)")
        }
        guard let type = EventType(rawValue: typeText) else {
            throw InputError(file: file, line: line, field: "type", message: "unknown event type \(String(reflecting: typeText))\(suffix)")
        }
        guard let time else { throw InputError(file: file, line: line, field: "time", message: "missing\(suffix)") }
        guard let milliseconds = time.milliseconds else {
            throw InputError(file: file, line: line, field: "time", message: "bad time \(String(reflecting: time.text)): "
                             + "give ISO 8601 with a zone (2024-05-01T10:00:00Z) or Unix milliseconds\(suffix)")
        }
        var orderLines: [OrderLine] = []
        for (index, wire) in (lines ?? []).enumerated() {
            func missing(_ field: String) -> InputError {
                InputError(file: file, line: line, field: "lines[\(index + 1)].\(field)", message: "missing\(suffix)")
            }
            guard let quantity = wire.quantity else { throw missing("quantity") }
            guard let price = wire.price else { throw missing("price") }
            orderLines.append(OrderLine(sku: wire.sku?.value ?? "", parentSKU: wire.parentSKU?.value, quantity: quantity, price: price))
        }
        let event = Event(id: eventID, type: type, time: EventTime.date(milliseconds), store: store?.value ?? "default",
                          visitorID: visitorID?.value ?? "", customerID: customerID?.value, sessionID: sessionID?.value ?? "",
                          sku: sku?.value, category: category?.value, orderID: orderID?.value, lines: orderLines,
                          unitID: unitID?.value, variant: variant?.value, quantity: quantity, price: price)
        return .event(event, line: line, rowLines: nil)
    }
}
