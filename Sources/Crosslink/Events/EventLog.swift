import Foundation

/// Reads the stored event log: the events back as sent, and counts over them.
///
/// ```swift
/// let stats = try store.read { db in try EventLog(db).stats() }
/// print(stats.events, stats.byType["place-order"] ?? 0, stats.unknownSKUs)
/// ```
public struct EventLog {
    let db: Database
    public init(_ db: Database) { self.db = db }

    /// Every stored event in ingest order (`event_seq`), with its lines, as it was sent.
    public func events() throws -> [Event] {
        var lines: [Int: [OrderLine]] = [:]
        try db.prepare("SELECT event_seq, sku, parent_sku, quantity, price FROM event_lines ORDER BY event_seq, line").forEachRow { row in
            lines[row.int(at: 0), default: []].append(
                OrderLine(sku: row.text(at: 1), parentSKU: row.optionalText(at: 2), quantity: row.double(at: 3), price: row.double(at: 4)))
        }
        return try db.prepare("""
            SELECT e.event_seq, e.event_key, e.type, e.occurred_at, s.code, e.visitor_id, e.customer_id, e.session_id,
                   e.sku, e.category, e.order_id, e.unit_id, e.quantity, e.price, e.variant
            FROM events AS e JOIN stores AS s ON s.store_id = e.store_id
            ORDER BY e.event_seq
            """).map { row in
            Event(id: row.text(at: 1), type: EventType(rawValue: row.text(at: 2))!, time: EventTime.date(Int64(row.int(at: 3))),
                  store: row.text(at: 4), visitorID: row.text(at: 5), customerID: row.optionalText(at: 6), sessionID: row.text(at: 7),
                  sku: row.optionalText(at: 8), category: row.optionalText(at: 9), orderID: row.optionalText(at: 10),
                  lines: lines[row.int(at: 0)] ?? [], unitID: row.optionalText(at: 11), variant: row.optionalText(at: 14),
                  quantity: row.optionalDouble(at: 12),
                  price: row.optionalDouble(at: 13))
        }
    }

    /// Counts over the whole log.
    public func stats() throws -> EventStats {
        var stats = EventStats()
        for type in EventType.allCases { stats.byType[type.rawValue] = 0 }
        try db.prepare("SELECT type, count(*) FROM events GROUP BY type").forEachRow { row in
            stats.byType[row.text(at: 0)] = row.int(at: 1)
        }
        stats.events = stats.byType.values.reduce(0, +)
        try db.prepare("""
            SELECT min(occurred_at), max(occurred_at), count(DISTINCT visitor_id), count(DISTINCT session_id),
                   count(DISTINCT customer_id), count(DISTINCT order_id)
            FROM events
            """).forEachRow { row in
            stats.first = row.optionalInt(at: 0).map { EventTime.format(Int64($0)) }
            stats.last = row.optionalInt(at: 1).map { EventTime.format(Int64($0)) }
            stats.visitors = row.int(at: 2)
            stats.sessions = row.int(at: 3)
            stats.customers = row.int(at: 4)
            stats.orders = row.int(at: 5)
        }
        stats.orderLines = try db.scalarInt("SELECT count(*) FROM event_lines") ?? 0
        // SKUs compare as the catalog does (case-insensitively: ASCII letters, as SQLite's NOCASE
        // and PostgreSQL's lower() on the "C" collation of its sku columns fold them).
        let unknown = """
            SELECT sku FROM events WHERE sku IS NOT NULL AND product_id IS NULL
            UNION ALL SELECT sku FROM event_lines WHERE product_id IS NULL
            """
        let folded = db.engine == .sqlite ? "sku COLLATE NOCASE" : "lower(sku)"
        try db.prepare("SELECT count(DISTINCT \(folded)), count(*) FROM (\(unknown)) AS u").forEachRow { row in
            stats.unknownSKUs = row.int(at: 0)
            stats.unknownSKURows = row.int(at: 1)
        }
        stats.topUnknownSKUs = try db.prepare("""
            SELECT min(sku), count(*) AS n FROM (\(unknown)) AS u GROUP BY \(folded) ORDER BY n DESC, 1 LIMIT 10
            """).map { EventStats.SKUCount(sku: $0.text(at: 0), count: $0.int(at: 1)) }
        stats.unknownCategories = try db.scalarInt(
            "SELECT count(DISTINCT category) FROM events WHERE category IS NOT NULL AND category_id IS NULL") ?? 0
        return stats
    }
}

/// Counts over the stored event log.
public struct EventStats: Sendable, Equatable, Codable {
    public struct SKUCount: Sendable, Equatable, Codable {
        public var sku: String
        public var count: Int
    }

    public var events = 0
    /// Events per type; every type is listed, 0 included.
    public var byType: [String: Int] = [:]
    /// Lines of place-order and cancel-order events.
    public var orderLines = 0
    /// The earliest and latest event times (UTC ISO 8601); nil for an empty log.
    public var first: String?
    public var last: String?
    public var visitors = 0
    public var sessions = 0
    public var customers = 0
    /// Distinct order ids (place-order and cancel-order).
    public var orders = 0
    /// Distinct SKUs (case-insensitive) of stored events and order lines that are not in the catalog.
    public var unknownSKUs = 0
    /// Events and order lines with such a SKU.
    public var unknownSKURows = 0
    /// The most frequent unknown SKUs (at most 10).
    public var topUnknownSKUs: [SKUCount] = []
    /// Distinct category texts of category views that are not in the catalog.
    public var unknownCategories = 0

    public init() {}
}
