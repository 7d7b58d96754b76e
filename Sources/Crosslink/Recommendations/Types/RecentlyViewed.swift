/// The visitor's viewed products, most recent first.
enum RecentlyViewed {
    static let descriptor = RecommendationTypeDescriptor(
        .recentlyViewed, requirement: .visitor, pages: Set(PageType.allCases), scoreKind: .time, evaluationTarget: .view, evaluationKeepsSeen: true,
        live: RecommendationSQL.recentlyViewed(false) + RecommendationSQL.recentlyViewedBody,
        asOf: RecommendationSQL.recentlyViewed(true) + RecommendationSQL.recentlyViewedBody
    ) { row, _ in
        .recentlyViewed(at: Int64(row.int("last_viewed_at")))
    }
}

extension RecommendationSQL {
    /// `recently`: the visitor's viewed products with the last view.
    static func recentlyViewed(_ pointInTime: Bool) -> SQL {
        pointInTime ? """
            WITH recently AS (
                SELECT d.product_id, d.sku, d.name, d.final_price, v.last_viewed_at
                FROM (SELECT r.rollup_id AS product_id, max(e.occurred_at) AS last_viewed_at
                      FROM events AS e JOIN product_rollup AS r ON r.product_id = e.product_id
                      WHERE e.visitor_id = \(parameter: "visitor") AND e.store_id = \(parameter: "store") AND e.type = 'product-view' AND e.occurred_at < \(parameter: "before")
                      GROUP BY r.rollup_id) AS v
                \(sql: joinDisplayable("v.product_id")))
            """ : """
            WITH recently AS (
                SELECT product_id, sku, name, final_price, last_viewed_at FROM recs_recently_viewed
                WHERE store_id = \(parameter: "store") AND visitor_id = \(parameter: "visitor"))
            """
    }

    static let recentlyViewedBody: SQL = """

        SELECT product_id, sku, name, final_price, last_viewed_at AS score, last_viewed_at AS last_viewed_at
        FROM recently WHERE product_id \(sql: notExcluded) \(condition: "recently.product_id")
        ORDER BY last_viewed_at DESC, sku LIMIT \(parameter: "limit")
        """
}
