import Foundation
import Testing
@testable import Crosslink

/// The PostgreSQL speed paths give what the plain paths give: id lists unnested from a bigint
/// array, a chunk's SKUs resolved in one query during ingest, products inserted with RETURNING,
/// and the catalog analyzed after a large import.
@Suite(.requiresPostgreSQL) struct SpeedPathConformanceTests {
    @Test func idListsSelectTheSameRowsOnBothEngines() throws {
        let stores = try EngineConformanceTests.pair("speed_id_lists") { store in
            try store.write { db in
                for index in 1...5 { _ = try ProductRepository(db).upsert(Product(sku: "ID-\(index)", name: "Id \(index)", price: 1)) }
            }
        }
        for ids in [[], [3], [1, 4, 5], [2, 2, 999]] {
            let found = try stores.both.map { store in
                try store.read { db in
                    try db.map("SELECT sku FROM products WHERE product_id IN \(list: ids) ORDER BY product_id") { $0.text(at: 0) }
                }
            }
            #expect(found[0] == found[1], "ids \(ids)")
            #expect(found[0].count == Set(ids.filter { $0 <= 5 }).count, "ids \(ids)")
        }
    }

    @Test func aChunksSKUsResolveIgnoringASCIICaseAsOneByOne() throws {
        let stores = try EngineConformanceTests.pair("speed_sku_chunk") { store in
            try store.write { db in
                for sku in ["Bag-1", "bag-2", "ÉTUI-1"] {
                    try StoreRepository(db).assign(productID: try ProductRepository(db).upsert(Product(sku: sku, name: sku, price: 5)), websiteIDs: [1])
                }
            }
        }
        let start = Date(timeIntervalSince1970: 1_714_557_600)
        func view(_ id: String, _ sku: String) -> Event {
            Event(id: id, type: .productView, time: start, visitorID: "v", sessionID: "s", sku: sku)
        }
        var order = Event(id: "o", type: .placeOrder, time: start, visitorID: "v", sessionID: "s")
        order.orderID = "order-1"
        order.lines = [OrderLine(sku: "BAG-2", quantity: 1, price: 5), OrderLine(sku: "gone", quantity: 2, price: 3),
                       OrderLine(sku: "bag-1", quantity: 1, price: 5)]
        // ASCII case folds (citext with COLLATE "C", like SQLite's NOCASE); É does not.
        let events = [view("a", "BAG-1"), view("b", "bag-1"), view("c", "Bag-2"), view("d", "étui-1"), view("e", "ÉTUI-1"),
                      view("f", "nope"), order, view("a", "BAG-1")]
        let reports = try stores.both.map { store in try EventStore(store: store).append(events) }
        #expect(reports[0].stored == reports[1].stored)
        #expect(reports[0].duplicates == reports[1].duplicates)
        #expect(reports[0].unknownSKUs == reports[1].unknownSKUs)
        #expect(reports[1].stored == 7)
        #expect(reports[1].unknownSKUs == 3)  // étui-1, nope, the line's "gone"
        let rows = try stores.both.map { store in
            try store.read { db in
                try db.map("""
                    SELECT e.event_key, coalesce(p.sku, '-') FROM events AS e LEFT JOIN products AS p ON p.product_id = e.product_id
                    ORDER BY e.event_key
                    """) { "\($0.text(at: 0))=\($0.text(at: 1))" }
                    + db.map("""
                        SELECT l.line, coalesce(p.sku, '-') FROM event_lines AS l LEFT JOIN products AS p ON p.product_id = l.product_id
                        ORDER BY l.line
                        """) { "line \($0.int(at: 0))=\($0.text(at: 1))" }
            }
        }
        #expect(rows[0] == rows[1])
        #expect(rows[1].contains("a=Bag-1") && rows[1].contains("d=-") && rows[1].contains("e=ÉTUI-1") && rows[1].contains("line 2=-"))
    }

    @Test func aLargeImportInsertsWithReturningAndAnalyzesTheCatalog() throws {
        let count = ImportRun.analyzeThreshold
        var csv = "sku,product_type,attribute_set_code,product_websites,name,price,related_skus\n"
        for index in 0..<count {
            csv += "P-\(index),simple,Default,base,Product \(index),\(10 + index % 7),P-\((index + 1) % count)\n"
        }
        let stores = try EngineConformanceTests.pair("speed_import")
        for store in stores.both {
            _ = try MagentoCSVImporter(store: store, options: ImportOptions()).importData(Data(csv.utf8), file: "large.csv")
        }
        let links = try stores.both.map { store in
            try store.read { db in
                try db.map("""
                    SELECT p.sku, q.sku FROM product_links AS l JOIN products AS p ON p.product_id = l.product_id
                    JOIN products AS q ON q.product_id = l.linked_product_id ORDER BY p.product_id
                    """) { "\($0.text(at: 0))>\($0.text(at: 1))" }
            }
        }
        #expect(links[0].count == count)
        #expect(links[0] == links[1])
        let analyzed = try stores.postgreSQL.read { db in
            try db.scalarInt("SELECT count(*) FROM pg_stat_user_tables WHERE relname IN ('products', 'product_links') AND last_analyze IS NOT NULL")
        }
        #expect(analyzed == 2)
    }
}
