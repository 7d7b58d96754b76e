import Foundation
import Testing
@testable import Crosslink

/// Windows per request or unit (`RecommendationWindows`): answered from the day and hour rows
/// over the live period, which must equal the live answer when the windows are the stored ones.
@Suite struct RecommendationWindowsTests {
    typealias F = RecommendationFixtures

    /// Every type, every kind of context: the bucket query over the live windows gives the live
    /// answer (products, order, reasons; scores to 1e-9).
    @Test func theBucketPathWithTheStoredWindowsEqualsTheLiveAnswer() throws {
        let dir = try TemporaryDirectory()
        let store = try RecommendationSQLiteTests.storeWithLog(dir)
        let contexts: [RecommendationContext] = [.product("A"), .cart(["A", "C"]), .visitor("v0"), .visitor("v1"), .product("E")]
        var compared = 0
        try store.read { db in
            let recommender = Recommender(db)
            let settings = try RecommendationSettings.load(db)
            for type in RecommendationType.allCases {
                for context in contexts {
                    guard (try? recommender.checkRequest(type, context: context, limit: 10)) != nil else { continue }
                    let live = try recommender.recommend(type, context: context, limit: 10)
                    let resolved = try recommender.resolve(context.skus, store: "default")
                    let query = try recommender.plan(type, resolved: resolved, visitorID: context.visitorID, settings: settings, limit: 10,
                                                     asOf: nil, filter: nil, excluding: [], fromBuckets: true)
                    let buckets = try recommender.run(query)
                    #expect(buckets.map(\.sku) == live.map(\.sku), "\(type.rawValue) \(context)")
                    #expect(buckets.map(\.reason.description) == live.map(\.reason.description), "\(type.rawValue) \(context)")
                    for (a, b) in zip(buckets, live) { #expect(abs(a.score - b.score) <= 1e-9 * max(1, abs(b.score)), "\(type.rawValue) \(a.sku)") }
                    compared += live.isEmpty ? 0 : 1
                }
            }
        }
        #expect(compared >= 15)
    }

    /// The log's views by day (storeWithLog): sessions s1…s9 on days 0…8 at 10:00, E viewed in
    /// four more sessions on day 8. The stored 7 days (2…8): E 5 sessions, A 4 (s3, s5, s7, s9).
    /// Day 8 alone: E 4 sessions (late0…late3), A and C 1 (s9).
    @Test func aUnitsWindowCountsItsOwnDays() throws {
        let dir = try TemporaryDirectory()
        let store = try RecommendationSQLiteTests.storeWithLog(dir)
        let oneDay = RecommendationWindows(popularityDays: 1)
        try store.read { db in
            let recommender = Recommender(db)
            #expect(try recommender.recommend(.mostViewed, limit: 2).map(\.score) == [5, 4])
            let lastDay = try recommender.recommend(.mostViewed, limit: 5, windows: oneDay)
            #expect(lastDay.map(\.sku) == ["E", "A", "C"])
            #expect(lastDay.map(\.score) == [4, 1, 1])
            // The same windows as stored: the live path, the same answer.
            let stored = RecommendationWindows(popularityDays: try RecommendationSettings.load(db).popularityDays)
            #expect(try recommender.recommend(.mostViewed, limit: 5, windows: stored) == recommender.recommend(.mostViewed, limit: 5))
        }
    }

    @Test func windowsOutOfRangeAreRefused() throws {
        let dir = try TemporaryDirectory()
        let store = try RecommendationSQLiteTests.storeWithLog(dir)
        try store.read { db in
            #expect(throws: RequestError(.invalidOption, "invalid windows: popularity_days 0: must be 1 to 3650")) {
                try Recommender(db).recommend(.mostViewed, windows: RecommendationWindows(popularityDays: 0))
            }
            #expect(throws: RequestError(.invalidOption, "invalid windows: trending_background_hours 9000: must be 1 to 8760")) {
                try Recommender(db).recommend(.trending, windows: RecommendationWindows(trendingBackgroundHours: 9000))
            }
        }
    }
}
