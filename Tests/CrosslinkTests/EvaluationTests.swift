import Foundation
import Testing
@testable import Crosslink

/// A hand-built purchase log split at day 10 (HandLog hours 240). Every expected number below
/// is worked out from the log and the metric definitions (the Evaluation article), with
/// K = 2. log2(3) = 1.58496, so 1/log2(3) = 0.63093 and the ideal DCG of two relevant products
/// is 1 + 0.63093 = 1.63093: a hit at rank 1 alone gives NDCG 1/1.63093 = 0.61315, at rank 2
/// alone 0.63093/1.63093 = 0.38685.
enum EvaluationFixture {
    static let split = HandLog.time(240)

    /// The settings the hand computations assume — popularity 7 days, co-occurrence 183 days,
    /// minimum support 2, lift prior 5, history half-life 30 days of 20 products — not the
    /// library's defaults, which are the grid's winners on the shipped log (EvaluationDefaultsTests).
    static let settings = RecommendationSettings.specification

    /// Products A…F ("Product A" …: the one shared name word makes more like this rank by SKU),
    /// with ``settings``.
    static func store(_ directory: TemporaryDirectory, skus: [String] = ["A", "B", "C", "D", "E", "F"],
                      settings: RecommendationSettings = settings) throws -> CrosslinkStore {
        let store = try makeStore(directory)
        try store.write { db in
            for sku in skus {
                let id = try ProductRepository(db).upsert(Product(sku: sku, name: "Product \(sku)", price: 10))
                try StoreRepository(db).assign(productID: id, websiteIDs: [1])
            }
            try Aggregates(db).configure(settings)
        }
        return store
    }

    /// Training (days 2…9), orders of one session each:
    ///   s1 u1 day 2 [A B]; s2 u2 day 3 [A B]; s3 u3 day 4 [A C]; s8 u7 day 5 [A E];
    ///   s9 u8 day 6 [A E]; s4 u4 day 8 [C D]; s5 u5 day 9 [D].
    /// Test (from day 10): s6 u1 day 10 [A C] then [E]; s7 u6 day 11 [B A D].
    static var log: HandLog {
        var log = HandLog()
        log.order(["A", "B"], session: "s1", visitor: "u1", at: 2 * 24 + 10)
        log.order(["A", "B"], session: "s2", visitor: "u2", at: 3 * 24 + 10)
        log.order(["A", "C"], session: "s3", visitor: "u3", at: 4 * 24 + 10)
        log.order(["A", "E"], session: "s8", visitor: "u7", at: 5 * 24 + 10)
        log.order(["A", "E"], session: "s9", visitor: "u8", at: 6 * 24 + 10)
        log.order(["C", "D"], session: "s4", visitor: "u4", at: 8 * 24 + 10)
        log.order(["D"], session: "s5", visitor: "u5", at: 9 * 24 + 10)
        log.order(["A", "C"], session: "s6", visitor: "u1", at: 10 * 24 + 10)
        log.order(["E"], session: "s6", visitor: "u1", at: 10 * 24 + 12)
        log.order(["B", "A", "D"], session: "s7", visitor: "u6", at: 11 * 24 + 10)
        return log
    }

    static func options(k: Int = 2, types: [RecommendationType]) -> EvaluationOptions {
        var options = EvaluationOptions()
        options.split = .time(split)
        options.k = k
        options.types = types
        return options
    }

    static func expect(_ m: EvaluationMetrics, cases: Int, hit: Double, precision: Double, recall: Double, ndcg: Double, mrr: Double,
                       coverage: Double, novelty: Double?, cold: Int, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        #expect(m.cases == cases, sourceLocation: sourceLocation)
        for (name, actual, expected) in [("hit", m.hitRate, hit), ("precision", m.precision, precision), ("recall", m.recall, recall),
                                         ("ndcg", m.ndcg, ndcg), ("mrr", m.mrr, mrr), ("coverage", m.coverage, coverage)] {
            #expect(abs(actual - expected) < 1e-4, "\(name): \(actual) ≠ \(expected)", sourceLocation: sourceLocation)
        }
        #expect(m.novelty.map { abs($0 - (novelty ?? -1)) < 1e-9 } ?? (novelty == nil), "novelty \(String(describing: m.novelty))",
                sourceLocation: sourceLocation)
        #expect(m.coldStart == cold, sourceLocation: sourceLocation)
    }
}

@Suite struct EvaluationTests {
    /// Training, as of day 10 (co-occurrence: all 7 training orders; popularity: days 3…9):
    /// - bought-bought, minimum support 2: A→B and A→E (2 orders each, lift 2·7/(5·2) = 1.4 both,
    ///   ties by SKU: [B, E]); B→[A]; E→[A]; C and D have no pair seen twice: [].
    /// - most purchased (sessions days 3…9): A 4 (s2 s3 s8 s9), C 2, D 2, E 2, B 1 (s2) → [A, C];
    ///   without a context product A: [C, D].
    /// - popularity ranks (sessions before T): A 5 → 1; B, C, D, E 2 → 2; F none → 6.
    /// Catalog: 6 displayable products.
    @Test func everyMetricMatchesItsHandComputedValue() throws {
        let dir = try TemporaryDirectory()
        let store = try EvaluationFixture.store(dir)
        try EventStore(store: store).append(EvaluationFixture.log.events)
        let report = try Evaluator(source: store, options: EvaluationFixture.options(
            types: [.boughtBought, .mostPurchased, .recommendedForYou, .moreLikeThis, .recentlyViewed])).run()
        #expect(report.split == "2024-03-11T00:00:00.000Z")
        #expect(report.catalogSize == 6)
        // 7 training orders with 13 lines; 3 test orders with 6 lines.
        #expect(report.trainingEvents == 20)
        #expect(report.testEvents == 9)
        let rows = Dictionary(uniqueKeysWithValues: report.rows.map { ($0.type, $0) })

        // bought-bought, context = each product at its first purchase in a test session; relevant =
        // the other products bought in the same order or later in the session:
        //   A{C,E} → [B,E] hit at 2 | C{A,E} → [] | B{A,D} → [A] hit at 1 | A{B,D} → [B,E] hit at 1 | D{A,B} → []
        // (s6's E has nothing after it: no case.)
        let bought = try #require(rows[.boughtBought])
        #expect(bought.baselineType == .mostPurchased)
        #expect(bought.queries == 4)  // A asked once for both its cases
        EvaluationFixture.expect(bought.metrics, cases: 5, hit: 3.0 / 5, precision: 1.5 / 5, recall: 1.5 / 5,
                                 ndcg: (0.38685 + 0.61315 + 0.61315) / 5, mrr: (0.5 + 1 + 1) / 5,
                                 coverage: 3.0 / 6, novelty: (2 + 2 + 1 + 2 + 2) / 5.0, cold: 3)
        // Baseline, the context product left out: A → [C,D] | C → [A,D] | B → [A,C] | A → [C,D] | D → [A,C]:
        // hits at 1, 1, 1, 2, 1.
        EvaluationFixture.expect(bought.baseline, cases: 5, hit: 1, precision: 0.5, recall: 0.5,
                                 ndcg: (4 * 0.61315 + 0.38685) / 5, mrr: 4.5 / 5,
                                 coverage: 3.0 / 6, novelty: (4 + 3 + 3 + 4 + 3) / 10.0, cold: 0)

        // most purchased: visitors buying after T, without what they bought before:
        //   u1 {C,E} (A, B bought in s1) → [A,C] hit at 2 | u6 {A,B,D} → [A,C] hit at 1.
        let popular = try #require(rows[.mostPurchased])
        EvaluationFixture.expect(popular.metrics, cases: 2, hit: 1, precision: 0.5, recall: (0.5 + 1.0 / 3) / 2,
                                 ndcg: (0.38685 + 0.61315) / 2, mrr: 0.75, coverage: 2.0 / 6, novelty: 1.5, cold: 0)
        #expect(popular.baseline == popular.metrics)

        // recommended for you: only u1 is active on both sides; {A,C,E} − {A,B} = {C,E}. Its history
        // A, B (bought, so never recommended) expands to E (A–E bought together twice) → [E]: hit at 1.
        let forYou = try #require(rows[.recommendedForYou])
        #expect(forYou.baselineType == .mostPurchased)  // purchases are the only interaction before T
        EvaluationFixture.expect(forYou.metrics, cases: 1, hit: 1, precision: 0.5, recall: 0.5, ndcg: 0.61315, mrr: 1,
                                 coverage: 1.0 / 6, novelty: 2, cold: 1)
        EvaluationFixture.expect(forYou.baseline, cases: 1, hit: 1, precision: 0.5, recall: 0.5, ndcg: 0.38685, mrr: 0.5,
                                 coverage: 2.0 / 6, novelty: 1.5, cold: 0)

        // more like this: the same five cases (any interaction); every product shares the word
        // "product", so the list is the other products by SKU:
        //   A{C,E} → [B,C] hit at 2 | C{A,E} → [A,B] at 1 | B{A,D} → [A,C] at 1 | A{B,D} → [B,C] at 1 | D{A,B} → [A,B] both.
        let similar = try #require(rows[.moreLikeThis])
        EvaluationFixture.expect(similar.metrics, cases: 5, hit: 1, precision: 3.0 / 5, recall: 3.0 / 5,
                                 ndcg: (0.38685 + 3 * 0.61315 + 1) / 5, mrr: 4.5 / 5,
                                 coverage: 3.0 / 6, novelty: (4 + 3 + 3 + 4 + 3) / 10.0, cold: 0)
        #expect(similar.baseline == bought.baseline)

        // No product views at all: recently viewed has no case.
        #expect(rows[.recentlyViewed]?.metrics.cases == 0)
        #expect(rows[.recentlyViewed]?.metrics.novelty == nil)
    }

    /// With `excludeSeen` off, u1's relevant set keeps A: {A,C,E}; [A,C] hits at 1 and 2.
    @Test func seenProductsCanStayRelevant() throws {
        let dir = try TemporaryDirectory()
        let store = try EvaluationFixture.store(dir)
        try EventStore(store: store).append(EvaluationFixture.log.events)
        var options = EvaluationFixture.options(types: [.mostPurchased])
        options.excludeSeen = false
        let row = try #require(try Evaluator(source: store, options: options).run().rows.first)
        // u1 {A,C,E}: hits 2, recall 2/3, NDCG 1 (both slots relevant) | u6 {A,B,D}: as before.
        EvaluationFixture.expect(row.metrics, cases: 2, hit: 1, precision: (1 + 0.5) / 2, recall: (2.0 / 3 + 1.0 / 3) / 2,
                                 ndcg: (1 + 0.61315) / 2, mrr: 1, coverage: 2.0 / 6, novelty: 1.5, cold: 0)
    }

    /// `store` keeps one store's events: in "fr" one training order [A,B] (day 3) and one test order
    /// [A,B] (day 11). Bought-bought: A{B} and B{A}, but a pair seen once is below the minimum
    /// support: [] twice. Most purchased in fr: A 1, B 1 → without the context, A → [B] and B → [A]: two hits.
    @Test func aStoreRestrictionKeepsThatStoresEventsOnly() throws {
        let dir = try TemporaryDirectory()
        let store = try EvaluationFixture.store(dir)
        try store.write { db in _ = try StoreRepository(db).upsertStore(code: "fr", website: "base") }
        var log = EvaluationFixture.log
        log.order(["A", "B"], session: "f0", visitor: "w0", at: 3 * 24 + 11)
        log.order(["A", "B"], session: "f1", visitor: "w1", at: 11 * 24 + 11)
        var events = log.events
        for index in events.indices.suffix(2) { events[index].store = "fr" }
        try EventStore(store: store).append(events)
        var options = EvaluationFixture.options(types: [.boughtBought])
        options.store = "fr"
        let report = try Evaluator(source: store, options: options).run()
        #expect(report.trainingEvents == 3 && report.testEvents == 3 && report.catalogSize == 6)
        let row = try #require(report.rows.first)
        EvaluationFixture.expect(row.metrics, cases: 2, hit: 0, precision: 0, recall: 0, ndcg: 0, mrr: 0, coverage: 0, novelty: nil, cold: 2)
        EvaluationFixture.expect(row.baseline, cases: 2, hit: 1, precision: 0.5, recall: 1, ndcg: 1, mrr: 1, coverage: 2.0 / 6,
                                 novelty: 1, cold: 2)
    }

    /// A split by fraction: the log spans day 2 10:00 … day 11 10:00 (9 days); 80 % is day 9 13:12,
    /// rounded up to midnight: day 10.
    @Test func aFractionSplitsAtTheNextUTCMidnight() throws {
        let dir = try TemporaryDirectory()
        let store = try EvaluationFixture.store(dir)
        try EventStore(store: store).append(EvaluationFixture.log.events)
        var options = EvaluationFixture.options(types: [.mostPurchased])
        options.split = .fraction(0.8)
        #expect(try Evaluator(source: store, options: options).run().split == "2024-03-11T00:00:00.000Z")
        #expect(EvaluationSplit.fraction(0.5).milliseconds(first: 0, last: 2 * 86_400_000) == 86_400_000)
    }

    /// A log shorter than a day (day 2, 10:00 … 14:00): the next midnight would leave nothing
    /// after it, so the split is the instant itself (12:00), and the session says it falls inside a day.
    @Test func aFractionOfALogShorterThanADaySplitsAtTheInstant() throws {
        let dir = try TemporaryDirectory()
        let store = try EvaluationFixture.store(dir)
        var log = HandLog()
        log.order(["A", "B"], session: "s1", visitor: "u1", at: 2 * 24 + 10)
        log.order(["A", "B"], session: "s2", visitor: "u2", at: 2 * 24 + 11)
        log.order(["A", "B"], session: "s3", visitor: "u3", at: 2 * 24 + 13)
        log.order(["A", "C"], session: "s4", visitor: "u4", at: 2 * 24 + 14)
        try EventStore(store: store).append(log.events)
        var options = EvaluationFixture.options(types: [.mostPurchased])
        options.split = .fraction(0.5)
        let session = try Evaluator(source: store, options: options).prepare()
        let report = try session.run()
        #expect(report.split == "2024-03-03T12:00:00.000Z")
        #expect(report.rows.first?.metrics.cases == 2)
        #expect(session.warnings == ["the split 2024-03-03T12:00:00.000Z falls inside a UTC day: the aggregates count whole days, so the "
                                     + "popularity and co-occurrence types learn only from the days before 2024-03-03T00:00:00.000Z",
                                     "the baseline most-purchased recommends nothing at the split: its popularity window before "
                                     + "2024-03-03T12:00:00.000Z holds no purchase events, so the baseline scores 0 (a longer window: crosslink aggregates configure)"])
        #expect(EvaluationSplit.fraction(0.5).milliseconds(first: 0, last: 3_600_000) == 1_800_000)
    }

    /// Most purchased counts 7 days (the fixture's settings): training orders on days 2 and 3,
    /// a split on day 20, so the baseline has an empty window and recommends nothing — said, not silent.
    @Test func aBaselineWithAnEmptyWindowIsAWarning() throws {
        let dir = try TemporaryDirectory()
        let store = try EvaluationFixture.store(dir)
        var log = HandLog()
        log.order(["A", "B"], session: "s1", visitor: "u1", at: 2 * 24 + 10)
        log.order(["A", "B"], session: "s2", visitor: "u2", at: 3 * 24 + 10)
        log.order(["A", "B"], session: "s3", visitor: "u3", at: 20 * 24 + 10)
        try EventStore(store: store).append(log.events)
        var options = EvaluationFixture.options(types: [.boughtBought, .viewToPurchase])
        options.split = .time(HandLog.time(20 * 24))
        let session = try Evaluator(source: store, options: options).prepare()
        var lines: [String] = []
        let report = try session.run { lines.append($0) }
        let row = try #require(report.rows.first)
        #expect(row.metrics.cases == 2 && row.metrics.hitRate == 1 && row.baseline.hitRate == 0)
        let warning = "the baseline most-purchased recommends nothing at the split: its popularity window before "
            + "2024-03-21T00:00:00.000Z holds no purchase events, so the baseline scores 0 (a longer window: crosslink aggregates configure)"
        #expect(session.warnings == [warning])  // once, though both types share the baseline
        #expect(lines.filter { $0.hasPrefix("warning: ") } == ["warning: " + warning])
    }

    /// Events whose SKUs are not in the catalog: nothing can be recommended, and the error says
    /// why and what to do, instead of "no test cases" for every type.
    @Test func aCatalogWithoutDisplayableProductsIsRefusedWithWhatToDo() throws {
        let dir = try TemporaryDirectory()
        let store = try EvaluationFixture.store(dir, skus: ["A", "B", "C", "D", "E", "F"])
        try EventStore(store: store).append(EvaluationFixture.log.events)
        try store.write { db in try db.execute("DELETE FROM product_websites") }
        #expect {
            try Evaluator(source: store, options: EvaluationFixture.options(types: [.mostPurchased])).run()
        } throws: { error in
            let message = (error as? RequestError)?.message ?? ""
            return (error as? RequestError)?.kind == .nothingToEvaluate && message.hasPrefix("the catalog has no displayable products (")
                && message.contains("crosslink eval --log FILE --create-catalog")
        }
    }

    /// The model is built from the events before T only: a second log with more events after T —
    /// a session straddling T, orders, a cancellation of a training order, views, new products'
    /// neighbours — gives every type the same answer for every context product and visitor.
    @Test func nothingAfterTheSplitLeaksIntoTheModel() throws {
        var random = SplitMix64(seed: 11)
        let skus = ["A", "B", "C", "D", "E", "F"]
        func pick(_ n: Int) -> [String] { Array(skus.shuffled(using: &random).prefix(n)) }
        var before = HandLog()
        for session in 0..<40 {
            let hour = Double(session) * 5.5  // day 0 … day 9
            let visitor = "v\(session % 9)"
            for (offset, sku) in pick(3).enumerated() { before.view(sku, session: "b\(session)", visitor: visitor, at: hour + Double(offset) * 0.1) }
            if session % 2 == 0 { before.cart(pick(1)[0], session: "b\(session)", visitor: visitor, at: hour + 0.4) }
            if session % 3 == 0 { before.order(pick(2), session: "b\(session)", visitor: visitor, at: hour + 0.5) }
        }
        // A session that starts before T and goes on after it.
        before.view("A", session: "straddle", visitor: "v1", at: 239)
        before.view("B", session: "straddle", visitor: "v1", at: 239.5)
        var after = before
        for sku in ["C", "D", "E", "F"] { after.view(sku, session: "straddle", visitor: "v1", at: 240.5) }
        after.order(["A", "B", "C", "D", "E", "F"], session: "straddle", visitor: "v1", at: 241)
        after.cancel([("A", 1), ("B", 1)], session: "b0", visitor: "v0", at: 242)
        for session in 0..<15 {
            let hour = 240 + Double(session) * 3
            for sku in pick(4) { after.view(sku, session: "a\(session)", visitor: "v\(session % 5)", at: hour) }
            after.order(pick(3), session: "a\(session)", visitor: "v\(session % 5)", at: hour + 1)
        }

        let dir = try TemporaryDirectory()
        var snapshots: [EvaluationSnapshot] = []
        for (name, log) in [("before.sqlite", before), ("after.sqlite", after)] {
            let store = try makeStore(dir, name: name)
            try store.write { db in
                for sku in skus {
                    try StoreRepository(db).assign(productID: try ProductRepository(db).upsert(Product(sku: sku, name: "Item \(sku)", price: 5)),
                                                   websiteIDs: [1])
                }
                // A small basket cap: the straddling session's later products would make it ineligible.
                var settings = try RecommendationSettings.load(db)
                settings.maxBasketProducts = 3
                settings.minimumSupport = 1
                try Aggregates(db).configure(settings)
            }
            try EventStore(store: store).append(log.events)
            snapshots.append(try EvaluationSnapshot(source: store, split: EventTime.milliseconds(EvaluationFixture.split)!))
        }
        #expect(snapshots[0].events == snapshots[1].events)
        var answered = 0
        for type in RecommendationType.allCases {
            let contexts: [RecommendationContext] = switch type.requirement {
            case .nothing: [.none]
            case .products: skus.map { .product($0) }
            case .visitor: (0..<9).map { .visitor("v\($0)") }
            }
            for context in contexts {
                let first = try snapshots[0].recommend(type, context: context)
                let second = try snapshots[1].recommend(type, context: context)
                #expect(first == second, "\(type.rawValue) \(context)")
                if !first.isEmpty { answered += 1 }
            }
        }
        #expect(answered > 30)  // the comparison is not between empty lists
    }

    /// With a catalog created from the log, the model sees only the products sold before T.
    @Test func aCatalogFromTheLogIsNarrowedToTheProductsSoldBeforeTheSplit() throws {
        let dir = try TemporaryDirectory()
        let store = try EvaluationFixture.store(dir, skus: ["A", "B", "C", "D", "E", "F", "G"])
        var log = EvaluationFixture.log
        log.order(["G", "A"], session: "s10", visitor: "u9", at: 12 * 24)
        try EventStore(store: store).append(log.events)
        let snapshot = try EvaluationSnapshot(source: store, split: EventTime.milliseconds(EvaluationFixture.split)!, catalog: .soldBeforeSplit)
        let skus = try snapshot.store.read { db in try db.prepare("SELECT sku FROM products ORDER BY sku").map { $0.text(at: 0) } }
        #expect(skus == ["A", "B", "C", "D", "E"])
        // G, first sold after T, is a context the model does not know: an empty answer, not an error.
        var options = EvaluationFixture.options(types: [.boughtBought])
        options.catalog = .soldBeforeSplit
        let row = try #require(try Evaluator(source: store, options: options).run().rows.first)
        // The five above, G{A} and A{G}: G → [] (one more cold start), A → [B,E] misses G.
        #expect(row.metrics.cases == 7 && row.metrics.hitRate == 3.0 / 7 && row.metrics.coldStart == 4)
        #expect(row.metrics.coverage == 3.0 / 5)
        // The popularity baseline needs no context: G gets the plain list [A,C], a hit; A{G} misses.
        #expect(row.baseline.hitRate == 6.0 / 7 && row.baseline.coldStart == 0)
    }

    /// Samples are drawn with SplitMix64 and a partial Fisher–Yates shuffle written out in the
    /// library; the expected indices come from the same algorithm in Python:
    ///   state += 0x9E3779B97F4A7C15; z = (z ^ z>>30)·0xBF58476D1CE4E5B9; z = (z ^ z>>27)·0x94D049BB133111EB; z ^ z>>31
    ///   for i in 0..<n: j = i + next() % (count − i); swap(i, j)  → sorted(first n)
    @Test func sameSeedSameSampleSameNumbers() throws {
        #expect(EvaluationSession.sample(Array(0..<10), count: 3, seed: 7) == [0, 4, 7])
        #expect(EvaluationSession.sample(Array(0..<10), count: 3, seed: 8) == [1, 2, 3])
        #expect(EvaluationSession.sample(Array(0..<3), count: 5, seed: 7) == [0, 1, 2])

        let dir = try TemporaryDirectory()
        let store = try EvaluationFixture.store(dir)
        try EventStore(store: store).append(EvaluationFixture.log.events)
        var options = EvaluationFixture.options(types: [.boughtBought, .moreLikeThis])
        options.sample = 3
        options.seed = 7
        func run(_ options: EvaluationOptions) throws -> [EvaluationRow] {
            try Evaluator(source: store, options: options).run().rows.map { row in
                var row = row
                row.seconds = 0
                return row
            }
        }
        let first = try run(options), second = try run(options)
        #expect(first == second)
        #expect(first.allSatisfy { $0.metrics.cases == 3 && $0.availableCases == 5 })
        // Seed 7 takes cases 0, 1, 2 of five (Python: [0, 1, 2]):
        // A{C,E} → [B,E] hit at 2 | C{A,E} → [] | B{A,D} → [A] at 1.
        EvaluationFixture.expect(first[0].metrics, cases: 3, hit: 2.0 / 3, precision: 1.0 / 3, recall: 1.0 / 3,
                                 ndcg: (0.38685 + 0.61315) / 3, mrr: 1.5 / 3, coverage: 3.0 / 6, novelty: (2 + 2 + 1) / 3.0, cold: 2)
        // Seed 3 takes cases 1, 2, 3 (Python: [1, 2, 3]): C{A,E} → [] | B{A,D} → [A] at 1 | A{B,D} → [B,E] at 1.
        options.seed = 3
        EvaluationFixture.expect(try run(options)[0].metrics, cases: 3, hit: 2.0 / 3, precision: 1.0 / 3, recall: 1.0 / 3,
                                 ndcg: 2 * 0.61315 / 3, mrr: 2.0 / 3, coverage: 3.0 / 6, novelty: (1 + 2 + 2) / 3.0, cold: 2)
    }

    /// Bought-bought with minimum support 1 (score = (together + 5) / (expected + 5), expected =
    /// base × other base / 7 orders): A → [B,E] (7/6.43 both) | B → [A] | C → [D (6/5.57), A (6/6.43)] | D → [C]:
    ///   A{C,E} hit at 2 | C{A,E} → [D,A] hit at 2 | B{A,D} → [A] at 1 | A{B,D} at 1 | D{A,B} → [C] miss.
    @Test func theGridScoresEachSettingAndNamesTheBestPerMetric() throws {
        let dir = try TemporaryDirectory()
        let store = try EvaluationFixture.store(dir)
        try EventStore(store: store).append(EvaluationFixture.log.events)
        let session = try Evaluator(source: store, options: EvaluationFixture.options(types: [.boughtBought, .moreLikeThis])).prepare()
        let report = try session.grid(EvaluationGrid(axes: [.boughtBought: [(.minimumSupport, [1, 2])]]))
        #expect(report.rows.map(\.label) == ["minimumSupport=1", "minimumSupport=2", "(no settings)"])
        let librarySupport = RecommendationSettings().minimumSupport
        #expect(report.rows.map(\.isLibraryDefault) == [librarySupport == 1, librarySupport == 2, true])
        EvaluationFixture.expect(report.rows[0].metrics, cases: 5, hit: 4.0 / 5, precision: 2.0 / 5, recall: 2.0 / 5,
                                 ndcg: (2 * 0.38685 + 2 * 0.61315) / 5, mrr: 3.0 / 5, coverage: 5.0 / 6,
                                 novelty: (4 + 3 + 1 + 4 + 2) / 8.0, cold: 2)
        #expect(abs(report.rows[1].metrics.ndcg - 1.61315 / 5) < 1e-4)  // as in everyMetricMatchesItsHandComputedValue
        let best = Dictionary(uniqueKeysWithValues: report.best.filter { $0.type == .boughtBought }.map { ($0.metric, $0) })
        #expect(best["ndcg"]?.label == "minimumSupport=1" && best["ndcg"]?.defaultIsBest == (librarySupport == 1))
        // The library default's value beside the best, when the default is a point of the grid.
        let defaultNDCG: Double? = librarySupport == 1 ? 2.0 / 5 : librarySupport == 2 ? 1.61315 / 5 : nil
        #expect(best["ndcg"]?.defaultValue.map { abs($0 - (defaultNDCG ?? -1)) < 1e-4 } ?? (defaultNDCG == nil))
        #expect(best["novelty"]?.label == "minimumSupport=2" && best["novelty"]?.defaultIsBest == (librarySupport == 2))
        #expect(best["precision"]?.label == "minimumSupport=1")
        // The model's settings are back as they were.
        #expect(try session.snapshot.store.read { db in try RecommendationSettings.load(db) } == EvaluationFixture.settings)
    }

    /// A grid point scores exactly as an evaluation of a database that had its settings from the
    /// start — the grid applies window changes without rebuilding the model (only the basket cap
    /// is built into the daily tables the point-in-time queries sum) — and afterwards the model's
    /// settings and aggregates are as they were.
    @Test func aGridPointScoresAsItsSettingsStoredFromTheStart() throws {
        let types: [RecommendationType] = [.mostPurchased, .boughtBought, .recommendedForYou]
        let grid = EvaluationGrid(axes: [
            .mostPurchased: [(.popularityDays, [2, 30])],
            .boughtBought: [(.maxBasketProducts, [2, 50]), (.cooccurrenceDays, [4, 183]), (.minimumSupport, [1])],
            .recommendedForYou: [(.cooccurrenceDays, [6]), (.historyProducts, [1])],
        ])
        // One training order of three products: a basket cap of 2 leaves it out of co-occurrence.
        var log = EvaluationFixture.log
        log.order(["A", "C", "D"], session: "s11", visitor: "u10", at: 9 * 24 + 12)
        let dir = try TemporaryDirectory()
        let source = try EvaluationFixture.store(dir)
        try EventStore(store: source).append(log.events)
        let session = try Evaluator(source: source, options: EvaluationFixture.options(types: types)).prepare()
        func aggregates() throws -> [[DatabaseValue]] {
            try session.snapshot.store.read { db in
                try ["product_days", "store_days", "pair_days", "product_windows", "store_windows", "pair_windows", "trend_windows"]
                    .flatMap { try db.rows("SELECT '\($0)', * FROM \($0) ORDER BY 2, 3, 4, 5") }
            }
        }
        let before = try aggregates()
        let report = try session.grid(grid)
        #expect(report.rows.count == 2 + 4 + 1)
        #expect(try session.snapshot.store.read { db in try RecommendationSettings.load(db) } == EvaluationFixture.settings)
        #expect(try aggregates() == before)
        for type in [RecommendationType.mostPurchased, .boughtBought] {  // the points are not all alike
            #expect(Set(report.rows.filter { $0.type == type }.map { String(describing: $0.metrics) }).count > 1, "\(type.rawValue)")
        }
        // The basket cap changes bought-bought: C's list with and without the three-product order.
        let bought = report.rows.filter { $0.type == .boughtBought }
        #expect(bought[0].metrics != bought[2].metrics)  // cap 2 vs 50, window 4 days
        for row in report.rows {
            let other = try EvaluationFixture.store(try TemporaryDirectory(), settings: row.point.settings)
            try EventStore(store: other).append(log.events)
            let expected = try Evaluator(source: other, options: EvaluationFixture.options(types: [row.type])).prepare().evaluate(row.type)
            #expect(row.metrics == expected.metrics, "\(row.type.rawValue) \(row.label)")
        }
    }

    @Test func invalidOptionsAreRefused() throws {
        let dir = try TemporaryDirectory()
        let store = try EvaluationFixture.store(dir)
        var options = EvaluationOptions()
        options.k = 0
        #expect(throws: RequestError(.invalidOption, "invalid evaluation option: k 0: must be 1 to 100")) { try Evaluator(source: store, options: options) }
        options = EvaluationOptions()
        options.split = .fraction(1)
        #expect(throws: RequestError.self) { try Evaluator(source: store, options: options) }
        // No events at all.
        #expect(throws: RequestError(.nothingToEvaluate, "the database has no events to evaluate on")) {
            try Evaluator(source: store).run()
        }
    }
}
