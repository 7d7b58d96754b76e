import CSQLite
import Foundation
import Testing
@testable import Crosslink

/// Input limits: past each documented bound a clear error naming the place, nothing written,
/// and bounded work up to it.
@Suite struct ReliabilityLimitsTests {
    static let megabyte = 1 << 20

    // MARK: CSV fields and records

    @Test(arguments: [false, true])
    func fieldAtTheLimitIsReadAndOneByteMoreIsRefused(quoted: Bool) throws {
        func csv(_ size: Int) -> Data {
            let big = String(repeating: "x", count: size)
            return Data("a,b\n1,\(quoted ? "\"" + big + "\"" : big)\n".utf8)
        }
        let records = try CSVReader(data: csv(Self.megabyte), file: "big.csv").records()
        #expect(records.last?.fields.last?.utf8.count == Self.megabyte)

        let error = #expect(throws: InputError.self) { try CSVReader(data: csv(Self.megabyte + 1), file: "big.csv").records() }
        #expect(error?.line == 2)
        #expect(error?.column == "2")
        #expect(error?.description == "big.csv:2: column 2: field of 1048577 bytes is longer than the 1048576-byte limit (CSVLimits.maximumFieldBytes)")

        // A caller may raise it.
        var limits = CSVLimits()
        limits.maximumFieldBytes = 2 * Self.megabyte
        #expect(try CSVReader(data: csv(Self.megabyte + 1), file: "big.csv", limits: limits).records().count == 2)
    }

    @Test func recordWithTooManyFieldsIsRefused() throws {
        let wide = Data((String(repeating: "x,", count: 10_000) + "x\n").utf8)  // 10 001 fields
        let error = #expect(throws: InputError.self) { try CSVReader(data: wide, file: "wide.csv").records() }
        #expect(error?.description == "wide.csv:1: column 10001: more than 10000 fields in one record (CSVLimits.maximumFieldsPerRecord)")
        let fits = Data((String(repeating: "x,", count: 9_999) + "x\n").utf8)
        #expect(try CSVReader(data: fits, file: "wide.csv").records().first?.fields.count == 10_000)
    }

    /// 64 MiB of commas is one record of 64 million fields: refused after 10 000 of them, in
    /// about the time it takes to scan those, without building the rest.
    @Test func aFileOfCommasFailsFast() throws {
        let commas = Data(repeating: UInt8(ascii: ","), count: 64 * Self.megabyte)
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            #expect(throws: InputError.self) { try CSVReader(data: commas, file: "commas.csv").records() }
        }
        #expect(elapsed < .seconds(2))
    }

    @Test func importerNamesTheColumnOfAnOversizedCell() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        let name = String(repeating: "n", count: Self.megabyte + 10)
        let csv = "sku,product_type,attribute_set_code,name\nBIG-1,simple,Default,\(name)\n"
        let issue = #expect(throws: InputError.self) { try MagentoCSVImporter(store: store).importData(Data(csv.utf8), file: "big.csv") }
        #expect(issue?.file == "big.csv")
        #expect(issue?.line == 2)
        #expect(issue?.column == "name")
        #expect(issue?.message.hasPrefix("field of 1048586 bytes is longer than the 1048576-byte limit") == true)
        #expect(try store.read { db in try ProductRepository(db).count() } == 0)

        // ImportOptions.csvLimits raises it for catalogs that need it.
        var options = ImportOptions()
        options.csvLimits.maximumFieldBytes = 2 * Self.megabyte
        _ = try MagentoCSVImporter(store: store, options: options).importData(Data(csv.utf8), file: "big.csv")
        #expect(try store.read { db in try ProductRepository(db).product(sku: "BIG-1")?.name.utf8.count } == Self.megabyte + 10)
    }

    // MARK: Link lists

    /// A related_skus cell of 10 001 SKUs is refused with its column; 10 000 is the limit.
    @Test func linkListLongerThanTheLimitIsRefused() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        let count = LinkRepository.maximumLinksPerList + 1
        func sku(_ k: Int) -> String { "L-\(k)" }
        var csv = "sku,product_type,attribute_set_code,name,related_skus\n"
        csv += "HUB,simple,Default,Hub,\"" + (1...count).map(sku).joined(separator: ",") + "\"\n"
        for k in 1...count { csv += "\(sku(k)),simple,Default,Leaf \(k),\n" }
        let issue = #expect(throws: InputError.self) { try MagentoCSVImporter(store: store).importData(Data(csv.utf8), file: "links.csv") }
        #expect(issue?.description == "links.csv:2: column related_skus: 10001 SKUs; at most 10000 links per product and type")
        #expect(try store.read { db in try ProductRepository(db).count() } == 0)

        // The same list minus one imports; the library refuses one more.
        let fits = csv.replacingOccurrences(of: ",\(sku(count))\"", with: "\"")
        let report = try MagentoCSVImporter(store: store).importData(Data(fits.utf8), file: "links.csv")
        #expect(report.links["related"] == LinkRepository.maximumLinksPerList)
        let all = (1...count).map { ProductLink(sku: sku($0), position: $0) }
        let error = #expect(throws: InputError.self) {
            try store.write { db in try LinkRepository(db).replace(sku: "HUB", type: .related, with: all) }
        }
        #expect(error?.description == "invalid related links \"10001 links of HUB\": at most 10000 per product and type (LinkRepository.maximumLinksPerList)")
        #expect(try store.read { db in try LinkRepository(db).count(type: .related) } == LinkRepository.maximumLinksPerList)

        // At the limit a block is still one bounded query: the whole list, in position order.
        let related = try store.read { db in try Placements(db).related(for: "HUB") }
        #expect(related.count == LinkRepository.maximumLinksPerList)
        #expect(related.prefix(3).map(\.sku) == ["L-1", "L-2", "L-3"])
    }

    /// Links *to* one product have no limit (every product may cross-sell the gift card): 100 000
    /// of them leave every placement bounded and the product deletable in one statement.
    @Test func manyIncomingLinksOnOneProduct() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        let sources = 100_000
        try store.write { db in
            _ = try ProductRepository(db).upsert(Product(sku: "GIFT", name: "Gift card", price: 10))
            // Generated inside SQLite: the point is the shape of the data, not the insert path.
            try db.execute(script: """
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(sources))
                INSERT INTO products(sku, name, price) SELECT 'S-' || i, 'Source ' || i, i FROM n;
                INSERT INTO product_websites(product_id, website_id) SELECT product_id, 1 FROM products;
                INSERT INTO product_links(link_type_id, product_id, linked_product_id, position)
                    SELECT 5, product_id, (SELECT product_id FROM products WHERE sku = 'GIFT'), 1 FROM products WHERE sku <> 'GIFT';
                """)
        }
        #expect(try store.read { db in try LinkRepository(db).count(type: .crosssell) } == sources)
        let clock = ContinuousClock()
        var cart: [PlacedProduct] = []
        let elapsed = try clock.measure {
            cart = try store.read { db in try Placements(db).crossSells(cart: ["S-1", "S-2", "S-3"]) }
        }
        #expect(cart.map(\.sku) == ["GIFT"])
        #expect(elapsed < .seconds(1))
        #expect(try store.read { db in try Placements(db).crossSells(cart: ["GIFT", "S-9"]) } == [])
        #expect(try store.write { db in try ProductRepository(db).delete(sku: "GIFT") })
        #expect(try store.read { db in try LinkRepository(db).count() } == 0)
    }

    // MARK: Rule trees (limits of Rule and RuleJSON, set by the rules engine)

    /// 100 000 nested arrays: refused at RuleJSON.maximumNesting with the position, without
    /// recursing further (no stack overflow), and nothing is stored.
    @Test func deeplyNestedRuleJSONIsRefusedAtTheNestingLimit() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let error = #expect(throws: InputError.self) { try RuleJSON.parse(deep, file: "deep.json") }
        #expect(error?.location == InputLocation(file: "deep.json", line: 1, column: RuleJSON.maximumNesting + 1))
        let message = error?.message ?? ""
        #expect(message.hasPrefix("malformed JSON: ") && message.contains("nesting deeper than \(RuleJSON.maximumNesting) levels"), "\(message)")

        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        #expect(throws: InputError.self) { try store.write { db in try RuleRepository(db).importFile(text: deep, file: "deep.json") } }
        #expect(try store.read { db in try db.scalarInt("SELECT count(*) FROM rules") } == 0)
    }

    /// A tree one level deeper than Rule.maximumDepth, one node more than maximumConditions, a
    /// list one value longer than maximumListValues: each refused with the rule and the path,
    /// and nothing stored; at the limits the rule is accepted.
    @Test func ruleTreesPastTheLimitsAreRefusedWithTheirPath() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        _ = try MagentoSampleImporter(store: store).importSample()
        /// `levels` levels, the root combination being level 1 and the comparison the last.
        func nested(_ levels: Int) -> RuleCondition {
            levels == 2 ? .all([.condition("price", .greater, 1)]) : .all([nested(levels - 1)])
        }
        func wide(_ nodes: Int) -> RuleCondition { .all((1..<nodes).map { _ in .condition("price", .greater, 1) }) }
        func list(_ count: Int) -> RuleCondition {
            .all([.condition("sku", .isOneOf, .constant(.list((0..<count).map { .string("SKU-\($0)") })))])
        }
        let cases: [(String, RuleCondition, RuleCondition, String)] = [
            ("too deep", nested(Rule.maximumDepth + 1), nested(Rule.maximumDepth), "nesting deeper than \(Rule.maximumDepth) levels"),
            ("too wide", wide(Rule.maximumConditions + 1), wide(Rule.maximumConditions),
             "\(Rule.maximumConditions + 1) conditions and combinations; at most \(Rule.maximumConditions)"),
            ("too long a list", list(Rule.maximumListValues + 1), list(Rule.maximumListValues),
             "takes at most \(Rule.maximumListValues) values, found \(Rule.maximumListValues + 1)"),
        ]
        for (name, tooBig, atLimit, message) in cases {
            let error = #expect(throws: InputError.self) {
                try store.write { db in try RuleRepository(db).add(Rule(name: name, appliesTo: .related, display: tooBig)) }
            }
            #expect(error?.description.hasPrefix("rule \"\(name)\": display") == true, "\(String(describing: error))")
            #expect(error?.description.contains(message) == true, "\(String(describing: error))")
            #expect(try store.read { db in try db.scalarInt("SELECT count(*) FROM rules") } == 0)
            try store.write { db in
                try RuleRepository(db).add(Rule(name: name, appliesTo: .related, display: atLimit))
                try db.execute("DELETE FROM rules")
            }
        }
    }

    // MARK: Event files

    /// The CSV event format shares CSVReader's limits: a field over 1 MiB is refused with its
    /// line and column, and nothing of the file is stored.
    @Test func eventCSVFieldOverTheLimitIsRefused() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        let csv = "id,type,time,visitor_id,session_id,sku\ne-1,product-view,1714557660000,v,s,24-MB01\n"
            + "e-2,product-view,1714557660000,v,s,\(String(repeating: "x", count: Self.megabyte + 1))\n"
        let error = #expect(throws: (any Error).self) { try EventStore(store: store).importData(Data(csv.utf8), file: "big.csv") }
        let description = String(describing: error)
        #expect(description.contains("big.csv:3"), "\(description)")
        #expect(description.contains("longer than the 1048576-byte limit"), "\(description)")
        #expect(try store.read { db in try db.scalarInt("SELECT count(*) FROM events") } == 0)
    }

    /// The same limit for JSON Lines: a line over 1 MiB (here because of one long field) refuses
    /// the file, naming the file and line; nothing of it is stored.
    @Test func eventJSONLinesFieldOverTheLimitIsRefused() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        let line = #"{"id":"e-1","type":"product-view","time":1714557660000,"visitor_id":"v","session_id":"s","sku":""#
            + String(repeating: "x", count: Self.megabyte + 1) + "\"}\n"
        let error = #expect(throws: (any Error).self) { try EventStore(store: store).importData(Data(line.utf8), file: "big.jsonl") }
        #expect(String(describing: error).contains("big.jsonl:1"), "\(String(describing: error))")
        #expect(String(describing: error).contains("line longer than the 1048576-byte limit"), "\(String(describing: error))")
        #expect(try store.read { db in try db.scalarInt("SELECT count(*) FROM events") } == 0)
    }

    // MARK: Values through the library API

    /// A text longer than SQLite's length limit is an error naming the parameter and the SQL —
    /// never bound as NULL (which a nullable column or a `coalesce` would have stored silently).
    @Test func textOverSQLitesLengthLimitIsAnErrorNotNull() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        try store.write { db in _ = try ProductRepository(db).upsert(Product(sku: "OK-1", name: "fine")) }
        let error = #expect(throws: DatabaseError.self) {
            try store.write { db in
                // SQLite's default limit is 1 GB; lowered on this connection so the test stays small.
                sqlite3_limit(db.handle, SQLITE_LIMIT_LENGTH, 1_000)
                defer { sqlite3_limit(db.handle, SQLITE_LIMIT_LENGTH, 1_000_000_000) }
                _ = try ProductRepository(db).upsert(Product(sku: "OK-1", name: "fine", createdAt: String(repeating: "t", count: 2_000)))
            }
        }
        #expect(error?.resultCode == SQLITE_TOOBIG)
        #expect(error?.message == "cannot bind parameter 11: string or blob too big (the value is longer than SQLite's length limit)")
        #expect(error?.sql?.hasPrefix("INSERT INTO products") == true)
        #expect(try store.read { db in try ProductRepository(db).product(sku: "OK-1")?.createdAt } != nil)
        #expect(try store.read { db in try db.scalarInt("SELECT count(*) FROM products") } == 1)
    }
}
