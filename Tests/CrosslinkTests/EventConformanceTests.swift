import Foundation
import Testing
@testable import Crosslink

/// Events and aggregates on PostgreSQL: the same events ingested into a SQLite and a PostgreSQL
/// store give the same event log and the same aggregate tables, and on PostgreSQL too the
/// incremental path leaves what a rebuild leaves.
@Suite(.requiresPostgreSQL) struct EventConformanceTests {
    typealias Pair = EngineConformanceTests.Pair

    /// Every aggregate table as sorted rows of text, comparable across engines: a pair list as its
    /// entries (jsonb writes its text with spaces), a float rounded to 12 significant digits
    /// (1e-9 relative and better).
    static func dump(_ store: CrosslinkStore) throws -> [String: [String]] {
        try store.read { db in
            var tables: [String: [String]] = [:]
            for table in AggregateStatus.tables + ["aggregate_state"] {
                let statement = try db.prepare("SELECT * FROM \(table)")
                var rows: [String] = []
                while try statement.step() {
                    var values: [String] = []
                    for index in 0..<statement.columnCount {
                        let name = statement.columnName(at: index)
                        let value = statement.value(at: index)
                        switch value {
                        case .real(let number): values.append(String(format: "%.12g", number))
                        case .text(let text) where name == "pairs":
                            values.append(Self.entries(text).map { "\($0.other):\($0.count)" }.joined(separator: ","))
                        default: values.append(value.description)
                        }
                    }
                    rows.append(values.joined(separator: "|"))
                }
                tables[table] = rows.sorted()
            }
            return tables
        }
    }

    /// The entries of a pair list in either engine's text, ascending by partner.
    static func entries(_ text: String) -> [(other: Int, count: Int)] {
        let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Int] ?? [:]
        return object.map { (Int($0.key) ?? -1, $0.value) }.sorted { $0.other < $1.other }
    }

    static func expectSameAggregates(_ stores: Pair, _ comment: String) throws {
        let dumps = try stores.both.map(dump)
        for table in dumps[0].keys.sorted() {
            #expect(dumps[0][table] == dumps[1][table], "\(table) differs between the engines (\(comment))")
            if dumps[0][table] != dumps[1][table] {
                let a = Set(dumps[0][table] ?? []), b = Set(dumps[1][table] ?? [])
                print("\(table): SQLite only \(a.subtracting(b).sorted().prefix(5)), PostgreSQL only \(b.subtracting(a).sorted().prefix(5))")
            }
        }
    }

    static func expectRebuildEqualsIncremental(_ store: CrosslinkStore) throws {
        let incremental = try dump(store)
        try store.write { db in try Aggregates(db).rebuild() }
        let rebuilt = try dump(store)
        for table in incremental.keys.sorted() {
            #expect(incremental[table] == rebuilt[table], "\(table): incremental differs from a rebuild on \(store.engine)")
        }
    }

    /// The first `lines` lines of the Online Retail log (header included).
    static func onlineRetailSlice(lines count: Int) throws -> Data {
        let data = try Gzip.decompress(Data(contentsOf: Fixtures.onlineRetailLog), file: "online-retail")
        let lines = String(decoding: data.prefix(count * 200), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        return Data((lines.prefix(count).joined(separator: "\n") + "\n").utf8)
    }

    static func shortWindows(_ store: CrosslinkStore) throws {
        try AggregateRebuildTests.shortWindows(store, maxBasketProducts: 12)
    }

    /// A catalog like ``RecommendationFixtures/store(_:skus:)``'s with a second store view, built
    /// through the repositories (so on either engine). There are no rules: the rule cache is
    /// cleared (``RuleCache/clear()``), so no write of this suite refreshes it.
    static func catalog(_ store: CrosslinkStore) throws {
        try store.pool.write { db in
            try RuleCache(db).clear()
            let products = ProductRepository(db)
            let stores = StoreRepository(db)
            for sku in ["A", "B", "C", "D", "E", "X", "P", "Q"] {
                try stores.assign(productID: try products.upsert(Product(sku: sku, name: "Product \(sku)", price: 10)), websiteIDs: [1])
            }
            for product in [
                Product(sku: "HIDDEN", name: "Hidden product", visibility: .search, price: 10),
                Product(sku: "CFG", name: "Configurable product", type: .configurable),
                Product(sku: "CFG-S", name: "Configurable product S", visibility: .notVisibleIndividually, price: 10),
            ] {
                try stores.assign(productID: try products.upsert(product), websiteIDs: [1])
            }
            try ChildRepository(db).setChildren(parentID: try products.requireID(sku: "CFG"),
                                                children: [(try products.requireID(sku: "CFG-S"), nil)])
            let website = try stores.ensureWebsite(code: "eu")
            try stores.upsertStore(code: "fr", website: "eu")
            for sku in ["A", "B", "C"] { try stores.assign(productID: try products.requireID(sku: sku), websiteIDs: [website]) }
        }
        try shortWindows(store)
    }

    @Test func theOnlineRetailSliceGivesTheSameLogAndAggregates() throws {
        let slice = try Self.onlineRetailSlice(lines: 25_000)
        var options = OnlineRetailImporter.Options()
        options.createCatalog = true
        options.eventsPerTransaction = 250
        let stores = try EngineConformanceTests.pair("events_retail") { store in
            try Self.shortWindows(store)
            let report = try OnlineRetailImporter(store: store, options: options).importData(slice, file: "online-retail-slice.csv")
            #expect(report.orders > 500 && report.cancellations > 50)
            // Sent again: every event is a duplicate, nothing changes.
            let again = try OnlineRetailImporter(store: store, options: options).importData(slice, file: "online-retail-slice.csv")
            #expect(again.ingest.stored == 0)
            #expect(again.ingest.duplicates == report.ingest.stored)
        }
        let stats = try stores.both.map { try EventStore(store: $0).stats() }
        #expect(stats[0] == stats[1])
        #expect(stats[0].events > 1_000)
        let logs = try stores.both.map { try EventStore(store: $0).events() }
        #expect(logs[0] == logs[1])
        try Self.expectSameAggregates(stores, "Online Retail slice")
        try Self.expectRebuildEqualsIncremental(stores.postgreSQL)
        try Self.expectSameAggregates(stores, "after a rebuild on PostgreSQL")

        // The lists computed from the aggregates and the catalog: item neighbours, similar products.
        let neighbours = try stores.both.map { store in
            let report = try store.write { db in try ItemNeighbours(db).refresh() }
            return (report, try Self.neighbourLists(store))
        }
        #expect(neighbours[0].0.products == neighbours[1].0.products && neighbours[0].0.neighbours == neighbours[1].0.neighbours)
        #expect(neighbours[0].0.neighbours > 1_000)
        #expect(neighbours[0].1.keys.sorted() == neighbours[1].1.keys.sorted())
        for key in neighbours[0].1.keys.sorted() {
            let (a, b) = (neighbours[0].1[key]!, neighbours[1].1[key] ?? [])
            #expect(a.count == b.count, "neighbours of \(key)")
            for (x, y) in zip(a, b) {
                #expect(x.ids == y.ids && Self.close(x.similarity, y.similarity) && Self.close(x.best, y.best), "neighbours of \(key): \(x) / \(y)")
            }
        }
        let similar = try stores.both.map { store in
            _ = try store.write { db in try SimilarProducts(db).refresh(force: true) }
            return try store.read { db in
                try db.prepare("SELECT product_id, rank, other_id, shared, score FROM similar_products ORDER BY product_id, rank")
                    .map { row in (key: "\(row.int(at: 0))|\(row.int(at: 1))|\(row.int(at: 2))|\(row.int(at: 3))", score: row.double(at: 4)) }
            }
        }
        #expect(similar[0].count == similar[1].count && similar[0].count > 1_000)
        for (x, y) in zip(similar[0], similar[1]) { #expect(x.key == y.key && Self.close(x.score, y.score), "similar products \(x) / \(y)") }
    }

    /// Within 1e-8 relative: the neighbour lists keep 9 significant digits.
    static func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-8 * max(abs(a), abs(b)) }

    struct Neighbour: CustomStringConvertible {
        var ids: [Int]  // other_id, kind_id, together
        var similarity: Double
        var best: Double
        var description: String { "\(ids) \(similarity) \(best)" }
    }

    /// `item_neighbours` per store and product, each list's entries parsed.
    static func neighbourLists(_ store: CrosslinkStore) throws -> [String: [Neighbour]] {
        try store.read { db in
            var lists: [String: [Neighbour]] = [:]
            try db.prepare("SELECT store_id, product_id, neighbours FROM item_neighbours").forEachRow { row in
                let entries = (try? JSONSerialization.jsonObject(with: Data(row.text(at: 2).utf8))) as? [[Double]] ?? []
                lists["\(row.int(at: 0))/\(row.int(at: 1))"] = entries.map {
                    Neighbour(ids: [Int($0[0]), Int($0[3]), Int($0[4])], similarity: $0[1], best: $0[2])
                }
            }
            return lists
        }
    }

    @Test func batchesSingleEventsAndFilesGiveTheSameLogAndAggregates() throws {
        let events = AggregateRebuildTests.randomLog(seed: 11, events: 1_200)
        let jsonLines = Data(events[600..<800].map { JSONLinesEventParser.line($0) + "\n" }.joined().utf8)
        let csv = Data(CSVEventParser.text(Array(events[800..<900])).utf8)
        let stores = try EngineConformanceTests.pair("events_batches") { store in
            try Self.catalog(store)
            let writer = EventStore(store: store)
            for start in stride(from: 0, to: 600, by: 37) {
                _ = try writer.append(Array(events[start..<min(start + 37, 600)]))
            }
            let file = try writer.importData(jsonLines, file: "events.jsonl", format: .jsonLines)
            #expect(file.stored > 150)
            // The same file again: only duplicates.
            #expect(try writer.importData(jsonLines, file: "events.jsonl", format: .jsonLines).stored == 0)
            #expect(try writer.importData(csv, file: "events.csv", format: .csv).stored > 50)
            #expect(try writer.importData(csv, file: "events.csv", format: .csv).stored == 0)
            for event in events[900...] { _ = try writer.append(event) }
        }
        let stats = try stores.both.map { try EventStore(store: $0).stats() }
        #expect(stats[0] == stats[1])
        let logs = try stores.both.map { try EventStore(store: $0).events() }
        #expect(logs[0] == logs[1])
        #expect(logs[0].count == Set(events.map(\.id)).count)
        try Self.expectSameAggregates(stores, "random log")
        let dump = try Self.dump(stores.postgreSQL)
        for table in AggregateStatus.tables { #expect(!(dump[table] ?? []).isEmpty, "\(table) is empty on PostgreSQL") }
        try Self.expectRebuildEqualsIncremental(stores.postgreSQL)
    }

    /// One ingest of several aggregation chunks (``EventIngestSession/aggregateChunk`` events
    /// each, written set-wise per chunk on PostgreSQL), with visitors, sessions and pairs that
    /// recur across chunks and late events that reopen sessions of earlier chunks; session and
    /// visitor ids with quotes, backslashes, control characters and non-ASCII text travel in
    /// the chunk's JSON rows. The same aggregates as SQLite's row-by-row path, and as a rebuild.
    @Test func aMultiChunkIngestAggregatesAsARebuild() throws {
        let odd = ["q\"uote", "back\\slash", "tab\tnew\nline", "é-ü-✓", "{\"json\": [1]}"]
        let events = AggregateRebuildTests.randomLog(seed: 23, events: 3_600).enumerated().map { index, event in
            var event = event
            let sum = event.sessionID.utf8.reduce(0) { $0 + Int($1) }
            if sum % 3 == 0 { event.sessionID += odd[sum % odd.count] }
            if index % 5 == 0 { event.visitorID += odd[index % odd.count] }
            return event
        }
        let stores = try EngineConformanceTests.pair("events_chunks") { store in
            try Self.catalog(store)
            let writer = EventStore(store: store)
            let first = try writer.append(Array(events[..<2_500]))
            #expect(first.stored == 2_500)
            _ = try writer.append(Array(events[2_500...]))
        }
        let logs = try stores.both.map { try EventStore(store: $0).events() }
        #expect(logs[0] == logs[1])
        try Self.expectSameAggregates(stores, "multi-chunk ingest")
        try Self.expectRebuildEqualsIncremental(stores.postgreSQL)
        try Self.expectRebuildEqualsIncremental(stores.sqlite)
    }
}
