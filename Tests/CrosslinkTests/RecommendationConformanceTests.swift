import Foundation
import Testing
@testable import Crosslink

/// Every recommendation type, live, as of a past time and with a request's own windows, gives
/// the same products, scores and reasons on SQLite and on PostgreSQL, on a slice of the real
/// Online Retail log.
@Suite(.requiresPostgreSQL) struct RecommendationConformanceTests {
    /// The same answers from both stores, position by position (scores within 1e-8 relative).
    /// Products whose scores are equal within that tolerance may come in either order: the two
    /// engines' floating-point sums of mathematically equal scores can differ in the last bits,
    /// and the SKU tie-break then sees no tie. Such runs are compared sorted by SKU.
    static func expectSame(_ answers: [[Recommendation]], _ label: String) {
        let (a, b) = (canonical(answers[0]), canonical(answers[1]))
        #expect(a.map(\.sku) == b.map(\.sku), "\(label)")
        #expect(a.map { "\($0.reason)" } == b.map { "\($0.reason)" }, "\(label)")
        for (x, y) in zip(a, b) {
            #expect(EventConformanceTests.close(x.score, y.score), "\(label): \(x.sku) \(x.score) / \(y.score)")
        }
    }

    /// The list with each run of near-equal scores sorted by SKU.
    static func canonical(_ list: [Recommendation]) -> [Recommendation] {
        var result: [Recommendation] = [], run: [Recommendation] = []
        for item in list {
            if let first = run.first, !EventConformanceTests.close(first.score, item.score) {
                result += run.sorted { $0.sku < $1.sku }
                run = []
            }
            run.append(item)
        }
        return result + run.sorted { $0.sku < $1.sku }
    }

    @Test func everyTypeGivesTheSameAnswersOnBothEngines() throws {
        let slice = try EventConformanceTests.onlineRetailSlice(lines: 15_000)
        var options = OnlineRetailImporter.Options()
        options.createCatalog = true
        let stores = try EngineConformanceTests.pair("recommendations") { store in
            try EventConformanceTests.shortWindows(store)
            _ = try OnlineRetailImporter(store: store, options: options).importData(slice, file: "online-retail-slice.csv")
        }
        let (skus, visitors) = try stores.sqlite.read { db in
            (try Recommender(db).recommend(.mostPurchased, limit: 12).map(\.sku),
             try db.prepare("SELECT visitor_id FROM events GROUP BY visitor_id ORDER BY count(*) DESC, visitor_id LIMIT 8").map { $0.text(at: 0) })
        }
        #expect(skus.count == 12 && visitors.count == 8)

        // More like this before the similar-product lists exist: the live query scores every
        // product sharing a feature (sums of idf weights, ties by SKU).
        let sample = try stores.sqlite.read { db in
            try db.prepare("SELECT sku FROM products WHERE product_id % 37 = 0 ORDER BY product_id").map { $0.text(at: 0) }
        }
        var liveSimilar = 0
        for sku in skus + sample {
            let answers = try stores.both.map { store in
                try store.read { db in try Recommender(db).recommend(.moreLikeThis, context: .product(sku), limit: 10) }
            }
            Self.expectSame(answers, "more like this \(sku), live query")
            liveSimilar += answers[0].count
        }
        #expect(liveSimilar > 500)
        for store in stores.both { _ = try store.write { db in try SimilarProducts(db).refresh(force: true) } }

        // Recommended for you before the neighbour lists exist: the similarity computed per
        // request from the windows (SQL on both engines).
        var perRequest = 0
        for visitor in visitors {
            let answers = try stores.both.map { store in
                try store.read { db in
                    let query = try Recommender(db).plan(.recommendedForYou, context: .visitor(visitor), limit: 10)
                    #expect(query.neighbours == nil)
                    return try Recommender(db).run(query)
                }
            }
            Self.expectSame(answers, "recommended for you per request, \(visitor)")
            perRequest += answers[0].count
        }
        #expect(perRequest > 40)
        for store in stores.both { _ = try store.write { db in try ItemNeighbours(db).refresh() } }
        // From the lists: summed in Swift (as `recommend` does) and by their SQL form (`--sql`),
        // which expands JSON text on SQLite and jsonb on PostgreSQL.
        for visitor in visitors {
            let answers = try stores.both.map { store in
                try store.read { db in
                    var query = try Recommender(db).plan(.recommendedForYou, context: .visitor(visitor), limit: 10)
                    #expect(query.neighbours != nil, "the lists are not served on \(store.engine)")
                    let summed = try Recommender(db).run(query)
                    query.neighbours = nil
                    return (summed, try Recommender(db).run(query))
                }
            }
            Self.expectSame(answers.map(\.0), "recommended for you from the lists, \(visitor)")
            Self.expectSame(answers.map(\.1), "recommended for you from the lists' SQL form, \(visitor)")
            Self.expectSame([answers[1].0, answers[1].1], "PostgreSQL: Swift sums and SQL form, \(visitor)")
        }
        let contexts: [RecommendationType.Requirement: [RecommendationContext]] = [
            .nothing: [.none],
            .products: skus.map { .product($0) } + [.cart(Array(skus.prefix(3))), .cart(Array(skus.suffix(4)))],
            .visitor: visitors.map { .visitor($0) },
        ]
        let asOf = Date(timeIntervalSince1970: 1_291_420_800)  // 2010-12-04, inside the slice
        var answered = 0
        var failing: [String: String] = [:]
        for type in RecommendationType.allCases {
            for context in contexts[type.requirement] ?? [] {
                // Live, as of a past time, and live with a request's own windows (from the buckets).
                let windows = RecommendationWindows(popularityDays: 2, cooccurrenceDays: 3, trendingForegroundHours: 12)
                for (time, custom) in [(nil, nil), (asOf, nil), (nil, windows)] as [(Date?, RecommendationWindows?)] {
                    let label = type.rawValue + (time != nil ? " as of" : custom != nil ? " windows" : " live")
                    let answers: [[Recommendation]]
                    do {
                        answers = try stores.both.map { store in
                            try store.read { db in try Recommender(db).recommend(type, context: context, limit: 10, asOf: time, windows: custom) }
                        }
                    } catch {
                        failing[label] = "\(error)".prefix(160) + "…"
                        continue
                    }
                    Self.expectSame(answers, "\(label) \(context)")
                    answered += answers[0].count
                }
            }
        }
        #expect(answered > 250)
        for (key, error) in failing.sorted(by: { $0.key < $1.key }) { print("FAILING \(key): \(error)") }
        #expect(failing.isEmpty)
    }
}
