/// SQL shared by several recommendation types (each type's own SQL is in its file under
/// Types/, see ``RecommendationTypeDescriptor``): a source of counts — the live windows or, for
/// a point in time, sums over the history tables — and the scoring parts common to a family
/// (popularity, conversion, co-occurrence, the visitor's history).
///
/// Parameters are named (`store`, `excluded`, …: ``SQL`` named parameters) and always bound;
/// no text of a request enters the SQL. Every body has a condition slot
/// (`\(condition: "EXPR")`) where its candidates are chosen, before any LIMIT: EXPR is the
/// candidate's product id column there (qualified). A unit's filter (``CandidateFilter``) fills
/// it with `AND EXISTS (…)` over that id; without a filter it renders as nothing.
enum RecommendationSQL {
    static let notExcluded: SQL = "NOT IN \(idList: "excluded")"

    // MARK: Popularity and conversion

    /// `counts`: per product, the popularity-window counts (displayability is joined by the bodies).
    static func popularity(_ pointInTime: Bool) -> SQL {
        pointInTime ? """
            WITH counts AS (
                SELECT product_id, sum(viewers) AS viewers, sum(carters) AS carters, sum(buyers) - sum(cancellers) AS net_buyers,
                       sum(units) - sum(cancelled_units) AS units, sum(viewed_then_carted) AS viewed_then_carted,
                       sum(viewed_then_bought) AS viewed_then_bought
                FROM product_days WHERE store_id = \(parameter: "store") AND day BETWEEN \(parameter: "popularity_first") AND \(parameter: "popularity_last")
                GROUP BY product_id)
            """ : """
            WITH counts AS (
                SELECT product_id, viewers, carters, buyers - cancellers AS net_buyers, units - cancelled_units AS units,
                       viewed_then_carted, viewed_then_bought
                FROM product_windows WHERE store_id = \(parameter: "store") AND window_id = 1)
            """
    }

    /// Live, the counts are scanned in the order of the ranking column's index, joined to
    /// displayability as they come — as `recs_popular`.
    static func popularityBody(score: String, second: String, order: String) -> SQL {
        """

        SELECT d.product_id, d.sku, d.name, d.final_price, c.\(literal: score) AS score, c.\(literal: score) AS sessions, \(literal: second) AS units
        FROM counts AS c \(sql: joinDisplayable("c.product_id"))
        WHERE c.\(literal: score) > 0 AND c.product_id \(sql: notExcluded) \(condition: "c.product_id")
        ORDER BY \(literal: order) LIMIT \(parameter: "limit")
        """
    }

    /// `totals`: the store's summed counts in the popularity window.
    static func totals(_ pointInTime: Bool) -> SQL {
        pointInTime ? """
            totals AS (
                SELECT sum(viewers) AS viewers, sum(viewed_then_carted) AS viewed_then_carted, sum(viewed_then_bought) AS viewed_then_bought
                FROM store_days WHERE store_id = \(parameter: "store") AND day BETWEEN \(parameter: "popularity_first") AND \(parameter: "popularity_last"))
            """ : """
            totals AS (
                SELECT viewers, viewed_then_carted, viewed_then_bought FROM store_windows WHERE store_id = \(parameter: "store") AND window_id = 1)
            """
    }

    /// Smoothed towards the store's rate: (converted + k × rate) / (viewers + k) — as
    /// `recs_conversion`. Every converting product of the window is scored (no index can order
    /// by a rate relative to the store's); only the best `:limit` + 100 are then checked for
    /// displayability, so a list can come out short only if more than 100 of the best are
    /// hidden or excluded.
    ///
    /// Live, the scoring comes from the materialised top list of `metric` (``ConversionRanks``:
    /// the same scores in the same order, recomputed by every aggregation) when it was computed
    /// from the current totals and prior and yields `:limit` + 100 candidates or all of them;
    /// otherwise the window is scanned.
    static func conversionBody(metric: Int, converted: String, _ pointInTime: Bool) -> SQL {
        let scan: SQL = """
            SELECT c.product_id, c.\(literal: converted) AS converted, c.viewers,
                   (c.\(literal: converted) + k.prior * coalesce(t.\(literal: converted) * 1.0 / nullif(t.viewers, 0), 0)) / (c.viewers + k.prior) AS score
            FROM \(literal: pointInTime ? "" : "served AS v CROSS JOIN ")counts AS c
            CROSS JOIN totals AS t
            CROSS JOIN (SELECT conversion_prior_views AS prior FROM recommendation_settings) AS k
            WHERE \(literal: pointInTime ? "" : "NOT v.yes AND ")c.\(literal: converted) > 0 AND +c.viewers > 0 AND c.product_id \(sql: notExcluded) \(condition: "c.product_id")
            ORDER BY score DESC, c.product_id LIMIT \(parameter: "limit") + 100
            """
        let select: SQL = """
            SELECT d.product_id, d.sku, d.name, d.final_price, r.score AS score, r.converted AS converted, r.viewers AS viewers
            FROM ranked AS r \(sql: joinDisplayable("r.product_id"))
            """
        if pointInTime { return ",\nranked AS (\n\(sql: scan))\n\(sql: select)\nORDER BY r.score DESC, d.sku LIMIT \(parameter: "limit")" }
        // From the list only the products scoring at least the `:limit`-th displayable one (in
        // list order) are looked up; ties with it are kept, so the SKU order is the scan's.
        return """
            ,
            fresh(yes) AS (
                SELECT EXISTS (SELECT 1 FROM conversion_rank_state AS s CROSS JOIN totals AS t CROSS JOIN recommendation_settings AS k
                               WHERE s.store_id = \(parameter: "store") AND s.metric = \(literal: String(metric)) AND s.viewers = t.viewers
                                 AND s.converted = t.\(literal: converted) AND s.prior = k.conversion_prior_views)),
            listed AS (
                SELECT r.product_id, r.converted, r.viewers, r.score FROM conversion_ranks AS r
                WHERE r.store_id = \(parameter: "store") AND r.metric = \(literal: String(metric)) AND (SELECT yes FROM fresh)
                  AND r.product_id \(sql: notExcluded) \(condition: "r.product_id")
                ORDER BY r.rank LIMIT \(parameter: "limit") + 100),
            served(yes) AS (
                SELECT (SELECT yes FROM fresh) AND ((SELECT count(*) FROM listed) = \(parameter: "limit") + 100
                    OR (SELECT complete <> 0 FROM conversion_rank_state WHERE store_id = \(parameter: "store") AND metric = \(literal: String(metric))))),
            cut(score) AS (
                SELECT coalesce((SELECT x.score FROM conversion_ranks AS x
                                 \(sql: SQL.orderedJoin) displayable_products AS e ON e.store_id = \(parameter: "store") AND e.product_id = x.product_id
                                 WHERE x.store_id = \(parameter: "store") AND x.metric = \(literal: String(metric))
                                   AND x.product_id \(sql: notExcluded) \(condition: "x.product_id")
                                 ORDER BY x.rank LIMIT 1 OFFSET \(parameter: "limit") - 1), -1e308)),
            ranked AS (
                SELECT * FROM listed WHERE (SELECT yes FROM served) AND score >= (SELECT score FROM cut)
                UNION ALL
                SELECT * FROM (
            \(sql: scan)) AS scanned)
            \(sql: select)
            ORDER BY r.score DESC, d.sku LIMIT \(parameter: "limit")
            """
    }

    // MARK: Co-occurrence

    /// Where a co-occurrence kind's pairs are (migration 0010): the session kinds in rows, bought
    /// together in lists. A query reads the table of its kinds: the views that show every kind
    /// (`pair_windows`, `pair_days`) are a UNION ALL, which SQLite cannot look up by a joined
    /// product — it would expand every pair.
    struct PairSource {
        /// The kind filter (`= :kind`, `IN (1, 2)`, …) and the window and history tables.
        let kinds: SQL
        let window: String
        let history: String

        static let rows = PairSource(kinds: "IN (1, 2)", window: "pair_window_rows", history: "pair_day_rows")
        static let lists = PairSource(kinds: "= 3", window: "pair_list_windows", history: "pair_list_days")
        static let all = [rows, lists]

        private init(kinds: SQL, window: String, history: String) {
            self.kinds = kinds
            self.window = window
            self.history = history
        }

        /// The source of a co-occurrence kind, filtered to `:kind`.
        init(_ kind: CooccurrenceKind) {
            let source = kind == .boughtBought ? PairSource.lists : .rows
            self.init(kinds: "= \(parameter: "kind")", window: source.window, history: source.history)
        }
    }

    /// `cooccurrence`, point in time: pairs from `products` of `kinds` with their support, bases,
    /// total, lift and score, summed over the days of the window — what `recs_cooccurrence`
    /// holds live.
    /// The pairs of one source's kinds from `products`, summed over the days, with their support.
    static func pointInTimePairs(_ source: PairSource, products: SQL) -> SQL {
        """
                SELECT p.kind_id, p.product_id, p.other_id, sum(p.together) AS together
                FROM days JOIN \(literal: source.history) AS p ON p.day = days.day AND p.store_id = \(parameter: "store") AND p.kind_id \(sql: source.kinds)
                     AND p.product_id IN \(sql: products)
                GROUP BY p.kind_id, p.product_id, p.other_id
                HAVING sum(p.together) >= \(sql: minimumSupport("p.kind_id"))
        """
    }

    static func cooccurrence(sources: [PairSource], products: SQL) -> SQL {
        """
            days(day) AS (SELECT CAST(\(parameter: "cooccurrence_first") AS BIGINT) UNION ALL SELECT day + 1 FROM days WHERE day < \(parameter: "cooccurrence_last")),
            pairs AS (
            \(sql: sources.map { pointInTimePairs($0, products: products) }.joined(separator: "\n        UNION ALL\n"))),
            bases AS (
                SELECT b.product_id, sum(b.co_viewers) AS co_viewers, sum(b.co_buyers) AS co_buyers,
                       sum(b.orders) - sum(b.cancelled_orders) AS orders
                FROM days JOIN product_days AS b ON b.day = days.day AND b.store_id = \(parameter: "store")
                     AND b.product_id IN (SELECT product_id FROM pairs UNION SELECT other_id FROM pairs)
                GROUP BY b.product_id),
            pair_totals AS (
                SELECT sum(co_sessions) AS co_sessions, sum(orders) - sum(cancelled_orders) AS orders FROM store_days
                WHERE store_id = \(parameter: "store") AND day BETWEEN \(parameter: "cooccurrence_first") AND \(parameter: "cooccurrence_last")),
            cooccurrence AS (
                SELECT x.*, \(sql: liftAndScore("x"))
                FROM (SELECT p.kind_id, p.product_id, p.other_id, a.sku, d.sku AS recommended_sku, d.name, d.final_price, p.together,
                             CASE p.kind_id WHEN 3 THEN ba.orders ELSE ba.co_viewers END AS base,
                             CASE p.kind_id WHEN 1 THEN bb.co_viewers WHEN 2 THEN bb.co_buyers ELSE bb.orders END AS other_base,
                             CASE p.kind_id WHEN 3 THEN t.orders ELSE t.co_sessions END AS total
                      FROM pairs AS p
                      JOIN bases AS ba ON ba.product_id = p.product_id
                      JOIN bases AS bb ON bb.product_id = p.other_id
                      CROSS JOIN pair_totals AS t
                      JOIN products AS a ON a.product_id = p.product_id
                      \(sql: joinDisplayable("p.other_id"))) AS x
                CROSS JOIN recommendation_settings AS k
                WHERE x.base > 0 AND x.other_base > 0 AND x.total > 0)
            """
    }

    /// Point in time: ranked by the smoothed lift (`score`, see `recs_cooccurrence`); a cart
    /// sums the scores of its products. The reason names the strongest pair (on equal scores,
    /// the first source SKU): window functions, which both engines run alike.
    static let cooccurrenceBody: SQL = """

        SELECT other_id, recommended_sku, name, final_price, total_score, together, lift, source_sku, best_score
        FROM (SELECT other_id, recommended_sku, name, final_price, sum(score) OVER (PARTITION BY other_id) AS total_score,
                     together, lift, sku AS source_sku, score AS best_score,
                     row_number() OVER (PARTITION BY other_id ORDER BY score DESC, sku) AS strongest
              FROM cooccurrence WHERE other_id \(sql: notExcluded) \(condition: "cooccurrence.other_id")) AS scored
        WHERE strongest = 1
        ORDER BY total_score DESC, recommended_sku LIMIT \(parameter: "limit")
        """

    /// The lift of a pair and its ranking score, columns `lift` and `score` — the one
    /// definition (`recs_cooccurrence` of migrations 0004 and 0010 repeats it for people writing
    /// SQL; `RecommendationViewTests` checks the view against this). For the pair row `pair`
    /// (columns together, base, other_base, total) and `prior` (the settings row's `lift_prior`):
    /// - lift = together / expected, expected = base × other_base / total (the count if the
    ///   two were independent);
    /// - score = (together + k) / (expected + k), k = `lift_prior`: the lift shrunk towards 1
    ///   by k pseudo-counts, so a pair seen twice does not outrank one seen a hundred times.
    static func liftAndScore(_ pair: String, prior: String = "k.lift_prior") -> SQL {
        let p = pair + "."
        return """
            \(literal: p)together * 1.0 * \(literal: p)total / (\(literal: p)base * \(literal: p)other_base) AS lift,
                   (\(literal: p)together + \(literal: prior)) / (\(literal: p)base * 1.0 * \(literal: p)other_base / \(literal: p)total + \(literal: prior)) AS score
            """
    }

    /// A pair's live support threshold: `minimum_support` for bought-bought (kind 3), else
    /// `minimum_view_support`; `kind` is the pair's kind column or `:kind`.
    static func minimumSupport(_ kind: SQL) -> SQL {
        "CASE \(sql: kind) WHEN 3 THEN (SELECT minimum_support FROM recommendation_settings) ELSE (SELECT minimum_view_support FROM recommendation_settings) END"
    }

    /// The live bases of a pair of `kind` — columns base, other_base, total — from the
    /// co-occurrence-window rows `wa` (the product), `wb` (the partner) and `sw` (the store),
    /// as `recs_cooccurrence` computes them.
    static func windowBases(_ kind: SQL) -> SQL {
        """
        CASE \(sql: kind) WHEN 3 THEN wa.orders - wa.cancelled_orders ELSE wa.co_viewers END AS base,
               CASE \(sql: kind) WHEN 1 THEN wb.co_viewers WHEN 2 THEN wb.co_buyers ELSE wb.orders - wb.cancelled_orders END AS other_base,
               CASE \(sql: kind) WHEN 3 THEN sw.orders - sw.cancelled_orders ELSE sw.co_sessions END AS total
        """
    }

    /// The end of the live co-occurrence queries: the displayable `candidates` (one row per
    /// product: other_id, score, source_id, …) with names and the reason's SKU, best first;
    /// `before` and `after` are the candidate columns around that SKU.
    /// Joins the displayable product `productID` of the request's store as `d`. SQLite walks
    /// the rows on the left and looks each up (`CROSS JOIN` fixes that order). PostgreSQL gets a
    /// LATERAL lookup fenced by `OFFSET 0`: as a plain join, its generic plan for a catalog of a
    /// few thousand products hashes the whole displayable set for a dozen candidates (1.4 ms
    /// against 0.2 ms for viewed-viewed on the demo store).
    static func joinDisplayable(_ productID: String) -> SQL {
        """
        \(sqlite: "CROSS JOIN displayable_products AS d ON", postgreSQL: "CROSS JOIN LATERAL (SELECT * FROM displayable_products AS d WHERE") \
        d.store_id = \(parameter: "store") AND d.product_id = \(literal: productID)\(sqlite: "", postgreSQL: " OFFSET 0) AS d")
        """
    }

    static func rankedCandidates(before: String, after: String) -> SQL {
        """
        SELECT c.other_id, d.sku, d.name, d.final_price, c.score, \(literal: before), a.sku AS source_sku, \(literal: after)
        FROM candidates AS c
        \(sql: joinDisplayable("c.other_id"))
        JOIN products AS a ON a.product_id = c.source_id
        ORDER BY c.score DESC, d.sku LIMIT \(parameter: "limit")
        """
    }

    /// Live co-occurrence, the sums of `recs_cooccurrence` straight from the window tables: per
    /// pair only its row and the partner's bases are read; displayability and names once per
    /// candidate, the reason's SKU for the winners. A cart sums each partner's scores over the
    /// cart's products (the reason names the strongest pair: SQLite takes the bare columns from
    /// the row of max(score)); a single product has one row per partner and skips that sum.
    static func cooccurrenceLive(singleContext: Bool, source: PairSource) -> SQL {
        """
        WITH pairs AS (
            SELECT pw.product_id, pw.other_id, pw.together,
                   \(sql: windowBases("\(parameter: "kind")"))
            FROM (SELECT DISTINCT value AS product_id FROM \(idList: "context") AS context) AS c
            \(sql: SQL.orderedJoin) store_windows AS sw ON sw.store_id = \(parameter: "store") AND sw.window_id = 2
            \(sql: SQL.orderedJoin) product_windows AS wa ON wa.store_id = \(parameter: "store") AND wa.window_id = 2 AND wa.product_id = c.product_id
            \(sql: SQL.orderedJoin) \(literal: source.window) AS pw ON pw.store_id = \(parameter: "store") AND pw.kind_id = \(parameter: "kind") AND pw.product_id = c.product_id
            \(sql: SQL.orderedJoin) product_windows AS wb ON wb.store_id = \(parameter: "store") AND wb.window_id = 2 AND wb.product_id = pw.other_id
            WHERE pw.together >= \(sql: minimumSupport("\(parameter: "kind")"))
              AND pw.other_id \(sql: notExcluded) \(condition: "pw.other_id")),
        scored AS (
            SELECT p.product_id, p.other_id, p.together, \(sql: liftAndScore("p"))
            FROM pairs AS p CROSS JOIN recommendation_settings AS k
            WHERE p.base > 0 AND p.other_base > 0 AND p.total > 0),
        candidates(other_id, score, together, lift, source_id, best) AS (
        \(literal: singleContext ? "    SELECT other_id, score, together, lift, product_id, score FROM scored"
            // A cart sums its products' scores; the reason is the strongest pair (on equal
            // scores, the lowest source id): window functions, which both engines run alike.
            : """
                  SELECT other_id, total, together, lift, product_id, score FROM (
                      SELECT other_id, sum(score) OVER (PARTITION BY other_id) AS total, together, lift, product_id, score,
                             row_number() OVER (PARTITION BY other_id ORDER BY score DESC, product_id) AS strongest
                      FROM scored) AS strongest_pairs
                  WHERE strongest = 1
              """))
        \(sql: rankedCandidates(before: "c.together, c.lift", after: "c.best"))
        """
    }

    // MARK: The visitor

    /// `visitor_history` (last view, add-to-cart and purchase per product) and `visitor_bought`.
    static func visitorHistory(_ pointInTime: Bool) -> SQL {
        pointInTime ? """
            visitor_events AS (
                SELECT r.rollup_id AS product_id, e.type, e.occurred_at
                FROM events AS e JOIN product_rollup AS r ON r.product_id = e.product_id
                WHERE e.visitor_id = \(parameter: "visitor") AND e.store_id = \(parameter: "store") AND e.occurred_at < \(parameter: "before")
                  AND e.type IN ('product-view', 'add-to-cart')
                UNION ALL
                SELECT r.rollup_id, e.type, e.occurred_at
                FROM events AS e JOIN event_lines AS l ON l.event_seq = e.event_seq JOIN product_rollup AS r ON r.product_id = l.product_id
                WHERE e.visitor_id = \(parameter: "visitor") AND e.store_id = \(parameter: "store") AND e.occurred_at < \(parameter: "before") AND e.type = 'place-order'),
            visitor_history AS (
                SELECT product_id, max(CASE type WHEN 'product-view' THEN occurred_at END) AS last_viewed_at,
                       max(CASE type WHEN 'add-to-cart' THEN occurred_at END) AS last_carted_at,
                       max(CASE type WHEN 'place-order' THEN occurred_at END) AS last_bought_at
                FROM visitor_events WHERE occurred_at >= \(parameter: "since") GROUP BY product_id),
            visitor_bought AS (SELECT product_id FROM visitor_events WHERE type = 'place-order')
            """ : """
            visitor_history AS (
                SELECT product_id, last_viewed_at, last_carted_at, last_bought_at FROM visitor_products
                WHERE store_id = \(parameter: "store") AND visitor_id = \(parameter: "visitor")
                  AND \(sqlite: "max", postgreSQL: "GREATEST")(coalesce(last_viewed_at, 0), coalesce(last_carted_at, 0), coalesce(last_bought_at, 0)) >= \(parameter: "since")),
            visitor_bought AS (
                SELECT product_id FROM visitor_products WHERE store_id = \(parameter: "store") AND visitor_id = \(parameter: "visitor") AND first_bought_at IS NOT NULL)
            """
    }

    /// `history`: the visitor's most weighty products. Weight: view 1, add-to-cart 2, purchase 3,
    /// each halved every history_half_life_days before :now; the strongest interaction counts.
    static let history: SQL = """
        history AS (
            SELECT h.product_id,
                   \(sqlite: "max", postgreSQL: "GREATEST")(coalesce(CASE WHEN h.last_viewed_at >= \(parameter: "since") THEN pow(0.5, (\(parameter: "now") - h.last_viewed_at) / k.half_life) END, 0),
                       coalesce(CASE WHEN h.last_carted_at >= \(parameter: "since") THEN 2 * pow(0.5, (\(parameter: "now") - h.last_carted_at) / k.half_life) END, 0),
                       coalesce(CASE WHEN h.last_bought_at >= \(parameter: "since") THEN 3 * pow(0.5, (\(parameter: "now") - h.last_bought_at) / k.half_life) END, 0)) AS weight,
                   CASE WHEN h.last_bought_at >= \(parameter: "since") THEN 3 WHEN h.last_carted_at >= \(parameter: "since") THEN 2 ELSE 1 END AS interaction
            FROM visitor_history AS h
            CROSS JOIN (SELECT history_half_life_days * 86400000.0 AS half_life FROM recommendation_settings) AS k
            ORDER BY weight DESC, h.product_id
            LIMIT (SELECT history_products FROM recommendation_settings))
        """
}
