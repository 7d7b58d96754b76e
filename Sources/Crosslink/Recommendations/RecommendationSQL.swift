/// The SQL of every recommendation type: a source of counts — the live windows (the
/// `recs_*` views of 0004_aggregates) or, for a point in time, sums over the history tables —
/// followed by the type's scoring query, which is the same text for both.
///
/// Every query returns the same columns: product_id, sku, name, final_price, score, n1, n2,
/// source_sku, detail (their meaning depends on the type; see ``Recommender``). Parameters are
/// named (`:store`, `:excluded`, …) and always bound; no text of a request enters the SQL.
///
/// Every body carries `/*candidate-filter:EXPR*/` where its candidates are chosen, before any
/// LIMIT: EXPR is the candidate's product id column there (qualified). A unit's filter
/// (``CandidateFilter``) replaces the marker with `AND EXISTS (…)` over that id; without a
/// filter the comment stays and costs nothing.
enum RecommendationSQL {
    /// A query's text and the named parameters it uses.
    struct Query: Sendable {
        let sql: String
        let parameters: Set<String>

        init(_ sql: String) {
            self.sql = sql
            var names = Set<String>()
            var scanner = sql[...]
            while let colon = scanner.firstIndex(of: ":") {
                let name = scanner[colon...].prefix { $0 == ":" || $0 == "_" || $0.isLetter }
                if name.count > 1 { names.insert(String(name)) }
                scanner = scanner[scanner.index(after: colon)...]
            }
            parameters = names
        }
    }

    /// One statement per (type, live or point in time), built once. Live, the co-occurrence
    /// types have a second form for a single context product (`singleContext`): each partner
    /// then has one pair row, so the per-partner sum is skipped.
    static func query(_ type: RecommendationType, pointInTime: Bool, singleContext: Bool = false) -> Query {
        if !pointInTime && singleContext, let single = singleContextQueries[type] { return single }
        return (pointInTime ? pointInTimeQueries : liveQueries)[type]!
    }

    static let liveQueries = Dictionary(uniqueKeysWithValues: RecommendationType.allCases.map { ($0, Query(text($0, pointInTime: false))) })
    static let pointInTimeQueries = Dictionary(uniqueKeysWithValues: RecommendationType.allCases.map { ($0, Query(text($0, pointInTime: true))) })
    static let singleContextQueries = Dictionary(uniqueKeysWithValues: [RecommendationType.viewedViewed, .viewedBought, .boughtBought].map {
        ($0, Query(cooccurrenceLive(singleContext: true, source: PairSource($0))))
    })

    static func text(_ type: RecommendationType, pointInTime: Bool) -> String {
        switch type {
        case .mostViewed:
            popularity(pointInTime) + popularityBody(score: "viewers", second: "NULL", order: "c.viewers DESC, d.sku")
        case .mostAddedToCart:
            popularity(pointInTime) + popularityBody(score: "carters", second: "NULL", order: "c.carters DESC, d.sku")
        case .mostPurchased:
            popularity(pointInTime) + popularityBody(score: "net_buyers", second: "c.units", order: "c.net_buyers DESC, c.units DESC, d.sku")
        case .viewToCart:
            popularity(pointInTime) + ",\n" + totals(pointInTime) + conversionBody(metric: 1, converted: "viewed_then_carted", pointInTime)
        case .viewToPurchase:
            popularity(pointInTime) + ",\n" + totals(pointInTime) + conversionBody(metric: 2, converted: "viewed_then_bought", pointInTime)
        case .trending:
            trending(pointInTime) + trendingBody
        case .viewedViewed, .viewedBought, .boughtBought:
            pointInTime ? "WITH RECURSIVE " + cooccurrence(sources: [PairSource(type)], products: "(SELECT value FROM json_each(:context))")
                + cooccurrenceBody : cooccurrenceLive(singleContext: false, source: PairSource(type))
        case .recommendedForYou:
            pointInTime ? "WITH RECURSIVE " + visitorHistory(pointInTime) + ",\n" + history + ",\n"
                + cooccurrence(sources: PairSource.all, products: "(SELECT product_id FROM history)") + forYouBody
                : "WITH " + visitorHistory(pointInTime) + ",\n" + history + forYouLiveBody
        case .recentlyViewed:
            recentlyViewed(pointInTime) + recentlyViewedBody
        case .moreLikeThis:
            moreLikeThis
        }
    }

    static let notExcluded = "NOT IN (SELECT value FROM json_each(:excluded))"

    // MARK: Popularity and conversion

    /// `counts`: per product, the popularity-window counts (displayability is joined by the bodies).
    static func popularity(_ pointInTime: Bool) -> String {
        pointInTime ? """
            WITH counts AS (
                SELECT product_id, sum(viewers) AS viewers, sum(carters) AS carters, sum(buyers) - sum(cancellers) AS net_buyers,
                       sum(units) - sum(cancelled_units) AS units, sum(viewed_then_carted) AS viewed_then_carted,
                       sum(viewed_then_bought) AS viewed_then_bought
                FROM product_days WHERE store_id = :store AND day BETWEEN :popularity_first AND :popularity_last
                GROUP BY product_id)
            """ : """
            WITH counts AS (
                SELECT product_id, viewers, carters, buyers - cancellers AS net_buyers, units - cancelled_units AS units,
                       viewed_then_carted, viewed_then_bought
                FROM product_windows WHERE store_id = :store AND window_id = 1)
            """
    }

    /// Live, the counts are scanned in the order of the ranking column's index, joined to
    /// displayability as they come — as `recs_popular`.
    static func popularityBody(score: String, second: String, order: String) -> String {
        """

        SELECT d.product_id, d.sku, d.name, d.final_price, c.\(score) AS score, c.\(score), \(second), NULL, NULL
        FROM counts AS c CROSS JOIN displayable_products AS d ON d.store_id = :store AND d.product_id = c.product_id
        WHERE c.\(score) > 0 AND c.product_id \(notExcluded) /*candidate-filter:c.product_id*/
        ORDER BY \(order) LIMIT :limit
        """
    }

    /// `totals`: the store's summed counts in the popularity window.
    static func totals(_ pointInTime: Bool) -> String {
        pointInTime ? """
            totals AS (
                SELECT sum(viewers) AS viewers, sum(viewed_then_carted) AS viewed_then_carted, sum(viewed_then_bought) AS viewed_then_bought
                FROM store_days WHERE store_id = :store AND day BETWEEN :popularity_first AND :popularity_last)
            """ : """
            totals AS (
                SELECT viewers, viewed_then_carted, viewed_then_bought FROM store_windows WHERE store_id = :store AND window_id = 1)
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
    static func conversionBody(metric: Int, converted: String, _ pointInTime: Bool) -> String {
        let scan = """
            SELECT c.product_id, c.\(converted) AS converted, c.viewers,
                   (c.\(converted) + k.prior * coalesce(t.\(converted) * 1.0 / nullif(t.viewers, 0), 0)) / (c.viewers + k.prior) AS score
            FROM \(pointInTime ? "" : "served AS v CROSS JOIN ")counts AS c
            CROSS JOIN totals AS t
            CROSS JOIN (SELECT conversion_prior_views AS prior FROM recommendation_settings) AS k
            WHERE \(pointInTime ? "" : "NOT v.yes AND ")c.\(converted) > 0 AND +c.viewers > 0 AND c.product_id \(notExcluded) /*candidate-filter:c.product_id*/
            ORDER BY score DESC, c.product_id LIMIT :limit + 100
            """
        let select = """
            SELECT d.product_id, d.sku, d.name, d.final_price, r.score, r.converted, r.viewers, NULL, NULL
            FROM ranked AS r CROSS JOIN displayable_products AS d ON d.store_id = :store AND d.product_id = r.product_id
            """
        if pointInTime { return ",\nranked AS (\n\(scan))\n\(select)\nORDER BY r.score DESC, d.sku LIMIT :limit" }
        // From the list only the products scoring at least the `:limit`-th displayable one (in
        // list order) are looked up; ties with it are kept, so the SKU order is the scan's.
        return """
            ,
            fresh(yes) AS (
                SELECT EXISTS (SELECT 1 FROM conversion_rank_state AS s CROSS JOIN totals AS t CROSS JOIN recommendation_settings AS k
                               WHERE s.store_id = :store AND s.metric = \(metric) AND s.viewers = t.viewers
                                 AND s.converted = t.\(converted) AND s.prior = k.conversion_prior_views)),
            listed AS (
                SELECT r.product_id, r.converted, r.viewers, r.score FROM conversion_ranks AS r
                WHERE r.store_id = :store AND r.metric = \(metric) AND (SELECT yes FROM fresh)
                  AND r.product_id \(notExcluded) /*candidate-filter:r.product_id*/
                ORDER BY r.rank LIMIT :limit + 100),
            served(yes) AS (
                SELECT (SELECT yes FROM fresh) AND ((SELECT count(*) FROM listed) = :limit + 100
                    OR (SELECT complete FROM conversion_rank_state WHERE store_id = :store AND metric = \(metric)))),
            cut(score) AS (
                SELECT coalesce((SELECT x.score FROM conversion_ranks AS x
                                 CROSS JOIN displayable_products AS e ON e.store_id = :store AND e.product_id = x.product_id
                                 WHERE x.store_id = :store AND x.metric = \(metric)
                                   AND x.product_id \(notExcluded) /*candidate-filter:x.product_id*/
                                 ORDER BY x.rank LIMIT 1 OFFSET :limit - 1), -1e308)),
            ranked AS (
                SELECT * FROM listed WHERE (SELECT yes FROM served) AND score >= (SELECT score FROM cut)
                UNION ALL
                SELECT * FROM (
            \(scan)))
            \(select)
            ORDER BY r.score DESC, d.sku LIMIT :limit
            """
    }

    // MARK: Trending

    /// `trending`: qualifying products with recent and background viewing sessions and growth — as `recs_trending`.
    static func trending(_ pointInTime: Bool) -> String {
        pointInTime ? """
            WITH trending AS (
                SELECT d.product_id, d.sku, d.name, d.final_price, c.recent, c.background,
                       (c.recent * 1.0 / k.trending_foreground_hours) / ((c.background + 1.0) / k.trending_background_hours) AS growth
                FROM (SELECT product_id, sum(CASE WHEN hour >= :foreground_first THEN viewers ELSE 0 END) AS recent,
                             sum(CASE WHEN hour < :foreground_first THEN viewers ELSE 0 END) AS background
                      FROM product_hours WHERE store_id = :store AND hour BETWEEN :background_first AND :foreground_last
                      GROUP BY product_id) AS c
                CROSS JOIN recommendation_settings AS k
                CROSS JOIN displayable_products AS d ON d.store_id = :store AND d.product_id = c.product_id
                WHERE c.recent >= k.trending_minimum_viewers
                  AND (c.recent * 1.0 / k.trending_foreground_hours) > ((c.background + 1.0) / k.trending_background_hours)
                  AND (SELECT first_at / 3600000 <= :background_first FROM aggregate_state))
            """ : """
            WITH trending AS (
                SELECT product_id, sku, name, final_price, recent, background, growth FROM recs_trending WHERE store_id = :store)
            """
    }

    /// Ordered by recent / (background + 1): the order of growth, and the index's expression.
    static let trendingBody = """

        SELECT product_id, sku, name, final_price, growth AS score, recent, background, NULL, NULL
        FROM trending WHERE product_id \(notExcluded) /*candidate-filter:trending.product_id*/
        ORDER BY recent * 1.0 / (background + 1) DESC, sku LIMIT :limit
        """

    // MARK: Co-occurrence

    /// Where a co-occurrence kind's pairs are (migration 0010): the session kinds in rows, bought
    /// together in lists. A query reads the table of its kinds: the views that show every kind
    /// (`pair_windows`, `pair_days`) are a UNION ALL, which SQLite cannot look up by a joined
    /// product — it would expand every pair.
    struct PairSource {
        /// The kind filter (`= :kind`, `IN (1, 2)`, …) and the window and history tables.
        let kinds: String
        let window: String
        let history: String

        static let rows = PairSource(kinds: "IN (1, 2)", window: "pair_window_rows", history: "pair_day_rows")
        static let lists = PairSource(kinds: "= 3", window: "pair_list_windows", history: "pair_list_days")
        static let all = [rows, lists]

        private init(kinds: String, window: String, history: String) {
            self.kinds = kinds
            self.window = window
            self.history = history
        }

        /// The source of a co-occurrence type, filtered to `:kind`.
        init(_ type: RecommendationType) {
            let source = type == .boughtBought ? PairSource.lists : .rows
            self.init(kinds: "= :kind", window: source.window, history: source.history)
        }
    }

    /// `cooccurrence`, point in time: pairs from `products` of `kinds` with their support, bases,
    /// total, lift and score, summed over the days of the window — what `recs_cooccurrence`
    /// holds live.
    /// The pairs of one source's kinds from `products`, summed over the days, with their support.
    static func pointInTimePairs(_ source: PairSource, products: String) -> String {
        """
                SELECT p.kind_id, p.product_id, p.other_id, sum(p.together) AS together
                FROM days JOIN \(source.history) AS p ON p.day = days.day AND p.store_id = :store AND p.kind_id \(source.kinds)
                     AND p.product_id IN \(products)
                GROUP BY p.kind_id, p.product_id, p.other_id
                HAVING sum(p.together) >= \(minimumSupport("p.kind_id"))
        """
    }

    static func cooccurrence(sources: [PairSource], products: String) -> String {
        """
            days(day) AS (SELECT :cooccurrence_first UNION ALL SELECT day + 1 FROM days WHERE day < :cooccurrence_last),
            pairs AS (
            \(sources.map { pointInTimePairs($0, products: products) }.joined(separator: "\n        UNION ALL\n"))),
            bases AS (
                SELECT b.product_id, sum(b.co_viewers) AS co_viewers, sum(b.co_buyers) AS co_buyers,
                       sum(b.orders) - sum(b.cancelled_orders) AS orders
                FROM days JOIN product_days AS b ON b.day = days.day AND b.store_id = :store
                     AND b.product_id IN (SELECT product_id FROM pairs UNION SELECT other_id FROM pairs)
                GROUP BY b.product_id),
            pair_totals AS (
                SELECT sum(co_sessions) AS co_sessions, sum(orders) - sum(cancelled_orders) AS orders FROM store_days
                WHERE store_id = :store AND day BETWEEN :cooccurrence_first AND :cooccurrence_last),
            cooccurrence AS (
                SELECT x.*, x.together * 1.0 * x.total / (x.base * x.other_base) AS lift,
                       (x.together + k.lift_prior) / (x.base * 1.0 * x.other_base / x.total + k.lift_prior) AS score
                FROM (SELECT p.kind_id, p.product_id, p.other_id, a.sku, d.sku AS recommended_sku, d.name, d.final_price, p.together,
                             CASE p.kind_id WHEN 3 THEN ba.orders ELSE ba.co_viewers END AS base,
                             CASE p.kind_id WHEN 1 THEN bb.co_viewers WHEN 2 THEN bb.co_buyers ELSE bb.orders END AS other_base,
                             CASE p.kind_id WHEN 3 THEN t.orders ELSE t.co_sessions END AS total
                      FROM pairs AS p
                      JOIN bases AS ba ON ba.product_id = p.product_id
                      JOIN bases AS bb ON bb.product_id = p.other_id
                      CROSS JOIN pair_totals AS t
                      JOIN products AS a ON a.product_id = p.product_id
                      CROSS JOIN displayable_products AS d ON d.store_id = :store AND d.product_id = p.other_id) AS x
                CROSS JOIN recommendation_settings AS k
                WHERE x.base > 0 AND x.other_base > 0 AND x.total > 0)
            """
    }

    /// Point in time: ranked by the smoothed lift (`score`, see `recs_cooccurrence`); a cart
    /// sums the scores of its products. The reason names the strongest pair: SQLite takes the
    /// bare columns from the row of max(score).
    static let cooccurrenceBody = """

        SELECT other_id, recommended_sku, name, final_price, sum(score) AS total_score, together, lift, sku, max(score)
        FROM cooccurrence WHERE other_id \(notExcluded) /*candidate-filter:cooccurrence.other_id*/
        GROUP BY other_id ORDER BY total_score DESC, recommended_sku LIMIT :limit
        """

    /// A pair's live support threshold: `minimum_support` for bought-bought (kind 3), else
    /// `minimum_view_support`; `kind` is the pair's kind column or `:kind`.
    static func minimumSupport(_ kind: String) -> String {
        "CASE \(kind) WHEN 3 THEN (SELECT minimum_support FROM recommendation_settings) ELSE (SELECT minimum_view_support FROM recommendation_settings) END"
    }

    /// The live bases of a pair of `kind` — columns base, other_base, total — from the
    /// co-occurrence-window rows `wa` (the product), `wb` (the partner) and `sw` (the store),
    /// as `recs_cooccurrence` computes them.
    static func windowBases(_ kind: String) -> String {
        """
        CASE \(kind) WHEN 3 THEN wa.orders - wa.cancelled_orders ELSE wa.co_viewers END AS base,
               CASE \(kind) WHEN 1 THEN wb.co_viewers WHEN 2 THEN wb.co_buyers ELSE wb.orders - wb.cancelled_orders END AS other_base,
               CASE \(kind) WHEN 3 THEN sw.orders - sw.cancelled_orders ELSE sw.co_sessions END AS total
        """
    }

    /// The end of the live co-occurrence queries: the displayable `candidates` (one row per
    /// product: other_id, score, source_id, …) with names and the reason's SKU, best first;
    /// `before` and `after` are the candidate columns around that SKU.
    static func rankedCandidates(before: String, after: String) -> String {
        """
        SELECT c.other_id, d.sku, d.name, d.final_price, c.score, \(before), a.sku, \(after)
        FROM candidates AS c
        CROSS JOIN displayable_products AS d ON d.store_id = :store AND d.product_id = c.other_id
        JOIN products AS a ON a.product_id = c.source_id
        ORDER BY c.score DESC, d.sku LIMIT :limit
        """
    }

    /// Live co-occurrence, the sums of `recs_cooccurrence` straight from the window tables: per
    /// pair only its row and the partner's bases are read; displayability and names once per
    /// candidate, the reason's SKU for the winners. A cart sums each partner's scores over the
    /// cart's products (the reason names the strongest pair: SQLite takes the bare columns from
    /// the row of max(score)); a single product has one row per partner and skips that sum.
    static func cooccurrenceLive(singleContext: Bool, source: PairSource) -> String {
        """
        WITH pairs AS (
            SELECT pw.product_id, pw.other_id, pw.together,
                   \(windowBases(":kind"))
            FROM (SELECT DISTINCT value AS product_id FROM json_each(:context)) AS c
            CROSS JOIN store_windows AS sw ON sw.store_id = :store AND sw.window_id = 2
            CROSS JOIN product_windows AS wa ON wa.store_id = :store AND wa.window_id = 2 AND wa.product_id = c.product_id
            CROSS JOIN \(source.window) AS pw ON pw.store_id = :store AND pw.kind_id = :kind AND pw.product_id = c.product_id
            CROSS JOIN product_windows AS wb ON wb.store_id = :store AND wb.window_id = 2 AND wb.product_id = pw.other_id
            WHERE pw.together >= \(minimumSupport(":kind"))
              AND pw.other_id \(notExcluded) /*candidate-filter:pw.other_id*/),
        scored AS (
            SELECT p.product_id, p.other_id, p.together, p.together * 1.0 * p.total / (p.base * p.other_base) AS lift,
                   (p.together + k.lift_prior) / (p.base * 1.0 * p.other_base / p.total + k.lift_prior) AS score
            FROM pairs AS p CROSS JOIN recommendation_settings AS k
            WHERE p.base > 0 AND p.other_base > 0 AND p.total > 0),
        candidates(other_id, score, together, lift, source_id, best) AS (
        \(singleContext ? "    SELECT other_id, score, together, lift, product_id, score FROM scored"
            : "    SELECT other_id, sum(score), together, lift, product_id, max(score) FROM scored GROUP BY other_id"))
        \(rankedCandidates(before: "c.together, c.lift", after: "c.best"))
        """
    }

    // MARK: The visitor

    /// `visitor_history` (last view, add-to-cart and purchase per product) and `visitor_bought`.
    static func visitorHistory(_ pointInTime: Bool) -> String {
        pointInTime ? """
            visitor_events AS (
                SELECT r.rollup_id AS product_id, e.type, e.occurred_at
                FROM events AS e JOIN product_rollup AS r ON r.product_id = e.product_id
                WHERE e.visitor_id = :visitor AND e.store_id = :store AND e.occurred_at < :before
                  AND e.type IN ('product-view', 'add-to-cart')
                UNION ALL
                SELECT r.rollup_id, e.type, e.occurred_at
                FROM events AS e JOIN event_lines AS l ON l.event_seq = e.event_seq JOIN product_rollup AS r ON r.product_id = l.product_id
                WHERE e.visitor_id = :visitor AND e.store_id = :store AND e.occurred_at < :before AND e.type = 'place-order'),
            visitor_history AS (
                SELECT product_id, max(CASE type WHEN 'product-view' THEN occurred_at END) AS last_viewed_at,
                       max(CASE type WHEN 'add-to-cart' THEN occurred_at END) AS last_carted_at,
                       max(CASE type WHEN 'place-order' THEN occurred_at END) AS last_bought_at
                FROM visitor_events WHERE occurred_at >= :since GROUP BY product_id),
            visitor_bought AS (SELECT product_id FROM visitor_events WHERE type = 'place-order')
            """ : """
            visitor_history AS (
                SELECT product_id, last_viewed_at, last_carted_at, last_bought_at FROM visitor_products
                WHERE store_id = :store AND visitor_id = :visitor
                  AND max(coalesce(last_viewed_at, 0), coalesce(last_carted_at, 0), coalesce(last_bought_at, 0)) >= :since),
            visitor_bought AS (
                SELECT product_id FROM visitor_products WHERE store_id = :store AND visitor_id = :visitor AND first_bought_at IS NOT NULL)
            """
    }

    /// `history`: the visitor's most weighty products. Weight: view 1, add-to-cart 2, purchase 3,
    /// each halved every history_half_life_days before :now; the strongest interaction counts.
    static let history = """
        history AS (
            SELECT h.product_id,
                   max(coalesce(CASE WHEN h.last_viewed_at >= :since THEN pow(0.5, (:now - h.last_viewed_at) / k.half_life) END, 0),
                       coalesce(CASE WHEN h.last_carted_at >= :since THEN 2 * pow(0.5, (:now - h.last_carted_at) / k.half_life) END, 0),
                       coalesce(CASE WHEN h.last_bought_at >= :since THEN 3 * pow(0.5, (:now - h.last_bought_at) / k.half_life) END, 0)) AS weight,
                   CASE WHEN h.last_bought_at >= :since THEN 3 WHEN h.last_carted_at >= :since THEN 2 ELSE 1 END AS interaction
            FROM visitor_history AS h
            CROSS JOIN (SELECT history_half_life_days * 86400000.0 AS half_life FROM recommendation_settings) AS k
            ORDER BY weight DESC, h.product_id
            LIMIT (SELECT history_products FROM recommendation_settings))
        """

    /// Candidates score Σ weight × cosine similarity (together / √(base × other_base)) over the
    /// history products and co-occurrence kinds; the reason names the strongest contribution.
    static let forYouBody = """
        ,
        similar AS (
            SELECT c.other_id, c.recommended_sku, c.name, c.final_price, h.weight * c.together / sqrt(c.base * c.other_base) AS s,
                   c.together, h.interaction, c.sku, c.kind_id
            FROM history AS h JOIN cooccurrence AS c ON c.product_id = h.product_id
            WHERE h.weight > 0 AND c.other_id NOT IN (SELECT product_id FROM visitor_bought) AND c.other_id \(notExcluded) /*candidate-filter:c.other_id*/)
        SELECT other_id, recommended_sku, name, final_price, sum(s) AS score, together, interaction, sku, kind_id, max(s)
        FROM similar GROUP BY other_id ORDER BY score DESC, recommended_sku LIMIT :limit
        """

    /// Live, the same sums straight from the window tables: per pair only its row and the
    /// other product's bases are read (`recs_cooccurrence` also joins names, stores and
    /// displayability per pair); displayability is checked once per candidate, after summing
    /// (it depends on the candidate only), and the SKU of the reason's product at the end.
    /// The history products' pairs of one source, with their bases (for-you, live).
    static func forYouLivePairs(_ source: PairSource) -> String {
        """
                  SELECT pw.other_id, h.weight, h.interaction, h.product_id AS source_id, pw.kind_id, pw.together,
                         \(windowBases("pw.kind_id"))
                  FROM history AS h
                  CROSS JOIN products AS a ON a.product_id = h.product_id
                  CROSS JOIN product_windows AS wa ON wa.store_id = :store AND wa.window_id = 2 AND wa.product_id = h.product_id
                  CROSS JOIN store_windows AS sw ON sw.store_id = :store AND sw.window_id = 2
                  CROSS JOIN \(source.window) AS pw ON pw.store_id = :store AND pw.kind_id \(source.kinds) AND pw.product_id = h.product_id
                  CROSS JOIN product_windows AS wb ON wb.store_id = :store AND wb.window_id = 2 AND wb.product_id = pw.other_id
                  WHERE h.weight > 0 AND pw.together >= \(minimumSupport("pw.kind_id"))
                    AND pw.other_id NOT IN (SELECT product_id FROM visitor_bought)
                    AND pw.other_id \(notExcluded) /*candidate-filter:pw.other_id*/

        """
    }

    static let forYouLiveBody = """
        ,
        similar AS (
            SELECT x.other_id, x.weight * x.together / sqrt(x.base * x.other_base) AS s, x.together, x.interaction, x.source_id, x.kind_id
            FROM (\(PairSource.all.map(forYouLivePairs).joined(separator: "                  UNION ALL\n"))) AS x
            WHERE x.base > 0 AND x.other_base > 0 AND x.total > 0),
        candidates AS (
            SELECT other_id, sum(s) AS score, together, interaction, source_id, kind_id, max(s) AS best FROM similar GROUP BY other_id)
        \(rankedCandidates(before: "c.together, c.interaction", after: "c.kind_id, c.best"))
        """

    // MARK: Recommended for you from the neighbour lists (migration 0009)

    /// Live recommended for you when the neighbour lists are servable (``ItemNeighbours``): the
    /// sums of `forYouLiveBody` with each pair's similarity read from the history product's
    /// list instead of computed from the windows. ``NeighbourRanking`` computes the same in
    /// Swift; this is its SQL form, for `crosslink recommend --sql` and the benchmark's C baseline.
    static let forYouNeighbours = Query("WITH " + visitorHistory(false) + ",\n" + history + """
        ,
        similar AS (
            SELECT j.value ->> 0 AS other_id, h.weight * (j.value ->> 1) AS s, h.weight * (j.value ->> 2) AS best_s,
                   j.value ->> 4 AS together, h.interaction, h.product_id AS source_id, j.value ->> 3 AS kind_id
            FROM history AS h
            CROSS JOIN item_neighbours AS n ON n.list_key = (:store << 32) + h.product_id
            CROSS JOIN json_each(n.neighbours) AS j
            WHERE h.weight > 0),
        candidates AS (
            SELECT other_id, sum(s) AS score, together, interaction, source_id, kind_id, max(best_s) AS best FROM similar
            WHERE other_id NOT IN (SELECT product_id FROM visitor_bought) AND other_id \(notExcluded) /*candidate-filter:similar.other_id*/
            GROUP BY other_id)
        \(rankedCandidates(before: "c.together, c.interaction", after: "c.kind_id, c.best"))
        """)

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
    static let neighbourCandidates = Query("""
        SELECT d.product_id, d.sku, d.name, d.final_price, a.sku
        FROM json_each(:candidates) AS c
        CROSS JOIN displayable_products AS d ON d.store_id = :store AND d.product_id = c.value ->> 0
        CROSS JOIN products AS a ON a.product_id = c.value ->> 1
        WHERE 1 /*candidate-filter:d.product_id*/
        """)

    /// `recently`: the visitor's viewed products with the last view.
    static func recentlyViewed(_ pointInTime: Bool) -> String {
        pointInTime ? """
            WITH recently AS (
                SELECT d.product_id, d.sku, d.name, d.final_price, v.last_viewed_at
                FROM (SELECT r.rollup_id AS product_id, max(e.occurred_at) AS last_viewed_at
                      FROM events AS e JOIN product_rollup AS r ON r.product_id = e.product_id
                      WHERE e.visitor_id = :visitor AND e.store_id = :store AND e.type = 'product-view' AND e.occurred_at < :before
                      GROUP BY r.rollup_id) AS v
                CROSS JOIN displayable_products AS d ON d.store_id = :store AND d.product_id = v.product_id)
            """ : """
            WITH recently AS (
                SELECT product_id, sku, name, final_price, last_viewed_at FROM recs_recently_viewed
                WHERE store_id = :store AND visitor_id = :visitor)
            """
    }

    static let recentlyViewedBody = """

        SELECT product_id, sku, name, final_price, last_viewed_at AS score, last_viewed_at, NULL, NULL, NULL
        FROM recently WHERE product_id \(notExcluded) /*candidate-filter:recently.product_id*/
        ORDER BY last_viewed_at DESC, sku LIMIT :limit
        """

    // MARK: More like this

    /// Catalog only. A candidate scores Σ idf of the features it shares with the context:
    /// categories below the root, attribute values, and name words (`product_words`);
    /// idf = ln(1 + N / products with the feature), N = the highest product id (≈ catalog size).
    ///
    /// One product, lists fresh (`similar_state.dirty` = 0, see ``SimilarProducts``): its
    /// materialised list in rank order, joined to displayability until `:limit` are found —
    /// taken when it fills the request or holds every candidate. Otherwise (a cart, stale lists,
    /// a list too short for the exclusions and filter) the live query: every product sharing a
    /// feature is scored and the best `:limit` + 100 are checked for displayability (as
    /// conversion). `detail` lists the shared features as c:…, a:…, w:…: for a served list from
    /// the row's `shared_mask` (migration 0008), otherwise looked up per feature and winner.
    static let moreLikeThis = """
        WITH context(product_id) AS (SELECT value FROM json_each(:context)),
        fresh(yes) AS (SELECT (SELECT dirty FROM similar_state) = 0 AND (SELECT count(*) FROM context) = 1),
        listed AS (
            SELECT d.product_id, d.sku, d.name, d.final_price, s.score, s.shared, s.shared_mask AS mask
            FROM similar_products AS s
            CROSS JOIN displayable_products AS d ON d.store_id = :store AND d.product_id = s.other_id
            WHERE s.product_id = (SELECT min(product_id) FROM context) AND (SELECT yes FROM fresh)
              AND s.other_id \(notExcluded) /*candidate-filter:s.other_id*/
            ORDER BY s.rank LIMIT :limit),
        served(yes) AS (
            SELECT (SELECT yes FROM fresh) AND ((SELECT count(*) FROM listed) = :limit
                OR coalesce((SELECT truncated = 0 FROM similar_lists WHERE product_id = (SELECT min(product_id) FROM context)), 0))),
        -- Numbered as `similar_products.shared_mask` numbers them (migration 0008).
        context_features(kind, id, value, label, ordinal) AS MATERIALIZED (
            SELECT kind, id, value, label, row_number() OVER (ORDER BY CASE kind WHEN 'c' THEN 0 WHEN 'a' THEN 1 ELSE 2 END, id, value) - 1
            FROM (
                SELECT 'c' AS kind, c.category_id AS id, NULL AS value, 'c:' || substr(c.name_path, instr(c.name_path, '/') + 1) AS label
                FROM categories AS c
                WHERE c.level > 0
                  AND c.category_id IN (SELECT category_id FROM product_categories WHERE product_id IN (SELECT product_id FROM context))
                UNION ALL
                SELECT 'a', sa.attribute_id, sa.value, 'a:' || a.code || ' ' || sa.value
                FROM (SELECT DISTINCT attribute_id, value FROM product_attributes WHERE product_id IN (SELECT product_id FROM context)) AS sa
                JOIN attributes AS a ON a.attribute_id = sa.attribute_id
                UNION ALL
                SELECT 'w', NULL, sw.word, 'w:' || sw.word
                FROM (SELECT DISTINCT word FROM product_words WHERE product_id IN (SELECT product_id FROM context)) AS sw)),
        -- The live query, computed only when the lists do not serve.
        size(n) AS (SELECT coalesce(max(product_id), 1) * 1.0 FROM products),
        features(kind, id, value, weight) AS MATERIALIZED (
            SELECT f.kind, f.id, f.value,
                   ln(1 + s.n / CASE f.kind
                       WHEN 'c' THEN (SELECT count(*) FROM product_categories AS x WHERE x.category_id = f.id)
                       WHEN 'a' THEN (SELECT count(*) FROM product_attributes AS x WHERE x.attribute_id = f.id AND x.value = f.value)
                       ELSE (SELECT count(*) FROM product_words AS x WHERE x.word = f.value) END)
            FROM context_features AS f CROSS JOIN size AS s
            WHERE NOT (SELECT yes FROM served)),
        matches(product_id, weight) AS (
            SELECT pc.product_id, f.weight FROM features AS f JOIN product_categories AS pc ON pc.category_id = f.id WHERE f.kind = 'c'
            UNION ALL
            SELECT pa.product_id, f.weight FROM features AS f
            JOIN product_attributes AS pa ON pa.attribute_id = f.id AND pa.value = f.value WHERE f.kind = 'a'
            UNION ALL
            SELECT pw.product_id, f.weight FROM features AS f JOIN product_words AS pw ON pw.word = f.value WHERE f.kind = 'w'),
        scored AS (
            SELECT product_id, sum(weight) AS score, count(*) AS shared FROM served AS v CROSS JOIN matches
            WHERE NOT v.yes AND product_id NOT IN (SELECT product_id FROM context) AND product_id \(notExcluded) /*candidate-filter:matches.product_id*/
            GROUP BY product_id ORDER BY score DESC, product_id LIMIT :limit + 100),
        top AS (
            SELECT * FROM listed WHERE (SELECT yes FROM served)
            UNION ALL
            -- Driven by `served`, so that SQLite never starts the live query when the list serves.
            SELECT * FROM (
                SELECT d.product_id, d.sku, d.name, d.final_price, m.score, m.shared, NULL
                FROM served AS v CROSS JOIN scored AS m CROSS JOIN displayable_products AS d ON d.store_id = :store AND d.product_id = m.product_id
                WHERE NOT v.yes
                ORDER BY m.score DESC, d.sku LIMIT :limit))
        -- The shared features' labels, for the winners only: from the list's mask, else looked up.
        SELECT t.product_id, t.sku, t.name, t.final_price, t.score, t.shared, NULL, NULL,
               CASE WHEN t.mask IS NOT NULL THEN (SELECT group_concat(f.label, char(31)) FROM context_features AS f WHERE (t.mask >> f.ordinal) & 1)
               ELSE (SELECT group_concat(f.label, char(31)) FROM context_features AS f
                WHERE (f.kind = 'c' AND EXISTS (SELECT 1 FROM product_categories AS x WHERE x.category_id = f.id AND x.product_id = t.product_id))
                   OR (f.kind = 'a' AND EXISTS (SELECT 1 FROM product_attributes AS x
                                                WHERE x.product_id = t.product_id AND x.attribute_id = f.id AND x.value = f.value))
                   OR (f.kind = 'w' AND EXISTS (SELECT 1 FROM product_words AS x WHERE x.word = f.value AND x.product_id = t.product_id))) END
        FROM top AS t ORDER BY t.score DESC, t.sku
        """
}
