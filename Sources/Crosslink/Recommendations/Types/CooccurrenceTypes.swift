extension RecommendationTypeDescriptor {
    /// A co-occurrence type (viewed-viewed, viewed-bought, bought-bought): the pairs of its
    /// kind from the context products, ranked by smoothed lift; a cart sums its products' scores.
    /// Units on the product, cart and confirmation pages, falling back to most viewed.
    static func cooccurrence(_ type: RecommendationType, kind: CooccurrenceKind, evaluationTarget: EvaluationInteraction,
                             evaluationContext: EvaluationInteraction) -> RecommendationTypeDescriptor {
        let source = RecommendationSQL.PairSource(kind)
        return RecommendationTypeDescriptor(
            type, requirement: .products, pages: [.product, .cart, .confirmation], defaultBackup: .mostViewed, scoreKind: .real,
            evaluationTarget: evaluationTarget, evaluationContext: evaluationContext, grid: EvaluationGrid.cooccurrenceAxes,
            live: RecommendationSQL.cooccurrenceLive(singleContext: false, source: source),
            liveSingleContext: RecommendationSQL.cooccurrenceLive(singleContext: true, source: source),
            asOf: "WITH RECURSIVE " + RecommendationSQL.cooccurrence(sources: [source], products: "\(idList: "context")")
                + RecommendationSQL.cooccurrenceBody,
            kind: kind
        ) { row, _ in
            .together(kind: kind, sku: row.text("source_sku"), together: row.int("together"), lift: row.double("lift"))
        }
    }
}
