import Foundation
import Testing
@testable import Crosslink

/// Every recommendation type, live and as of a past time, gives the same products, scores and
/// reasons on SQLite and on PostgreSQL, on a slice of the real Online Retail log.
@Suite(.requiresPostgreSQL) struct RecommendationConformanceTests {
    /// The types whose SQL does not run on PostgreSQL yet (SQLite functions such as
    /// `group_concat`/`instr`, integer masks used as booleans, `json_each` over the neighbour
    /// lists that are jsonb there). Listed in the DocC article *PostgreSQL*.
    static let pendingOnPostgreSQL: Set<RecommendationType> = [.recommendedForYou]

    @Test func everyTypeGivesTheSameAnswersOnBothEngines() throws {
        let slice = try EventConformanceTests.onlineRetailSlice(lines: 15_000)
        var options = OnlineRetailImporter.Options()
        options.createCatalog = true
        let stores = try EngineConformanceTests.pair("recommendations") { store in
            try EventConformanceTests.shortWindows(store)
            _ = try OnlineRetailImporter(store: store, options: options).importData(slice, file: "online-retail-slice.csv")
            _ = try store.write { db in try ItemNeighbours(db).refresh() }
            _ = try store.write { db in try SimilarProducts(db).refresh(force: true) }
        }
        let (skus, visitors) = try stores.sqlite.read { db in
            (try Recommender(db).recommend(.mostPurchased, limit: 12).map(\.sku),
             try db.prepare("SELECT visitor_id FROM events GROUP BY visitor_id ORDER BY count(*) DESC, visitor_id LIMIT 8").map { $0.text(at: 0) })
        }
        #expect(skus.count == 12 && visitors.count == 8)
        let contexts: [RecommendationType.Requirement: [RecommendationContext]] = [
            .nothing: [.none],
            .products: skus.map { .product($0) } + [.cart(Array(skus.prefix(3))), .cart(Array(skus.suffix(4)))],
            .visitor: visitors.map { .visitor($0) },
        ]
        let asOf = Date(timeIntervalSince1970: 1_291_420_800)  // 2010-12-04, inside the slice
        var answered = 0
        var failing: [String: String] = [:]
        for type in RecommendationType.allCases where !Self.pendingOnPostgreSQL.contains(type) {
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
                    let label = "\(type.rawValue) \(context) as of \(time.map { "\($0)" } ?? "now")"
                    #expect(answers[0].map(\.sku) == answers[1].map(\.sku), "\(label)")
                    #expect(answers[0].map { "\($0.reason)" } == answers[1].map { "\($0.reason)" }, "\(label)")
                    for (a, b) in zip(answers[0], answers[1]) {
                        #expect(EventConformanceTests.close(a.score, b.score), "\(label): \(a.sku) \(a.score) / \(b.score)")
                    }
                    answered += answers[0].count
                }
            }
        }
        #expect(answered > 250)
        for (key, error) in failing.sorted(by: { $0.key < $1.key }) { print("FAILING \(key): \(error)") }
        #expect(failing.isEmpty)
    }
}
