import CSQLite
import Foundation
import Synchronization
import Testing
@testable import Crosslink

/// A PostgreSQL server that goes away in the middle of a write, seen through the store's API:
/// the caller gets an error naming host and database, nothing of the transaction is stored, and
/// the same store goes on (its pool opens a new connection). The writer's backend is terminated
/// from another connection (the real psql) at a progress report, well inside the transaction;
/// a whole server killed mid-statement is PostgreSQLErrorTests' (the connection layer).
@Suite(.requiresPostgreSQL, .serialized) struct PostgreSQLServerGoneTests {
    /// Terminates the backend that holds the store's write lock (an advisory lock) in `database`.
    static func terminateWriter(_ cluster: PostgreSQLCluster, database: String) -> Bool {
        (try? cluster.psql("""
            SELECT pg_terminate_backend(pid) FROM pg_locks
            WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = '\(database)')
            """)) == [["t"]]
    }

    /// Every table's row count, read through `store` (the same pool the failed write used).
    static func counts(_ store: CrosslinkStore) throws -> [String: Int] {
        try store.read { db in
            let tables = try db.rows("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename").compactMap { row -> String? in
                if case .text(let name) = row[0] { return name }
                return nil
            }
            var counts: [String: Int] = [:]
            for table in tables {
                // Names from pg_tables; an identifier cannot be a bound parameter.
                counts[table] = try db.scalarInt("SELECT count(*) FROM \"\(table)\"") ?? -1
            }
            return counts
        }
    }

    static func eventFile(_ path: String, count: Int, prefix: String) throws {
        let skus = PostgreSQLManyWritersTests.skus
        let lines = (0..<count).map { index in
            #"{"id":"\#(prefix)-\#(index)","type":"product-view","time":\#(1_780_000_000_000 + index * 1_000),"#
                + #""visitor_id":"v-\#(index % 500)","session_id":"s-\#(index % 1_500)","sku":"\#(skus[index % skus.count])"}"#
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: false, encoding: .utf8)
    }

    @Test func anEventIngestCutOffMidBatchStoresNothingAndTheStoreGoesOn() throws {
        let cluster = try #require(try PostgreSQLCluster.shared())
        let name = try cluster.makeDatabase("gone_events")
        let store = try CrosslinkStore(location: cluster.uri(database: name))
        defer { store.close() }
        _ = try MagentoSampleImporter(store: store).importSample()
        let directory = try TemporaryDirectory()
        try Self.eventFile(directory.path("first.jsonl"), count: 2_000, prefix: "first")
        #expect(try EventStore(store: store).importFile(at: directory.url.appending(path: "first.jsonl")).stored == 2_000)
        let before = try Self.counts(store)

        // 25,000 events in one transaction; the backend goes at the progress report after
        // 10,000, when ten chunks of 1,000 are stored and aggregated in it.
        let big = directory.url.appending(path: "big.jsonl")
        try Self.eventFile(big.path, count: 25_000, prefix: "big")
        let terminated = Mutex<Bool?>(nil)
        var options = EventIngestOptions()
        options.progress = { _ in
            terminated.withLock { if $0 == nil { $0 = Self.terminateWriter(cluster, database: name) } }
        }
        let error = #expect(throws: (any Error).self) { try EventStore(store: store, options: options).importFile(at: big) }
        #expect(terminated.withLock { $0 } == true)
        #expect(error is DatabaseError, "\(String(describing: error))")
        #expect("\(error.map { "\($0)" } ?? "")".contains("database \(name) on host \(cluster.directory) port \(cluster.port)"),
                "\(String(describing: error))")
        #expect((error as? DatabaseError)?.resultCode == SQLITE_IOERR)

        // Nothing half written; the store reconnects by itself and takes the file whole.
        #expect(try Self.counts(store) == before)
        let report = try EventStore(store: store).importFile(at: big)
        #expect(report.stored == 25_000)
        #expect(try store.read { db in try db.scalarInt("SELECT count(*) FROM events") } == 27_000)
        #expect(try store.check().items.first { $0.name == "aggregates equal a rebuild" }?.outcome == .ok)
    }

    @Test func aCatalogImportCutOffMidBatchStoresNothingAndTheStoreGoesOn() throws {
        let cluster = try #require(try PostgreSQLCluster.shared())
        let name = try cluster.makeDatabase("gone_catalog")
        let store = try CrosslinkStore(location: cluster.uri(database: name))
        defer { store.close() }
        _ = try MagentoSampleImporter(store: store).importSample()
        let before = try Self.counts(store)

        // 12,000 new products, each related to the next two: the backend goes at the progress
        // report after 10,000 rows written.
        var csv = "sku,product_type,attribute_set_code,name,price,related_skus\n"
        func sku(_ k: Int) -> String { "GONE-" + String(format: "%05d", k) }
        for k in 1...12_000 { csv += "\(sku(k)),simple,Default,Item \(k),\(k % 90 + 10),\"\(sku(k % 12_000 + 1)),\(sku((k + 1) % 12_000 + 1))\"\n" }
        let terminated = Mutex<Bool?>(nil)
        var options = ImportOptions()
        options.progress = { _ in
            terminated.withLock { if $0 == nil { $0 = Self.terminateWriter(cluster, database: name) } }
        }
        let error = #expect(throws: (any Error).self) {
            try MagentoCSVImporter(store: store, options: options).importData(Data(csv.utf8), file: "catalog.csv")
        }
        #expect(terminated.withLock { $0 } == true)
        #expect("\(error.map { "\($0)" } ?? "")".contains("database \(name) on host \(cluster.directory) port \(cluster.port)"),
                "\(String(describing: error))")

        #expect(try Self.counts(store) == before)
        let report = try MagentoCSVImporter(store: store).importData(Data(csv.utf8), file: "catalog.csv")
        #expect(report.productsCreated == 12_000)
        #expect(try Self.counts(store)["products"] == before["products"].map { $0 + 12_000 })
    }

    /// The CLI's "locked" message on PostgreSQL: the database by name, host and port, and the
    /// busy timeout the command really waited (not the default).
    @Test func aWriterThatWaitsOutItsBusyTimeoutSaysWhichDatabaseAndHowLong() throws {
        let cluster = try #require(try PostgreSQLCluster.shared())
        let name = try cluster.makeDatabase("gone_locked")
        let uri = cluster.uri(database: name)
        let store = try CrosslinkStore(location: uri)
        defer { store.close() }
        let directory = try TemporaryDirectory()
        try Self.eventFile(directory.path("events.jsonl"), count: 10, prefix: "locked")
        let holding = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        let holder = ConcurrencyTests.thread {
            _ = try? store.write { _ in
                holding.signal()
                release.wait()
            }
        }
        holding.wait()
        let result = try run(CLITests.executable, ["--database", uri, "--busy-timeout", "300", "events", "import", "--quiet",
                                                   directory.path("events.jsonl")])
        release.signal()
        holder.wait()
        #expect(result.status != 0)
        #expect(result.stderr.contains("database \(name) on host \(cluster.directory) port \(cluster.port) is locked"), "\(result.stderr)")
        #expect(result.stderr.contains("the whole 300 ms"), "\(result.stderr)")
        #expect(try store.read { db in try db.scalarInt("SELECT count(*) FROM events") } == 0)
    }

    /// A schema of another application and a newer Crosslink schema (refused by the library in
    /// PostgreSQLSchemaTests): the CLI's message names the database and the host, and the
    /// database is left as it was.
    @Test func foreignAndNewerSchemasAreRefusedNamingHostAndDatabase() throws {
        let cluster = try #require(try PostgreSQLCluster.shared())
        let foreign = try cluster.makeDatabase("gone_foreign")
        try cluster.psql("CREATE TABLE crosslink_database (database_id bigint PRIMARY KEY, application_id bigint, user_version bigint); "
                         + "INSERT INTO crosslink_database VALUES (1, 42, 0)", database: foreign)
        let newer = try cluster.makeDatabase("gone_newer")
        #expect(try run(CLITests.executable, ["--database", cluster.uri(database: newer), "init"]).status == 0)
        try cluster.psql("UPDATE crosslink_database SET user_version = user_version + 1", database: newer)
        let tablesBefore = try cluster.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", database: newer)
        for (database, says) in [(foreign, "application_id 42"), (newer, "newer")] {
            for arguments in [["init"], ["placement", "product", "24-MB01"]] {
                let result = try run(CLITests.executable, ["--database", cluster.uri(database: database)] + arguments)
                #expect(result.status != 0)
                #expect(result.stderr.contains(database) && result.stderr.contains(cluster.directory), "\(arguments): \(result.stderr)")
                #expect(result.stderr.contains(says), "\(arguments): \(result.stderr)")
            }
        }
        #expect(try cluster.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", database: foreign) == [["1"]])
        #expect(try cluster.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", database: newer) == tablesBefore)
    }
}
