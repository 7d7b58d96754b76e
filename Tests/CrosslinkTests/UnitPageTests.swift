import Foundation
import Testing
@testable import Crosslink

/// Page resolution on the hand-built shop (UnitFixtures): most viewed is A, B, C, D, E, F.
@Suite struct UnitPageTests {
    @Test func noProductTwiceOnAPageFirstUnitWins() throws {
        let directory = try TemporaryDirectory()
        let store = try UnitFixtures.shop(directory)
        // Viewing D: the top unit takes A B, the next C E (D is the viewed product), the last F.
        let units = [
            UnitFixtures.unit("second", page: .product, type: .recommendation(.mostViewed), count: 2, position: 2),
            UnitFixtures.unit("first", page: .product, type: .recommendation(.mostViewed), count: 2, position: 1),
            UnitFixtures.unit("third", page: .product, type: .recommendation(.mostViewed), count: 5, position: 3),
        ]
        let page = try UnitFixtures.resolve(store, .product("D"), units: units)
        #expect(page.units.map(\.name) == ["first", "second", "third"])
        #expect(page.units.map { $0.products.map(\.sku) } == [["A", "B"], ["C", "E"], ["F"]])
    }

    @Test func topPlacementComesBeforeBottom() throws {
        let directory = try TemporaryDirectory()
        let store = try UnitFixtures.shop(directory)
        var top = UnitFixtures.unit("top", page: .home, type: .recommendation(.mostViewed), count: 1, position: 9)
        top.placement = .top
        let bottom = UnitFixtures.unit("bottom", page: .home, type: .recommendation(.mostViewed), count: 1, position: 1)
        let page = try UnitFixtures.resolve(store, .home, units: [bottom, top])
        #expect(page.units.map(\.name) == ["top", "bottom"])
        #expect(page.units.map { $0.products.map(\.sku) } == [["A"], ["B"]])
    }

    @Test func cartAndPurchasedProductsAreNeverShown() throws {
        let directory = try TemporaryDirectory()
        let store = try UnitFixtures.shop(directory)
        let unit = UnitFixtures.unit(page: .home, type: .recommendation(.mostViewed), count: 3)
        // "buyer" bought C; the cart holds A.
        #expect(try UnitFixtures.skus(store, .home, units: [unit], visitor: "buyer", options: PageOptions(cart: ["A"])) == [["B", "D", "E"]])
        // Another visitor with the same cart still gets C.
        #expect(try UnitFixtures.skus(store, .home, units: [unit], visitor: "someone", options: PageOptions(cart: ["A"])) == [["B", "C", "D"]])
        // On a cart page the cart is the page's.
        let cartUnit = UnitFixtures.unit(page: .cart, type: .recommendation(.mostViewed), count: 3)
        #expect(try UnitFixtures.skus(store, .cart(["B", "A"]), units: [cartUnit], visitor: "buyer") == [["D", "E", "F"]])
    }

    /// As of an instant, "already bought" means bought before it: "later" buys B on the second
    /// day (hour 30); the page as of hour 26 (the first day's views count) still shows B.
    @Test func purchasesAfterTheAsOfInstantDoNotCount() throws {
        let directory = try TemporaryDirectory()
        let store = try UnitFixtures.shop(directory) { log in log.order(["B"], session: "later-order", visitor: "later", at: 30) }
        let unit = UnitFixtures.unit(page: .home, type: .recommendation(.mostViewed), count: 3)
        #expect(try UnitFixtures.skus(store, .home, units: [unit], visitor: "later") == [["A", "C", "D"]])
        #expect(try UnitFixtures.skus(store, .home, units: [unit], visitor: "later", options: PageOptions(asOf: HandLog.time(26))) == [["A", "B", "C"]])
        #expect(try UnitFixtures.skus(store, .home, units: [unit], visitor: "later", options: PageOptions(asOf: HandLog.time(31))) == [["A", "C", "D"]])
    }

    @Test func configurableChildIsShownAsItsParent() throws {
        let directory = try TemporaryDirectory()
        let store = try UnitFixtures.shop(directory)
        // A's related links: CFG-V (position 1, a visible child of CFG), B (position 2).
        let page = try UnitFixtures.resolve(store, .product("A"), units: [UnitFixtures.unit(page: .product, type: .block(.related), count: 5)])
        let products = page.units[0].products
        #expect(products.map(\.sku) == ["CFG", "B"])
        #expect(products.map(\.isBackup) == [false, false])
        #expect(products[0].reason == .placement(.manualLink(type: .related, sourceSKU: "A", position: 1)))
        // The unit's filter holds for what is shown: CFG-V is simple, its parent CFG is not, so a
        // simple-only unit drops it; a unit that also takes configurables shows CFG.
        let simpleOnly = try UnitFixtures.skus(store, .product("A"), units: [
            UnitFixtures.unit(page: .product, type: .block(.related), include: [.productType([.simple])])])
        #expect(simpleOnly == [["B"]])
        let both = try UnitFixtures.skus(store, .product("A"), units: [
            UnitFixtures.unit(page: .product, type: .block(.related), include: [.productType([.simple, .configurable])])])
        #expect(both == [["CFG", "B"]])
        // Viewing the parent itself: its child is not shown in its place (never the viewed product).
        try store.write { db in try LinkRepository(db).replace(sku: "B", type: .related, with: [ProductLink(sku: "CFG-V", position: 1)]) }
        let viewingParent = try UnitFixtures.resolve(store, .product("B"), units: [UnitFixtures.unit(page: .product, type: .block(.related))],
                                                     options: PageOptions(cart: ["CFG"]))
        #expect(viewingParent.units[0].products.isEmpty)
    }

    @Test func backupsFillWhatThePrimaryTypeCannotAndAreMarked() throws {
        let directory = try TemporaryDirectory()
        let store = try UnitFixtures.shop(directory)
        // Related of A gives CFG and B; most viewed (an explicit backup) fills C and D.
        let related = try UnitFixtures.resolve(store, .product("A"), units: [
            UnitFixtures.unit(page: .product, type: .block(.related), count: 4, backups: [.recommendation(.mostViewed)])])
        let products = related.units[0].products
        #expect(products.map(\.sku) == ["CFG", "B", "C", "D"])
        #expect(products.map(\.isBackup) == [false, false, true, true])
        #expect(products.map(\.source) == [.block(.related), .block(.related), .recommendation(.mostViewed), .recommendation(.mostViewed)])
        if case .recommendation(.popular(.views, let sessions, nil, _)) = products[2].reason { #expect(sessions == 4) }  // any window length
        else { Issue.record("expected a most-viewed reason, got \(products[2].reason)") }

        // Viewed this, viewed that has no co-views here (cold start): the default backup, most viewed, fills it.
        let cold = try UnitFixtures.resolve(store, .product("A"), units: [
            UnitFixtures.unit(page: .product, type: .recommendation(.viewedViewed), count: 3)])
        #expect(cold.units[0].products.map(\.sku) == ["B", "C", "D"])
        #expect(cold.units[0].products.allSatisfy { $0.isBackup && $0.source == .recommendation(.mostViewed) })

        // More like this has no default backup: nothing is added after it.
        #expect(RecommendationUnitTypeCheck.chain(.recommendation(.moreLikeThis)) == [.recommendation(.moreLikeThis)])
        #expect(RecommendationUnitTypeCheck.chain(.recommendation(.boughtBought), backups: [.recommendation(.moreLikeThis)])
                == [.recommendation(.boughtBought), .recommendation(.moreLikeThis), .recommendation(.mostViewed)])
    }

    @Test func coOccurrenceFirstThenBackupWithoutDuplicates() throws {
        let directory = try TemporaryDirectory()
        // Two more sessions view A and E together: E is A's only co-viewed product (support 2).
        let store = try UnitFixtures.shop(directory) { log in
            for session in ["p1", "p2"] {
                log.view("A", session: session, at: 6)
                log.view("E", session: session, at: 6.1)
            }
        }
        let page = try UnitFixtures.resolve(store, .product("A"), units: [
            UnitFixtures.unit(page: .product, type: .recommendation(.viewedViewed), count: 3)])
        let products = page.units[0].products
        // Most viewed now: A 8, B 5, C 4, E 4, D 3 → backups B, C (E is taken by the primary type).
        #expect(products.map(\.sku) == ["E", "B", "C"])
        #expect(products.map(\.isBackup) == [false, true, true])
    }

    @Test func diversityKeepsAtMostNPerCategory() throws {
        let directory = try TemporaryDirectory()
        let store = try UnitFixtures.shop(directory)
        // Deepest categories: A B Bags, C F Watches, D Men, E Gear. One per category: A C D E.
        #expect(try UnitFixtures.skus(store, .home, units: [
            UnitFixtures.unit(page: .home, type: .recommendation(.mostViewed), count: 4, maxPerCategory: 1)]) == [["A", "C", "D", "E"]])
        // Two per category, 6 wanted: all six fit.
        #expect(try UnitFixtures.skus(store, .home, units: [
            UnitFixtures.unit(page: .home, type: .recommendation(.mostViewed), count: 6, maxPerCategory: 2)]) == [["A", "B", "C", "D", "E", "F"]])
    }

    @Test func shuffleIsDeterministicForASeed() throws {
        let directory = try TemporaryDirectory()
        let store = try UnitFixtures.shop(directory)
        let unit = UnitFixtures.unit(page: .home, type: .recommendation(.mostViewed), count: 6, shuffle: true)
        let one = try UnitFixtures.skus(store, .home, units: [unit], options: PageOptions(seed: 7))
        let two = try UnitFixtures.skus(store, .home, units: [unit], options: PageOptions(seed: 7))
        #expect(one == two)
        #expect(one[0].sorted() == ["A", "B", "C", "D", "E", "F"])
        // Fisher–Yates (i from n-1 down to 1, j = next() mod (i+1)) with SplitMix64(seed 7 + unit id 1),
        // computed independently with python3.
        #expect(one[0] == ["F", "A", "D", "B", "C", "E"])
        // No seed: SplitMix64(FNV-1a-64("v-1" ‖ 0 ‖ "1") = 0x89ab005c7783e17c), python3 again.
        let visitorSeeded = try UnitFixtures.skus(store, .home, units: [unit], visitor: "v-1")
        #expect(visitorSeeded[0] == ["B", "A", "D", "C", "E", "F"])
    }

    @Test func unitsOfOtherPagesStoresAndStatusesAreNotResolved() throws {
        let directory = try TemporaryDirectory()
        let store = try UnitFixtures.shop(directory)
        var draft = UnitFixtures.unit("draft", page: .home, type: .recommendation(.mostViewed))
        draft.status = .draft
        let page = try UnitFixtures.resolve(store, .home, units: [draft, UnitFixtures.unit("cart", page: .cart, type: .recommendation(.mostViewed))])
        #expect(page.units.isEmpty)
    }
}

/// Chains as the library builds them, checked against spec §5's default backups.
enum RecommendationUnitTypeCheck {
    static func chain(_ type: UnitType, backups: [UnitType] = []) -> [UnitType] { UnitVariant(type: type, backups: backups).chain }
}
