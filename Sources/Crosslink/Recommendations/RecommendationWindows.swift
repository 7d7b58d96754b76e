/// Windows of one request or one unit, in place of the stored ``RecommendationSettings``'
/// (a unit showing most viewed of 30 days beside another of 7). A window left nil is the stored
/// one. A request whose windows differ from the stored ones is answered from the day and hour
/// rows, as a point-in-time query is — exact, and slower than the live windows' precomputed
/// sums (``Recommender/recommend(_:context:store:limit:asOf:filter:excluding:windows:)``).
///
/// ```swift
/// let month = RecommendationWindows(popularityDays: 30)
/// let list = try Recommender(db).recommend(.mostViewed, limit: 8, windows: month)
/// ```
public struct RecommendationWindows: Sendable, Equatable, Codable {
    /// Most viewed / purchased / added to cart and conversion count the last N days.
    public var popularityDays: Int?
    /// Co-occurrence types and recommended for you use the last N days.
    public var cooccurrenceDays: Int?
    /// Trending compares the last N hours …
    public var trendingForegroundHours: Int?
    /// … with the product's own N hours before them.
    public var trendingBackgroundHours: Int?

    public init(popularityDays: Int? = nil, cooccurrenceDays: Int? = nil, trendingForegroundHours: Int? = nil,
                trendingBackgroundHours: Int? = nil) {
        self.popularityDays = popularityDays; self.cooccurrenceDays = cooccurrenceDays
        self.trendingForegroundHours = trendingForegroundHours; self.trendingBackgroundHours = trendingBackgroundHours
    }

    /// No window set: the stored ones.
    public var isEmpty: Bool { self == RecommendationWindows() }

    /// Longest window accepted: ten years of days, a year of hours.
    static let maximumDays = 3_650
    static let maximumHours = 8_760

    enum CodingKeys: String, CodingKey {
        case popularityDays = "popularity_days", cooccurrenceDays = "cooccurrence_days"
        case trendingForegroundHours = "trending_foreground_hours", trendingBackgroundHours = "trending_background_hours"
    }

    /// The set windows with their JSON names, in a fixed order (messages, validation).
    var fields: [(name: String, value: Int?, maximum: Int)] {
        [("popularity_days", popularityDays, Self.maximumDays), ("cooccurrence_days", cooccurrenceDays, Self.maximumDays),
         ("trending_foreground_hours", trendingForegroundHours, Self.maximumHours),
         ("trending_background_hours", trendingBackgroundHours, Self.maximumHours)]
    }

    /// The first window out of range, as "name: reason", or nil.
    var problem: String? {
        for field in fields {
            if let value = field.value, !(1...field.maximum).contains(value) {
                return "\(field.name) \(value): must be 1 to \(field.maximum)"
            }
        }
        return nil
    }

    /// `settings` with these windows in place of its own.
    func applied(to settings: RecommendationSettings) -> RecommendationSettings {
        var result = settings
        if let popularityDays { result.popularityDays = popularityDays }
        if let cooccurrenceDays { result.cooccurrenceDays = cooccurrenceDays }
        if let trendingForegroundHours { result.trendingForegroundHours = trendingForegroundHours }
        if let trendingBackgroundHours { result.trendingBackgroundHours = trendingBackgroundHours }
        return result
    }
}
