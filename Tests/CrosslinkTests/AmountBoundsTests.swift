import Foundation
import Testing
@testable import Crosslink

/// Quantities, prices and line amounts within ``EventBounds`` in every ingest path; revenue
/// sums that saturate instead of failing, so no stored value blocks later valid events or a
/// rebuild; JSON output of non-finite numbers a hand-edited file may hold.
@Suite(.serialized) struct AmountBoundsTests {
    func crosslink(_ arguments: [String]) throws -> ProcessResult { try run(CLITests.executable, arguments) }

    static func order(_ id: String, at time: String, sku: String = "simple1", quantity: String, price: String) -> String {
        #"{"id":"\#(id)","type":"place-order","time":"\#(time)","visitor_id":"v-\#(id)","session_id":"s-\#(id)","order_id":"\#(id)","lines":[{"sku":"\#(sku)","quantity":\#(quantity),"price":\#(price)}]}"#
            + "\n"
    }

    /// The issue's sequence through the CLI: the huge line is refused with its file, line and
    /// field; the later valid order of the same product and day is stored; rebuild succeeds.
    @Test func theIssueSequenceNoLongerBlocksALaterValidOrder() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path("shop.sqlite")
        #expect(try crosslink(["--database", db, "import", Fixtures.magentoImport("products_to_import.csv").path]).status == 0)
        let big = dir.path("big.jsonl"), valid = dir.path("valid.jsonl")
        try Self.order("o1", at: "2024-05-01T10:00:00Z", quantity: "100000", price: "100000000000000").write(toFile: big, atomically: true, encoding: .utf8)
        try Self.order("o2", at: "2024-05-01T11:00:00Z", quantity: "2", price: "10.5").write(toFile: valid, atomically: true, encoding: .utf8)

        let refused = try crosslink(["--database", db, "events", "import", "--quiet", big])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("big.jsonl:1: column lines[1].price: must be at most 1000000000, got 100000000000000 (event o1)"), "\(refused.stderr)")
        #expect(try sqlite3Rows(db, "SELECT count(*) FROM events") == [["0"]])

        let stored = try crosslink(["--database", db, "events", "import", "--quiet", valid])
        #expect(stored.status == 0, "\(stored.stderr)")
        let rebuild = try crosslink(["--database", db, "aggregates", "rebuild"])
        #expect(rebuild.status == 0, "\(rebuild.stderr)")
        #expect(try sqlite3Rows(db, "SELECT revenue_cents FROM product_days") == [["2100"]])
    }

    /// quantity = price = 1e308: refused (was stored, then shown as `inf`).
    @Test func hugeNumbersAreRefusedInEveryFormat() throws {
        let (dir, store) = try eventTestStore()
        let events = EventStore(store: store)
        // JSON Lines: the line and the field.
        let jsonl = "\n" + Self.order("j1", at: "2024-05-01T10:00:00Z", sku: "P1", quantity: "1e308", price: "1e308")
        let json = #expect(throws: InputError.self) { try events.importData(Data(jsonl.utf8), file: "e.jsonl") }
        #expect(json?.additionalIssues == [InputError(file: "e.jsonl", line: 2, field: "lines[1].quantity", message: "must be at most 1000000, got 1e+308 (event j1)")])

        // CSV: the row of the order line at fault.
        let csv = """
            id,type,time,visitor_id,session_id,order_id,sku,quantity,price
            c1,place-order,2024-05-01T10:00:00Z,v,s,1,P1,1,5
            c1,place-order,2024-05-01T10:00:00Z,v,s,1,P2,1000,20000000
            """
        let rows = #expect(throws: InputError.self) { try events.importData(Data(csv.utf8), file: "e.csv") }
        #expect(rows?.additionalIssues == [InputError(file: "e.csv", line: 3, field: "lines[2].price",
                                             message: "quantity × price must be at most 10000000000, got 1000 × 20000000 = 20000000000 (event c1)")])

        // A cart event's own quantity, through a single append.
        let cart = Event(id: "a1", type: .addToCart, time: at(0), visitorID: "v", sessionID: "s", sku: "P1", quantity: 1_000_001, price: 1)
        let single = #expect(throws: InputError.self) { try events.append(cart) }
        #expect(single?.additionalIssues == [InputError(file: "event", line: 1, field: "quantity", message: "must be at most 1000000, got 1000001 (event a1)")])

        // The bounds themselves are accepted.
        let edge = Event(id: "o-edge", type: .placeOrder, time: at(0), visitorID: "v", sessionID: "s", orderID: "9",
                         lines: [OrderLine(sku: "P1", quantity: 10, price: EventBounds.maximumPrice),
                                 OrderLine(sku: "P2", quantity: EventBounds.maximumQuantity, price: 10_000)])
        #expect(try events.append(edge))
        #expect(try sqlite3Rows(dir.path("test.sqlite"), "SELECT count(*) FROM events") == [["1"]])
    }

    /// Online Retail: the row that breaks a bound is named, and nothing is stored — also when
    /// the import commits in several transactions.
    @Test func anOnlineRetailRowOverTheBoundsIsNamedBeforeAnyCommit() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        let text = OnlineRetailImportTests.header + """
            300001,22423,CAKESTAND,1,2011-01-10 09:00:00,12.75,17850.0,United Kingdom
            300002,22423,CAKESTAND,2,2011-01-10 10:00:00,12.75,17850.0,United Kingdom
            300002,84879,BIRD,2000000,2011-01-10 10:00:00,1.69,17850.0,United Kingdom
            """
        var options = OnlineRetailImporter.Options()
        options.eventsPerTransaction = 1
        let error = #expect(throws: InputError.self) {
            try OnlineRetailImporter(store: store, options: options).importData(Data(text.utf8), file: "retail.csv")
        }
        #expect(error?.additionalIssues == [InputError(file: "retail.csv", line: 4, field: "lines[2].quantity",
                                              message: "must be at most 1000000, got 2000000 (event online-retail:300002)")])
        #expect(try sqlite3Rows(dir.path("test.sqlite"), "SELECT count(*) FROM events") == [["0"]])

        options.ingest.invalidEvents = .skipInvalid
        let report = try OnlineRetailImporter(store: store, options: options).importData(Data(text.utf8), file: "retail.csv")
        #expect(report.orders == 1)
        #expect(report.ingest.stored == 1)
        #expect(report.ingest.rejected.map(\.line) == [4])
    }

    /// A file edited by hand (sqlite3) to hold amounts no ingest accepts: a later valid order of
    /// the same product and day is still stored, the sums saturate, and a rebuild succeeds.
    @Test func aHandEditedHugeAmountNeverBlocksLaterEventsOrARebuild() throws {
        let (dir, store) = try eventTestStore()
        let db = dir.path("test.sqlite")
        let events = EventStore(store: store)
        func order(_ id: String, _ seconds: Double) -> Event {
            Event(id: id, type: .placeOrder, time: at(seconds), visitorID: "v-\(id)", sessionID: "s-\(id)", orderID: id,
                  lines: [OrderLine(sku: "P1", quantity: 1, price: 10)])
        }
        #expect(try events.append(order("o1", 0)))
        _ = try sqlite3Rows(db, """
            UPDATE event_lines SET quantity = 1e300, price = 9e999;
            UPDATE product_days SET revenue_cents = 9223372036854775000;
            UPDATE product_windows SET revenue_cents = 9223372036854775000;
            """)
        #expect(try events.append(order("o2", 60)))
        let max = "9223372036854775807"
        #expect(try sqlite3Rows(db, "SELECT revenue_cents, units FROM product_days") == [[max, "2.0"]])
        #expect(try sqlite3Rows(db, "SELECT DISTINCT revenue_cents FROM product_windows") == [[max]])

        let rebuild = try run(CLITests.executable, ["--database", db, "aggregates", "rebuild"])
        #expect(rebuild.status == 0, "\(rebuild.stderr)")
        #expect(try sqlite3Rows(db, "SELECT revenue_cents, units FROM product_days") == [[max, "1.0e+300"]])
        #expect(try events.append(order("o3", 120)))
        #expect(try sqlite3Rows(db, "SELECT revenue_cents FROM product_days") == [[max]])
    }

    /// `metrics --json` on a store whose revenue is infinite (hand-edited): valid JSON, the
    /// value as a string, instead of an EncodingError.
    @Test func metricsJSONWritesNonFiniteNumbersAsStrings() throws {
        let (dir, _) = try UnitMetricsFixture.store()
        let db = dir.path("test.sqlite")
        _ = try sqlite3Rows(db, "UPDATE event_lines SET price = 9e999 WHERE event_seq = (SELECT event_seq FROM events WHERE event_key = 'o1')")
        let result = try run(CLITests.executable, ["--database", db, "metrics", "--json", "--by", "unit"])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]]
        #expect(rows?.contains { $0["revenue"] as? String == "inf" } == true, "\(result.stdout)")
        let table = try run(CLITests.executable, ["--database", db, "metrics", "--by", "unit"])
        #expect(table.status == 0, "\(table.stderr)")
    }
}
