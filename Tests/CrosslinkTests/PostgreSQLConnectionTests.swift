import Foundation
import Testing
@testable import Crosslink

/// The libpq client on a real throwaway server (``PostgreSQLCluster``): URIs, prepared
/// statements, scripts, COPY binary, pipelines and every kind of failure a caller meets.
@Suite(.requiresPostgreSQL) struct PostgreSQLConnectionTests {
    /// A connection to a fresh database of the shared cluster.
    static func connect(_ prefix: String) throws -> (PostgreSQLCluster, String, PostgreSQLConnection) {
        let cluster = try #require(try PostgreSQLCluster.shared())
        let name = try cluster.makeDatabase(prefix)
        return (cluster, name, try PostgreSQLConnection(uri: cluster.uri(database: name)))
    }

    // MARK: Connecting

    @Test func connectsWithBothURIForms() throws {
        let cluster = try #require(try PostgreSQLCluster.shared())
        let name = try cluster.makeDatabase("uri_forms")
        for uri in [cluster.uri(database: name), cluster.localhostURI(database: name)] {
            let connection = try PostgreSQLConnection(uri: uri)
            #expect(connection.uri == uri)
            #expect(connection.host == cluster.directory)
            #expect(connection.port == "\(cluster.port)")
            #expect(connection.database == name)
            #expect(connection.user == "postgres")
            #expect(try connection.query("SELECT current_database()").text(row: 0, column: 0) == name)
            #expect(connection.serverVersion >= 150_000)
            #expect(!connection.isBroken)
            connection.close()
            connection.close()  // idempotent
            #expect(connection.isBroken)
            let error = #expect(throws: DatabaseError.self) { try connection.query("SELECT 1") }
            #expect(error?.sqlState == "08003")
        }
    }

    @Test func theURIOverridesTheClientsDefaults() throws {
        let cluster = try #require(try PostgreSQLCluster.shared())
        let name = try cluster.makeDatabase("defaults")
        let plain = try PostgreSQLConnection(uri: cluster.uri(database: name))
        #expect(try plain.query("SELECT current_setting('application_name')").text(row: 0, column: 0) == "crosslink")
        let named = try PostgreSQLConnection(uri: cluster.uri(database: name) + "&application_name=shop-app&connect_timeout=3")
        #expect(try named.query("SELECT current_setting('application_name')").text(row: 0, column: 0) == "shop-app")
        let keywords = try PostgreSQLConnection(uri: "host=\(cluster.directory) port=\(cluster.port) dbname=\(name) user=postgres application_name=kv")
        #expect(try keywords.query("SELECT current_setting('application_name')").text(row: 0, column: 0) == "kv")
        #expect(keywords.database == name)
    }

    @Test func clusterPsqlSeesWhatTheConnectionWrote() throws {
        let (cluster, name, connection) = try Self.connect("psql_check")
        try connection.execute(script: "CREATE TABLE t(id int8 PRIMARY KEY, label text); INSERT INTO t VALUES (1, 'a'), (2, NULL)")
        #expect(try cluster.psql("SELECT id, label FROM t ORDER BY id", database: name) == [["1", "a"], ["2", "NULL"]])
        #expect(try cluster.psql("SELECT 1 WHERE false", database: name) == [])
    }
}

extension PostgreSQLConnectionTests {
    // MARK: Values

    @Test func preparedStatementRoundTripsEveryKindOfValue() throws {
        let (_, _, connection) = try Self.connect("values")
        try connection.execute(script: "CREATE TABLE v(id int8 PRIMARY KEY, i int8, r float8, t text, b bytea, f bool)")
        let insert = try connection.prepare("INSERT INTO v(id, i, r, t, b, f) VALUES ($1, $2, $3, $4, $5, $6)")
        #expect(insert.name.hasPrefix("crosslink_"))
        let largeText = String(repeating: "Grüße, 日本語 🛒 ", count: 60_000)  // ~1.3 MB
        let allBytes = (0...255).map(UInt8.init) + [0, 0, 255]
        let rows: [[DatabaseValue]] = [
            [.integer(1), .integer(Int64.max), .real(0.1), .text("Grüße 🛒 日本語 \u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}"), .blob(allBytes), .integer(1)],
            [.integer(2), .integer(Int64.min), .real(-1e300), .text(""), .blob([]), .integer(0)],
            [.integer(3), .integer(0), .real(.infinity), .text("it's \"quoted\" \\ and ; DROP TABLE v; --"), .null, .null],
            [.integer(4), .null, .real(-.infinity), .text(largeText), .blob(Array(repeating: 7, count: 1_000_000)), .integer(1)],
            [.integer(5), .integer(-42), .real(.leastNonzeroMagnitude), .null, .blob([0]), .integer(0)],
            [.integer(6), .integer(7), .null, .text("x"), .null, .null],
        ]
        for row in rows {
            #expect(try connection.run(insert, row).affectedRows == 1)
        }
        let select = try connection.prepare("SELECT id, i, r, t, b, f FROM v WHERE id = $1")
        for row in rows {
            let result = try connection.run(select, [row[0]])
            #expect(result.rowCount == 1)
            #expect(result.columnCount == 6)
            let read = (0..<6).map { result.value(row: 0, column: $0) }
            #expect(read == row, "row \(row[0])")
        }
        // NaN is not equal to itself: checked apart.
        try connection.run(insert, [.integer(7), .null, .real(.nan), .null, .null, .null])
        let nan = try connection.run(select, [.integer(7)])
        #expect(nan.double(row: 0, column: 2).isNaN)
        #expect(nan.text(row: 0, column: 2) == "NaN")
        // Doubles come back bit for bit (shortest round-trip text both ways).
        let doubles: [Double] = [0.1, 1.0 / 3.0, 123_456.789e-10, Double.pi, -Double.ulpOfOne, Double.greatestFiniteMagnitude]
        for d in doubles {
            #expect(try connection.query("SELECT $1::float8", [.real(d)]).double(row: 0, column: 0) == d)
        }
    }

    @Test func resultAccessorsFollowSQLitesColumnFunctions() throws {
        let (_, _, connection) = try Self.connect("accessors")
        let result = try connection.query("""
            SELECT 42::int4 AS "Answer", 3.0::numeric AS n, 2.5::float4 AS f, true AS yes, false AS no,
                   NULL::int8 AS nothing, 'abc' AS word, '\\x00ff'::bytea AS bytes, 7::int2 AS small
            """)
        #expect(result.columnName(at: 0) == "Answer")
        #expect(result.columnIndex("Answer") == 0)
        #expect(result.columnIndex("answer") == nil)
        #expect(result.columnIndex("small") == 8)
        #expect(result.int(row: 0, column: 0) == 42)
        #expect(result.int(row: 0, column: 1) == 3)
        #expect(result.double(row: 0, column: 1) == 3.0)
        #expect(result.value(row: 0, column: 1) == .real(3))
        #expect(result.value(row: 0, column: 2) == .real(2.5))
        #expect(result.int(row: 0, column: 3) == 1)
        #expect(result.int(row: 0, column: 4) == 0)
        #expect(result.value(row: 0, column: 3) == .integer(1))
        #expect(result.value(row: 0, column: 4) == .integer(0))
        #expect(result.isNull(row: 0, column: 5))
        #expect(!result.isNull(row: 0, column: 0))
        #expect(result.int(row: 0, column: 5) == 0)
        #expect(result.double(row: 0, column: 5) == 0)
        #expect(result.text(row: 0, column: 5) == "")
        #expect(result.value(row: 0, column: 5) == .null)
        #expect(result.int(row: 0, column: 6) == 0)
        #expect(result.value(row: 0, column: 6) == .text("abc"))
        #expect(result.value(row: 0, column: 7) == .blob([0, 255]))
        #expect(result.value(row: 0, column: 8) == .integer(7))
        // Parameters with type OID 0 take the type their place in the statement gives them.
        #expect(try connection.query("SELECT $1 + 1", [.integer(41)]).value(row: 0, column: 0) == .integer(42))
        #expect(try connection.query("SELECT $1", [.text("t")]).value(row: 0, column: 0) == .text("t"))
        #expect(try connection.query("SELECT $1", [.blob([1, 2])]).value(row: 0, column: 0) == .blob([1, 2]))
        #expect(try connection.query("SELECT $1::float8 * 2", [.integer(3)]).value(row: 0, column: 0) == .real(6))
    }

    @Test func textWithNULIsRefusedNotTruncated() throws {
        let (_, _, connection) = try Self.connect("nul_text")
        let error = #expect(throws: DatabaseError.self) { try connection.query("SELECT $1::text", [.text("a\u{0}b")]) }
        #expect(error?.sqlState == "22021")
        #expect(error?.message.contains("parameter $1") == true)
        #expect(!connection.isBroken)
    }

    // MARK: Scripts, pipelines, transactions

    @Test func scriptRunsSeveralStatementsAsOneTransaction() throws {
        let (cluster, name, connection) = try Self.connect("script")
        try connection.execute(script: """
            CREATE TABLE a(x int8 PRIMARY KEY);
            CREATE TABLE b(y text NOT NULL);
            INSERT INTO a VALUES (1), (2), (3);
            INSERT INTO b SELECT 'n' || x FROM a;
            """)
        #expect(try cluster.psql("SELECT count(*), string_agg(y, ',' ORDER BY y) FROM b", database: name) == [["3", "n1,n2,n3"]])
        // A failing statement undoes the ones before it in the same script.
        let error = #expect(throws: DatabaseError.self) {
            try connection.execute(script: "INSERT INTO a VALUES (10); INSERT INTO a VALUES (1)")
        }
        #expect(error?.sqlState == "23505")
        #expect(try cluster.psql("SELECT count(*) FROM a", database: name) == [["3"]])
        #expect(connection.transactionStatus == .idle)
        // Empty script: nothing to do, no error.
        try connection.execute(script: "")
    }

    @Test func transactionStatusFollowsBeginCommitAndFailure() throws {
        let (_, _, connection) = try Self.connect("transactions")
        try connection.execute(script: "CREATE TABLE t(x int8 PRIMARY KEY)")
        #expect(connection.transactionStatus == .idle)
        #expect(!connection.isInTransaction)
        try connection.execute(script: "BEGIN")
        #expect(connection.transactionStatus == .inTransaction)
        #expect(connection.isInTransaction)
        try connection.query("INSERT INTO t VALUES ($1)", [.integer(1)])
        #expect(throws: DatabaseError.self) { try connection.query("INSERT INTO t VALUES ($1)", [.integer(1)]) }
        #expect(connection.transactionStatus == .inError)
        #expect(connection.isInTransaction)
        let aborted = #expect(throws: DatabaseError.self) { try connection.query("SELECT 1") }
        #expect(aborted?.sqlState == "25P02")
        try connection.execute(script: "ROLLBACK")
        #expect(connection.transactionStatus == .idle)
        #expect(try connection.query("SELECT count(*) FROM t").int(row: 0, column: 0) == 0)
    }

    @Test func pipelineRunsEveryStepInOneRoundTrip() throws {
        let (_, _, connection) = try Self.connect("pipeline")
        try connection.execute(script: "CREATE TABLE t(id int8 PRIMARY KEY, label text)")
        let insert = try connection.prepare("INSERT INTO t VALUES ($1, $2)")
        let count = try connection.prepare("SELECT count(*) FROM t")
        let byID = try connection.prepare("SELECT label FROM t WHERE id = $1")
        let results = try connection.pipeline([
            (insert, [.integer(1), .text("one")]),
            (insert, [.integer(2), .text("two")]),
            (count, []),
            (byID, [.integer(2)]),
            (byID, [.integer(99)]),
        ])
        #expect(results.count == 5)
        #expect(results[0].affectedRows == 1)
        #expect(results[2].int(row: 0, column: 0) == 2)
        #expect(results[3].text(row: 0, column: 0) == "two")
        #expect(results[4].rowCount == 0)
        #expect(try connection.pipeline([]).isEmpty)

        // A failing step: its error is thrown, the steps after it do not run and the steps
        // before it are rolled back (one implicit transaction up to the sync).
        let error = #expect(throws: DatabaseError.self) {
            try connection.pipeline([(insert, [.integer(3), .text("three")]), (insert, [.integer(1), .text("again")]),
                                     (insert, [.integer(4), .text("four")])])
        }
        #expect(error?.sqlState == "23505")
        #expect(error?.sql == insert.sql)
        #expect(try connection.run(count).int(row: 0, column: 0) == 2)
        // The connection left pipeline mode and works as before.
        #expect(connection.transactionStatus == .idle)
        #expect(try connection.run(byID, [.integer(1)]).text(row: 0, column: 0) == "one")
    }
}
