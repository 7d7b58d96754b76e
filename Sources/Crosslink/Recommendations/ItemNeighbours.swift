import Foundation

/// The item–item neighbour lists (table `item_neighbours`, migration 0009): per store and
/// product, its most similar products by visitor behaviour — Σ over the co-occurrence kinds of
/// the cosine similarity together / √(base × other_base), the similarity recommended for you
/// expands a visitor's history through — computed from the live co-occurrence window.
///
/// A visitor's history is always read live; only the similarity is materialised. Lists are
/// served while the aggregated log has moved on by at most ``Status/maxLagHours`` of event time
/// since they were computed; older, or never built, recommended for you computes the similarity
/// per request from the windows (≈ 1 ms instead of ≈ 0.1 ms). Refresh them on a schedule — a
/// service calls `refresh()` every hour or so; `Aggregates.rebuild()`, a settings change of
/// what counts as a pair, and `crosslink events import` refresh lists that exist.
///
/// ```swift
/// let report = try store.write { db in try ItemNeighbours(db).refresh() }
/// print(report)   // 4681 lists, 150564 neighbours, 0.58 s
/// let forYou = try store.read { db in try Recommender(db).recommend(.recommendedForYou, context: .visitor("v-42")) }
/// ```
public struct ItemNeighbours {
    let db: Database
    public init(_ db: Database) { self.db = db }

    /// What a refresh did.
    public struct Report: Sendable, Equatable, Codable, CustomStringConvertible {
        public var products = 0
        public var neighbours = 0
        public var seconds = 0.0

        public var description: String {
            "\(products) list\(products == 1 ? "" : "s"), \(neighbours) neighbour\(neighbours == 1 ? "" : "s"), \(String(format: "%.2f", seconds)) s"
        }
    }

    /// The state of the lists.
    public struct Status: Sendable, Equatable, Codable {
        /// True when recommended for you reads the lists now.
        public var servable: Bool
        public var listLength: Int
        public var maxLagHours: Double
        public var products: Int
        /// `aggregate_state.last_at` when computed (Unix ms); nil: never built.
        public var builtLastAt: Int64?
        /// Event time the aggregated log has moved on since (hours); nil when not built.
        public var lagHours: Double?
        public var refreshedAt: String?
    }

    /// Recomputes every list from the live windows, in the caller's transaction or its own;
    /// `listLength` (1–100,000 neighbours per product) and `maxLagHours` (≥ 0) are stored first.
    @discardableResult
    public func refresh(listLength: Int? = nil, maxLagHours: Double? = nil) throws -> Report {
        let start = ContinuousClock.now
        var report = Report()
        try inTransaction {
            // A state row deleted by hand comes back with the defaults (the migration made it).
            try db.execute("INSERT INTO item_neighbour_state(state_id) VALUES (1) ON CONFLICT DO NOTHING")
            try configure(listLength: listLength, maxLagHours: maxLagHours)
            let length = try db.scalarInt("SELECT list_length FROM item_neighbour_state WHERE state_id = 1") ?? 10_000
            try db.execute("DELETE FROM item_neighbours")
            let insert = try db.cachedStatement("""
                INSERT INTO item_neighbours(list_key, store_id, product_id, neighbours) VALUES (?1 * 4294967296 + ?2, ?1, ?2, ?3)
                """)
            // Lists of products still in the catalog only: a deleted product's history adds nothing.
            let exists = try db.cachedStatement("SELECT 1 FROM products WHERE product_id = ?")
            var current: (store: Int, product: Int)?
            var entries: [String] = []
            func flush() throws {
                guard let key = current, !entries.isEmpty else { return }
                defer { entries.removeAll(keepingCapacity: true) }
                exists.reset()
                defer { exists.reset() }
                exists.bind(key.product, at: 1)
                guard try exists.step() else { return }
                try insert.execute([key.store, key.product, "[" + entries.joined(separator: ",") + "]"])
                report.products += 1
                report.neighbours += entries.count
            }
            let sqlite = db.engine == .sqlite
            try db.prepare(sqlite ? Self.similaritySQL : Self.postgreSQLSimilaritySQL).forEachRow { row in
                let key = (store: row.int(at: 0), product: row.int(at: 1))
                if current.map({ $0 != key }) ?? true {
                    try flush()
                    current = key
                }
                guard entries.count < length else { return }
                entries.append(sqlite ? row.text(at: 2) : Self.entry(row))
            }
            try flush()
            let lastAt = try AggregateState.load(db).lastAt
            let state: SQL = """
                UPDATE item_neighbour_state SET built_last_at = ?,
                    refreshed_at = \(sqlite: "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
                                     postgreSQL: #"to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"#),
                    lists_version = \(sqlite: "random()", postgreSQL: "CAST(floor(random() * 4611686018427387904) AS bigint)")
                WHERE state_id = 1
                """
            try db.execute(state.rendered(engine: db.engine).text, [lastAt.map(Int.init)])
        }
        let elapsed = ContinuousClock.now - start
        report.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return report
    }

    /// Stores the list length (applies at the next refresh) and the lag bound (at once).
    public func configure(listLength: Int? = nil, maxLagHours: Double? = nil) throws {
        if let listLength {
            guard (1...100_000).contains(listLength) else { throw RequestError(.invalidLimit, "invalid neighbour list length \(listLength): must be 1 to 100000") }
            try db.execute("UPDATE item_neighbour_state SET list_length = ? WHERE state_id = 1", [listLength])
        }
        if let maxLagHours {
            guard maxLagHours >= 0, maxLagHours.isFinite else { throw RequestError(.invalidOption, "invalid maximum lag \(maxLagHours) hours: must be 0 or more") }
            try db.execute("UPDATE item_neighbour_state SET max_lag_hours = ? WHERE state_id = 1", [maxLagHours])
        }
    }

    public func status() throws -> Status {
        let rows = try db.prepare("""
            SELECT s.list_length, s.max_lag_hours, s.built_last_at, s.refreshed_at, (SELECT count(*) FROM item_neighbours),
                   (a.last_at - s.built_last_at) / 3600000.0, (\(Self.servableSQL))
            FROM item_neighbour_state AS s CROSS JOIN aggregate_state AS a WHERE s.state_id = 1
            """).map { row in
            Status(servable: row.int(at: 6) != 0, listLength: row.int(at: 0), maxLagHours: row.double(at: 1), products: row.int(at: 4),
                   builtLastAt: row.optionalInt(at: 2).map(Int64.init), lagHours: row.optionalDouble(at: 5), refreshedAt: row.optionalText(at: 3))
        }
        guard let status = rows.first else { throw StoreError.missingNeighbourState }
        return status
    }

    /// Whether the lists were ever built and not invalidated (a refresh keeps them current).
    public var isBuilt: Bool {
        get throws { try db.scalarInt("SELECT built_last_at IS NOT NULL FROM item_neighbour_state WHERE state_id = 1") == 1 }
    }

    /// Whether recommended for you reads the lists now: built, and the aggregated log at most
    /// max_lag_hours of event time later than when they were.
    static let servableSQL = """
        SELECT s.built_last_at IS NOT NULL AND a.last_at IS NOT NULL AND a.last_at - s.built_last_at <= s.max_lag_hours * 3600000.0
        FROM item_neighbour_state AS s CROSS JOIN aggregate_state AS a WHERE s.state_id = 1
        """

    /// The lists' version (`lists_version`) when recommended for you reads them now, else nil.
    static func servedVersion(_ db: Database) throws -> Int? {
        let statement = try db.cachedStatement("SELECT (\(servableSQL)), lists_version FROM item_neighbour_state WHERE state_id = 1")
        statement.reset()
        defer { statement.reset() }
        return try statement.step() && statement.int(at: 0) != 0 ? statement.int(at: 1) : nil
    }

    /// Every supported pair of the live co-occurrence window as (store, product, JSON entry
    /// [other_id, similarity, best, kind_id, together] with 9 significant digits: a ranking
    /// needs no more, and the lists stay small), most similar first per product. The
    /// counts, bases and support thresholds are those of `recs_cooccurrence`; `best` is the
    /// largest single-kind term (SQLite takes kind_id and together from the row of max(term)).
    static let similaritySQL = """
        SELECT store_id, product_id,
               '[' || other_id || ',' || printf('%.9g', sum(term)) || ',' || printf('%.9g', max(term)) || ',' || kind_id || ',' || together || ']',
               sum(term) AS similarity, other_id
        FROM (
            SELECT x.store_id, x.product_id, x.other_id, x.kind_id, x.together, x.together / sqrt(x.base * 1.0 * x.other_base) AS term
            FROM (SELECT pw.store_id, pw.product_id, pw.other_id, pw.kind_id, pw.together,
                         \(RecommendationSQL.windowBases("pw.kind_id"))
                  FROM pair_windows AS pw
                  CROSS JOIN store_windows AS sw ON sw.store_id = pw.store_id AND sw.window_id = 2
                  CROSS JOIN product_windows AS wa ON wa.store_id = pw.store_id AND wa.window_id = 2 AND wa.product_id = pw.product_id
                  CROSS JOIN product_windows AS wb ON wb.store_id = pw.store_id AND wb.window_id = 2 AND wb.product_id = pw.other_id
                  WHERE pw.together >= \(RecommendationSQL.minimumSupport("pw.kind_id"))) AS x
            WHERE x.base > 0 AND x.other_base > 0 AND x.total > 0)
        GROUP BY store_id, product_id, other_id
        ORDER BY store_id, product_id, similarity DESC, other_id
        """

    /// ``similaritySQL`` for PostgreSQL, which has no printf and no bare columns beside an
    /// aggregate (nor SQLite's CROSS JOIN … ON, which fixes the join order there): the strongest
    /// kind's row is picked by row_number() (the largest term, ties to
    /// the lower kind), the terms are double precision (SQLite's REAL arithmetic), and the
    /// entry's text is written by ``entry(_:)``. Columns: store_id, product_id, other_id,
    /// similarity, best, kind_id, together.
    static let postgreSQLSimilaritySQL = """
        SELECT store_id, product_id, other_id, similarity, best, kind_id, together
        FROM (
            SELECT t.*, sum(term) OVER pair AS similarity, max(term) OVER pair AS best,
                   row_number() OVER (PARTITION BY store_id, product_id, other_id ORDER BY term DESC, kind_id) AS strongest
            FROM (
                SELECT x.store_id, x.product_id, x.other_id, x.kind_id, x.together,
                       x.together / sqrt(CAST(x.base AS double precision) * x.other_base) AS term
                FROM (SELECT pw.store_id, pw.product_id, pw.other_id, pw.kind_id, pw.together,
                             \(RecommendationSQL.windowBases("pw.kind_id"))
                      FROM pair_windows AS pw
                      JOIN store_windows AS sw ON sw.store_id = pw.store_id AND sw.window_id = 2
                      JOIN product_windows AS wa ON wa.store_id = pw.store_id AND wa.window_id = 2 AND wa.product_id = pw.product_id
                      JOIN product_windows AS wb ON wb.store_id = pw.store_id AND wb.window_id = 2 AND wb.product_id = pw.other_id
                      WHERE pw.together >= \(RecommendationSQL.minimumSupport("pw.kind_id"))) AS x
                WHERE x.base > 0 AND x.other_base > 0 AND x.total > 0) AS t
            WINDOW pair AS (PARTITION BY store_id, product_id, other_id)
        ) AS ranked
        WHERE strongest = 1
        ORDER BY store_id, product_id, similarity DESC, other_id
        """

    /// The JSON entry [other_id, similarity, best, kind_id, together] of a
    /// ``postgreSQLSimilaritySQL`` row, numbers as SQLite's printf('%.9g') writes them.
    static func entry(_ row: Statement) -> String {
        "[\(row.int(at: 2)),\(String(format: "%.9g", row.double(at: 3))),\(String(format: "%.9g", row.double(at: 4))),\(row.int(at: 5)),\(row.int(at: 6))]"
    }

    private func inTransaction(_ body: () throws -> Void) throws {
        if db.isInTransaction { try body() } else { try db.inTransaction(.immediate, body) }
    }
}
