import Foundation
import Testing
@testable import Crosslink

/// Recommended for you from the neighbour lists (migration 0009, ``ItemNeighbours``): the same
/// answers as the per-request similarity while fresh, served within the lag bound only, the
/// visitor's history always live, and the SQL form the same as the Swift sums.
@Suite struct ItemNeighbourTests {
    typealias F = RecommendationFixtures

    /// `log` with event ids prefixed: a second HandLog numbers its events from e1 again, which
    /// ingest would ignore as duplicates.
    func renamed(_ log: HandLog, _ prefix: String) -> HandLog {
        var renamed = log
        for i in renamed.events.indices { renamed.events[i].id = prefix + "-" + renamed.events[i].id }
        return renamed
    }

    /// The answer through the SQL form of the plan (what `--sql` prints and the C baseline runs).
    func sqlForm(_ store: CrosslinkStore, visitor: String, limit: Int = 10, filter: CandidateFilter? = nil) throws -> [Recommendation] {
        try store.read { db in
            var query = try Recommender(db).plan(.recommendedForYou, context: .visitor(visitor), limit: limit, filter: filter)
            #expect(query.neighbours != nil, "the lists are not served")
            query.neighbours = nil
            return try Recommender(db).run(query)
        }
    }

    func expectSame(_ a: [Recommendation], _ b: [Recommendation], _ comment: Comment) {
        #expect(a.map(\.sku) == b.map(\.sku), comment)
        #expect(a.map(\.reason) == b.map(\.reason), comment)
        for (x, y) in zip(a, b) { #expect(abs(x.score - y.score) <= 1e-7 * max(1, abs(y.score)), comment) }
    }

    /// The same ranking up to the lists' 9 significant digits: position by position equal
    /// scores, and the same products except among those tied (within that precision) with the
    /// last one, which the cut may pick differently.
    func expectEquivalent(_ a: [Recommendation], _ b: [Recommendation], _ comment: Comment) {
        #expect(a.count == b.count, comment)
        func close(_ x: Double, _ y: Double) -> Bool { abs(x - y) <= 1e-7 * max(1, abs(y)) }
        for (x, y) in zip(a, b) { #expect(close(x.score, y.score), comment) }
        guard let last = b.last?.score else { return }
        let clear = { (list: [Recommendation]) in Set(list.filter { !close($0.score, last) }.map(\.sku)) }
        #expect(clear(a) == clear(b), comment)
    }

    @Test func theListsGiveThePerRequestAnswer() throws {
        let dir = try TemporaryDirectory()
        let store = try F.forYouStore(dir)
        #expect(try store.read { db in try ItemNeighbours(db).status() }.servable == false)
        let perRequest = try F.recommend(store, .recommendedForYou, .visitor("V"))
        #expect(perRequest.map(\.sku) == ["R", "T", "Q", "P"])

        let report = try store.write { db in try ItemNeighbours(db).refresh() }
        // P, Q, R, S and T each have partners: five lists; every supported pair in one direction.
        #expect(report.products == 5)
        #expect(report.neighbours == (try store.read { db in try db.scalarInt("SELECT count(*) FROM pair_windows WHERE together >= 2") }))
        let status = try store.read { db in try ItemNeighbours(db).status() }
        #expect(status.servable && status.lagHours == 0 && status.products == 5)

        let fromLists = try F.recommend(store, .recommendedForYou, .visitor("V"))
        expectSame(fromLists, perRequest, "lists vs per request")
        expectSame(try sqlForm(store, visitor: "V"), fromLists, "SQL form vs Swift")
        #expect(fromLists[0].reason.description == "because you bought S (bought together in 2 orders)")
        // The context product and the limit, as before.
        #expect(try F.skus(store, .recommendedForYou, .product("P", visitor: "V")) == ["R", "T", "Q"])
        #expect(try F.skus(store, .recommendedForYou, .visitor("V"), limit: 2) == ["R", "T"])
        #expect(try F.skus(store, .recommendedForYou, .visitor("nobody")).isEmpty)
    }

    @Test func theHistoryIsLiveAndTheListsAreServedWithinTheLagOnly() throws {
        let dir = try TemporaryDirectory()
        let store = try F.forYouStore(dir)
        try store.write { db in _ = try ItemNeighbours(db).refresh(maxLagHours: 24) }
        // An hour later V views Q: Q joins the history at once although the lists are an hour
        // old (the pair P–Q gains a viewing session, below the minimum support of 2).
        var log = HandLog()
        log.view("Q", session: "v-visit", visitor: "V", at: 40 * 24 + 1)
        try F.ingest(renamed(log, "late"), into: store)
        let status = try store.read { db in try ItemNeighbours(db).status() }
        #expect(status.servable && abs((status.lagHours ?? 0) - 1) < 1e-9)
        // Weights (half-life 30 days, now = day 40 + 1 h): Q 1, P 0.5^(1/720), S 3 · 0.5^(721/720).
        //   P = wS · 2/7 + 1 · 3/√28 (from Q: Q's only partner is P), R = (wP + wS) · 2/√28,
        //   T = wS · 2/√14, Q = wP · 3/√28.
        let (wP, wS) = (pow(0.5, 1.0 / 720), 3 * pow(0.5, 721.0 / 720))
        let expected = [("P", wS * 2 / 7 + 3 / 28.0.squareRoot()), ("R", (wP + wS) * 2 / 28.0.squareRoot()),
                        ("T", wS * 2 / 14.0.squareRoot()), ("Q", wP * 3 / 28.0.squareRoot())]
        let withQ = try F.recommend(store, .recommendedForYou, .visitor("V"))
        #expect(withQ.map(\.sku) == expected.map(\.0))
        for (r, (_, score)) in zip(withQ, expected) { #expect(abs(r.score - score) < 1e-7) }
        #expect(withQ[0].reason.description == "because you viewed Q (bought together in 3 orders)")
        expectSame(withQ, try sqlForm(store, visitor: "V"), "SQL form vs Swift after the view")

        // 25 hours of events after the refresh the lists are no longer served: the per-request
        // similarity answers, and a refresh serves the lists again with the same answer.
        var later = HandLog()
        later.view("T", session: "other", visitor: "W", at: 40 * 24 + 25)
        try F.ingest(renamed(later, "later"), into: store)
        #expect(try store.read { db in try ItemNeighbours(db).status() }.servable == false)
        #expect(try store.read { db in try Recommender(db).plan(.recommendedForYou, context: .visitor("V")) }.neighbours == nil)
        let perRequest = try F.recommend(store, .recommendedForYou, .visitor("V"))
        try store.write { db in _ = try ItemNeighbours(db).refresh() }
        expectSame(try F.recommend(store, .recommendedForYou, .visitor("V")), perRequest, "refreshed lists vs per request")
    }

    @Test func aSettingsChangeRefreshesTheLists() throws {
        let dir = try TemporaryDirectory()
        let store = try F.forYouStore(dir)
        try store.write { db in _ = try ItemNeighbours(db).refresh() }
        // Minimum support 3: only {P,Q} (3 orders) remains a pair; the lists follow at once.
        try store.write { db in
            var settings = try Aggregates(db).settings()
            settings.minimumSupport = 3
            try Aggregates(db).configure(settings)
        }
        var status = try store.read { db in try ItemNeighbours(db).status() }
        #expect(status.servable && status.products == 2)
        #expect(try F.skus(store, .recommendedForYou, .visitor("V")) == ["Q"])
        // A rebuild recomputes lists that exist.
        try store.write { db in try db.execute("DELETE FROM item_neighbours") }
        try store.write { db in try Aggregates(db).rebuild() }
        status = try store.read { db in try ItemNeighbours(db).status() }
        #expect(status.servable && status.products == 2)
        #expect(try F.skus(store, .recommendedForYou, .visitor("V")) == ["Q"])
    }

    @Test func hiddenAndFilteredCandidatesAreSkippedWithoutShorteningTheList() throws {
        let dir = try TemporaryDirectory()
        // V views H0 in one session with 12 other products (support 2 from two sessions each);
        // the products' view counts make the similarity decrease with the index.
        let skus = ["H0"] + (1...12).map { "N\($0)" }
        let store = try F.store(dir, skus: skus)
        var log = HandLog()
        var hour = 1.0
        for i in 1...12 {
            for s in 0..<2 {
                log.view("H0", session: "pair-\(i)-\(s)", at: hour)
                log.view("N\(i)", session: "pair-\(i)-\(s)", at: hour + 0.1)
                hour += 1
            }
            for s in 0..<i { log.view("N\(i)", session: "solo-\(i)-\(s)", at: hour); hour += 1 }
        }
        log.view("H0", session: "v", visitor: "V", at: hour)
        try F.ingest(log, into: store)
        try store.write { db in _ = try ItemNeighbours(db).refresh() }
        #expect(try F.skus(store, .recommendedForYou, .visitor("V"), limit: 3) == ["N1", "N2", "N3"])
        // Disable the 9 best: the first chunk (limit + 2) finds none, the next ones do.
        try store.write { db in
            for i in 1...9 { try db.execute("UPDATE products SET enabled = 0 WHERE sku = ?", ["N\(i)"]) }
        }
        #expect(try F.skus(store, .recommendedForYou, .visitor("V"), limit: 3) == ["N10", "N11", "N12"])
        // A unit's filter applies inside the candidates' check; the SQL form agrees.
        let filter = CandidateFilter(predicate: "cf_p.sku <> \("N11")")
        let filtered = try store.read { db in
            try Recommender(db).recommend(.recommendedForYou, context: .visitor("V"), limit: 3, filter: filter)
        }
        #expect(filtered.map(\.sku) == ["N10", "N12"])
        expectSame(try sqlForm(store, visitor: "V", limit: 3, filter: filter), filtered, "SQL form with a filter")
    }

    @Test func theListsGiveThePerRequestAnswerOnTheOnlineRetailLog() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        let data = try Gzip.decompress(Data(contentsOf: Fixtures.onlineRetailLog), file: "online-retail")
        // The header and every line before 2010-12-08 (the log is in date order).
        let lines = String(decoding: data.prefix(3_000_000), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let cut = lines.firstIndex { $0.contains(",2010-12-08 ") }!
        var options = OnlineRetailImporter.Options()
        options.createCatalog = true
        _ = try OnlineRetailImporter(store: store, options: options)
            .importData(Data((lines[..<cut].joined(separator: "\n") + "\n").utf8), file: "online-retail-prefix.csv")
        let visitors = try store.read { db in
            try db.prepare("SELECT DISTINCT visitor_id FROM visitor_products ORDER BY visitor_id LIMIT 60").map { $0.text(at: 0) }
        }
        #expect(visitors.count == 60)
        let perRequest = try visitors.map { try F.recommend(store, .recommendedForYou, .visitor($0)) }
        #expect(perRequest.filter { !$0.isEmpty }.count > 40)
        // The default list length keeps every partner here (up to ≈ 700 per product): exact.
        try store.write { db in _ = try ItemNeighbours(db).refresh() }
        #expect(try store.read { db in try db.scalarInt("SELECT max(json_array_length(neighbours)) FROM item_neighbours") ?? 0 } > 500)
        for (visitor, expected) in zip(visitors, perRequest) {
            let fromLists = try F.recommend(store, .recommendedForYou, .visitor(visitor))
            expectEquivalent(fromLists, expected, "visitor \(visitor)")
            expectEquivalent(try sqlForm(store, visitor: visitor), fromLists, "SQL form, visitor \(visitor)")
        }
    }

    @Test func theListsReadWellInTheSQLiteCLI() throws {
        let dir = try TemporaryDirectory()
        let store = try F.forYouStore(dir)
        try store.write { db in _ = try ItemNeighbours(db).refresh() }
        // P's neighbours: Q (3 orders; orders P 7, Q 4 → 3/√28), R 2/√28, S 2/√49.
        let rows = try sqlite3Rows(store.path, """
            SELECT rank, neighbour_sku, round(similarity, 4), strongest_kind, together FROM item_neighbour_list
            WHERE store = 'default' AND sku = 'P' ORDER BY rank;
            """)
        #expect(rows == [["1", "Q", "0.5669", "bought-bought", "3"], ["2", "R", "0.378", "bought-bought", "2"],
                         ["3", "S", "0.2857", "bought-bought", "2"]])
        // `recommend --sql` prints the lists' SQL form; the sqlite3 CLI runs it to the same answer.
        let printed = try run(CLITests.executable, ["--database", store.path, "recommend", "--type", "recommended-for-you", "--visitor", "V", "--sql"])
        #expect(printed.status == 0 && printed.stdout.contains("item_neighbours"), "\(printed.stderr)")
        let script = dir.url.appending(path: "for-you.sql")
        try Data(printed.stdout.utf8).write(to: script)
        let result = try run("/usr/bin/sqlite3", ["-bail", "-batch", "-ascii", store.path], stdin: script)
        #expect(result.status == 0 && result.stderr.isEmpty, "\(result.stderr)")
        let skus = result.stdout.split(separator: "\u{1E}").map { String($0.split(separator: "\u{1F}", omittingEmptySubsequences: false)[1]) }
        #expect(skus == ["R", "T", "Q", "P"])
    }

    @Test func aDamagedListIsReportedWithItsRow() throws {
        let dir = try TemporaryDirectory()
        let store = try F.forYouStore(dir)
        try store.write { db in _ = try ItemNeighbours(db).refresh() }
        // Served once (the process now holds the parsed lists), then edited by hand: the edit
        // replaces the lists' version, so the damaged text is read, not the parsed copy.
        #expect(try F.skus(store, .recommendedForYou, .visitor("V")) == ["R", "T", "Q", "P"])
        try store.write { db in
            try db.execute("UPDATE item_neighbours SET neighbours = '[[2,0.5,0.5,3,2],[oops]]' WHERE product_id = (SELECT product_id FROM products WHERE sku = 'P')")
        }
        #expect {
            try F.recommend(store, .recommendedForYou, .visitor("V"))
        } throws: { error in
            guard case StoreError.malformedNeighbourList(_, let product, let offset) = error else { return false }
            return offset == 18 && product > 0 && "\(error)".contains("crosslink aggregates neighbours --refresh")
        }
        #expect(throws: RequestError(.invalidLimit, "invalid neighbour list length 0: must be 1 to 100000")) { try store.write { db in try ItemNeighbours(db).refresh(listLength: 0) } }
        #expect(throws: RequestError(.invalidOption, "invalid maximum lag -1.0 hours: must be 0 or more")) { try store.write { db in try ItemNeighbours(db).refresh(maxLagHours: -1) } }
        // The refused refreshes kept the damaged lists as they were (nothing half-written).
        #expect(try store.read { db in try db.scalarText("SELECT neighbours FROM item_neighbours WHERE product_id = (SELECT product_id FROM products WHERE sku = 'P')") }
                == "[[2,0.5,0.5,3,2],[oops]]")

        // A state row deleted by hand: status says so, recommended for you computes per request,
        // and a refresh brings the row back.
        try store.write { db in try db.execute("DELETE FROM item_neighbour_state") }
        #expect(throws: StoreError.missingNeighbourState) { try store.read { db in try ItemNeighbours(db).status() } }
        #expect(try F.skus(store, .recommendedForYou, .visitor("V")) == ["R", "T", "Q", "P"])
        try store.write { db in _ = try ItemNeighbours(db).refresh() }
        #expect(try store.read { db in try ItemNeighbours(db).status() }.servable)
        #expect(try F.skus(store, .recommendedForYou, .visitor("V")) == ["R", "T", "Q", "P"])
    }

    @Test func theParsedListsStayWithinTheirCapacity() throws {
        let dir = try TemporaryDirectory()
        let store = try F.forYouStore(dir)
        try store.write { db in _ = try ItemNeighbours(db).refresh() }
        let (keys, version) = try store.read { db in
            (try db.prepare("SELECT list_key FROM item_neighbours ORDER BY list_key").map { $0.int(at: 0) },
             try ItemNeighbours.servedVersion(db)!)
        }
        let expected = try store.read { db in try NeighbourListCache(capacity: 1_000).lists(keys, database: db, version: version) }
        #expect(expected.count == 5 && expected.values.allSatisfy { !$0.isEmpty })
        // Three entries at most: each call starts over, and still answers in full.
        let small = NeighbourListCache(capacity: 3)
        for _ in 0..<2 {
            let lists = try store.read { db in try small.lists(keys, database: db, version: version) }
            #expect(lists.mapValues { $0.map(\.other) } == expected.mapValues { $0.map(\.other) })
        }
    }

    @Test func theListReaderReadsNumbersExactly() throws {
        func entries(_ text: String) -> ([[Double]], Int?) {
            var found: [[Double]] = []
            let bytes = Array(text.utf8)
            let error = bytes.withUnsafeBufferPointer { buffer in
                NeighbourList.parse(buffer) { found.append([Double($0), $1, $2, Double($3), Double($4)]) }
            }
            return (found, error)
        }
        let (parsed, error) = entries("[[17,0.457813288,1.5e-05,1,6], [3, 12, 2.5E+2, 3, 1],[4,-0.1,0.12345678901234567890,2,0]]")
        #expect(error == nil)
        #expect(parsed == [[17, 0.457813288, 1.5e-05, 1, 6], [3, 12, 250, 3, 1], [4, -0.1, 0.12345678901234567890, 2, 0]])
        #expect(entries("[]").1 == nil && entries("[]").0.isEmpty)
        #expect(entries("").1 == 0)
        #expect(entries("[[1,2,3,4]]").1 == 9)
        #expect(entries("[[1,2,3,4,5]] x").1 == 13)
        #expect(entries("[[1,.,3,4,5]]").1 == 5)
    }
}
