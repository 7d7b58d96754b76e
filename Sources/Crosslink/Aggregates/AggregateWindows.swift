/// The time buckets of the aggregates: UTC days and hours of Unix milliseconds.
enum AggregateTime {
    static let hourMilliseconds: Int64 = 3_600_000
    static let dayMilliseconds: Int64 = 86_400_000
    static func day(_ time: Int64) -> Int { Int(time / dayMilliseconds) }
    static func hour(_ time: Int64) -> Int { Int(time / hourMilliseconds) }
}

/// The windows, as ranges of buckets: popularity and co-occurrence in days, the trending
/// foreground and background in hours.
///
/// Live windows end with the bucket of the latest event (the current, partial day or hour
/// included). A point-in-time window (`asOf`) holds the whole buckets before that instant, so a
/// point in time is exact at day boundaries (hour boundaries for trending); events after it
/// never count.
struct AggregateWindows: Equatable {
    var popularity: ClosedRange<Int>
    var cooccurrence: ClosedRange<Int>
    var foreground: ClosedRange<Int>
    var background: ClosedRange<Int>

    init(settings: RecommendationSettings, endDay: Int, endHour: Int) {
        popularity = (endDay - settings.popularityDays + 1)...endDay
        cooccurrence = (endDay - settings.cooccurrenceDays + 1)...endDay
        let foregroundStart = endHour - settings.trendingForegroundHours + 1
        foreground = foregroundStart...endHour
        background = (foregroundStart - settings.trendingBackgroundHours)...(foregroundStart - 1)
    }

    /// The live windows when the latest event happened at `lastAt`.
    static func live(lastAt: Int64, settings: RecommendationSettings) -> AggregateWindows {
        AggregateWindows(settings: settings, endDay: AggregateTime.day(lastAt), endHour: AggregateTime.hour(lastAt))
    }

    /// The windows of whole buckets before `asOf` (Unix milliseconds).
    static func asOf(_ asOf: Int64, settings: RecommendationSettings) -> AggregateWindows {
        AggregateWindows(settings: settings, endDay: AggregateTime.day(asOf) - 1, endHour: AggregateTime.hour(asOf) - 1)
    }
}

/// Moving a window from one range to a later one: the buckets to subtract and to add.
struct WindowMove: Equatable {
    var leaving: ClosedRange<Int>?
    var entering: ClosedRange<Int>?

    init(from old: ClosedRange<Int>, to new: ClosedRange<Int>) {
        let leavingEnd = min(old.upperBound, new.lowerBound - 1)
        leaving = old.lowerBound <= leavingEnd ? old.lowerBound...leavingEnd : nil
        let enteringStart = max(new.lowerBound, old.upperBound + 1)
        entering = enteringStart <= new.upperBound ? enteringStart...new.upperBound : nil
    }
}
