// Recommendation benchmark: aggregate rebuild and incremental aggregation on the real Online
// Retail log, and the latency of every recommendation type against a raw C baseline that runs
// the same SQL (Sources/CrosslinkBaseline/recommend_baseline.c), in one run.
//
//   crosslink-bench recommend [--rec-sessions N] [--rec-products N] [--rec-lookups N] [--rec-log-months M]
//
// - Online Retail: the log (first M months, default 2; 10 is all of it) imported in batches of 1,000 events
//   with aggregation off, then `Aggregates.rebuild()` timed; imported again with aggregation on
//   (the incremental path); both must give the same aggregates.
// - A generated view log (N sessions, default 20,000, of views, adds to cart and orders over
//   14 days on a catalog of P products with categories, attributes and names), ingested with
//   and without aggregation; then p50/p99 of each type for a random product or visitor.
import ArgumentParser
import CrosslinkBaseline
import Crosslink
import Foundation
import SampleFiles

struct RecommendBenchOptions: ParsableArguments {
    @Option(name: .customLong("rec-sessions"), help: "Sessions in the generated view log.") var sessions = 20_000
    @Option(name: .customLong("rec-products"), help: "Products of the generated shop (at least 100).") var products = 5_000
    @Option(name: .customLong("rec-lookups"), help: "Lookups timed per recommendation type (at least 10).") var lookups = 2_000
    @Option(name: .customLong("rec-log-months"), help: "Months of the Online Retail log to aggregate (10 is all of it, 0 skips it).")
    var logMonths = 2

    func validate() throws {
        guard products >= 100, lookups >= 10, sessions >= 1, (0...10).contains(logMonths) else {
            throw ValidationError("--rec-products must be at least 100, --rec-lookups at least 10, --rec-sessions at least 1, --rec-log-months 0…10")
        }
    }
}

func runRecommendBenchmark(_ options: RecommendBenchOptions, directory: String) throws {
    print("\nRecommendations")
    print(row(["work", "crosslink", "raw C", "ratio", "target"]))
    print(row(["----", "---------", "-----", "-----", "------"]))
    if options.logMonths > 0 { try onlineRetailAggregation(options, directory: directory) }
    try recommendationLatency(options, directory: directory)
}

func seconds(_ duration: Duration) -> Double { Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18 }

/// Row counts and sums over every aggregate table: equal on two databases with equal aggregates.
func aggregateDigest(_ store: CrosslinkStore) throws -> [String] {
    try store.read { db in
        try [
            "SELECT count(*), total(first_viewed_at), total(first_bought_at), total(first_cancelled_at) FROM session_products",
            "SELECT count(*), total(first_viewed_at), total(last_bought_at) FROM visitor_products",
            "SELECT count(*), total(viewers), total(buyers), total(cancellers), total(units), total(revenue_cents), total(orders) FROM product_days",
            "SELECT count(*), total(viewers) FROM product_hours",
            "SELECT count(*), total(co_sessions), total(orders) FROM store_days",
            "SELECT count(*), total(together), total(together * product_id), total(together * other_id), total(together * day) FROM pair_days",
            "SELECT count(*), total(viewers), total(buyers), total(units), total(orders) FROM product_windows",
            "SELECT count(*), total(together), total(together * product_id), total(together * other_id) FROM pair_windows",
            "SELECT count(*), total(foreground), total(background) FROM trend_windows",
        ].map { sql in try db.rows(sql)[0].map(\.description).joined(separator: " ") }
    }
}

// MARK: Online Retail

func onlineRetailAggregation(_ options: RecommendBenchOptions, directory: String) throws {
    var data = try Gzip.decompress(Data(contentsOf: SampleFiles.onlineRetailLog), file: "online-retail")
    if options.logMonths < 10 {
        // The log is in date order from 2010-12: keep the lines before the first day of month M+1.
        var components = DateComponents(year: 2010, month: 12 + options.logMonths, day: 1)
        components.timeZone = TimeZone(identifier: "UTC")
        let date = Calendar(identifier: .gregorian).date(from: components)!
        let stop = "," + String(ISO8601DateFormatter().string(from: date).prefix(7))
        let text = String(decoding: data, as: UTF8.self)
        if let range = text.range(of: stop) {
            data = Data(text[..<text[..<range.lowerBound].lastIndex(of: "\n")!].utf8 + [UInt8(ascii: "\n")])
        }
    }
    func importLog(_ name: String, aggregate: Bool) throws -> (CrosslinkStore, Double, OnlineRetailReport) {
        let store = try CrosslinkStore(path: try freshDatabase(name, in: directory))
        var importOptions = OnlineRetailImporter.Options()
        importOptions.createCatalog = true
        importOptions.eventsPerTransaction = 1_000
        importOptions.ingest.aggregate = aggregate
        let start = ContinuousClock.now
        let report = try OnlineRetailImporter(store: store, options: importOptions).importData(data, file: "online-retail.csv")
        return (store, seconds(ContinuousClock.now - start), report)
    }
    let (plain, plainSeconds, report) = try importLog("recs-online-retail.sqlite", aggregate: false)
    let rebuildStart = ContinuousClock.now
    try plain.write { db in try Aggregates(db).rebuild() }
    let rebuildSeconds = seconds(ContinuousClock.now - rebuildStart)
    let (aggregated, aggregatedSeconds, _) = try importLog("recs-online-retail-incremental.sqlite", aggregate: true)
    let (rebuilt, incremental) = (try aggregateDigest(plain), try aggregateDigest(aggregated))
    guard rebuilt == incremental else { fatalError("Online Retail: incremental aggregates differ from the rebuild:\n\(rebuilt)\n\(incremental)") }
    let pairs = try plain.read { db in try db.scalarInt("SELECT count(*) FROM pair_days") ?? 0 }
    let events = Double(report.orders + report.cancellations)
    print(row(["OR rebuild all aggregates (s)", String(format: "%.2f", rebuildSeconds), "", "", ""]))
    print(row(["OR import, no agg. (ev/s)", String(format: "%.0f", events / plainSeconds), "", "", ""]))
    print(row(["OR import + incr. agg (ev/s)", String(format: "%.0f", events / aggregatedSeconds), "",
               String(format: "%.2f×", plainSeconds / aggregatedSeconds), ""]))
    print("  Online Retail (\(options.logMonths) months): \(report.orders) orders, \(report.cancellations) cancellations, "
          + "\(report.lines) lines, \(pairs) pair-day rows; import \(String(format: "%.2f", plainSeconds)) s, "
          + "with aggregation \(String(format: "%.2f", aggregatedSeconds)) s; incremental = rebuild")
}

// MARK: Generated view log

/// A deterministic shop: products in 50 taste clusters, each in a department and a category,
/// with a color and a material; sessions view 2–9 products of one cluster (popular ones more
/// often), add one to the cart in a quarter of them and order up to 5 of the viewed ones in 30 %.
struct GeneratedShop {
    var products: [Product] = []
    var categories: [[String]] = []
    var events: [Event] = []
    var visitors: [String] = []

    static let adjectives = ["Classic", "Sport", "Urban", "Trail", "Summit", "Breeze", "Nova", "Vintage", "Aero", "Luma",
                             "Zen", "Flex", "Prime", "Core", "Swift", "Echo", "Terra", "Polar", "Solar", "Drift"]
    static let nouns = ["Bag", "Jacket", "Tee", "Hoodie", "Short", "Pant", "Bottle", "Mat", "Strap", "Watch", "Shoe", "Cap",
                        "Sock", "Glove", "Tank", "Bra", "Legging", "Backpack", "Duffle", "Roller", "Towel", "Band", "Vest", "Scarf", "Belt"]
    static let colors = ["Black", "Blue", "Red", "Green", "Gray", "White", "Orange", "Purple", "Yellow", "Brown", "Pink", "Navy"]
    static let materials = ["Cotton", "Nylon", "Polyester", "Leather", "Wool", "Rubber", "Steel", "Canvas"]

    static func sku(_ i: Int) -> String { String(format: "REC-%05d", i) }

    init(products count: Int, sessions: Int) {
        var random = SplitMix64(seed: 77)
        func pick(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
        for department in 0..<5 { for category in 0..<5 { categories.append(["Shop", "Dept \(department)", "Category \(department)-\(category)"]) } }
        for i in 0..<count {
            let noun = Self.nouns[(i / 50) % Self.nouns.count]
            products.append(Product(sku: Self.sku(i), name: "\(Self.adjectives[pick(Self.adjectives.count)]) \(noun) \(i)", price: Double(5 + pick(95))))
        }
        let start = 1_714_557_600_000 as Int64  // 2024-05-01T10:00:00Z
        let visitorCount = max(1, sessions / 3)
        visitors = (0..<visitorCount).map { "rv-\($0)" }
        var eventCount = 0
        for s in 0..<sessions {
            let visitor = visitors[pick(visitorCount)]
            let cluster = pick(50)
            var time = start + Int64(s) * 14 * 86_400_000 / Int64(max(1, sessions)) + Int64(pick(60_000))
            let members = stride(from: cluster, to: count, by: 50).map { $0 }
            var viewed: [Int] = []
            for _ in 0..<(2 + pick(8)) {
                // Skewed within the cluster: the first members are the popular ones.
                let product = members[min(pick(members.count), pick(members.count))]
                viewed.append(product)
                eventCount += 1
                events.append(Event(id: "rg-\(eventCount)", type: .productView, time: EventTime.date(time), visitorID: visitor,
                                    sessionID: "rs-\(s)", sku: Self.sku(product)))
                time += 20_000 + Int64(pick(40_000))
            }
            if pick(4) == 0 {
                eventCount += 1
                events.append(Event(id: "rg-\(eventCount)", type: .addToCart, time: EventTime.date(time), visitorID: visitor,
                                    sessionID: "rs-\(s)", sku: Self.sku(viewed[pick(viewed.count)]), quantity: 1, price: 10))
                time += 30_000
            }
            if pick(10) < 3 {
                eventCount += 1
                let lines = Set((0...(1 + pick(4))).map { _ in viewed[pick(viewed.count)] }).sorted().map {
                    OrderLine(sku: Self.sku($0), quantity: Double(1 + pick(2)), price: Double(5 + pick(95)))
                }
                events.append(Event(id: "rg-\(eventCount)", type: .placeOrder, time: EventTime.date(time), visitorID: visitor,
                                    sessionID: "rs-\(s)", orderID: "ro-\(eventCount)", lines: lines))
            }
        }
        events.sort { ($0.time, $0.id) < ($1.time, $1.id) }
    }

    /// Creates the catalog: products on website 1, in a department and a category, with a color and a material.
    func load(into store: CrosslinkStore) throws {
        try store.write { db in
            let categoryIDs = try categories.map { try CategoryRepository(db).ensure(path: $0) }
            let departmentIDs = try (0..<5).map { try CategoryRepository(db).ensure(path: ["Shop", "Dept \($0)"]) }
            for (i, product) in products.enumerated() {
                let id = try ProductRepository(db).upsert(product)
                try StoreRepository(db).assign(productID: id, websiteIDs: [1])
                let category = (i / 50 + i % 50) % categoryIDs.count
                try CategoryRepository(db).assign(productID: id, categoryID: categoryIDs[category])
                try CategoryRepository(db).assign(productID: id, categoryID: departmentIDs[category / 5])
                try AttributeRepository(db).set(productID: id, code: "color", values: [Self.colors[i % Self.colors.count]])
                try AttributeRepository(db).set(productID: id, code: "material", values: [Self.materials[(i / 7) % Self.materials.count]])
            }
        }
    }
}

/// C copies of the plans' parameters (freed by `release`).
struct CParameters {
    var values: [recommend_baseline_param] = []
    var strings: [UnsafeMutablePointer<CChar>] = []

    mutating func append(_ parameters: [(name: String, value: DatabaseValue)]) {
        for (name, value) in parameters {
            let cName = strdup(name)!
            strings.append(cName)
            var param = recommend_baseline_param(name: cName, type: 1, integer: 0, real: 0, text: nil)
            switch value {
            case .integer(let v): param.integer = v
            case .real(let v): param.type = 2; param.real = v
            case .text(let v):
                let text = strdup(v)!
                strings.append(text)
                param.type = 3
                param.text = UnsafePointer(text)
            default: param.type = 3
            }
            values.append(param)
        }
    }

    func release() { for pointer in strings { free(pointer) } }
}

func recommendationLatency(_ options: RecommendBenchOptions, directory: String) throws {
    let shop = GeneratedShop(products: options.products, sessions: options.sessions)
    func shopDatabase(_ name: String) throws -> CrosslinkStore {
        let store = try CrosslinkStore(path: try freshDatabase(name, in: directory))
        try shop.load(into: store)
        return store
    }
    // Ingest with and without aggregation, batch by batch alternately (same load on both).
    let store = try shopDatabase("recs-generated.sqlite")
    let twin = try shopDatabase("recs-generated-plain.sqlite")
    var plainOptions = EventIngestOptions()
    plainOptions.aggregate = false
    var aggregatedNanoseconds: UInt64 = 0, plainNanoseconds: UInt64 = 0
    for start in stride(from: 0, to: shop.events.count, by: 1_000) {
        let batch = Array(shop.events[start..<min(start + 1_000, shop.events.count)])
        var clock = DispatchTime.now().uptimeNanoseconds
        _ = try EventStore(store: store).append(batch)
        aggregatedNanoseconds += DispatchTime.now().uptimeNanoseconds - clock
        clock = DispatchTime.now().uptimeNanoseconds
        _ = try EventStore(store: twin, options: plainOptions).append(batch)
        plainNanoseconds += DispatchTime.now().uptimeNanoseconds - clock
    }
    let similarStart = ContinuousClock.now
    let similar = try store.write { db in try SimilarProducts(db).refresh() }
    print(row(["more-like-this lists rebuild (s)", String(format: "%.2f", seconds(ContinuousClock.now - similarStart)), "", "", ""]))
    let rebuildStart = ContinuousClock.now
    try twin.write { db in try Aggregates(db).rebuild() }
    let rebuildSeconds = seconds(ContinuousClock.now - rebuildStart)
    guard try aggregateDigest(store) == aggregateDigest(twin) else { fatalError("generated log: incremental aggregates differ from the rebuild") }
    let count = Double(shop.events.count)
    print(row(["gen. ingest, no agg. (ev/s)", String(format: "%.0f", count * 1e9 / Double(plainNanoseconds)), "", "", ""]))
    print(row(["gen. ingest + incr. agg (ev/s)", String(format: "%.0f", count * 1e9 / Double(aggregatedNanoseconds)), "",
               String(format: "%.2f×", Double(plainNanoseconds) / Double(aggregatedNanoseconds)), ""]))
    print(row(["gen. rebuild all aggregates (s)", String(format: "%.2f", rebuildSeconds), "", "", ""]))

    // Latency: the same requests through Recommender and through C running the plans' SQL.
    var random = SplitMix64(seed: 4_242)
    let productSKUs = (0..<options.lookups).map { _ in GeneratedShop.sku(Int(random.next() % UInt64(options.products))) }
    let visitors = (0..<options.lookups).map { _ in shop.visitors[Int(random.next() % UInt64(shop.visitors.count))] }
    let lastEvent = shop.events.last!.time
    var cases: [(label: String, type: RecommendationType, asOf: Date?)] = RecommendationType.allCases.map { ($0.rawValue, $0, nil) }
    cases.append(("bought-bought as of", .boughtBought, lastEvent.addingTimeInterval(-3 * 86_400)))
    cases.append(("most-viewed as of", .mostViewed, lastEvent.addingTimeInterval(-3 * 86_400)))
    var summary: [String] = []
    func measure(_ label: String, _ type: RecommendationType, _ asOf: Date?) throws {
        // At most ~0.5 s per side for the slow types (a probe of 20 requests sets the count).
        let probeStart = ContinuousClock.now
        for i in 0..<min(20, options.lookups) {
            _ = try store.read { db in
                try Recommender(db).recommend(type, context: type.requirement == .visitor ? .visitor(visitors[i]) : .product(productSKUs[i]),
                                              limit: 5, asOf: asOf)
            }
        }
        let perRequest = seconds(ContinuousClock.now - probeStart) / Double(min(20, options.lookups))
        let lookups = min(options.lookups, max(50, Int(0.5 / max(perRequest, 1e-9))))
        let contexts: [RecommendationContext] = (0..<lookups).map { i in
            type.requirement == .visitor ? .visitor(visitors[i]) : .product(productSKUs[i])
        }
        let plans = try store.read { db in try contexts.map { try Recommender(db).plan(type, context: $0, limit: 5, asOf: asOf) } }
        var parameters = CParameters()
        for plan in plans { parameters.append(plan.parameters) }
        defer { parameters.release() }
        guard Set(plans.map(\.parameters.count)).count == 1 else { fatalError("\(label): plans bind different parameters") }
        func swiftRun() throws -> ([Int64], Int) {
            var times: [Int64] = []
            var found = 0
            times.reserveCapacity(contexts.count)
            for context in contexts {
                let start = DispatchTime.now().uptimeNanoseconds
                let list = try store.read { db in try Recommender(db).recommend(type, context: context, limit: 5, asOf: asOf) }
                times.append(Int64(DispatchTime.now().uptimeNanoseconds - start))
                found += list.count
            }
            return (times.sorted(), found)
        }
        func cRun() -> ([Int64], Int) {
            var times = [Int64](repeating: 0, count: contexts.count)
            var error = [CChar](repeating: 0, count: 512)
            let rows = parameters.values.withUnsafeBufferPointer { values in
                baseline_recommend_lookups(store.path, plans[0].sql, values.baseAddress, Int32(plans[0].parameters.count),
                                           Int32(contexts.count), &times, &error, 512)
            }
            guard rows >= 0 else { fatalError("C recommendation baseline (\(label)): \(cError(error))") }
            return (times.sorted(), Int(rows))
        }
        _ = try swiftRun(); _ = cRun()  // warm the caches
        let (swiftTimes, swiftFound) = try swiftRun()
        let (cTimes, cFound) = cRun()
        guard swiftFound == cFound else { fatalError("\(label): Crosslink returned \(swiftFound) products, C \(cFound)") }
        let p50 = (percentile(swiftTimes, 0.5), percentile(cTimes, 0.5))
        let p99 = (percentile(swiftTimes, 0.99), percentile(cTimes, 0.99))
        print(row(["\(label) p50 (µs)", String(format: "%.1f", p50.0), String(format: "%.1f", p50.1),
                   String(format: "%.2f×", p50.0 / p50.1), asOf == nil ? "≤ 100 µs" : ""]))
        print(row(["\(label) p99 (µs)", String(format: "%.1f", p99.0), String(format: "%.1f", p99.1),
                   String(format: "%.2f×", p99.0 / p99.1), ""]))
        summary.append("\(label) \(String(format: "%.1f", Double(swiftFound) / Double(contexts.count)))\(lookups < options.lookups ? " (\(lookups) lookups)" : "")")
    }
    // Recommended for you computing the similarity per request, then with the neighbour lists.
    try measure("recommended-for-you, no lists", .recommendedForYou, nil)
    let neighbours = try store.write { db in try ItemNeighbours(db).refresh() }
    print(row(["neighbour lists refresh (s)", String(format: "%.2f", neighbours.seconds), "", "", ""]))
    for (label, type, asOf) in cases { try measure(label, type, asOf) }
    print("  more-like-this lists: \(similar); neighbour lists: \(neighbours)")
    print("  generated: \(options.products) products, \(options.sessions) sessions, \(shop.events.count) events, \(options.lookups) lookups per type; "
          + "products per answer: " + summary.joined(separator: ", "))
}
