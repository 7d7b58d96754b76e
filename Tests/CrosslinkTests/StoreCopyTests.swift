import Foundation
import Testing
@testable import Crosslink

/// `CrosslinkStore.copy` and `crosslink copy` between the engines, and reads from a streaming replica.
@Suite(.requiresPostgreSQL) struct StoreCopyTests {
    /// Every table's rows, sorted, as the sqlite3 CLI prints them.
    static func dump(_ path: String) throws -> [String: [[String]]] {
        var tables: [String: [[String]]] = [:]
        for row in try sqlite3Rows(path, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite%' AND name <> 'crosslink_migrations'") {
            tables[row[0]] = try sqlite3Rows(path, "SELECT * FROM \"\(row[0])\"").sorted { $0.lexicographicallyPrecedes($1) }
        }
        return tables
    }

    @Test func sqliteToPostgreSQLToSQLiteKeepsEveryRow() throws {
        let cluster = try #require(try PostgreSQLCluster.shared())
        let directory = try TemporaryDirectory()
        let original = directory.path("original.sqlite")
        do {
            let store = try CrosslinkStore(path: original)
            _ = try MagentoSampleImporter(store: store).importSample()
            store.close()
        }
        let uri = cluster.uri(database: try cluster.makeDatabase("copy_round_trip"))
        let there = try CrosslinkStore.copy(from: original, to: uri)
        #expect(there.isVerified, "\(there)")
        #expect(there.sampledProducts == 50)
        #expect((there.tables.first { $0.name == "products" }?.destinationRows ?? 0) > 1_000)
        #expect(there.tables.firstIndex { $0.name == "product_links" }! > there.tables.firstIndex { $0.name == "products" }!)

        let back = directory.path("back.sqlite")
        let cli = try run(CLITests.executable, ["copy", "--from", uri, "--to", back])
        #expect(cli.status == 0, "\(cli.stdout)\(cli.stderr)")
        #expect(cli.stdout.contains("placements of 50 sampled products (related, up-sell, cross-sell): identical"))
        #expect(cli.stdout.contains(": verified"))

        #expect(try Self.dump(back) == Self.dump(original))
        let exports = try [original, uri, back].map { location in
            let store = try CrosslinkStore(location: location)
            defer { store.close() }
            return try MagentoCSVExporter(store: store).export()
        }
        #expect(exports[0] == exports[1])
        #expect(exports[0] == exports[2])

        // Ids go on after the copied ones on PostgreSQL: a new website gets the next id.
        let store = try CrosslinkStore(location: uri)
        let maxID = try store.read { db in try db.scalarInt("SELECT max(website_id) FROM websites") } ?? 0
        let newID = try store.write { db in try db.scalarInt("INSERT INTO websites(code, name) VALUES ('copied_next', 'Next') RETURNING website_id") }
        #expect(newID == maxID + 1)
    }

    @Test func aStoreWithDataIsNeverADestination() throws {
        let cluster = try #require(try PostgreSQLCluster.shared())
        let directory = try TemporaryDirectory()
        let source = directory.path("source.sqlite")
        do {
            let store = try CrosslinkStore(path: source)
            _ = try MagentoSampleImporter(store: store).importSample()
            store.close()
        }
        let uri = cluster.uri(database: try cluster.makeDatabase("copy_refused"))
        #expect(try CrosslinkStore.copy(from: source, to: uri).isVerified)
        let before = try CrosslinkStore(location: uri).read { db in try db.scalarInt("SELECT count(*) FROM product_links") }
        #expect(throws: StoreError.self) { try CrosslinkStore.copy(from: source, to: uri) }
        #expect(try CrosslinkStore(location: uri).read { db in try db.scalarInt("SELECT count(*) FROM product_links") } == before)

        let cli = try run(CLITests.executable, ["copy", "--from", uri, "--to", source])
        #expect(cli.status != 0)
        #expect(cli.stderr.contains("cannot copy into \(source): it is not empty"))
    }

    @Test func readsAfterWritesSeeThemOnAStreamingReplica() throws {
        let primary = try #require(try PostgreSQLCluster.shared())
        let name = try primary.makeDatabase("replicated")
        // The schema first, so that the standby's base backup holds it.
        try CrosslinkStore(location: primary.uri(database: name)).close()
        let standby = try #require(try PostgreSQLCluster.startStandby(of: primary))
        defer { standby.stop() }
        let store = try CrosslinkStore(primary: primary.uri(database: name), replicas: [standby.uri(database: name)], readYourWrites: true)
        defer { store.close() }
        for index in 0..<20 {
            try store.write { db in try db.execute("INSERT INTO websites(code, name) VALUES (?, ?)", ["site\(index)", "Site \(index)"]) }
            let (found, onStandby) = try store.read { db in
                (try db.scalarInt("SELECT count(*) FROM websites WHERE code = ?", ["site\(index)"]),
                 try db.scalarInt("SELECT CASE WHEN pg_is_in_recovery() THEN 1 ELSE 0 END"))
            }
            #expect(found == 1, "write \(index) not seen")
            #expect(onStandby == 1, "read \(index) not served by the standby")
        }
        // The standby refuses writes: the store sends them to the primary.
        #expect(throws: DatabaseError.self) {
            let direct = try CrosslinkStore(location: standby.uri(database: name), configuration: { var c = Configuration(); c.readOnly = true; return c }())
            try direct.pool.read { db in try db.execute("INSERT INTO websites(code, name) VALUES ('x', 'x')") }
        }
    }
}
