import Foundation
import Testing
@testable import Crosslink

/// The PostgreSQL schema (Migrations/postgresql/): embedded like the SQLite files, applied by the
/// real psql, and the same tables, views, columns, indexes and triggers as the SQLite schema read
/// with the sqlite3 CLI from a store the library made — with the views giving the same values.
@Suite struct PostgreSQLSchemaTests {
    static var folder: URL { MigrationTests.migrationsDirectory.appending(path: "postgresql", directoryHint: .isDirectory) }

    static func files() throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "sql" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    // MARK: Embedded like the SQLite files (no server needed)

    @Test func embeddedPostgreSQLMigrationsAreTheFilesOnDisk() throws {
        let files = try Self.files()
        let embedded = Migration.crosslinkPostgreSQL
        #expect(embedded.map(\.fileName) == files.map(\.lastPathComponent))
        // The same numbering, names and file names as the SQLite migrations, one for one.
        #expect(embedded.map(\.fileName) == Migration.crosslink.map(\.fileName))
        #expect(embedded.map(\.version) == Migration.crosslink.map(\.version))
        for (migration, file) in zip(embedded, files) {
            #expect(Data(migration.sql.utf8) == (try Data(contentsOf: file)), "\(file.lastPathComponent) differs from the embedded text")
            let sha256sum = try run("/usr/bin/sha256sum", [file.path])
            #expect(migration.checksum == String(sha256sum.stdout.prefix { !$0.isWhitespace }), "\(file.lastPathComponent)")
        }
    }

    @Test func theSQLiteListLeavesTheSubfolderAlone() throws {
        // The SQLite list is exactly Migrations/*.sql: its checksums are recorded in users' files.
        let sqlite = try MigrationTests.migrationFiles()
        #expect(Migration.crosslink.map(\.fileName) == sqlite.map(\.lastPathComponent))
        for (migration, file) in zip(Migration.crosslink, sqlite) {
            #expect(Data(migration.sql.utf8) == (try Data(contentsOf: file)), "\(file.lastPathComponent)")
        }
        // Twins differ in text, so no PostgreSQL file was embedded in the SQLite list.
        for (sqliteMigration, postgreSQLMigration) in zip(Migration.crosslink, Migration.crosslinkPostgreSQL) {
            #expect(sqliteMigration.checksum != postgreSQLMigration.checksum, "\(sqliteMigration.fileName)")
        }
    }

    // MARK: psql applies the files

    @Test(.requiresPostgreSQL) func psqlAppliesEveryFileInOrderOnAnEmptyDatabase() throws {
        let cluster = try #require(try PostgreSQLCluster.shared())
        let database = try cluster.makeDatabase("schema_psql")
        try Self.applyWithPSQL(cluster, database: database, recording: true)
        #expect(try cluster.psql("SELECT version, name, checksum FROM crosslink_migrations ORDER BY version", database: database)
            == Migration.crosslinkPostgreSQL.map { [String($0.version), $0.name, $0.checksum] })
        // The dump sees the whole schema: a second database built the same way dumps the same.
        let twin = try cluster.makeDatabase("schema_psql_twin")
        try Self.applyWithPSQL(cluster, database: twin, recording: true)
        let dump = try Self.schemaDump(cluster, database: database)
        #expect(dump.count > 700, "\(dump.count) schema rows")
        #expect(try Self.schemaDump(cluster, database: twin) == dump)
        // The marker stands for PRAGMA application_id and user_version: each file moved the version on.
        #expect(try cluster.psql("SELECT database_id, application_id, user_version FROM crosslink_database", database: database)
            == [["1", String(DatabaseMigrator.applicationID), String(MigrationTests.latest)]])
        // Seed rows as on SQLite, and identities that continue after them.
        #expect(try cluster.psql("SELECT code FROM link_types ORDER BY link_type_id", database: database)
            == [["related"], ["upsell"], ["crosssell"]])
        #expect(try cluster.psql("INSERT INTO websites(code, name) VALUES ('second', 'Second') RETURNING website_id", database: database)
            == [["2"]])
    }

    @Test(.requiresPostgreSQL) func aFileThatFailsStopsPSQLAndLeavesNothingOfIt() throws {
        let cluster = try #require(try PostgreSQLCluster.shared())
        let database = try cluster.makeDatabase("schema_psql_twice")
        let first = try #require(try Self.files().first)
        try Self.psqlFile(cluster, database: database, file: first)
        // Applying 0001 again fails on its first CREATE, in one transaction (-1): nothing changes.
        let again = try Self.runPSQL(cluster, database: database, file: first)
        #expect(again.status != 0)
        #expect(again.stderr.contains("already exists"), "\(again.stderr)")
        #expect(try cluster.psql("SELECT count(*) FROM websites", database: database) == [["1"]])
    }

    // MARK: The same schema as SQLite

    /// Objects of the PostgreSQL schema that SQLite has no table or view for, each with its reason.
    static let onlyOnPostgreSQL: [String: String] = [
        "crosslink_database": "stands for SQLite's PRAGMA application_id and user_version (file header fields)",
    ]

    /// Columns whose PostgreSQL type is not the plain translation of SQLite's declared type.
    static let typeExceptions: [String: String] = [
        "products.sku": "citext: case-insensitive like SQLite's COLLATE NOCASE",
        "item_neighbours.neighbours": "jsonb: a machine-written list, stored parsed and checked",
        "pair_day_lists.pairs": "jsonb: a machine-written list, stored parsed and checked",
        "pair_lists.pairs": "jsonb: a machine-written list, stored parsed and checked",
    ]

    @Test(.requiresPostgreSQL) func everySQLiteTableAndViewExistsWithTheSameColumnsInOrder() throws {
        let cluster = try #require(try PostgreSQLCluster.shared())
        let database = try cluster.makeDatabase("schema_columns")
        try Self.applyWithPSQL(cluster, database: database)
        let directory = try TemporaryDirectory()
        let sqlitePath = directory.path("library.sqlite")
        do { _ = try CrosslinkStore(path: sqlitePath) }

        // table_xinfo, not table_info: it lists generated columns (products.final_price) too.
        let sqliteColumns = try sqlite3Rows(sqlitePath, """
            SELECT m.type, m.name, c.name, upper(c.type) FROM sqlite_schema AS m, pragma_table_xinfo(m.name) AS c
            WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, c.cid
            """)
        let postgreSQLColumns = try cluster.psql("""
            SELECT CASE t.table_type WHEN 'VIEW' THEN 'view' ELSE 'table' END, c.table_name, c.column_name,
                   CASE WHEN c.data_type = 'USER-DEFINED' THEN c.udt_name ELSE c.data_type END
            FROM information_schema.columns AS c
            JOIN information_schema.tables AS t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
            WHERE c.table_schema = current_schema() ORDER BY c.table_name COLLATE "C", c.ordinal_position
            """, database: database)
        #expect(sqliteColumns.count > 300, "\(sqliteColumns.count) columns: the comparison is not vacuous")

        func byObject(_ rows: [[String]]) -> [String: (type: String, columns: [String])] {
            var objects: [String: (type: String, columns: [String])] = [:]
            for row in rows { objects[row[1], default: (row[0], [])].columns.append(row[2]) }
            return objects
        }
        let sqlite = byObject(sqliteColumns), postgreSQL = byObject(postgreSQLColumns)
        for (name, object) in sqlite.sorted(by: { $0.key < $1.key }) {
            guard let twin = postgreSQL[name] else {
                Issue.record("\(object.type) \(name) is missing on PostgreSQL")
                continue
            }
            #expect(twin.type == object.type, "\(name)")
            #expect(twin.columns == object.columns, "\(name)")
        }
        #expect(Set(postgreSQL.keys).subtracting(sqlite.keys) == Set(Self.onlyOnPostgreSQL.keys))

        // Table column types: INTEGER → bigint, REAL → double precision, TEXT → text.
        let translated = ["INTEGER": "bigint", "REAL": "double precision", "TEXT": "text"]
        let postgreSQLTypes = Dictionary(postgreSQLColumns.map { ("\($0[1]).\($0[2])", $0[3]) }, uniquingKeysWith: { a, _ in a })
        for row in sqliteColumns where row[0] == "table" {
            let column = "\(row[1]).\(row[2])"
            if Self.typeExceptions[column] != nil {
                #expect(postgreSQLTypes[column] == (column == "products.sku" ? "citext" : "jsonb"), "\(column)")
            } else {
                #expect(postgreSQLTypes[column] == translated[row[3]], "\(column): SQLite \(row[3])")
            }
        }
    }

    @Test(.requiresPostgreSQL) func theSameNamedIndexesAndTriggers() throws {
        let cluster = try #require(try PostgreSQLCluster.shared())
        let database = try cluster.makeDatabase("schema_indexes")
        try Self.applyWithPSQL(cluster, database: database)
        let directory = try TemporaryDirectory()
        let sqlitePath = directory.path("library.sqlite")
        do { _ = try CrosslinkStore(path: sqlitePath) }

        // Named indexes (CREATE INDEX), not the ones behind PRIMARY KEY and UNIQUE constraints.
        let sqliteIndexes = try sqlite3Rows(sqlitePath, """
            SELECT tbl_name, name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL ORDER BY name
            """)
        let postgreSQLIndexes = try cluster.psql("""
            SELECT i.tablename, i.indexname FROM pg_indexes AS i
            WHERE i.schemaname = current_schema()
              AND NOT EXISTS (SELECT 1 FROM pg_constraint AS k WHERE k.conindid = format('%I.%I', i.schemaname, i.indexname)::regclass)
            ORDER BY i.indexname COLLATE "C"
            """, database: database)
        #expect(sqliteIndexes.count >= 28, "\(sqliteIndexes.count) indexes")
        #expect(postgreSQLIndexes == sqliteIndexes)

        let sqliteTriggers = try sqlite3Rows(sqlitePath, "SELECT tbl_name, name FROM sqlite_schema WHERE type = 'trigger' ORDER BY name")
        let postgreSQLTriggers = try cluster.psql("""
            SELECT c.relname, t.tgname FROM pg_trigger AS t JOIN pg_class AS c ON c.oid = t.tgrelid
            WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace ORDER BY t.tgname COLLATE "C"
            """, database: database)
        #expect(sqliteTriggers.count >= 30, "\(sqliteTriggers.count) triggers")
        // PostgreSQL only (0012_lean_events): the statement-level checks that stand in for the
        // foreign keys of events; SQLite keeps the foreign keys.
        let references: Set = [["events", "events_check_references_insert"], ["events", "events_check_references_update"],
                               ["stores", "stores_keep_events_delete"], ["stores", "stores_keep_events_update"],
                               ["products", "products_forget_events_delete"], ["products", "products_forget_events_update"],
                               ["categories", "categories_forget_events_delete"], ["categories", "categories_forget_events_update"]]
        #expect(Set(postgreSQLTriggers).isSuperset(of: references))
        #expect(postgreSQLTriggers.filter { !references.contains($0) } == sqliteTriggers)
    }

    // MARK: The views give SQLite's values

    @Test(.requiresPostgreSQL) func theViewsGiveTheValuesOfSQLitesViews() throws {
        let cluster = try #require(try PostgreSQLCluster.shared())
        let database = try cluster.makeDatabase("schema_views")
        try Self.applyWithPSQL(cluster, database: database)
        let directory = try TemporaryDirectory()
        let sqlitePath = directory.path("library.sqlite")
        do { _ = try CrosslinkStore(path: sqlitePath) }

        // The same rows written by the sqlite3 CLI and by psql: plain SQL both dialects read.
        let data = directory.url.appending(path: "data.sql")
        try Self.viewData.write(to: data, atomically: false, encoding: .utf8)
        let sqliteLoad = try run("/usr/bin/sqlite3", ["-bail", sqlitePath], stdin: data)
        #expect(sqliteLoad.status == 0, "\(sqliteLoad.stderr)")
        try Self.psqlFile(cluster, database: database, file: data)

        var compared = 0
        for query in Self.viewQueries {
            let sqlite = try sqlite3Rows(sqlitePath, query).map(Self.normalised)
            let postgreSQL = try cluster.psql(query, database: database).map(Self.normalised)
            #expect(!sqlite.isEmpty, "no rows: \(query)")
            #expect(postgreSQL == sqlite, "\(query)")
            compared += sqlite.count
        }
        #expect(compared > 80)
    }

    /// What the library's list readers get back on PostgreSQL (the header of Migrations/postgresql/0010_pair_lists.sql): jsonb's
    /// form, partners in ascending id whatever order they were written in; a list that is not of
    /// the right JSON type is refused when written.
    @Test(.requiresPostgreSQL) func theJSONListsReadBackInJSONBsFormAndMalformedOnesAreRefused() throws {
        let cluster = try #require(try PostgreSQLCluster.shared())
        let database = try cluster.makeDatabase("schema_lists")
        try Self.applyWithPSQL(cluster, database: database)
        try cluster.psql("""
            INSERT INTO pair_lists(store_id, kind_id, product_id, pairs) VALUES (1, 3, 7, '{"100":3,"9":2,"10":1}');
            INSERT INTO item_neighbours(list_key, store_id, product_id, neighbours) VALUES (4294967303, 1, 7, '[[13,0.123456789,0.5,3,2]]')
            """, database: database)
        #expect(try cluster.psql("SELECT pairs FROM pair_lists", database: database) == [[#"{"9": 2, "10": 1, "100": 3}"#]])
        #expect(try cluster.psql("SELECT other_id, together FROM pair_list_windows ORDER BY other_id", database: database)
            == [["9", "2"], ["10", "1"], ["100", "3"]])
        #expect(try cluster.psql("SELECT neighbours FROM item_neighbours", database: database) == [["[[13, 0.123456789, 0.5, 3, 2]]"]])
        for (statement, constraint) in [
            ("INSERT INTO pair_lists(store_id, kind_id, product_id, pairs) VALUES (1, 3, 8, '[1, 2]')", "pair_lists_pairs_check"),
            ("INSERT INTO pair_day_lists(day, store_id, kind_id, product_id, pairs) VALUES (1, 1, 3, 8, '7')", "pair_day_lists_pairs_check"),
            ("INSERT INTO item_neighbours(list_key, store_id, product_id, neighbours) VALUES (4294967304, 1, 8, '{}')", "item_neighbours_neighbours_check"),
        ] {
            #expect {
                try cluster.psql(statement, database: database)
            } throws: { error in
                "\(error)".contains(constraint)
            }
        }
        #expect(try cluster.psql("SELECT count(*) FROM pair_lists", database: database) == [["1"]])
    }

    /// The sqlite3 CLI writes a whole REAL as `3.0`, psql as `3`.
    static func normalised(_ row: [String]) -> [String] {
        row.map { value in
            value.hasSuffix(".0") && Int(value.dropLast(2)) != nil ? String(value.dropLast(2)) : value
        }
    }

    /// Rows for every view. Ratios are chosen to be exact binary fractions (lift_prior and
    /// conversion_prior_views 0, trending windows of 2 h and 4 h), so both engines print the same digits.
    static let viewData = """
        INSERT INTO products(product_id, sku, name, type, price, special_price, visibility) VALUES
            (11, 'MH01', 'Joust Duffle-Bag (Black) 2.5L & "Pro"', 'configurable', 40, 35.5, 4),
            (12, 'MH01-S', 'Joust child: small', 'simple', 40, NULL, 1),
            (13, 'wb04', 'Overnight Duffle', 'simple', 45, NULL, 4),
            (14, 'WB05', 'Straße Über: a b; cd!?[x]*#+', 'simple', 12.5, NULL, 2),
            (15, 'MS10', 'Logan  HeatTec® Tee', 'simple', 24, NULL, 4);
        INSERT INTO product_websites(product_id, website_id) VALUES (11, 1), (12, 1), (13, 1), (14, 1), (15, 1);
        INSERT INTO product_children(parent_id, child_id) VALUES (11, 12);
        INSERT INTO categories(category_id, parent_id, name, path, name_path, level) VALUES (3, 1, 'Gear', '1/3', 'Default Category/Gear', 1);
        INSERT INTO product_categories(category_id, product_id) VALUES (3, 11), (3, 13);
        INSERT INTO product_links(link_id, link_type_id, product_id, linked_product_id, position) VALUES
            (1, 1, 11, 13, 1), (2, 1, 11, 14, 0), (3, 4, 13, 15, 0), (4, 5, 11, 12, 0);
        INSERT INTO block_settings(store_id, block, display_mode, max_products, rotation_mode) VALUES (1, 'upsell', 2, 3, 0);
        INSERT INTO rules(rule_id, name, applies_to, segments, match_conditions, display_conditions, from_date, to_date) VALUES
            (1, 'r1', 'related', '["vip","x"]',
             '{"aggregator":"all","value":true,"conditions":[{"attribute":"category","operator":"==","value":"Gear/Bags"},{"aggregator":"any","value":false,"conditions":[{"attribute":"price","operator":">=","value":12.5},{"attribute":"new","operator":"==","value":true}]}]}',
             '{"aggregator":"all","conditions":[{"attribute":"price","operator":">=","value_type":"percent_of_matched","value":100},{"attribute":"price","operator":"<=","value_type":"amount_from_matched","value":-20},{"attribute":"category","operator":"==","value_type":"same_as_matched"}]}',
             '2026-01-01', '2026-12-31'),
            (2, 'r2', 'upsell', '[]', '{"conditions":[]}',
             '{"aggregator":"any","conditions":[{"aggregator":"all","conditions":[{"aggregator":"all","conditions":[{"attribute":"sku","operator":"!=","value":null}]}]}]}',
             NULL, NULL);
        INSERT INTO rule_lists(list_id, rule_id, list_key, representative_id) VALUES (1, 1, '[]', 11);
        INSERT INTO rule_matches(product_id, rule_id, list_id) VALUES (11, 1, 1);
        INSERT INTO rule_results(list_id, store_id, position, candidate_id) VALUES (1, 1, 0, 13), (1, 1, 1, 15);
        INSERT INTO units(unit_id, store_id, name, page_type, status) VALUES (1, 1, 'Also viewed', 'product', 'active');
        INSERT INTO unit_variants(unit_id, variant, traffic, type, backups) VALUES (1, 'A', 50, 'viewed-viewed', '["most-viewed"]'), (1, 'B', 50, 'bought-bought', '[]');
        INSERT INTO events(event_seq, event_key, type, occurred_at, store_id, visitor_id, session_id, product_id, sku, unit_id, variant, category_id, category, quantity, price, order_id) VALUES
            (1, 'e1', 'recs-unit-render', 1765130400123, 1, 'v1', 's1', NULL, NULL, '1', NULL, NULL, NULL, NULL, NULL, NULL),
            (2, 'e2', 'recs-unit-view', 1765130401000, 1, 'v1', 's1', NULL, NULL, '1', NULL, NULL, NULL, NULL, NULL, NULL),
            (3, 'e3', 'recs-item-click', 1765130402000, 1, 'v1', 's1', 11, 'mh01', '1', NULL, NULL, NULL, NULL, NULL, NULL),
            (4, 'e4', 'recs-unit-render', 1765130403000, 1, 'v1', 's1', NULL, NULL, '1', NULL, NULL, NULL, NULL, NULL, NULL),
            (5, 'e5', 'recs-unit-render', 1765216800000, 1, 'v2', 's2', NULL, NULL, '1', 'B', NULL, NULL, NULL, NULL, NULL),
            (6, 'e6', 'recs-add-to-cart-click', 1765216801000, 1, 'v2', 's2', 13, 'WB04', '1', 'B', NULL, NULL, NULL, NULL, NULL),
            (7, 'e7', 'place-order', 1765130500000, 1, 'v1', 's1', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'o1'),
            (8, 'e8', 'place-order', 1765303200000, 1, 'v2', 's3', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'o2'),
            (9, 'e9', 'category-view', 1765303300000, 1, 'v2', 's3', NULL, NULL, NULL, NULL, NULL, 'Default Category/Nowhere', NULL, NULL, NULL),
            (10, 'e10', 'add-to-cart', -1, 1, 'v3', 's4', 15, 'MS10', NULL, NULL, NULL, NULL, 2, 24, NULL),
            (11, 'e11', 'recs-unit-view', 1765130402500, 1, 'v1', 's1', NULL, NULL, '7', NULL, NULL, NULL, NULL, NULL, NULL);
        INSERT INTO event_lines(event_seq, line, product_id, sku, parent_sku, quantity, price) VALUES
            (7, 1, 12, 'MH01-S', 'MH01', 2, 17.75), (7, 2, 15, 'MS10', NULL, 1, 24),
            (8, 1, 13, 'wb04', NULL, 4, 11.25), (8, 2, NULL, 'GONE', NULL, 1, 0.5);
        UPDATE recommendation_settings SET lift_prior = 0, conversion_prior_views = 0,
            trending_foreground_hours = 2, trending_background_hours = 4, trending_minimum_viewers = 1;
        UPDATE aggregate_state SET first_at = 1765000000000, last_at = 1765303300000;
        INSERT INTO product_windows(store_id, window_id, product_id, viewers, carters, buyers, cancellers, viewed_then_carted,
            viewed_then_bought, units, revenue_cents, orders, cancelled_units, cancelled_revenue_cents, cancelled_orders, co_viewers, co_buyers) VALUES
            (1, 1, 11, 8, 4, 3, 1, 2, 1, 5.5, 12550, 3, 0.5, 125, 1, 8, 2),
            (1, 1, 13, 4, 1, 1, 0, 1, 1, 1, 4500, 1, 0, 0, 0, 4, 1),
            (1, 2, 11, 8, 4, 3, 1, 2, 1, 5.5, 12550, 5, 0.5, 125, 1, 8, 2),
            (1, 2, 13, 4, 1, 1, 0, 1, 1, 1, 4500, 3, 0, 0, 1, 4, 4),
            (1, 2, 15, 2, 0, 1, 0, 0, 0, 1, 2400, 2, 0, 0, 0, 2, 1);
        INSERT INTO store_windows(store_id, window_id, viewers, viewed_then_carted, viewed_then_bought, co_sessions, orders, cancelled_orders) VALUES
            (1, 1, 16, 4, 2, 16, 8, 0), (1, 2, 16, 4, 2, 16, 9, 1);
        INSERT INTO trend_windows(store_id, product_id, foreground, background) VALUES (1, 11, 3, 1), (1, 13, 1, 0), (1, 15, 1, 5);
        INSERT INTO pair_window_rows(store_id, kind_id, product_id, other_id, together) VALUES (1, 1, 11, 13, 4), (1, 2, 11, 15, 2), (1, 1, 13, 11, 1);
        INSERT INTO pair_day_rows(day, store_id, kind_id, product_id, other_id, together) VALUES (20429, 1, 1, 11, 13, 4);
        INSERT INTO pair_lists(store_id, kind_id, product_id, pairs) VALUES (1, 3, 11, '{"13":2,"15":1}'), (1, 3, 13, '{"11":2}');
        INSERT INTO pair_day_lists(day, store_id, kind_id, product_id, pairs) VALUES (20429, 1, 3, 11, '{"13":2,"15":1}');
        INSERT INTO visitor_products(store_id, visitor_id, product_id, first_viewed_at, last_viewed_at) VALUES
            (1, 'v1', 11, 1765130400000, 1765130499999), (1, 'v1', 13, 1765130300000, 1765130300001);
        INSERT INTO item_neighbours(list_key, store_id, product_id, neighbours) VALUES
            (4294967307, 1, 11, '[[13,0.5,0.25,3,2],[15,0.125,0.125,1,1]]');
        INSERT INTO similar_products(product_id, rank, other_id, score, shared, shared_mask) VALUES (11, 1, 13, 2.5, 2, 3), (11, 2, 15, 0.75, 1, NULL);
        UPDATE similar_state SET dirty = 0;
        INSERT INTO rule_cache_rules(rule_id, built_at) VALUES (1, '2026-12-07T00:00:00Z');
        UPDATE products SET price = 13 WHERE product_id = 14;
        INSERT INTO attributes(attribute_id, code, type) VALUES (5, 'color', 'select');
        INSERT INTO product_attributes(product_id, attribute_id, value) VALUES (13, 5, 'Black');
        UPDATE stores SET show_out_of_stock = 1 WHERE store_id = 1;
        """

    /// Every view, its columns by name (so a different column order would show), in a total order.
    static let viewQueries = [
        "SELECT store_id, store, product_id, sku, name, type, final_price FROM displayable_products ORDER BY store_id, product_id",
        "SELECT link_type, sku, linked_sku, position, link_id FROM link_list ORDER BY link_id",
        "SELECT store, link_type, sku, linked_sku, name, final_price, position, link_id, store_id, product_id, linked_product_id FROM displayable_links ORDER BY link_id",
        "SELECT event_seq, event_key, type, occurred, store, visitor_id, customer_id, session_id, sku, category, order_id, unit_id, quantity, price, known FROM event_list ORDER BY event_seq",
        "SELECT event_seq, event_key, type, occurred, visitor_id, customer_id, order_id, line, sku, parent_sku, quantity, price, known FROM event_line_list ORDER BY event_seq, line",
        "SELECT store_id, store, block, display_mode, display, max_products, rotation_mode, rotation, time_zone FROM effective_block_settings ORDER BY store_id, block",
        "SELECT rule_id, rule, tree, path, depth, kind, aggregator, expected, attribute, operator, value_type, value, text FROM rule_conditions ORDER BY rule_id, tree, node_order",
        "SELECT rule_id, name, active, applies_to, priority, result_limit, dates, segments, match, display FROM rule_list",
        "SELECT rule, applies_to, store, matched_sku, position, sku, name, final_price FROM rule_result_list ORDER BY rule, store, matched_sku, position",
        "SELECT tracking FROM rule_cache_tracking",
        "SELECT product_id, word FROM product_name_words ORDER BY product_id, word",
        "SELECT product_id, word FROM product_words ORDER BY product_id, word",
        "SELECT product_id, rollup_id FROM product_rollup ORDER BY product_id",
        "SELECT store, sku, name, viewers, carters, net_buyers, units, revenue, buyers, cancellers, viewed_then_carted, viewed_then_bought, final_price, product_id, store_id FROM recs_popular ORDER BY store_id, product_id",
        "SELECT store, sku, name, viewers, viewed_then_carted, viewed_then_bought, cart_score, purchase_score, final_price, product_id, store_id FROM recs_conversion ORDER BY store_id, product_id",
        "SELECT store, sku, name, recent, background, growth, final_price, product_id, store_id FROM recs_trending ORDER BY store_id, product_id",
        "SELECT kind, store, sku, recommended_sku, name, together, base, other_base, total, lift, score, final_price, product_id, other_id, kind_id, store_id FROM recs_cooccurrence ORDER BY store_id, kind_id, product_id, other_id",
        "SELECT store, visitor_id, sku, name, last_viewed, last_viewed_at, final_price, product_id, store_id FROM recs_recently_viewed ORDER BY store_id, visitor_id, product_id",
        "SELECT store, unit_id, name, page_type, placement, position, status, variant, traffic, type, product_count, backups, filters, max_per_category, shuffle, label FROM unit_list ORDER BY unit_id, variant",
        "SELECT event_seq, type, occurred_at, day, store_id, unit_id, variant, visitor_id, session_id, product_id, sku FROM unit_events ORDER BY event_seq",
        "SELECT event_seq, occurred_at, day, store_id, unit_id, variant, visitor_id, session_id, viewed FROM unit_renders ORDER BY event_seq",
        "SELECT store_id, unit_id, variant, order_seq, order_id, line, sku, parent_sku, day, amount, in_session FROM unit_attributed_lines ORDER BY order_seq, line, unit_id, variant",
        "SELECT store_id, unit_id, variant, day, impressions, v_impressions, views, item_clicks, cart_clicks FROM unit_daily_counts ORDER BY store_id, unit_id, variant, day",
        "SELECT store_id, unit_id, variant, day, orders, revenue, lifetime_revenue FROM unit_daily_revenue ORDER BY store_id, unit_id, variant, day",
        "SELECT store, unit_id, unit_name, variant, day, impressions, v_impressions, views, clicks, item_clicks, cart_clicks, orders, revenue, lifetime_revenue, viewability, ctr, vctr FROM unit_metrics_daily ORDER BY store, unit_id, variant, day",
        "SELECT store, unit_id, unit_name, variant, first_day, last_day, impressions, v_impressions, views, clicks, item_clicks, cart_clicks, orders, revenue, lifetime_revenue, viewability, ctr, vctr FROM unit_metrics ORDER BY store, unit_id, variant",
        "SELECT sku, rank, similar_sku, name, score, shared, stale FROM similar_product_list ORDER BY sku, rank",
        "SELECT store, sku, rank, neighbour_sku, similarity, strongest_kind, together, strongest_term, store_id, product_id, neighbour_id FROM item_neighbour_list ORDER BY store_id, product_id, rank",
        "SELECT day, store_id, kind_id, product_id, other_id, together FROM pair_list_days ORDER BY day, store_id, kind_id, product_id, other_id",
        "SELECT store_id, kind_id, product_id, other_id, together FROM pair_list_windows ORDER BY store_id, kind_id, product_id, other_id",
        "SELECT day, store_id, kind_id, product_id, other_id, together FROM pair_days ORDER BY day, store_id, kind_id, product_id, other_id",
        "SELECT store_id, kind_id, product_id, other_id, together FROM pair_windows ORDER BY store_id, kind_id, product_id, other_id",
        "SELECT product_id FROM rule_cache_mark ORDER BY product_id",
        "SELECT full_rebuild, enabled FROM rule_cache_state",
        "SELECT dirty, list_length FROM similar_state",
    ]

    // MARK: psql and the library's migrator build the same schema

    @Test(.requiresPostgreSQL) func psqlAndTheLibraryMigratorBuildTheSameSchema() throws {
        let cluster = try #require(try PostgreSQLCluster.shared())
        let byHand = try cluster.makeDatabase("schema_by_hand")
        try Self.applyWithPSQL(cluster, database: byHand, recording: true)
        let byLibrary = try cluster.makeDatabase("schema_by_library")
        try CrosslinkStore(postgreSQL: cluster.uri(database: byLibrary)).close()
        let dump = try Self.schemaDump(cluster, database: byLibrary)
        #expect(dump.count > 700, "\(dump.count) schema rows")
        #expect(try Self.schemaDump(cluster, database: byHand) == dump)
        // The library also opens the database that psql built and recorded, as its own.
        do {
            let store = try CrosslinkStore(postgreSQL: cluster.uri(database: byHand))
            defer { store.close() }
            #expect(try store.read { db in try DatabaseMigrator().appliedVersions(db) } == Migration.crosslinkPostgreSQL.map(\.version))
        }
    }

    @Test(.requiresPostgreSQL) func theMarkerRowRefusesAnotherApplicationAndANewerSchema() throws {
        let cluster = try #require(try PostgreSQLCluster.shared())
        // Another application's schema that happens to have tables of Crosslink's names.
        let foreign = try cluster.makeDatabase("schema_foreign")
        try cluster.psql("""
            CREATE TABLE crosslink_migrations (version bigint PRIMARY KEY, name text, checksum text, applied_at text);
            CREATE TABLE crosslink_database (database_id bigint PRIMARY KEY, application_id bigint, user_version bigint);
            INSERT INTO crosslink_database VALUES (1, 42, 0)
            """, database: foreign)
        #expect {
            try CrosslinkStore(postgreSQL: cluster.uri(database: foreign))
        } throws: { error in
            guard case StoreError.notCrosslinkDatabase(_, let detail) = error else { return false }
            return detail.contains("application_id 42 (Crosslink: \(DatabaseMigrator.applicationID))")
        }
        #expect(try cluster.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", database: foreign) == [["2"]])

        // A Crosslink database whose marker says a newer library migrated it.
        let newer = try cluster.makeDatabase("schema_newer")
        try Self.applyWithPSQL(cluster, database: newer, recording: true)
        try cluster.psql("UPDATE crosslink_database SET user_version = \(MigrationTests.latest + 1)", database: newer)
        #expect {
            try CrosslinkStore(postgreSQL: cluster.uri(database: newer))
        } throws: { error in
            guard case StoreError.newerSchema(_, let databaseVersion, let libraryVersion) = error else { return false }
            return databaseVersion == MigrationTests.latest + 1 && libraryVersion == MigrationTests.latest
        }
    }

    /// The schema as PostgreSQL describes it — columns, indexes, views, triggers, constraints,
    /// functions — and the marker and migration records, in a total order.
    static func schemaDump(_ cluster: PostgreSQLCluster, database: String) throws -> [[String]] {
        try cluster.psql("""
            SELECT 'column', table_name::text, column_name::text, lpad(ordinal_position::text, 4, '0'),
                   concat_ws(' ', data_type, udt_name, collation_name, is_nullable, column_default, is_identity, identity_generation, generation_expression)
            FROM information_schema.columns WHERE table_schema = current_schema()
            UNION ALL
            SELECT 'index', tablename::text, indexname::text, '', indexdef FROM pg_indexes WHERE schemaname = current_schema()
            UNION ALL
            SELECT 'view', viewname::text, '', '', definition FROM pg_views WHERE schemaname = current_schema()
            UNION ALL
            SELECT 'trigger', c.relname::text, t.tgname::text, '', pg_get_triggerdef(t.oid)
            FROM pg_trigger AS t JOIN pg_class AS c ON c.oid = t.tgrelid
            WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace
            UNION ALL
            SELECT 'constraint', conrelid::regclass::text, conname::text, '', pg_get_constraintdef(oid)
            FROM pg_constraint WHERE connamespace = current_schema()::regnamespace
            UNION ALL
            SELECT 'function', proname::text, pg_get_function_identity_arguments(oid), '', pg_get_functiondef(oid)
            FROM pg_proc WHERE pronamespace = current_schema()::regnamespace AND prokind = 'f'
            UNION ALL
            SELECT 'marker', database_id::text, application_id::text, '', user_version::text FROM crosslink_database
            UNION ALL
            SELECT 'migration', lpad(version::text, 4, '0'), name, '', checksum FROM crosslink_migrations
            ORDER BY 1, 2, 3, 4, 5
            """, database: database)
    }

    // MARK: psql

    /// Applies every file of Migrations/postgresql in order, each in one transaction (`-1`);
    /// `recording`: with the row the library's migrator records.
    static func applyWithPSQL(_ cluster: PostgreSQLCluster, database: String, recording: Bool = false) throws {
        for file in try files() {
            guard recording else {
                try psqlFile(cluster, database: database, file: file)
                continue
            }
            let migration = try Migration(fileName: file.lastPathComponent, sql: String(contentsOf: file, encoding: .utf8))
            // Values the test computed itself: a version, a name of letters, a hex digest.
            let record = "INSERT INTO crosslink_migrations(version, name, checksum, applied_at) "
                + "VALUES (\(migration.version), '\(migration.name)', '\(migration.checksum)', "
                + "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'))"
            try psqlFile(cluster, database: database, file: file, then: record)
        }
    }

    static func psqlFile(_ cluster: PostgreSQLCluster, database: String, file: URL, then command: String? = nil) throws {
        let result = try runPSQL(cluster, database: database, file: file, then: command)
        #expect(result.status == 0, "psql -f \(file.lastPathComponent): \(result.stderr)")
        #expect(result.stderr.isEmpty, "psql -f \(file.lastPathComponent): \(result.stderr)")
        if result.status != 0 { throw ClusterError("psql -f \(file.lastPathComponent) failed: \(result.stderr)") }
    }

    static func runPSQL(_ cluster: PostgreSQLCluster, database: String, file: URL, then command: String? = nil) throws -> ProcessResult {
        try run(PostgreSQLCluster.binDirectory + "/psql",
                ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-1", "-h", cluster.directory, "-p", "\(cluster.port)",
                 "-U", "postgres", "-d", database, "-f", file.path] + (command.map { ["-c", $0] } ?? []))
    }
}
