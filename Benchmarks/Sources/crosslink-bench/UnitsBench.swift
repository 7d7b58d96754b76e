// Page-resolution benchmark (issue 6): `resolvePage` for a product page with three units — the
// related block (4 manual links per product, then an active related rule fills the fifth
// slot), viewed-this-viewed-that with its backups (more like this, then most viewed), and more
// like this — on the generated shop of RecommendBench.swift, beside the raw C single lookup
// (units_baseline.c: the SKU and the related links in one read transaction).
//
//   crosslink-bench units [--units-products N] [--units-sessions N] [--units-lookups N] [--units-reuse]
//
// --units-reuse (with the same --directory DIR) measures on the database the previous run left
// (DIR/units.sqlite) instead of building it again: the size takes ~20 minutes to set up.
// The default run is small (2,000 products, 6,000 sessions, 500 pages: a few seconds); the
// issue's size is --units-products 100000 --units-sessions 330000 (≈ 2 M events).
// Latency is wall-clock per page; the "CPU" row is the thread's CPU time per page, which leaves
// out the time the thread waited for a core (on a loaded machine that wait is the p99 tail).
import ArgumentParser
import CrosslinkBaseline
import Crosslink
import Foundation

struct UnitsBenchOptions: ParsableArguments {
    @Option(name: .customLong("units-products"), help: "Products of the generated shop (at least 100).") var products = 2_000
    @Option(name: .customLong("units-sessions"), help: "Sessions in its event log.") var sessions = 6_000
    @Option(name: .customLong("units-lookups"), help: "Product pages resolved (at least 10).") var lookups = 500
    @Flag(name: .customLong("units-reuse"), help: "Measure on DIR/units.sqlite left by an earlier run with the same --directory.")
    var reuse = false

    func validate() throws {
        guard products >= 100, lookups >= 10, sessions >= 1 else {
            throw ValidationError("--units-products must be at least 100, --units-lookups at least 10, --units-sessions at least 1")
        }
    }
}

func runUnitsBenchmark(_ options: UnitsBenchOptions, directory: String) throws {
    var products = options.products
    let (sessions, lookups, reuse) = (options.sessions, options.lookups, options.reuse)
    func printHeader(_ size: String) {
        print("\nPage resolution — \(size), \(lookups) product pages")
        print(row(["work", "crosslink", "raw C", "ratio", "target"]))
        print(row(["----", "---------", "-----", "-----", "------"]))
    }
    let store: CrosslinkStore
    let reused = directory + "/units.sqlite"
    if reuse, FileManager.default.fileExists(atPath: reused) {
        store = try CrosslinkStore(path: reused)
        products = try store.read { db in try db.scalarInt("SELECT count(*) FROM products") ?? products }
        let events = try store.read { db in try db.scalarInt("SELECT count(*) FROM events") ?? 0 }
        printHeader("\(products) products, \(events) events (reused)")
        // A database from an older build may need its lists rebuilt (a migration marks them stale).
        let similar = try store.write { db in try SimilarProducts(db).refresh() }
        if similar.rebuilt { print(row(["  similar lists rebuilt (s)", String(format: "%.1f", similar.seconds), "", "", ""])) }
    } else {
        let setup: UnitsBenchShop.Setup
        (store, setup) = try UnitsBenchShop.build(products: products, sessions: sessions, directory: directory)
        printHeader("\(products) products, \(sessions) sessions, \(setup.events) events")
        print(row(["setup (s)", String(format: "%.1f", setup.seconds), "", "", ""]))
        print(row(["  similar lists, rule cache (s)", String(format: "%.1f, %.1f", setup.similarSeconds, setup.ruleSeconds), "", "", ""]))
    }

    var random = SplitMix64(seed: 99)
    let skus = (0..<lookups).map { _ in GeneratedShop.sku(Int(random.next() % UInt64(products))) }
    let (wall, cpu, pages) = try UnitsBenchShop.measure(store, skus: skus)
    let cTimes = try UnitsBenchShop.baseline(store, skus: skus)
    for (label, p, target) in [("page, 3 units p50 (µs)", 0.5, "≤ 300 µs"), ("page, 3 units p99 (µs)", 0.99, "≤ 2000 µs")] {
        let a = percentile(wall, p), b = percentile(cTimes, p)
        print(row([label, String(format: "%.1f", a), String(format: "%.1f", b), String(format: "%.1f×", a / b), target]))
    }
    print(row(["page CPU time p50/p99 (µs)", String(format: "%.0f / %.0f", percentile(cpu, 0.5), percentile(cpu, 0.99)), "", "", ""]))
    // Each unit alone (the others inactive): where the page's time goes.
    for (name, short) in zip(UnitsBenchShop.unitNames, ["related", "viewed-viewed", "more-like-this"]) {
        let (alone, aloneCPU, _) = try UnitsBenchShop.measure(store, skus: Array(skus.prefix(max(10, lookups / 2))), only: name)
        print(row(["  \(short) alone p50/p99", String(format: "%.0f / %.0f", percentile(alone, 0.5), percentile(alone, 0.99)), "", "", ""]))
        print(row(["    CPU time p50/p99", String(format: "%.0f / %.0f", percentile(aloneCPU, 0.5), percentile(aloneCPU, 0.99)), "", "", ""]))
    }
    let units = pages.flatMap(\.units)
    func perPage(_ count: Int) -> String { String(format: "%.1f", Double(count) / Double(pages.count)) }
    let related = units.filter { $0.name == "Related" }.flatMap(\.products)
    let ruleProducts = related.filter { if case .placement(.rule) = $0.reason { true } else { false } }.count
    let backups = units.flatMap(\.products).filter(\.isBackup).count
    print("  per page: \(perPage(units.reduce(0) { $0 + $1.products.count })) products; related unit \(perPage(related.count - ruleProducts)) manual + "
          + "\(perPage(ruleProducts)) rule; \(perPage(backups)) from backups. Load average \(UnitsBenchShop.loadAverage()) on "
          + "\(ProcessInfo.processInfo.activeProcessorCount) cores. Raw C = one related-links lookup.")
}

/// The benchmark's database and its measurements.
enum UnitsBenchShop {
    static let unitNames = ["Related", "Also viewed", "More like this"]

    struct Setup { var events: Int; var seconds: Double; var similarSeconds: Double; var ruleSeconds: Double }

    static func build(products: Int, sessions: Int, directory: String) throws -> (CrosslinkStore, Setup) {
        let store = try CrosslinkStore(path: try freshDatabase("units.sqlite", in: directory))
        return (store, try build(products: products, sessions: sessions, into: store))
    }

    /// Fills the empty `store` (either engine) with the shop, its links, rule and units.
    static func build(products: Int, sessions: Int, into store: CrosslinkStore) throws -> Setup {
        let start = ContinuousClock.now
        let shop = GeneratedShop(products: products, sessions: sessions)
        try shop.load(into: store)
        try store.write { db in
            let links = LinkRepository(db)
            let repository = ProductRepository(db)
            for i in 0..<products {
                let id = try repository.requireID(sku: GeneratedShop.sku(i))
                let targets = (1...4).map { k in (id: (i + k * 7) % products + 1, position: k) }.filter { $0.id != id }
                try links.replace(productID: id, type: .related, targets: targets, existing: false)
            }
        }
        for first in stride(from: 0, to: shop.events.count, by: 5_000) {
            _ = try EventStore(store: store).append(Array(shop.events[first..<min(first + 5_000, shop.events.count)]))
        }
        let similarStart = ContinuousClock.now
        _ = try store.write { db in try SimilarProducts(db).refresh() }
        let similarSeconds = seconds(ContinuousClock.now - similarStart)
        // One active related rule: same category, another colour. Every page's related unit shows
        // its 4 manual links, then the rule's first result (the unit shows 5).
        let ruleStart = ContinuousClock.now
        try store.write { db in
            try RuleRepository(db, refreshesCache: false).importFile(text: """
                {"name": "Bench: same category, other colour", "applies_to": "related", "limit": 4,
                 "match": {"aggregator": "all", "value": true, "conditions": [{"attribute": "price", "operator": ">=", "value": 0}]},
                 "display": {"aggregator": "all", "value": true, "conditions": [
                   {"attribute": "category", "operator": "==", "value_type": "same_as_matched"},
                   {"attribute": "color", "operator": "!=", "value_type": "same_as_matched"}]}}
                """, file: "bench-rule.json")
            _ = try RuleCache(db).rebuild()
        }
        let ruleSeconds = seconds(ContinuousClock.now - ruleStart)
        _ = try store.write { db in
            try UnitRepository(db).importFile(try UnitFile.parse("""
                [{"name": "Related", "page_type": "product", "placement": "top", "status": "active", "type": "related", "count": 5},
                 {"name": "Also viewed", "page_type": "product", "position": 1, "status": "active", "type": "viewed-viewed", "count": 5,
                  "backups": ["more-like-this"]},
                 {"name": "More like this", "page_type": "product", "position": 2, "status": "active", "type": "more-like-this", "count": 5}]
                """, file: "bench-units.json"))
        }
        return Setup(events: shop.events.count, seconds: seconds(ContinuousClock.now - start),
                     similarSeconds: similarSeconds, ruleSeconds: ruleSeconds)
    }

    /// Sorted wall-clock and CPU nanoseconds per page (after one warm-up pass), and the pages.
    /// With `only`, the other units are inactive for the run.
    static func measure(_ store: CrosslinkStore, skus: [String], only: String? = nil) throws -> ([Int64], [Int64], [ResolvedPage]) {
        if let only {
            try store.write { db in for name in unitNames { try UnitRepository(db).setStatus(name == only ? .active : .inactive, name: name) } }
        }
        defer {
            if only != nil { try? store.write { db in for name in unitNames { try UnitRepository(db).setStatus(.active, name: name) } } }
        }
        var wall: [Int64] = [], cpu: [Int64] = [], pages: [ResolvedPage] = []
        for pass in 0..<2 {
            (wall, cpu, pages) = ([], [], [])
            for sku in skus {
                let cpuStart = threadCPUNanoseconds()
                let start = DispatchTime.now().uptimeNanoseconds
                let page = try store.resolvePage(.product(sku), visitor: "bench")
                wall.append(Int64(DispatchTime.now().uptimeNanoseconds - start))
                cpu.append(threadCPUNanoseconds() - cpuStart)
                if pass == 1 { pages.append(page) }
            }
        }
        return (wall.sorted(), cpu.sorted(), pages)
    }

    /// The raw C lookups (after one warm-up pass), sorted nanoseconds.
    static func baseline(_ store: CrosslinkStore, skus: [String]) throws -> [Int64] {
        var times = [Int64](repeating: 0, count: skus.count)
        var error = [CChar](repeating: 0, count: 512)
        let pointers = skus.map { strdup($0)! }
        defer { pointers.forEach { free($0) } }
        for _ in 0..<2 {
            let found = pointers.map { UnsafePointer($0) }.withUnsafeBufferPointer { buffer in
                units_baseline_lookups(store.path, buffer.baseAddress, Int32(skus.count), &times, Placements.linkedSQL, &error, 512)
            }
            guard found >= 0 else { throw BenchFailure("units C baseline failed: \(cError(error))") }
        }
        return times.sorted()
    }

    static func threadCPUNanoseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }

    /// The 1-minute load average (Linux), to read the wall-clock tail against.
    static func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.map(String.init) ?? "?"
    }
}
