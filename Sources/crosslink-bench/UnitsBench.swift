// Page-resolution benchmark: `resolvePage` for a product page with three units — the related
// block (manual links, rules when active), viewed-this-viewed-that with its backups (more like
// this, then most viewed), and more like this — on the generated shop of RecommendBench.swift
// plus 4 related links per product, beside the raw C single lookup (units_baseline.c).
//
//   crosslink-bench [--units-products N] [--units-sessions N] [--units-lookups N]
//
// Defaults are small (5,000 products, 20,000 sessions); the issue's size is
// --units-products 100000 --units-sessions 300000 (≈ 2 M events).
import CrosslinkBaseline
import Crosslink
import Foundation

@MainActor
func runUnitsBenchmark(arguments: [String], directory: String) throws {
    var products = 5_000, sessions = 20_000, lookups = 2_000
    var iterator = arguments.dropFirst().makeIterator()
    while let argument = iterator.next() {
        switch argument {
        case "--units-products": products = max(100, iterator.next().flatMap { Int($0) } ?? products)
        case "--units-sessions": sessions = iterator.next().flatMap { Int($0) } ?? sessions
        case "--units-lookups": lookups = max(10, iterator.next().flatMap { Int($0) } ?? lookups)
        default: break
        }
    }
    print("\nPage resolution — \(products) products")
    print(row(["work", "crosslink", "raw C", "ratio", "target"]))
    print(row(["----", "---------", "-----", "-----", "------"]))
    let setupStart = ContinuousClock.now
    let shop = GeneratedShop(products: products, sessions: sessions)
    let store = try CrosslinkStore(path: try freshDatabase("units.sqlite"))
    try shop.load(into: store)
    try store.write { db in
        let links = LinkRepository(db)
        for i in 0..<products {
            let id = try ProductRepository(db).requireID(sku: GeneratedShop.sku(i))
            let targets = (1...4).map { k in (id: (i + k * 7) % products + 1, position: k) }.filter { $0.id != id }
            try links.replace(productID: id, type: .related, targets: targets, existing: false)
        }
    }
    for start in stride(from: 0, to: shop.events.count, by: 5_000) {
        _ = try EventStore(store: store).append(Array(shop.events[start..<min(start + 5_000, shop.events.count)]))
    }
    _ = try store.write { db in try SimilarProducts(db).refresh() }
    _ = try store.write { db in
        try UnitRepository(db).importFile(try UnitFile.parse("""
            [{"name": "Related", "page_type": "product", "placement": "top", "status": "active", "type": "related", "count": 5},
             {"name": "Also viewed", "page_type": "product", "position": 1, "status": "active", "type": "viewed-viewed", "count": 5,
              "backups": ["more-like-this"]},
             {"name": "More like this", "page_type": "product", "position": 2, "status": "active", "type": "more-like-this", "count": 5}]
            """))
    }
    print(row(["setup: \(shop.events.count) events (s)", String(format: "%.1f", seconds(ContinuousClock.now - setupStart)), "", "", ""]))

    var random = SplitMix64(seed: 99)
    let skus = (0..<lookups).map { _ in GeneratedShop.sku(Int(random.next() % UInt64(products))) }
    func crosslinkRun() throws -> ([Int64], Int) {
        var times: [Int64] = []
        var found = 0
        for sku in skus {
            let start = DispatchTime.now().uptimeNanoseconds
            let page = try store.resolvePage(.product(sku), visitor: "bench")
            times.append(Int64(DispatchTime.now().uptimeNanoseconds - start))
            found += page.units.reduce(0) { $0 + $1.products.count }
        }
        return (times.sorted(), found)
    }
    func cRun() -> [Int64] {
        var times = [Int64](repeating: 0, count: skus.count)
        var error = [CChar](repeating: 0, count: 512)
        let pointers = skus.map { strdup($0)! }
        defer { pointers.forEach { free($0) } }
        let found = pointers.map { UnsafePointer($0) }.withUnsafeBufferPointer { buffer in
            units_baseline_lookups(store.path, buffer.baseAddress, Int32(skus.count), &times, Placements.linkedSQL, &error, 512)
        }
        guard found >= 0 else { fatalError("units C baseline: \(cError(error))") }
        return times.sorted()
    }
    _ = try crosslinkRun(); _ = cRun()  // warm the caches
    let (swiftTimes, found) = try crosslinkRun()
    let cTimes = cRun()
    for (label, p, target) in [("page, 3 units p50 (µs)", 0.5, "≤ 300 µs"), ("page, 3 units p99 (µs)", 0.99, "≤ 2000 µs")] {
        let a = percentile(swiftTimes, p), b = percentile(cTimes, p)
        print(row([label, String(format: "%.1f", a), String(format: "%.1f", b), String(format: "%.1f×", a / b), target]))
    }
    print("  \(String(format: "%.1f", Double(found) / Double(skus.count))) products per page on average; raw C = one related-block lookup")
}
