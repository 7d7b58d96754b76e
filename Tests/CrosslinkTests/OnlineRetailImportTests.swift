import Foundation
import Testing
@testable import Crosslink

/// The Online Retail importer on hand-built logs and on the shipped real log. Expected counts
/// of the real log were computed independently with python3 (csv + zoneinfo) over the
/// shipped file, applying the documented rules (the script is at the end of this file):
/// invoices grouped by InvoiceNo; `A…` skipped; per row, in order: StockCode not matching
/// `^[0-9]{5}[A-Za-z]*$` → non-product, UnitPrice 0 → zero price, wrong quantity sign or negative
/// price → wrong sign, else kept; an event per non-A invoice with kept rows.
@Suite struct OnlineRetailImportTests {
    static let header = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"

    /// Every rule once (line numbers in comments).
    static let handBuilt = header + """
        100001,85123A,WHITE HEART ,6,2011-01-10 09:00:00,2.55,17850.0,United Kingdom
        100001,POST,POSTAGE,1,2011-01-10 09:00:00,18,17850.0,United Kingdom
        100002,22423,CAKESTAND,1,2011-01-10 09:05:00,12.75,,France
        100001,85123a,White heart,2,2011-01-10 09:01:00,2.40,17850.0,United Kingdom
        100002,22423,CAKESTAND,1,2011-01-10 09:05:00,12.75,,France
        100003,22423,found,5,2011-01-10 10:00:00,0,,United Kingdom
        100004,22423,damaged,-3,2011-01-10 10:00:00,0.0,,United Kingdom
        C100005,85123A,WHITE HEART,-2,2011-07-01 12:30:00,2.65,17850.0,United Kingdom
        C100005,M,Manual,-1,2011-07-01 12:30:00,5,17850.0,United Kingdom
        A100006,B,Adjust bad debt,1,2011-07-01 13:00:00,-100.5,,United Kingdom
        100007,22423,CAKESTAND,-1,2011-07-02 09:00:00,12.75,12345.0,United Kingdom
        100007,84879,"BIRD ORNAMENT, ASSORTED",8,2011-07-02 09:00:00,1.69,12345.0,United Kingdom
        C100008,84879,BIRD ORNAMENT,3,2011-07-02 09:10:00,1.69,12345.0,United Kingdom

        """

    @Test func eachRuleOnAHandBuiltLog() throws {
        let log = try OnlineRetailImporter.read(Data(Self.handBuilt.utf8), file: "hand.csv")
        func time(_ text: String) -> Date { EventTime.date(EventTime.parse(text)!) }
        #expect(log.events == [
            Event(id: "online-retail:100001", type: .placeOrder, time: time("2011-01-10T09:00:00Z"), visitorID: "17850", customerID: "17850",
                  sessionID: "100001", orderID: "100001",
                  lines: [OrderLine(sku: "85123A", quantity: 6, price: 2.55), OrderLine(sku: "85123a", quantity: 2, price: 2.4)]),
            Event(id: "online-retail:100002", type: .placeOrder, time: time("2011-01-10T09:05:00Z"), visitorID: "guest-100002",
                  sessionID: "100002", orderID: "100002",
                  lines: [OrderLine(sku: "22423", quantity: 1, price: 12.75), OrderLine(sku: "22423", quantity: 1, price: 12.75)]),
            // 12:30 BST is 11:30 UTC.
            Event(id: "online-retail:C100005", type: .cancelOrder, time: time("2011-07-01T11:30:00Z"), visitorID: "17850", customerID: "17850",
                  sessionID: "C100005", orderID: "C100005", lines: [OrderLine(sku: "85123A", quantity: 2, price: 2.65)]),
            Event(id: "online-retail:100007", type: .placeOrder, time: time("2011-07-02T08:00:00Z"), visitorID: "12345", customerID: "12345",
                  sessionID: "100007", orderID: "100007", lines: [OrderLine(sku: "84879", quantity: 8, price: 1.69)]),
        ])
        #expect(log.eventLines == [2, 4, 9, 12])
        var expected = OnlineRetailReport(file: "hand.csv")
        expected.lines = 13
        expected.invoices = 8
        expected.orders = 3
        expected.cancellations = 1
        expected.orderLines = 6
        expected.adjustmentInvoices = 1
        expected.nonProductLines = 2
        expected.zeroPriceLines = 2
        expected.wrongSignLines = 2
        expected.emptyInvoices = 3
        expected.guestInvoices = 1
        expected.customers = 2
        expected.duplicateLines = 1
        #expect(log.report == expected)
        #expect(log.issues.isEmpty)
        // One product per SKU, case-insensitively; most frequent description; price of the latest line.
        #expect(log.products == [
            Product(sku: "85123A", name: "WHITE HEART", price: 2.65),
            Product(sku: "22423", name: "CAKESTAND", price: 12.75),
            Product(sku: "84879", name: "BIRD ORNAMENT, ASSORTED", price: 1.69),
        ])
    }

    @Test func theCatalogIsCreatedInTheSameImportAndExistingProductsAreLeftAlone() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        try store.write { db in _ = try ProductRepository(db).upsert(Product(sku: "22423", name: "Mine", price: 99)) }
        var options = OnlineRetailImporter.Options()
        options.createCatalog = true
        let report = try OnlineRetailImporter(store: store, options: options).importData(Data(Self.handBuilt.utf8), file: "hand.csv")
        #expect(report.productsCreated == 2 && report.ingest.stored == 4 && report.ingest.unknownSKUs == 0)
        #expect(try sqlite3Rows(dir.path("test.sqlite"), """
            SELECT p.sku, p.name, p.price, p.visibility, p.enabled, p.in_stock, group_concat(w.code)
            FROM products AS p LEFT JOIN product_websites USING (product_id) LEFT JOIN websites AS w USING (website_id)
            GROUP BY p.product_id ORDER BY p.product_id
            """) == [
                ["22423", "Mine", "99.0", "4", "1", "1", "NULL"],
                ["85123A", "WHITE HEART", "2.65", "4", "1", "1", "base"],
                ["84879", "BIRD ORNAMENT, ASSORTED", "1.69", "4", "1", "1", "base"],
            ])
        #expect(try sqlite3Rows(dir.path("test.sqlite"), "SELECT event_key, line, sku, quantity, price, known FROM event_line_list ORDER BY event_seq, line") == [
            ["online-retail:100001", "1", "85123A", "6.0", "2.55", "1"], ["online-retail:100001", "2", "85123A", "2.0", "2.4", "1"],
            ["online-retail:100002", "1", "22423", "1.0", "12.75", "1"], ["online-retail:100002", "2", "22423", "1.0", "12.75", "1"],
            ["online-retail:C100005", "1", "85123A", "2.0", "2.65", "1"], ["online-retail:100007", "1", "84879", "8.0", "1.69", "1"],
        ])
        // Without the catalog option (and through the generic file import, which detects the format),
        // the lines are kept with unknown SKUs.
        let (_, other) = (dir, try makeStore(dir, name: "other.sqlite"))
        let plain = try EventStore(store: other).importData(Data(Self.handBuilt.utf8), file: "hand.csv")
        #expect(plain.stored == 4 && plain.unknownSKUs == 6)
        #expect(try EventStore(store: other).stats().unknownSKUs == 3)
    }

    @Test func unreadableRowsNameTheirLineAndTheirInvoiceIsSkipped() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        let text = Self.header + """
            200001,22423,CAKESTAND,1,2011-01-10 09:00:00,12.75,17850.0,United Kingdom
            200002,22423,CAKESTAND,one,2011-01-10 09:00:00,12.75,17850.0,United Kingdom
            200002,84879,BIRD,1,2011-01-10 09:00:00,1.69,17850.0,United Kingdom
            200003,22423,CAKESTAND,1,10/01/2011 09:00,12.75,,United Kingdom
            200004,22423,CAKESTAND,1,2011-01-10 09:00:00,12.75,17850.5,United Kingdom
            X200005,22423,CAKESTAND,1,2011-01-10 09:00:00,12.75,,United Kingdom
            200006,22423,CAKESTAND,1,2011-01-10 09:00:00,12.75
            200007,84879,BIRD,2,2011-01-10 09:30:00,abc,,United Kingdom
            """
        let issues = [
            InputError(file: "bad.csv", line: 3, field: "Quantity", message: "not an integer: \"one\" (invoice 200002 skipped)"),
            InputError(file: "bad.csv", line: 5, field: "InvoiceDate",
                       message: "bad date \"10/01/2011 09:00\" (expected YYYY-MM-DD HH:MM:SS) (invoice 200003 skipped)"),
            InputError(file: "bad.csv", line: 6, field: "CustomerID", message: "not a customer number: \"17850.5\" (invoice 200004 skipped)"),
            InputError(file: "bad.csv", line: 7, field: "InvoiceNo",
                       message: "not an invoice number (digits, optionally after C or A): \"X200005\" (invoice X200005 skipped)"),
            InputError(file: "bad.csv", line: 8, message: "expected 8 fields, got 6 (invoice 200006 skipped)"),
            InputError(file: "bad.csv", line: 9, field: "UnitPrice", message: "not a number: \"abc\" (invoice 200007 skipped)"),
        ]
        #expect(throws: InputError.invalidEvents(issues)) {
            try OnlineRetailImporter(store: store).importData(Data(text.utf8), file: "bad.csv")
        }
        #expect(try sqlite3Rows(dir.path("test.sqlite"), "SELECT count(*) FROM events") == [["0"]])
        var options = OnlineRetailImporter.Options()
        options.ingest.invalidEvents = .skipInvalid
        let report = try OnlineRetailImporter(store: store, options: options).importData(Data(text.utf8), file: "bad.csv")
        #expect(report.ingest.rejected == issues && report.ingest.received == 7 && report.ingest.stored == 1)
        #expect(try sqlite3Rows(dir.path("test.sqlite"), "SELECT event_key FROM events") == [["online-retail:200001"]])
        #expect(throws: InputError(file: "x.csv", line: 1, message: "not an Online Retail log: expected the header InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country")) {
            try OnlineRetailImporter(store: store).importData(Data("InvoiceNo,StockCode\n1,2\n".utf8), file: "x.csv")
        }
    }

    /// The shipped log's rows with an InvoiceDate before `limit` (the file is in date order), by day.
    static func logDays(before limit: String) throws -> [(day: String, rows: [Substring])] {
        let text = String(decoding: try EventFileFormat.contents(of: Fixtures.onlineRetailLog), as: UTF8.self)
        let date = /,(\d{4}-\d{2}-\d{2}) \d{2}:\d{2}:\d{2},/
        var days: [(day: String, rows: [Substring])] = []
        for line in text.split(separator: "\n").dropFirst() {
            let day = String(try #require(line.firstMatch(of: date)).1)
            if day >= limit { break }
            if days.last?.day != day { days.append((day, [])) }
            days[days.count - 1].rows.append(line)
        }
        return days
    }

    /// Every row of events and event_lines, and every product, as text (sqlite3 CLI).
    static func contents(_ path: String) throws -> [[[String]]] {
        try ["SELECT * FROM events ORDER BY event_seq", "SELECT * FROM event_lines ORDER BY event_seq, line",
             "SELECT product_id, sku, name, price FROM products ORDER BY product_id"].map { try sqlite3Rows(path, $0) }
    }

    /// The first three trading days (2010-12-01 … 03): in one import, day by day, and committed every 50 events.
    @Test func importingInBatchesGivesTheSameRowsAsOneImport() throws {
        let days = try Self.logDays(before: "2010-12-04")
        let dir = try TemporaryDirectory()
        var options = OnlineRetailImporter.Options()
        options.createCatalog = true
        options.ingest.aggregate = false  // the log's rows are the subject here (AggregateRebuildTests check aggregates)
        let whole = Data((Self.header + days.flatMap(\.rows).joined(separator: "\n") + "\n").utf8)
        let one = try makeStore(dir, name: "one.sqlite")
        let report = try OnlineRetailImporter(store: one, options: options).importData(whole, file: "days.csv")
        // python3: the same rules over rows with InvoiceDate < 2010-12-04.
        #expect(days.count == 3)
        #expect(report.lines == 7_419 && report.invoices == 418 && report.orders == 336 && report.cancellations == 35)
        #expect(report.orderLines == 7_348 && report.emptyInvoices == 47 && report.nonProductLines == 26 && report.zeroPriceLines == 45)
        #expect(report.duplicateLines == 102 && report.guestInvoices == 22 && report.customers == 253 && report.productsCreated == 1_814)
        #expect(report.ingest.stored == 371 && report.ingest.unknownSKUs == 0)
        let stats = try EventStore(store: one).stats()
        #expect(stats.events == 371 && stats.orderLines == 7_348 && stats.visitors == 275 && stats.customers == 253 && stats.sessions == 371)
        #expect(stats.first == "2010-12-01T08:26:00.000Z" && stats.last == "2010-12-03T17:28:00.000Z")

        let byDay = try makeStore(dir, name: "days.sqlite")
        var merged = EventIngestReport(file: "days")
        for (day, rows) in days {
            let part = Data((Self.header + rows.joined(separator: "\n") + "\n").utf8)
            merged.merge(try OnlineRetailImporter(store: byDay, options: options).importData(part, file: day + ".csv").ingest)
        }
        #expect(merged.stored == 371 && merged.duplicates == 0)
        var chunked = options
        chunked.eventsPerTransaction = 50
        let committedOften = try makeStore(dir, name: "chunks.sqlite")
        #expect(try OnlineRetailImporter(store: committedOften, options: chunked).importData(whole, file: "days.csv").ingest.stored == 371)

        let expected = try Self.contents(dir.path("one.sqlite"))
        #expect(try Self.contents(dir.path("chunks.sqlite")) == expected)
        let daily = try Self.contents(dir.path("days.sqlite"))
        #expect(daily[0] == expected[0] && daily[1] == expected[1])
        // Day by day, a product keeps the name and price of the day that created it; the SKUs and ids are the same.
        #expect(daily[2].map { $0[0...1] } == expected[2].map { $0[0...1] })

        // Re-importing adds nothing.
        let again = try OnlineRetailImporter(store: one, options: options).importData(whole, file: "days.csv")
        #expect(again.ingest.stored == 0 && again.ingest.duplicates == 371 && again.productsCreated == 0)
        #expect(try Self.contents(dir.path("one.sqlite")) == expected)
    }

    /// The whole shipped log (360,208 rows), read into events (importing it into SQLite takes
    /// several seconds in a debug build: the benchmark does that; the first days are imported above).
    @Test func theShippedLogReadsIntoIndependentlyCountedEvents() throws {
        let log = try OnlineRetailImporter.read(try Data(contentsOf: Fixtures.onlineRetailLog), file: "log.csv.gz")
        let report = log.report
        #expect(report.lines == 360_208 && report.invoices == 18_270 && report.adjustmentInvoices == 3)
        #expect(report.orders == 13_795 && report.cancellations == 2_508 && report.emptyInvoices == 1_964)
        #expect(report.orderLines == 356_111 && report.nonProductLines == 2_189 && report.zeroPriceLines == 1_905 && report.wrongSignLines == 0)
        #expect(report.duplicateLines == 2_789 && report.guestInvoices == 1_135 && report.customers == 3_582)
        #expect(log.issues.isEmpty && log.events.count == 16_303 && log.products.count == 3_632)
        #expect(Set(log.events.map(\.visitorID)).count == 4_717)
        #expect(log.events.map(\.time).min() == EventTime.date(EventTime.parse("2010-12-01T08:26:00Z")!))
        #expect(log.events.map(\.time).max() == EventTime.date(EventTime.parse("2011-09-25T15:06:00Z")!))
        #expect(log.events.flatMap { $0.type == .placeOrder ? $0.lines : [] }.reduce(0) { $0 + $1.quantity } == 3_779_993)
        // Times: GMT in winter, BST (UTC+1) from 2011-03-27 01:00 UTC; the earliest row of an invoice; guests.
        let sample = log.events.filter { ["536365", "C536383", "542806", "547834", "555156", "536544"].contains($0.orderID) }
        #expect(sample.map { [$0.id, EventTime.format(EventTime.milliseconds($0.time)!), $0.visitorID, $0.customerID ?? "-", String($0.lines.count)] } == [
            ["online-retail:536365", "2010-12-01T08:26:00.000Z", "17850", "17850", "7"],
            ["online-retail:C536383", "2010-12-01T09:49:00.000Z", "15311", "15311", "1"],
            ["online-retail:536544", "2010-12-01T14:32:00.000Z", "guest-536544", "-", "526"],
            ["online-retail:542806", "2011-02-01T11:19:00.000Z", "12836", "12836", "39"],
            ["online-retail:547834", "2011-03-27T09:16:00.000Z", "17937", "17937", "7"],
            ["online-retail:555156", "2011-06-01T06:37:00.000Z", "15643", "15643", "2"],
        ])
        let products = Dictionary(uniqueKeysWithValues: log.products.map { ($0.sku, $0) })
        #expect(products["85123A"].map { [$0.name, String($0.price!)] } == ["WHITE HANGING HEART T-LIGHT HOLDER", "2.95"])
        #expect(products["22423"].map { [$0.name, String($0.price!)] } == ["REGENCY CAKESTAND 3 TIER", "12.75"])
        #expect(products["84879"].map { [$0.name, String($0.price!)] } == ["ASSORTED COLOUR BIRD ORNAMENT", "1.69"])
        #expect(products["85123a"] == nil)
    }
}

// The python3 script that computed the expected values (argument 2: an InvoiceDate limit for the slice):
//
//   import gzip, csv, re, collections, sys
//   from datetime import datetime, timezone
//   from zoneinfo import ZoneInfo
//   rows = list(csv.reader(gzip.open(sys.argv[1], 'rt', encoding='utf-8', newline='')))[1:]
//   if len(sys.argv) > 2: rows = [r for r in rows if r[4] < sys.argv[2]]
//   prod = re.compile(r'^[0-9]{5}[A-Za-z]*$')
//   inv_order, inv, c = [], {}, collections.Counter()
//   for n, r in enumerate(rows, start=2):
//       no, code, desc, q, date, price, cust, country = r
//       if no not in inv: inv[no] = dict(first=r, kept=[], rows=set(), dates=[]); inv_order.append(no)
//       i = inv[no]; i['dates'].append(date)
//       if no.startswith('A'): continue
//       q, price = int(q), float(price)
//       if not prod.match(code): c['nonProduct'] += 1; continue
//       if price == 0: c['zeroPrice'] += 1; continue
//       if (q >= 0 if no.startswith('C') else q <= 0) or price < 0: c['wrongSign'] += 1; continue
//       if tuple(r) in i['rows']: c['dup'] += 1
//       i['rows'].add(tuple(r)); i['kept'].append((n, r))
//   events = [no for no in inv_order if not no.startswith('A') and inv[no]['kept']]
//   # orders / cancellations: events without / with the C prefix; emptyInvoices: non-A invoices
//   # without kept rows; guests: events whose first row has no CustomerID; customers: distinct
//   # CustomerID of events; visitors: CustomerID or 'guest-' + InvoiceNo; products: distinct
//   # lower-cased StockCodes of kept rows (name: most frequent stripped Description, ties by
//   # first row; price: of the row with the greatest (InvoiceDate, row number)); times:
//   # datetime.strptime(min(dates)).replace(tzinfo=ZoneInfo('Europe/London')).astimezone(timezone.utc).
