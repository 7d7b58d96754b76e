/// Sessions viewing the product in the popularity window (`popularityDays`).
enum MostViewed {
    static let descriptor = RecommendationTypeDescriptor(
        .mostViewed, requirement: .nothing, pages: Set(PageType.allCases), scoreKind: .count,
        evaluationTarget: .view, isEvaluationBaseline: true, grid: EvaluationGrid.popularityAxes,
        live: RecommendationSQL.popularity(false) + body,
        asOf: RecommendationSQL.popularity(true) + body
    ) { row, settings in
        .popular(metric: .views, sessions: row.int("sessions"), units: nil, days: settings.popularityDays)
    }

    private static let body = RecommendationSQL.popularityBody(score: "viewers", second: "NULL", order: "c.viewers DESC, d.sku")
}
