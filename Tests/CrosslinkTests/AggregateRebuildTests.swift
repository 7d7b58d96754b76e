import Foundation
import Testing
@testable import Crosslink

/// The incremental path (ingest → Aggregates.apply, batch by batch) and the set-based rebuild
/// must leave identical aggregate tables.
@Suite struct AggregateRebuildTests {
    typealias F = RecommendationFixtures

    /// Short windows so that a 20-day log slides every window many times; a basket cap of 4 unless told.
    static func shortWindows(_ store: CrosslinkStore, maxBasketProducts: Int = 4) throws {
        try store.write { db in
            var settings = RecommendationSettings()
            settings.popularityDays = 2
            settings.cooccurrenceDays = 5
            settings.trendingForegroundHours = 6
            settings.trendingBackgroundHours = 12
            settings.maxBasketProducts = maxBasketProducts
            try Aggregates(db).configure(settings)
        }
    }

    /// A seeded random log: sessions of views, adds to cart, orders and cancellations over 20
    /// days in two stores, with configurable children, unknown SKUs, page views, sessions that
    /// happened earlier than their neighbours, events delivered late (into sessions already
    /// aggregated) and duplicate deliveries.
    static func randomLog(seed: UInt64, events count: Int) -> [Event] {
        var random = SplitMix64(seed: seed)
        let skus = ["A", "B", "C", "D", "E", "X", "P", "Q", "CFG", "CFG-S", "HIDDEN", "UNKNOWN"]
        var events: [Event] = []
        var sessionCount = 0
        while events.count < count {
            sessionCount += 1
            let session = "s\(sessionCount)"
            let visitor = "v\(Int(random.next() % 40))"
            let store = random.next() % 4 == 0 ? "fr" : "default"
            // Mostly in time order; one session in ten happened up to 3 days earlier.
            var time = Double(events.count) * 480 / Double(count) - (random.next() % 10 == 0 ? Double(random.next() % 72) : 0)
            let steps = 1 + Int(random.next() % 8)
            for _ in 0..<steps {
                time += Double(random.next() % 90) / 60
                let sku = skus[Int(random.next() % UInt64(skus.count))]
                let id = "g\(seed)-\(events.count)"
                let at = HandLog.time(time)
                switch random.next() % 10 {
                case 0..<5:
                    events.append(Event(id: id, type: .productView, time: at, store: store, visitorID: visitor, sessionID: session, sku: sku))
                case 5, 6:
                    events.append(Event(id: id, type: .addToCart, time: at, store: store, visitorID: visitor, sessionID: session, sku: sku,
                                        quantity: 1, price: 5))
                case 7, 8:
                    let lines = (0..<(1 + Int(random.next() % 6))).map { _ in
                        OrderLine(sku: skus[Int(random.next() % UInt64(skus.count))], quantity: Double(1 + random.next() % 3),
                                  price: Double(random.next() % 2000) / 100)
                    }
                    let cancel = random.next() % 5 == 0
                    events.append(Event(id: id, type: cancel ? .cancelOrder : .placeOrder, time: at, store: store, visitorID: visitor,
                                        sessionID: session, orderID: "o-" + id, lines: lines))
                default:
                    events.append(Event(id: id, type: .pageView, time: at, store: store, visitorID: visitor, sessionID: session))
                }
            }
        }
        // Late deliveries: every 7th event arrives at the end of the stream, after later events of
        // its session were aggregated (its session's first view, cart or purchase moves earlier).
        let late = stride(from: 5, to: events.count, by: 7).map { events[$0] }
        events = events.enumerated().filter { $0.offset < 5 || ($0.offset - 5) % 7 != 0 }.map(\.element) + late
        // Duplicate deliveries of earlier events, later in the stream (ignored by ingest).
        for index in stride(from: 3, to: events.count, by: 50) { events.append(events[index]) }
        return events
    }

    static func storeWithSecondStore(_ dir: TemporaryDirectory) throws -> CrosslinkStore {
        let store = try F.store(dir, skus: ["A", "B", "C", "D", "E", "X", "P", "Q"])
        try store.write { db in
            let stores = StoreRepository(db)
            let website = try stores.ensureWebsite(code: "eu")
            try stores.upsertStore(code: "fr", website: "eu")
            for sku in ["A", "B", "C"] { try stores.assign(productID: try ProductRepository(db).requireID(sku: sku), websiteIDs: [website]) }
        }
        return store
    }

    @Test func incrementalEqualsRebuildOnARandomLog() throws {
        let dir = try TemporaryDirectory()
        let store = try Self.storeWithSecondStore(dir)
        try Self.shortWindows(store)
        let events = Self.randomLog(seed: 7, events: 1_500)
        for start in stride(from: 0, to: events.count, by: 37) {
            let batch = Array(events[start..<min(start + 37, events.count)])
            _ = try store.write { db in try EventWriter(db).append(batch).report }
        }
        let incremental = try F.dump(store)
        // The log exercises every table.
        for table in AggregateStatus.tables { #expect(!(incremental[table] ?? []).isEmpty, "\(table) is empty") }
        try store.write { db in try Aggregates(db).rebuild() }
        let rebuilt = try F.dump(store)
        for table in incremental.keys.sorted() {
            #expect(incremental[table] == rebuilt[table], "\(table) differs")
        }
        // Default windows too (6 months: nothing slides out, one cap for all baskets).
        try store.write { db in try Aggregates(db).configure(RecommendationSettings()) }
        let defaults = try F.dump(store)
        let again = try TemporaryDirectory()
        let fresh = try Self.storeWithSecondStore(again)
        try fresh.write { db in try Aggregates(db).configure(RecommendationSettings()) }
        for start in stride(from: 0, to: events.count, by: 101) {
            let batch = Array(events[start..<min(start + 101, events.count)])
            _ = try fresh.write { db in try EventWriter(db).append(batch).report }
        }
        #expect(try F.dump(fresh) == defaults)
    }

    /// The real Online Retail log (its first days), imported in batches with a catalog created
    /// from it; windows of 1 and 2 days make every window slide; then a rebuild.
    @Test func incrementalEqualsRebuildOnTheOnlineRetailLog() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        try store.write { db in
            var settings = RecommendationSettings()
            settings.popularityDays = 1
            settings.cooccurrenceDays = 2
            try Aggregates(db).configure(settings)
        }
        let data = try Gzip.decompress(Data(contentsOf: Fixtures.onlineRetailLog), file: "online-retail")
        // The header and every line before 2010-12-04 (the log is in date order).
        let lines = String(decoding: data.prefix(2_000_000), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let cut = lines.firstIndex { $0.contains(",2010-12-05 ") || $0.contains(",2010-12-04 ") }!
        let prefix = Data((lines[..<cut].joined(separator: "\n") + "\n").utf8)
        var options = OnlineRetailImporter.Options()
        options.createCatalog = true
        options.eventsPerTransaction = 60
        let report = try OnlineRetailImporter(store: store, options: options).importData(prefix, file: "online-retail-prefix.csv")
        #expect(report.orders > 200 && report.cancellations > 20)
        let incremental = try F.dump(store)
        for table in ["product_days", "pair_day_lists", "pair_lists", "product_windows", "visitor_products"] {
            #expect(!(incremental[table] ?? []).isEmpty, "\(table) is empty")
        }
        try store.write { db in try Aggregates(db).rebuild() }
        let rebuilt = try F.dump(store)
        for table in incremental.keys.sorted() {
            #expect(incremental[table] == rebuilt[table], "\(table) differs")
        }
    }

    @Test func aFailedIngestLeavesTheAggregatesAsTheyWere() throws {
        let dir = try TemporaryDirectory()
        let store = try F.store(dir)
        var log = HandLog()
        log.view("A", session: "s1", at: 1)
        try F.ingest(log, into: store)
        let before = try F.dump(store)
        var bad = HandLog()
        bad.view("B", session: "s2", at: 2)
        bad.order([("A", -1)], session: "s2", at: 3)  // negative quantity: the batch is rejected
        #expect(throws: InputError.self) {
            _ = try store.write { db in try EventWriter(db).append(bad.events.map { var e = $0; e.id = "bad-" + e.id; return e }) }
        }
        #expect(try F.dump(store) == before)
    }

    @Test func changingAWindowRebuildsAndBadSettingsAreRefused() throws {
        let dir = try TemporaryDirectory()
        let store = try F.store(dir)
        var log = HandLog()
        log.view("A", session: "s1", at: 10)
        log.view("B", session: "s2", at: 30)
        log.view("B", session: "s3", at: 40)
        try F.ingest(log, into: store)
        #expect(try F.skus(store, .mostViewed) == ["B", "A"])
        try store.write { db in
            var settings = try Aggregates(db).settings()
            settings.popularityDays = 1  // day 1 only (the last event's day)
            try Aggregates(db).configure(settings)
        }
        #expect(try F.skus(store, .mostViewed) == ["B"])
        #expect(try F.recommend(store, .mostViewed)[0].reason.description == "viewed in 2 sessions in the last 1 day")
        #expect(throws: RequestError.invalidValue(field: "cooccurrenceDays", value: "0", reason: "must be at least 1")) {
            try store.write { db in
                var settings = RecommendationSettings()
                settings.cooccurrenceDays = 0
                try Aggregates(db).configure(settings)
            }
        }
        #expect(try store.read { db in try Aggregates(db).settings().popularityDays } == 1)
    }
}
