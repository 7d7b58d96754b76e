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

    /// UnitFixtures' shop views everything on day 0; three more sessions view E on day 20. The
    /// stored window (14 days: 7…20) sees only those; a variant of 30 days sees the whole log.
    @Test func aUnitVariantUsesItsOwnWindows() throws {
        let dir = try TemporaryDirectory()
        let store = try UnitFixtures.shop(dir) { log in
            for i in 0..<3 { log.view("E", session: "late\(i)", at: 20 * 24 + Double(i)) }
        }
        let month = RecommendationWindows(popularityDays: 30)
        var monthly = UnitFixtures.unit("month", page: .home, type: .recommendation(.mostViewed), count: 4, position: 2)
        monthly.variants[0].windows = month
        let stored = UnitFixtures.unit("stored", page: .home, type: .recommendation(.mostViewed), count: 4)
        let lists = try UnitFixtures.skus(store, .home, units: [stored, monthly])
        let expected = try store.read { db in try Recommender(db).recommend(.mostViewed, limit: 4, windows: month).map(\.sku) }
        #expect(expected == ["A", "B", "E", "C"])   // 6, 5, 2 + 3, 4 sessions
        // The first unit shows E (the only product of the last 14 days), then its backups; the
        // second, de-duplicated against it, the month's list without E.
        #expect(lists.first?.first == "E")
        #expect(lists.last == ["A", "B", "C", "D"])
        // Stored, listed by sqlite3, exported and read back.
        #expect(try sqlite3Rows(store.path, "SELECT name, windows FROM unit_list ORDER BY name") == [["month", #"{"popularity_days":30}"#], ["stored", "{}"]])
        let exported = UnitFile.export(try store.read { db in try UnitRepository(db).units() })
        #expect(try UnitFile.parse(exported).entries.map(\.unit.variants[0].windows) == [RecommendationWindows(), month])
    }

    @Test func unitWindowsAreValidated() throws {
        let dir = try TemporaryDirectory()
        let store = try UnitFixtures.shop(dir)
        var unit = UnitFixtures.unit("w", page: .home, type: .recommendation(.trending))
        unit.variants[0].windows = RecommendationWindows(trendingForegroundHours: 0)
        let refused = try? store.write { db in try UnitRepository(db).save(unit) }
        #expect(refused == nil)
        do { try store.write { db in _ = try UnitRepository(db).save(unit) } } catch {
            #expect("\(error)".contains("windows.trending_foreground_hours: must be 1 to 8760, found 0"), "\(error)")
        }
        #expect(throws: InputError.self) { try UnitFile.parse(#"{"name": "x", "page_type": "home", "type": "most-viewed", "windows": {"days": 3}}"#) }
    }
}
