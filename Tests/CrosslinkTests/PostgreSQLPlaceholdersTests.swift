import Testing
@testable import Crosslink

/// SQLite's parameters renumbered as PostgreSQL's, with SQLite's numbering.
@Suite struct PostgreSQLPlaceholdersTests {
    @Test func parametersGetSQLitesNumbers() {
        let p = PostgreSQLPlaceholders(sqlite: "SELECT ? , ?3, :a, ?, :a, @b")
        // ? → 1, ?3 → 3, :a → 4 (largest + 1), ? → 5, :a again → 4, @b → 6; 2 is never used.
        #expect(p.count == 6)
        #expect(p.serverIndex == [1, nil, 2, 3, 4, 5])
        #expect(p.text == "SELECT $1 , $2, $3, $4, $3, $5")
    }

    @Test func literalsCommentsAndCastsAreLeftAlone() {
        let p = PostgreSQLPlaceholders(sqlite: """
            SELECT '?', "a:b", 'it''s ?', x::bigint, $1 -- a ? here
            /* and :here */ FROM t WHERE y = :y
            """)
        #expect(p.text == """
            SELECT '?', "a:b", 'it''s ?', x::bigint, $1 -- a ? here
            /* and :here */ FROM t WHERE y = $2
            """)
        #expect(p.count == 2 && p.serverCount == 2)
    }

    @Test func noParameters() {
        let p = PostgreSQLPlaceholders(sqlite: "SELECT 1")
        #expect(p.text == "SELECT 1" && p.count == 0 && p.serverIndex.isEmpty)
    }

    @Test func readOnlyIsJudgedOnWordsOutsideLiteralsAndComments() {
        let reading = [
            "SELECT 1",
            "  (SELECT sku FROM products) UNION ALL (SELECT 'x')",
            "SELECT 'INSERT INTO t' AS text, \"update\" FROM t -- DELETE FROM t",
            "WITH recent AS (SELECT 1 AS id) SELECT id /* UPDATE t */ FROM recent",
            "VALUES (1), (2)",
            "SELECT inserted_at FROM events",
        ]
        let writing = [
            "INSERT INTO t VALUES (1)",
            "WITH gone AS (DELETE FROM t RETURNING id) SELECT id FROM gone",
            "SELECT * INTO copy FROM t",
            "SELECT id FROM t FOR UPDATE",
            "SELECT id FROM t FOR SHARE",
            "SELECT nextval('events_id_seq')",
            "SELECT pg_advisory_lock(1)",
            "update t set x = 1",
            "",
        ]
        for sql in reading { #expect(PostgreSQLStatement.isReadOnly(sql), "\(sql)") }
        for sql in writing { #expect(!PostgreSQLStatement.isReadOnly(sql), "\(sql)") }
    }
}
