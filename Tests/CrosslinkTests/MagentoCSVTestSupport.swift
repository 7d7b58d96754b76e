import Foundation
import Testing
@testable import Crosslink

/// Helpers shared by the Magento CSV import and export suites.
enum MagentoCSVTestSupport {
    static func importer(_ store: CrosslinkStore, separator: Character = ",", dryRun: Bool = false) -> MagentoCSVImporter {
        var options = ImportOptions()
        options.multipleValueSeparator = separator
        options.dryRun = dryRun
        return MagentoCSVImporter(store: store, options: options)
    }

    /// What Magento's tests create before importing their fixtures: website `test` (website.php)
    /// and store view `fixturestore` (core_fixturestore.php).
    static func addMagentoTestStores(_ store: CrosslinkStore) throws {
        try store.write { db in
            _ = try StoreRepository(db).ensureWebsite(code: "test", name: "Test Website")
            _ = try StoreRepository(db).upsertStore(code: "fixturestore", website: "base", name: "Fixture Store")
        }
    }

    /// The Luma sample's product CSV with the attribute sets its installer creates first.
    static func importSampleProducts(_ store: CrosslinkStore, dryRun: Bool = false) throws -> ImportReport {
        var options = ImportOptions()
        options.dryRun = dryRun
        options.attributeSets = sampleAttributeSets
        return try MagentoCSVImporter(store: store, options: options).importFile(at: sampleProducts)
    }

    static let sampleAttributeSets: Set<String> = ["Top", "Bottom"]

    static func importFixture(_ store: CrosslinkStore, _ file: String, separator: Character = ",") throws -> ImportReport {
        try importer(store, separator: separator).importFile(at: Fixtures.magentoImport(file))
    }

    static func importText(_ store: CrosslinkStore, _ text: String, file: String = "test.csv") throws -> ImportReport {
        try importer(store).importData(Data(text.utf8), file: file)
    }

    static var sampleProducts: URL {
        Fixtures.magentoSample.appending(path: "ConfigurableSampleData/products.csv")
    }

    /// Every row of every table (sorted, so the comparison is about content, not page order).
    static func dump(_ store: CrosslinkStore) throws -> [String: [String]] {
        try store.read { db in
            let tables = try db.rows("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").compactMap { row -> String? in
                if case .text(let name) = row[0] { return name }
                return nil
            }
            var result: [String: [String]] = [:]
            for table in tables {
                // Table names come from sqlite_schema; identifiers cannot be bound parameters.
                let quoted = "\"" + table.replacingOccurrences(of: "\"", with: "\"\"") + "\""
                result[table] = try db.rows("SELECT * FROM \(quoted)").map { $0.map(\.description).joined(separator: "|") }.sorted()
            }
            return result
        }
    }

    static func integrityCheck(_ store: CrosslinkStore) throws -> String? {
        try store.read { db in try db.scalarText("PRAGMA integrity_check") }
    }

    static func product(_ store: CrosslinkStore, _ sku: String) throws -> Product? {
        try store.read { db in try ProductRepository(db).product(sku: sku) }
    }

    static func links(_ store: CrosslinkStore, _ sku: String, _ type: LinkType) throws -> [ProductLink] {
        try store.read { db in try LinkRepository(db).links(sku: sku, type: type) }
    }

    static func categoryPaths(_ store: CrosslinkStore, _ sku: String) throws -> [String] {
        try store.read { db in
            try CategoryRepository(db).categories(productID: try ProductRepository(db).requireID(sku: sku)).map(\.namePath)
        }
    }

    static func websites(_ store: CrosslinkStore, _ sku: String) throws -> [String] {
        try store.read { db in try StoreRepository(db).websiteCodes(productID: try ProductRepository(db).requireID(sku: sku)) }
    }

    static func attributes(_ store: CrosslinkStore, _ sku: String) throws -> [String: [String]] {
        try store.read { db in
            let values = try AttributeRepository(db).values(productID: try ProductRepository(db).requireID(sku: sku))
            return Dictionary(uniqueKeysWithValues: values.map { ($0.code, $0.values) })
        }
    }

    static func children(_ store: CrosslinkStore, _ sku: String) throws -> [String] {
        try store.read { db in try ChildRepository(db).children(parentID: try ProductRepository(db).requireID(sku: sku)).map(\.sku) }
    }

    static func count(_ store: CrosslinkStore, _ sql: String, _ arguments: [any DatabaseValueConvertible] = []) throws -> Int {
        try store.read { db in try db.scalarInt(sql, arguments) ?? -1 }
    }

    /// Products as a test's Magento fixture would have created them before the import.
    static func seed(_ store: CrosslinkStore, _ products: [Product]) throws {
        try store.write { db in
            for product in products {
                let id = try ProductRepository(db).upsert(product)
                try StoreRepository(db).assign(productID: id, websiteIDs: [1])
            }
        }
    }

    /// A store holding the links fixture, for bad-input tests to leave unchanged.
    static func populatedWithLinks() throws -> (TemporaryDirectory, CrosslinkStore, [String: [String]]) {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        _ = try importFixture(store, "products_to_import_with_product_links.csv")
        return (dir, store, try dump(store))
    }
}
