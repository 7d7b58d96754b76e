import ArgumentParser
import Crosslink
import Foundation

// crosslink-bench --database FILE: the latency of every recommendation type on an existing
// database (a real log, not the generated shop), through the library in-process. Contexts are
// drawn from the database itself, seeded: products that have aggregates (sessions touched them),
// carts of 2–5 products bought together in one order, visitors with a history. Nothing is
// written; build in release.

struct DatabaseBenchOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Measure every recommendation type on this existing SQLite database (nothing else runs).",
                               valueName: "file"))
    var database: String?
    @Option(help: ArgumentHelp("With --database: requests per type and context (fewer for a type slower than 2 s in all).",
                               valueName: "n"))
    var databaseLookups = 2_000
    @Option(help: ArgumentHelp("With --database: the store view asked for.", valueName: "code"))
    var databaseStore = "default"
}

func runDatabaseBenchmark(_ options: DatabaseBenchOptions, path: String) throws {
    guard FileManager.default.fileExists(atPath: path) else { throw BenchFailure("no such database: \(path)") }
    let store = try CrosslinkStore(path: path)
    var random = SplitMix64(seed: 1_812)
    func pick<T>(_ values: [T]) -> T { values[Int(random.next() % UInt64(values.count))] }

    let (products, baskets, visitors, sizes) = try store.read { db in
        let products = try db.cachedStatement("""
            SELECT DISTINCT p.sku FROM session_products AS s JOIN products AS p ON p.product_id = s.product_id ORDER BY p.sku
            """).map { $0.text(at: 0) }
        // Orders of 2…5 lines, by SKU (a cart a visitor could have).
        var baskets: [[String]] = []
        var lastSeq = -1
        try db.cachedStatement("""
            SELECT l.event_seq, p.sku FROM event_lines AS l JOIN products AS p ON p.product_id = l.product_id
            WHERE l.event_seq IN (SELECT event_seq FROM event_lines GROUP BY event_seq HAVING count(*) BETWEEN 2 AND 5 LIMIT 20000)
            ORDER BY l.event_seq, l.line
            """).forEachRow { row in
            if row.int(at: 0) == lastSeq { baskets[baskets.count - 1].append(row.text(at: 1)) } else { baskets.append([row.text(at: 1)]) }
            lastSeq = row.int(at: 0)
        }
        let visitors = try db.cachedStatement("SELECT DISTINCT visitor_id FROM visitor_products ORDER BY visitor_id").map { $0.text(at: 0) }
        let sizes = try db.rows("""
            SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM products), (SELECT count(*) FROM pair_lists),
                   (SELECT count(*) FROM item_neighbours)
            """)[0].map(\.description)
        return (products, baskets.filter { $0.count >= 2 }, visitors, sizes)
    }
    guard !products.isEmpty else { throw BenchFailure("\(path) has no aggregates: import events (and rebuild) first") }
    print("\nRecommendation latency on \(path): \(sizes[0]) events, \(sizes[1]) products, \(sizes[2]) bought-together lists, "
          + "\(sizes[3]) neighbour rows; contexts drawn from \(products.count) products with aggregates, \(baskets.count) orders of 2–5 lines, "
          + "\(visitors.count) visitors (seeded); in-process library calls, limit 10")
    print(benchRow(["type", "context", "requests", "p50 (µs)", "p99 (µs)", "products/answer"]))
    print(benchRow(["----", "-------", "--------", "--------", "--------", "---------------"]))
    for type in RecommendationType.allCases {
        var contexts: [(label: String, make: () -> RecommendationContext)] = []
        switch type.requirement {
        case .nothing: contexts = [("none", { .none })]
        case .visitor: contexts = [("visitor", { .visitor(pick(visitors)) })]
        case .products: contexts = [("product", { .product(pick(products)) })] + (baskets.isEmpty ? [] : [("cart of 2–5", { .cart(pick(baskets)) })])
        }
        for (label, make) in contexts {
            let requests = (0..<options.databaseLookups).map { _ in make() }
            // Warm up, and measure the cost of one request to cap a slow type at about 2 s.
            let probe = ContinuousClock.now
            let warm = min(20, requests.count)
            for context in requests.prefix(warm) {
                _ = try store.read { db in try Recommender(db).recommend(type, context: context, store: options.databaseStore, limit: 10) }
            }
            let each = seconds(ContinuousClock.now - probe) / Double(max(1, warm))
            let count = max(50, min(requests.count, Int(2 / max(each, 1e-9))))
            var times: [Int64] = []
            var found = 0
            for context in requests.prefix(count) {
                let start = DispatchTime.now().uptimeNanoseconds
                let list = try store.read { db in try Recommender(db).recommend(type, context: context, store: options.databaseStore, limit: 10) }
                times.append(Int64(DispatchTime.now().uptimeNanoseconds - start))
                found += list.count
            }
            times.sort()
            print(benchRow([type.rawValue, label, String(times.count), String(format: "%.1f", percentile(times, 0.5)),
                            String(format: "%.1f", percentile(times, 0.99)), String(format: "%.1f", Double(found) / Double(times.count))]))
        }
    }
}

private func benchRow(_ cells: [String]) -> String {
    zip(cells, [22, 14, 10, 11, 11, 16]).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined()
}
