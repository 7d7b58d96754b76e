/// Sessions adding the product to the cart in the popularity window.
enum MostAddedToCart {
    static let descriptor = RecommendationTypeDescriptor(
        .mostAddedToCart, requirement: .nothing, pages: Set(PageType.allCases), scoreKind: .count,
        evaluationTarget: .cart, isEvaluationBaseline: true, grid: EvaluationGrid.popularityAxes,
        live: RecommendationSQL.popularity(false) + body,
        asOf: RecommendationSQL.popularity(true) + body
    ) { row, settings in
        .popular(metric: .carts, sessions: row.int("sessions"), units: nil, days: settings.popularityDays)
    }

    private static let body = RecommendationSQL.popularityBody(score: "carters", second: "NULL", order: "c.carters DESC, d.sku")
}
