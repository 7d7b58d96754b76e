import Foundation
import Testing
@testable import Crosslink

/// Rules on SQLite and on PostgreSQL give the same answers on a catalog of many products: every
/// condition case of ``RuleConditionTests``, blocks of several rules for many products, and the
/// rule cache after catalog edits.
@Suite(.requiresPostgreSQL) struct RuleConformanceTests {
    /// A generated catalog of 260 products with the SKUs, categories and attributes that
    /// ``RuleConditionTests``' cases name (bags 24-MB*/24-WB*, watches 24-MG*, fitness 24-UG*,
    /// tops MH*/WS*, downloads 240-LV*), built through the repositories on either engine.
    static func fill(_ store: CrosslinkStore) throws {
        try store.write { db in
            let products = ProductRepository(db), stores = StoreRepository(db), categories = CategoryRepository(db)
            let attributes = AttributeRepository(db)
            for (code, type) in [("material", AttributeType.multiselect), ("activity", .multiselect), ("format", .select),
                                 ("has_options", .text), ("new", .boolean), ("eco_collection", .boolean), ("sale", .boolean),
                                 ("weight", .number), ("color", .select), ("size", .select)] {
                _ = try attributes.define(code: code, type: type)
            }
            let gear = try categories.ensure(path: ["Gear"])
            let families: [(prefix: String, count: Int, path: [String], set: String, created: String)] = [
                ("24-MB", 30, ["Gear", "Bags"], "Bag", "2023-03-15T08:00:00Z"),
                ("24-WB", 30, ["Gear", "Bags"], "Bag", "2024-06-01T23:30:00Z"),
                ("24-MG", 30, ["Gear", "Watches"], "Gear", "2024-02-10T10:00:00Z"),
                ("24-UG", 30, ["Gear", "Fitness Equipment"], "Gear", "2024-11-20T12:00:00Z"),
                ("MH", 50, ["Men", "Tops"], "Top", "2025-01-05T09:00:00Z"),
                ("WS", 50, ["Women", "Tops"], "Top", "2025-04-05T09:00:00Z"),
                ("240-LV", 40, ["Training", "Video Download"], "Downloadable", "2023-09-09T09:00:00Z"),
            ]
            let materials = ["Nylon", "Polyester", "Leather", "Canvas", "Cotton"], activities = ["Yoga", "Gym", "Travel", "Trail", "Overnight"]
            var index = 0
            for family in families {
                let category = try categories.ensure(path: family.path)
                for number in 1...family.count {
                    index += 1
                    let i = index
                    let sku = family.prefix + (number < 10 ? "0\(number)" : "\(number)")
                    let type: ProductType = family.prefix == "240-LV" ? .downloadable : i % 23 == 0 ? .bundle : i % 29 == 0 ? .virtual : .simple
                    let price: Double? = type == .bundle ? nil : Double(8 + (i * 37) % 90) + (i % 4 == 0 ? 0.5 : 0)
                    let product = Product(sku: sku, name: "\(family.set) \(["Fusion", "Driven", "Compete", "Watch", "Tank", "Backpack"][i % 6]) \(number)",
                                          type: type, attributeSet: family.set, enabled: true,
                                          visibility: i % 31 == 0 ? .catalog : .catalogAndSearch, price: price,
                                          specialPrice: i % 9 == 0 ? Double(5 + i % 40) : nil, qty: Double(i % 7 * 10),
                                          inStock: i % 17 != 0, createdAt: family.created)
                    let id = try products.upsert(product)
                    try stores.assign(productID: id, websiteIDs: [1])
                    try categories.assign(productID: id, categoryID: category)
                    if family.prefix == "24-UG" || i % 13 == 0 { try categories.assign(productID: id, categoryID: gear) }
                    try attributes.set(productID: id, code: "material", values: [materials[i % 5], materials[(i / 5) % 5]])
                    if i % 3 != 0 { try attributes.set(productID: id, code: "activity", values: [activities[i % 5], activities[(i + 2) % 5]]) }
                    if family.prefix == "240-LV" { try attributes.set(productID: id, code: "format", values: [i % 4 == 0 ? "DVD" : "Download"]) }
                    try attributes.set(productID: id, code: "has_options", values: [i % 2 == 0 ? "1" : "0"])
                    if i % 4 != 1 { try attributes.set(productID: id, code: "new", values: [["Yes", "1", "No"][i % 3]]) }
                    if i % 5 == 0 { try attributes.set(productID: id, code: "eco_collection", values: ["Yes"]) }
                    if i % 7 == 0 { try attributes.set(productID: id, code: "sale", values: ["1"]) }
                    if i % 3 == 0 { try attributes.set(productID: id, code: "weight", values: [RuleJSON.numberText(Double(i % 11) / 4)]) }
                    try attributes.set(productID: id, code: "color", values: [["Black", "Red", "Blue"][i % 3]])
                    try attributes.set(productID: id, code: "size", values: [["XS", "M", "L"][i % 3]])
                }
            }
            let links = LinkRepository(db)
            try links.replace(sku: "24-MB01", type: .related, with: [ProductLink(sku: "24-MB04", position: 1), ProductLink(sku: "24-WB04", position: 2)])
            try links.replace(sku: "24-MB01", type: .upsell, with: (1...8).map { ProductLink(sku: "24-WB0\($0)", position: $0) })
            try links.replace(sku: "24-MG02", type: .crosssell, with: [ProductLink(sku: "24-UG03", position: 1)])
            try links.replace(sku: "MH03", type: .related, with: [ProductLink(sku: "MH04", position: 2), ProductLink(sku: "WS04", position: 1)])
        }
    }

    @Test func everyConditionCaseGivesTheSameCandidatesAndMatches() throws {
        let stores = try EngineConformanceTests.pair("rule_sample", fill: Self.fill)
        var found = 0
        for testCase in RuleConditionTests.constantCases + RuleConditionTests.relativeCases {
            let answers = try stores.both.map { store in
                try RuleSample.candidates(testCase.display, matched: testCase.matched, store: store)
            }
            #expect(answers[0] == answers[1], "\(testCase.name)")
            found += answers[0].count
        }
        #expect(found > 1_000)
        // "Products to match" on single products.
        let skus = try stores.sqlite.read { db in
            try db.prepare("SELECT sku FROM products WHERE product_id % 37 = 0 OR sku LIKE '24-MB%' ORDER BY product_id").map { $0.text(at: 0) }
        }
        let trees: [RuleCondition] = RuleConditionTests.constantCases.map(\.display)
        var held = 0
        for sku in skus {
            for tree in trees {
                let answers = try stores.both.map { try RuleSample.matches(tree, sku: sku, store: $0) }
                #expect(answers[0] == answers[1], "\(sku) \(tree)")
                if answers[0] { held += 1 }
            }
        }
        #expect(held > 100)
    }

    /// SKUs compare ignoring ASCII case on both engines, as SQLite's `COLLATE NOCASE` column
    /// does (citext on PostgreSQL): equal, not equal, is one of and is not one of, with SKUs
    /// written in another case than the catalog's.
    @Test func skuConditionsIgnoreCaseOnBothEngines() throws {
        let stores = try EngineConformanceTests.pair("rule_sku_case", fill: Self.fill)
        let listed: RuleValue = ["24-mb01", "24-Wb02", "mh03", "NO-SUCH-SKU"]
        let bagsOnly: RuleCondition = .condition("category", .equal, "Gear/Bags")
        let bags = Set(try RuleSample.candidates(.all([bagsOnly]), matched: "WS10", store: stores.sqlite))
        #expect(bags.count > 50 && bags.contains("24-MB01") && bags.contains("24-WB02") && bags.contains("24-MB05"))
        let cases: [(RuleCondition, Set<String>)] = [
            (.all([.condition("sku", .isOneOf, listed)]), ["24-MB01", "24-WB02", "MH03"]),
            (.all([.condition("sku", .equal, "24-mb05")]), ["24-MB05"]),
            (.all([.condition("sku", .isNotOneOf, listed), bagsOnly]), bags.subtracting(["24-MB01", "24-WB02"])),
            (.all([.condition("sku", .notEqual, "24-mb05"), bagsOnly]), bags.subtracting(["24-MB05"])),
        ]
        for (display, expected) in cases {
            let answers = try stores.both.map { try RuleSample.candidates(display, matched: "WS10", store: $0) }
            #expect(answers[0] == answers[1], "\(display)")
            #expect(Set(answers[0]) == expected, "\(display)")
        }
        // "Products to match": the matched product's SKU in another case.
        for sku in ["24-MB01", "MH03", "24-MB02"] {
            let answers = try stores.both.map { try RuleSample.matches(.all([.condition("sku", .isOneOf, listed)]), sku: sku, store: $0) }
            #expect(answers[0] == answers[1] && answers[0] == (sku != "24-MB02"), "\(sku)")
        }
    }

    /// Rules of every kind in all three blocks, with manual links.
    static func addRules(_ store: CrosslinkStore) throws {
        try store.write { db in
            let rules = RuleRepository(db)
            let gear: RuleCondition = .all([.condition("category", .equal, "Gear")])
            _ = try rules.add(Rule(name: "Same category, pricier", appliesTo: .upsell, priority: 1, limit: 4, match: gear,
                                   display: .all([.condition("category", .equal, .sameAsMatched),
                                                  .condition("final_price", .greaterOrEqual, .percentOfMatched(100))])))
            _ = try rules.add(Rule(name: "Same set", appliesTo: .related, priority: 2, limit: 3, match: .all([]),
                                   display: .all([.condition("attribute_set", .equal, .sameAsMatched),
                                                  .condition("price", .less, .amountFromMatched(-5))])))
            _ = try rules.add(Rule(name: "Watches", appliesTo: .related, priority: 1, limit: 2, match: gear,
                                   display: .all([.condition("category", .equal, "Gear/Watches")])))
            _ = try rules.add(Rule(name: "Materials", appliesTo: .related, priority: 3, limit: 5,
                                   match: .all([.condition("material", .contains, "Nylon")]),
                                   display: .all([.condition("material", .equal, .sameAsMatched)])))
            _ = try rules.add(Rule(name: "VIP", appliesTo: .related, priority: 1, limit: 2, segments: ["vip"], match: .all([]),
                                   display: .all([.condition("price", .greater, 90)])))
            _ = try rules.add(Rule(name: "Summer", appliesTo: .related, priority: 1, limit: 2, fromDate: "2026-06-01", toDate: "2026-08-31",
                                   match: .all([]), display: .all([.condition("name", .contains, "tank")])))
            _ = try rules.add(Rule(name: "Cart fitness", appliesTo: .crosssell, priority: 1, limit: 3, match: gear,
                                   display: .any([.condition("category", .equal, "Gear/Fitness Equipment"), .condition("new", .equal, true)])))
            try BlockSettingsRepository(db).set(BlockSettings(block: .related, displayMode: .both, maxProducts: 10, rotation: .byPriorityThenID),
                                                store: "default")
            try BlockSettingsRepository(db).set(BlockSettings(block: .upsell, displayMode: .rulesOnly, rotation: .weightedRandom), store: "default")
        }
    }

    /// Every block of `skus` on both engines, with reasons.
    static func blocks(_ stores: EngineConformanceTests.Pair, _ skus: [String]) throws -> Int {
        let summer = ISO8601DateFormatter().date(from: "2026-07-01T12:00:00Z")!
        var compared = 0
        for (index, sku) in skus.enumerated() {
            let answers = try stores.both.map { store in
                try store.read { db in
                    let placements = Placements(db)
                    return [try placements.related(for: sku), try placements.related(for: sku, segments: ["vip"], date: summer),
                            try placements.upsells(for: sku, seed: 7),
                            try placements.crossSells(cart: [sku, skus[(index + 1) % skus.count]], seed: 3)]
                        .map { $0.map { "\($0.sku) \($0.reason)" } }
                }
            }
            #expect(answers[0] == answers[1], "blocks of \(sku)")
            compared += answers[0].joined().count
        }
        return compared
    }

    @Test func blocksOfRulesAndLinksAreTheSameWithAndWithoutTheCache() throws {
        let stores = try EngineConformanceTests.pair("rule_blocks", fill: { try Self.fill($0); try Self.addRules($0) })
        let skus = try stores.sqlite.read { db in
            try db.prepare("""
                SELECT sku FROM products WHERE product_id % 11 = 0 OR sku LIKE '24-%' OR product_id IN (SELECT product_id FROM product_links)
                ORDER BY product_id
                """).map { $0.text(at: 0) }
        }
        #expect(skus.count > 100)
        // Built by the rule changes: from the cache.
        let reports = try stores.both.map { store in try store.read { db in try db.scalarInt("SELECT count(*) FROM rule_results") ?? 0 } }
        #expect(reports[0] == reports[1] && reports[0] > 100)
        #expect(try Self.blocks(stores, skus) > 1_000)
        // Without the cache: every rule's SQL.
        for store in stores.both { try store.write { db in try RuleCache(db).clear() } }
        #expect(try Self.blocks(stores, skus) > 1_000)
    }

    @Test func theCacheRefreshesAfterAProductEdit() throws {
        let stores = try EngineConformanceTests.pair("rule_refresh", fill: { try Self.fill($0); try Self.addRules($0) })
        let watch = "24-MG01"
        let before = try stores.both.map { store in try store.read { db in try Placements(db).related(for: "24-MB01").map(\.sku) } }
        #expect(before[0] == before[1])
        #expect(before[0].contains(watch))
        var reports: [RuleCache.Report] = []
        for store in stores.both {
            // A watch leaves the watches; a bag becomes too dear for "Same set".
            var report = try store.write { db in
                let id = try ProductRepository(db).requireID(sku: watch)
                try db.execute("DELETE FROM product_categories WHERE product_id = ?", [id])
                try db.execute("UPDATE products SET price = 500 WHERE sku = '24-MB05'")
                let dirty = try db.map("SELECT p.sku FROM rule_cache_dirty AS d JOIN products AS p ON p.product_id = d.product_id ORDER BY p.sku" as SQL) { $0.text(at: 0) }
                #expect(dirty == ["24-MB05", watch])
                return try RuleCache(db).refresh()
            }
            report.seconds = 0
            reports.append(report)
        }
        #expect(reports[0] == reports[1])
        #expect(reports[0].changedProducts == 2 && reports[0].listsComputed > 0)
        let after = try stores.both.map { store in
            try store.read { db in
                (try db.scalarInt("SELECT count(*) FROM rule_cache_dirty"),
                 try Placements(db).related(for: "24-MB01").map(\.sku), try Placements(db).upsells(for: "24-MB03", seed: 1).map(\.sku))
            }
        }
        #expect(after[0].0 == 0 && after[1].0 == 0)
        #expect(after[0].1 == after[1].1 && after[0].2 == after[1].2)
        #expect(!after[1].1.contains(watch))
        #expect(after[0].1 != before[0])
        // A full rebuild gives the same results as the incremental refresh.
        for store in stores.both { try store.write { db in _ = try RuleCache(db).rebuild() } }
        let rebuilt = try stores.both.map { store in try store.read { db in try Placements(db).related(for: "24-MB01").map(\.sku) } }
        #expect(rebuilt[0] == after[0].1 && rebuilt[1] == after[1].1)
    }

    @Test func rulesReadBackAndExportTheSame() throws {
        let stores = try EngineConformanceTests.pair("rule_export", fill: { try Self.fill($0); try Self.addRules($0) })
        let exports = try stores.both.map { store in try store.read { db in try RuleRepository(db).exportFile() } }
        #expect(exports[0] == exports[1])
        let listed = try stores.both.map { store in
            try store.read { db in try db.rows("SELECT name, active, applies_to, priority, result_limit, dates, segments, match, display FROM rule_list") }
        }
        #expect(listed[0] == listed[1])
        #expect(listed[0].count == 7)
        for store in stores.both {
            try store.write { db in
                try RuleRepository(db).setActive(false, name: "VIP")
                try RuleRepository(db).delete(name: "Summer")
            }
        }
        let after = try stores.both.map { store in try store.read { db in try RuleRepository(db).all().map { "\($0.name) \($0.isActive)" } } }
        #expect(after[0] == after[1] && after[0].count == 6)
    }
}
