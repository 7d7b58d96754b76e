import Foundation
import Testing
@testable import Crosslink

/// A hand-built unit event log on ``eventTestStore()`` (P1, P2, configurable CFG with child
/// CFG-S; stores default and fr). Day 1 = 2024-05-01, day 2 = 2024-05-02 (UTC).
///
/// RecommendationUnit "1" (in the units table, named with HTML specials), variant A:
/// - s1/v1: render r1 at 0 s, views at 1 and 2 (both r1's), render r2 at 10 (never viewed: the
///   next view comes after r3), render r3 at 20, view at 21, item click P1 at 22, cart click CFG
///   at 23, order o1 at 30: P1 2×10 (clicked) + CFG-S 1×30 with parent_sku CFG (clicked parent) +
///   P2 1×5 (not clicked by unit 1) → revenue 50.
/// - s2/v1 (day 2, variant "A" sent explicitly, no click): order o2: CFG-S 1×30 without
///   parent_sku (its catalog parent CFG was clicked) + P1 1×10 → lifetime only, 40.
/// - s4/v3: render at 50, no view; order o4 of P1 at 60 without any click → nothing.
/// - s5/v4: a view at 70 without a render → a view, no vImpression.
/// RecommendationUnit "1", variant B:
/// - s3/v2: order o3 of P2 at 39 (before the click → nothing), render at 40, view at 41, item
///   click P2 at 42, order o5 at 45 of P1 only (not clicked) → nothing.
/// - s6/v5 (day 2): render, cart click P2 (no view), order o6: P2 3×5 → revenue 15.
/// RecommendationUnit "u-x" (not in the units table), store fr, variant A, s1/v1: render and view at 5 s (same
/// millisecond), item click P2 at 6 → o1's P2 line → 5.
enum UnitMetricsFixture {
    static let day2 = 86_400.0

    static var events: [Event] {
        func unit(_ id: String, _ type: EventType, _ seconds: Double, _ visitor: String, _ session: String,
                  sku: String? = nil, variant: String? = nil, store: String = "default") -> Event {
            Event(id: "\(id)", type: type, time: at(seconds), store: store, visitorID: visitor, sessionID: session,
                  sku: sku, unitID: id.hasPrefix("x") ? "u-x" : "1", variant: variant)
        }
        func order(_ id: String, _ seconds: Double, _ visitor: String, _ session: String, _ lines: [OrderLine]) -> Event {
            Event(id: id, type: .placeOrder, time: at(seconds), visitorID: visitor, sessionID: session, orderID: id, lines: lines)
        }
        return [
            unit("a01", .recsUnitRender, 0, "v1", "s1"),
            unit("a02", .recsUnitView, 1, "v1", "s1"),
            unit("a03", .recsUnitView, 2, "v1", "s1"),
            unit("x01", .recsUnitRender, 5, "v1", "s1", store: "fr"),
            unit("x02", .recsUnitView, 5, "v1", "s1", store: "fr"),
            unit("x03", .recsItemClick, 6, "v1", "s1", sku: "P2", store: "fr"),
            unit("a04", .recsUnitRender, 10, "v1", "s1"),
            unit("a05", .recsUnitRender, 20, "v1", "s1"),
            unit("a06", .recsUnitView, 21, "v1", "s1"),
            unit("a07", .recsItemClick, 22, "v1", "s1", sku: "P1"),
            unit("a08", .recsAddToCartClick, 23, "v1", "s1", sku: "CFG"),
            order("o1", 30, "v1", "s1", [OrderLine(sku: "P1", quantity: 2, price: 10),
                                         OrderLine(sku: "CFG-S", parentSKU: "CFG", quantity: 1, price: 30),
                                         OrderLine(sku: "P2", quantity: 1, price: 5)]),
            order("o3", 39, "v2", "s3", [OrderLine(sku: "P2", quantity: 1, price: 5)]),
            unit("b01", .recsUnitRender, 40, "v2", "s3", variant: "B"),
            unit("b02", .recsUnitView, 41, "v2", "s3", variant: "B"),
            unit("b03", .recsItemClick, 42, "v2", "s3", sku: "P2", variant: "B"),
            order("o5", 45, "v2", "s3", [OrderLine(sku: "P1", quantity: 1, price: 10)]),
            unit("a09", .recsUnitRender, 50, "v3", "s4", variant: "A"),
            order("o4", 60, "v3", "s4", [OrderLine(sku: "P1", quantity: 1, price: 10)]),
            unit("a10", .recsUnitView, 70, "v4", "s5"),
            order("o2", day2 + 100, "v1", "s2", [OrderLine(sku: "CFG-S", quantity: 1, price: 30),
                                                 OrderLine(sku: "P1", quantity: 1, price: 10)]),
            unit("b04", .recsUnitRender, day2 + 10, "v5", "s6", variant: "B"),
            unit("b05", .recsAddToCartClick, day2 + 11, "v5", "s6", sku: "P2", variant: "B"),
            order("o6", day2 + 20, "v5", "s6", [OrderLine(sku: "P2", quantity: 3, price: 5)]),
        ]
    }

    static let unitName = #"Home <picks> & "more""#

    /// The store with the log and unit 1 in the units table.
    static func store() throws -> (TemporaryDirectory, CrosslinkStore) {
        let (dir, store) = try eventTestStore()
        try store.write { db in
            try db.execute("INSERT INTO units(unit_id, store_id, name, page_type, status) VALUES (1, 1, ?, 'home', 'active')", [unitName])
        }
        let report = try EventStore(store: store).append(events)
        precondition(report.stored == events.count && report.rejected.isEmpty, "\(report.rejected)")
        return (dir, store)
    }
}

@Suite struct UnitMetricsTests {
    static func row(_ store: String?, _ unit: String?, _ name: String?, _ variant: String?, _ day: String?,
                    impressions: Int, vImpressions: Int, views: Int, itemClicks: Int, cartClicks: Int,
                    orders: Int, revenue: Double, lifetime: Double) -> UnitMetricsRow {
        UnitMetricsRow(store: store, unitID: unit, unitName: name, variant: variant, day: day, impressions: impressions,
                       vImpressions: vImpressions, views: views, itemClicks: itemClicks, cartClicks: cartClicks,
                       orders: orders, revenue: revenue, lifetimeRevenue: lifetime)
    }

    static let name = UnitMetricsFixture.unitName

    @Test func perUnitAndVariantMatchTheHandCount() throws {
        let (_, store) = try UnitMetricsFixture.store()
        let rows = try store.read { db in try UnitMetrics(db).rows(UnitMetricsQuery()) }
        #expect(rows == [
            Self.row("default", "1", Self.name, "A", nil, impressions: 4, vImpressions: 2, views: 4, itemClicks: 1, cartClicks: 1,
                     orders: 1, revenue: 50, lifetime: 90),
            Self.row("default", "1", Self.name, "B", nil, impressions: 2, vImpressions: 1, views: 1, itemClicks: 1, cartClicks: 1,
                     orders: 1, revenue: 15, lifetime: 15),
            Self.row("fr", "u-x", nil, "A", nil, impressions: 1, vImpressions: 1, views: 1, itemClicks: 1, cartClicks: 0,
                     orders: 1, revenue: 5, lifetime: 5),
        ])
        // Ratios: A viewability 4/4, CTR 2/4, vCTR 2/2; B 1/2, 2/2, 2/1.
        #expect(rows[0].viewability == 1 && rows[0].ctr == 0.5 && rows[0].vctr == 1)
        #expect(rows[1].viewability == 0.5 && rows[1].ctr == 1 && rows[1].vctr == 2)
    }

    @Test func perDayAndDateRange() throws {
        let (_, store) = try UnitMetricsFixture.store()
        let daily = try store.read { db in try UnitMetrics(db).rows(UnitMetricsQuery(by: [.variant, .day])) }
        #expect(daily == [
            Self.row("default", "1", Self.name, "A", "2024-05-01", impressions: 4, vImpressions: 2, views: 4, itemClicks: 1, cartClicks: 1,
                     orders: 1, revenue: 50, lifetime: 50),
            // o2 (day 2) carries lifetime revenue only, on the order's day.
            Self.row("default", "1", Self.name, "A", "2024-05-02", impressions: 0, vImpressions: 0, views: 0, itemClicks: 0, cartClicks: 0,
                     orders: 0, revenue: 0, lifetime: 40),
            Self.row("default", "1", Self.name, "B", "2024-05-01", impressions: 1, vImpressions: 1, views: 1, itemClicks: 1, cartClicks: 0,
                     orders: 0, revenue: 0, lifetime: 0),
            Self.row("default", "1", Self.name, "B", "2024-05-02", impressions: 1, vImpressions: 0, views: 0, itemClicks: 0, cartClicks: 1,
                     orders: 1, revenue: 15, lifetime: 15),
            Self.row("fr", "u-x", nil, "A", "2024-05-01", impressions: 1, vImpressions: 1, views: 1, itemClicks: 1, cartClicks: 0,
                     orders: 1, revenue: 5, lifetime: 5),
        ])
        #expect(daily[3].vctr == nil && daily[1].ctr == nil)

        let byDay = try store.read { db in try UnitMetrics(db).rows(UnitMetricsQuery(by: [.day])) }
        #expect(byDay == [
            Self.row(nil, nil, nil, nil, "2024-05-01", impressions: 6, vImpressions: 4, views: 6, itemClicks: 3, cartClicks: 1,
                     orders: 2, revenue: 55, lifetime: 55),
            Self.row(nil, nil, nil, nil, "2024-05-02", impressions: 1, vImpressions: 0, views: 0, itemClicks: 0, cartClicks: 1,
                     orders: 1, revenue: 15, lifetime: 55),
        ])
        let dayTwo = try store.read { db in try UnitMetrics(db).rows(UnitMetricsQuery(by: [.day], from: "2024-05-02", to: "2024-05-02")) }
        #expect(dayTwo == [byDay[1]])
        let dayOne = try store.read { db in try UnitMetrics(db).totals(UnitMetricsQuery(to: "2024-05-01")) }
        #expect(dayOne == Self.row(nil, nil, nil, nil, nil, impressions: 6, vImpressions: 4, views: 6, itemClicks: 3, cartClicks: 1,
                                   orders: 2, revenue: 55, lifetime: 55))
    }

    @Test func storeAndUnitFiltersAndErrors() throws {
        let (_, store) = try UnitMetricsFixture.store()
        let fr = try store.read { db in try UnitMetrics(db).rows(UnitMetricsQuery(by: [.unit], store: "fr")) }
        #expect(fr.map(\.unitID) == ["u-x"] && fr[0].revenue == 5)
        let one = try store.read { db in try UnitMetrics(db).rows(UnitMetricsQuery(by: [.unit], unitID: "1")) }
        #expect(one == [Self.row("default", "1", Self.name, nil, nil, impressions: 6, vImpressions: 3, views: 5, itemClicks: 2,
                                 cartClicks: 2, orders: 2, revenue: 65, lifetime: 105)])
        let empty = try store.read { db in try UnitMetrics(db).totals(UnitMetricsQuery(from: "2030-01-01")) }
        #expect(empty == UnitMetricsRow())
        #expect(throws: RequestError.unknownStore("nowhere")) {
            try store.read { db in try UnitMetrics(db).rows(UnitMetricsQuery(store: "nowhere")) }
        }
        #expect(throws: RequestError(.invalidOption, #"bad day "2024-5-1": give YYYY-MM-DD (UTC)"#)) {
            try store.read { db in try UnitMetrics(db).rows(UnitMetricsQuery(from: "2024-5-1")) }
        }
    }

    @Test func theViewsGiveTheSameNumbersInTheSQLite3CLI() throws {
        let (_, store) = try UnitMetricsFixture.store()
        let rows = try sqlite3Rows(store.path, """
            SELECT store, unit_id, coalesce(unit_name, '-'), variant, impressions, v_impressions, views, clicks, item_clicks,
                   cart_clicks, orders, revenue, lifetime_revenue, viewability, ctr, vctr
            FROM unit_metrics ORDER BY store, unit_id, variant
            """)
        #expect(rows == [
            ["default", "1", Self.name, "A", "4", "2", "4", "2", "1", "1", "1", "50.0", "90.0", "1.0", "0.5", "1.0"],
            ["default", "1", Self.name, "B", "2", "1", "1", "2", "1", "1", "1", "15.0", "15.0", "0.5", "1.0", "2.0"],
            ["fr", "u-x", "-", "A", "1", "1", "1", "1", "1", "0", "1", "5.0", "5.0", "1.0", "1.0", "1.0"],
        ])
        // The attributed lines, one per (unit, variant, order line): o1's P1 and CFG-S for unit 1 A in
        // session, o2's both lines for lifetime only, o6's P2 for B, o1's P2 for u-x.
        let lines = try sqlite3Rows(store.path, """
            SELECT unit_id, variant, order_id, sku, amount, in_session FROM unit_attributed_lines ORDER BY unit_id, variant, order_id, line
            """)
        #expect(lines == [["1", "A", "o1", "P1", "20.0", "1"], ["1", "A", "o1", "CFG-S", "30.0", "1"],
                          ["1", "A", "o2", "CFG-S", "30.0", "0"], ["1", "A", "o2", "P1", "10.0", "0"],
                          ["1", "B", "o6", "P2", "15.0", "1"], ["u-x", "A", "o1", "P2", "5.0", "1"]])
        let daily = try sqlite3Rows(store.path, "SELECT day, sum(impressions), sum(clicks), sum(lifetime_revenue) FROM unit_metrics_daily GROUP BY day")
        #expect(daily == [["2024-05-01", "6", "4", "55.0"], ["2024-05-02", "1", "1", "55.0"]])
    }

    @Test func eventsCarryTheirVariantThroughFilesAndTheDatabase() throws {
        let events = UnitMetricsFixture.events
        let jsonl = events.map(JSONLinesEventParser.line).joined(separator: "\n") + "\n"
        #expect(jsonl.contains(#""unit_id":"1","variant":"B"}"#))
        #expect(try EventFileReader(data: Data(jsonl.utf8), file: "x.jsonl").events() == events)
        let csv = CSVEventParser.text(events)
        #expect(csv.hasPrefix("id,type,time,store,visitor_id,customer_id,session_id,sku,parent_sku,category,order_id,unit_id,quantity,price,variant\n"))
        #expect(try EventFileReader(data: Data(csv.utf8), file: "x.csv").events() == events)
        let (_, store) = try UnitMetricsFixture.store()
        #expect(try EventStore(store: store).events() == events)
        #expect(try sqlite3Rows(store.path, "SELECT count(*) FROM events WHERE variant = 'B'") == [["5"]])
    }

    @Test func aVariantIsOnlyForUnitEvents() throws {
        let (_, store) = try eventTestStore()
        let view = Event(id: "p", type: .productView, time: at(0), visitorID: "v", sessionID: "s", sku: "P1", variant: "B")
        let render = Event(id: "r", type: .recsUnitRender, time: at(0), visitorID: "v", sessionID: "s", unitID: "1",
                           variant: String(repeating: "x", count: 33))
        let blank = Event(id: "b", type: .recsUnitView, time: at(0), visitorID: "v", sessionID: "s", unitID: "1", variant: " ")
        var options = EventIngestOptions()
        options.invalidEvents = .skipInvalid
        let report = try EventStore(store: store, options: options).append([view, render, blank])
        #expect(report.stored == 0)
        #expect(report.rejected.map(\.description) == [
            "batch:1: column variant: only recs-* events have a variant (event p)",
            "batch:2: column variant: longer than 32 characters (event r)",
            "batch:3: column variant: empty: leave it out for variant A (event b)",
        ])
    }
}
