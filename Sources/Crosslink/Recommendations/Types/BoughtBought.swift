/// Bought in the same orders as the context product(s), by smoothed lift (pairs in lists, migration 0010).
enum BoughtBought {
    static let descriptor = RecommendationTypeDescriptor.cooccurrence(.boughtBought, kind: .boughtBought, evaluationTarget: .purchase, evaluationContext: .purchase)
}
