import Foundation
import Testing
@testable import Crosslink

private typealias Support = MagentoCSVTestSupport

/// Magento's product CSV import against Magento's own import fixtures and the Luma sample.
/// Expected values are read off the files (and Magento's integration tests that use them).
@Suite struct MagentoCSVImportTests {
    // MARK: Magento's fixtures

    @Test func productLinksFixtureKeepsExplicitPositions() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        let report = try Support.importFixture(store, "products_to_import_with_product_links.csv")
        #expect(report.files == ["products_to_import_with_product_links.csv"])
        #expect(report.rows == 4)
        #expect(report.productsCreated == 4)
        #expect(report.productsUpdated == 0)
        #expect(report.links == ["related": 2, "crosssell": 2, "upsell": 2])
        #expect(report.warnings.isEmpty)
        // simple4: related "simple1,simple2" at "2,1"; crosssell "simple2,simple3" at "1,2"; upsell "simple1,simple3" at "3,1".
        #expect(try Support.links(store, "simple4", .related) == [.init(sku: "simple2", position: 1), .init(sku: "simple1", position: 2)])
        #expect(try Support.links(store, "simple4", .crosssell) == [.init(sku: "simple2", position: 1), .init(sku: "simple3", position: 2)])
        #expect(try Support.links(store, "simple4", .upsell) == [.init(sku: "simple3", position: 1), .init(sku: "simple1", position: 3)])
        #expect(try Support.links(store, "simple1", .related).isEmpty)
        let simple4 = try #require(try Support.product(store, "simple4"))
        #expect(simple4.name == "simple 4")
        #expect(simple4.price == 67)
        #expect(simple4.qty == 10)
        #expect(simple4.inStock)
        #expect(simple4.type == .simple)
        #expect(simple4.attributeSet == "Default")
        // No product_websites column: the single website, as Magento's single-website mode does.
        #expect(try Support.websites(store, "simple4") == ["base"])
        #expect(try Support.integrityCheck(store) == "ok")
    }

    @Test func linksWithEmptyDataClearUpsellsAndKeepCrossSells() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        try Support.seed(store, ["simple", "a", "b", "c"].map { Product(sku: $0, name: "Product \($0)", price: 10) })
        try store.write { db in
            let links = LinkRepository(db)
            try links.replace(sku: "simple", type: .crosssell, with: [.init(sku: "a", position: 1), .init(sku: "b", position: 2)])
            try links.replace(sku: "simple", type: .upsell, with: [.init(sku: "c", position: 1), .init(sku: "a", position: 2)])
            try links.replace(sku: "simple", type: .related, with: [.init(sku: "b", position: 5)])
        }
        // Row: simple,,,__EMPTY__VALUE__,__EMPTY__VALUE__
        let report = try Support.importFixture(store, "products_to_import_with_product_links_with_empty_data.csv")
        #expect(report.productsCreated == 0)
        #expect(report.productsUpdated == 1)
        #expect(report.links.isEmpty)  // links written: none; clearing is not counted
        #expect(try Support.links(store, "simple", .crosssell) == [.init(sku: "a", position: 1), .init(sku: "b", position: 2)])
        #expect(try Support.links(store, "simple", .upsell).isEmpty)
        #expect(try Support.links(store, "simple", .related) == [.init(sku: "b", position: 5)])
        // A links-only row changes nothing else.
        #expect(try Support.product(store, "simple")?.name == "Product simple")
    }

    @Test func smallestCatalogWithOneCategory() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        let report = try Support.importFixture(store, "products_to_import.csv")
        #expect(report.productsCreated == 3)
        #expect(report.categoriesCreated == 1)  // Category 1 under the existing root
        #expect(report.links.isEmpty)
        #expect(report.warnings.isEmpty)
        for (sku, price) in [("simple1", 25.0), ("simple2", 34.0), ("simple3", 58.0)] {
            let product = try #require(try Support.product(store, sku))
            #expect(product.price == price)
            #expect(product.visibility == .catalogAndSearch)
            #expect(product.enabled)
            #expect(product.inStock)  // no stock columns: in stock
            #expect(try Support.categoryPaths(store, sku) == ["Default Category/Category 1"])
        }
        // Positions inside the category follow the file.
        let positions = try store.read { db in
            try db.rows("""
                SELECT p.sku, pc.position FROM product_categories AS pc JOIN products AS p USING (product_id)
                JOIN categories AS c USING (category_id) WHERE c.name_path = ? ORDER BY pc.position
                """, ["Default Category/Category 1"])
        }
        #expect(positions == [[.text("simple1"), .integer(0)], [.text("simple2"), .integer(1)], [.text("simple3"), .integer(2)]])
    }

    @Test func categoryOnStoreViewRowIsAppliedToTheExistingProduct() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        // Magento's test creates product "simple" first (product_without_options.php).
        try Support.seed(store, [Product(sku: "simple", name: "Simple Product", price: 10)])
        let report = try Support.importFixture(store, "products_to_import_with_category.csv")
        #expect(report.productsCreated == 0)
        #expect(report.productsUpdated == 1)
        #expect(report.categoriesCreated == 2)  // Men, Men/Tops
        #expect(try Support.categoryPaths(store, "simple") == ["Default Category/Men/Tops"])
        // The row's product_type/attribute_set_code are store-view values: ignored, one warning.
        #expect(report.warnings.count == 1)
        #expect(report.warnings.first?.line == 2)
        #expect(report.warnings.first?.column == "store_view_code")
        #expect(try Support.product(store, "simple")?.name == "Simple Product")
    }

    @Test func storeViewRowForAnUnknownSKUIsAnError() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        let before = try Support.dump(store)
        let issue = #expect(throws: InputError.self) {
            try Support.importFixture(store, "products_to_import_with_category.csv")
        }
        #expect(issue?.file == "products_to_import_with_category.csv")
        #expect(issue?.line == 2)
        #expect(issue?.column == "sku")
        #expect(try Support.dump(store) == before)
    }

    @Test func customSeparatorSplitsCategoryPaths() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        let report = try Support.importFixture(store, "import_new_categories_custom_separator.csv", separator: "|")
        #expect(report.productsCreated == 1)
        #expect(report.categoriesCreated == 2)
        #expect(try Support.categoryPaths(store, "simple1") == ["Default Category/Category 1", "Default Category/Category 2"])
        #expect(try Support.websites(store, "simple1") == ["base"])
        let product = try #require(try Support.product(store, "simple1"))
        #expect(product.name == "simple 2")
        #expect(product.price == 25)
    }

    /// Magento's test defines `text_attribute` (text) and `multiselect_attribute` (options
    /// `Opt|,=ion 1`, `Opt||,ion 2`, `Option 3 "!@#$%^&*, "|"`) before importing.
    @Test(arguments: [true, false])
    func additionalAttributesWithQuotedValues(predefined: Bool) throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        if predefined {
            try store.write { db in
                try AttributeRepository(db).define(code: "text_attribute", type: .text)
                try AttributeRepository(db).define(code: "multiselect_attribute", type: .multiselect)
            }
        }
        let report = try Support.importFixture(store, "products_to_import_with_additional_attributes.csv")
        #expect(report.productsCreated == 2)
        // simple1: text_attribute="'"", =|",multiselect_attribute="Option 3 ""!@#$%^&*, ""|"""|"Opt||,ion 2"
        #expect(try Support.attributes(store, "simple1") == [
            "text_attribute": ["'\", =|"],
            "multiselect_attribute": ["Option 3 \"!@#$%^&*, \"|\"", "Opt||,ion 2"],
        ])
        // simple2: multiselect_attribute="Opt|,=ion 1"|"Opt||,ion 2",text_attribute="" (empty: nothing stored)
        #expect(try Support.attributes(store, "simple2") == ["multiselect_attribute": ["Opt|,=ion 1", "Opt||,ion 2"]])
        // Without definitions, the value forms decide: a value wrapped whole is text, "a"|"b" options.
        let types = try store.read { db in try AttributeRepository(db).definitions().map { "\($0.code):\($0.type.rawValue)" } }
        #expect(types == ["multiselect_attribute:multiselect", "text_attribute:text"])
    }

    @Test func customAttributeWithSpecialCharacters() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        // Magento's test defines text_attribute first (product_text_attribute.php).
        try store.write { db in _ = try AttributeRepository(db).define(code: "text_attribute", type: .text) }
        let report = try Support.importFixture(store, "products_to_import_with_custom_attributes.csv")
        #expect(report.productsCreated == 1)
        #expect(try Support.attributes(store, "simple") == ["text_attribute": [#"!@#$%^&*()_+1234567890-=:;"'>.?/<,|\"#]])
        #expect(try Support.categoryPaths(store, "simple") == ["Default Category/Category 1"])
    }

    @Test func undefinedAttributeWithAPipeIsTakenAsMultiselect() throws {
        // The documented limit of having no attribute definitions: an unwrapped value with `|`
        // for an unknown attribute reads as multiselect options.
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        _ = try Support.importFixture(store, "products_to_import_with_custom_attributes.csv")
        #expect(try Support.attributes(store, "simple") == ["text_attribute": [#"!@#$%^&*()_+1234567890-=:;"'>.?/<,"#, #"\"#]])
    }

    @Test func multipleStoresNeedTheirWebsite() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        let before = try Support.dump(store)
        // product_websites "base,test": Magento's test creates website "test" first (website.php).
        let issue = #expect(throws: InputError.self) { try Support.importFixture(store, "products_multiple_stores.csv") }
        #expect(issue?.line == 2)
        #expect(issue?.column == "product_websites")
        #expect(issue?.message.contains("\"test\"") == true)
        #expect(try Support.dump(store) == before)
    }

    @Test func multipleStoresWithVariations() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        try Support.addMagentoTestStores(store)
        let report = try Support.importFixture(store, "products_multiple_stores.csv")
        #expect(report.rows == 4)
        #expect(report.productsCreated == 3)
        #expect(report.categoriesCreated == 2)  // Category 1, Category 1.1
        #expect(report.warnings.count == 1)  // the fixturestore row's name and type
        #expect(report.warnings.first?.line == 3)
        #expect(try Support.children(store, "Configurable 03") == ["Configurable 03-Option 1", "Configurable 03-Option 2"])
        let option1 = try #require(try Support.product(store, "Configurable 03-Option 1"))
        #expect(option1.name == "Configurable 03-Option 1")  // not the store view's "… fixturestore"
        #expect(option1.visibility == .notVisibleIndividually)
        #expect(option1.price == 10)
        #expect(option1.qty == 99999)
        #expect(option1.inStock)
        #expect(option1.createdAt == "2015-10-23T00:35:03Z")
        #expect(option1.updatedAt == "2015-10-23T01:00:25Z")
        #expect(try Support.websites(store, "Configurable 03-Option 1") == ["base", "test"])
        #expect(try Support.categoryPaths(store, "Configurable 03") == ["Default Category/Category 1/Category 1.1"])
        #expect(try Support.attributes(store, "Configurable 03-Option 1") == [
            "attribute_with_option": ["Option Label"], "has_options": ["0"], "quantity_and_stock_status": ["In Stock"],
            "required_options": ["0"], "test_configurable": ["Option 1"],
        ])
        let parent = try #require(try Support.product(store, "Configurable 03"))
        #expect(parent.type == .configurable)
        #expect(parent.qty == 0)
        #expect(parent.inStock)  // is_in_stock 1 as given
        #expect(parent.visibility == .catalogAndSearch)
    }

    @Test func configurableMultistoreFixture() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        try Support.addMagentoTestStores(store)
        let report = try Support.importFixture(store, "import_configurable_product_multistore.csv")
        #expect(report.rows == 4)
        #expect(report.productsCreated == 3)
        #expect(report.categoriesCreated == 0)  // "Default Category" is the root
        // Every other column is a known Magento column; only the store-view row is reported.
        #expect(report.warnings.map(\.line) == [5])
        #expect(try Support.children(store, "import-configurable") == ["import-configurable-option-1", "import-configurable-option-2"])
        let option = try #require(try Support.product(store, "import-configurable-option-2"))
        #expect(option.price == 14.99)
        #expect(option.qty == 100)
        #expect(option.visibility == .notVisibleIndividually)
        #expect(try Support.attributes(store, "import-configurable-option-2") == ["test_configurable": ["Option 2"]])
        let parent = try #require(try Support.product(store, "import-configurable"))
        #expect(parent.name == "import-configurable")
        #expect(parent.visibility == .catalogAndSearch)
        #expect(try Support.categoryPaths(store, "import-configurable") == ["Default Category"])
    }

    @Test func quantityWithOldColumnNames() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        // sku,_store,name,price,qty,_type,_attribute_set,manage_stock — simple1 with qty 0.0000.
        let report = try Support.importFixture(store, "products_to_import_with_qty.csv")
        #expect(report.productsCreated == 1)
        #expect(report.warnings.isEmpty)
        let product = try #require(try Support.product(store, "simple1"))
        #expect(product.qty == 0)
        #expect(product.inStock == false)  // Magento's test expects is_in_stock 0 for qty 0
        #expect(product.type == .simple)
        #expect(product.attributeSet == "Default")
        #expect(product.price == 25)
    }

    @Test func disableProduct() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        try Support.seed(store, [Product(sku: "simple", name: "Simple Product", price: 10, qty: 3)])
        // `"sku", "product_online"` / `"simple", "0"`: a blank after each comma, quoted fields.
        let report = try Support.importFixture(store, "disable_product.csv")
        #expect(report.productsUpdated == 1)
        let product = try #require(try Support.product(store, "simple"))
        #expect(product.enabled == false)
        #expect(product.qty == 3)
        #expect(product.price == 10)
    }

    @Test func qtyForAWrongSKUFailsAndWritesNothing() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        try Support.seed(store, [Product(sku: "simple", name: "Simple Product", qty: 5)])
        let before = try Support.dump(store)
        // sku,qty / simple100150,10 / simple,17
        let issue = #expect(throws: InputError.self) { try Support.importFixture(store, "product_import_qty_wrong_sku.csv") }
        #expect(issue?.file == "product_import_qty_wrong_sku.csv")
        #expect(issue?.line == 2)
        #expect(issue?.column == "sku")
        #expect(issue?.message.contains("simple100150") == true)
        #expect(try Support.dump(store) == before)
        #expect(try Support.product(store, "simple")?.qty == 5)
    }

    @Test func negativeWeightIsRefusedAsMagentoRefusesIt() throws {
        // Magento's testProductWithInvalidWeight: one error, on simple2's row, and nothing imported.
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        let before = try Support.dump(store)
        let issue = #expect(throws: InputError.self) { try Support.importFixture(store, "product_to_import_invalid_weight.csv") }
        #expect(issue?.line == 3)
        #expect(issue?.column == "weight")
        #expect(issue?.message.hasPrefix("Value for 'weight' attribute contains incorrect value") == true)
        #expect(issue?.additionalIssues == nil)
        #expect(try Support.dump(store) == before)
    }

    @Test func duplicatedURLKeysAreRefusedAsMagentoRefusesThem() throws {
        // Magento's validateUrlKeysDataProvider: simple2 repeats simple1's url_key "key1".
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        let before = try Support.dump(store)
        let issue = #expect(throws: InputError.self) { try Support.importFixture(store, "products_to_check_duplicated_url_keys.csv") }
        #expect(issue?.line == 3)
        #expect(issue?.column == "url_key")
        #expect(issue?.message == "Url key: 'key1' was already generated for an item with the SKU: 'simple1'. You need to specify the unique URL key manually")
        #expect(try Support.dump(store) == before)
    }

    // MARK: The Luma sample

    @Test func configurableSampleImports() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        let report = try Support.importSampleProducts(store)
        // Counts computed from the file with Python's csv module.
        #expect(report.rows == 1994)
        #expect(report.productsCreated == 1994)
        #expect(report.categoriesCreated == 28)
        #expect(report.links.isEmpty)
        #expect(report.warnings.isEmpty)
        let byType = try store.read { db in try db.rows("SELECT type, count(*) FROM products GROUP BY type ORDER BY type") }
        #expect(byType == [[.text("configurable"), .integer(147)], [.text("simple"), .integer(1847)]])
        let byVisibility = try store.read { db in try db.rows("SELECT visibility, count(*) FROM products GROUP BY visibility ORDER BY visibility") }
        #expect(byVisibility == [[.integer(1), .integer(1847)], [.integer(4), .integer(147)]])
        #expect(try Support.count(store, "SELECT count(*) FROM product_children") == 1847)
        #expect(try Support.count(store, "SELECT count(DISTINCT parent_id) FROM product_children") == 147)
        #expect(try Support.count(store, "SELECT count(DISTINCT child_id) FROM product_children") == 1847)
        #expect(try Support.count(store, "SELECT count(*) FROM product_categories") == 5052)
        #expect(try Support.count(store, "SELECT count(*) FROM product_categories WHERE category_id = 1") == 1181)
        #expect(try Support.count(store, "SELECT count(*) FROM product_websites") == 1994)
        #expect(try Support.count(store, "SELECT count(*) FROM product_attributes") == 9743)
        #expect(try Support.count(store, "SELECT count(*) FROM products WHERE in_stock = 1 AND enabled = 1") == 1994)
        // MH01: 15 variations in file order; its climate is a multiselect of 5 options.
        let children = try Support.children(store, "MH01")
        #expect(children.count == 15)
        #expect(children.prefix(3) == ["MH01-XS-Black", "MH01-XS-Gray", "MH01-XS-Orange"])
        #expect(try Support.attributes(store, "MH01")["climate"] == ["All-weather", "Cool", "Indoor", "Spring", "Windy"])
        #expect(try Support.attributes(store, "MH01-XS-Black") == ["color": ["Black"], "has_options": ["0"], "required_options": ["0"], "size": ["XS"]])
        let tank = try #require(try Support.product(store, "WT09"))
        #expect(tank.name == "Breathe-Easy Tank")
        #expect(tank.price == 34)
        #expect(tank.attributeSet == "Top")
        #expect(try Support.categoryPaths(store, "WT09") == [
            "Default Category", "Default Category/Collections/Erin Recommends",
            "Default Category/Promotions/Women Sale", "Default Category/Women/Tops/Bras & Tanks",
        ])
        // "material" first appears with one value (Wool) and later with two: widened to multiselect.
        #expect(try Support.attributes(store, "WT09")["material"] == ["Cocona&reg; performance fabric", "Cotton"])
        let multiselects = try store.read { db in
            try AttributeRepository(db).definitions().filter { $0.type == .multiselect }.map(\.code)
        }
        #expect(multiselects == ["climate", "material", "pattern", "style_bottom", "style_general"])
        #expect(try Support.integrityCheck(store) == "ok")
    }

    @Test func dryRunReportsButWritesNothing() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        let before = try Support.dump(store)
        let report = try Support.importSampleProducts(store, dryRun: true)
        #expect(report.dryRun)
        #expect(report.productsCreated == 1994)
        #expect(report.categoriesCreated == 28)
        #expect(try Support.dump(store) == before)
        let linksReport = try Support.importer(store, dryRun: true).importFile(at: Fixtures.magentoImport("products_to_import_with_product_links.csv"))
        #expect(linksReport.links == ["related": 2, "crosssell": 2, "upsell": 2])
        #expect(try Support.dump(store) == before)
    }

    // MARK: Bad input


    struct BadInput: Sendable, CustomTestStringConvertible {
        var name: String
        var csv: String
        var line: Int
        var column: String?
        var message: String
        var testDescription: String { name }
    }

    static let badInputs: [BadInput] = [
        BadInput(name: "unterminated quote", csv: """
            sku,product_type,attribute_set_code,name,price
            new1,simple,Default,New 1,5
            new2,simple,Default,"New 2,6

            """, line: 3, column: "name", message: "unterminated"),
        BadInput(name: "wrong column count", csv: """
            sku,product_type,attribute_set_code,name,price
            new1,simple,Default,New 1,5
            new2,simple,Default,New 2
            """, line: 3, column: nil, message: "expected 5 fields, got 4"),
        BadInput(name: "unknown linked SKU", csv: """
            sku,product_type,attribute_set_code,name,related_skus
            new1,simple,Default,New 1,"simple1,nope"
            simple2,,,,new1
            """, line: 2, column: "related_skus", message: "\"nope\""),
        BadInput(name: "positions list of another length", csv: """
            sku,related_skus,related_position
            simple1,simple2,1
            simple3,"simple1,simple2,simple4","1,2"
            """, line: 3, column: "related_position", message: "2 positions for 3 SKUs"),
        BadInput(name: "non-numeric price", csv: """
            sku,product_type,attribute_set_code,name,price
            new1,simple,Default,New 1,5
            simple1,,,,abc
            """, line: 3, column: "price", message: "\"abc\" is not a number"),
        BadInput(name: "negative price", csv: """
            sku,price
            simple1,-1
            """, line: 2, column: "price", message: "negative"),
        BadInput(name: "position that is not an integer", csv: """
            sku,upsell_skus,upsell_position
            simple1,"simple2,simple3","1,x"
            """, line: 2, column: "upsell_position", message: "\"x\""),
        BadInput(name: "self link", csv: """
            sku,crosssell_skus
            simple1,"simple2,SIMPLE1"
            """, line: 2, column: "crosssell_skus", message: "itself"),
        BadInput(name: "unknown variation child", csv: """
            sku,product_type,attribute_set_code,name,configurable_variations
            conf,configurable,Default,Conf,"sku=simple1,size=S|sku=ghost,size=M"
            """, line: 2, column: "configurable_variations", message: "\"ghost\""),
        BadInput(name: "new product without a name", csv: """
            sku,product_type,attribute_set_code,name
            new1,simple,Default,
            """, line: 2, column: "name", message: "Please make sure attribute \"name\" is not empty."),
        BadInput(name: "unknown product type", csv: """
            sku,product_type,attribute_set_code,name
            new1,gift,Default,Gift
            """, line: 2, column: "product_type", message: "\"gift\""),
        BadInput(name: "bad visibility", csv: """
            sku,visibility
            simple1,Everywhere
            """, line: 2, column: "visibility", message: "\"Everywhere\""),
        BadInput(name: "clearing a required field", csv: """
            sku,name
            simple1,__EMPTY__VALUE__
            """, line: 2, column: "name", message: "required"),
        BadInput(name: "malformed additional attributes", csv: """
            sku,additional_attributes
            simple1,"color=""Red"
            """, line: 2, column: "additional_attributes", message: "unterminated"),
        BadInput(name: "no sku column", csv: """
            name,price
            x,1
            """, line: 1, column: nil, message: "no sku column"),
    ]

    @Test(arguments: badInputs)
    func badInputNamesItsPlaceAndLeavesTheDatabaseUnchanged(_ input: BadInput) throws {
        let (_, store, before) = try Support.populatedWithLinks()
        let issue = #expect(throws: InputError.self) { try Support.importText(store, input.csv, file: "bad.csv") }
        #expect(issue?.file == "bad.csv")
        #expect(issue?.line == input.line)
        #expect(issue?.column == input.column)
        #expect(issue?.message.contains(input.message) == true, "\(String(describing: issue))")
        #expect(try Support.dump(store) == before)
        #expect(try Support.integrityCheck(store) == "ok")
        // The store stays usable: a good import still works afterwards.
        let report = try Support.importText(store, "sku,price\nsimple1,26\n")
        #expect(report.productsUpdated == 1)
        #expect(try Support.product(store, "simple1")?.price == 26)
    }

    @Test func issueDescriptionNamesFileLineAndColumn() {
        let issue = InputError(file: "products.csv", line: 12, field: "related_position", message: "3 positions for 2 SKUs")
        #expect(issue.description == "products.csv:12: column related_position: 3 positions for 2 SKUs")
        #expect(InputError(file: "a.csv", line: 1, message: "the header has no sku column").description == "a.csv:1: the header has no sku column")
    }
}
