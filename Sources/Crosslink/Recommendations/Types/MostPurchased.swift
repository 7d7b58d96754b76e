/// Sessions buying the product, minus sessions cancelling it, in the popularity window; then units.
enum MostPurchased {
    static let descriptor = RecommendationTypeDescriptor(
        .mostPurchased, requirement: .nothing, pages: Set(PageType.allCases), scoreKind: .count,
        evaluationTarget: .purchase, isEvaluationBaseline: true, grid: EvaluationGrid.popularityAxes,
        live: RecommendationSQL.popularity(false) + body,
        asOf: RecommendationSQL.popularity(true) + body
    ) { row, settings in
        .popular(metric: .purchases, sessions: row.int("sessions"), units: row.double("units"), days: settings.popularityDays)
    }

    private static let body = RecommendationSQL.popularityBody(score: "net_buyers", second: "c.units", order: "c.net_buyers DESC, c.units DESC, d.sku")
}
