import Foundation
import Testing
@testable import Crosslink

/// Recommendation units of manual links and rules on SQLite and on PostgreSQL resolve to the same
/// pages, with every kind of filter, diversity and shuffling, on ``RuleConformanceTests``' catalog.
@Suite(.requiresPostgreSQL) struct UnitConformanceTests {
    static func units(bags: Int, gear: Int) -> [RecommendationUnit] {
        func unit(_ name: String, _ page: PageType, _ block: LinkType, position: Int, count: Int = 8, include: [FilterCondition] = [],
                  exclude: [FilterCondition] = [], maxPerCategory: Int? = nil, shuffle: Bool = false) -> RecommendationUnit {
            UnitFixtures.unit(name, page: page, type: .block(block), count: count, position: position, include: include, exclude: exclude,
                              maxPerCategory: maxPerCategory, shuffle: shuffle)
        }
        return [
            unit("Related", .product, .related, position: 1),
            unit("Related, same categories, priced near", .product, .related, position: 2,
                 include: [.category(.viewed), .price(min: .percent(50), max: .percent(150))], exclude: [.stock(.low(below: 20))]),
            unit("Related diverse", .product, .related, position: 3, count: 6,
                 include: [.category(.ids([gear]))], exclude: [.products(["24-mb02", "24-WB03"]), .attribute(code: "color", values: ["Red"])],
                 maxPerCategory: 2, shuffle: true),
            unit("Up-sells", .product, .upsell, position: 4, include: [.productType([.simple, .virtual]), .visibility([.catalogAndSearch])]),
            unit("Up-sells in bags", .product, .upsell, position: 5, include: [.category(.ids([bags]), subcategories: false),
                                                                               .price(min: .amount(10), max: nil)]),
            unit("Cross-sells", .cart, .crosssell, position: 1),
            unit("Cross-sells filtered", .cart, .crosssell, position: 2, include: [.category(.cart)], exclude: [.stock(.outOfStock)]),
        ]
    }

    static func pages(_ stores: EngineConformanceTests.Pair, skus: [String]) throws -> Int {
        var compared = 0
        for (index, sku) in skus.enumerated() {
            let pages: [Page] = [.product(sku), .cart([sku, skus[(index + 3) % skus.count]])]
            for page in pages {
                let answers = try stores.both.map { store in
                    try store.resolvePage(page, options: PageOptions()).units.map { unit in
                        unit.products.map { "\($0.sku) \($0.reason)" }
                    }
                }
                #expect(answers[0] == answers[1], "\(page)")
                compared += answers[0].joined().count
            }
        }
        return compared
    }

    @Test func pagesOfLinkAndRuleUnitsAreTheSame() throws {
        let stores = try EngineConformanceTests.pair("unit_pages") { store in
            try RuleConformanceTests.fill(store)
            try RuleConformanceTests.addRules(store)
            try store.write { db in
                let categories = CategoryRepository(db)
                let bags = try #require(try categories.category(namePath: "Default Category/Gear/Bags")).id
                let gear = try #require(try categories.category(namePath: "Default Category/Gear")).id
                for unit in Self.units(bags: bags, gear: gear) { try UnitRepository(db).save(unit) }
            }
        }
        let saved = try stores.both.map { store in try store.read { db in try UnitRepository(db).units().map { "\($0.name) \($0.variants)" } } }
        #expect(saved[0] == saved[1] && saved[0].count == 7)
        let skus = try stores.sqlite.read { db in
            try db.prepare("SELECT sku FROM products WHERE product_id % 3 = 0 OR sku LIKE '24-MB%' ORDER BY product_id").map { $0.text(at: 0) }
        }
        #expect(skus.count > 80)
        #expect(try Self.pages(stores, skus: skus) > 2_000)
        // Without the rule cache, from the rules' SQL.
        for store in stores.both { try store.write { db in try RuleCache(db).clear() } }
        #expect(try Self.pages(stores, skus: skus) > 2_000)
    }
}

/// Unit events and the metrics report on both engines: ``UnitMetricsFixture``'s hand-counted log.
@Suite(.requiresPostgreSQL) struct UnitMetricsConformanceTests {
    @Test func theMetricsReportIsTheSame() throws {
        let stores = try EngineConformanceTests.pair("unit_metrics") { store in
            try store.write { db in
                let products = ProductRepository(db)
                for sku in ["P1", "P2", "CFG", "CFG-S"] {
                    try products.upsert(Product(sku: sku, name: "Product \(sku)", type: sku == "CFG" ? .configurable : .simple, price: 10))
                }
                try ChildRepository(db).setChildren(parentID: try products.requireID(sku: "CFG"), children: [(try products.requireID(sku: "CFG-S"), nil)])
                try StoreRepository(db).upsertStore(code: "fr", website: "base")
                try db.execute("INSERT INTO units(unit_id, store_id, name, page_type, status) VALUES (1, 1, ?, 'home', 'active')",
                               [UnitMetricsFixture.unitName])
            }
            let report = try EventStore(store: store).append(UnitMetricsFixture.events)
            #expect(report.stored == UnitMetricsFixture.events.count && report.rejected.isEmpty)
        }
        let queries = [UnitMetricsQuery(), UnitMetricsQuery(by: [.variant, .day]), UnitMetricsQuery(by: [.unit, .variant, .day]),
                       UnitMetricsQuery(by: [.unit], store: "fr"), UnitMetricsQuery(by: [.day], from: "2024-05-02", to: "2024-05-02")]
        for query in queries {
            let answers = try stores.both.map { store in try store.read { db in try UnitMetrics(db).rows(query) } }
            #expect(answers[0] == answers[1], "\(query)")
            #expect(!answers[0].isEmpty)
        }
        let totals = try stores.both.map { store in try store.read { db in try UnitMetrics(db).totals(UnitMetricsQuery()) } }
        #expect(totals[0] == totals[1] && totals[0].impressions == 7)
        // The A/B side: visitors per variant and the comparisons built on them.
        for query in [UnitMetricsQuery(), UnitMetricsQuery(from: "2024-05-02"), UnitMetricsQuery(store: "fr")] {
            let visitors = try stores.both.map { store in try store.read { db in try UnitMetrics(db).visitorTotals(query) } }
            #expect(visitors[0] == visitors[1], "\(query)")
            let comparisons = try stores.both.map { store in try store.read { db in try UnitMetrics(db).comparisons(query) } }
            #expect(comparisons[0] == comparisons[1], "\(query)")
        }
    }
}
