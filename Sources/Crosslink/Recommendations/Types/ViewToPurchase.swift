/// Sessions that viewed, then bought, over sessions viewing — smoothed towards the store's rate.
enum ViewToPurchase {
    static let descriptor = RecommendationTypeDescriptor(
        .viewToPurchase, requirement: .nothing, pages: [.home, .category], defaultBackup: .mostViewed, scoreKind: .real,
        evaluationTarget: .purchase, grid: EvaluationGrid.conversionAxes,
        live: RecommendationSQL.popularity(false) + ",\n" + RecommendationSQL.totals(false)
            + RecommendationSQL.conversionBody(metric: 2, converted: "viewed_then_bought", false),
        asOf: RecommendationSQL.popularity(true) + ",\n" + RecommendationSQL.totals(true)
            + RecommendationSQL.conversionBody(metric: 2, converted: "viewed_then_bought", true)
    ) { row, _ in
        .conversion(metric: .purchases, converted: row.int("converted"), viewers: row.int("viewers"), smoothedRate: row.score)
    }
}
