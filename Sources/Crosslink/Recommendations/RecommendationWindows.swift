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

    /// Each window: its JSON name, where it is here and in the settings, its largest value — the
    /// one table that naming, validation, decoding and ``applied(to:)`` read.
    /// (Computed: key paths are not `Sendable`, so a stored static table would be shared mutable state.)
    static var windows: [(name: String, window: WritableKeyPath<Self, Int?>, setting: WritableKeyPath<RecommendationSettings, Int>, maximum: Int)] {
        [("popularity_days", \.popularityDays, \.popularityDays, maximumDays),
         ("cooccurrence_days", \.cooccurrenceDays, \.cooccurrenceDays, maximumDays),
         ("trending_foreground_hours", \.trendingForegroundHours, \.trendingForegroundHours, maximumHours),
         ("trending_background_hours", \.trendingBackgroundHours, \.trendingBackgroundHours, maximumHours)]
    }

    /// The windows with their JSON names and values (nil: not set), in a fixed order.
    var fields: [(name: String, value: Int?, maximum: Int)] {
        Self.windows.map { ($0.name, self[keyPath: $0.window], $0.maximum) }
    }

    /// The first window out of range, or nil.
    var outOfRange: (name: String, value: Int, maximum: Int)? {
        for field in fields { if let value = field.value, !(1...field.maximum).contains(value) { return (field.name, value, field.maximum) } }
        return nil
    }

    /// `settings` with these windows in place of its own.
    func applied(to settings: RecommendationSettings) -> RecommendationSettings {
        var result = settings
        for window in Self.windows { if let value = self[keyPath: window.window] { result[keyPath: window.setting] = value } }
        return result
    }
}
