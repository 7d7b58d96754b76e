/// Sessions adding the product to the cart in the popularity window.
enum MostAddedToCart {
    static let descriptor = RecommendationTypeDescriptor(
        .mostAddedToCart, needs: .nothing,
        live: RecommendationSQL.popularity(false) + body,
        asOf: RecommendationSQL.popularity(true) + body
    ) { row, settings in
        .popular(metric: .carts, sessions: row.int("sessions"), units: nil, days: settings.popularityDays)
    }

    private static let body = RecommendationSQL.popularityBody(score: "carters", second: "NULL", order: "c.carters DESC, d.sku")
}
