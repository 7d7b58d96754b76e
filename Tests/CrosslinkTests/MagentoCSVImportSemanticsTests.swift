import Foundation
import Synchronization
import Testing
@testable import Crosslink

private typealias Support = MagentoCSVTestSupport

/// What a row means: empty cells, markers, forward references, columns, times, stock,
/// replacement of categories and websites, store-view rows, progress.
@Suite struct MagentoCSVImportSemanticsTests {
    @Test func emptyCellsLeaveValuesAndEmptyMarkerClears() throws {
        let (_, store, _) = try Support.populatedWithLinks()
        try store.write { db in
            let id = try ProductRepository(db).requireID(sku: "simple1")
            try db.execute("UPDATE products SET special_price = 20 WHERE product_id = ?", [id])
            try AttributeRepository(db).set(productID: id, code: "color", values: ["Red"])
            try AttributeRepository(db).set(productID: id, code: "size", values: ["M"])
        }
        _ = try Support.importText(store, """
            sku,name,price,special_price,qty,additional_attributes,related_skus,related_position
            simple1,,,__EMPTY__VALUE__,,"color=__EMPTY__VALUE__,size=",,
            simple4,Renamed,70,,,,__EMPTY__VALUE__,
            """)
        let simple1 = try #require(try Support.product(store, "simple1"))
        #expect(simple1.name == "simple 1")
        #expect(simple1.price == 25)
        #expect(simple1.specialPrice == nil)
        #expect(simple1.qty == 10)
        #expect(try Support.attributes(store, "simple1") == ["size": ["M"]])
        let simple4 = try #require(try Support.product(store, "simple4"))
        #expect(simple4.name == "Renamed")
        #expect(simple4.price == 70)
        #expect(try Support.links(store, "simple4", .related).isEmpty)
        #expect(try Support.links(store, "simple4", .upsell).count == 2)
    }

    @Test func linksMayReferToSKUsFurtherDownWithoutPositions() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        // Old column names; positions absent: list order gives 1, 2, 3. SKUs match case-insensitively.
        let report = try Support.importText(store, """
            sku,_type,_attribute_set,name,_related_sku,_upsell_sku,_crosssell_sku
            a,simple,Default,A,"C,b,c",b,d
            b,simple,Default,B,,,
            c,simple,Default,C,,,
            d,virtual,Default,D,a,,
            """)
        #expect(report.productsCreated == 4)
        #expect(report.links == ["related": 3, "upsell": 1, "crosssell": 1])
        // "C" and "c" are the same product: the second is dropped with a warning.
        #expect(report.warnings.count == 1)
        #expect(report.warnings.first?.column == "_related_sku")
        #expect(try Support.links(store, "a", .related) == [.init(sku: "c", position: 1), .init(sku: "b", position: 2)])
        #expect(try Support.links(store, "a", .crosssell) == [.init(sku: "d", position: 1)])
        #expect(try Support.links(store, "d", .related) == [.init(sku: "a", position: 1)])
    }

    @Test func unknownColumnsGetOneWarningAndKnownIgnoredOnesNone() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        let report = try Support.importText(store, """
            sku,product_type,attribute_set_code,name,colour,weight,url_key,description,flavour
            a,simple,Default,A,red,1,a-key,Text,mint
            b,simple,Default,B,blue,1,b-key,Text,lime
            """)
        #expect(report.productsCreated == 2)
        #expect(report.warnings.count == 1)
        #expect(report.warnings.first?.line == 1)
        #expect(report.warnings.first?.message.hasSuffix("colour, flavour") == true)
        #expect(MagentoCSVImporter.ignoredColumns.contains("description"))
    }

    @Test func timestampsInMagentoFormsAreKept() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        let report = try Support.importText(store, """
            sku,product_type,attribute_set_code,name,created_at,updated_at
            a,simple,Default,A,"10/23/15, 12:35 AM",2015-10-23T02:00:00+02:00
            b,simple,Default,B,"1/2/2016, 1:05 PM",2016-01-02
            c,simple,Default,C,yesterday,
            """)
        #expect(try Support.product(store, "a")?.createdAt == "2015-10-23T00:35:00Z")
        #expect(try Support.product(store, "a")?.updatedAt == "2015-10-23T00:00:00Z")
        #expect(try Support.product(store, "b")?.createdAt == "2016-01-02T13:05:00Z")
        #expect(try Support.product(store, "b")?.updatedAt == "2016-01-02T00:00:00Z")
        // An unreadable time is a warning; the import time is used instead.
        #expect(report.warnings.map(\.column) == ["created_at"])
        #expect(report.warnings.first?.line == 4)
        #expect(try Support.product(store, "c")?.createdAt?.hasSuffix("Z") == true)
    }

    @Test func stockStatusFollowsQuantityOnlyWhenNotGiven() throws {
        let (_, store, _) = try Support.populatedWithLinks()
        _ = try Support.importText(store, """
            sku,qty,is_in_stock
            simple1,0,
            simple2,0,1
            simple3,5,0
            """)
        #expect(try Support.product(store, "simple1")?.inStock == false)
        #expect(try Support.product(store, "simple2")?.inStock == true)
        #expect(try Support.product(store, "simple3")?.inStock == false)
        _ = try Support.importText(store, "sku,qty\nsimple1,3\n")
        #expect(try Support.product(store, "simple1")?.inStock == true)
    }

    @Test func categoriesAndWebsitesAreReplacedWhenGiven() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        try store.write { db in _ = try StoreRepository(db).ensureWebsite(code: "eu") }
        _ = try Support.importText(store, """
            sku,product_type,attribute_set_code,name,categories,product_websites
            a,simple,Default,A,"Default Category/Gear,Default Category/Gear/Bags","base,eu"
            """)
        #expect(try Support.categoryPaths(store, "a") == ["Default Category/Gear", "Default Category/Gear/Bags"])
        #expect(try Support.websites(store, "a") == ["base", "eu"])
        _ = try Support.importText(store, """
            sku,categories,product_websites
            a,"Default Category/Gear/Bags,Default Category/Sale",eu
            """)
        #expect(try Support.categoryPaths(store, "a") == ["Default Category/Gear/Bags", "Default Category/Sale"])
        #expect(try Support.websites(store, "a") == ["eu"])
        _ = try Support.importText(store, "sku,categories\na,__EMPTY__VALUE__\n")
        #expect(try Support.categoryPaths(store, "a").isEmpty)
    }

    @Test func escapedSlashIsPartOfACategoryName() throws {
        // The row of Magento's import_new_categories_default_separator.csv: "Category\/ 2" is one name.
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        let report = try Support.importText(store, #"""
            sku,product_type,store_view_code,name,price,attribute_set_code,categories,product_websites,url_key
            simple1,simple,,"simple 1",25,Default,"Default Category/Category 1,Default Category/Category\/ 2",base,simple1-ds

            """#)
        #expect(report.categoriesCreated == 2)
        let names = try store.read { db in try CategoryRepository(db).categories(productID: try ProductRepository(db).requireID(sku: "simple1")).map(\.name) }
        #expect(names == ["Category 1", "Category/ 2"])
        let exported = try MagentoCSVExporter(store: store).export()
        #expect(exported.contains(#""Default Category/Category 1,Default Category/Category\/ 2""#))
    }

    @Test func storeViewRowsMayComeBeforeTheirDefaultRow() throws {
        // Magento's products_to_import_with_multiple_store.csv puts each store-view row first.
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        try Support.addMagentoTestStores(store)
        let report = try Support.importText(store, """
            sku,product_type,store_view_code,name,price,attribute_set_code,categories
            simple1,simple,fixturestore,"simple 1",25,Default,"Default Category/Category 1"
            simple1,simple,,"simple 1",25,Default,"Default Category/Category 1"
            simple2,simple,fixturestore,"simple 2 (store)",34,Default,"Default Category/Category 1"
            simple2,simple,,"simple 2",34,Default,"Default Category/Category 1"
            simple3,simple,,"simple 3",58,Default,"Default Category/Category 1"
            """)
        #expect(report.rows == 5)
        #expect(report.productsCreated == 3)
        #expect(report.categoriesCreated == 1)
        #expect(report.warnings.map(\.line) == [2])
        #expect(try Support.product(store, "simple2")?.name == "simple 2")
        #expect(try Support.categoryPaths(store, "simple2") == ["Default Category/Category 1"])
    }

    @Test func progressIsReportedWithIncreasingRowCounts() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        var csv = "sku,product_type,attribute_set_code,name,price,qty\n"
        for i in 0..<25_000 { csv += "p\(i),simple,Default,Product \(i),\(i % 100).5,\(i % 7)\n" }
        let seen = Mutex<[Int]>([])
        var options = ImportOptions()
        options.progress = { progress in
            #expect(progress.file == "many.csv")
            #expect(progress.rowsPerSecond > 0)
            seen.withLock { $0.append(progress.rows) }
        }
        let report = try MagentoCSVImporter(store: store, options: options).importData(Data(csv.utf8), file: "many.csv")
        #expect(report.productsCreated == 25_000)
        #expect(seen.withLock { $0 } == [10_000, 20_000, 25_000])
        #expect(try Support.count(store, "SELECT count(*) FROM products WHERE in_stock = 0") == 25_000 / 7 + 1)
    }
}
