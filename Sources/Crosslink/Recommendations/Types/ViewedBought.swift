/// Bought in sessions after viewing the context product(s), by smoothed lift.
enum ViewedBought {
    static let descriptor = RecommendationTypeDescriptor.cooccurrence(.viewedBought, kind: .viewedBought, evaluationTarget: .purchase, evaluationContext: .view)
}
