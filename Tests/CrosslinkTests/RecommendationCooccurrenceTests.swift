import Foundation
import Testing
@testable import Crosslink

/// Viewed-viewed, viewed-bought and bought-bought on hand-built logs, with scores computed by
/// hand: expected = base × other_base / total, lift = together / expected, and the ranking
/// score (together + 5) / (expected + 5) (lift shrunk towards 1, prior k = 5).
@Suite struct RecommendationCooccurrenceTests {
    typealias F = RecommendationFixtures

    /// 28 orders on days 0 and 1: {A,B} ×3 (day 1), {A,X} ×4, {X,C} ×10, {X} ×10, {B,D} ×1,
    /// and two {A,D} orders 182 days before day 0 — just outside the 183-day window.
    func orderLog() -> HandLog {
        var log = HandLog()
        for i in 0..<2 { log.order(["A", "D"], session: "old\(i)", at: -182 * 24 + Double(i)) }
        for i in 0..<4 { log.order(["A", "X"], session: "ax\(i)", at: 1 + Double(i)) }
        for i in 0..<10 { log.order(["X", "C"], session: "xc\(i)", at: 5 + Double(i)) }
        for i in 0..<10 { log.order(["X"], session: "x\(i)", at: 15 + Double(i) / 2) }
        log.order(["B", "D"], session: "bd", at: 21)
        for i in 0..<3 { log.order(["A", "B"], session: "ab\(i)", at: 24 + Double(i)) }
        return log
    }

    @Test func boughtTogetherRanksByLiftSoTheBestsellerDoesNotWin() throws {
        let dir = try TemporaryDirectory()
        let store = try F.store(dir)
        try F.ingest(orderLog(), into: store)
        // Window days −181…1: N = 28 orders; A in 7, B in 4, X in 24, C in 10, D in 1.
        // A→B: expected 7·4/28 = 1, lift 3, score (3+5)/(1+5) = 1.333; A→X: expected 7·24/28 = 6,
        // lift 0.667, score 9/11 — X is bought with A more often, but it is in almost every
        // order. D: only in the old orders, outside the window.
        let a = try F.recommend(store, .boughtBought, .product("A"))
        #expect(a.map(\.sku) == ["B", "X"])
        #expect(abs(a[0].score - 8.0 / 6) < 1e-12 && abs(a[1].score - 9.0 / 11) < 1e-12)
        #expect(a[0].reason.description == "bought together with A in 3 orders, lift 3.0")
        // X→C: expected 24·10/28 = 8.571, score 15/13.571 = 1.105 beats X→A: 9/11. B→D has 1
        // order, below the minimum support 2.
        #expect(try F.skus(store, .boughtBought, .product("X")) == ["C", "A"])
        #expect(try F.skus(store, .boughtBought, .product("B")) == ["A"])
        // A cart sums the scores of its items: X = 9/11 (with A) + 105/95 (with C) = 1.923
        // goes with both; B = 1.333 only with A.
        let cart = try F.recommend(store, .boughtBought, .cart(["A", "C"]))
        #expect(cart.map(\.sku) == ["X", "B"])
        #expect(abs(cart[0].score - (9.0 / 11 + 105.0 / 95)) < 1e-12)
        #expect(cart[0].reason.description == "bought together with C in 10 orders, lift 1.2")
    }

    @Test func boughtTogetherAsOfAndTheWindowEdge() throws {
        let dir = try TemporaryDirectory()
        let store = try F.store(dir)
        try F.ingest(orderLog(), into: store)
        // As of day 1 00:00 the window is days −182…0: the old {A,D} orders are back in, the
        // {A,B} orders not yet there. N = 27; A in 6, D in 3 (with {B,D}), X in 24:
        // A→D expected 2/3, score 7/(17/3) = 21/17; A→X expected 16/3, score 9/(31/3) = 27/31.
        let a = try F.recommend(store, .boughtBought, .product("A"), asOf: HandLog.time(24))
        #expect(a.map(\.sku) == ["D", "X"])
        #expect(abs(a[0].score - 21.0 / 17) < 1e-12 && abs(a[1].score - 27.0 / 31) < 1e-12)
        // As of day −181 00:00 the window (days −364…−182) holds the two {A,D} orders: expected 2, score 7/7.
        let old = try F.recommend(store, .boughtBought, .product("A"), asOf: HandLog.time(-181 * 24))
        #expect(old.map(\.sku) == ["D"])
        #expect(old[0].score == 1)
        // The live answer is the answer as of the day after the last event.
        #expect(try F.recommend(store, .boughtBought, .product("A"), asOf: HandLog.time(48)) == F.recommend(store, .boughtBought, .product("A")))
    }

    @Test func cancellationsReduceBoughtTogetherEvidence() throws {
        let dir = try TemporaryDirectory()
        let store = try F.store(dir)
        var log = orderLog()
        log.cancel([("A", 1), ("B", 1)], session: "cancel1", at: 30)
        try F.ingest(log, into: store)
        // One {A,B} order cancelled: together 2, A in 6, B in 3, N = 27 → A→B lift 2·27/(6·3) = 3.0
        // (score 21/17), A→X expected 16/3, score 27/31.
        let a = try F.recommend(store, .boughtBought, .product("A"))
        #expect(a.map(\.sku) == ["B", "X"])
        #expect(a[0].reason.description == "bought together with A in 2 orders, lift 3.0")
        #expect(abs(a[1].score - 27.0 / 31) < 1e-12)
        // A second cancellation leaves 1 order: below the minimum support.
        var more = HandLog()
        more.cancel([("B", 1), ("A", 1)], session: "cancel2", at: 31)
        _ = try store.write { db in try EventWriter(db).append(more.events.map { var e = $0; e.id = "more-" + e.id; return e }) }
        #expect(try F.skus(store, .boughtBought, .product("A")) == ["X"])
    }

    @Test func basketsAboveTheCapGiveNoPairs() throws {
        let dir = try TemporaryDirectory()
        let store = try F.store(dir)
        try store.write { db in
            var settings = try Aggregates(db).settings()
            settings.maxBasketProducts = 3
            try Aggregates(db).configure(settings)
        }
        var log = HandLog()
        for i in 0..<2 { log.order(["A", "B", "C"], session: "three\(i)", at: Double(i)) }
        for i in 0..<5 { log.order(["A", "D", "E", "X"], session: "four\(i)", at: 10 + Double(i)) }
        try F.ingest(log, into: store)
        // Only the 3-product orders count: N = 2, A, B, C in 2 each → lift 1, score 1.
        #expect(try F.skus(store, .boughtBought, .product("A")) == ["B", "C"])
        // The big orders still count as purchases.
        #expect(try F.skus(store, .mostPurchased).prefix(1) == ["A"])
    }

    /// Sessions: s1 views A, B, A; s2 A, B; s3 A, C; s4 B; s5 C, D; s6 A, C; s8 C. Visitors w1
    /// and w2 view A in one session and D in another.
    @Test func viewedTogetherCountsSessionsNotVisitors() throws {
        let dir = try TemporaryDirectory()
        let store = try F.store(dir)
        var log = HandLog()
        for (session, skus) in [("s1", ["A", "B", "A"]), ("s2", ["A", "B"]), ("s3", ["A", "C"]), ("s4", ["B"]), ("s5", ["C", "D"]),
                                ("s6", ["A", "C"]), ("s8", ["C"])] {
            for (i, sku) in skus.enumerated() { log.view(sku, session: session, at: 10 + Double(i) / 10) }
        }
        for visitor in ["w1", "w2"] {
            log.view("A", session: visitor + "-1", visitor: visitor, at: 11)
            log.view("D", session: visitor + "-2", visitor: visitor, at: 12)
        }
        try F.ingest(log, into: store)
        // N = 11 viewing sessions; A viewed in 6, B in 3, C in 4, D in 3.
        // A→B: expected 6·3/11, lift 1.222, score 7/(18/11 + 5) = 77/73; A→C: expected 24/11,
        // score 77/79; A→D: no session has both.
        let a = try F.recommend(store, .viewedViewed, .product("A"))
        #expect(a.map(\.sku) == ["B", "C"])
        #expect(abs(a[0].score - 77.0 / 73) < 1e-12 && abs(a[1].score - 77.0 / 79) < 1e-12)
        #expect(a[0].reason.description == "viewed together with A in 2 sessions, lift 1.2")
    }

    /// t1, t3: view A then buy B; t2: buy B then view A; t4–t6: view A then buy C; t7: view D,
    /// buy C; t8: view E.
    @Test func viewedThenBoughtNeedsTheViewFirst() throws {
        let dir = try TemporaryDirectory()
        let store = try F.store(dir)
        var log = HandLog()
        for session in ["t1", "t3"] { log.view("A", session: session, at: 1); log.order(["B"], session: session, at: 2) }
        log.order(["B"], session: "t2", at: 1)
        log.view("A", session: "t2", at: 2)
        for session in ["t4", "t5", "t6"] { log.view("A", session: session, at: 3); log.order(["C"], session: session, at: 4) }
        log.view("D", session: "t7", at: 5)
        log.order(["C"], session: "t7", at: 6)
        log.view("E", session: "t8", at: 7)
        try F.ingest(log, into: store)
        // N = 8 viewing sessions; A viewed in 6; B bought in 3 viewing sessions, C in 4.
        // A→C: expected 6·4/8 = 3, lift 1.0, score 8/8; A→B: expected 2.25, lift 0.889, score
        // 7/7.25 (t2 bought before it viewed; counting it would make B first).
        let a = try F.recommend(store, .viewedBought, .product("A"))
        #expect(a.map(\.sku) == ["C", "B"])
        #expect(abs(a[0].score - 1.0) < 1e-12 && abs(a[1].score - 7.0 / 7.25) < 1e-12)
        #expect(a[0].reason.description == "bought after viewing A in 3 sessions, lift 1.0")
    }

    @Test func configurableChildrenRollUpToTheirParent() throws {
        let dir = try TemporaryDirectory()
        let store = try F.store(dir)
        var log = HandLog()
        for i in 0..<2 { log.order(["CFG-S", "A"], session: "o\(i)", at: Double(i)) }
        log.view("CFG-S", session: "v1", at: 3)
        log.view("CFG", session: "v1", at: 3.5)
        log.view("CFG-S", session: "v2", at: 4)
        try F.ingest(log, into: store)
        // The child's orders and views count for CFG, once per session; the child never appears.
        #expect(try F.skus(store, .boughtBought, .product("A")) == ["CFG"])
        #expect(try F.skus(store, .boughtBought, .product("CFG-S")) == ["A"])
        #expect(try F.skus(store, .boughtBought, .product("CFG")) == ["A"])
        #expect(try F.recommend(store, .mostViewed).map(\.sku) == ["CFG"])
        #expect(try F.recommend(store, .mostViewed)[0].score == 2)
        #expect(try F.skus(store, .mostPurchased) == ["A", "CFG"])
    }

    @Test func requestsWithoutTheirContextAreRefused() throws {
        let dir = try TemporaryDirectory()
        let store = try F.store(dir)
        #expect(throws: RequestError.missingContext(type: .boughtBought, needs: "a product or a cart")) {
            try F.recommend(store, .boughtBought)
        }
        #expect(throws: RequestError.missingContext(type: .recentlyViewed, needs: "a visitor")) {
            try F.recommend(store, .recentlyViewed, .product("A"))
        }
        // A SKU the catalog lacks (not imported yet) is left out of the context, not an error.
        #expect(try F.recommend(store, .boughtBought, .product("NOPE")).isEmpty)
        #expect(try F.recommend(store, .viewedViewed, .cart(["A", "N1", "N2"])).map(\.sku) == F.recommend(store, .viewedViewed, .product("A")).map(\.sku))
        #expect(try F.recommend(store, .mostPurchased, .product("NOPE")).map(\.sku) == F.recommend(store, .mostPurchased).map(\.sku))
        #expect(throws: RequestError.unknownStore("fr")) {
            try store.read { db in try Recommender(db).recommend(.mostViewed, store: "fr") }
        }
        #expect(throws: RequestError.invalidLimit(0)) { try F.recommend(store, .mostViewed, limit: 0) }
    }

    /// Hidden partners are skipped however many of the best they are (the live query checks
    /// displayability per candidate, after scoring). A is bought with P01…P40 in 41, 40, …, 2 orders; 1,000 orders of F alone make A rare
    /// (A in 860 of 1,860 orders), so the score (t + 5) / (t·860/1,860 + 5) rises with t:
    /// P01 first.
    @Test func hiddenBestCandidatesDoNotShortenTheAnswer() throws {
        let dir = try TemporaryDirectory()
        let partners = (1...40).map { String(format: "P%02d", $0) }
        let store = try F.store(dir, skus: ["A", "F"] + partners)
        var log = HandLog()
        var hour = 0.0
        for (index, partner) in partners.enumerated() {
            for k in 0..<(41 - index) {
                log.order(["A", partner], session: "\(partner)-\(k)", at: hour)
                hour += 0.01
            }
        }
        for k in 0..<1_000 { log.order(["F"], session: "f\(k)", at: hour + Double(k) * 0.01) }
        try F.ingest(log, into: store)
        #expect(try F.skus(store, .boughtBought, .product("A"), limit: 5) == ["P01", "P02", "P03", "P04", "P05"])

        func hide(_ skus: ArraySlice<String>) throws {
            try store.write { db in
                for sku in skus { _ = try ProductRepository(db).upsert(Product(sku: sku, name: "Product \(sku)", enabled: false, price: 10)) }
            }
        }
        // The best 20 hidden.
        try hide(partners[0..<20])
        #expect(try F.skus(store, .boughtBought, .product("A"), limit: 5) == ["P21", "P22", "P23", "P24", "P25"])
        // The best 24 hidden.
        try hide(partners[20..<24])
        #expect(try F.skus(store, .boughtBought, .product("A"), limit: 5) == ["P25", "P26", "P27", "P28", "P29"])
        // The same for a cart (the per-partner sums), and what the whole list holds at limit 100.
        #expect(try F.skus(store, .boughtBought, .cart(["A", "F"]), limit: 5) == ["P25", "P26", "P27", "P28", "P29"])
        #expect(try F.skus(store, .boughtBought, .product("A"), limit: 100) == Array(partners[24...]))
    }
}

