import Foundation
import Testing
@testable import Crosslink

/// Each filter kind on a most-viewed unit of the hand-built shop (UnitFixtures): the unfiltered
/// list is A, B, C, D, E, F (most viewed first); expectations are read off the fixture's table.
@Suite struct UnitFilterTests {
    func home(_ store: CrosslinkStore, include: [FilterCondition] = [], exclude: [FilterCondition] = []) throws -> [String] {
        try UnitFixtures.skus(store, .home, units: [UnitFixtures.unit(page: .home, type: .recommendation(.mostViewed),
                                                                        include: include, exclude: exclude)])[0]
    }

    @Test func staticFilters() throws {
        let directory = try TemporaryDirectory()
        let store = try UnitFixtures.shop(directory)
        let bags = try UnitFixtures.categoryID(store, "Default Category/Gear/Bags")
        let gear = try UnitFixtures.categoryID(store, "Default Category/Gear")
        #expect(try home(store) == ["A", "B", "C", "D", "E", "F"])
        #expect(try home(store, include: [.category(.ids([bags]))]) == ["A", "B"])
        #expect(try home(store, include: [.category(.ids([gear]))]) == ["A", "B", "C", "E", "F"])
        #expect(try home(store, include: [.category(.ids([gear]), subcategories: false)]) == ["E"])
        #expect(try home(store, include: [.products(["C", "e"])]) == ["C", "E"])
        #expect(try home(store, include: [.productType([.virtual])]) == ["D"])
        #expect(try home(store, include: [.visibility([.catalog])]) == ["F"])
        #expect(try home(store, include: [.price(min: .amount(20), max: .amount(40))]) == ["B", "C", "D", "F"])
        #expect(try home(store, include: [.stock(.low(below: 5))]) == ["B", "E"])
        #expect(try home(store, exclude: [.stock(.low(below: 5))]) == ["A", "C", "D", "F"])
        #expect(try home(store, include: [.stock(.low(below: 3))]) == ["E"])
        #expect(try home(store, include: [.attribute(code: "color", values: ["Red"])]) == ["A", "C", "F"])
        #expect(try home(store, include: [.attribute(code: "color", values: ["Blue", "Green"])]) == ["B", "D", "E"])
    }

    @Test func stockStatusWhenTheStoreShowsOutOfStockProducts() throws {
        let directory = try TemporaryDirectory()
        let store = try UnitFixtures.shop(directory)
        try store.write { db in _ = try StoreRepository(db).upsertStore(code: "default", website: "base", name: "Default Store View", showOutOfStock: true) }
        #expect(try home(store) == ["G", "A", "B", "C", "D", "E", "F"])
        #expect(try home(store, include: [.stock(.outOfStock)]) == ["G"])
        #expect(try home(store, exclude: [.stock(.outOfStock)]) == ["A", "B", "C", "D", "E", "F"])
        #expect(try home(store, include: [.stock(.inStock)]) == ["A", "B", "C", "D", "E", "F"])
    }

    @Test func inclusionsAreAndedExclusionsAreOred() throws {
        let directory = try TemporaryDirectory()
        let store = try UnitFixtures.shop(directory)
        let gear = try UnitFixtures.categoryID(store, "Default Category/Gear")
        // Gear (A B C E F) and price ≤ 25 (A B F): A B F.
        #expect(try home(store, include: [.category(.ids([gear])), .price(min: nil, max: .amount(25))]) == ["A", "B", "F"])
        // Red (A C F) or SKU B: D E remain.
        #expect(try home(store, exclude: [.attribute(code: "color", values: ["Red"]), .products(["B"])]) == ["D", "E"])
        // Gear without low stock (B E): A C F.
        #expect(try home(store, include: [.category(.ids([gear]))], exclude: [.stock(.low(below: 5))]) == ["A", "C", "F"])
    }

    @Test func relativeFilters() throws {
        let directory = try TemporaryDirectory()
        let store = try UnitFixtures.shop(directory)
        func product(_ sku: String, _ include: [FilterCondition]) throws -> [String] {
            try UnitFixtures.skus(store, .product(sku), units: [UnitFixtures.unit(page: .product, type: .recommendation(.mostViewed),
                                                                                   include: include)])[0]
        }
        // The viewed product's categories: A is in Bags (B); C in Watches (F).
        #expect(try product("A", [.category(.viewed)]) == ["B"])
        #expect(try product("C", [.category(.viewed)]) == ["F"])
        // E is in Gear itself: with subcategories every Gear product, without only Gear's own.
        #expect(try product("E", [.category(.viewed)]) == ["A", "B", "C", "F"])
        #expect(try product("E", [.category(.viewed, subcategories: false)]) == [])
        // Price 80 %–150 % of C's 30: 24…45 → D (40), F (25).
        #expect(try product("C", [.price(min: .percent(80), max: .percent(150))]) == ["D", "F"])
        // At least the price of B (20): C D E F.
        #expect(try product("B", [.price(min: .percent(100), max: nil)]) == ["C", "D", "E", "F"])

        let watches = try UnitFixtures.categoryID(store, "Default Category/Gear/Watches")
        let category = try UnitFixtures.skus(store, .category(watches), units: [
            UnitFixtures.unit(page: .category, type: .recommendation(.mostViewed), include: [.category(.current)])])
        #expect(category == [["C", "F"]])

        let cart = try UnitFixtures.skus(store, .cart(["A", "D"]), units: [
            UnitFixtures.unit(page: .cart, type: .recommendation(.mostViewed), include: [.category(.cart)])])
        #expect(cart == [["B", "G"].filter { $0 != "G" }])  // Bags and Men minus the cart; G is out of stock
    }

    @Test func filterValuesAreBoundNeverSpliced() throws {
        let directory = try TemporaryDirectory()
        let store = try UnitFixtures.shop(directory)
        let hostile = "Red') OR 1=1 --"
        #expect(try home(store, include: [.attribute(code: "color", values: [hostile])]) == [])
        let filter = FilterCompiler.compile(UnitFilters(include: [.attribute(code: "color", values: [hostile])]), context: .init())!
        #expect(!filter.predicate.description.contains("Red"))
        #expect(filter.predicate.values == [.text("color"), .text("[\"Red') OR 1=1 --\"]")])
    }

    /// A unit's filter applies in the rules' SQL, before each rule's limit: a related rule
    /// "price ≥ 10" for A (limit 1, candidates by id: B, C, D, E, F, CFG-V, N01…N12) under a
    /// "Red" filter gives C — not B filtered away — from the result cache and from the rule's
    /// own query alike; when every cached candidate fails the filter but the cached list was
    /// cut (limit + 10 = 11 of 18), the rule's query finds the one that passes.
    @Test func filtersApplyInsideTheRulesBeforeTheirLimit() throws {
        let directory = try TemporaryDirectory()
        let store = try UnitFixtures.shop(directory)
        try store.write { db in
            for i in 1...12 {
                let id = try ProductRepository(db).upsert(Product(sku: String(format: "N%02d", i), name: "New \(i)", price: 12, qty: 100))
                try StoreRepository(db).assign(productID: id, websiteIDs: [1])
                try AttributeRepository(db).set(productID: id, code: "color", values: ["Blue"])
            }
            _ = try RuleRepository(db).add(Rule(name: "Priced", appliesTo: .related, limit: 1, match: .all([.condition("sku", .equal, "A")]),
                                                display: .all([.condition("price", .greaterOrEqual, 10)])))
        }
        func related(_ include: [FilterCondition]) throws -> [String] {
            try UnitFixtures.skus(store, .product("A"), units: [UnitFixtures.unit(page: .product, type: .block(.related), count: 5, include: include)])[0]
        }
        let red: [FilterCondition] = [.attribute(code: "color", values: ["Red"])]
        let cached = try store.read { db in try db.scalarInt("SELECT count(*) FROM rule_results") ?? 0 }
        #expect(cached == 11)
        // Manual links CFG-V (no colour) and B (Blue) fail the filter; the rule's first red candidate is C.
        #expect(try related(red) == ["C"])
        #expect(try related([.products(["N10"])]) == ["N10"])
        // Without the cache (a full rebuild pending: `pool.write` does not refresh it), the rule's own query.
        for (include, expected) in [(red, ["C"]), ([FilterCondition.products(["N10"])], ["N10"])] {
            _ = try related(include)  // saves the unit
            try store.pool.write { db in try db.execute("UPDATE rule_cache_state SET full_rebuild = 1") }
            #expect(try store.read { db in try RuleEngine(db).blockContext(storeID: 1, block: .related).cacheUsable } == false)
            #expect(try store.resolvePage(.product("A")).units[0].products.map(\.sku) == expected)
        }
    }
}

