// Rules benchmark (issue 4): product-page placements with 50 active rules over a catalog
// generated deterministically from the Magento sample's shapes — uncached (every rule's SQL),
// cached (materialised results), the raw-C cost of the cached path, and the time to rebuild
// all rule results. Sizes follow --products and --lookups of `crosslink-bench rules`.
import CrosslinkBaseline
import Crosslink
import Foundation
import SampleFiles

/// Runs the rules benchmark and prints its table. `rawLinkLookup` is the raw C related-link
/// lookup (p50, p99 µs) measured by the catalog benchmark, the reference of the cached target.
func runRulesBenchmark(products: Int, lookups: Int, directory: String, rawLinkLookup: (p50: Double, p99: Double)) throws {
    let path = directory + "/rules.sqlite"
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    let store = try CrosslinkStore(path: path)
    let generateStart = ContinuousClock.now
    try RulesBenchCatalog.generate(store, products: products)
    let generateSeconds = (ContinuousClock.now - generateStart) / .seconds(1)
    try store.write { db in
        let repository = RuleRepository(db, refreshesCache: false)   // the cache is built (and timed) below
        for rule in try RulesBenchCatalog.rules(db) { try repository.add(rule) }
    }
    let ruleCount = try store.read { db in try db.scalarInt("SELECT count(*) FROM rules WHERE active = 1") ?? 0 }

    var random = SplitMix64(seed: 42)
    let indexes = (0..<lookups).map { _ in Int32(random.next() % UInt64(products)) }
    let skus = indexes.map { RulesBenchCatalog.sku(Int($0)) }
    let date = Date()

    /// Product page = the related and the up-sell block of one product, each in its own read.
    func pages(_ skus: [String]) throws -> (times: [Int64], pages: [[String]]) {
        var times: [Int64] = []
        var pages: [[String]] = []
        times.reserveCapacity(skus.count)
        for sku in skus {
            let start = DispatchTime.now().uptimeNanoseconds
            let related = try store.read { db in try Placements(db).related(for: sku, date: date, seed: 1) }
            let upsell = try store.read { db in try Placements(db).upsells(for: sku, date: date, seed: 1) }
            times.append(Int64(DispatchTime.now().uptimeNanoseconds - start))
            pages.append((related + upsell).map(\.sku))
        }
        return (times, pages)
    }
    func relatedBlocks(_ skus: [String]) throws -> [Int64] {
        try skus.map { sku in
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try store.read { db in try Placements(db).related(for: sku, date: date, seed: 1) }
            return Int64(DispatchTime.now().uptimeNanoseconds - start)
        }
    }

    // Uncached: every applicable rule's compiled SQL runs for each placement.
    try store.write { db in try RuleCache(db).clear() }
    let uncachedSample = Array(skus.prefix(max(1, min(lookups, 2_000))))
    _ = try pages(uncachedSample)   // warm: compile, prepare, read the pages once (both sides are measured warm)
    let uncached = try pages(uncachedSample)
    let uncachedRelated = try relatedBlocks(uncachedSample).sorted()

    // Full rebuild: every rule's matches and lists, for every store.
    let rebuild = try store.write { db in try RuleCache(db).rebuild() }
    let (lists, matches, results) = try store.read { db in
        (try db.scalarInt("SELECT count(*) FROM rule_lists") ?? 0, try db.scalarInt("SELECT count(*) FROM rule_matches") ?? 0,
         try db.scalarInt("SELECT count(*) FROM rule_results") ?? 0)
    }

    // Cached: the same placements must come out identical.
    _ = try pages(skus)
    let cached = try pages(uncachedSample)
    guard cached.pages == uncached.pages else {
        let first = zip(cached.pages, uncached.pages).enumerated().first { $0.element.0 != $0.element.1 }!
        fatalError("cached and uncached placements differ for \(uncachedSample[first.offset]): \(first.element.0) vs \(first.element.1)")
    }
    let cachedPages = try pages(skus).times.sorted()
    let cachedRelated = try relatedBlocks(skus).sorted()

    // Incremental refresh after one price change (the next placement must reflect it first).
    let changed = skus[0]
    // The pool's own write: no automatic refresh, so the next placement runs the rules' SQL.
    try store.pool.write { db in try db.execute("UPDATE products SET price = price * 1.5 WHERE sku = ?", [changed]) }
    let staleRead = try pages([changed]).pages
    let refresh = try store.write { db in try RuleCache(db).refresh() }
    guard try pages([changed]).pages == staleRead else { fatalError("refreshed placement differs from the uncached one for \(changed)") }

    // The same cached related block in raw C: the same statements, nothing else.
    var cTimes = [Int64](repeating: 0, count: indexes.count)
    var errorBuffer = [CChar](repeating: 0, count: 512)
    let day = StoreCalendarForBench.today(date)
    let storeSQL = "SELECT store_id, code, website_id, name, show_out_of_stock, related_limit, upsell_limit, crosssell_limit FROM stores WHERE code = ?"
    let productSQL = "SELECT product_id FROM products WHERE sku = ?"
    func cLookups() -> Int64 {
        storeSQL.withCString { storeText in productSQL.withCString { productText in
            RuleEngine.blockContextSQL.withCString { blockText in RuleEngine.applicableRulesSQL.withCString { rulesText in
                Placements.linkedSQL.withCString { linkedText in RuleEngine.cachedListSQL.withCString { cachedText in
                    day.withCString { dayText in
                        baseline_rule_lookups(path, indexes.map { Int32($0) }, Int32(indexes.count), dayText,
                                              rules_baseline_sql(store_sql: storeText, product_sql: productText, block_sql: blockText,
                                                                 rules_sql: rulesText, linked_sql: linkedText, cached_sql: cachedText),
                                              &cTimes, &errorBuffer, 512)
                    }
                } }
            } }
        } }
    }
    _ = cLookups()   // warm, as the Swift side was
    let found = cLookups()
    guard found >= 0 else {
        fatalError("C rule baseline failed: \(String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))")
    }
    cTimes.sort()

    func µs(_ sorted: [Int64], _ p: Double) -> Double { Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1000 }
    func line(_ cells: [String]) -> String {
        zip(cells, [46, 12, 12, 9, 12]).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined()
    }
    print("\nRules benchmark — \(products) products generated from the Magento sample's shapes, \(ruleCount) active rules, "
          + "\(lookups) cached / \(uncachedSample.count) uncached lookups (catalog generated in \(String(format: "%.1f", generateSeconds)) s)")
    print(line(["work", "crosslink", "raw C", "ratio", "target"]))
    print(line(["----", "---------", "-----", "-----", "------"]))
    let target = 2 * rawLinkLookup.p50
    print(line(["related block, cached, p50 (µs)", String(format: "%.1f", µs(cachedRelated, 0.5)), String(format: "%.1f", µs(cTimes, 0.5)),
                String(format: "%.2f×", µs(cachedRelated, 0.5) / µs(cTimes, 0.5)),
                String(format: "≤ %.1f", target)]))
    print(line(["related block, cached, p99 (µs)", String(format: "%.1f", µs(cachedRelated, 0.99)), String(format: "%.1f", µs(cTimes, 0.99)),
                String(format: "%.2f×", µs(cachedRelated, 0.99) / µs(cTimes, 0.99)), ""]))
    print(line(["product page (related + up-sell), cached, p50", String(format: "%.1f", µs(cachedPages, 0.5)), "", "", ""]))
    print(line(["product page (related + up-sell), cached, p99", String(format: "%.1f", µs(cachedPages, 0.99)), "", "", ""]))
    print(line(["related block, uncached, p50 (µs)", String(format: "%.1f", µs(uncachedRelated, 0.5)), "", "", "≤ 1000"]))
    print(line(["related block, uncached, p99 (µs)", String(format: "%.1f", µs(uncachedRelated, 0.99)), "", "", ""]))
    let uncachedPages = uncached.times.sorted()
    print(line(["product page, uncached, p50 (µs)", String(format: "%.1f", µs(uncachedPages, 0.5)), "", "", ""]))
    print(line(["product page, uncached, p99 (µs)", String(format: "%.1f", µs(uncachedPages, 0.99)), "", "", ""]))
    print(line(["full rebuild of all rule results (s)", String(format: "%.2f", rebuild.seconds), "", "", "≤ 30"]))
    print(line(["refresh after one price change (s)", String(format: "%.3f", refresh.seconds), "", "", ""]))
    print("raw C related-link lookup (no rules, from the table above): p50 \(String(format: "%.1f", rawLinkLookup.p50)) µs, "
          + "p99 \(String(format: "%.1f", rawLinkLookup.p99)) µs; cached target = 2 × p50")
    print("cache: \(lists) lists, \(matches) matches, \(results) result rows; rebuild: \(rebuild); refresh: \(refresh)")
}

/// Today's date in UTC, as the benchmark store reads rule dates.
enum StoreCalendarForBench {
    static func today(_ date: Date) -> String {
        var style = Date.ISO8601FormatStyle().year().month().day()
        style.timeZone = TimeZone(identifier: "UTC")!
        return style.format(date)
    }
}

/// The benchmark's catalog and rules, generated deterministically.
enum RulesBenchCatalog {
    static func sku(_ index: Int) -> String {
        "R-" + String(repeating: "0", count: max(0, 6 - String(index).count)) + String(index)
    }

    /// Imports the shipped sample, then makes `products` products from its visible products
    /// ("shapes"): product i copies shape i mod count (attribute set, categories, attributes,
    /// the color and size of one of a configurable's children) with a price of 70–130 % of the
    /// shape's in 5 steps, in stock except every 20th. The sample's own products are removed.
    static func generate(_ store: CrosslinkStore, products: Int) throws {
        _ = try MagentoSampleImporter(store: store).importSample(at: SampleFiles.magentoSample)
        try store.write { db in
            try db.execute(script: """
                CREATE TEMP TABLE shapes AS
                SELECT row_number() OVER (ORDER BY product_id) - 1 AS k, product_id, name, attribute_set, price
                FROM products WHERE visibility IN (2, 4) AND price IS NOT NULL AND type IN ('simple', 'configurable');
                CREATE INDEX temp.shapes_k ON shapes(k);
                CREATE TEMP TABLE kids AS
                SELECT parent_id, child_id, row_number() OVER (PARTITION BY parent_id ORDER BY child_id) - 1 AS n,
                       count(*) OVER (PARTITION BY parent_id) AS total
                FROM product_children;
                CREATE INDEX temp.kids_parent_id_n ON kids(parent_id, n);
                CREATE TEMP TABLE copies(i INTEGER PRIMARY KEY, shape INTEGER NOT NULL, child INTEGER);
                """)
            // Copy i: shape i mod count; for a configurable shape, its child (i / count) mod children.
            try db.execute("""
                WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?1),
                     size(count) AS (SELECT count(*) FROM temp.shapes)
                INSERT INTO temp.copies(i, shape, child)
                SELECT n.i, s.product_id,
                       (SELECT kid.child_id FROM temp.kids AS kid WHERE kid.parent_id = s.product_id AND kid.n = (n.i / size.count) % kid.total)
                FROM n CROSS JOIN size CROSS JOIN temp.shapes AS s ON s.k = n.i % size.count
                """, [products])
            try db.execute(script: """
                INSERT INTO products(product_id, sku, name, type, attribute_set, enabled, visibility, price, qty, in_stock)
                SELECT 1000000 + c.i, 'R-' || printf('%06d', c.i), s.name || ' ' || c.i, 'simple', s.attribute_set, 1, 4,
                       round(s.price * (0.7 + 0.15 * (c.i % 5)), 2), 100, (c.i % 20) <> 0
                FROM temp.copies AS c CROSS JOIN products AS s ON s.product_id = c.shape;
                INSERT INTO product_websites(product_id, website_id) SELECT 1000000 + i, 1 FROM temp.copies;
                INSERT INTO product_categories(category_id, product_id, position)
                SELECT pc.category_id, 1000000 + c.i, c.i
                FROM temp.copies AS c CROSS JOIN product_categories AS pc ON pc.product_id = c.shape;
                INSERT INTO product_attributes(product_id, attribute_id, ordinal, value, number)
                SELECT 1000000 + c.i, pa.attribute_id, pa.ordinal, pa.value, pa.number
                FROM temp.copies AS c CROSS JOIN product_attributes AS pa ON pa.product_id = c.shape;
                INSERT OR IGNORE INTO product_attributes(product_id, attribute_id, ordinal, value, number)
                SELECT 1000000 + c.i, pa.attribute_id, pa.ordinal, pa.value, pa.number
                FROM temp.copies AS c CROSS JOIN product_attributes AS pa ON pa.product_id = c.child
                WHERE pa.attribute_id IN (SELECT attribute_id FROM attributes WHERE code IN ('color', 'size'));
                DELETE FROM products WHERE product_id < 1000000;
                DROP TABLE temp.shapes;
                DROP TABLE temp.kids;
                DROP TABLE temp.copies;
                """)
        }
    }

    /// 50 rules over the sample's categories and attribute sets: 17 related, 17 up-sell, 16
    /// cross-sell, priorities 1–3, limits 4–10, a mix of constant and relative display trees.
    static func rules(_ db: Database) throws -> [Rule] {
        let leaves = try db.prepare("""
            SELECT substr(c.name_path, instr(c.name_path, '/') + 1) FROM categories AS c
            WHERE NOT EXISTS (SELECT 1 FROM categories AS child WHERE child.parent_id = c.category_id)
              AND EXISTS (SELECT 1 FROM product_categories AS pc WHERE pc.category_id = c.category_id)
              AND c.name_path NOT LIKE '%/Collections/%' AND c.name_path NOT LIKE '%/Promotions/%'
            ORDER BY c.category_id
            """).map { RuleConstant.string($0.text(at: 0)) }
        let sets: [RuleConstant] = ["Top", "Bottom", "Bag", "Gear"]
        var rules: [Rule] = []
        for k in 0..<50 {
            let type: LinkType = k < 17 ? .related : k < 34 ? .upsell : .crosssell
            let here = leaves[k % leaves.count], next = leaves[(k + 3) % leaves.count]
            let match: RuleCondition = k % 4 == 3 ? .all([.condition("attribute_set", .equal, .constant(sets[k % sets.count])),
                                                          .condition("price", .greaterOrEqual, 20)])
                : .all([.condition("category", .equal, .constant(here))])
            let display: RuleCondition
            switch (type, k % 3) {
            case (.related, 0): display = .all([.condition("category", .equal, .constant(next)), .condition("in_stock", .equal, true)])
            case (.related, 1): display = .all([.condition("category", .equal, .sameAsMatched), .condition("color", .notEqual, .sameAsMatched)])
            case (.related, _): display = .all([.condition("category", .equal, .childOfMatched),
                                                .any([.condition("material", .isOneOf, ["Cotton", "Polyester", "Nylon"]),
                                                      .condition("final_price", .less, 40)])])
            case (.upsell, 0): display = .all([.condition("category", .equal, .sameAsMatched),
                                               .condition("final_price", .greaterOrEqual, .percentOfMatched(100)),
                                               .condition("final_price", .lessOrEqual, .percentOfMatched(150))])
            case (.upsell, 1): display = .all([.condition("attribute_set", .equal, .sameAsMatched),
                                               .condition("category", .equal, .constant(here)),
                                               .condition("price", .greater, .amountFromMatched(5))])
            case (.upsell, _): display = .all([.condition("category", .equal, .sameAsMatched), .condition("activity", .equal, .sameAsMatched)])
            case (_, 0): display = .all([.condition("category", .equal, "Gear/Bags"), .condition("in_stock", .equal, true)])
            case (_, 1): display = .all([.condition("category", .equal, "Gear/Fitness Equipment"), .condition("final_price", .less, 30)])
            case (_, _): display = .all([.condition("category", .equal, .constant(next)), .condition("color", .equal, .sameAsMatched)])
            }
            rules.append(Rule(name: "bench \(k): \(type.rawValue)", appliesTo: type, priority: k % 3 + 1, limit: 4 + k % 7,
                              match: match, display: display))
        }
        return rules
    }
}
