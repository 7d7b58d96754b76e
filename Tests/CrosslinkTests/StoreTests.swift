import CSQLite
import Foundation
import Testing
@testable import Crosslink

/// The store layer on real files: typed binds and reads, the statement cache, errors with codes
/// and SQL, transactions and savepoints, and the connection settings.
@Suite struct StoreTests {
    /// A fresh connection on a new file in a temporary directory.
    func freshDatabase() throws -> (TemporaryDirectory, Database) {
        let dir = try TemporaryDirectory()
        return (dir, try Database(path: dir.path("store.sqlite")))
    }

    // MARK: Binds and reads

    static let texts: [String] = [
        "",
        "plain ascii",
        "Grüße aus Köln — 東京 — Ελληνικά — 🧘‍♀️🇫🇷 — e\u{301} vs \u{e9}",
        "O'Brien said \"hello\" and `bye`",
        "'; DROP TABLE bound; --",
        "SELECT * FROM bound WHERE 1 = 1 OR x = ? UNION SELECT sql FROM sqlite_schema",
        "tab\tnewline\ncarriage\rbackslash\\percent%underscore_",
        String(repeating: "long–text ", count: 10_000),
    ]

    @Test func batchWritesCheckpointLessOftenAndRestoreTheSetting() throws {
        let dir = try TemporaryDirectory()
        var configuration = Configuration()
        configuration.batchWalAutocheckpointPages = 7_000
        let store = try CrosslinkStore(path: dir.path("batch.sqlite"), configuration: configuration)
        #expect(try store.write { db in try db.scalarInt("PRAGMA wal_autocheckpoint") } == 1_000)
        #expect(try store.writeBatch { db in try db.scalarInt("PRAGMA wal_autocheckpoint") } == 7_000)
        #expect(try store.write { db in try db.scalarInt("PRAGMA wal_autocheckpoint") } == 1_000)
        // Also after a failed batch.
        #expect(throws: DatabaseError.self) { try store.writeBatch { db in try db.execute("INSERT INTO no_such_table VALUES (1)") } }
        #expect(try store.write { db in try db.scalarInt("PRAGMA wal_autocheckpoint") } == 1_000)
    }

    @Test func textRoundTripsByteForByte() throws {
        let (_, db) = try freshDatabase()
        try db.execute(script: "CREATE TABLE bound(id INTEGER PRIMARY KEY, s TEXT) STRICT")
        for (id, text) in Self.texts.enumerated() {
            try db.execute("INSERT INTO bound(id, s) VALUES (?, ?)", [id, text])
        }
        // Typed bind (hot-path API) too, on rows 100+.
        let insert = try db.cachedStatement("INSERT INTO bound(id, s) VALUES (?, ?)")
        for (id, text) in Self.texts.enumerated() {
            insert.reset()
            insert.bind(100 + id, at: 1)
            insert.bind(text, at: 2)
            #expect(try insert.step() == false)
        }
        #expect(try db.scalarInt("SELECT count(*) FROM bound") == 2 * Self.texts.count)
        // The table still exists: the "DROP TABLE" text was data, not SQL.
        for (id, text) in Self.texts.enumerated() {
            for rowID in [id, 100 + id] {
                let row = try db.rows("SELECT s, typeof(s), length(CAST(s AS BLOB)) FROM bound WHERE id = ?", [rowID])
                // Compare UTF-8 bytes: Swift's == would call "e\u{301}" and "\u{e9}" equal.
                guard case .text(let read) = row[0][0] else { Issue.record("row \(rowID): \(row)"); continue }
                #expect(Array(read.utf8) == Array(text.utf8))
                #expect(row[0][1] == .text("text"))
                #expect(row[0][2] == .integer(Int64(text.utf8.count)))
            }
        }
        let statement = try db.prepare("SELECT s FROM bound WHERE id = ?")
        try statement.bind([2])
        #expect(try statement.step())
        #expect(statement.optionalText(at: 0).map { Array($0.utf8) } == Array(Self.texts[2].utf8))
        #expect(statement.isNull(at: 0) == false)
    }

    @Test func integersAndDoublesRoundTripAtTheirExtremes() throws {
        let (_, db) = try freshDatabase()
        try db.execute(script: "CREATE TABLE numbers(id INTEGER PRIMARY KEY, i INTEGER, r REAL) STRICT")
        let integers: [Int64] = [.min, .min + 1, -1, 0, 1, Int64(Int32.max) + 1, .max - 1, .max]
        let doubles: [Double] = [0.1, -2.5, .pi, 1e308, -1e-308, .leastNonzeroMagnitude, .greatestFiniteMagnitude,
                                 .infinity, -.infinity, 123_456_789.125, 9_007_199_254_740_992, -0.5e-300]
        for (id, value) in integers.enumerated() {
            try db.execute("INSERT INTO numbers(id, i) VALUES (?, ?)", [id, value])
        }
        for (id, value) in doubles.enumerated() {
            let statement = try db.cachedStatement("INSERT INTO numbers(id, r) VALUES (?, ?)")
            statement.reset()
            statement.bind(1_000 + id, at: 1)
            statement.bind(value, at: 2)
            try statement.step()
        }
        for (id, value) in integers.enumerated() {
            let row = try db.rows("SELECT i, typeof(i), i = ? FROM numbers WHERE id = ?", [DatabaseValue.integer(value), id])
            #expect(row == [[.integer(value), .text("integer"), .integer(1)]])
            #expect(try db.scalarInt("SELECT i FROM numbers WHERE id = ?", [id]) == Int(value))
        }
        for (id, value) in doubles.enumerated() {
            let row = try db.rows("SELECT r, typeof(r) FROM numbers WHERE id = ?", [1_000 + id])
            #expect(row == [[.real(value), .text("real")]])
            #expect(try db.scalarDouble("SELECT r FROM numbers WHERE id = ?", [1_000 + id]) == value)
        }
        // Int64.max is an integer in SQL, not a float that rounded up.
        #expect(try db.scalarText("SELECT CAST(i AS TEXT) FROM numbers WHERE id = ?", [integers.count - 1]) == "9223372036854775807")
        #expect(try db.scalarText("SELECT CAST(i AS TEXT) FROM numbers WHERE id = 0") == "-9223372036854775808")
    }

    @Test func blobsAndNullsRoundTrip() throws {
        let (_, db) = try freshDatabase()
        try db.execute(script: "CREATE TABLE blobs(id INTEGER PRIMARY KEY, b BLOB, a ANY) STRICT")
        var generator = SplitMix64(seed: 42)
        let big = (0..<70_000).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        let blobs: [[UInt8]] = [[], [0], [0, 1, 0, 255, 0], Array("text\0with NUL".utf8), big]
        for (id, blob) in blobs.enumerated() {
            try db.execute("INSERT INTO blobs(id, b) VALUES (?, ?)", [id, DatabaseValue.blob(blob)])
        }
        for (id, blob) in blobs.enumerated() {
            let row = try db.rows("SELECT b, typeof(b), length(b) FROM blobs WHERE id = ?", [id])
            // An empty blob is a zero-length BLOB, not NULL.
            #expect(row == [[.blob(blob), .text("blob"), .integer(Int64(blob.count))]])
        }

        // NULL through every way of binding it.
        let none: String? = nil
        try db.execute("INSERT INTO blobs(id, b, a) VALUES (?, ?, ?)", [100, DatabaseValue.null, none])
        let insert = try db.cachedStatement("INSERT INTO blobs(id, a) VALUES (?, ?)")
        let bindNulls: [() -> Void] = [
            { insert.bind(Int?.none, at: 2) }, { insert.bind(Double?.none, at: 2) }, { insert.bind(String?.none, at: 2) },
        ]
        for (offset, bindNull) in bindNulls.enumerated() {
            insert.reset()
            insert.bind(101 + offset, at: 1)
            bindNull()
            try insert.step()
        }
        #expect(try db.rows("SELECT id, b, a, typeof(a) FROM blobs WHERE id >= 100 ORDER BY id") == [
            [.integer(100), .null, .null, .text("null")],
            [.integer(101), .null, .null, .text("null")],
            [.integer(102), .null, .null, .text("null")],
            [.integer(103), .null, .null, .text("null")],
        ])
        let read = try db.prepare("SELECT a FROM blobs WHERE id = 100")
        #expect(try read.step())
        #expect(read.isNull(at: 0))
        #expect(read.optionalInt(at: 0) == nil)
        #expect(read.optionalDouble(at: 0) == nil)
        #expect(read.optionalText(at: 0) == nil)
        #expect(read.value(at: 0) == .null)

        // Swift values of several types in one ANY column keep their storage class.
        let mixed: [any DatabaseValueConvertible] = [true, Int32(-7), Int64(7), 2.5, "x", Substring("yz")]
        for (offset, value) in mixed.enumerated() {
            try db.execute("INSERT INTO blobs(id, a) VALUES (?, ?)", [200 + offset, value])
        }
        #expect(try db.rows("SELECT a FROM blobs WHERE id >= 200 ORDER BY id").map { $0[0] } ==
            [.integer(1), .integer(-7), .integer(7), .real(2.5), .text("x"), .text("yz")])
    }

    // MARK: Statement cache

    @Test func cachedStatementIsReusedAndRebindingRestartsIt() throws {
        let (_, db) = try freshDatabase()
        try db.execute(script: """
            CREATE TABLE n(x INTEGER PRIMARY KEY) STRICT;
            INSERT INTO n VALUES (1), (2), (3), (4), (5);
            """)
        let sql = "SELECT x FROM n WHERE x >= ? ORDER BY x"
        let first = try db.cachedStatement(sql)
        let second = try db.cachedStatement(sql)
        #expect(first === second)
        #expect(try db.prepare(sql) !== db.prepare(sql))
        #expect(try db.cachedStatement("SELECT x FROM n") !== first)

        // Bind, read two rows, then rebind mid-iteration: the statement starts over.
        try first.bind([2])
        #expect(try first.step() && first.int(at: 0) == 2)
        #expect(try first.step() && first.int(at: 0) == 3)
        try second.bind([4])
        #expect(try first.step() && first.int(at: 0) == 4)
        #expect(try first.step() && first.int(at: 0) == 5)
        #expect(try first.step() == false)
        #expect(try first.map([3]) { $0.int(at: 0) } == [3, 4, 5])

        // bind(_:) clears earlier bindings: a parameter not bound again is NULL.
        let pair = try db.cachedStatement("SELECT ?1, ?2")
        pair.reset()
        pair.bind(7, at: 1)
        pair.bind("seven", at: 2)
        #expect(try pair.step())
        #expect(pair.value(at: 0) == .integer(7) && pair.value(at: 1) == .text("seven"))
        pair.reset()
        pair.bind(8, at: 1)
        #expect(try pair.step())
        #expect(pair.value(at: 0) == .integer(8) && pair.value(at: 1) == .null)

        // The wrong number of arguments is an error naming the SQL, not a silent NULL.
        let error = #expect(throws: DatabaseError.self) { try first.bind([1, 2]) }
        #expect(error?.resultCode == SQLITE_RANGE)
        #expect(error?.sql == sql)
        #expect(error?.message == "statement expects 1 argument(s), got 2")
    }

    @Test func preparingTwoStatementsAtOnceIsRefused() throws {
        let (_, db) = try freshDatabase()
        let error = #expect(throws: DatabaseError.self) { try db.prepare("SELECT 1; SELECT 2") }
        #expect(error?.resultCode == SQLITE_MISUSE)
        #expect(error?.sql == "SELECT 1; SELECT 2")
        // Trailing whitespace after one statement is fine.
        #expect(try db.scalarInt("SELECT 3;  \n") == 3)
    }

    // MARK: Errors

    struct ConstraintCase: Sendable, CustomTestStringConvertible {
        let sql: String
        let extendedCode: Int32
        let message: String
        var testDescription: String { "\(extendedCode): \(sql)" }
    }

    static let constraintCases: [ConstraintCase] = [
        .init(sql: "INSERT INTO child(code, qty) VALUES ('a', 2)", extendedCode: 2067, message: "UNIQUE constraint failed: child.code"),
        .init(sql: "INSERT INTO child(code, qty) VALUES (NULL, 2)", extendedCode: 1299, message: "NOT NULL constraint failed: child.code"),
        .init(sql: "INSERT INTO child(code, qty) VALUES ('b', -1)", extendedCode: 275, message: "CHECK constraint failed: qty >= 0"),
        .init(sql: "INSERT INTO child(code, qty, parent_id) VALUES ('c', 1, 99)", extendedCode: 787, message: "FOREIGN KEY constraint failed"),
        .init(sql: "INSERT INTO child(id, code, qty) VALUES (1, 'd', 1)", extendedCode: 1555, message: "UNIQUE constraint failed: child.id"),
        .init(sql: "INSERT INTO child(code, qty) VALUES ('e', 'many')", extendedCode: 3091, message: "cannot store TEXT value in INTEGER column child.qty"),
    ]

    static let constraintSchema = """
        CREATE TABLE parent(id INTEGER PRIMARY KEY) STRICT;
        CREATE TABLE child(
            id INTEGER PRIMARY KEY,
            code TEXT NOT NULL UNIQUE,
            qty INTEGER CHECK (qty >= 0),
            parent_id INTEGER REFERENCES parent(id)
        ) STRICT;
        INSERT INTO parent VALUES (1);
        INSERT INTO child(code, qty, parent_id) VALUES ('a', 1, 1);
        """

    @Test(arguments: constraintCases)
    func scriptErrorNamesTheFailingStatementAndBothCodes(_ constraint: ConstraintCase) throws {
        let (_, db) = try freshDatabase()
        try db.execute(script: Self.constraintSchema)
        let script = """
            INSERT INTO child(code, qty) VALUES ('before', 5);
            \(constraint.sql);
            INSERT INTO child(code, qty) VALUES ('after', 6);
            """
        let error = #expect(throws: DatabaseError.self) { try db.execute(script: script) }
        #expect(error?.resultCode == SQLITE_CONSTRAINT)
        #expect(error?.extendedResultCode == constraint.extendedCode)
        #expect(error?.message == constraint.message)
        #expect(error?.sql?.trimmingCharacters(in: .whitespacesAndNewlines) == constraint.sql + ";")
        #expect(error?.path == db.path)
        #expect(error?.description.contains("SQLite error 19 (extended \(constraint.extendedCode)): \(constraint.message)") == true)
        #expect(error?.description.contains(constraint.sql) == true)
        // A script is not a transaction: the statement before ran, the one after did not.
        #expect(try db.rows("SELECT code FROM child ORDER BY id").map { $0[0] } == [.text("a"), .text("before")])

        // The same codes through a cached statement with bound arguments.
        let bound = try #require(error)
        let again = #expect(throws: DatabaseError.self) { try db.execute(constraint.sql) }
        #expect(again?.extendedResultCode == bound.extendedResultCode)
        #expect(again?.message == bound.message)
        #expect(again?.sql == constraint.sql)
        // The failed statement was reset: it can run again (and fail again the same way).
        let third = #expect(throws: DatabaseError.self) { try db.execute(constraint.sql) }
        #expect(third?.extendedResultCode == constraint.extendedCode)
    }

    @Test func syntaxErrorNamesTheWholeStatement() throws {
        let (_, db) = try freshDatabase()
        let script = """
            CREATE TABLE ok(x INTEGER) STRICT;
            -- the typo below is the second statement
            SELEC x FROM ok WHERE x = 'a;b';
            INSERT INTO ok VALUES (1);
            """
        let error = #expect(throws: DatabaseError.self) { try db.execute(script: script) }
        #expect(error?.resultCode == SQLITE_ERROR)
        #expect(error?.message == #"near "SELEC": syntax error"#)
        let sql = error?.sql?.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(sql == "-- the typo below is the second statement\nSELEC x FROM ok WHERE x = 'a;b';")
        #expect(error?.description.contains("SELEC x FROM ok WHERE x = 'a;b';") == true)
        #expect(try db.scalarInt("SELECT count(*) FROM ok") == 0)

        // The same through a prepared statement, and an error at the end of a script.
        let prepared = #expect(throws: DatabaseError.self) { try db.prepare("SELECT x FROM ok WHERE") }
        #expect(prepared?.sql == "SELECT x FROM ok WHERE")
        #expect(prepared?.message == "incomplete input")
        let last = #expect(throws: DatabaseError.self) { try db.execute(script: "SELECT 1; SELECT x FROM nowhere") }
        #expect(last?.sql?.trimmingCharacters(in: .whitespaces) == "SELECT x FROM nowhere")
        #expect(last?.message == "no such table: nowhere")
    }

    // MARK: Transactions

    @Test func transactionCommitsOrRollsBack() throws {
        let dir = try TemporaryDirectory()
        let db = try Database(path: dir.path("tx.sqlite"))
        let other = try Database(path: dir.path("tx.sqlite"))
        try db.execute(script: "CREATE TABLE t(x INTEGER PRIMARY KEY) STRICT")

        let returned = try db.inTransaction {
            try db.execute("INSERT INTO t VALUES (?)", [1])
            #expect(db.isInTransaction)
            // Not visible to another connection before COMMIT.
            #expect(try other.scalarInt("SELECT count(*) FROM t") == 0)
            return "done"
        }
        #expect(returned == "done")
        #expect(db.isInTransaction == false)
        #expect(try other.scalarInt("SELECT count(*) FROM t") == 1)

        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try db.inTransaction {
                try db.execute("INSERT INTO t VALUES (?)", [2])
                try db.execute("INSERT INTO t VALUES (?)", [3])
                throw Abort()
            }
        }
        #expect(db.isInTransaction == false)
        #expect(try other.rows("SELECT x FROM t") == [[.integer(1)]])

        // A failing statement rolls back the statements before it in the same transaction.
        let error = #expect(throws: DatabaseError.self) {
            try db.inTransaction {
                try db.execute("INSERT INTO t VALUES (?)", [4])
                try db.execute("INSERT INTO t VALUES (?)", [1])
            }
        }
        #expect(error?.extendedResultCode == 1555)
        #expect(try db.rows("SELECT x FROM t") == [[.integer(1)]])
    }

    @Test func nestedTransactionIsASavepoint() throws {
        let (_, db) = try freshDatabase()
        try db.execute(script: "CREATE TABLE t(x INTEGER PRIMARY KEY) STRICT")
        struct Abort: Error {}

        try db.inTransaction {
            try db.execute("INSERT INTO t VALUES (?)", [1])
            // Inner failure: only the inner inserts go.
            #expect(throws: Abort.self) {
                try db.inTransaction {
                    try db.execute("INSERT INTO t VALUES (?)", [2])
                    try db.inTransaction { try db.execute("INSERT INTO t VALUES (?)", [3]) }
                    throw Abort()
                }
            }
            #expect(db.isInTransaction)
            // Inner success: kept. A failure two levels down rolls back only that level.
            try db.inTransaction {
                try db.execute("INSERT INTO t VALUES (?)", [4])
                #expect(throws: DatabaseError.self) {
                    try db.inTransaction {
                        try db.execute("INSERT INTO t VALUES (?)", [5])
                        try db.execute("INSERT INTO t VALUES (?)", [4])  // duplicate key
                    }
                }
                try db.execute("INSERT INTO t VALUES (?)", [6])
            }
            try db.execute("INSERT INTO t VALUES (?)", [7])
        }
        #expect(db.isInTransaction == false)
        #expect(try db.rows("SELECT x FROM t ORDER BY x").map { $0[0] } == [.integer(1), .integer(4), .integer(6), .integer(7)])

        // An inner failure that the outer body does not catch rolls back everything.
        #expect(throws: Abort.self) {
            try db.inTransaction {
                try db.execute("INSERT INTO t VALUES (?)", [8])
                try db.inTransaction {
                    try db.execute("INSERT INTO t VALUES (?)", [9])
                    throw Abort()
                }
            }
        }
        #expect(try db.scalarInt("SELECT count(*) FROM t") == 4)
        #expect(db.isInTransaction == false)
        // Savepoint names are reused correctly after unwinding: nesting works again.
        try db.inTransaction { try db.inTransaction { try db.execute("INSERT INTO t VALUES (?)", [10]) } }
        #expect(try db.scalarInt("SELECT max(x) FROM t") == 10)
    }

    // MARK: Connection settings

    @Test func connectionPragmasAreInEffect() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        let writer = try store.pool.writeWithoutTransaction { db in
            [try db.scalarText("PRAGMA journal_mode"), try db.scalarInt("PRAGMA foreign_keys").map(String.init),
             try db.scalarInt("PRAGMA synchronous").map(String.init), try db.scalarInt("PRAGMA busy_timeout").map(String.init)]
        }
        #expect(writer == ["wal", "1", "1", "5000"])
        let reader = try store.read { db in
            [try db.scalarText("PRAGMA journal_mode"), try db.scalarInt("PRAGMA foreign_keys").map(String.init),
             try db.scalarInt("PRAGMA busy_timeout").map(String.init), try db.scalarInt("PRAGMA query_only").map(String.init)]
        }
        #expect(reader == ["wal", "1", "5000", "1"])

        var configuration = Configuration()
        configuration.synchronous = .full
        configuration.busyTimeoutMilliseconds = 1_234
        let tuned = try CrosslinkStore(path: dir.path("tuned.sqlite"), configuration: configuration)
        #expect(try tuned.pool.writeWithoutTransaction { db in try db.scalarInt("PRAGMA synchronous") } == 2)
        #expect(try tuned.pool.writeWithoutTransaction { db in try db.scalarInt("PRAGMA busy_timeout") } == 1_234)
        #expect(try tuned.read { db in try db.scalarInt("PRAGMA busy_timeout") } == 1_234)

        // Foreign keys are enforced on the store's writer: a link to a missing product fails.
        let error = #expect(throws: DatabaseError.self) {
            try store.write { db in
                try db.execute("INSERT INTO product_links(link_type_id, product_id, linked_product_id) VALUES (1, 1, 2)")
            }
        }
        #expect(error?.extendedResultCode == 787)
    }

    @Test func doubleQuotedStringLiteralsAreRejected() throws {
        let (_, db) = try freshDatabase()
        try db.execute(script: "CREATE TABLE t(x TEXT) STRICT")
        for sql in [#"SELECT "nope" FROM t"#, #"SELECT "nope""#, #"INSERT INTO t(x) VALUES ("nope")"#, #"SELECT x FROM t WHERE x = "nope""#] {
            let error = #expect(throws: DatabaseError.self, "\(sql)") { try db.execute(sql) }
            #expect(error?.resultCode == SQLITE_ERROR)
            #expect(error?.message == "no such column: nope")
            #expect(error?.sql == sql)
        }
        let ddl = #expect(throws: DatabaseError.self) { try db.execute(script: #"CREATE INDEX t_nope ON t("nope")"#) }
        #expect(ddl?.message == "no such column: nope")
        // Single quotes are string literals; double quotes still name columns.
        try db.execute("INSERT INTO t(x) VALUES ('yes')")
        #expect(try db.scalarText(#"SELECT "x" FROM t"#) == "yes")

        // Reader connections of a store reject them too.
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        let error = #expect(throws: DatabaseError.self) { try store.read { db in try db.scalarText(#"SELECT "nope" FROM products"#) } }
        #expect(error?.message == "no such column: nope")
    }
}

