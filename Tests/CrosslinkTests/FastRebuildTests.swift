import Foundation
import Testing
@testable import Crosslink

/// The rebuild counted in Swift (``FastRebuild``) must leave exactly the rows of the SQL
/// definition (``Aggregates/rebuildSQL(_:)`` + ``AggregateTables/fill(_:)``): every aggregate
/// table compared row by row, with SQLite's value types (an integer is not a real).
@Suite struct FastRebuildTests {
    typealias F = RecommendationFixtures

    /// Every aggregate table in key order, values typed.
    static func tables(_ store: CrosslinkStore) throws -> [String: [[DatabaseValue]]] {
        try store.read { db in
            var tables: [String: [[DatabaseValue]]] = [:]
            for table in AggregateStatus.tables + ["aggregate_state"] {
                // Every column in order; rows sorted by their text (the types are compared after).
                tables[table] = try db.rows("SELECT * FROM \(table)").sorted {
                    $0.map(\.description).joined(separator: "|") < $1.map(\.description).joined(separator: "|")
                }
            }
            return tables
        }
    }

    /// Rebuilds `store` both ways and compares every table; returns the row counts.
    @discardableResult
    static func expectSameTables(_ store: CrosslinkStore, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Int] {
        try store.write { db in try Aggregates(db).rebuild(method: .sql) }
        let definition = try tables(store)
        try store.write { db in try Aggregates(db).rebuild(method: .counted) }
        let counted = try tables(store)
        for table in definition.keys.sorted() {
            let (a, b) = (definition[table]!, counted[table]!)
            #expect(a.count == b.count, "\(table): \(a.count) rows by SQL, \(b.count) counted", sourceLocation: sourceLocation)
            if let first = a.indices.first(where: { $0 < b.count && a[$0] != b[$0] }) {
                Issue.record("\(table) row \(first): SQL \(a[first]), counted \(b[first])", sourceLocation: sourceLocation)
            }
        }
        return definition.mapValues(\.count)
    }

    /// Edge cases by hand: a basket over the cap (orders and sessions), cancellations of a pair
    /// bought the same day (the day's count cancels out) and on another day (negative), a pair
    /// within one day, views on both sides of a window's edge, two stores, a configurable child
    /// counted as its parent, unknown SKUs and page views.
    @Test func handMadeLogEqualsTheSQLDefinition() throws {
        let dir = try TemporaryDirectory()
        let store = try AggregateRebuildTests.storeWithSecondStore(dir)
        try AggregateRebuildTests.shortWindows(store, maxBasketProducts: 3)
        var log = HandLog()
        // Store "default": a pair within one day, viewed then bought.
        log.view("A", session: "s1", visitor: "v1", at: 1)
        log.view("B", session: "s1", visitor: "v1", at: 2)
        log.cart("B", session: "s1", visitor: "v1", at: 2.5)
        log.order([("A", 1), ("B", 2)], session: "s1", visitor: "v1", at: 3)
        // The same pair bought and cancelled the same day: the day's list loses it.
        log.order([("A", 1), ("C", 1)], session: "s2", visitor: "v2", at: 30)
        log.cancel([("A", 1), ("C", 1)], session: "s2", visitor: "v2", at: 31)
        // A cancellation on a later day only: a negative count.
        log.cancel([("B", 1), ("D", 1)], session: "s3", visitor: "v1", at: 55)
        // Over the cap of 3: no co-occurrence, still popularity.
        log.order([("A", 1), ("B", 1), ("C", 1), ("D", 1)], session: "s4", visitor: "v3", at: 60)
        for sku in ["A", "B", "C", "D"] { log.view(sku, session: "s5", visitor: "v3", at: 61) }
        // Repeated lines of one product (one basket product, two lines' units), an unknown SKU.
        log.order([("E", 1), ("E", 3), ("UNKNOWN", 1), ("X", 2)], session: "s6", visitor: "v4", at: 70, price: 0.125)
        // Views just inside and outside the 5-day co-occurrence and 2-day popularity windows
        // that end with the last event (hour 240).
        log.view("A", session: "s7", visitor: "v5", at: 240 - 5 * 24 - 1)
        log.view("C", session: "s7", visitor: "v5", at: 240 - 5 * 24 + 1)
        log.view("P", session: "s8", visitor: "v5", at: 240 - 2 * 24 + 0.5)
        log.view("Q", session: "s8", visitor: "v5", at: 239)
        log.pageView(session: "s8", at: 239.5)
        // Trending: views in the foreground (last 6 h) and background (12 h before) windows.
        log.view("P", session: "s9", visitor: "v6", at: 236)
        log.view("P", session: "s10", visitor: "v7", at: 228)
        log.view("X", session: "s10", visitor: "v7", at: 228.5)
        // An order and a cancellation inside the co-occurrence window (the live lists).
        log.order([("C", 1), ("D", 2)], session: "s12", visitor: "v2", at: 200)
        log.cancel([("C", 1), ("E", 1)], session: "s13", visitor: "v2", at: 230)
        var events = log.events
        // Store "fr": the same session id as in "default", and an order there.
        var fr = HandLog()
        fr.view("A", session: "s1", visitor: "v1", at: 100)
        fr.view("B", session: "s1", visitor: "v1", at: 101)
        fr.order([("A", 1), ("B", 1), ("C", 1)], session: "s1", visitor: "v1", at: 102)
        events += fr.events.map { var event = $0; event.id = "fr-" + event.id; event.store = "fr"; return event }
        // The last event: at hour 240.
        var last = HandLog()
        last.view("B", session: "s11", visitor: "v8", at: 240)
        events += last.events.map { var event = $0; event.id = "last-" + event.id; return event }
        _ = try store.write { db in try EventWriter(db).append(events).report }

        let counts = try Self.expectSameTables(store)
        for table in AggregateStatus.tables { #expect(counts[table, default: 0] > 0, "\(table) is empty") }
        // The hand-checked counts behind the comparison: A–B bought together once on day 0
        // (the over-cap basket gives nothing), A–C cancelled out that day, B–D at −1 on day 2.
        let lists = try store.read { db in
            try db.rows("SELECT day, pairs FROM pair_day_lists WHERE store_id = 1 AND product_id = (SELECT product_id FROM products WHERE sku = 'B') ORDER BY day")
        }
        let (a, d) = try store.read { db in
            (try ProductRepository(db).requireID(sku: "A"), try ProductRepository(db).requireID(sku: "D"))
        }
        #expect(lists.map { $0[1] } == [.text("{\"\(a)\":1}"), .text("{\"\(d)\":-1}")])
    }

    @Test func randomLogEqualsTheSQLDefinition() throws {
        let dir = try TemporaryDirectory()
        let store = try AggregateRebuildTests.storeWithSecondStore(dir)
        try AggregateRebuildTests.shortWindows(store)
        _ = try store.write { db in try EventWriter(db).append(AggregateRebuildTests.randomLog(seed: 11, events: 3_000)).report }
        let counts = try Self.expectSameTables(store)
        for table in AggregateStatus.tables { #expect(counts[table, default: 0] > 0, "\(table) is empty") }
        try store.write { db in try Aggregates(db).configure(RecommendationSettings()) }
        try Self.expectSameTables(store)
    }

    /// The shipped Online Retail log, its first week (2010-12-01 … 2010-12-07: about 600 orders
    /// and cancellations; the whole log takes the SQL definition tens of seconds, too slow for a
    /// unit test), with the default settings and with short windows and a small basket cap.
    @Test func onlineRetailSliceEqualsTheSQLDefinition() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        let data = try Gzip.decompress(Data(contentsOf: Fixtures.onlineRetailLog), file: "online-retail")
        let lines = String(decoding: data.prefix(6_000_000), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let cut = try #require(lines.firstIndex { $0.contains(",2010-12-08 ") })
        let slice = Data((lines[..<cut].joined(separator: "\n") + "\n").utf8)
        var options = OnlineRetailImporter.Options()
        options.createCatalog = true
        options.ingest.aggregate = false
        let report = try OnlineRetailImporter(store: store, options: options).importData(slice, file: "online-retail-slice.csv")
        #expect(report.orders > 400 && report.cancellations > 50)
        let counts = try Self.expectSameTables(store)
        for table in ["session_products", "visitor_products", "product_days", "store_days", "pair_day_lists", "pair_lists", "product_windows"] {
            #expect(counts[table, default: 0] > 0, "\(table) is empty")
        }
        try store.write { db in
            var settings = RecommendationSettings()
            settings.popularityDays = 2
            settings.cooccurrenceDays = 3
            settings.maxBasketProducts = 12
            try Aggregates(db).configure(settings)
        }
        try Self.expectSameTables(store)
    }

    /// The counted rebuild writes SQLite's text pair lists: on PostgreSQL it is refused, and the
    /// engine's own rebuild (the SQL) runs.
    @Test(.requiresPostgreSQL) func theCountedRebuildIsRefusedOnPostgreSQL() throws {
        let cluster = try #require(try PostgreSQLCluster.shared())
        let store = try CrosslinkStore(location: cluster.uri(database: try cluster.makeDatabase("counted_rebuild")))
        #expect(throws: RequestError(.invalidOption, "the counted aggregate rebuild runs on SQLite only; PostgreSQL rebuilds with the SQL definition")) {
            try store.write { db in try Aggregates(db).rebuild(method: .counted) }
        }
        try store.write { db in try Aggregates(db).rebuild() }
    }
}
