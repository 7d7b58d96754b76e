import Foundation
import Testing
@testable import Crosslink

/// On PostgreSQL the Magento import sends its inserts in batches (ImportBatch); SQLite inserts
/// row by row. The same file gives the same rows, ids and link order on both.
@Suite(.requiresPostgreSQL) struct MagentoBatchConformanceTests {
    /// 1,000 new products with categories, attributes and 9 links each: more rows than one batch
    /// holds in both passes, texts that need escaping in an array literal, a later row updating a
    /// product still in the batch, and a store-view row replacing a new product's categories.
    static func csv() -> String {
        let count = 1_000
        var text = "sku,store_view_code,product_type,attribute_set_code,product_websites,name,price,categories,additional_attributes,"
            + "related_skus,upsell_skus,crosssell_skus\n"
        func sku(_ index: Int) -> String { "P-\(index % count)" }
        for index in 0..<count {
            let name = index % 10 == 3 ? "Product \"\(index)\" back\\slash {brace}, NULL" : "Product \(index)"
            let attributes = "note=\(index % 4 == 1 ? "NULL" : "{\(index)} \\ x"),size=S|M,weight=\(index % 9).5"
            let links = (1...3).map { k in [sku(index + k), sku(index + 3 + k), sku(index + 6 + k)] }
            text += "\(sku(index)),,simple,Default,base,\"\(name.replacingOccurrences(of: "\"", with: "\"\""))\",\(10 + index % 7),"
                + "\"Default Category/Gear,Default Category/Gear/Cat \(index % 5)\",\"\(attributes)\","
                + links.map { "\"" + $0.joined(separator: ",") + "\"" }.joined(separator: ",") + "\n"
            if index == 600 {
                text += "P-5,,,,,Renamed five,99.5,,,,,\n"
                text += "P-6,default,,,,,,\"Default Category/Other\",,,,\n"
            }
        }
        return text
    }

    @Test func aBatchedImportStoresWhatTheRowByRowOneDoes() throws {
        let stores = try EngineConformanceTests.pair("magento_batches")
        let reports = try stores.both.map { store in
            try MagentoCSVImporter(store: store, options: ImportOptions()).importData(Data(Self.csv().utf8), file: "batches.csv")
        }
        #expect(reports[0].productsCreated == 1_000)
        #expect(reports[0].productsCreated == reports[1].productsCreated)
        #expect(reports[0].links == reports[1].links)
        #expect(reports[0].warnings == reports[1].warnings)
        let tables = try stores.both.map { store in
            try store.read { db in
                [
                    try db.map("SELECT product_id, sku, name, type, price, enabled, visibility, in_stock FROM products ORDER BY product_id") {
                        "\($0.int(at: 0)) \($0.text(at: 1)) \($0.text(at: 2)) \($0.text(at: 3)) \($0.optionalDouble(at: 4) ?? -1) "
                            + "\($0.int(at: 5)) \($0.int(at: 6)) \($0.int(at: 7))"
                    },
                    try db.map("SELECT category_id, product_id, position FROM product_categories ORDER BY category_id, product_id") {
                        "\($0.int(at: 0)) \($0.int(at: 1)) \($0.int(at: 2))"
                    },
                    try db.map("SELECT product_id, website_id FROM product_websites ORDER BY product_id, website_id") {
                        "\($0.int(at: 0)) \($0.int(at: 1))"
                    },
                    try db.map("""
                        SELECT a.product_id, d.code, d.type, a.ordinal, a.value, a.number FROM product_attributes AS a
                        JOIN attributes AS d ON d.attribute_id = a.attribute_id ORDER BY a.product_id, d.code, a.ordinal
                        """) { "\($0.int(at: 0)) \($0.text(at: 1)) \($0.text(at: 2)) \($0.int(at: 3)) \($0.text(at: 4)) \($0.optionalDouble(at: 5) ?? -1)" },
                    // link_id order: ties on position keep the file's order.
                    try db.map("SELECT link_type_id, product_id, linked_product_id, position FROM product_links ORDER BY link_id") {
                        "\($0.int(at: 0)) \($0.int(at: 1)) \($0.int(at: 2)) \($0.int(at: 3))"
                    },
                    try db.map("SELECT word, product_id FROM product_words ORDER BY word, product_id") { "\($0.text(at: 0)) \($0.int(at: 1))" },
                ]
            }
        }
        for (sqlite, postgreSQL) in zip(tables[0], tables[1]) {
            #expect(sqlite.count == postgreSQL.count)
            #expect(sqlite.first(where: { !postgreSQL.contains($0) }) == nil)
            #expect(sqlite == postgreSQL)
        }
        #expect(tables[1][4].count == 9_000)
        #expect(tables[1][0].contains("4 P-3 Product \"3\" back\\slash {brace}, NULL simple 13.0 1 4 1"))
        #expect(tables[1][0].contains("6 P-5 Renamed five simple 99.5 1 4 1"))
        #expect(tables[1][3].contains("2 note text 0 NULL -1.0"))
        // The store-view row replaced P-6's categories.
        let categories = try stores.postgreSQL.read { db in
            try db.map("""
                SELECT c.name_path FROM product_categories AS pc JOIN categories AS c ON c.category_id = pc.category_id
                JOIN products AS p ON p.product_id = pc.product_id WHERE p.sku = 'P-6' ORDER BY c.name_path
                """) { $0.text(at: 0) }
        }
        #expect(categories == ["Default Category/Other"])
        // The import refreshed the statistics of the store tables too (autovacuum never would).
        let analyzed = try stores.postgreSQL.read { db in
            try db.scalarInt("SELECT count(*) FROM pg_stat_user_tables WHERE relname IN ('stores', 'websites') AND last_analyze IS NOT NULL")
        }
        #expect(analyzed == 2)
    }
}
