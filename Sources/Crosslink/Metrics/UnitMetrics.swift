import Foundation

/// What to measure: which dimensions to keep, which days, store and unit.
///
/// ```swift
/// var query = UnitMetricsQuery(by: [.day])          // one row per day, every unit summed
/// query.from = "2024-05-01"; query.to = "2024-05-07"
/// query.store = "default"
/// ```
public struct UnitMetricsQuery: Sendable, Equatable {
    /// A dimension rows are grouped by. `unit` keeps the store too (units belong to a store);
    /// `variant` implies `unit` (variant names are per unit).
    public enum Dimension: String, Sendable, CaseIterable, Codable {
        case day, unit, variant
    }

    public var by: Set<Dimension>
    /// First and last UTC day, inclusive (`YYYY-MM-DD`); nil = open.
    public var from: String?
    public var to: String?
    /// Store view code; nil = every store.
    public var store: String?
    /// A unit id as unit events carry it (`events.unit_id`); nil = every unit.
    public var unitID: String?

    public init(by: Set<Dimension> = [.unit, .variant], from: String? = nil, to: String? = nil,
                store: String? = nil, unitID: String? = nil) {
        self.by = by.contains(.variant) ? by.union([.unit]) : by
        self.from = from; self.to = to; self.store = store; self.unitID = unitID
    }

    /// The UTC day of `date`, as ``from`` and ``to`` take it.
    public static func day(_ date: Date) -> String {
        String(EventTime.format(EventTime.milliseconds(date) ?? 0).prefix(10))
    }
}

/// One row of unit metrics (definitions: `Migrations/0006_unit_metrics.sql`, README "Unit
/// metrics"). The dimension fields not grouped by are nil.
public struct UnitMetricsRow: Sendable, Equatable, Codable {
    public var store: String?
    public var unitID: String?
    /// The unit's name in the units table; nil for a unit id the table does not have.
    public var unitName: String?
    public var variant: String?
    public var day: String?
    /// recs-unit-render events.
    public var impressions: Int
    /// Renders viewed at least once.
    public var vImpressions: Int
    /// recs-unit-view events (may repeat per render).
    public var views: Int
    /// Item clicks + add-to-cart clicks.
    public var clicks: Int
    public var itemClicks: Int
    public var cartClicks: Int
    /// Orders with revenue attributed in the session of a click.
    public var orders: Int
    /// Order lines of a clicked SKU (or its parent) ordered in the click's session, after it.
    public var revenue: Double
    /// The same for any later order of the visitor.
    public var lifetimeRevenue: Double
    /// views / impressions; nil without impressions.
    public var viewability: Double?
    /// clicks / impressions.
    public var ctr: Double?
    /// clicks / vImpressions.
    public var vctr: Double?

    public init(store: String? = nil, unitID: String? = nil, unitName: String? = nil, variant: String? = nil, day: String? = nil,
                impressions: Int = 0, vImpressions: Int = 0, views: Int = 0, itemClicks: Int = 0, cartClicks: Int = 0,
                orders: Int = 0, revenue: Double = 0, lifetimeRevenue: Double = 0) {
        self.store = store; self.unitID = unitID; self.unitName = unitName; self.variant = variant; self.day = day
        self.impressions = impressions; self.vImpressions = vImpressions; self.views = views
        self.itemClicks = itemClicks; self.cartClicks = cartClicks; self.clicks = itemClicks + cartClicks
        self.orders = orders; self.revenue = revenue; self.lifetimeRevenue = lifetimeRevenue
        func ratio(_ a: Int, _ b: Int) -> Double? { b == 0 ? nil : Double(a) / Double(b) }
        viewability = ratio(views, impressions)
        ctr = ratio(clicks, impressions)
        vctr = ratio(clicks, vImpressions)
    }
}

/// Reads the unit metrics views of `Migrations/0006_unit_metrics.sql`: per unit, variant, store
/// and day, or any coarser grouping, over a range of days.
///
/// ```swift
/// let rows = try store.read { db in
///     try UnitMetrics(db).rows(UnitMetricsQuery(by: [.unit, .variant], from: "2024-05-01", store: "default"))
/// }
/// for row in rows { print(row.unitName ?? row.unitID!, row.variant!, row.impressions, row.ctr ?? 0) }
/// let total = try store.read { db in try UnitMetrics(db).totals(UnitMetricsQuery()) }
/// ```
public struct UnitMetrics {
    let db: Database
    public init(_ db: Database) { self.db = db }

    /// Rows grouped by `query.by`, ordered by store, unit id (numerically when it is a number),
    /// variant and day.
    public func rows(_ query: UnitMetricsQuery) throws -> [UnitMetricsRow] {
        let (filter, arguments) = try filters(query)
        // Column names come from this fixed list, never from the query's text.
        let dimensions: [(UnitMetricsQuery.Dimension, [String])] = [
            (.unit, ["m.store_id", "m.unit_id"]), (.variant, ["m.variant"]), (.day, ["m.day"]),
        ]
        let grouped = dimensions.filter { query.by.contains($0.0) }.flatMap(\.1)
        let selected: [String] = [
            query.by.contains(.unit) ? "s.code" : "NULL", query.by.contains(.unit) ? "m.unit_id" : "NULL",
            query.by.contains(.unit) ? "u.name" : "NULL", query.by.contains(.variant) ? "m.variant" : "NULL",
            query.by.contains(.day) ? "m.day" : "NULL",
        ]
        // The store's code and the unit's name follow from the grouped ids; PostgreSQL still
        // wants every selected column grouped.
        let groupBy = grouped + (query.by.contains(.unit) ? ["s.code", "u.name"] : [])
        // SQLite's CAST reads an id's leading digits (0 when none); PostgreSQL's would fail on a
        // unit id that is not a number, and its units.unit_id (bigint) compares with text only cast.
        let sqlite = db.engine == .sqlite
        let numericUnit = sqlite ? "CAST(m.unit_id AS INTEGER)" : "coalesce(CAST(substring(m.unit_id FROM '^[0-9]+') AS numeric), 0)"
        let order = query.by.contains(.unit) ? ["s.code", numericUnit] + grouped.dropFirst() : grouped
        let total = { (column: String) in sqlite ? "total(\(column))" : "coalesce(sum(\(column)), 0)" }
        // Each source view is filtered on its own so the conditions reach its index scan.
        let sql = """
            WITH merged AS (
                SELECT store_id, unit_id, variant, day, impressions, v_impressions, views, item_clicks, cart_clicks,
                       0 AS orders, 0.0 AS revenue, 0.0 AS lifetime_revenue
                FROM unit_daily_counts \(filter)
                UNION ALL
                SELECT store_id, unit_id, variant, day, 0, 0, 0, 0, 0, orders, revenue, lifetime_revenue
                FROM unit_daily_revenue \(filter)
            )
            SELECT \(selected.joined(separator: ", ")),
                   \(["impressions", "v_impressions", "views", "item_clicks", "cart_clicks", "orders", "revenue", "lifetime_revenue"]
                        .map { total("m." + $0) }.joined(separator: ", "))
            FROM merged AS m
            JOIN stores AS s ON s.store_id = m.store_id
            LEFT JOIN units AS u ON \(sqlite ? "u.unit_id" : "CAST(u.unit_id AS text)") = m.unit_id AND u.store_id = m.store_id
            \(grouped.isEmpty ? "" : "GROUP BY " + groupBy.joined(separator: ", "))
            \(order.isEmpty ? "" : "ORDER BY " + order.joined(separator: ", "))
            """
        return try db.prepare(sql).map(arguments + arguments) { row in
            UnitMetricsRow(store: row.optionalText(at: 0), unitID: row.optionalText(at: 1), unitName: row.optionalText(at: 2),
                           variant: row.optionalText(at: 3), day: row.optionalText(at: 4),
                           impressions: row.int(at: 5), vImpressions: row.int(at: 6), views: row.int(at: 7),
                           itemClicks: row.int(at: 8), cartClicks: row.int(at: 9), orders: row.int(at: 10),
                           revenue: row.double(at: 11), lifetimeRevenue: row.double(at: 12))
        }
    }

    /// The WHERE clause on `day`, `store_id` and `unit_id` of one source view (empty when the
    /// query selects everything) and its arguments.
    func filters(_ query: UnitMetricsQuery) throws -> (String, [any DatabaseValueConvertible]) {
        var filters: [String] = []
        var arguments: [any DatabaseValueConvertible] = []
        for (column, value, op) in [("day", query.from, ">="), ("day", query.to, "<=")] {
            guard let value else { continue }
            guard Self.isDay(value) else {
                throw RequestError(.invalidOption, "bad day \(String(reflecting: value)): give YYYY-MM-DD (UTC)")
            }
            filters.append("\(column) \(op) ?")
            arguments.append(value)
        }
        if let code = query.store {
            guard let storeID = try db.scalarInt("SELECT store_id FROM stores WHERE code = ?", [code]) else {
                throw RequestError.unknownStore(code)
            }
            filters.append("store_id = ?")
            arguments.append(storeID)
        }
        if let unit = query.unitID {
            filters.append("unit_id = ?")
            arguments.append(unit)
        }
        return (filters.isEmpty ? "" : "WHERE " + filters.joined(separator: " AND "), arguments)
    }

    /// Everything `query` selects summed into one row (its dimensions are ignored).
    public func totals(_ query: UnitMetricsQuery) throws -> UnitMetricsRow {
        var all = query
        all.by = []
        return try rows(all).first ?? UnitMetricsRow()
    }

    /// The unit id events carry for `text`: the id of the unit named `text` (in `store`, when
    /// given), else `text` itself (an id).
    public func unitID(for text: String, store: String? = nil) throws -> String {
        let id = try db.scalarInt("""
            SELECT u.unit_id FROM units AS u JOIN stores AS s ON s.store_id = u.store_id
            WHERE u.name = ?1 AND (CAST(?2 AS TEXT) IS NULL OR s.code = ?2) ORDER BY u.unit_id LIMIT 1
            """, [text, store])
        return id.map(String.init) ?? text
    }

    static func isDay(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == 0x2D, bytes[7] == 0x2D,
              bytes.enumerated().allSatisfy({ $0.offset == 4 || $0.offset == 7 || EventTime.isDigit($0.element) }) else { return false }
        return EventTime.parse(text + "T00:00:00Z") != nil
    }
}
