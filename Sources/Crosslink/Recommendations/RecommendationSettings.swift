/// Windows, thresholds and priors of the behavioural recommendations, stored in the database
/// (`recommendation_settings`) so the library, the CLI and the `sqlite3` views all use the same
/// values.
///
/// The defaults are the settings `crosslink eval --grid` scores best (NDCG@10) on the shipped
/// Online Retail log (README "Offline evaluation", pinned by EvaluationDefaultsTests); those
/// the purchases-only log cannot score — trending and the view-based ones — keep the reference
/// values. ``specification`` holds the reference values for every setting.
///
/// ```swift
/// try store.write { db in
///     var settings = try RecommendationSettings.load(db)
///     settings.popularityDays = 14           // a window: the aggregates are rebuilt
///     settings.minimumSupport = 3            // ranking only: takes effect at once
///     try Aggregates(db).configure(settings)
/// }
/// ```
public struct RecommendationSettings: Sendable, Equatable, Codable {
    /// Most viewed / purchased / added to cart and conversion count the sessions of the last N days
    /// (reference value: 7; the grid: 14).
    public var popularityDays = 14
    /// Trending compares the last N hours …
    public var trendingForegroundHours = 24
    /// … with the product's own N hours before them.
    public var trendingBackgroundHours = 72
    /// Co-occurrence types and recommended-for-you use the last N days (reference value: 6 months; the
    /// grid: a year, i.e. the whole log it learns from).
    public var cooccurrenceDays = 365
    /// Sessions and orders with more distinct products (wholesale baskets, crawlers) give no
    /// co-occurrence evidence; they still count for popularity.
    public var maxBasketProducts = 50
    /// Bought-together pairs seen in fewer orders are not recommended (the grid: 1).
    public var minimumSupport = 1
    /// Viewed-viewed and viewed-bought pairs seen in fewer sessions are not recommended. The reference
    /// value is 2: the shipped log has no views, so the grid cannot score it (and at 1 every
    /// co-viewed pair enters the ranking, several times the work per request).
    public var minimumViewSupport = 2
    /// Co-occurrence types rank by (together + k) / (expected + k), k = this: the lift shrunk
    /// towards 1, so that rare pairs need evidence to outrank frequent ones. k = 0 is the plain
    /// lift; a large k ranks by the excess count together − expected, which the grid scores best
    /// (10⁶; 5 before it).
    public var liftPrior = 1_000_000.0
    /// Conversion is smoothed as (converted + k × store rate) / (viewers + k), k = this.
    public var conversionPriorViews = 20.0
    /// Trending needs at least this many viewing sessions in the foreground window.
    public var trendingMinimumViewers = 3
    /// Recommended for you: a history interaction's weight halves every N days (the grid: 7; 30 before it).
    public var historyHalfLifeDays = 7.0
    /// Recommended for you: the visitor's N most weighty history products seed the expansion (the
    /// grid: 50; 20 before it).
    public var historyProducts = 50

    public init() {}

    /// The reference values (and the first priors), before the grid tuned the defaults: for tests
    /// whose hand computations assume them, and for comparison.
    public static let specification: RecommendationSettings = {
        var settings = RecommendationSettings()
        settings.popularityDays = 7
        settings.trendingForegroundHours = 24
        settings.trendingBackgroundHours = 72
        settings.cooccurrenceDays = 183
        settings.maxBasketProducts = 50
        settings.minimumSupport = 2
        settings.minimumViewSupport = 2
        settings.liftPrior = 5
        settings.conversionPriorViews = 20
        settings.trendingMinimumViewers = 3
        settings.historyHalfLifeDays = 30
        settings.historyProducts = 20
        return settings
    }()

    /// Whether going from `self` to `other` changes what the aggregate tables hold (a rebuild).
    func aggregatesDiffer(from other: RecommendationSettings) -> Bool {
        popularityDays != other.popularityDays || trendingForegroundHours != other.trendingForegroundHours
            || trendingBackgroundHours != other.trendingBackgroundHours || cooccurrenceDays != other.cooccurrenceDays
            || maxBasketProducts != other.maxBasketProducts
    }

    static let columns = """
        popularity_days, trending_foreground_hours, trending_background_hours, cooccurrence_days, max_basket_products, \
        minimum_support, conversion_prior_views, trending_minimum_viewers, history_half_life_days, history_products, lift_prior, \
        minimum_view_support
        """

    /// The stored settings.
    public static func load(_ db: Database) throws -> RecommendationSettings {
        let statement = try db.cachedStatement("SELECT \(columns) FROM recommendation_settings WHERE settings_id = 1")
        defer { statement.reset() }
        statement.reset()
        var settings = RecommendationSettings()
        guard try statement.step() else { return settings }
        settings.popularityDays = statement.int(at: 0)
        settings.trendingForegroundHours = statement.int(at: 1)
        settings.trendingBackgroundHours = statement.int(at: 2)
        settings.cooccurrenceDays = statement.int(at: 3)
        settings.maxBasketProducts = statement.int(at: 4)
        settings.minimumSupport = statement.int(at: 5)
        settings.conversionPriorViews = statement.double(at: 6)
        settings.trendingMinimumViewers = statement.int(at: 7)
        settings.historyHalfLifeDays = statement.double(at: 8)
        settings.historyProducts = statement.int(at: 9)
        settings.liftPrior = statement.double(at: 10)
        settings.minimumViewSupport = statement.int(at: 11)
        return settings
    }

    /// Writes the settings (the table's CHECK constraints reject impossible values).
    func save(_ db: Database) throws {
        try validate()
        try db.execute("""
            UPDATE recommendation_settings SET popularity_days = ?, trending_foreground_hours = ?, trending_background_hours = ?,
                cooccurrence_days = ?, max_basket_products = ?, minimum_support = ?, conversion_prior_views = ?,
                trending_minimum_viewers = ?, history_half_life_days = ?, history_products = ?, lift_prior = ?,
                minimum_view_support = ?
            WHERE settings_id = 1
            """, [popularityDays, trendingForegroundHours, trendingBackgroundHours, cooccurrenceDays, maxBasketProducts,
                  minimumSupport, conversionPriorViews, trendingMinimumViewers, historyHalfLifeDays, historyProducts, liftPrior,
                  minimumViewSupport])
    }

    /// Names the first impossible value (the same rules as the table's CHECK constraints).
    func validate() throws {
        let positive: [(String, Int)] = [
            ("popularityDays", popularityDays), ("trendingForegroundHours", trendingForegroundHours),
            ("trendingBackgroundHours", trendingBackgroundHours), ("cooccurrenceDays", cooccurrenceDays),
            ("minimumSupport", minimumSupport), ("minimumViewSupport", minimumViewSupport),
            ("trendingMinimumViewers", trendingMinimumViewers),
            ("historyProducts", historyProducts),
        ]
        for (field, value) in positive where value <= 0 {
            throw RequestError.invalidValue(field: field, value: String(value), reason: "must be at least 1")
        }
        if maxBasketProducts < 2 {
            throw RequestError.invalidValue(field: "maxBasketProducts", value: String(maxBasketProducts), reason: "must be at least 2")
        }
        if !(liftPrior.isFinite && liftPrior >= 0) {
            throw RequestError.invalidValue(field: "liftPrior", value: String(liftPrior), reason: "must be a finite number ≥ 0")
        }
        if !(conversionPriorViews.isFinite && conversionPriorViews >= 0) {
            throw RequestError.invalidValue(field: "conversionPriorViews", value: String(conversionPriorViews), reason: "must be a finite number ≥ 0")
        }
        if !(historyHalfLifeDays.isFinite && historyHalfLifeDays > 0) {
            throw RequestError.invalidValue(field: "historyHalfLifeDays", value: String(historyHalfLifeDays), reason: "must be a finite number > 0")
        }
    }
}
