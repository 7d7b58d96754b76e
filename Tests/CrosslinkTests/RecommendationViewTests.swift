import Foundation
import Testing
@testable import Crosslink

/// The Swift SQL of each recommendation type is authoritative (``RecommendationTypeDescriptor``);
/// the `recs_*` views of the migrations document the live scores. Each view must give the
/// library's answers — products, order and scores — and the lift formula the migrations repeat
/// must be the Swift definition's text.
@Suite(.serialized) struct RecommendationViewTests {
    typealias F = RecommendationFixtures

    func rows(_ store: CrosslinkStore, _ sql: String) throws -> [[DatabaseValue]] {
        try store.read { db in try db.rows(sql) }
    }

    func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-9 * max(1, abs(b)) }

    func number(_ value: DatabaseValue) -> Double {
        switch value {
        case .integer(let v): Double(v)
        case .real(let v): v
        default: .nan
        }
    }

    /// Live answers of every view-backed type equal the view's, row by row.
    @Test func everyViewGivesTheLibrarysLiveAnswers() throws {
        let dir = try TemporaryDirectory()
        let store = try RecommendationSQLiteTests.storeWithLog(dir)
        let limit = 100

        let popular: [(RecommendationType, String)] = [(.mostViewed, "viewers"), (.mostAddedToCart, "carters"), (.mostPurchased, "net_buyers")]
        for (type, column) in popular {
            let view = try rows(store, """
                SELECT sku, \(column) FROM recs_popular WHERE store = 'default' AND \(column) > 0
                ORDER BY \(column) DESC\(type == .mostPurchased ? ", units DESC" : ""), sku LIMIT \(limit)
                """)
            let api = try F.recommend(store, type, limit: limit)
            #expect(!api.isEmpty, "\(type.rawValue) has nothing to compare")
            #expect(view.map { $0[0] } == api.map { .text($0.sku) }, "\(type.rawValue)")
            #expect(view.map { number($0[1]) } == api.map(\.score), "\(type.rawValue)")
        }

        for (type, column, converted) in [(RecommendationType.viewToCart, "cart_score", "viewed_then_carted"),
                                          (.viewToPurchase, "purchase_score", "viewed_then_bought")] {
            let view = try rows(store, """
                SELECT sku, \(column) FROM recs_conversion WHERE store = 'default' AND \(converted) > 0
                ORDER BY \(column) DESC, sku LIMIT \(limit)
                """)
            let api = try F.recommend(store, type, limit: limit)
            #expect(!api.isEmpty, "\(type.rawValue) has nothing to compare")
            #expect(view.map { $0[0] } == api.map { .text($0.sku) }, "\(type.rawValue)")
            for (row, recommendation) in zip(view, api) { #expect(close(number(row[1]), recommendation.score), "\(type.rawValue)") }
        }

        let trending = try rows(store, "SELECT sku, growth FROM recs_trending WHERE store = 'default' ORDER BY growth DESC, sku")
        let trendingAPI = try F.recommend(store, .trending, limit: limit)
        #expect(trending.map { $0[0] } == trendingAPI.map { .text($0.sku) })
        for (row, recommendation) in zip(trending, trendingAPI) { #expect(close(number(row[1]), recommendation.score)) }

        let recent = try rows(store, """
            SELECT sku, last_viewed_at FROM recs_recently_viewed WHERE store = 'default' AND visitor_id = 'v1'
            ORDER BY last_viewed_at DESC, sku
            """)
        let recentAPI = try F.recommend(store, .recentlyViewed, .visitor("v1"), limit: limit)
        #expect(!recentAPI.isEmpty)
        #expect(recent.map { $0[0] } == recentAPI.map { .text($0.sku) })
        #expect(recent.map { number($0[1]) } == recentAPI.map(\.score))
    }

    /// Both arms of `recs_cooccurrence` (pairs in rows: the view kinds; in lists: bought
    /// together): for every kind and context product, the view's partners, support, lift and
    /// score are the library's.
    @Test func theCooccurrenceViewGivesTheLibrarysLiftAndScore() throws {
        let dir = try TemporaryDirectory()
        let store = try RecommendationSQLiteTests.storeWithLog(dir)
        var compared = 0
        for kind in CooccurrenceKind.allCases {
            let type = RecommendationType(rawValue: kind.rawValue)!
            for sku in ["A", "B", "C", "D", "E"] {
                let view = try rows(store, """
                    SELECT recommended_sku, together, lift, score FROM recs_cooccurrence
                    WHERE store = 'default' AND kind = '\(kind.rawValue)' AND sku = '\(sku)'
                    ORDER BY score DESC, recommended_sku
                    """)
                let api = try F.recommend(store, type, .product(sku), limit: 100)
                #expect(view.map { $0[0] } == api.map { .text($0.sku) }, "\(kind.rawValue) \(sku)")
                for (row, recommendation) in zip(view, api) {
                    #expect(close(number(row[3]), recommendation.score), "\(kind.rawValue) \(sku) → \(recommendation.sku)")
                    guard case .together(_, let source, let together, let lift) = recommendation.reason else {
                        Issue.record("\(kind.rawValue): reason \(recommendation.reason)")
                        continue
                    }
                    #expect(source == sku)
                    #expect(Double(together) == number(row[1]))
                    #expect(close(number(row[2]), lift))
                    compared += 1
                }
            }
        }
        #expect(compared > 10)
    }

    /// The lift and its smoothed score are written once in Swift; the views of 0004 (replaced
    /// by 0010's, so no longer queryable) and 0010 (one per arm) spell the same expressions.
    @Test func theMigrationsLiftIsTheSwiftDefinition() throws {
        func normalized(_ text: String) -> String { text.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
        let definition = normalized(RecommendationSQL.liftAndScore("x", prior: "x.prior").description)
        for (file, copies) in [("0004_aggregates.sql", 1), ("0010_pair_lists.sql", 2)] {
            let text = normalized(try String(contentsOf: MigrationTests.migrationsDirectory.appending(path: file), encoding: .utf8))
            #expect(text.components(separatedBy: definition).count - 1 == copies, "\(file)")
        }
        // And the Swift queries use the definition (with the settings' prior).
        let live = RecommendationTypeDescriptor.of(.boughtBought).live.plain.text
        #expect(normalized(live).contains(normalized(RecommendationSQL.liftAndScore("p").description)))
    }

    /// One registry: every type has one descriptor, in `allCases` order, with its requirement.
    @Test func theRegistryListsEveryTypeOnce() {
        #expect(RecommendationTypeDescriptor.all.map(\.type) == RecommendationType.allCases)
        #expect(RecommendationType.boughtBought.requirement == .products)
        #expect(RecommendationType.recentlyViewed.requirement == .visitor)
        #expect(RecommendationType.trending.requirement == .nothing)
    }
}
