import Foundation
import Testing
@testable import Crosslink

extension Fixtures {
    /// The head of REES46's October 2019 log the CLI ships (SampleData/rees46/README.md).
    static var rees46Log: URL {
        packageRoot.appending(path: "Sources/crosslink/SampleData/rees46/rees46_2019-Oct_head.csv.gz")
    }
}

/// `events import --map`: a shop's own CSV log through a mapping. The REES46 figures were
/// counted with Python's csv module over the same file (every row of 9 fields; the last line
/// has 8): 17,055 views, 165 carts, 214 purchases, 5,066 sessions, 6,493 products, 148 category
/// nodes under the root, 5,178 products with a brand.
@Suite struct EventMappingTests {
    static func mapping(_ json: String, file: String = "test-mapping.json") throws -> EventMapping {
        try EventMapping(json: Data(json.utf8), file: file)
    }

    static func count(_ store: CrosslinkStore, _ sql: String) throws -> Int {
        try store.read { db in try db.scalarInt(sql) ?? -1 }
    }

    @Test func rees46ImportsWithItsCountsSessionsCatalogAndCutLastLine() throws {
        let directory = try TemporaryDirectory()
        let store = try makeStore(directory)
        var options = MappedEventImporter.Options()
        options.createCatalog = true
        let report = try MappedEventImporter(store: store, mapping: try #require(EventMapping.builtIn("rees46")), options: options)
            .importFile(at: Fixtures.rees46Log)
        #expect(report.rows == 17_435)
        #expect(report.eventsByType == ["product-view": 17_055, "add-to-cart": 165, "place-order": 214])
        #expect(report.orderLines == 214)
        #expect(report.sessions == 5_066)
        #expect(report.cutOffLine == 17_436)
        #expect(report.repeatedRows == 5)
        #expect(report.ingest.stored == 17_434)
        #expect(report.ingest.rejected.isEmpty)
        #expect(report.ingest.warnings.map(\.line) == [17_436])
        #expect(report.ingest.warnings.first?.message.contains("cut off") == true)
        #expect(report.productsCreated == 6_493)
        #expect(report.categoriesCreated == 148)

        let path = directory.path("test.sqlite")
        #expect(try sqlite3Rows(path, "SELECT type, count(*) FROM events GROUP BY type ORDER BY type")
                == [["add-to-cart", "165"], ["place-order", "214"], ["product-view", "17055"]])
        #expect(try sqlite3Rows(path, "SELECT count(DISTINCT session_id), count(DISTINCT visitor_id) FROM events") == [["5066", "4504"]])
        #expect(try sqlite3Rows(path, "SELECT count(*) FROM events WHERE product_id IS NULL AND type <> 'place-order'") == [["0"]])
        #expect(try sqlite3Rows(path, "SELECT count(*), count(product_id) FROM event_lines") == [["214", "214"]])
        #expect(try sqlite3Rows(path, "SELECT count(*) FROM product_attributes pa JOIN attributes a USING (attribute_id) WHERE a.code = 'brand'") == [["5178"]])
        // The three most viewed products and one without a category: latest price, category path, brand.
        let known = try sqlite3Rows(path, """
            SELECT p.sku, p.price, coalesce((SELECT c.name_path FROM product_categories pc JOIN categories c USING (category_id)
                                             WHERE pc.product_id = p.product_id), '-'),
                   coalesce((SELECT value FROM product_attributes pa JOIN attributes a USING (attribute_id)
                             WHERE a.code = 'brand' AND pa.product_id = p.product_id), '-')
            FROM products p WHERE p.sku IN ('1004856', '1004767', '1005115', '44600062') ORDER BY p.sku
            """)
        #expect(known == [["1004767", "254.82", "Default Category/electronics/smartphone", "samsung"],
                          ["1004856", "130.76", "Default Category/electronics/smartphone", "samsung"],
                          ["1005115", "975.57", "Default Category/electronics/smartphone", "apple"],
                          ["44600062", "35.79", "-", "shiseido"]])
        // The first purchase row is an order of its own: one line, quantity 1, the row's price.
        let order = try sqlite3Rows(path, """
            SELECT e.visitor_id, e.session_id, l.sku, l.quantity, l.price FROM events e JOIN event_lines l ON l.event_seq = e.event_seq
            WHERE e.type = 'place-order' ORDER BY e.event_seq LIMIT 1
            """)
        #expect(order == [["543272936", "8187d148-3c41-46d4-b0c0-9c08cd9dc564", "1004856", "1.0", "130.76"]])

        // Importing again derives the same ids: nothing new.
        let again = try MappedEventImporter(store: store, mapping: try #require(EventMapping.builtIn("rees46")), options: options)
            .importFile(at: Fixtures.rees46Log)
        #expect(again.ingest.stored == 0)
        #expect(again.ingest.duplicates == 17_434)
        #expect(again.productsCreated == 0)
        #expect(try Self.count(store, "SELECT count(*) FROM events") == 17_434)
    }

    @Test func theShippedMappingFilesAreTheBuiltInOnes() throws {
        for name in EventMapping.builtInNames {
            let url = Fixtures.packageRoot.appending(path: "mappings/\(name).json")
            #expect(try String(contentsOf: url, encoding: .utf8) == BuiltInEventMappings.json[name], "mappings/\(name).json")
            let loaded = try EventMapping.load(at: url)
            #expect(loaded.name == name)
        }
        #expect(EventMapping.builtInNames == ["online-retail", "rees46"])
        #expect(EventMapping.builtIn("nope") == nil)
    }

    /// The online-retail mapping reads the shipped log into exactly the built-in importer's
    /// events and catalog.
    @Test func theOnlineRetailMappingEqualsTheBuiltInImporter() throws {
        let data = try EventFileFormat.contents(of: Fixtures.onlineRetailLog)
        let file = Fixtures.onlineRetailLog.lastPathComponent
        let builtIn = try OnlineRetailImporter.read(data, file: file)
        let mapped = try MappedEventReader.read(EventFileInput(data: data, file: file, limits: EventFileLimits()),
                                                mapping: try #require(EventMapping.builtIn("online-retail")), progress: nil)
        #expect(mapped.issues.isEmpty && builtIn.issues.isEmpty)
        #expect(mapped.events.count == builtIn.events.count)
        #expect(mapped.events == builtIn.events)
        #expect(mapped.eventLines == builtIn.eventLines)
        #expect(mapped.report.eventsByType == ["place-order": builtIn.report.orders, "cancel-order": builtIn.report.cancellations])
        #expect(mapped.report.orderLines == builtIn.report.orderLines)
        #expect(mapped.report.skippedRows == ["not a product code": builtIn.report.nonProductLines, "zero price": builtIn.report.zeroPriceLines])
        #expect(mapped.report.wrongSignLines == builtIn.report.wrongSignLines)
        #expect(mapped.report.emptyOrders == builtIn.report.emptyInvoices)
        #expect(mapped.report.skippedTypes == ["A…": builtIn.report.adjustmentInvoices])
        #expect(mapped.products.map(\.sku) == builtIn.products.map(\.sku))
        #expect(mapped.products.map(\.name) == builtIn.products.map(\.name))
        #expect(mapped.products.map(\.price) == builtIn.products.map(\.price))
    }

    /// The same through the database, on a day of the log: the stored events and created products are equal.
    @Test func theOnlineRetailMappingStoresWhatTheBuiltInImporterStores() throws {
        let days = try OnlineRetailImportTests.logDays(before: "2010-12-03")
        let text = OnlineRetailImporter.header.joined(separator: ",") + "\n" + days.flatMap(\.rows).joined(separator: "\n") + "\n"
        let directory = try TemporaryDirectory()
        let a = try makeStore(directory, name: "built-in.sqlite"), b = try makeStore(directory, name: "mapped.sqlite")
        var retail = OnlineRetailImporter.Options()
        retail.createCatalog = true
        let builtIn = try OnlineRetailImporter(store: a, options: retail).importData(Data(text.utf8), file: "day.csv")
        var options = MappedEventImporter.Options()
        options.createCatalog = true
        let mapped = try MappedEventImporter(store: b, mapping: try #require(EventMapping.builtIn("online-retail")), options: options)
            .importData(Data(text.utf8), file: "day.csv")
        #expect(builtIn.ingest.stored > 100)
        #expect(mapped.ingest.stored == builtIn.ingest.stored)
        #expect(mapped.productsCreated == builtIn.productsCreated)
        #expect(try EventStore(store: b).events() == EventStore(store: a).events())
        let products = "SELECT sku, name, price, type, enabled, visibility, in_stock FROM products ORDER BY sku"
        #expect(try sqlite3Rows(directory.path("mapped.sqlite"), products) == sqlite3Rows(directory.path("built-in.sqlite"), products))
    }

    /// Without a session column, a visitor's session ends after 30 minutes without an event
    /// (here 10:00, 10:20, 10:55 → two sessions; 11:20 joins the second).
    @Test func sessionsAreCutByTheInactivityGapWhenThereIsNoSessionColumn() throws {
        let mapping = try Self.mapping("""
            {"crosslinkEventMapping": 1, "name": "gap",
             "columns": {"time": "when", "type": "what", "sku": "item", "visitor": "who"},
             "time": {"format": "iso8601"},
             "types": {"values": {"v": "product-view", "b": "purchase"}},
             "sessions": {"gapMinutes": 30}}
            """)
        let csv = """
            when,what,item,who,price
            2024-05-01T10:00:00Z,v,A,ann,1
            2024-05-01T12:20:00+02:00,v,B,ann,1
            2024-05-01T10:05:00Z,v,A,bob,1
            2024-05-01T10:55:00Z,v,C,ann,1
            2024-05-01T11:20:00Z,v,A,ann,1
            2024-05-01T10:06:00Z,b,A,bob,1
            """
        let directory = try TemporaryDirectory()
        let store = try makeStore(directory)
        var mappingWithPrice = mapping
        mappingWithPrice.sources[.price] = .named("price")
        let report = try MappedEventImporter(store: store, mapping: mappingWithPrice).importData(Data(csv.utf8), file: "gap.csv")
        #expect(report.sessions == 3)
        #expect(report.eventsByType == ["product-view": 5, "place-order": 1])
        let sessions = try sqlite3Rows(directory.path("test.sqlite"), "SELECT visitor_id, session_id, count(*) FROM events GROUP BY 1, 2 ORDER BY 1, 2")
        #expect(sessions == [["ann", "ann@2024-05-01T10:00:00.000Z", "2"], ["ann", "ann@2024-05-01T10:55:00.000Z", "2"],
                             ["bob", "bob@2024-05-01T10:05:00.000Z", "2"]])
    }

    @Test func unixSecondsAndMillisecondsAndPatternsInAZone() throws {
        func times(_ format: String, zone: String = "UTC", _ values: [String]) throws -> [Int64] {
            let mapping = try Self.mapping("""
                {"crosslinkEventMapping": 1, "name": "t", "csv": {"delimiter": "\\t", "header": false},
                 "columns": {"time": 1, "type": 2, "sku": 3, "visitor": 4, "session": 4},
                 "time": {"format": "\(format)", "zone": "\(zone)"},
                 "types": {"values": {"view": "product-view"}}}
                """)
            let text = values.map { "\($0)\tview\tsku-1\tv1" }.joined(separator: "\n")
            return try MappedEventImporter.events(in: Data(text.utf8), file: "t.tsv", mapping: mapping).map { EventTime.milliseconds($0.time)! }
        }
        #expect(try times("unix-seconds", ["1569888000", "1569888000.25"]) == [1_569_888_000_000, 1_569_888_000_250])
        #expect(try times("unix-milliseconds", ["1569888000123"]) == [1_569_888_000_123])
        #expect(try times("yyyy-MM-dd HH:mm:ss 'UTC'", ["2019-10-01 00:00:00 UTC"]) == [1_569_888_000_000])
        #expect(try times("iso8601", ["2019-10-01T02:00:00+02:00"]) == [1_569_888_000_000])
        #expect(try times("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", ["2019-10-01T02:00:00.5+02:00"]) == [1_569_888_000_500])
        // London: BST (UTC+1) in July, GMT in December; M/d/yyyy H:mm is the UCI spreadsheet's own form.
        #expect(try times("yyyy-MM-dd HH:mm", zone: "Europe/London", ["2011-07-01 10:00", "2010-12-01 08:26"])
                == [1_309_510_800_000, 1_291_191_960_000])
        #expect(try times("M/d/yyyy H:mm", zone: "Europe/London", ["12/1/2010 8:26"]) == [1_291_191_960_000])
    }

    @Test func badMappingsAreRefusedNamingTheKey() throws {
        func refusal(_ json: String) -> String {
            do { _ = try Self.mapping(json); return "accepted" } catch { return String(describing: error) }
        }
        let base = #""crosslinkEventMapping": 1, "columns": {"time": "t", "type": "e", "sku": "p", "visitor": "u"}"#
        #expect(refusal("{\(base), \"colour\": 1}").contains("colour: unknown key"))
        #expect(refusal(#"{"crosslinkEventMapping": 1, "columns": {"time": "t", "type": "e", "sku": "p", "visitor": "u", "skuu": "x"}}"#)
                    .contains("columns.skuu: unknown field"))
        #expect(refusal("{\(base), \"time\": {\"format\": \"yyyy-MM-dd hh:mm\"}}").contains("time.format: unknown pattern letters hh"))
        #expect(refusal("{\(base), \"time\": {\"zone\": \"Mars/Olympus\"}}").contains("unknown time zone"))
        #expect(refusal("{\(base), \"types\": {\"values\": {\"view\": \"looked\"}}}").contains("types.values.view: unknown event type \"looked\""))
        #expect(refusal(#"{"crosslinkEventMapping": 2}"#).contains("format version 2"))
        #expect(refusal(#"{"crosslinkEventMapping": 1, "columns": {"time": "t"}}"#).contains("no type column"))
        #expect(refusal("{\(base), \"skipRows\": [{\"field\": \"sku\", \"unlessMatching\": \"[\"}]}").contains("not a regular expression"))
        #expect(refusal("{\(base), \"csv\": {\"header\": 1}}").contains("csv.header: true or false"))
        #expect(refusal("{\(base), \"csv\": {\"header\": false}}").contains("1-based column number"))
        #expect(refusal("{\(base)}") == "accepted")
    }

    /// An unknown column, an unknown type value (refuse) and a value that does not parse are
    /// refused with file, line and column; nothing is stored, not even the catalog.
    @Test func badLogsAreRefusedWithTheirLineAndNothingIsStored() throws {
        let directory = try TemporaryDirectory()
        let store = try makeStore(directory)
        var options = MappedEventImporter.Options()
        options.createCatalog = true
        let mapping = try Self.mapping("""
            {"crosslinkEventMapping": 1, "name": "shop",
             "columns": {"time": "time", "type": "type", "sku": "sku", "visitor": "user", "session": "session", "price": "price", "brand": "brand"},
             "time": {"format": "yyyy-MM-dd HH:mm:ss 'UTC'"},
             "types": {"values": {"view": "product-view", "cart": "add-to-cart"}, "unknown": "refuse"}}
            """, file: "shop.json")
        func refusal(_ csv: String) throws -> InputError {
            let importer = MappedEventImporter(store: store, mapping: mapping, options: options)
            return try #require(throws: InputError.self) { try importer.importData(Data(csv.utf8), file: "shop.csv") }
        }
        let header = "time,type,sku,user,session,price,brand\n"
        let good = "2019-10-01 00:00:00 UTC,view,1,u1,s1,9.50,acme\n"

        let noColumn = try refusal("time,type,sku,user,sess,price,brand\n" + good)
        #expect(noColumn.file == "shop.json")
        #expect(String(describing: noColumn).contains("columns.session: no column \"session\""))

        let unknownValue = try refusal(header + good + "2019-10-01 00:00:01 UTC,wishlist,2,u1,s1,9.50,acme\n")
        let unknownIssue = try #require(unknownValue.additionalIssues?.first)
        #expect(unknownIssue.file == "shop.csv" && unknownIssue.line == 3 && unknownIssue.column == "type")
        #expect(unknownIssue.message.contains("unknown event type value \"wishlist\""))

        let badTime = try refusal(header + good + "2019-10-01T00:00:01Z,view,2,u1,s1,9.50,acme\n")
        let timeIssue = try #require(badTime.additionalIssues?.first)
        #expect(timeIssue.line == 3 && timeIssue.column == "time")
        #expect(timeIssue.message.contains("expected yyyy-MM-dd HH:mm:ss 'UTC'"))

        let badPrice = try refusal(header + good + "2019-10-01 00:00:02 UTC,cart,2,u1,s1,cheap,acme\n")
        let priceIssue = try #require(badPrice.additionalIssues?.first)
        #expect(String(describing: priceIssue) == "shop.csv:3: column price: not a number: \"cheap\"")

        // A short row that is not the last is an error, not a cut-off line.
        let short = try refusal(header + "2019-10-01 00:00:00 UTC,view,1,u1\n" + good)
        #expect(short.additionalIssues?.first?.line == 2)

        #expect(try Self.count(store, "SELECT count(*) FROM events") == 0)
        #expect(try Self.count(store, "SELECT count(*) FROM products") == 0)

        // With skip, unknown values are counted and the rest is stored.
        var skipping = mapping
        skipping.unknownTypes = .skip
        let report = try MappedEventImporter(store: store, mapping: skipping, options: options)
            .importData(Data((header + good + "2019-10-01 00:00:01 UTC,wishlist,2,u1,s1,9.50,acme\n").utf8), file: "shop.csv")
        #expect(report.skippedTypes == ["wishlist": 1])
        #expect(report.ingest.stored == 1)
        #expect(report.productsCreated == 1)
    }

    @Test func theCLIImportsThroughAMappingAndReportsTheCutLine() throws {
        let directory = try TemporaryDirectory()
        let database = directory.path("cli.sqlite")
        let result = try run(CLITests.executable, ["--database", database, "events", "import", "--quiet", "--map", "rees46",
                                                   "--create-catalog", Fixtures.rees46Log.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("rees46_2019-Oct_head.csv.gz:17436: the last line is cut off (8 of 9 fields)"))
        #expect(result.stdout.contains("165 add-to-cart, 214 place-order, 17055 product-view"))
        #expect(result.stdout.contains("5066 sessions"))
        #expect(result.stdout.contains("6493 products and 148 categories created"))
        #expect(try sqlite3Rows(database, "SELECT count(*) FROM events") == [["17434"]])

        let mappingFile = directory.path("bad.json")
        try Data(#"{"crosslinkEventMapping": 1, "columns": {"time": "event_time", "type": "event_type", "sku": "product_id", "visitor": "no_such"}}"#.utf8)
            .write(to: URL(fileURLWithPath: mappingFile))
        let bad = try run(CLITests.executable, ["--database", directory.path("bad.sqlite"), "events", "import", "--quiet", "--map", mappingFile,
                                                Fixtures.rees46Log.path])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("bad.json: mapping: columns.visitor: no column \"no_such\""))
        let unknown = try run(CLITests.executable, ["--database", directory.path("bad.sqlite"), "events", "import", "--map", "nope", Fixtures.rees46Log.path])
        #expect(unknown.status != 0 && unknown.stderr.contains("not a built-in mapping (online-retail, rees46)"))
    }

    /// `eval --log --map --create-catalog` imports the log through the mapping into its temporary database.
    @Test func evalReadsALogThroughAMapping() throws {
        let result = try run(CLITests.executable, ["eval", "--quiet", "--log", Fixtures.rees46Log.path, "--map", "rees46", "--create-catalog",
                                                   "--split", "2019-10-01T02:15:00Z", "--types", "most-viewed"])
        #expect(result.status == 0, "\(result.stderr)")
        // Python: 1,233 events before 02:15, 10 of them purchases, and 16,201 after, 204 purchases;
        // eval counts events and order lines (one per purchase).
        #expect(result.stdout.contains("split 2019-10-01T02:15:00.000Z: 1243 events before, 16405 after"), "\(result.stdout)")
        let refused = try run(CLITests.executable, ["eval", "--map", "rees46"])
        #expect(refused.status != 0 && refused.stderr.contains("--map applies to --log"))
    }
}
