import Foundation
import Testing
@testable import Crosslink

private typealias Support = MagentoCSVTestSupport

/// The validation Magento's product import makes before importing, on real CSV files in temp
/// directories: one bad value per case, the two strategies, the allowed-errors limit.
@Suite struct MagentoImportValidationTests {
    /// Writes `csv` as a file and imports it with `options`.
    static func importFile(_ store: CrosslinkStore, _ dir: TemporaryDirectory, _ csv: String, name: String = "bad.csv",
                           options: ImportOptions = ImportOptions()) throws -> ImportReport {
        let url = dir.url.appending(path: name)
        try Data(csv.utf8).write(to: url)
        return try MagentoCSVImporter(store: store, options: options).importFile(at: url)
    }

    static func skip(allowed: Int) -> ImportOptions {
        var options = ImportOptions()
        options.onError = .skip
        options.allowedErrors = allowed
        return options
    }

    /// A store with simple1 (set Default) and the usual base website / default store view.
    static func populated() throws -> (TemporaryDirectory, CrosslinkStore, [String: [String]]) {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        _ = try Support.importFixture(store, "products_to_import.csv")
        return (dir, store, try Support.dump(store))
    }

    // MARK: The issue's two cases

    @Test func unknownAttributeSetIsRefusedAndNothingIsImported() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        let before = try Support.dump(store)
        // products_to_import.csv with simple2's set changed to one the store does not have.
        let text = try String(contentsOf: Fixtures.magentoImport("products_to_import.csv"), encoding: .utf8)
            .replacingOccurrences(of: "simple2,simple,,\"simple 2\",34,Default", with: "simple2,simple,,\"simple 2\",34,NoSuchSet")
        #expect(text.contains("NoSuchSet"))
        let issue = #expect(throws: InputError.self) { try Self.importFile(store, dir, text, name: "products_to_import.csv") }
        #expect(issue?.file == "products_to_import.csv")
        #expect(issue?.line == 3)
        #expect(issue?.column == "attribute_set_code")
        #expect(issue?.message.hasPrefix("Invalid value for Attribute Set column (set doesn't exist?): \"NoSuchSet\"") == true)
        #expect(try Support.dump(store) == before)
        #expect(try Support.product(store, "simple1") == nil)
    }

    @Test func unknownStoreViewIsRefusedAndItsLinksAreNotApplied() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        _ = try Support.importFixture(store, "products_to_import.csv")
        let before = try Support.dump(store)
        let csv = """
            sku,store_view_code,related_skus,related_position
            simple1,nowhere,"simple2,simple3","1,2"
            """
        let issue = #expect(throws: InputError.self) { try Self.importFile(store, dir, csv) }
        #expect(issue?.line == 2)
        #expect(issue?.column == "store_view_code")
        #expect(issue?.message == "Invalid value in Store column (store doesn't exist?): \"nowhere\"; known store views: default")
        #expect(try Support.links(store, "simple1", .related).isEmpty)
        #expect(try Support.dump(store) == before)
        // The known store view applies the same links.
        _ = try Self.importFile(store, dir, csv.replacingOccurrences(of: "nowhere", with: "default"))
        #expect(try Support.links(store, "simple1", .related).map(\.sku) == ["simple2", "simple3"])
    }

    // MARK: One bad value each

    struct BadValue: CustomTestStringConvertible, Sendable {
        var name: String
        var csv: String
        var line: Int
        var column: String
        var message: String
        var testDescription: String { name }
    }

    static let badValues: [BadValue] = [
        BadValue(name: "unknown store view", csv: "sku,store_view_code,categories\nsimple1,fr,Default Category/X\n",
                 line: 2, column: "store_view_code", message: "Invalid value in Store column (store doesn't exist?)"),
        BadValue(name: "unknown website", csv: "sku,product_websites\nsimple1,\"base,eu\"\n",
                 line: 2, column: "product_websites", message: "Invalid value in Website column (website does not exist?): \"eu\""),
        BadValue(name: "unknown product type", csv: "sku,product_type,attribute_set_code,name\nnew1,giftcard,Default,New\n",
                 line: 2, column: "product_type", message: "Product Type is invalid or not supported: \"giftcard\""),
        BadValue(name: "unknown attribute set", csv: "sku,product_type,attribute_set_code,name\nnew1,simple,Shoes,New\n",
                 line: 2, column: "attribute_set_code", message: "Invalid value for Attribute Set column (set doesn't exist?): \"Shoes\""),
        BadValue(name: "unknown attribute set on an update", csv: "sku,attribute_set_code\nsimple1,Shoes\n",
                 line: 2, column: "attribute_set_code", message: "Invalid value for Attribute Set column"),
        BadValue(name: "visibility", csv: "sku,visibility\nsimple1,Hidden\n",
                 line: 2, column: "visibility", message: "Value for 'visibility' attribute contains incorrect value, see acceptable values"),
        BadValue(name: "price not a number", csv: "sku,price\nsimple1,12.3.4\n",
                 line: 2, column: "price", message: "Value for 'price' attribute contains incorrect value: \"12.3.4\" is not a number"),
        BadValue(name: "negative price", csv: "sku,price\nsimple1,-1\n",
                 line: 2, column: "price", message: "Value for 'price' attribute contains incorrect value: -1 is negative"),
        BadValue(name: "special price not a number", csv: "sku,special_price\nsimple1,cheap\n",
                 line: 2, column: "special_price", message: "Value for 'special_price' attribute contains incorrect value"),
        BadValue(name: "qty not a number", csv: "sku,qty\nsimple1,many\n",
                 line: 2, column: "qty", message: "Value for 'qty' attribute contains incorrect value: \"many\" is not a number"),
        BadValue(name: "weight not a number", csv: "sku,weight\nsimple1,heavy\n",
                 line: 2, column: "weight", message: "Value for 'weight' attribute contains incorrect value: \"heavy\" is not a number"),
        BadValue(name: "negative weight", csv: "sku,weight\nsimple1,-0.5\n",
                 line: 2, column: "weight", message: "Value for 'weight' attribute contains incorrect value: -0.5 is negative"),
        BadValue(name: "stock flag", csv: "sku,is_in_stock\nsimple1,maybe\n",
                 line: 2, column: "is_in_stock", message: "Value for 'is_in_stock' attribute contains incorrect value"),
        BadValue(name: "status", csv: "sku,product_online\nsimple1,on\n",
                 line: 2, column: "product_online", message: "Value for 'product_online' attribute contains incorrect value"),
        BadValue(name: "new product without a type", csv: "sku,name\nnew1,New\n",
                 line: 2, column: "sku", message: "Product with specified SKU not found: \"new1\""),
        BadValue(name: "new product without an attribute set", csv: "sku,product_type,attribute_set_code,name\nnew1,simple,,New\n",
                 line: 2, column: "attribute_set_code", message: "Invalid value for Attribute Set column (set doesn't exist?): new product \"new1\""),
        BadValue(name: "new product without a name column", csv: "sku,product_type,attribute_set_code\nnew1,simple,Default\n",
                 line: 2, column: "sku", message: "Please make sure attribute \"name\" is not empty."),
        BadValue(name: "duplicate url key", csv: "sku,url_key\nsimple1,same\nsimple2,Same\n",
                 line: 3, column: "url_key", message: "Url key: 'same' was already generated for an item with the SKU: 'simple1'"),
        BadValue(name: "link to an unknown SKU", csv: "sku,upsell_skus\nsimple1,ghost\n",
                 line: 2, column: "upsell_skus", message: "Link to product with SKU \"ghost\" not found"),
        BadValue(name: "variation of an unknown SKU", csv: "sku,configurable_variations\nsimple1,\"sku=ghost,size=M\"\n",
                 line: 2, column: "configurable_variations", message: "Product with specified super products SKU not found: \"ghost\""),
        BadValue(name: "store-view row without a default row", csv: "sku,store_view_code,categories\nghost,default,Default Category/X\n",
                 line: 2, column: "sku", message: "Default values row does not exist"),
    ]

    @Test(arguments: badValues)
    func oneBadValueIsNamedAndNothingIsStored(_ bad: BadValue) throws {
        let (dir, store, before) = try Self.populated()
        let issue = #expect(throws: InputError.self) { try Self.importFile(store, dir, bad.csv) }
        #expect(issue?.file == "bad.csv")
        #expect(issue?.line == bad.line)
        #expect(issue?.column == bad.column)
        #expect(issue?.message.contains(bad.message) == true, "\(String(describing: issue))")
        #expect(issue?.additionalIssues == nil, "\(String(describing: issue))")
        #expect(try Support.dump(store) == before)
    }

    @Test func urlKeysOfRowsNotVisibleIndividuallyMayRepeat() throws {
        let (dir, store, _) = try Self.populated()
        let report = try Self.importFile(store, dir, """
            sku,url_key,visibility
            simple1,same,Not Visible Individually
            simple2,same,Not Visible Individually
            """)
        #expect(report.productsUpdated == 2)
    }

    @Test func aStoredProductsSetAndADeclaredSetAreKnown() throws {
        let (dir, store, _) = try Self.populated()
        var options = ImportOptions()
        options.attributeSets = ["Top"]
        _ = try Self.importFile(store, dir, "sku,product_type,attribute_set_code,name\ntee,simple,Top,Tee\n", options: options)
        // Now a stored product has "Top": a later import needs no declaration.
        let report = try Self.importFile(store, dir, "sku,product_type,attribute_set_code,name\ntee2,simple,Top,Tee 2\n")
        #expect(report.productsCreated == 1)
        #expect(try Support.product(store, "tee2")?.attributeSet == "Top")
    }

    // MARK: Strategies

    static let threeBadRows = """
        sku,product_type,attribute_set_code,name,price,related_skus
        a1,simple,Default,A1,1,
        a2,simple,Nope,A2,2,
        a3,simple,Default,A3,x,
        a4,simple,Default,A4,4,a1
        a5,bundle,Default,A5,5,a2
        a6,simple,Default,A6,-6,
        """

    @Test func stopListsEveryErrorAndStoresNothing() throws {
        let (dir, store, before) = try Self.populated()
        let issue = #expect(throws: InputError.self) { try Self.importFile(store, dir, Self.threeBadRows) }
        #expect(issue?.line == 3)
        #expect(issue?.column == "attribute_set_code")
        // The others in file order, then the count; a5's link to a2 is no follow-on error under stop.
        #expect(issue?.additionalIssues?.map(\.line) == [4, 7, 0])
        #expect(issue?.additionalIssues?.map(\.column) == ["price", "price", nil])
        #expect(issue?.additionalIssues?.last?.message == "3 errors; nothing was imported")
        let lines = (issue?.description ?? "").split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines.first?.hasPrefix("bad.csv:3: column attribute_set_code: Invalid value for Attribute Set column") == true)
        #expect(lines[1].hasPrefix("bad.csv:4: column price: Value for 'price' attribute contains incorrect value") == true)
        #expect(try Support.dump(store) == before)
    }

    @Test func skipImportsTheGoodRowsAndReportsTheBadOnes() throws {
        let (dir, store, _) = try Self.populated()
        let report = try Self.importFile(store, dir, Self.threeBadRows, options: Self.skip(allowed: 10))
        // a2 is skipped, so a5's link to it fails too: four errors, four rows skipped.
        #expect(report.rowsSkipped == 4)
        #expect(report.errors.map(\.line) == [3, 4, 6, 7])
        #expect(report.errors[2].column == "related_skus")
        #expect(report.errors[2].message.contains("\"a2\" not found"))
        #expect(report.productsCreated == 2)
        #expect(try Support.product(store, "a1")?.price == 1)
        #expect(try Support.product(store, "a2") == nil)
        #expect(try Support.product(store, "a5") == nil)
        #expect(try Support.links(store, "a4", .related).map(\.sku) == ["a1"])
        #expect(try Support.integrityCheck(store) == "ok")
    }

    @Test func skipWithMoreErrorsThanAllowedStoresNothing() throws {
        let (dir, store, before) = try Self.populated()
        let issue = #expect(throws: InputError.self) {
            try Self.importFile(store, dir, Self.threeBadRows, options: Self.skip(allowed: 3))
        }
        #expect(issue?.line == 3)
        #expect(issue?.additionalIssues?.last?.message == "4 errors, more than the 3 allowed (--allowed-errors); nothing was imported")
        #expect(try Support.dump(store) == before)
        // Exactly the allowed count is accepted.
        let report = try Self.importFile(store, dir, Self.threeBadRows, options: Self.skip(allowed: 4))
        #expect(report.rowsSkipped == 4)
    }

    @Test func skipWithZeroAllowedErrorsIsStop() throws {
        let (dir, store, before) = try Self.populated()
        #expect(throws: InputError.self) { try Self.importFile(store, dir, "sku,price\nsimple1,x\n", options: Self.skip(allowed: 0)) }
        #expect(try Support.dump(store) == before)
        let report = try Self.importFile(store, dir, "sku,price\nsimple1,7\n", options: Self.skip(allowed: 0))
        #expect(report.errors.isEmpty)
        #expect(try Support.product(store, "simple1")?.price == 7)
    }

    @Test func allowedErrorsCountAcrossFilesOfOneImport() throws {
        let (dir, store, before) = try Self.populated()
        let first = dir.url.appending(path: "one.csv"), second = dir.url.appending(path: "two.csv")
        try Data("sku,price\nsimple1,x\nsimple2,8\n".utf8).write(to: first)
        try Data("sku,price\nsimple3,y\n".utf8).write(to: second)
        let importer = MagentoCSVImporter(store: store, options: Self.skip(allowed: 1))
        let issue = #expect(throws: InputError.self) { try importer.importFiles(at: [first, second]) }
        #expect(issue?.file == "two.csv")
        #expect(try Support.dump(store) == before)
        let report = try MagentoCSVImporter(store: store, options: Self.skip(allowed: 2)).importFiles(at: [first, second])
        #expect(report.errors.map(\.file) == ["one.csv", "two.csv"])
        #expect(try Support.product(store, "simple2")?.price == 8)
    }

    @Test func theErrorListIsCapped() throws {
        let (dir, store, _) = try Self.populated()
        var options = ImportOptions()
        options.errorListLimit = 2
        var csv = "sku,price\n"
        for i in 0..<6 { csv += "simple1,bad\(i)\n" }
        let issue = #expect(throws: InputError.self) { try Self.importFile(store, dir, csv, options: options) }
        #expect(issue?.additionalIssues?.map(\.line) == [3, 0, 0])
        #expect(issue?.additionalIssues?.map(\.message).dropFirst() == ["4 more errors not listed", "6 errors; nothing was imported"])
    }

    // MARK: Command line

    @Test func commandLineStrategies() throws {
        let dir = try TemporaryDirectory()
        let database = dir.path("cli.sqlite")
        let csv = dir.url.appending(path: "mixed.csv")
        try Data("sku,product_type,attribute_set_code,name\nok1,simple,Default,OK\nbad1,simple,Nope,Bad\n".utf8).write(to: csv)
        let stop = try run(CLITests.executable, ["--database", database, "import", "--quiet", csv.path])
        #expect(stop.status != 0)
        #expect(stop.stderr.contains("mixed.csv:3: column attribute_set_code: Invalid value for Attribute Set column"))
        #expect(try sqlite3Rows(database, "SELECT count(*) FROM products") == [["0"]])
        let skip = try run(CLITests.executable, ["--database", database, "import", "--quiet", "--on-error", "skip", "--allowed-errors", "1", csv.path])
        #expect(skip.status == 0, "\(skip.stderr)")
        #expect(skip.stderr.contains("skipped: mixed.csv:3: column attribute_set_code"))
        #expect(skip.stdout.contains("1 row(s) skipped for 1 error(s)"))
        #expect(try sqlite3Rows(database, "SELECT sku FROM products") == [["ok1"]])
        let declared = try run(CLITests.executable, ["--database", database, "import", "--quiet", "--attribute-set", "Nope", csv.path])
        #expect(declared.status == 0, "\(declared.stderr)")
        #expect(try sqlite3Rows(database, "SELECT sku, attribute_set FROM products ORDER BY sku") == [["bad1", "Nope"], ["ok1", "Default"]])
    }
}
