import CSQLite
import Foundation
import Testing
@testable import Crosslink

/// What a caller sees when PostgreSQL says no: a ``DatabaseError`` naming the SQLSTATE, the
/// host, port and database and the SQL, with the SQLite code of the same kind of failure.
@Suite(.requiresPostgreSQL) struct PostgreSQLErrorTests {
    @Test func aURIThatLibpqCannotParseQuotesLibpq() throws {
        let cluster = try #require(try PostgreSQLCluster.shared())
        let cases = [
            (cluster.uri(database: "postgres") + "&colour=blue", #"invalid URI query parameter: "colour""#),
            ("postgresql://user:secret@[::1/shop", #"matching "]" in IPv6 host address in URI: "postgresql://user:***@[::1/shop""#),
        ]
        for (uri, libpqSays) in cases {
            let error = #expect(throws: DatabaseError.self) { try PostgreSQLConnection(uri: uri) }
            #expect(error?.description.contains("invalid PostgreSQL connection URI") == true, "\(uri)")
            #expect(error?.description.contains(libpqSays) == true, "\(error?.description ?? "") should quote libpq: \(libpqSays)")
            #expect(error?.resultCode == SQLITE_CANTOPEN)
            // The password stays out of messages.
            #expect(error?.description.contains("secret") == false)
        }
        // Parsed, but refused by libpq when it connects.
        let option = #expect(throws: DatabaseError.self) {
            try PostgreSQLConnection(uri: "postgresql://user:secret@localhost:5432/shop?sslmode=sometimes")
        }
        #expect(option?.description.contains(#"cannot connect to PostgreSQL database shop on host localhost port 5432: invalid sslmode value: "sometimes""#) == true)
    }

    @Test func anUnknownDatabaseNamesHostPortAndDatabase() throws {
        let cluster = try #require(try PostgreSQLCluster.shared())
        let error = #expect(throws: DatabaseError.self) { try PostgreSQLConnection(uri: cluster.uri(database: "no_such_shop")) }
        let description = error?.description ?? ""
        #expect(description.hasPrefix("PostgreSQL error 08001 sqlclient_unable_to_establish_sqlconnection: cannot connect to PostgreSQL database no_such_shop on host \(cluster.directory) port \(cluster.port): "))
        #expect(description.contains(#"database "no_such_shop" does not exist"#))
        #expect(error?.database == "no_such_shop")
        #expect(error?.host == cluster.directory)
        #expect(error?.port == "\(cluster.port)")
        #expect(error?.resultCode == SQLITE_CANTOPEN)
        // The place is said once.
        #expect(description.components(separatedBy: "port \(cluster.port)").count == 2)
    }

    @Test func nobodyListeningIsACannotConnectError() throws {
        let directory = try TemporaryDirectory()
        let error = #expect(throws: DatabaseError.self) {
            try PostgreSQLConnection(uri: "postgresql://postgres@/shop?host=\(directory.url.path)&port=1")
        }
        #expect(error?.description.contains("cannot connect to PostgreSQL database shop on host \(directory.url.path) port 1") == true)
        #expect(error?.description.contains("No such file or directory") == true)
    }

    @Test func refusedAuthenticationSaysWhoWasRefused() throws {
        let cluster = try #require(try PostgreSQLCluster.shared())
        let name = try cluster.makeDatabase("auth")
        let role = PostgreSQLCluster.passwordRole
        let wrong = #expect(throws: DatabaseError.self) {
            try PostgreSQLConnection(uri: cluster.uri(database: name, user: role, password: "not-the-password"))
        }
        #expect(wrong?.description.contains(#"password authentication failed for user "\#(role)""#) == true)
        #expect(wrong?.description.contains("database \(name) on host \(cluster.directory)") == true)
        #expect(wrong?.description.contains("not-the-password") == false)
        let missing = #expect(throws: DatabaseError.self) { try PostgreSQLConnection(uri: cluster.uri(database: name, user: role)) }
        #expect(missing?.description.contains("no password supplied") == true)
        // The right password gets in: the refusals above were about the password.
        let connection = try PostgreSQLConnection(uri: cluster.uri(database: name, user: role, password: PostgreSQLCluster.passwordRolePassword))
        #expect(try connection.query("SELECT current_user").text(row: 0, column: 0) == role)
    }

    @Test func constraintViolationsMapToSQLiteConstraintCodes() throws {
        let (cluster, name, connection) = try PostgreSQLConnectionTests.connect("constraints")
        try connection.execute(script: """
            CREATE TABLE products(id int8 PRIMARY KEY, sku text NOT NULL UNIQUE, price float8 CHECK (price >= 0));
            CREATE TABLE links(product_id int8 NOT NULL REFERENCES products(id));
            INSERT INTO products VALUES (1, '24-MB01', 10);
            """)
        let insert = try connection.prepare("INSERT INTO products(id, sku, price) VALUES ($1, $2, $3)")
        let unique = #expect(throws: DatabaseError.self) { try connection.run(insert, [.integer(2), .text("24-MB01"), .real(1)]) }
        #expect(unique?.extendedResultCode == 2067)
        #expect(unique?.resultCode == SQLITE_CONSTRAINT)
        #expect(unique?.sqlState == "23505")
        #expect(unique?.description == """
            PostgreSQL error 23505 unique_violation: duplicate key value violates unique constraint "products_sku_key" \
            (Key (sku)=(24-MB01) already exists.) — database \(name) on host \(cluster.directory) port \(cluster.port) \
            — while executing `INSERT INTO products(id, sku, price) VALUES ($1, $2, $3)`
            """)
        let notNull = #expect(throws: DatabaseError.self) { try connection.run(insert, [.integer(3), .null, .real(1)]) }
        #expect(notNull?.extendedResultCode == 1299)
        let check = #expect(throws: DatabaseError.self) { try connection.run(insert, [.integer(4), .text("x"), .real(-1)]) }
        #expect(check?.extendedResultCode == 275)
        let foreignKey = #expect(throws: DatabaseError.self) { try connection.query("INSERT INTO links VALUES ($1)", [.integer(99)]) }
        #expect(foreignKey?.extendedResultCode == 787)
        #expect(foreignKey?.sqlState == "23503")
        let undefined = #expect(throws: DatabaseError.self) { try connection.query("SELECT * FROM no_such_table") }
        #expect(undefined?.sqlState == "42P01")
        #expect(undefined?.extendedResultCode == SQLITE_ERROR)
        #expect(undefined?.description.hasPrefix(#"PostgreSQL error 42P01 undefined_table: relation "no_such_table" does not exist"#) == true)
        let syntax = #expect(throws: DatabaseError.self) { try connection.prepare("SELEC 1") }
        #expect(syntax?.sqlState == "42601")
        // None of it broke the connection.
        #expect(!connection.isBroken)
        #expect(try connection.query("SELECT count(*) FROM products").int(row: 0, column: 0) == 1)
    }

    @Test func aBackendKilledMidStatementIsAnIOErrorAndABrokenConnection() throws {
        let (_, _, connection) = try PostgreSQLConnectionTests.connect("terminated")
        let error = #expect(throws: DatabaseError.self) { try connection.query("SELECT pg_terminate_backend(pg_backend_pid())") }
        #expect(error?.resultCode == SQLITE_IOERR)
        #expect(error?.sqlState == "08006")
        #expect(error?.description.contains("terminating connection due to administrator command") == true)
        #expect(connection.isBroken)
        #expect(connection.transactionStatus == .unknown)
        let later = #expect(throws: DatabaseError.self) { try connection.query("SELECT 1") }
        #expect(later?.sqlState == "08003")
        #expect(later?.resultCode == SQLITE_IOERR)
        // Reconnecting brings it back (prepared statements do not survive).
        try connection.reset()
        #expect(!connection.isBroken)
        #expect(try connection.query("SELECT 1").int(row: 0, column: 0) == 1)
    }

    /// A server of its own, stopped the way a crash stops it (`pg_ctl stop -m immediate`):
    /// between statements, and in the middle of a COPY, which then leaves nothing behind.
    @Test func aServerThatGoesAwayGivesErrorsNotCrashes() throws {
        let cluster = try #require(try PostgreSQLCluster.start())
        defer { cluster.stop() }
        try cluster.createDatabase("shop")
        let connection = try PostgreSQLConnection(uri: cluster.uri(database: "shop"))
        try connection.execute(script: "CREATE TABLE events(id int8 PRIMARY KEY, sku text)")
        let select = try connection.prepare("SELECT count(*) FROM events")
        try cluster.killServer()
        let between = #expect(throws: DatabaseError.self) { try connection.run(select) }
        #expect(between?.resultCode == SQLITE_IOERR, "\(String(describing: between))")
        #expect(between?.description.contains("database shop on host \(cluster.directory) port \(cluster.port)") == true)
        #expect(connection.isBroken)
        #expect(throws: DatabaseError.self) { try connection.pipeline([(select, [])]) }
        #expect(throws: DatabaseError.self) { try connection.copyIn(table: "events", columns: ["id"], rows: [[.integer(1)]]) }

        try cluster.restartServer()
        try connection.reset()
        // The server dies after 30,000 of 100,000 rows have been handed to the copy.
        let rows = (1...100_000).lazy.map { i -> [DatabaseValue] in
            if i == 30_000 { try? cluster.killServer() }
            return [.integer(Int64(i)), .text("SKU-\(i)")]
        }
        let midCopy = #expect(throws: DatabaseError.self) { try connection.copyIn(table: "events", columns: ["id", "sku"], rows: rows) }
        #expect(midCopy?.resultCode == SQLITE_IOERR)
        #expect(connection.isBroken)
        try cluster.restartServer()
        #expect(try cluster.psql("SELECT count(*) FROM events", database: "shop") == [["0"]])
    }
}

/// A streaming hot standby from the harness: it follows the primary, and a write on it is a
/// read-only error (SQLITE_READONLY), as the replica routing of the store expects.
@Suite(.requiresPostgreSQL) struct PostgreSQLStandbyTests {
    @Test func aStandbyFollowsThePrimaryAndRefusesWrites() throws {
        let primary = try #require(try PostgreSQLCluster.start())
        defer { primary.stop() }
        try primary.createDatabase("shop")
        let writer = try PostgreSQLConnection(uri: primary.uri(database: "shop"))
        try writer.execute(script: "CREATE TABLE events(id int8 PRIMARY KEY)")
        let standby = try #require(try PostgreSQLCluster.startStandby(of: primary))
        defer { standby.stop() }
        #expect(try writer.copyIn(table: "events", columns: ["id"], rows: (1...1_000).map { [.integer(Int64($0))] }) == 1_000)
        try standby.waitForReplay(of: primary)
        let reader = try PostgreSQLConnection(uri: standby.uri(database: "shop"))
        #expect(try reader.query("SELECT count(*), sum(id) FROM events").int(row: 0, column: 1) == 500_500)
        #expect(try reader.query("SELECT pg_is_in_recovery()").int(row: 0, column: 0) == 1)
        let error = #expect(throws: DatabaseError.self) { try reader.query("INSERT INTO events VALUES ($1)", [.integer(0)]) }
        #expect(error?.sqlState == "25006")
        #expect(error?.resultCode == SQLITE_READONLY)
        #expect(error?.description.contains("on host \(standby.directory) port \(standby.port)") == true)
    }
}

/// The SQLSTATE → SQLite code table, and SQLite errors reading exactly as before.
@Suite struct PostgreSQLErrorMappingTests {
    @Test(arguments: [
        ("23505", 2067), ("23503", 787), ("23502", 1299), ("23514", 275), ("23P01", 19), ("23000", 19),
        ("40001", 5), ("40P01", 5), ("55P03", 5),
        ("08000", 10), ("08003", 10), ("08006", 10), ("57P01", 10), ("57P02", 10), ("57P03", 10),
        ("08001", 14), ("08004", 14), ("28P01", 14), ("3D000", 14),
        ("57014", 9), ("25006", 8), ("42501", 23), ("53100", 13), ("54000", 18), ("XX001", 11),
        ("42P01", 1), ("42601", 1), ("22P02", 1), ("XX000", 1),
    ] as [(String, Int32)])
    func sqlStateMapsToTheSQLiteCodeOfTheSameFailure(sqlState: String, code: Int32) {
        #expect(DatabaseError.sqliteResultCode(forSQLState: sqlState) == code)
        #expect(DatabaseError(sqlState: sqlState, message: "m").extendedResultCode == code)
    }

    @Test func busyAndDescriptionsOfBothEngines() {
        #expect(DatabaseError(sqlState: "40001", message: "could not serialize access").isBusy)
        #expect(!DatabaseError(sqlState: "23505", message: "duplicate").isBusy)
        let postgres = DatabaseError(sqlState: "40P01", message: "deadlock detected", sql: " SELECT 1 ",
                                     host: "db.example", port: "5432", database: "shop")
        #expect(postgres.description == "PostgreSQL error 40P01 deadlock_detected: deadlock detected — database shop on host db.example port 5432 — while executing `SELECT 1`")
        #expect(DatabaseError(sqlState: "99999", message: "m").description == "PostgreSQL error 99999: m")
        let sqlite = DatabaseError(extendedResultCode: 2067, message: "UNIQUE constraint failed: products.sku", sql: "INSERT", path: "/tmp/x.sqlite")
        #expect(sqlite.description == "SQLite error 19 (extended 2067): UNIQUE constraint failed: products.sku — database /tmp/x.sqlite — while executing `INSERT`")
        #expect(sqlite.sqlState == nil && sqlite.host == nil && sqlite.database == nil)
    }
}

/// Passwords never reach a message.
@Suite struct PostgreSQLPasswordRedactionTests {
    @Test func thePasswordOfTheURIIsMaskedWhereverItAppears() {
        let uri = "postgresql://shop:s3cret@db.example:5432/shop"
        #expect(PostgreSQLConnection.redactingPassword(uri) == "postgresql://shop:***@db.example:5432/shop")
        #expect(PostgreSQLConnection.redactingPassword(in: #"bad URI: "\#(uri)" (s3cret)"#, of: uri)
                == #"bad URI: "postgresql://shop:***@db.example:5432/shop" (***)"#)
        // A short password is masked where the URI has it, not inside other words.
        #expect(PostgreSQLConnection.redactingPassword(in: #"connection to "u:on@h" failed on host"#, of: "postgresql://u:on@h/db")
                == #"connection to "u:***@h" failed on host"#)
        // Nothing to mask: no password, or no user part at all.
        #expect(PostgreSQLConnection.redactingPassword("postgresql://shop@db.example/shop") == "postgresql://shop@db.example/shop")
        #expect(PostgreSQLConnection.redactingPassword("postgresql:///shop?host=/run/postgresql") == "postgresql:///shop?host=/run/postgresql")
        #expect(PostgreSQLConnection.redactingPassword("host=/tmp dbname=shop") == "host=/tmp dbname=shop")
    }
}

/// The harness cleans up after a crashed run: clusters of dead processes go, others stay.
@Suite struct PostgreSQLClusterSweepTests {
    @Test func abandonedClusterDirectoriesAreRemovedAndLiveOnesKept() throws {
        let temporary = FileManager.default.temporaryDirectory.path
        let dead = try startQuietly("/bin/true", [])
        dead.waitUntilExit()
        let abandoned = temporary + "/crosslink-pg-sweep-\(UUID().uuidString.prefix(8))"
        let live = temporary + "/crosslink-pg-sweep-\(UUID().uuidString.prefix(8))"
        for (directory, owner) in [(abandoned, dead.processIdentifier), (live, getpid())] {
            try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
            try "\(owner)".write(toFile: directory + "/owner.pid", atomically: false, encoding: .utf8)
        }
        defer { try? FileManager.default.removeItem(atPath: live) }
        PostgreSQLCluster.sweepAbandoned()
        #expect(!FileManager.default.fileExists(atPath: abandoned))
        #expect(FileManager.default.fileExists(atPath: live + "/data"))
    }
}
