/// Growth of viewing sessions in the last `trendingForegroundHours` (24 h) over the product's
/// own `trendingBackgroundHours` (72 h) before; at least `trendingMinimumViewers` recent sessions.
enum Trending {
    static let descriptor = RecommendationTypeDescriptor(
        .trending, requirement: .nothing, pages: [.home, .category], defaultBackup: .mostViewed, scoreKind: .real, evaluationTarget: .view,
        grid: [(.trendingForegroundHours, [12, 24, 48]), (.trendingBackgroundHours, [72, 168]), (.trendingMinimumViewers, [1, 3])],
        live: RecommendationSQL.trending(false) + RecommendationSQL.trendingBody,
        asOf: RecommendationSQL.trending(true) + RecommendationSQL.trendingBody
    ) { row, settings in
        .trending(recent: row.int("recent"), recentHours: settings.trendingForegroundHours, background: row.int("background"),
                  backgroundHours: settings.trendingBackgroundHours, growth: row.score)
    }
}

extension RecommendationSQL {
    /// `trending`: qualifying products with recent and background viewing sessions and growth — as `recs_trending`.
    static func trending(_ pointInTime: Bool) -> SQL {
        pointInTime ? """
            WITH trending AS (
                SELECT d.product_id, d.sku, d.name, d.final_price, c.recent, c.background,
                       (c.recent * 1.0 / k.trending_foreground_hours) / ((c.background + 1.0) / k.trending_background_hours) AS growth
                FROM (SELECT product_id, sum(CASE WHEN hour >= \(parameter: "foreground_first") THEN viewers ELSE 0 END) AS recent,
                             sum(CASE WHEN hour < \(parameter: "foreground_first") THEN viewers ELSE 0 END) AS background
                      FROM product_hours WHERE store_id = \(parameter: "store") AND hour BETWEEN \(parameter: "background_first") AND \(parameter: "foreground_last")
                      GROUP BY product_id) AS c
                CROSS JOIN recommendation_settings AS k
                \(sql: joinDisplayable("c.product_id"))
                WHERE c.recent >= k.trending_minimum_viewers
                  AND (c.recent * 1.0 / k.trending_foreground_hours) > ((c.background + 1.0) / k.trending_background_hours)
                  AND (SELECT first_at / 3600000 <= \(parameter: "background_first") FROM aggregate_state))
            """ : """
            WITH trending AS (
                SELECT product_id, sku, name, final_price, recent, background, growth FROM recs_trending WHERE store_id = \(parameter: "store"))
            """
    }

    /// Ordered by recent / (background + 1): the order of growth, and the index's expression.
    static let trendingBody: SQL = """

        SELECT product_id, sku, name, final_price, growth AS score, recent AS recent, background AS background
        FROM trending WHERE product_id \(sql: notExcluded) \(condition: "trending.product_id")
        ORDER BY recent * 1.0 / (background + 1) DESC, sku LIMIT \(parameter: "limit")
        """
}
