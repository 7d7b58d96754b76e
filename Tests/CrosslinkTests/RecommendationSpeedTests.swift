import Foundation
import Testing
@testable import Crosslink

/// The materialised "more like this" lists (`SimilarProducts`, migration 0007): they give the
/// live query's answers, are never served stale, and a refresh after changes equals a rebuild.
@Suite struct RecommendationSpeedTests {
    typealias F = RecommendationFixtures

    /// The bag catalog of `moreLikeThisUsesTheCatalogOnly`, plus "M6", a search-only product
    /// (visibility 3: never displayable) that shares everything with M1.
    static func bagStore(_ dir: TemporaryDirectory) throws -> CrosslinkStore {
        try F.bagStore(dir, hiddenTwin: true)
    }

    static func rows(_ store: CrosslinkStore) throws -> [String] {
        try store.read { db in
            try db.prepare("""
                SELECT p.sku, s.rank, o.sku, printf('%.9f', s.score), s.shared FROM similar_products AS s
                JOIN products AS p ON p.product_id = s.product_id JOIN products AS o ON o.product_id = s.other_id
                ORDER BY p.sku, s.rank
                """).map { "\($0.text(at: 0)) \($0.int(at: 1)) \($0.text(at: 2)) \($0.text(at: 3)) \($0.int(at: 4))" }
        }
    }

    static func fresh(_ store: CrosslinkStore) throws -> Bool { try store.read { db in try SimilarProducts(db).status().fresh } }

    /// N = 6 (highest id); idf = ln(1 + 6/df). Gear (df 6), Gear/Bags (4), Nylon (3), "duffle" and
    /// "bag" (3 each: M1, M4, M6), "joust" (2: M1, M6). M1's list (M6 is not visible: never listed):
    ///   M4 = Gear + duffle + bag = ln 2 + 2 ln 3; M2 = Gear + Bags + Nylon = ln 2 + ln 2.5 + ln 3;
    ///   M3 = Gear + Bags = ln 2 + ln 2.5; M5 = Gear = ln 2.
    @Test func listsHoldTheHandComputedScoresInRankOrder() throws {
        let dir = try TemporaryDirectory()
        let store = try Self.bagStore(dir)
        #expect(try !Self.fresh(store))
        let report = try store.write { db in try SimilarProducts(db).refresh() }
        #expect(report.rebuilt && report.products == 6)
        #expect(try Self.fresh(store))
        let list = try store.read { db in
            try db.prepare("""
                SELECT o.sku, s.score, s.shared FROM similar_products AS s JOIN products AS o ON o.product_id = s.other_id
                WHERE s.product_id = (SELECT product_id FROM products WHERE sku = 'M1') ORDER BY s.rank
                """).map { ($0.text(at: 0), $0.double(at: 1), $0.int(at: 2)) }
        }
        #expect(list.map(\.0) == ["M4", "M2", "M3", "M5"])
        let expected = [log(2) + 2 * log(3), log(2) + log(2.5) + log(3), log(2) + log(2.5), log(2)]
        for (row, score) in zip(list, expected) { #expect(abs(row.1 - score) < 1e-12, "\(row.0)") }
        #expect(list.map(\.2) == [3, 3, 2, 1])
        // Only visible products are listed; M1's list holds all its 4 candidates.
        #expect(try store.read { db in try db.scalarInt("SELECT count(*) FROM similar_products WHERE other_id = 6") } == 0)
        #expect(try store.read { db in try db.scalarText("SELECT candidates || '/' || truncated FROM similar_lists WHERE product_id = 1") } == "4/0")

        // The recommendation reads the list: same products, scores and reasons as the live query.
        let served = try F.recommend(store, .moreLikeThis, .product("M1"))
        #expect(served.map(\.sku) == ["M4", "M2", "M3", "M5"])
        #expect(served[0].reason.description == "shares category Gear, name words bag, duffle")
        #expect(served[1].reason.description == "shares categories Gear, Gear/Bags, material Nylon")
        // It is the list that answers: a doctored score shows.
        try store.write { db in try db.execute("UPDATE similar_products SET score = 100 WHERE product_id = 1 AND rank = 4") }
        #expect(try F.recommend(store, .moreLikeThis, .product("M1")).map(\.score).first == 100)
        // The reasons come from the lists' masks (M1's features: 0 Gear, 1 Gear/Bags, 2 material
        // Nylon, 3 bag, 4 duffle, 5 joust): M4 shares Gear, bag, duffle = bits 0, 3, 4 (25); 36 = bits 2 and 5.
        #expect(try store.read { db in try db.scalarInt("SELECT shared_mask FROM similar_products WHERE product_id = 1 AND rank = 1") } == 0b11001)
        try store.write { db in try db.execute("UPDATE similar_products SET shared_mask = 36 WHERE product_id = 1 AND other_id = 4") }
        #expect(try F.recommend(store, .moreLikeThis, .product("M1")).first { $0.sku == "M4" }?.reason.description
                == "shares material Nylon, name word joust")
    }

    /// A product with more features than a mask names (63) has no masks: its reasons are looked
    /// up, and equal the live query's.
    @Test func moreFeaturesThanAMaskHoldsAreLookedUp() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        let words = (1...70).map { "w\($0)" }
        try store.write { db in
            for (sku, name) in [("L1", words.joined(separator: " ")), ("L2", words.prefix(65).joined(separator: " ")), ("L3", "w1 w2 other")] {
                try StoreRepository(db).assign(productID: try ProductRepository(db).upsert(Product(sku: sku, name: name, price: 10)), websiteIDs: [1])
            }
        }
        let live = try F.recommend(store, .moreLikeThis, .product("L1"))
        _ = try store.write { db in try SimilarProducts(db).refresh() }
        #expect(try store.read { db in try db.scalarInt("SELECT count(*) FROM similar_products WHERE product_id = 1 AND shared_mask IS NULL") } == 2)
        #expect(try store.read { db in try db.scalarInt("SELECT count(*) FROM similar_products WHERE product_id = 3 AND shared_mask IS NOT NULL") } == 2)
        let served = try F.recommend(store, .moreLikeThis, .product("L1"))
        #expect(served.map(\.sku) == ["L2", "L3"] && served == live)
        #expect(served[1].reason.description == "shares name words w1, w2")
        #expect(try F.recommend(store, .moreLikeThis, .product("L3")).map(\.reason.description) == ["shares name words w1, w2", "shares name words w1, w2"])
    }

    /// A catalog change marks the lists stale at once (the next answer is the live one), a
    /// price change does not; a refresh then equals a full rebuild.
    @Test func aCatalogChangeIsReflectedInTheNextAnswer() throws {
        let dir = try TemporaryDirectory()
        let store = try Self.bagStore(dir)
        _ = try store.write { db in try SimilarProducts(db).refresh() }
        try store.write { db in _ = try ProductRepository(db).upsert(Product(sku: "M5", name: "Yoga Mat", price: 99)) }
        #expect(try Self.fresh(store))

        // M3 gains Nylon: N = 6, Nylon df 4 → ln 2.5. M3 = Gear + Bags + Nylon = ln 2 + 2 ln 2.5 = 2.5257,
        // M2 = ln 2 + 2 ln 2.5 as well (tie: by SKU), M4 = ln 2 + 2 ln 3 = 2.8904.
        try store.write { db in try AttributeRepository(db).set(productID: try ProductRepository(db).requireID(sku: "M3"), code: "material", values: ["Nylon"]) }
        #expect(try !Self.fresh(store))
        let live = try F.recommend(store, .moreLikeThis, .product("M1"))
        #expect(live.map(\.sku) == ["M4", "M2", "M3", "M5"])
        #expect(abs(live[1].score - (log(2) + 2 * log(2.5))) < 1e-12)
        #expect(abs(live[2].score - live[1].score) < 1e-12)

        // Renaming M2 "Duffle Shoulder Pack" adds the word duffle (df 4 → ln 2.5) to M2.
        try store.write { db in _ = try ProductRepository(db).upsert(Product(sku: "M2", name: "Duffle Shoulder Pack", price: 10)) }
        let renamed = try F.recommend(store, .moreLikeThis, .product("M1"))
        #expect(renamed.map(\.sku) == ["M2", "M4", "M3", "M5"])
        #expect(abs(renamed[0].score - (log(2) + 3 * log(2.5))) < 1e-12)

        _ = try store.write { db in try SimilarProducts(db).refresh() }
        #expect(try F.recommend(store, .moreLikeThis, .product("M1")).map(\.sku) == renamed.map(\.sku))
        let incremental = try Self.rows(store)
        _ = try store.write { db in try SimilarProducts(db).refresh(force: true) }
        #expect(try Self.rows(store) == incremental)

        // A product deleted or added marks them stale too.
        try store.write { db in _ = try ProductRepository(db).delete(sku: "M5") }
        #expect(try !Self.fresh(store))
        #expect(try F.recommend(store, .moreLikeThis, .product("M1")).map(\.sku) == ["M2", "M4", "M3"])
    }

    /// A list too short for the request (exclusions, hidden products, a larger limit) and a cart
    /// fall back to the live query; the answers are those of the live query.
    @Test func aListThatCannotFillTheRequestFallsBackToTheLiveQuery() throws {
        let dir = try TemporaryDirectory()
        let store = try Self.bagStore(dir)
        let liveAnswers = try [1, 2, 4].map { try F.recommend(store, .moreLikeThis, .product("M1"), limit: $0) }
        let liveCart = try F.recommend(store, .moreLikeThis, .cart(["M1", "M5"]))
        _ = try store.write { db in try SimilarProducts(db).refresh(listLength: 2) }
        #expect(try store.read { db in try db.scalarText("SELECT candidates || '/' || truncated FROM similar_lists WHERE product_id = 1") } == "4/1")
        for (limit, live) in zip([1, 2, 4], liveAnswers) {
            let served = try F.recommend(store, .moreLikeThis, .product("M1"), limit: limit)
            #expect(served.map(\.sku) == live.map(\.sku), "limit \(limit)")
            #expect(zip(served, live).allSatisfy { abs($0.score - $1.score) < 1e-12 && $0.reason == $1.reason })
        }
        // M4 out of stock: the list [M4, M2] holds one displayable product; limit 2 needs the live query.
        try store.write { db in _ = try ProductRepository(db).upsert(Product(sku: "M4", name: "Duffle Sport Bag", price: 10, inStock: false)) }
        #expect(try Self.fresh(store))
        #expect(try F.skus(store, .moreLikeThis, .product("M1"), limit: 2) == ["M2", "M3"])
        #expect(try F.recommend(store, .moreLikeThis, .cart(["M1", "M5"])).map(\.sku) == liveCart.map(\.sku).filter { $0 != "M4" })
        #expect(throws: RequestError(.invalidLimit, "invalid list length 0: must be 1 to 1000")) { try store.write { db in try SimilarProducts(db).refresh(listLength: 0) } }
    }

    /// On the Magento sample: for every 25th product and limits 5 and 20, the materialised
    /// answer equals the live query's (same SKUs and reasons, scores up to rounding).
    @Test func materialisedAnswersEqualTheLiveQueryOnTheMagentoSample() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        _ = try MagentoSampleImporter(store: store).importSample()
        let skus = try store.read { db in try db.prepare("SELECT sku FROM products ORDER BY product_id").map { $0.text(at: 0) } }
            .enumerated().filter { $0.offset % 25 == 0 }.map(\.element)
        func answers() throws -> [[Recommendation]] {
            try skus.flatMap { sku in try [5, 20].map { try F.recommend(store, .moreLikeThis, .product(sku), limit: $0) } }
        }
        let live = try answers()
        _ = try store.write { db in try SimilarProducts(db).refresh() }
        let served = try answers()
        #expect(served.map { $0.map(\.sku) } == live.map { $0.map(\.sku) })
        #expect(zip(served.joined(), live.joined()).allSatisfy { abs($0.score - $1.score) < 1e-9 && $0.reason == $1.reason })
        #expect(live.joined().count > 500)
    }

    /// `crosslink similar status|refresh`, and the `similar_product_list` view in the sqlite3 CLI.
    @Test func similarCommandsAndView() throws {
        let dir = try TemporaryDirectory()
        let store = try Self.bagStore(dir)
        let stale = try run(CLITests.executable, ["--database", store.path, "similar", "status"])
        #expect(stale.status == 0 && stale.stdout.hasPrefix("stale"))
        let refresh = try run(CLITests.executable, ["--database", store.path, "similar", "refresh", "--json"])
        #expect(refresh.status == 0)
        let report = try JSONSerialization.jsonObject(with: Data(refresh.stdout.utf8)) as? [String: Any]
        #expect(report?["rebuilt"] as? Bool == true && report?["products"] as? Int == 6)
        #expect(try run(CLITests.executable, ["--database", store.path, "similar", "refresh"]).stdout == "similar products: lists up to date\n")
        let bad = try run(CLITests.executable, ["--database", store.path, "similar", "refresh", "--list-length", "0"])
        #expect(bad.status != 0 && bad.stderr.contains("invalid list length 0: must be 1 to 1000"))
        #expect(try sqlite3Rows(store.path, "SELECT rank, similar_sku, shared, stale FROM similar_product_list WHERE sku = 'M1' ORDER BY rank")
            == [["1", "M4", "3", "0"], ["2", "M2", "3", "0"], ["3", "M3", "2", "0"], ["4", "M5", "1", "0"]])
    }

    // MARK: Conversion top lists

    /// 250 products, 3,000 seeded sessions viewing 1–3 of them, some adding to cart or buying
    /// after the view (or before it: no conversion), ingested in batches of 400.
    static func conversionStore(_ dir: TemporaryDirectory) throws -> CrosslinkStore {
        let skus = (0..<250).map { String(format: "P%03d", $0) }
        let store = try F.store(dir, skus: skus)
        var log = HandLog()
        var random = SplitMix64(seed: 11)
        func pick(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
        for s in 0..<3_000 {
            let hour = Double(s) / 30
            for v in 0..<(1 + pick(3)) {
                let sku = skus[min(pick(250), pick(250))]
                log.view(sku, session: "s\(s)", at: hour + Double(v) / 100)
                switch pick(10) {
                case 0, 1: log.cart(sku, session: "s\(s)", at: hour + 0.05 + Double(v) / 100)
                case 2: log.order([sku], session: "s\(s)", at: hour + 0.06 + Double(v) / 100)
                case 3: log.order([sku], session: "s\(s)", at: hour - 0.01)
                default: break
                }
            }
        }
        try F.ingest(log, into: store, batchSize: 400)
        return store
    }

    static func conversionAnswers(_ store: CrosslinkStore) throws -> [[String]] {
        try [RecommendationType.viewToCart, .viewToPurchase].flatMap { type in
            try [(RecommendationContext.none, 5), (.none, 100), (.product("P000"), 5), (.cart(["P001", "P002"]), 100)].map { context, limit in
                try F.recommend(store, type, context, limit: limit).map { "\($0.sku) \($0.score) \($0.reason)" }
            }
        }
    }

    /// Ingest keeps the lists computed from the current totals; answers read from them equal the
    /// window scan's (the state removed), scores bit for bit, also with exclusions and limit 100.
    @Test func conversionListsGiveTheWindowScansAnswers() throws {
        let dir = try TemporaryDirectory()
        let store = try Self.conversionStore(dir)
        let (lists, fresh) = try store.read { db in
            (try db.scalarInt("SELECT count(*) FROM conversion_ranks") ?? 0,
             try db.scalarInt("""
                SELECT count(*) FROM conversion_rank_state AS s JOIN store_windows AS t ON t.store_id = s.store_id AND t.window_id = 1
                WHERE s.viewers = t.viewers AND s.converted = CASE s.metric WHEN 1 THEN t.viewed_then_carted ELSE t.viewed_then_bought END
                """) ?? 0)
        }
        #expect(fresh == 2)
        #expect(lists > 200)  // one list is cut at 200: limit 100 with exclusions falls back to the scan
        let served = try Self.conversionAnswers(store)
        try store.write { db in try db.execute("DELETE FROM conversion_rank_state") }
        let scanned = try Self.conversionAnswers(store)
        #expect(served == scanned)
        #expect(served.allSatisfy { !$0.isEmpty })

        // A new prior changes only the ranking: configure recomputes the lists with it.
        var settings = RecommendationSettings()
        settings.conversionPriorViews = 3
        try store.write { db in try Aggregates(db).configure(settings) }
        let reprior = try Self.conversionAnswers(store)
        #expect(reprior != served)
        try store.write { db in try db.execute("DELETE FROM conversion_rank_state") }
        #expect(try Self.conversionAnswers(store) == reprior)

        // A rebuild recomputes them too; then the answers come from the list (a doctored score shows).
        try store.write { db in try Aggregates(db).rebuild() }
        #expect(try Self.conversionAnswers(store) == reprior)
        try store.write { db in try db.execute("UPDATE conversion_ranks SET score = 7 WHERE metric = 2 AND rank = 1") }
        #expect(try F.recommend(store, .viewToPurchase, limit: 1).first?.score == 7)
    }
}

