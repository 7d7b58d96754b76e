import Foundation
import Testing
@testable import Crosslink

/// The co-occurrence lists of migration 0010: their text, the merge of a batch into them,
/// lists edited by hand or damaged, and the conversion of the old pair rows.
@Suite struct PairListTests {
    typealias F = RecommendationFixtures

    private func merge(_ stored: String?, _ deltas: [PairEntry]) -> String? {
        var buffer: [UInt8] = []
        let written: Int?
        if let stored {
            written = Array(stored.utf8).withUnsafeBufferPointer { PairListText.merge($0, deltas, into: &buffer) }
        } else {
            written = PairListText.merge(nil, deltas, into: &buffer)
        }
        return written.map { _ in String(decoding: buffer, as: UTF8.self) }
    }

    @Test func mergingEqualsSummingTheRowsAndWritesWhatJSONGroupObjectWrites() throws {
        let dir = try TemporaryDirectory()
        let db = try Database(path: dir.path("lists.sqlite"))
        var random = SplitMix64(seed: 10)
        for round in 0..<300 {
            var stored: [Int: Int] = [:]
            for _ in 0..<Int(random.next() % 40) {
                stored[Int(random.next() % 60) * (round % 3 == 0 ? 1 : 997)] = Int(random.next() % 9) - 4
            }
            stored = stored.filter { $0.value != 0 }
            var sums = stored
            var deltas: [PairEntry] = []
            for other in Set((0..<Int(random.next() % 30)).map { _ in Int(random.next() % 60) * (round % 3 == 0 ? 1 : 997) }).sorted() {
                let count = Int(random.next() % 7) - 3
                deltas.append((other, count))
                sums[other, default: 0] += count
            }
            let storedText = merge(nil, stored.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })!
            let merged = try #require(merge(storedText, deltas), "round \(round)")
            // SQLite's own text for the summed rows, ordered by partner.
            let rows = sums.filter { $0.value != 0 }.sorted { $0.key < $1.key }
            let values = rows.isEmpty ? "SELECT NULL AS k, NULL AS v WHERE 0" : rows.map { "SELECT \($0.key) AS k, \($0.value) AS v" }.joined(separator: " UNION ALL ")
            let expected = try db.rows("SELECT coalesce(json_group_object(k, v), '{}') FROM (\(values) ORDER BY k)")[0][0]
            #expect(DatabaseValue.text(merged) == (rows.isEmpty ? .text("{}") : expected), "round \(round)")
        }
        #expect(merge(nil, []) == "{}")
        #expect(merge("{\"5\":2}", [(5, -2)]) == "{}")
        #expect(merge("{\"5\":2,\"9\":1}", [(1, 1), (7, 3), (12, -1)]) == "{\"1\":1,\"5\":2,\"7\":3,\"9\":1,\"12\":-1}")
        #expect(merge("{\"5\":-9223372036854775807}", [(5, 7)]) == "{\"5\":-9223372036854775800}")
    }

    @Test(arguments: ["{ \"1\":2}", "{\"2\":1,\"1\":1}", "{\"01\":1}", "{\"1\":0}", "{\"1\":1.5}", "[1]", "{\"1\":2", "{\"1\":2}x",
                      "{\"1\":2,}", "{\"-1\":2}", "{\"1\":99999999999999999999}", ""])
    func theFastPathTakesOnlyTheCanonicalText(text: String) {
        #expect(merge(text, [(3, 1)]) == nil)
    }

    @Test func aHandEditedListIsNormalisedAndADamagedOneIsNamedAndChangesNothing() throws {
        let dir = try TemporaryDirectory()
        let store = try F.forYouStore(dir)
        let p = try store.read { db in try ProductRepository(db).id(sku: "P")! }
        // By hand: the same counts reordered, with spaces and a repeated partner split in two.
        let rows = try store.read { db in
            try db.rows("SELECT other_id, together FROM pair_windows WHERE kind_id = 3 AND product_id = ? ORDER BY other_id DESC", [p])
        }
        #expect(rows.count == 3)
        let edited = "{ " + rows.map { "\"\($0[0])\" : \($0[1])" }.joined(separator: ", ") + ", \"\(rows[0][0])\": 0 }"
        try store.write { db in try db.execute("UPDATE pair_lists SET pairs = ? WHERE kind_id = 3 AND product_id = ?", [edited, p]) }

        var log = HandLog()
        log.order(["P", "T"], session: "later", at: 41 * 24)
        log.events = log.events.map { var event = $0; event.id = "later-" + event.id; return event }
        try F.ingest(log, into: store)
        let incremental = try F.dump(store)
        try store.write { db in try Aggregates(db).rebuild() }
        #expect(try F.dump(store) == incremental)

        // Damaged: not an object. The batch fails with the table and key, and stores nothing.
        try store.write { db in try db.execute("UPDATE pair_lists SET pairs = '[1, 2]' WHERE kind_id = 3 AND product_id = ?", [p]) }
        let events = try store.read { db in try db.scalarInt("SELECT count(*) FROM events") }
        var more = HandLog()
        more.order(["P", "Q"], session: "after-damage", at: 42 * 24)
        more.events = more.events.map { var event = $0; event.id = "more-" + event.id; return event }
        #expect {
            try F.ingest(more, into: store)
        } throws: { error in
            let description = String(describing: error)
            return description.contains("pair_lists row (store_id 1, kind_id 3, product_id \(p)): not a JSON object")
                && description.contains("crosslink aggregates rebuild")
        }
        #expect(try store.read { db in try db.scalarInt("SELECT count(*) FROM events") } == events)
        for damaged in ["{\"x\":1}", "{\"7\":\"many\"}", "{\"7\":"] {
            try store.write { db in try db.execute("UPDATE pair_lists SET pairs = ? WHERE kind_id = 3 AND product_id = ?", [damaged, p]) }
            #expect(throws: StoreError.self, "\(damaged)") { try F.ingest(more, into: store) }
        }
        // The rebuild repairs it.
        try store.write { db in try Aggregates(db).rebuild() }
        try F.ingest(more, into: store)
        #expect(try store.read { db in try db.scalarInt("SELECT together FROM pair_windows WHERE kind_id = 3 AND product_id = ? AND other_id = ?",
                                                         [p, try ProductRepository(db).id(sku: "Q")!]) } == 4)

        // A damaged day list is read when its day leaves the co-occurrence window: the batch
        // that moves the window fails with the day's key, and stores nothing.
        let (day, stored) = try store.read { db in
            (try db.scalarInt("SELECT min(day) FROM pair_day_lists")!, try db.scalarInt("SELECT count(*) FROM events")!)
        }
        try store.write { db in try db.execute("UPDATE pair_day_lists SET pairs = '{\"7\":1.5}' WHERE day = ?", [day]) }
        let windowDays = try store.read { db in try Aggregates(db).settings().cooccurrenceDays }
        var late = HandLog()
        late.order(["Q", "R"], session: "next-year", at: Double(42 + windowDays + 30) * 24)
        late.events = late.events.map { var event = $0; event.id = "late-" + event.id; return event }
        #expect {
            try F.ingest(late, into: store)
        } throws: { error in
            String(describing: error).contains("pair_day_lists row (day \(day), store_id 1, kind_id 3, product_id ")
                && String(describing: error).contains("the count of partner 7 is not an integer")
        }
        #expect(try store.read { db in try db.scalarInt("SELECT count(*) FROM events") } == stored)
    }

    @Test func migration0010TurnsBoughtTogetherRowsIntoListsAndTheViewsShowEveryKindAsBefore() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("before-0010.sqlite")
        do {
            let db = try Database(path: path)
            _ = try DatabaseMigrator(migrations: Migration.crosslink.filter { $0.version < 10 }).migrate(db)
            try db.execute(script: """
                INSERT INTO pair_days(store_id, kind_id, day, product_id, other_id, n, cancelled) VALUES
                    (1, 3, 100, 7, 12, 3, 1), (1, 3, 100, 7, 9, 1, 0), (1, 3, 100, 7, 8, 1, 1), (1, 1, 101, 7, 9, 2, 0), (1, 3, 100, 9, 7, 1, 0);
                INSERT INTO pair_windows(store_id, kind_id, product_id, other_id, n, cancelled) VALUES
                    (1, 3, 7, 12, 3, 1), (1, 3, 7, 9, 1, 0), (1, 3, 7, 8, 1, 1), (1, 1, 7, 9, 2, 0), (1, 3, 9, 7, 1, 0);
                """)
        }
        let store = try CrosslinkStore(path: path)
        func rows(_ sql: String) throws -> [[DatabaseValue]] { try store.read { db in try db.rows(sql) } }
        do {
            #expect(try rows("SELECT day, kind_id, product_id, pairs FROM pair_day_lists ORDER BY 1, 2, 3") == [
                [.integer(100), .integer(3), .integer(7), .text("{\"9\":1,\"12\":2}")],
                [.integer(100), .integer(3), .integer(9), .text("{\"7\":1}")],
            ])
            #expect(try rows("SELECT kind_id, product_id, pairs FROM pair_lists ORDER BY 1, 2") == [
                [.integer(3), .integer(7), .text("{\"9\":1,\"12\":2}")],
                [.integer(3), .integer(9), .text("{\"7\":1}")],
            ])
            #expect(try rows("SELECT product_id, other_id, together FROM pair_windows WHERE kind_id = 3 ORDER BY 1, 2") == [
                [.integer(7), .integer(9), .integer(1)], [.integer(7), .integer(12), .integer(2)], [.integer(9), .integer(7), .integer(1)],
            ])
            // Session kinds stay rows.
            #expect(try rows("SELECT * FROM pair_day_rows") == [[.integer(101), .integer(1), .integer(1), .integer(7), .integer(9), .integer(2)]])
            #expect(try rows("SELECT * FROM pair_window_rows") == [[.integer(1), .integer(1), .integer(7), .integer(9), .integer(2)]])
            #expect(try rows("SELECT day, other_id, together FROM pair_days WHERE kind_id = 1 AND product_id = 7") == [
                [.integer(101), .integer(9), .integer(2)],
            ])
        }
    }
}
