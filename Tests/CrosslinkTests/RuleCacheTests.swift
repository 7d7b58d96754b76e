import Foundation
import Testing
@testable import Crosslink

/// The rule-result cache: never served stale, refreshed incrementally to exactly what a full
/// rebuild gives, and the same placements as running the rules' SQL.
@Suite struct RuleCacheTests {
    /// Rules of every kind: constant and relative display trees, all three blocks.
    static let rules: [Rule] = [
        Rule(name: "Bags: pricier bags", appliesTo: .upsell, limit: 4, match: .all([.condition("category", .equal, "Gear/Bags")]),
             display: .all([.condition("category", .equal, .sameAsMatched), .condition("attribute_set", .equal, .sameAsMatched),
                            .condition("final_price", .greaterOrEqual, .percentOfMatched(100))])),
        Rule(name: "Gear: same activity", appliesTo: .related, limit: 5, match: .all([.condition("category", .equal, "Gear")]),
             display: .all([.condition("activity", .equal, .sameAsMatched), .condition("category", .equal, .childOfMatched)])),
        Rule(name: "Tops: cheaper tops", appliesTo: .related, priority: 2, limit: 3, match: .all([.condition("attribute_set", .equal, "Top")]),
             display: .all([.condition("attribute_set", .equal, "Top"), .condition("price", .less, .amountFromMatched(-10))])),
        Rule(name: "Cart: bags for tops", appliesTo: .crosssell, limit: 3, match: .all([.condition("category", .equal, "Men/Tops")]),
             display: .all([.condition("category", .equal, "Gear/Bags"), .condition("in_stock", .equal, true)])),
        Rule(name: "Watches: same material", appliesTo: .upsell, priority: 2, match: .all([.condition("category", .equal, "Gear/Watches")]),
             display: .any([.condition("material", .equal, .sameAsMatched), .condition("price", .greater, 90)])),
    ]

    static func seeded() throws -> (TemporaryDirectory, CrosslinkStore, String) {
        let (dir, store, path) = try RuleSample.copy()
        // Nothing built yet: each test decides when the cache is built.
        try store.write { db in for rule in rules { _ = try RuleRepository(db, refreshesCache: false).add(rule) } }
        for block in LinkType.allCases { try RuleBlockTests.set(store, block, .rulesOnly, max: 20, rotation: .byPriorityThenID) }
        return (dir, store, path)
    }

    /// Every cached list as (rule, matched SKU, store, position, candidate SKU), read with the sqlite3 CLI.
    static func dump(_ path: String) throws -> [[String]] {
        try sqlite3Rows(path, "SELECT rule, matched_sku, store, position, sku FROM rule_result_list ORDER BY 1, 2, 3, 4")
    }

    static let skus = ["24-MB01", "24-MB04", "24-WB04", "24-MG01", "24-MG02", "24-WG02", "24-UG06", "MH01", "MJ01", "WS01", "MP01", "24-WG080"]

    /// The blocks of `skus` (related, up-sell, and a one-item cart).
    static func blocks(_ store: CrosslinkStore) throws -> [[String]] {
        try store.read { db in
            try skus.flatMap { sku in
                let placements = Placements(db)
                return [try placements.related(for: sku).map(\.sku), try placements.upsells(for: sku).map(\.sku),
                        try placements.crossSells(cart: [sku]).map(\.sku)]
            }
        }
    }

    /// A write transaction that leaves the rule cache as the write left it (the pool's own
    /// `write`: no automatic refresh), to observe what placements do before a refresh.
    static func writeWithoutRefresh(_ store: CrosslinkStore, _ body: (Database) throws -> Void) throws {
        try store.pool.write(body)
    }

    static func cacheUsable(_ store: CrosslinkStore) throws -> Bool {
        try store.read { db in try RuleEngine(db).blockContext(storeID: 1, block: .upsell).cacheUsable }
    }

    @Test func aChangedPriceShowsInTheNextPlacement() throws {
        let (_, store, path) = try Self.seeded()
        let report = try store.write { db in try RuleCache(db).refresh() }
        #expect(report.rulesBuilt == 5 && report.fullRebuild == false)
        #expect(try Self.cacheUsable(store))
        // Bags priced ≥ 24-MB01's 34, by product id (hand-written SQL), at most 4.
        let pricier = """
            SELECT d.sku FROM displayable_products AS d JOIN products AS p ON p.product_id = d.product_id
            WHERE d.store = 'default' AND p.attribute_set = 'Bag' AND d.final_price >= 34 AND d.sku <> '24-MB01' ORDER BY d.product_id LIMIT 4
            """
        let before = try sqlite3Rows(path, pricier).map { $0[0] }
        #expect(before == ["24-MB03", "24-MB05", "24-MB06", "24-MB02"])
        #expect(try store.read { db in try Placements(db).upsells(for: "24-MB01") }.map(\.sku) == before)

        // 24-MB03 drops to 20: the very next placement leaves it out, without a refresh.
        try Self.writeWithoutRefresh(store) { db in try db.execute("UPDATE products SET price = 20 WHERE sku = '24-MB03'") }
        #expect(try Self.cacheUsable(store) == false)
        let after = try sqlite3Rows(path, pricier).map { $0[0] }
        #expect(after == ["24-MB05", "24-MB06", "24-MB02", "24-UB02"])
        #expect(try store.read { db in try Placements(db).upsells(for: "24-MB01") }.map(\.sku) == after)
        // The stale list is still in the cache until the refresh…
        #expect(try sqlite3Rows(path, "SELECT sku FROM rule_result_list WHERE rule = 'Bags: pricier bags' AND matched_sku = '24-MB01' ORDER BY position").map { $0[0] }
                .contains("24-MB03"))
        let refresh = try store.write { db in try RuleCache(db).refresh() }
        #expect(refresh.fullRebuild == false && refresh.changedProducts == 1 && refresh.rulesBuilt == 0)
        // …which recomputes it, and placements read the cache again.
        #expect(try Self.cacheUsable(store))
        #expect(try sqlite3Rows(path, "SELECT sku FROM rule_result_list WHERE rule = 'Bags: pricier bags' AND matched_sku = '24-MB01' ORDER BY position").map { $0[0] }
                .contains("24-MB03") == false)
        #expect(try store.read { db in try Placements(db).upsells(for: "24-MB01") }.map(\.sku) == after)
        // 24-MB03 itself, now at 20, matches cheaper… it is up-sold every bag of 20 or more.
        #expect(try store.read { db in try Placements(db).upsells(for: "24-MB03") }.count == 4)
    }

    @Test func incrementalRefreshEqualsAFullRebuildAndTheUncachedPlacements() throws {
        let (_, store, path) = try Self.seeded()
        try store.write { db in _ = try RuleCache(db).refresh() }
        // Every kind of change a product can have.
        try Self.writeWithoutRefresh(store) { db in
            let products = ProductRepository(db)
            try db.execute("UPDATE products SET price = price + 30 WHERE sku IN ('24-MB04', 'MJ01', '24-MG04')")
            try db.execute("UPDATE products SET special_price = 10 WHERE sku = '24-WB07'")
            try db.execute("UPDATE products SET in_stock = 0 WHERE sku = '24-MB06'")
            try db.execute("UPDATE products SET enabled = 0 WHERE sku = '24-WG03'")
            try AttributeRepository(db).set(productID: try products.requireID(sku: "24-MG02"), code: "material", values: ["Rubber", "Plastic"])
            try AttributeRepository(db).set(productID: try products.requireID(sku: "24-UG06"), code: "activity", values: ["Yoga"])
            try CategoryRepository(db).setCategories(productID: try products.requireID(sku: "24-WB04"), paths: [["Gear", "Watches"]])
            _ = try products.delete(sku: "24-MB02")
            _ = try products.delete(sku: "24-WG01")
            let id = try products.upsert(Product(sku: "NEW-BAG", name: "New Bag", attributeSet: "Bag", price: 99, qty: 10))
            try StoreRepository(db).assign(productID: id, websiteIDs: [1])
            try CategoryRepository(db).setCategories(productID: id, paths: [["Gear"], ["Gear", "Bags"]])
            try AttributeRepository(db).set(productID: id, code: "activity", values: ["Gym"])
        }
        #expect(try sqlite3Rows(path, "SELECT count(*) FROM rule_cache_dirty") == [["12"]])
        let uncached = try Self.blocks(store)
        let incremental = try store.write { db in try RuleCache(db).refresh() }
        #expect(incremental.fullRebuild == false && incremental.changedProducts == 12 && incremental.listsComputed > 0)
        let afterIncremental = try Self.dump(path)
        #expect(try Self.cacheUsable(store))
        let cached = try Self.blocks(store)
        #expect(cached == uncached)
        #expect(cached.contains { !$0.isEmpty })
        let full = try store.write { db in try RuleCache(db).rebuild() }
        #expect(full.fullRebuild && full.rulesBuilt == 5)
        #expect(try Self.dump(path) == afterIncremental)
        #expect(afterIncremental.count > 100)
        #expect(try Self.blocks(store) == uncached)
    }

    @Test func ruleChangesDropTheirCachedResults() throws {
        let (_, store, path) = try Self.seeded()
        try store.write { db in _ = try RuleCache(db).refresh() }
        #expect(try sqlite3Rows(path, "SELECT count(*) FROM rule_cache_rules") == [["5"]])
        // A new display tree: the rule's cached results go at once (trigger), placements run its SQL.
        var rule = Self.rules[0]
        rule.display = .all([.condition("sku", .equal, "24-WB04")])
        try store.write { db in _ = try RuleRepository(db, refreshesCache: false).save(rule) }
        #expect(try sqlite3Rows(path, "SELECT count(*) FROM rule_cache_rules") == [["4"]])
        #expect(try sqlite3Rows(path, "SELECT count(*) FROM rule_result_list WHERE rule = 'Bags: pricier bags'") == [["0"]])
        #expect(try store.read { db in try Placements(db).upsells(for: "24-MB01") }.map(\.sku) == ["24-WB04"])
        // Renaming or re-prioritising keeps cached results: they are applied when served.
        try store.write { db in _ = try RuleCache(db).refresh() }
        try store.write { db in try db.execute("UPDATE rules SET priority = 7, name = 'Bags: WB04' WHERE rule_id = 1") }
        #expect(try sqlite3Rows(path, "SELECT count(*) FROM rule_cache_rules") == [["5"]])
        let upsell = try store.read { db in try Placements(db).upsells(for: "24-MB01") }
        #expect(upsell.map(\.reason) == [.rule(ruleID: 1, name: "Bags: WB04")])
        // Deactivated rules leave the cache at the next refresh; deleted ones at once.
        try store.write { db in try RuleRepository(db, refreshesCache: false).setActive(false, name: "Bags: WB04") }
        let report = try store.write { db in try RuleCache(db).refresh() }
        #expect(report.rulesDropped == 1)
        try store.write { db in try RuleRepository(db).delete(name: "Cart: bags for tops") }
        #expect(try sqlite3Rows(path, "SELECT count(*) FROM rule_cache_rules") == [["3"]])
        #expect(try sqlite3Rows(path, "SELECT count(*) FROM rule_lists WHERE rule_id NOT IN (SELECT rule_id FROM rules)") == [["0"]])
    }

    @Test func categoryAndStoreChangesForceAFullRebuild() throws {
        let (_, store, _) = try Self.seeded()
        try store.write { db in _ = try RuleCache(db).refresh() }
        let uncached = try Self.blocks(store)
        try Self.writeWithoutRefresh(store) { db in
            try db.execute("UPDATE categories SET name_path = 'Default Category/Gear/Backpacks', name = 'Backpacks' WHERE category_id = 3")
        }
        #expect(try Self.cacheUsable(store) == false)
        // "Gear/Bags" no longer exists: the rules naming it select nothing.
        #expect(try store.read { db in try Placements(db).crossSells(cart: ["MH01"]) }.isEmpty)
        let report = try store.write { db in try RuleCache(db).refresh() }
        #expect(report.fullRebuild)
        #expect(try Self.cacheUsable(store))
        #expect(try store.read { db in try Placements(db).crossSells(cart: ["MH01"]) }.isEmpty)
        try Self.writeWithoutRefresh(store) { db in
            try db.execute("UPDATE categories SET name_path = 'Default Category/Gear/Bags', name = 'Bags' WHERE category_id = 3")
            _ = try StoreRepository(db).upsertStore(code: "second", website: "base")
        }
        #expect(try Self.cacheUsable(store) == false)
        #expect(try store.write { db in try RuleCache(db).refresh() }.fullRebuild)
        #expect(try Self.blocks(store) == uncached)
        // The new store has the default settings: MH01's manual cross-sells first, then the rule, 5 in all.
        #expect(try store.read { db in try Placements(db).crossSells(cart: ["MH01"], store: "second") }.count == 5)
    }

    @Test func clearingTheCacheKeepsPlacementsRight() throws {
        let (_, store, path) = try Self.seeded()
        let uncached = try Self.blocks(store)
        try store.write { db in _ = try RuleCache(db).refresh() }
        #expect(try Self.blocks(store) == uncached)
        try store.write { db in try RuleCache(db).clear() }
        #expect(try sqlite3Rows(path, "SELECT (SELECT count(*) FROM rule_cache_rules) + (SELECT count(*) FROM rule_results)") == [["0"]])
        #expect(try Self.blocks(store) == uncached)
    }
}
