import Foundation
import Testing
@testable import Crosslink

/// The mapped import on PostgreSQL: REES46 through the `rees46` mapping, with its catalog,
/// gives the same events, sessions, products, categories and brands on both engines.
@Suite(.requiresPostgreSQL) struct EventMappingConformanceTests {
    @Test func rees46GivesTheSameCountsAndCatalogOnBothEngines() throws {
        var options = MappedEventImporter.Options()
        options.createCatalog = true
        var reports: [MappedEventReport] = []
        let stores = try EngineConformanceTests.pair("mapping_rees46") { store in
            reports.append(try MappedEventImporter(store: store, mapping: try #require(EventMapping.builtIn("rees46")), options: options)
                .importFile(at: Fixtures.rees46Log))
        }
        #expect(reports.count == 2)
        #expect(reports[0] == reports[1])
        #expect(reports[0].ingest.stored == 17_434)
        #expect(reports[0].categoriesCreated == 148)
        let queries = [
            "SELECT type, count(*), count(DISTINCT session_id), count(DISTINCT visitor_id) FROM events GROUP BY type ORDER BY type",
            "SELECT count(*), sum(CASE WHEN product_id IS NULL THEN 1 ELSE 0 END) FROM event_lines",
            "SELECT count(*), CAST(round(CAST(sum(price) AS NUMERIC), 2) AS TEXT) FROM products",
            "SELECT name_path, level FROM categories ORDER BY name_path",
            """
            SELECT p.sku, c.name_path FROM products p JOIN product_categories pc ON pc.product_id = p.product_id
            JOIN categories c ON c.category_id = pc.category_id ORDER BY p.sku
            """,
            """
            SELECT p.sku, pa.value FROM products p JOIN product_attributes pa ON pa.product_id = p.product_id
            JOIN attributes a ON a.attribute_id = pa.attribute_id WHERE a.code = 'brand' ORDER BY p.sku
            """,
        ]
        for sql in queries {
            let rows = try stores.both.map { store in
                try store.read { db in try db.rows(sql).map { $0.map(\.description) } }
            }
            #expect(!rows[0].isEmpty, "\(sql)")
            #expect(rows[0] == rows[1], "\(sql)")
        }
        let types = try stores.postgreSQL.read { db in try db.rows("SELECT type, count(*) FROM events GROUP BY type ORDER BY type").map { $0.map(\.description) } }
        #expect(types == [["\"add-to-cart\"", "165"], ["\"place-order\"", "214"], ["\"product-view\"", "17055"]])
        try EventConformanceTests.expectSameAggregates(stores, "REES46 through the rees46 mapping")
    }
}
