import Foundation
import Testing
@testable import Crosslink

/// Every answer can be reproduced with the sqlite3 CLI: the Recommendations article's view queries, and the SQL
/// that `crosslink recommend --sql` prints for each type, give what the library returns.
@Suite(.serialized) struct RecommendationSQLiteTests {
    typealias F = RecommendationFixtures

    /// Views, carts and orders of several visitors over days 0…8 (the last event on day 8).
    static func storeWithLog(_ dir: TemporaryDirectory) throws -> CrosslinkStore {
        let store = try F.store(dir)
        var log = HandLog()
        let sessions: [(String, [String], [String])] = [
            ("s1", ["A", "B", "C"], ["A", "B"]), ("s2", ["A", "B"], ["B"]), ("s3", ["A", "C", "D"], ["A", "C"]),
            ("s4", ["B", "C"], []), ("s5", ["A", "B", "X"], ["A", "B", "X"]), ("s6", ["D", "E"], ["D", "E"]),
            ("s7", ["A", "B"], ["A", "B"]), ("s8", ["C", "D"], ["C"]), ("s9", ["A", "C"], ["A", "C"]),
        ]
        for (index, (session, viewed, bought)) in sessions.enumerated() {
            let hour = Double(index) * 24 + 10
            for (offset, sku) in viewed.enumerated() { log.view(sku, session: session, visitor: "v\(index % 3)", at: hour + Double(offset) / 10) }
            if let first = bought.first { log.cart(first, session: session, visitor: "v\(index % 3)", at: hour + 0.5) }
            if !bought.isEmpty { log.order(bought, session: session, visitor: "v\(index % 3)", at: hour + 1) }
        }
        for i in 0..<4 { log.view("E", session: "late\(i)", at: 8 * 24 + 12 + Double(i) / 10) }  // E trends on day 8
        try F.ingest(log, into: store)
        try store.write { db in
            var settings = try Aggregates(db).settings()
            settings.minimumSupport = 1
            settings.trendingMinimumViewers = 2
            try Aggregates(db).configure(settings)
        }
        return store
    }

    @Test func theDocumentedViewQueriesGiveTheLibrarysAnswers() throws {
        let dir = try TemporaryDirectory()
        let store = try Self.storeWithLog(dir)
        let viewed = try sqlite3Rows(store.path, """
            SELECT sku, viewers FROM recs_popular WHERE store = 'default' AND viewers > 0
            ORDER BY viewers DESC, sku LIMIT 5;
            """)
        let api = try F.recommend(store, .mostViewed, limit: 5)
        #expect(viewed.map { $0[0] } == api.map(\.sku))
        #expect(viewed.map { Double($0[1])! } == api.map(\.score))

        let together = try sqlite3Rows(store.path, """
            SELECT recommended_sku, together, round(lift, 2), round(score, 3) FROM recs_cooccurrence
            WHERE store = 'default' AND kind = 'bought-bought' AND sku = 'A'
            ORDER BY score DESC, recommended_sku LIMIT 5;
            """)
        let boughtTogether = try F.recommend(store, .boughtBought, .product("A"), limit: 5)
        #expect(!together.isEmpty)
        #expect(together.map { $0[0] } == boughtTogether.map(\.sku))
        #expect(together.map { Double($0[3])! } == boughtTogether.map { ($0.score * 1000).rounded() / 1000 })

        let recent = try sqlite3Rows(store.path, """
            SELECT sku, last_viewed FROM recs_recently_viewed WHERE store = 'default' AND visitor_id = 'v1'
            ORDER BY last_viewed_at DESC, sku LIMIT 5;
            """)
        #expect(recent.map { $0[0] } == (try F.skus(store, .recentlyViewed, .visitor("v1"), limit: 5)))

        let trending = try sqlite3Rows(store.path, """
            SELECT sku, recent, background, growth FROM recs_trending WHERE store = 'default'
            ORDER BY growth DESC, sku LIMIT 5;
            """)
        #expect(trending.map { $0[0] } == (try F.skus(store, .trending, limit: 5)))
        #expect(trending.map { $0[0] } == ["E"])
    }

    @Test func theSQLOfEveryTypeRunsInTheSQLiteCLI() throws {
        let dir = try TemporaryDirectory()
        let store = try Self.storeWithLog(dir)
        let asOf = "2024-03-07"
        for type in RecommendationType.allCases {
            let context: [String] = switch type.requirement {
            case .visitor: ["--visitor", "v0"]
            case .products: ["--cart", "A,C"]
            case .nothing: ["--sku", "A"]
            }
            for time in [nil, asOf] {
                let arguments = ["--database", store.path, "recommend", "--type", type.rawValue, "--limit", "4", "--sql"] + context
                    + (time.map { ["--as-of", $0] } ?? [])
                let printed = try run(CLITests.executable, arguments)
                #expect(printed.status == 0, "\(printed.stderr)")
                let script = dir.url.appending(path: "\(type.rawValue)-\(time ?? "live").sql")
                try Data(printed.stdout.utf8).write(to: script)
                let result = try run("/usr/bin/sqlite3", ["-bail", "-batch", "-ascii", store.path], stdin: script)
                #expect(result.status == 0 && result.stderr.isEmpty, "\(type.rawValue): \(result.stderr)")
                let skus = result.stdout.split(separator: "\u{1E}").map { $0.split(separator: "\u{1F}", omittingEmptySubsequences: false)[1] }
                let recommendationContext: RecommendationContext = switch type.requirement {
                case .visitor: .visitor("v0")
                case .products: .cart(["A", "C"])
                case .nothing: .product("A")
                }
                let api = try F.skus(store, type, recommendationContext, limit: 4, asOf: time.flatMap { EventTime.parse($0 + "T00:00:00Z").map(EventTime.date) })
                #expect(skus.map(String.init) == api, "\(type.rawValue) as of \(time ?? "now")")
                if time == nil && type != .trending { #expect(!api.isEmpty, "\(type.rawValue) has nothing to compare") }
            }
        }
    }

    @Test func recommendAndAggregateCommands() throws {
        let dir = try TemporaryDirectory()
        let store = try Self.storeWithLog(dir)
        let table = try run(CLITests.executable, ["--database", store.path, "recommend", "--type", "bought-bought", "--sku", "A"])
        #expect(table.status == 0)
        #expect(table.stdout.contains("bought together with A in"))
        let json = try run(CLITests.executable, ["--database", store.path, "recommend", "--type", "most-viewed", "--json", "--limit", "2"])
        let decoded = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        #expect(decoded?.map { $0["sku"] as? String } == (try F.skus(store, .mostViewed, limit: 2)))
        #expect(decoded?.first?["why"] as? String == (try F.recommend(store, .mostViewed, limit: 1))[0].reason.description)
        let missing = try run(CLITests.executable, ["--database", store.path, "recommend", "--type", "bought-bought"])
        #expect(missing.status != 0 && missing.stderr.contains("recommendation type bought-bought needs a product or a cart"))
        let badTime = try run(CLITests.executable, ["--database", store.path, "recommend", "--type", "trending", "--as-of", "yesterday"])
        #expect(badTime.status != 0 && badTime.stderr.contains("--as-of yesterday"))
        let rebuild = try run(CLITests.executable, ["--database", store.path, "aggregates", "rebuild"])
        #expect(rebuild.status == 0 && rebuild.stdout.contains("pair_lists"))
        let configure = try run(CLITests.executable, ["--database", store.path, "aggregates", "configure", "--popularity-days", "2"])
        #expect(configure.status == 0 && configure.stdout.contains("popularity 2 days"))
        #expect(try store.read { db in try Aggregates(db).settings().popularityDays } == 2)
    }
}
