/// Bought in the same orders as the context product(s), by smoothed lift (pairs in lists, migration 0010).
enum BoughtBought {
    static let descriptor = RecommendationSQL.cooccurrenceType(.boughtBought, kind: .boughtBought)
}
