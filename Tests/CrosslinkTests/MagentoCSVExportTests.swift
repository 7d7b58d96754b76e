import Foundation
import Testing
@testable import Crosslink

private typealias Support = MagentoCSVTestSupport

/// Magento's product CSV export, and export → import → export round trips.
@Suite struct MagentoCSVExportTests {
    static let header = "sku,store_view_code,attribute_set_code,product_type,categories,product_websites,name,product_online,"
        + "visibility,price,special_price,qty,is_in_stock,additional_attributes,configurable_variations,related_skus,"
        + "related_position,crosssell_skus,crosssell_position,upsell_skus,upsell_position,created_at,updated_at"

    /// Data rows of an export, as parsed fields, by SKU.
    func rows(_ csv: String) throws -> [String: [String: String]] {
        let table = try CSVTable(reader: CSVReader(data: Data(csv.utf8), file: "export.csv"))
        var result: [String: [String: String]] = [:]
        for record in table.rows {
            result[record.fields[0]] = Dictionary(uniqueKeysWithValues: zip(table.header, record.fields).map { ($0, $1) })
        }
        return result
    }

    @Test func headerIsMagentos() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        #expect(try MagentoCSVExporter(store: store).export() == Self.header + "\n")
        #expect(MagentoCSVExporter.header.joined(separator: ",") == Self.header)
    }

    @Test func linksFixtureExportsPositionsInDisplayOrder() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        _ = try Support.importFixture(store, "products_to_import_with_product_links.csv")
        let csv = try MagentoCSVExporter(store: store).export()
        let lines = csv.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 6)  // header, 4 products, and the final newline
        #expect(lines[0] == Self.header)
        // Written from the fixture: simple4 links simple1,simple2 at 2,1 (related), simple2,simple3 at 1,2
        // (cross-sell), simple1,simple3 at 3,1 (up-sell); the export lists them by position.
        let withoutTimes = lines[1...4].map { $0.split(separator: ",", omittingEmptySubsequences: false).dropLast(2).joined(separator: ",") }
        #expect(withoutTimes == [
            #"simple1,,Default,simple,,base,simple 1,1,"Catalog, Search",25,,10,1,,,,,,,,"#,
            #"simple2,,Default,simple,,base,simple 2,1,"Catalog, Search",34,,10,1,,,,,,,,"#,
            #"simple3,,Default,simple,,base,simple 3,1,"Catalog, Search",58,,10,1,,,,,,,,"#,
            #"simple4,,Default,simple,,base,simple 4,1,"Catalog, Search",67,,10,1,,,"simple2,simple1","1,2","simple2,simple3","1,2","simple3,simple1","1,3""#,
        ])
        let simple4 = try #require(try rows(csv)["simple4"])
        #expect(simple4["created_at"]?.count == 19)  // 2025-01-01 12:00:00
        #expect(simple4["created_at"]?.contains("T") == false)
    }

    @Test func multipleStoresFixtureExportsVariationsAndTimes() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        try Support.addMagentoTestStores(store)
        _ = try Support.importFixture(store, "products_multiple_stores.csv")
        let exported = try rows(try MagentoCSVExporter(store: store).export())
        #expect(exported.count == 3)
        let parent = try #require(exported["Configurable 03"])
        // The fixture's own cell: the variation attribute is the one both children have and the parent lacks.
        #expect(parent["configurable_variations"]
                == "sku=Configurable 03-Option 1,test_configurable=Option 1|sku=Configurable 03-Option 2,test_configurable=Option 2")
        #expect(parent["additional_attributes"] == "has_options=1,quantity_and_stock_status=In Stock,required_options=0")
        #expect(parent["categories"] == "Default Category/Category 1/Category 1.1")
        #expect(parent["product_websites"] == "base,test")
        #expect(parent["visibility"] == "Catalog, Search")
        #expect(parent["price"] == "10")
        #expect(parent["qty"] == "0")
        let option1 = try #require(exported["Configurable 03-Option 1"])
        #expect(option1["created_at"] == "2015-10-23 00:35:03")
        #expect(option1["updated_at"] == "2015-10-23 01:00:25")
        #expect(option1["visibility"] == "Not Visible Individually")
        #expect(option1["qty"] == "99999")
        #expect(option1["configurable_variations"] == "")
    }

    @Test func specialValuesAreWrittenSoTheyReadBack() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        _ = try Support.importFixture(store, "products_to_import_with_additional_attributes.csv")
        try store.write { db in
            let id = try ProductRepository(db).requireID(sku: "simple2")
            try db.execute("UPDATE products SET special_price = 12.5, enabled = 0, visibility = 3, in_stock = 0 WHERE product_id = ?", [id])
            try AttributeRepository(db).define(code: "colors", type: .multiselect)
            try AttributeRepository(db).set(productID: id, code: "colors", values: ["Red", "Blue"])
            try AttributeRepository(db).set(productID: id, code: "single", values: ["Only|one"])
        }
        let exported = try rows(try MagentoCSVExporter(store: store).export())
        let simple1 = try #require(exported["simple1"])
        // Text wrapped whole, multiselect options wrapped one by one (Magento's enclosure form).
        #expect(simple1["additional_attributes"] == #"multiselect_attribute="Option 3 ""!@#$%^&*, ""|"""|"Opt||,ion 2",text_attribute="'"", =|""#)
        let simple2 = try #require(exported["simple2"])
        #expect(simple2["additional_attributes"]
                == #"colors=Red|Blue,multiselect_attribute="Opt|,=ion 1"|"Opt||,ion 2",single="Only|one""#)
        #expect(simple2["special_price"] == "12.5")
        #expect(simple2["product_online"] == "0")
        #expect(simple2["visibility"] == "Search")
        #expect(simple2["is_in_stock"] == "0")
    }

    @Test func unknownStoreIsRefused() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        #expect(throws: RequestError.unknownStore("nowhere")) { try MagentoCSVExporter(store: store).export(store: "nowhere") }
    }

    // MARK: Round trips

    /// Export, import into an empty database, export again: the same bytes, the same content.
    func roundTrip(prepareCopy: (CrosslinkStore) throws -> Void = { _ in }, _ setUp: (CrosslinkStore) throws -> Void) throws -> (first: String, second: String, source: CrosslinkStore, copy: CrosslinkStore) {
        let dir = try TemporaryDirectory()
        let source = try makeStore(dir, name: "source.sqlite")
        try setUp(source)
        let exportURL = dir.url.appending(path: "export.csv")
        try MagentoCSVExporter(store: source).export(to: exportURL)
        let first = try String(contentsOf: exportURL, encoding: .utf8)
        #expect(first == (try MagentoCSVExporter(store: source).export()))
        let copy = try makeStore(dir, name: "copy.sqlite")
        try prepareCopy(copy)
        // The copy knows the source's attribute sets, as a Magento receiving the file would.
        var options = ImportOptions()
        options.attributeSets = Set(try source.read { db in try db.rows("SELECT DISTINCT attribute_set FROM products") }.compactMap { row in
            if case .text(let name) = row[0] { return name }
            return nil
        })
        let report = try MagentoCSVImporter(store: copy, options: options).importFile(at: exportURL)
        #expect(report.warnings.isEmpty)
        let second = try MagentoCSVExporter(store: copy).export()
        return (first, second, source, copy)
    }

    @Test func sampleAndLinksRoundTripByteForByte() throws {
        let result = try roundTrip { store in
            _ = try Support.importSampleProducts(store)
            _ = try Support.importFixture(store, "products_to_import_with_product_links.csv")
        }
        #expect(result.first == result.second)
        let exported = try rows(result.first)
        #expect(exported.count == 1994 + 4)
        let mh01 = try #require(exported["MH01"])
        #expect(mh01["configurable_variations"]?.hasPrefix("sku=MH01-XS-Black,color=Black,size=XS|sku=MH01-XS-Gray,color=Gray,size=XS|") == true)
        #expect(mh01["additional_attributes"] == "climate=All-weather|Cool|Indoor|Spring|Windy,eco_collection=Yes,erin_recommends=No,"
                + "has_options=1,material=Wool,new=No,pattern=Color-Blocked,performance_fabric=No,required_options=1,sale=Yes")
        #expect(mh01["categories"] == "Default Category,Default Category/Collections/Eco Friendly,Default Category/Men/Tops/Hoodies & Sweatshirts")
        #expect(exported["simple4"]?["related_skus"] == "simple2,simple1")
        // Same content too, not only the same text (product ids and times included; link, category
        // and attribute ids are internal and may differ).
        for table in ["products", "product_children", "product_websites"] {
            #expect(try Support.dump(result.source)[table] == (try Support.dump(result.copy)[table]), "\(table)")
        }
        for query in [
            "SELECT link_type_id, product_id, linked_product_id, position FROM product_links",
            "SELECT pa.product_id, a.code, pa.ordinal, pa.value, pa.number FROM product_attributes AS pa JOIN attributes AS a USING (attribute_id)",
            "SELECT name_path, level FROM categories",
            "SELECT pc.product_id, c.name_path, pc.position FROM product_categories AS pc JOIN categories AS c USING (category_id)",
        ] {
            let source = try result.source.read { db in try db.rows(query).map(\.description).sorted() }
            let copy = try result.copy.read { db in try db.rows(query).map(\.description).sorted() }
            #expect(source == copy, "\(query)")
        }
        #expect(try Support.count(result.copy, "SELECT count(*) FROM categories") == 29)
    }

    @Test func fixturesWithSpecialCharactersRoundTrip() throws {
        // Websites are not part of the CSV: the copy needs website "test" as the source did.
        let addTestWebsite: (CrosslinkStore) throws -> Void = { store in try Support.addMagentoTestStores(store) }
        let result = try roundTrip(prepareCopy: addTestWebsite) { store in
            try addTestWebsite(store)
            try store.write { db in
                _ = try AttributeRepository(db).define(code: "text_attribute", type: .text)
            }
            _ = try Support.importFixture(store, "products_to_import_with_additional_attributes.csv")
            _ = try Support.importFixture(store, "products_multiple_stores.csv")
            _ = try Support.importFixture(store, "import_configurable_product_multistore.csv")
            _ = try Support.importFixture(store, "products_to_import_with_custom_attributes.csv")
        }
        #expect(result.first == result.second)
        // Values survive although the copy had no attribute definitions beforehand.
        for sku in ["simple", "simple1", "simple2", "Configurable 03-Option 1", "import-configurable-option-1"] {
            #expect(try Support.attributes(result.copy, sku) == (try Support.attributes(result.source, sku)), "\(sku)")
        }
        #expect(try Support.attributes(result.copy, "simple")["text_attribute"] == [#"!@#$%^&*()_+1234567890-=:;"'>.?/<,|\"#])
        #expect(try Support.children(result.copy, "import-configurable") == ["import-configurable-option-1", "import-configurable-option-2"])
    }
}
