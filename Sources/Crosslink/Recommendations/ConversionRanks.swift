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

    /// Recomputes every store's lists (a few hundred rows each). Both lists come from one read
    /// of the window, ranked here: two `INSERT … SELECT … row_number()` passes sorted the window
    /// twice per aggregated batch.
    func refresh() throws {
        let stores = try db.cachedStatement("SELECT store_id FROM store_windows WHERE window_id = 1 UNION SELECT store_id FROM conversion_rank_state")
            .map { $0.int(at: 0) }
        try db.cachedStatement("DELETE FROM conversion_ranks").execute()
        try db.cachedStatement("DELETE FROM conversion_rank_state").execute()
        let prior = try db.scalarDouble("SELECT conversion_prior_views FROM recommendation_settings") ?? 0
        // Several rows per statement (on PostgreSQL one per list): a list is up to listLength
        // rows, rewritten by every aggregated ingest chunk.
        let insertRanks = MultiRowInsert(db, into: "conversion_ranks(store_id, metric, rank, product_id, converted, viewers, score)", columns: 7)
        let insertState = try db.cachedStatement("""
            INSERT INTO conversion_rank_state(store_id, metric, viewers, converted, prior, complete) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
            """)
        let columns = Self.metrics.map(\.column)
        for store in stores {
            // Viewers, then each metric's converted count (Self.metrics order).
            guard let totals = try db.cachedStatement("""
                SELECT viewers, \(columns.joined(separator: ", ")) FROM store_windows WHERE store_id = ? AND window_id = 1
                """).map([store], { row in (0...columns.count).map { row.int(at: Int32($0)) } }).first else { continue }
            // `+viewers`: scan the window, not the viewers index.
            let products = try db.cachedStatement("""
                SELECT product_id, viewers, \(columns.joined(separator: ", ")) FROM product_windows
                WHERE store_id = ? AND window_id = 1 AND +viewers > 0 AND (\(columns.map { "\($0) > 0" }.joined(separator: " OR ")))
                """).map([store]) { row in (id: row.int(at: 0), counts: (1...columns.count + 1).map { row.int(at: Int32($0)) }) }
            for (index, metric) in Self.metrics.enumerated() {
                let column = index + 1
                // The live query's score, the same operations in the same order (bit for bit):
                // (converted + prior × store rate) / (viewers + prior).
                let rate = totals[0] == 0 ? 0 : Double(totals[column]) / Double(totals[0])
                let ranked = products.filter { $0.counts[column] > 0 }
                    .map { (id: $0.id, converted: $0.counts[column], viewers: $0.counts[0],
                            score: (Double($0.counts[column]) + prior * rate) / (Double($0.counts[0]) + prior)) }
                    .sorted { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }
                try insertRanks.run(Array(ranked.prefix(Self.listLength).enumerated())) { row, statement, first in
                    let (rank, product) = row
                    statement.bind(store, at: first)
                    statement.bind(metric.id, at: first + 1)
                    statement.bind(rank + 1, at: first + 2)
                    statement.bind(product.id, at: first + 3)
                    statement.bind(product.converted, at: first + 4)
                    statement.bind(product.viewers, at: first + 5)
                    statement.bind(product.score, at: first + 6)
                }
                try insertState.execute([store, metric.id, totals[0], totals[column], prior, ranked.count <= Self.listLength ? 1 : 0])
            }
        }
    }
}
