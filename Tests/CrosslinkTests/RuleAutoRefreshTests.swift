import Foundation
import Testing
@testable import Crosslink

/// The rule cache follows every write path by itself: imports (in bulk mode) and rule changes
/// refresh it before they commit, so the next placement reads fresh cached results; and bulk
/// mode leaves exactly what the per-row triggers would have left.
@Suite struct RuleAutoRefreshTests {
    /// The sample with RuleCacheTests' five rules, cache built.
    static func built() throws -> (TemporaryDirectory, CrosslinkStore, String) {
        let (dir, store, path) = try RuleCacheTests.seeded()
        try store.write { db in _ = try RuleCache(db).refresh() }
        return (dir, store, path)
    }

    static func upToDate(_ path: String) throws -> Bool {
        try sqlite3Rows(path, """
            SELECT (SELECT count(*) FROM rule_cache_dirty), (SELECT full_rebuild FROM rule_cache_state),
                   (SELECT bulk FROM catalog_write_mode), (SELECT count(*) FROM rules WHERE active = 1 AND rule_id NOT IN (SELECT rule_id FROM rule_cache_rules))
            """) == [["0", "0", "0", "0"]]
    }

    /// "Bags: pricier bags" for 24-MB01, written by hand: displayable bags sharing a category with
    /// it, priced ≥ its 34.00, by product id, 4.
    static let pricierThanMB01 = """
        SELECT d.sku FROM displayable_products AS d JOIN products AS p ON p.product_id = d.product_id
        WHERE d.store = 'default' AND p.attribute_set = 'Bag' AND d.final_price >= 34 AND d.sku <> '24-MB01'
          AND EXISTS (SELECT 1 FROM product_categories AS a JOIN product_categories AS b ON b.category_id = a.category_id
                      WHERE a.product_id = d.product_id AND b.product_id = (SELECT product_id FROM products WHERE sku = '24-MB01'))
        ORDER BY d.product_id LIMIT 4
        """

    @Test func aCSVImportRefreshesTheCacheBeforeItCommits() throws {
        let (dir, store, path) = try Self.built()
        #expect(try sqlite3Rows(path, Self.pricierThanMB01).map { $0[0] } == ["24-MB03", "24-MB05", "24-MB06", "24-MB02"])
        // 24-MB03 (38.00) drops to 20; 24-MB05 leaves Gear/Bags; a new bag comes in (a Magento CSV, bulk mode).
        let csv = """
            sku,product_type,attribute_set_code,name,price,qty,categories,product_websites
            24-MB03,,,,20,,,
            24-MB05,,,,,,Default Category/Gear/Watches,
            NEW-BAG,simple,Bag,New Duffle,99,5,Default Category/Gear/Bags,base

            """
        let file = dir.path("update.csv")
        try Data(csv.utf8).write(to: URL(fileURLWithPath: file))
        _ = try MagentoCSVImporter(store: store).importFile(at: URL(fileURLWithPath: file))
        #expect(try Self.upToDate(path))
        #expect(try RuleCacheTests.cacheUsable(store))
        // 24-MB03 is too cheap now, 24-MB05 shares no category with 24-MB01 (Gear, Gear/Bags) any
        // more: the next by id are 24-MB06 45, 24-MB02 59, 24-UB02 74, 24-WB03 36.
        let expected = try sqlite3Rows(path, Self.pricierThanMB01).map { $0[0] }
        #expect(expected == ["24-MB06", "24-MB02", "24-UB02", "24-WB03"])
        #expect(try sqlite3Rows(path, """
            SELECT sku FROM rule_result_list WHERE rule = 'Bags: pricier bags' AND matched_sku = '24-MB01' AND sku <> '24-MB01'
            ORDER BY position LIMIT 4
            """).map { $0[0] } == expected)
        #expect(try store.read { db in try Placements(db).upsells(for: "24-MB01") }.map(\.sku) == expected)
        // The new bag (in Gear/Bags, so in Gear too) matched the rules on Gear/Bags and on Gear.
        #expect(try sqlite3Rows(path, """
            SELECT r.name FROM rule_matches AS m JOIN products AS p USING (product_id) JOIN rules AS r USING (rule_id)
            WHERE p.sku = 'NEW-BAG' ORDER BY 1
            """) == [["Bags: pricier bags"], ["Gear: same activity"]])
        // What the refresh left equals a full rebuild.
        let refreshed = try RuleCacheTests.dump(path)
        try store.write { db in _ = try RuleCache(db).rebuild() }
        #expect(try RuleCacheTests.dump(path) == refreshed)
    }

    @Test func theSampleImportRefreshesTheCache() throws {
        let (_, store, path) = try Self.built()
        let uncached = try RuleCacheTests.blocks(store)
        // Importing the sample again rewrites every product (more than 2000: a full rebuild).
        _ = try MagentoSampleImporter(store: store).importSample()
        #expect(try Self.upToDate(path))
        #expect(try RuleCacheTests.blocks(store) == uncached)
    }

    @Test func aFailedImportLeavesCacheAndBulkModeAsTheyWere() throws {
        let (dir, store, path) = try Self.built()
        let before = try RuleCacheTests.dump(path)
        let file = dir.path("bad.csv")
        try Data("sku,price\n24-MB03,20\n24-MB04,cheap\n".utf8).write(to: URL(fileURLWithPath: file))
        #expect(throws: InputError.self) { try MagentoCSVImporter(store: store).importFile(at: URL(fileURLWithPath: file)) }
        #expect(try Self.upToDate(path))
        #expect(try sqlite3Rows(path, "SELECT price FROM products WHERE sku = '24-MB03'") == [["38.0"]])
        #expect(try RuleCacheTests.dump(path) == before)
    }

    @Test func ruleChangesBuildTheirResultsAtOnce() throws {
        let (_, store, path) = try Self.built()
        let added = Rule(name: "Watches: cheaper", appliesTo: .related, limit: 2, match: .all([.condition("category", .equal, "Gear/Watches")]),
                         display: .all([.condition("category", .equal, "Gear/Watches"), .condition("price", .less, .percentOfMatched(100))]))
        try store.write { db in _ = try RuleRepository(db).add(added) }
        #expect(try Self.upToDate(path))
        // Watches cheaper than 24-MG01 (Endurance Watch, 49.00), by product id, 2: read from the sample.
        let cheaper = try sqlite3Rows(path, """
            SELECT d.sku FROM displayable_products AS d JOIN product_categories AS pc ON pc.product_id = d.product_id
            WHERE d.store = 'default' AND pc.category_id = (SELECT category_id FROM categories WHERE name_path = 'Default Category/Gear/Watches')
              AND d.final_price < 49 ORDER BY d.product_id LIMIT 2
            """).map { $0[0] }
        #expect(cheaper.count == 2)
        #expect(try sqlite3Rows(path, """
            SELECT sku FROM rule_result_list WHERE rule = 'Watches: cheaper' AND matched_sku = '24-MG01' ORDER BY position LIMIT 2
            """).map { $0[0] } == cheaper)
        var changed = added
        changed.limit = 1
        try store.write { db in _ = try RuleRepository(db).save(changed) }
        #expect(try Self.upToDate(path))
        #expect(try sqlite3Rows(path, "SELECT count(DISTINCT list_id) > 0 FROM rule_lists WHERE rule_id = (SELECT rule_id FROM rules WHERE name = 'Watches: cheaper')")
                == [["1"]])
        // Cleared, the cache stays off: rule and catalog writes no longer build it.
        try store.write { db in try RuleCache(db).clear() }
        try store.write { db in try RuleRepository(db).setActive(true, name: "Watches: cheaper") }
        _ = try MagentoCSVImporter(store: store).importData(Data("sku,price\n24-MG01,50\n".utf8), file: "p.csv")
        #expect(try sqlite3Rows(path, "SELECT (SELECT count(*) FROM rule_cache_rules), (SELECT enabled FROM rule_cache_state)") == [["0", "0"]])
    }

    /// An upsert of an existing product while results are cached (the triggers' marks must not
    /// collide with the upsert's conflict clause), then refreshIfStale as a write path calls it.
    @Test func upsertingAnExistingProductMarksItAndRefreshes() throws {
        let (_, store, path) = try Self.built()
        try store.write { db in
            var product = try #require(try ProductRepository(db).product(sku: "24-MB03"))
            product.price = 20
            _ = try ProductRepository(db).upsert(product)
            _ = try ProductRepository(db).upsert(product)
            #expect(try db.scalarInt("SELECT count(*) FROM rule_cache_dirty") == 1)
            #expect(try RuleCache(db).refreshIfStale()?.changedProducts == 1)
            #expect(try RuleCache(db).refreshIfStale() == nil)
        }
        #expect(try Self.upToDate(path))
        #expect(try store.read { db in try Placements(db).upsells(for: "24-MB01") }.map(\.sku)
                == ["24-MB05", "24-MB06", "24-MB02", "24-UB02"])
    }

    @Test
    func repositoryWritesRefreshTheCache() throws {
        let (_, store, path) = try Self.built()
        try store.write { db in
            let products = ProductRepository(db)
            try db.execute("UPDATE products SET price = 20 WHERE sku = '24-MB03'")
            let id = try products.upsert(Product(sku: "NEW-BAG", name: "New Bag", attributeSet: "Bag", price: 99, qty: 10))
            try StoreRepository(db).assign(productID: id, websiteIDs: [1])
            try CategoryRepository(db).setCategories(productID: id, paths: [["Gear", "Bags"]])
            try AttributeRepository(db).set(productID: try products.requireID(sku: "24-MG02"), code: "material", values: ["Rubber"])
        }
        #expect(try Self.upToDate(path))
        try store.write { db in try db.execute("UPDATE categories SET name = 'Backpacks' WHERE category_id = 3") }
        #expect(try Self.upToDate(path))
    }

    @Test func bulkImportIndexesNamesAsThePerRowTriggersDo() throws {
        let (dir, store, path) = try RuleSample.copy()
        let csv = """
            sku,product_type,attribute_set_code,name,price,product_websites
            24-MB01,,,Joust Duffle Sack,,
            24-MB04,,,,33,
            ODD-1,simple,Bag,"Oddly-named (Tote), Mk.2",10,base

            """
        let file = dir.path("names.csv")
        try Data(csv.utf8).write(to: URL(fileURLWithPath: file))
        _ = try MagentoCSVImporter(store: store).importFile(at: URL(fileURLWithPath: file))
        func words(_ sku: String) throws -> [String] {
            try sqlite3Rows(path, "SELECT w.word FROM product_words AS w JOIN products AS p USING (product_id) WHERE p.sku = '\(sku)' ORDER BY 1").map { $0[0] }
        }
        // Lower-cased runs between spaces and punctuation, 2 characters or more ("2" is dropped).
        #expect(try words("24-MB01") == ["duffle", "joust", "sack"])
        #expect(try words("ODD-1") == ["mk", "named", "oddly", "tote"])
        #expect(try words("24-MB04") == ["pack", "shoulder", "strive"])
        // The whole index equals the view the triggers insert from, both ways.
        #expect(try sqlite3Rows(path, """
            SELECT (SELECT count(*) FROM (SELECT word, product_id FROM product_name_words EXCEPT SELECT word, product_id FROM product_words)),
                   (SELECT count(*) FROM (SELECT word, product_id FROM product_words EXCEPT SELECT word, product_id FROM product_name_words)),
                   (SELECT bulk FROM catalog_write_mode)
            """) == [["0", "0", "0"]])
    }
}
