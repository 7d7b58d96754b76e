import Foundation
import Testing
@testable import Crosslink

/// The same data on SQLite and on PostgreSQL gives the same answers: each test builds one store
/// per engine from the same input and compares what the library returns.
@Suite(.requiresPostgreSQL) struct EngineConformanceTests {
    /// A SQLite store in a temporary directory and a PostgreSQL store in a fresh database of the
    /// shared test cluster, both filled by `fill`.
    struct Pair {
        let directory: TemporaryDirectory
        let sqlite: CrosslinkStore
        let postgreSQL: CrosslinkStore
        var both: [CrosslinkStore] { [sqlite, postgreSQL] }
    }

    static func pair(_ name: String, fill: (CrosslinkStore) throws -> Void = { _ in }) throws -> Pair {
        let cluster = try #require(try PostgreSQLCluster.shared())
        let directory = try TemporaryDirectory()
        let sqlite = try CrosslinkStore(location: directory.path("conformance.sqlite"))
        let postgreSQL = try CrosslinkStore(location: cluster.uri(database: try cluster.makeDatabase(name)))
        #expect(sqlite.engine == .sqlite)
        #expect(postgreSQL.engine == .postgresql)
        try fill(sqlite)
        try fill(postgreSQL)
        return Pair(directory: directory, sqlite: sqlite, postgreSQL: postgreSQL)
    }

    @Test func migrationsRecordTheSameVersionsAndNames() throws {
        let stores = try Self.pair("migrations")
        let recorded = try stores.both.map { store in
            try store.read { db in try db.rows("SELECT version, name FROM crosslink_migrations ORDER BY version") }
        }
        #expect(recorded[0].count == Migration.crosslink.count)
        #expect(recorded[0] == recorded[1])
    }

    @Test func theMagentoSampleGivesTheSamePlacements() throws {
        let stores = try Self.pair("magento_sample") { store in
            _ = try MagentoSampleImporter(store: store).importSample(at: Fixtures.magentoSample)
        }
        let counts = try stores.both.map { store in
            try store.read { db in
                try ["products", "product_links", "product_categories", "product_children", "product_attributes"].map { table in
                    try db.scalarInt("SELECT count(*) FROM \(table)") ?? -1
                }
            }
        }
        #expect(counts[0] == counts[1])
        #expect(counts[0][0] > 1_000)
        let skus = try stores.sqlite.read { db in
            try db.prepare("SELECT sku FROM products ORDER BY product_id").map { $0.text(at: 0) }
        }
        // Every 7th product and every product with links: the placements of both engines, with reasons.
        let linked = Set(try stores.sqlite.read { db in
            try db.prepare("SELECT DISTINCT p.sku FROM product_links AS l JOIN products AS p ON p.product_id = l.product_id").map { $0.text(at: 0) }
        })
        let sample = skus.enumerated().filter { $0.offset % 7 == 0 || linked.contains($0.element) }.map(\.element)
        var compared = 0
        for sku in sample {
            let answers = try stores.both.map { store in
                try store.read { db in
                    let placements = Placements(db)
                    return [try placements.related(for: sku), try placements.upsells(for: sku), try placements.crossSells(cart: [sku])]
                        .map { $0.map { "\($0.sku) \($0.reason)" } }
                }
            }
            #expect(answers[0] == answers[1], "placements of \(sku)")
            compared += answers[0].joined().count
        }
        #expect(compared > 100)
    }

    @Test func magentoCSVImportAndExportAgree() throws {
        let stores = try Self.pair("magento_csv") { store in
            _ = try MagentoSampleImporter(store: store).importSample(at: Fixtures.magentoSample)
        }
        let exports = try stores.both.map { try MagentoCSVExporter(store: $0).export() }
        Self.expectSameExports(exports)
        #expect(exports[0].count > 10_000)
    }

    /// Every Magento import test file, imported on top of the sample (skip mode, so files with
    /// refused rows still import the rest): the same report and the same export on both engines.
    @Test func everyMagentoImportFileGivesTheSameReportAndExport() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Fixtures.magentoImport.path)
            .filter { $0.hasSuffix(".csv") }.sorted()
        #expect(files.count >= 10)
        let stores = try Self.pair("magento_files") { store in
            _ = try MagentoSampleImporter(store: store).importSample(at: Fixtures.magentoSample)
        }
        var options = ImportOptions()
        options.onError = .skip
        for file in files {
            let reports = stores.both.map { store in
                Result { try MagentoCSVImporter(store: store, options: options).importFile(at: Fixtures.magentoImport(file)) }
            }
            switch (reports[0], reports[1]) {
            case (.success(let sqlite), .success(let postgreSQL)):
                #expect(sqlite.errors == postgreSQL.errors, "\(file)")
                #expect(sqlite.warnings == postgreSQL.warnings, "\(file)")
                let counts: [[Int]] = [sqlite, postgreSQL].map { [$0.productsCreated, $0.productsUpdated, $0.categoriesCreated, $0.rowsSkipped] }
                #expect(counts[0] == counts[1], "\(file)")
                #expect(sqlite.links == postgreSQL.links, "\(file)")
            case (.failure(let sqlite), .failure(let postgreSQL)):
                #expect("\(sqlite)" == "\(postgreSQL)", "\(file)")
            default:
                Issue.record("\(file): SQLite \(reports[0]), PostgreSQL \(reports[1])")
            }
        }
        Self.expectSameExports(try stores.both.map { try MagentoCSVExporter(store: $0).export() })
    }

    /// The two Magento exports have the same lines, but for their last two columns (created_at and
    /// updated_at: the time of each import); the first differing line is shown.
    static func expectSameExports(_ exports: [String]) {
        let lines = exports.map { export in
            export.split(separator: "\n", omittingEmptySubsequences: false).map { line in
                var line = line
                for _ in 0..<2 { if let comma = line.lastIndex(of: ",") { line = line[..<comma] } }
                return line
            }
        }
        #expect(lines[0].count == lines[1].count)
        for (sqlite, postgreSQL) in zip(lines[0], lines[1]) where sqlite != postgreSQL {
            Issue.record("export differs:\nSQLite:     \(sqlite)\nPostgreSQL: \(postgreSQL)")
            break
        }
    }
}
