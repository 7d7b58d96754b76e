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

    @Test func clusterPsqlSeesWhatTheConnectionWrote() throws {
        let (cluster, name, connection) = try Self.connect("psql_check")
        try connection.execute(script: "CREATE TABLE t(id int8 PRIMARY KEY, label text); INSERT INTO t VALUES (1, 'a'), (2, NULL)")
        #expect(try cluster.psql("SELECT id, label FROM t ORDER BY id", database: name) == [["1", "a"], ["2", "NULL"]])
        #expect(try cluster.psql("SELECT 1 WHERE false", database: name) == [])
    }
}
