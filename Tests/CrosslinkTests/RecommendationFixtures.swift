import Foundation
@testable import Crosslink

/// A hand-built event log: times are hours after 2024-03-01T00:00:00Z (day 0), so a test can
/// place an event exactly inside or just outside a window.
struct HandLog {
    static let start = Date(timeIntervalSince1970: 1_709_251_200)  // 2024-03-01T00:00:00Z
    var events: [Event] = []
    private var counter = 0

    static func time(_ hours: Double) -> Date { start.addingTimeInterval(hours * 3600) }

    private mutating func nextID() -> String {
        counter += 1
        return "e\(counter)"
    }

    mutating func view(_ sku: String, session: String, visitor: String? = nil, at hours: Double) {
        events.append(Event(id: nextID(), type: .productView, time: Self.time(hours), visitorID: visitor ?? "v-" + session,
                            sessionID: session, sku: sku))
    }

    mutating func cart(_ sku: String, session: String, visitor: String? = nil, at hours: Double) {
        events.append(Event(id: nextID(), type: .addToCart, time: Self.time(hours), visitorID: visitor ?? "v-" + session,
                            sessionID: session, sku: sku, quantity: 1, price: 10))
    }

    mutating func order(_ lines: [(String, Double)], session: String, visitor: String? = nil, at hours: Double, price: Double = 10) {
        events.append(Event(id: nextID(), type: .placeOrder, time: Self.time(hours), visitorID: visitor ?? "v-" + session,
                            sessionID: session, orderID: "o-" + nextID(),
                            lines: lines.map { OrderLine(sku: $0.0, quantity: $0.1, price: price) }))
    }

    mutating func order(_ skus: [String], session: String, visitor: String? = nil, at hours: Double) {
        order(skus.map { ($0, 1) }, session: session, visitor: visitor, at: hours)
    }

    mutating func cancel(_ lines: [(String, Double)], session: String, visitor: String? = nil, at hours: Double, price: Double = 10) {
        events.append(Event(id: nextID(), type: .cancelOrder, time: Self.time(hours), visitorID: visitor ?? "v-" + session,
                            sessionID: session, orderID: "c-" + nextID(),
                            lines: lines.map { OrderLine(sku: $0.0, quantity: $0.1, price: price) }))
    }

    mutating func pageView(session: String, at hours: Double) {
        events.append(Event(id: nextID(), type: .pageView, time: Self.time(hours), visitorID: "v-" + session, sessionID: session))
    }
}

enum RecommendationFixtures {
    /// Products: displayable simple products named by `skus`; "HIDDEN" (search only), "OFF"
    /// (disabled); the configurable "CFG" with its invisible child "CFG-S". Settings: spec §5's
    /// reference values (7-day popularity, 6-month co-occurrence, support 2, lift prior 5, …), which
    /// the hand-computed expectations use; the library's defaults are the offline-evaluation
    /// grid's winners instead (EvaluationDefaultsTests).
    static func store(_ directory: TemporaryDirectory, skus: [String] = ["A", "B", "C", "D", "E", "X"]) throws -> CrosslinkStore {
        let store = try makeStore(directory)
        try store.write { db in
            try Aggregates(db).configure(.specification)
            let products = ProductRepository(db)
            let stores = StoreRepository(db)
            for sku in skus {
                let id = try products.upsert(Product(sku: sku, name: "Product \(sku)", price: 10))
                try stores.assign(productID: id, websiteIDs: [1])
            }
            for product in [
                Product(sku: "HIDDEN", name: "Hidden product", visibility: .search, price: 10),
                Product(sku: "OFF", name: "Disabled product", enabled: false, price: 10),
                Product(sku: "CFG", name: "Configurable product", type: .configurable),
                Product(sku: "CFG-S", name: "Configurable product S", visibility: .notVisibleIndividually, price: 10),
            ] {
                try stores.assign(productID: try products.upsert(product), websiteIDs: [1])
            }
            try ChildRepository(db).setChildren(parentID: try products.requireID(sku: "CFG"),
                                                children: [(try products.requireID(sku: "CFG-S"), nil)])
        }
        return store
    }

    /// A catalog for more like this, no events: M1 Joust Duffle Bag (Gear, Gear/Bags; material
    /// Nylon; with `activities`: activity Gym, Travel), M2 Strive Shoulder Pack (Gear, Gear/Bags;
    /// Nylon), M3 Crown Summit Backpack (Gear, Gear/Bags; Polyester), M4 Duffle Sport Bag (Gear;
    /// Leather), M5 Yoga Mat (Gear, Gear/Fitness; Rubber); with `hiddenTwin`, M6 "Joust Duffle
    /// Bag Hidden", search-only (never displayable), sharing everything with M1.
    static func bagStore(_ dir: TemporaryDirectory, hiddenTwin: Bool = false, activities: Bool = false) throws -> CrosslinkStore {
        let store = try makeStore(dir)
        try store.write { db in
            let products = ProductRepository(db), categories = CategoryRepository(db), attributes = AttributeRepository(db)
            var bags = [
                ("M1", "Joust Duffle Bag", [["Gear"], ["Gear", "Bags"]], "Nylon"),
                ("M2", "Strive Shoulder Pack", [["Gear"], ["Gear", "Bags"]], "Nylon"),
                ("M3", "Crown Summit Backpack", [["Gear"], ["Gear", "Bags"]], "Polyester"),
                ("M4", "Duffle Sport Bag", [["Gear"]], "Leather"),
                ("M5", "Yoga Mat", [["Gear"], ["Gear", "Fitness"]], "Rubber"),
            ]
            if hiddenTwin { bags.append(("M6", "Joust Duffle Bag Hidden", [["Gear"], ["Gear", "Bags"]], "Nylon")) }
            for (sku, name, paths, material) in bags {
                let id = try products.upsert(Product(sku: sku, name: name, visibility: sku == "M6" ? .search : .catalogAndSearch, price: 10))
                try StoreRepository(db).assign(productID: id, websiteIDs: [1])
                try categories.setCategories(productID: id, paths: paths)
                try attributes.set(productID: id, code: "material", values: [material])
                if activities && sku == "M1" { try attributes.set(productID: id, code: "activity", values: ["Gym", "Travel"]) }
            }
        }
        return store
    }

    /// Recommended for you's log: orders on days 5–9: {P,Q} ×3, {P,R} ×2, {S,R} ×2, {S,T} ×2, {Q}, {P,S} ×2. Visitor V buys
    /// S on day 10 and views P on day 40 (the last event).
    static func forYouStore(_ dir: TemporaryDirectory) throws -> CrosslinkStore {
        let store = try Self.store(dir, skus: ["P", "Q", "R", "S", "T"])
        var log = HandLog()
        var hour = 5.0 * 24
        for (skus, count) in [(["P", "Q"], 3), (["P", "R"], 2), (["S", "R"], 2), (["S", "T"], 2), (["Q"], 1), (["P", "S"], 2)] {
            for i in 0..<count {
                log.order(skus, session: skus.joined() + "\(i)", at: hour)
                hour += 1
            }
        }
        log.order(["S"], session: "v-order", visitor: "V", at: 10 * 24)
        log.view("P", session: "v-visit", visitor: "V", at: 40 * 24)
        try ingest(log, into: store)
        return store
    }

    /// Appends `log` through the real ingest path (one transaction per `batchSize` events).
    static func ingest(_ log: HandLog, into store: CrosslinkStore, batchSize: Int = 1_000) throws {
        var start = 0
        while start < log.events.count {
            let batch = Array(log.events[start..<min(start + batchSize, log.events.count)])
            _ = try store.write { db in try EventWriter(db).append(batch).report }
            start += batchSize
        }
    }

    static func recommend(_ store: CrosslinkStore, _ type: RecommendationType, _ context: RecommendationContext = .none,
                          limit: Int = 10, asOf: Date? = nil) throws -> [Recommendation] {
        try store.read { db in try Recommender(db).recommend(type, context: context, limit: limit, asOf: asOf) }
    }

    static func skus(_ store: CrosslinkStore, _ type: RecommendationType, _ context: RecommendationContext = .none,
                     limit: Int = 10, asOf: Date? = nil) throws -> [String] {
        try recommend(store, type, context, limit: limit, asOf: asOf).map(\.sku)
    }

    /// Every aggregate table as sorted rows of text, for comparing two databases.
    static func dump(_ store: CrosslinkStore) throws -> [String: [String]] {
        try store.read { db in
            var tables: [String: [String]] = [:]
            for table in ["session_products", "visitor_products", "product_days", "product_hours", "store_days", "pair_day_rows", "pair_day_lists",
                          "product_windows", "store_windows", "pair_window_rows", "pair_lists", "trend_windows", "aggregate_state"] {
                tables[table] = try db.rows("SELECT * FROM \(table)").map { $0.map(\.description).joined(separator: "|") }.sorted()
            }
            return tables
        }
    }
}
