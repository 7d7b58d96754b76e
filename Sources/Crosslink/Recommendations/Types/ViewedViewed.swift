/// Viewed in the same sessions as the context product(s), by smoothed lift.
enum ViewedViewed {
    static let descriptor = RecommendationTypeDescriptor.cooccurrence(.viewedViewed, kind: .viewedViewed, evaluationTarget: .view, evaluationContext: .view)
}
