/// Bought in sessions after viewing the context product(s), by smoothed lift.
enum ViewedBought {
    static let descriptor = RecommendationSQL.cooccurrenceType(.viewedBought, kind: .viewedBought)
}
