/// Viewed in the same sessions as the context product(s), by smoothed lift.
enum ViewedViewed {
    static let descriptor = RecommendationSQL.cooccurrenceType(.viewedViewed, kind: .viewedViewed)
}
