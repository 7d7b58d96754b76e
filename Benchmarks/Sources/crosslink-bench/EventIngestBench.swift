// Event ingest benchmark: the same events appended through Crosslink's EventStore and through
// raw C prepared statements (Sources/CrosslinkBaseline/events.c), in one run, with the ratio.
//
//   crosslink-bench events [--events N] [--event-batch B] [--single-appends K] [--event-aggregates]
//
// - generated: N events (default 200,000; the size is 2,000,000) of every type over a
//   10,000-product catalog, appended in batches of B (default 1,000), one transaction each;
// - the real Online Retail log (16,303 order events, 356,111 lines), events read beforehand,
//   appended in batches of B; and its full import (gunzip, parse, catalog, insert) for reference;
// - with aggregation off (`EventIngestOptions.aggregate = false`): the raw append path, target
//   ≥ 0.9× raw C. `--event-aggregates` adds the same runs with incremental aggregation (append +
//   `Aggregates.apply`, target ≥ 0.3×); the Recommendations section measures that cost by default;
// - single-event appends (one transaction per event, no aggregation) with synchronous NORMAL
//   and FULL: the latency a storefront waits for an acknowledged event.
import ArgumentParser
import CrosslinkBaseline
import Crosslink
import Foundation
import SampleFiles

struct EventBenchOptions: ParsableArguments {
    @Option(name: .customLong("events"), help: "Generated events appended in batches (the issue's size is 2000000).")
    var events = 200_000
    @Option(name: .customLong("event-batch"), help: "Events per batch (one transaction each).")
    var batch = 1_000
    @Option(name: .customLong("single-appends"), help: "One-event transactions timed with synchronous NORMAL and FULL.")
    var singleAppends = 2_000
    @Flag(name: .customLong("event-aggregates"), help: "Also measure the appends with incremental aggregation.")
    var aggregates = false

    func validate() throws {
        guard events >= 1, batch >= 1, singleAppends >= 1 else { throw ValidationError("--events, --event-batch and --single-appends must be at least 1") }
    }
}

/// `count` deterministic events over products `GEN-00000`…: sessions of about 12 events from
/// 200 concurrent visitors, 50 ms apart; 1 % of product SKUs unknown to the catalog, 1 % of
/// events delivered twice (the second delivery later in the stream).
func generatedEvents(count: Int, products: Int, categories: [String]) -> [Event] {
    var random = SplitMix64(seed: 20_240_501)
    func pick(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
    func sku() -> String { pick(100) == 0 ? "GONE-\(pick(500))" : String(format: "GEN-%05d", pick(products)) }
    struct Session { var visitor: String; var customer: String?; var id: String; var left: Int }
    var nextVisitor = 0, nextSession = 0, nextOrder = 0
    func newSession() -> Session {
        nextVisitor += 1
        nextSession += 1
        return Session(visitor: "v-\(pick(3) == 0 ? pick(nextVisitor) : nextVisitor)", customer: pick(10) < 3 ? "c-\(nextVisitor)" : nil,
                       id: "s-\(nextSession)", left: 4 + pick(16))
    }
    var sessions = (0..<200).map { _ in newSession() }
    var events: [Event] = []
    events.reserveCapacity(count)
    let start = 1_714_557_600_000 as Int64
    while events.count < count {
        if events.count > 100 && pick(100) == 0 {
            events.append(events[events.count - 1 - pick(100)])  // a re-delivery
            continue
        }
        let s = pick(sessions.count)
        var session = sessions[s]
        let n = events.count
        let time = EventTime.date(start + Int64(n) * 50)
        var event = Event(id: "g-\(n)", type: .productView, time: time, visitorID: session.visitor, customerID: session.customer,
                          sessionID: session.id)
        switch pick(100) {
        case 0..<55: event.sku = sku()
        case 55..<65: event.type = .pageView
        case 65..<73: event.type = .categoryView; event.category = categories[pick(categories.count)]
        case 73..<81: event.type = .addToCart; event.sku = sku(); event.quantity = Double(1 + pick(3)); event.price = Double(5 + pick(90))
        case 81..<83: event.type = .removeFromCart; event.sku = sku(); event.quantity = 1
        case 83..<86:
            event.type = .placeOrder
            nextOrder += 1
            event.orderID = "o-\(nextOrder)"
            event.lines = (0...pick(4)).map { _ in OrderLine(sku: sku(), quantity: Double(1 + pick(3)), price: Double(5 + pick(90))) }
        case 86..<92: event.type = .recsUnitRender; event.unitID = "u-\(pick(5))"
        case 92..<96: event.type = .recsUnitView; event.unitID = "u-\(pick(5))"
        case 96..<99: event.type = .recsItemClick; event.unitID = "u-\(pick(5))"; event.sku = sku()
        default: event.type = .recsAddToCartClick; event.unitID = "u-\(pick(5))"; event.sku = sku()
        }
        events.append(event)
        session.left -= 1
        sessions[s] = session.left > 0 ? session : newSession()
    }
    return events
}

/// The events as C structs; owns the C strings (interned, except the unique keys).
final class CEvents {
    private(set) var events: [baseline_event] = []
    private(set) var lines: [baseline_event_line] = []
    private var strings: [String: UnsafeMutablePointer<CChar>] = [:]
    private var owned: [UnsafeMutablePointer<CChar>] = []

    init(_ source: [Event], storeID: Int64) {
        func c(_ text: String?, intern: Bool = true) -> UnsafePointer<CChar>? {
            guard let text else { return nil }
            if intern, let pointer = strings[text] { return UnsafePointer(pointer) }
            let pointer = strdup(text)!
            if intern { strings[text] = pointer } else { owned.append(pointer) }
            return UnsafePointer(pointer)
        }
        events.reserveCapacity(source.count)
        for event in source {
            let first = lines.count
            for line in event.lines {
                lines.append(baseline_event_line(sku: c(line.sku), parent_sku: c(line.parentSKU), quantity: line.quantity, price: line.price))
            }
            events.append(baseline_event(
                key: c(event.id, intern: false), type: c(event.type.rawValue), occurred_at: EventTime.milliseconds(event.time)!,
                store_id: storeID, visitor_id: c(event.visitorID), customer_id: c(event.customerID), session_id: c(event.sessionID),
                sku: c(event.sku), category: c(event.category), order_id: c(event.orderID), unit_id: c(event.unitID),
                quantity: event.quantity ?? 0, price: event.price ?? 0, has_quantity: event.quantity == nil ? 0 : 1,
                has_price: event.price == nil ? 0 : 1, first_line: Int32(first), line_count: Int32(event.lines.count)))
        }
    }

    deinit {
        for pointer in strings.values { free(pointer) }
        for pointer in owned { free(pointer) }
    }

    /// Appends events[range] through the C baseline in transactions of `batch`; returns nanoseconds.
    func append(_ handle: OpaquePointer, range: Range<Int>, batch: Int) -> Int64 {
        let nanoseconds = events.withUnsafeBufferPointer { events in
            lines.withUnsafeBufferPointer { lines in
                baseline_events_append(handle, events.baseAddress! + range.lowerBound, Int32(range.count), lines.baseAddress, Int32(batch))
            }
        }
        guard nanoseconds >= 0 else { fatalError("C event baseline: \(String(cString: baseline_events_error(handle)))") }
        return nanoseconds
    }
}

/// The C baseline's connection on `path`.
func openBaseline(_ path: String, synchronous: Configuration.Synchronous) -> OpaquePointer {
    var error = [CChar](repeating: 0, count: 512)
    guard let handle = baseline_events_open(path, synchronous.rawValue, &error, 512) else { fatalError(cError(error)) }
    return handle
}

/// A fresh database holding `products` (on website 1) and the category paths.
func eventDatabase(_ name: String, in directory: String, products: [Product], categories: [[String]], synchronous: Configuration.Synchronous = .normal) throws -> CrosslinkStore {
    let path = try freshDatabase(name, in: directory)
    var configuration = Configuration()
    configuration.synchronous = synchronous
    let store = try CrosslinkStore(path: path, configuration: configuration)
    try fillEventCatalog(store, products: products, categories: categories)
    return store
}

/// `products` (on website 1) and the category paths, into an empty store of either engine.
func fillEventCatalog(_ store: CrosslinkStore, products: [Product], categories: [[String]]) throws {
    try store.write { db in
        for product in products { try StoreRepository(db).assign(productID: try ProductRepository(db).upsert(product), websiteIDs: [1]) }
        for path in categories { try CategoryRepository(db).ensure(path: path) }
    }
}

/// Counts that must be equal on both sides: events, resolved products and categories, times; lines.
func eventFingerprint(_ store: CrosslinkStore) throws -> [Int] {
    try store.read { db in
        let events = try db.rows("SELECT count(*), count(product_id), count(category_id), total(occurred_at) FROM events")[0]
        let lines = try db.rows("SELECT count(*), count(product_id), total(quantity) FROM event_lines")[0]
        return (events + lines).map { value -> Int in
            switch value {
            case .integer(let v): Int(v)
            case .real(let v): Int(v)
            default: -1
            }
        }
    }
}

/// One comparison: the same batches (one transaction each) appended by Crosslink and by C into
/// twin databases, alternating batch by batch (which side goes first alternates too), so both
/// see the same machine load and the same file sizes.
func compareAppend(_ label: String, in directory: String, events: [Event], batch: Int, products: [Product], categories: [[String]],
                   aggregate: Bool, target: String) throws {
    var options = EventIngestOptions()
    options.aggregate = aggregate
    let store = try eventDatabase("events-swift.sqlite", in: directory, products: products, categories: categories)
    let twin = try eventDatabase("events-c.sqlite", in: directory, products: products, categories: categories)
    let storeID = try twin.read { db in try StoreRepository(db).store(code: "default").id }
    let cEvents = CEvents(events, storeID: Int64(storeID))
    let handle = openBaseline(twin.path, synchronous: .normal)
    defer { baseline_events_close(handle) }
    let ranges = stride(from: 0, to: events.count, by: batch).map { $0..<min(events.count, $0 + batch) }
    let batches = ranges.map { Array(events[$0]) }
    let ingest = EventStore(store: store, options: options)
    var swiftNanoseconds: UInt64 = 0
    var cNanoseconds: Int64 = 0
    for (k, range) in ranges.enumerated() {
        if k % 2 == 1 { cNanoseconds += cEvents.append(handle, range: range, batch: batch) }
        let start = DispatchTime.now().uptimeNanoseconds
        try ingest.append(batches[k])
        swiftNanoseconds += DispatchTime.now().uptimeNanoseconds - start
        if k % 2 == 0 { cNanoseconds += cEvents.append(handle, range: range, batch: batch) }
    }
    let (a, b) = (try eventFingerprint(store), try eventFingerprint(twin))
    guard a == b else { fatalError("\(label): the two sides stored different rows: Crosslink \(a), C \(b)") }
    let (swiftSeconds, cSeconds) = (Double(swiftNanoseconds) / 1e9, Double(cNanoseconds) / 1e9)
    let rows = Double(a[0] + a[4])
    let (swiftRate, cRate) = (Double(events.count) / swiftSeconds, Double(events.count) / cSeconds)
    print(row([label, String(format: "%.0f", swiftRate), String(format: "%.0f", cRate), String(format: "%.2f×", swiftRate / cRate), target])
          + String(format: "   %.0f vs %.0f rows/s", rows / swiftSeconds, rows / cSeconds))
    // #18 item 4's floor: the stored rows copied by one INSERT … SELECT into Crosslink's schema.
    let floor = try eventDatabase("events-floor.sqlite", in: directory, products: products, categories: categories)
    var error = [CChar](repeating: 0, count: 512)
    let floorNanoseconds = baseline_events_insert_select(floor.path, store.path, &error, Int32(error.count))
    guard floorNanoseconds > 0 else { throw BenchFailure(String(cString: error)) }
    let floorRate = Double(a[0]) / (Double(floorNanoseconds) / 1e9)
    print(row(["  in-schema floor, INSERT…SELECT", String(format: "%.0f", swiftRate), String(format: "%.0f", floorRate),
               String(format: "%.2f×", swiftRate / floorRate), "≥ 0.5×"]))
}

/// p50/p99 of one-event appends (a transaction each), alternating the two sides event by event.
func compareSingleAppends(_ events: [Event], in directory: String, synchronous: Configuration.Synchronous, products: [Product], categories: [[String]]) throws {
    let store = try eventDatabase("single-swift.sqlite", in: directory, products: products, categories: categories, synchronous: synchronous)
    let twin = try eventDatabase("single-c.sqlite", in: directory, products: products, categories: categories, synchronous: synchronous)
    let cEvents = CEvents(events, storeID: 1)
    let handle = openBaseline(twin.path, synchronous: synchronous)
    defer { baseline_events_close(handle) }
    var options = EventIngestOptions()
    options.aggregate = false
    let ingest = EventStore(store: store, options: options)
    var swiftTimes: [Int64] = [], cTimes: [Int64] = []
    for (k, event) in events.enumerated() {
        let start = DispatchTime.now().uptimeNanoseconds
        try ingest.append(event)
        swiftTimes.append(Int64(DispatchTime.now().uptimeNanoseconds - start))
        cTimes.append(cEvents.append(handle, range: k..<k + 1, batch: 1))
    }
    swiftTimes.sort()
    cTimes.sort()
    for (name, p) in [("p50", 0.5), ("p99", 0.99)] {
        let (s, c) = (percentile(swiftTimes, p), percentile(cTimes, p))
        print(row(["1-event append \(synchronous.rawValue.lowercased()) \(name) (µs)", String(format: "%.1f", s), String(format: "%.1f", c),
                   String(format: "%.2f×", s / c), ""]))
    }
}

func runEventIngestBenchmark(_ bench: EventBenchOptions, directory: String) throws {
    let categoryPaths = (0..<20).map { ["Default Category", "Cat \($0)"] }
    let categoryNames = categoryPaths.map { $0.joined(separator: "/") }
    let catalog = (0..<10_000).map { Product(sku: String(format: "GEN-%05d", $0), name: "Generated \($0)", price: Double(5 + $0 % 90)) }
    let generated = generatedEvents(count: bench.events, products: catalog.count, categories: categoryNames)

    let logData = try Data(contentsOf: SampleFiles.onlineRetailLog)
    let log = try OnlineRetailImporter.read(logData, file: "online-retail")

    print("\nEvent ingest — batches of \(bench.batch) events, one transaction each (events/s; rows = events + order lines)\n")
    print(row(["work", "crosslink", "raw C", "ratio", "target"]))
    print(row(["----", "---------", "-----", "-----", "------"]))
    for aggregate in bench.aggregates ? [false, true] : [false] {
        let (what, target) = aggregate ? ("+ aggregates", "≥ 0.3×") : ("append", "≥ 0.9×")
        try compareAppend("generated \(bench.events / 1000)k: \(what)", in: directory, events: generated, batch: bench.batch,
                          products: catalog, categories: categoryPaths, aggregate: aggregate, target: target)
        try compareAppend("Online Retail: \(what)", in: directory, events: log.events, batch: bench.batch,
                          products: log.products, categories: [], aggregate: aggregate, target: target)
    }

    // The whole import as a user runs it (gunzip, parse, create the catalog, insert), without aggregation.
    let store = try CrosslinkStore(path: try freshDatabase("online-retail.sqlite", in: directory))
    var options = OnlineRetailImporter.Options()
    options.createCatalog = true
    options.ingest.aggregate = false
    let start = ContinuousClock.now
    let report = try OnlineRetailImporter(store: store, options: options).importData(logData, file: "online-retail")
    let seconds = (ContinuousClock.now - start) / .seconds(1)
    print(row(["Online Retail: full import", String(format: "%.0f", Double(report.ingest.stored) / seconds), "-", "-", ""])
          + String(format: "   %.0f CSV rows/s: %d rows → %d events, %d products in %.2f s", Double(report.lines) / seconds,
                   report.lines, report.ingest.stored, report.productsCreated, seconds))

    if bench.singleAppends > 0 {
        let single = Array(generated.prefix(bench.singleAppends))
        try compareSingleAppends(single, in: directory, synchronous: .normal, products: catalog, categories: categoryPaths)
        try compareSingleAppends(Array(single.prefix(max(1, bench.singleAppends / 10))), in: directory, synchronous: .full, products: catalog, categories: categoryPaths)
    }
}
