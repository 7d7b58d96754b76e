import Foundation
import Testing
@testable import Crosslink

/// Every recommendation type, live and as of a past time, gives the same products, scores and
/// reasons on SQLite and on PostgreSQL, on a slice of the real Online Retail log.
@Suite(.requiresPostgreSQL) struct RecommendationConformanceTests {
    /// The same answers from both stores, position by position (scores within 1e-8 relative).
    static func expectSame(_ answers: [[Recommendation]], _ label: String) {
        #expect(answers[0].map(\.sku) == answers[1].map(\.sku), "\(label)")
        #expect(answers[0].map { "\($0.reason)" } == answers[1].map { "\($0.reason)" }, "\(label)")
        for (a, b) in zip(answers[0], answers[1]) {
            #expect(EventConformanceTests.close(a.score, b.score), "\(label): \(a.sku) \(a.score) / \(b.score)")
        }
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
                for time in [nil, asOf] {
                    let answers: [[Recommendation]]
                    do {
                        answers = try stores.both.map { store in
                            try store.read { db in try Recommender(db).recommend(type, context: context, limit: 10, asOf: time) }
                        }
                    } catch {
                        failing[type.rawValue + (time == nil ? " live" : " as of")] = "\(error)".prefix(160) + "…"
                        continue
                    }
                    Self.expectSame(answers, "\(type.rawValue) \(context) as of \(time.map { "\($0)" } ?? "now")")
                    answered += answers[0].count
                }
            }
        }
        #expect(answered > 250)
        for (key, error) in failing.sorted(by: { $0.key < $1.key }) { print("FAILING \(key): \(error)") }
        #expect(failing.isEmpty)
    }
}
