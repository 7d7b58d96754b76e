import Foundation
import Testing
@testable import Crosslink

/// Recommended for you, recently viewed, more like this and cold start.
@Suite struct RecommendationVisitorTests {
    typealias F = RecommendationFixtures

    @Test func recommendedForYouExpandsTheHistoryThroughSimilarity() throws {
        let dir = try TemporaryDirectory()
        let store = try F.forYouStore(dir)
        // 13 orders; P in 7, Q in 4, R in 4, S in 7, T in 2. History weights (half-life 30 days,
        // now = the last event): P viewed now → 1; S bought 30 days before → 3 · 0.5 = 1.5.
        // Cosine = together / √(orders · orders):
        //   from P: Q 3/√28, R 2/√28, S 2/√49 (bought by V: excluded)
        //   from S: R 2/√28, T 2/√14, P 2/√49
        // R = 1 · 2/√28 + 1.5 · 2/√28 = 0.9449; T = 1.5 · 2/√14 = 0.8018; Q = 3/√28 = 0.5669; P = 1.5 · 2/7 = 0.4286.
        let list = try F.recommend(store, .recommendedForYou, .visitor("V"))
        #expect(list.map(\.sku) == ["R", "T", "Q", "P"])
        let expected = [2.5 * 2 / 28.0.squareRoot(), 1.5 * 2 / 14.0.squareRoot(), 3 / 28.0.squareRoot(), 1.5 * 2 / 7]
        for (recommendation, score) in zip(list, expected) { #expect(abs(recommendation.score - score) < 1e-9) }
        #expect(list[0].reason.description == "because you bought S (bought together in 2 orders)")
        #expect(list[2].reason.description == "because you viewed P (bought together in 3 orders)")
        // On P's page P itself is left out.
        #expect(try F.skus(store, .recommendedForYou, .product("P", visitor: "V")) == ["R", "T", "Q"])
        // A visitor without history: nothing.
        #expect(try F.skus(store, .recommendedForYou, .visitor("nobody")).isEmpty)
    }

    @Test func recommendedForYouAsOfUsesTheHistoryBeforeThen() throws {
        let dir = try TemporaryDirectory()
        let store = try F.forYouStore(dir)
        // As of day 20: only S's purchase (weight 3 · 0.5^(10/30)); T 2/√14, R 2/√28, P 2/7.
        let list = try F.recommend(store, .recommendedForYou, .visitor("V"), asOf: HandLog.time(20 * 24))
        #expect(list.map(\.sku) == ["T", "R", "P"])
        let weight = 3 * pow(0.5, 10.0 / 30)
        #expect(abs(list[0].score - weight * 2 / 14.0.squareRoot()) < 1e-9)
        // As of day 10 00:00 the visitor has no history yet.
        #expect(try F.skus(store, .recommendedForYou, .visitor("V"), asOf: HandLog.time(10 * 24)).isEmpty)
        // The day after the last event: the live answer.
        #expect(try F.recommend(store, .recommendedForYou, .visitor("V"), asOf: HandLog.time(40 * 24 + 0.001))
                    .map(\.sku) == ["R", "T", "Q", "P"])
    }

    @Test func recentlyViewedIsTheVisitorsOwnViews() throws {
        let dir = try TemporaryDirectory()
        let store = try F.store(dir)
        var log = HandLog()
        log.view("A", session: "w1", visitor: "W", at: 1)
        log.view("B", session: "w1", visitor: "W", at: 2)
        log.view("A", session: "w2", visitor: "W", at: 3)
        log.view("HIDDEN", session: "w2", visitor: "W", at: 4)
        log.view("D", session: "w2", visitor: "W", at: 5)
        log.view("C", session: "other", visitor: "U", at: 6)
        try F.ingest(log, into: store)
        let list = try F.recommend(store, .recentlyViewed, .visitor("W"))
        #expect(list.map(\.sku) == ["D", "A", "B"])
        #expect(list[0].reason.description == "viewed 2024-03-01T05:00:00Z")
        #expect(try F.skus(store, .recentlyViewed, .product("D", visitor: "W")) == ["A", "B"])
        // Exact to the millisecond: before the second view of A, B is the most recent.
        #expect(try F.skus(store, .recentlyViewed, .visitor("W"), asOf: HandLog.time(2.5)) == ["B", "A"])
        #expect(try F.skus(store, .recentlyViewed, .visitor("W"), asOf: HandLog.time(1)).isEmpty)
        #expect(try F.skus(store, .recentlyViewed, .visitor("nobody")).isEmpty)
    }

    /// M1 Joust Duffle Bag (Gear, Gear/Bags; material Nylon; activity Gym, Travel), M2 Strive
    /// Shoulder Pack (Gear, Gear/Bags; Nylon), M3 Crown Summit Backpack (Gear, Gear/Bags;
    /// Polyester), M4 Duffle Sport Bag (Gear; Leather), M5 Yoga Mat (Gear, Gear/Fitness). No events.
    @Test func moreLikeThisUsesTheCatalogOnly() throws {
        let dir = try TemporaryDirectory()
        let store = try F.bagStore(dir, activities: true)
        // N = 5 (highest id); idf = ln(1 + 5/df): Gear (df 5) 0.6931, Gear/Bags (3) 0.9808,
        // Nylon (2) 1.2528, words "duffle" and "bag" (2 each) 1.2528.
        // M4 = Gear + duffle + bag = 3.1987; M2 = Gear + Bags + Nylon = 2.9267; M3 = Gear + Bags = 1.6740; M5 = Gear.
        let list = try F.recommend(store, .moreLikeThis, .product("M1"))
        #expect(list.map(\.sku) == ["M4", "M2", "M3", "M5"])
        let ln = { (df: Double) in log(1 + 5 / df) }
        #expect(abs(list[0].score - (ln(5) + 2 * ln(2))) < 1e-9)
        #expect(abs(list[1].score - (ln(5) + ln(3) + ln(2))) < 1e-9)
        #expect(list[0].reason.description == "shares category Gear, name words bag, duffle")
        #expect(list[1].reason.description == "shares categories Gear, Gear/Bags, material Nylon")
        // Renaming a product updates its words (the index follows the catalog).
        try store.write { db in _ = try ProductRepository(db).upsert(Product(sku: "M4", name: "Sport Holdall", price: 10)) }
        #expect(try F.skus(store, .moreLikeThis, .product("M1")) == ["M2", "M3", "M4", "M5"])
    }

    @Test func moreLikeThisOnTheMagentoSample() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        _ = try MagentoSampleImporter(store: store).importSample()
        let list = try F.recommend(store, .moreLikeThis, .product("24-MB01"), limit: 5)
        #expect(list.count == 5)
        // Joust Duffle Bag: the closest products are the other bags.
        let bags = try store.read { db in
            try db.prepare("""
                SELECT p.sku FROM products AS p JOIN product_categories AS pc USING (product_id) JOIN categories AS c USING (category_id)
                WHERE c.name_path = 'Default Category/Gear/Bags'
                """).map { $0.text(at: 0) }
        }
        #expect(list.allSatisfy { bags.contains($0.sku) }, "\(list.map(\.sku))")
    }

    @Test func coldStartOnlyMoreLikeThisAnswers() throws {
        let dir = try TemporaryDirectory()
        let store = try F.store(dir)
        for type in RecommendationType.allCases {
            let context: RecommendationContext = switch type.requirement {
            case .visitor: .visitor("v-1")
            default: .product("A")
            }
            let list = try F.recommend(store, type, context)
            if type == .moreLikeThis {
                #expect(!list.isEmpty)  // "Product A" shares the word "product" with the others
            } else {
                #expect(list.isEmpty, "\(type.rawValue)")
            }
            #expect(try F.recommend(store, type, context, asOf: HandLog.time(0)).isEmpty == (type != .moreLikeThis))
        }
    }
}
