/// The visitor's history expanded through item–item similarity, recency-weighted, without what
/// the visitor bought. Live, from the neighbour lists when they are served (``ItemNeighbours``,
/// summed in Swift by ``NeighbourRanking``), else from the windows.
enum RecommendedForYou {
    static let descriptor = RecommendationTypeDescriptor(
        .recommendedForYou, requirement: .visitor, pages: [.home, .category], defaultBackup: .mostViewed, scoreKind: .real, evaluationTarget: .any,
        grid: [(.historyHalfLifeDays, [7, 30, 90, 365]), (.historyProducts, [5, 20, 50])],
        live: "WITH " + RecommendationSQL.visitorHistory(false) + ",\n" + RecommendationSQL.history + RecommendationSQL.forYouLiveBody,
        liveFromNeighbourLists: RecommendationSQL.forYouNeighbours,
        asOf: "WITH RECURSIVE " + RecommendationSQL.visitorHistory(true) + ",\n" + RecommendationSQL.history + ",\n"
            + RecommendationSQL.cooccurrence(sources: RecommendationSQL.PairSource.all, products: "(SELECT product_id FROM history)")
            + RecommendationSQL.forYouBody
    ) { row, _ in
        .history(sku: row.text("source_sku"), interaction: row.int("interaction"), kind: row.int("kind_id"), together: row.int("together"))
    }
}

extension RecommendationSQL {
    /// Candidates score Σ weight × cosine similarity (together / √(base × other_base)) over the
    /// history products and co-occurrence kinds; the reason names the strongest contribution (on
    /// equal ones, the weightier history product, then the lower product id and kind, as
    /// ``NeighbourRanking`` picks): window functions, which both engines run alike. One window
    /// for the sum and the pick (one sort on SQLite; the sum then also adds in the same order on
    /// both engines). (No CTE is named `similar`: a reserved word on PostgreSQL.)
    static let forYouBody: SQL = """
        ,
        contributions AS (
            SELECT c.other_id, c.recommended_sku, c.name, c.final_price, h.weight * c.together / sqrt(c.base * c.other_base) AS s,
                   h.weight, c.product_id AS source_id, c.together, h.interaction, c.sku, c.kind_id
            FROM history AS h JOIN cooccurrence AS c ON c.product_id = h.product_id
            WHERE h.weight > 0 AND c.other_id NOT IN (SELECT product_id FROM visitor_bought) AND c.other_id \(sql: notExcluded) \(condition: "c.other_id"))
        SELECT other_id, recommended_sku, name, final_price, score, together, interaction, source_sku, kind_id, best
        FROM (SELECT other_id, recommended_sku, name, final_price, sum(s) OVER candidate AS score, together, interaction,
                     sku AS source_sku, kind_id, s AS best, row_number() OVER candidate AS strongest
              FROM contributions
              WINDOW candidate AS (PARTITION BY other_id ORDER BY s DESC, weight DESC, source_id, kind_id
                                   ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)) AS scored
        WHERE strongest = 1
        ORDER BY score DESC, recommended_sku LIMIT \(parameter: "limit")
        """

    /// Live, the same sums straight from the window tables: per pair only its row and the
    /// other product's bases are read (`recs_cooccurrence` also joins names, stores and
    /// displayability per pair); displayability is checked once per candidate, after summing
    /// (it depends on the candidate only), and the SKU of the reason's product at the end.
    /// The history products' pairs of one source, with their bases (for-you, live).
    static func forYouLivePairs(_ source: PairSource) -> SQL {
        """
                  SELECT pw.other_id, h.weight, h.interaction, h.product_id AS source_id, pw.kind_id, pw.together,
                         \(sql: windowBases("pw.kind_id"))
                  FROM history AS h
                  \(sql: SQL.orderedJoin) products AS a ON a.product_id = h.product_id
                  \(sql: SQL.orderedJoin) product_windows AS wa ON wa.store_id = \(parameter: "store") AND wa.window_id = 2 AND wa.product_id = h.product_id
                  \(sql: SQL.orderedJoin) store_windows AS sw ON sw.store_id = \(parameter: "store") AND sw.window_id = 2
                  \(sql: SQL.orderedJoin) \(literal: source.window) AS pw ON pw.store_id = \(parameter: "store") AND pw.kind_id \(sql: source.kinds) AND pw.product_id = h.product_id
                  \(sql: SQL.orderedJoin) product_windows AS wb ON wb.store_id = \(parameter: "store") AND wb.window_id = 2 AND wb.product_id = pw.other_id
                  WHERE h.weight > 0 AND pw.together >= \(sql: minimumSupport("pw.kind_id"))
                    AND pw.other_id NOT IN (SELECT product_id FROM visitor_bought)
                    AND pw.other_id \(sql: notExcluded) \(condition: "pw.other_id")

        """
    }

    static let forYouLiveBody: SQL = """
        ,
        contributions AS (
            SELECT x.other_id, x.weight * x.together / sqrt(x.base * x.other_base) AS s, x.weight, x.together, x.interaction, x.source_id, x.kind_id
            FROM (\(sql: PairSource.all.map(forYouLivePairs).joined(separator: "                  UNION ALL\n"))) AS x
            WHERE x.base > 0 AND x.other_base > 0 AND x.total > 0),
        candidates AS (
            SELECT other_id, score, together, interaction, source_id, kind_id, best FROM (
                SELECT other_id, sum(s) OVER candidate AS score, together, interaction, source_id, kind_id, s AS best,
                       row_number() OVER candidate AS strongest
                FROM contributions
                WINDOW candidate AS (PARTITION BY other_id ORDER BY s DESC, weight DESC, source_id, kind_id
                                     ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)) AS scored
            WHERE strongest = 1)
        \(sql: rankedCandidates(before: "c.together, c.interaction", after: "c.kind_id, c.best"))
        """

    // MARK: Recommended for you from the neighbour lists (migration 0009)

    /// Live recommended for you when the neighbour lists are servable (``ItemNeighbours``): the
    /// sums of `forYouLiveBody` with each pair's similarity read from the history product's
    /// list instead of computed from the windows. ``NeighbourRanking`` computes the same in
    /// Swift; this is its SQL form, for `crosslink recommend --sql` and the benchmark's C baseline.
    /// The lists are JSON text on SQLite and jsonb on PostgreSQL: only the function that expands
    /// one differs (`neighbourEntries(_:as:)`).
    static let forYouNeighbours = SQLTemplate("WITH " + visitorHistory(false) + ",\n" + history + """
        ,
        contributions AS (
            SELECT CAST(j.value ->> 0 AS BIGINT) AS other_id, h.weight * CAST(j.value ->> 1 AS DOUBLE PRECISION) AS s,
                   h.weight * CAST(j.value ->> 2 AS DOUBLE PRECISION) AS best_s, h.weight, CAST(j.value ->> 4 AS BIGINT) AS together,
                   h.interaction, h.product_id AS source_id, CAST(j.value ->> 3 AS BIGINT) AS kind_id
            FROM history AS h
            \(sql: SQL.orderedJoin) item_neighbours AS n ON n.list_key = (CAST(\(parameter: "store") AS BIGINT) << 32) + h.product_id
            CROSS JOIN \(sql: neighbourEntries("n.neighbours", as: "j"))
            WHERE h.weight > 0),
        candidates AS (
            SELECT other_id, score, together, interaction, source_id, kind_id, best FROM (
                SELECT other_id, sum(s) OVER candidate AS score, together, interaction, source_id, kind_id, best_s AS best,
                       row_number() OVER candidate AS strongest
                FROM contributions
                WHERE other_id NOT IN (SELECT product_id FROM visitor_bought) AND other_id \(sql: notExcluded) \(condition: "contributions.other_id")
                WINDOW candidate AS (PARTITION BY other_id ORDER BY best_s DESC, weight DESC, source_id
                                     ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)) AS scored
            WHERE strongest = 1)
        \(sql: rankedCandidates(before: "c.together, c.interaction", after: "c.kind_id, c.best"))
        """)

    /// The elements of the JSON array `array` as the rows of `alias`, column `value`: `json_each`
    /// over SQLite's JSON text, `jsonb_array_elements` over PostgreSQL's jsonb (a bound JSON text
    /// is cast to jsonb there). `CAST(alias.value ->> n AS …)` reads an entry's element on both.
    static func neighbourEntries(_ array: SQL, as alias: String) -> SQL {
        "\(sqlite: "json_each(", postgreSQL: "jsonb_array_elements(CAST(")\(sql: array)\(sqlite: ") AS \(alias)", postgreSQL: " AS jsonb)) AS \(alias)(value)")"
    }

    /// ``NeighbourRanking``'s first statement: each product of the visitor (?1 store, ?2
    /// visitor) with its interactions, whether bought, and the key of its neighbour list (the
    /// list itself is read only when ``NeighbourListCache`` lacks it); the history is weighed in
    /// Swift as `history` does.
    static let neighbourVisitorProducts = """
        SELECT v.product_id, v.last_viewed_at, v.last_carted_at, v.last_bought_at, v.first_bought_at IS NOT NULL, n.list_key
        FROM visitor_products AS v
        LEFT JOIN item_neighbours AS n ON n.list_key = (v.store_id << 32) + v.product_id
        WHERE v.store_id = ?1 AND v.visitor_id = ?2
        """

    /// ``NeighbourRanking``'s second statement: which of the best candidates (`:candidates`, a
    /// JSON array of [id, source id]) are displayable and pass the unit's filter, with their
    /// names and the SKU of the history product their reason names (as in `rankedCandidates`, a
    /// candidate whose source left the catalog is left out).
    static let neighbourCandidates = SQLTemplate("""
        SELECT d.product_id, d.sku, d.name, d.final_price, a.sku
        FROM \(sql: neighbourEntries("\(parameter: "candidates")", as: "c"))
        \(sql: joinDisplayable("CAST(c.value ->> 0 AS BIGINT)"))
        \(sql: SQL.orderedJoin) products AS a ON a.product_id = CAST(c.value ->> 1 AS BIGINT)
        WHERE 1 = 1 \(condition: "d.product_id")
        """)
}
