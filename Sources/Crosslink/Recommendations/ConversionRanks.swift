/// The materialised conversion top lists (`conversion_ranks`, migration 0007): per store and
/// metric (view→cart, view→purchase), the ``listLength`` best products of the live popularity
/// window by smoothed rate, as the live query ranks them (score descending, then product id).
///
/// The smoothed rate depends on the store's totals, which move with every event, so no index
/// can order the window by it. Every aggregation (``Aggregates/apply(_:)``, `rebuild()`,
/// `configure(_:)`) recomputes the lists in its own transaction, so they never lag the
/// aggregates; `conversion_rank_state` records the totals and prior a list was computed with,
/// and the query reads a list only when they equal the current ones (otherwise, and when the
/// exclusions or a unit's filter leave the list short, it scans the window as before).
struct ConversionRanks {
    let db: Database

    /// Products kept per store and metric: enough for the query's `limit` + 100 (limit ≤ 100).
    static let listLength = 200

    /// `conversion_ranks.metric` and the window column it ranks by.
    static let metrics = [(id: 1, column: "viewed_then_carted"), (id: 2, column: "viewed_then_bought")]

    /// Recomputes every store's lists (a few hundred rows each).
    func refresh() throws {
        let stores = try db.cachedStatement("SELECT store_id FROM store_windows WHERE window_id = 1 UNION SELECT store_id FROM conversion_rank_state")
            .map { $0.int(at: 0) }
        try db.cachedStatement("DELETE FROM conversion_ranks").execute()
        try db.cachedStatement("DELETE FROM conversion_rank_state").execute()
        for store in stores {
            for metric in Self.metrics {
                // The live query's score, the same expression (bit for bit); one extra row tells a
                // complete list from a cut one. `+viewers`: scan the window, not the viewers index.
                try db.cachedStatement("""
                    INSERT INTO conversion_ranks(store_id, metric, rank, product_id, converted, viewers, score)
                    SELECT ?1, ?2, row_number() OVER (ORDER BY score DESC, product_id), product_id, converted, viewers, score FROM (
                        SELECT c.product_id, c.\(metric.column) AS converted, c.viewers,
                               (c.\(metric.column) + k.prior * coalesce(t.\(metric.column) * 1.0 / nullif(t.viewers, 0), 0)) / (c.viewers + k.prior) AS score
                        FROM product_windows AS c
                        CROSS JOIN store_windows AS t ON t.store_id = ?1 AND t.window_id = 1
                        CROSS JOIN (SELECT conversion_prior_views AS prior FROM recommendation_settings) AS k
                        WHERE c.store_id = ?1 AND c.window_id = 1 AND c.\(metric.column) > 0 AND +c.viewers > 0
                        ORDER BY score DESC, c.product_id LIMIT ?3 + 1)
                    """).execute([store, metric.id, Self.listLength])
                try db.cachedStatement("""
                    INSERT INTO conversion_rank_state(store_id, metric, viewers, converted, prior, complete)
                    SELECT ?1, ?2, t.viewers, t.\(metric.column), k.conversion_prior_views,
                           (SELECT count(*) FROM conversion_ranks WHERE store_id = ?1 AND metric = ?2) <= ?3
                    FROM store_windows AS t CROSS JOIN recommendation_settings AS k WHERE t.store_id = ?1 AND t.window_id = 1
                    """).execute([store, metric.id, Self.listLength])
                try db.cachedStatement("DELETE FROM conversion_ranks WHERE store_id = ?1 AND metric = ?2 AND rank > ?3")
                    .execute([store, metric.id, Self.listLength])
            }
        }
    }
}
