/// Sessions that viewed, then added to cart, over sessions viewing — smoothed towards the store's rate.
enum ViewToCart {
    static let descriptor = RecommendationTypeDescriptor(
        .viewToCart, requirement: .nothing, pages: [.home, .category], defaultBackup: .mostViewed, scoreKind: .real,
        evaluationTarget: .cart, grid: EvaluationGrid.conversionAxes,
        live: RecommendationSQL.popularity(false) + ",\n" + RecommendationSQL.totals(false)
            + RecommendationSQL.conversionBody(metric: 1, converted: "viewed_then_carted", false),
        asOf: RecommendationSQL.popularity(true) + ",\n" + RecommendationSQL.totals(true)
            + RecommendationSQL.conversionBody(metric: 1, converted: "viewed_then_carted", true)
    ) { row, _ in
        .conversion(metric: .carts, converted: row.int("converted"), viewers: row.int("viewers"), smoothedRate: row.score)
    }
}
