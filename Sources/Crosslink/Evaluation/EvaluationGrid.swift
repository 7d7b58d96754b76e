import Foundation

/// A setting of ``RecommendationSettings`` the grid can vary.
public enum GridParameter: String, Sendable, Codable, CaseIterable {
    case popularityDays, trendingForegroundHours, trendingBackgroundHours, trendingMinimumViewers
    case cooccurrenceDays, maxBasketProducts, minimumSupport, liftPrior, conversionPriorViews, historyHalfLifeDays, historyProducts

    public func value(in settings: RecommendationSettings) -> Double {
        switch self {
        case .popularityDays: Double(settings.popularityDays)
        case .trendingForegroundHours: Double(settings.trendingForegroundHours)
        case .trendingBackgroundHours: Double(settings.trendingBackgroundHours)
        case .trendingMinimumViewers: Double(settings.trendingMinimumViewers)
        case .cooccurrenceDays: Double(settings.cooccurrenceDays)
        case .maxBasketProducts: Double(settings.maxBasketProducts)
        case .minimumSupport: Double(settings.minimumSupport)
        case .liftPrior: settings.liftPrior
        case .conversionPriorViews: settings.conversionPriorViews
        case .historyHalfLifeDays: settings.historyHalfLifeDays
        case .historyProducts: Double(settings.historyProducts)
        }
    }

    public func set(_ value: Double, in settings: inout RecommendationSettings) {
        switch self {
        case .popularityDays: settings.popularityDays = Int(value)
        case .trendingForegroundHours: settings.trendingForegroundHours = Int(value)
        case .trendingBackgroundHours: settings.trendingBackgroundHours = Int(value)
        case .trendingMinimumViewers: settings.trendingMinimumViewers = Int(value)
        case .cooccurrenceDays: settings.cooccurrenceDays = Int(value)
        case .maxBasketProducts: settings.maxBasketProducts = Int(value)
        case .minimumSupport: settings.minimumSupport = Int(value)
        case .liftPrior: settings.liftPrior = value
        case .conversionPriorViews: settings.conversionPriorViews = value
        case .historyHalfLifeDays: settings.historyHalfLifeDays = value
        case .historyProducts: settings.historyProducts = Int(value)
        }
    }
}

/// The settings `--grid` tries per recommendation type: the Cartesian product of a few values
/// per parameter (the first parameter varies slowest; put the basket cap first, since changing
/// it rebuilds the model's aggregates).
///
/// ```swift
/// var grid = EvaluationGrid.standard
/// grid.axes[.boughtBought] = [(.minimumSupport, [1, 2, 3])]
/// let report = try Evaluator(source: store, options: options).prepare().grid(grid)
/// ```
public struct EvaluationGrid: Sendable {
    public var axes: [RecommendationType: [(parameter: GridParameter, values: [Double])]]

    public init(axes: [RecommendationType: [(parameter: GridParameter, values: [Double])]]) { self.axes = axes }

    /// Windows, decay half-life, support and shrinkage (lift prior, conversion prior) — what
    /// ``RecommendationSettings`` exposes. The lift prior k also spans the
    /// co-occurrence similarity measure: the score (together + k) / (expected + k) is the plain
    /// lift at k = 0 and ranks by the excess count together − expected as k grows (10⁶).
    /// More like this and recently viewed have no setting. Each type names its axes in its file
    /// (Recommendations/Types/).
    public static let standard = EvaluationGrid(axes: Dictionary(uniqueKeysWithValues: RecommendationTypeDescriptor.all.compactMap {
        $0.grid.isEmpty ? nil : ($0.type, $0.grid)
    }))

    /// The axes a family of types shares: popularity, conversion, co-occurrence.
    static let popularityAxes: RecommendationTypeDescriptor.GridAxes = [(.popularityDays, [1, 3, 7, 14, 30, 60, 120])]
    static let conversionAxes: RecommendationTypeDescriptor.GridAxes = [(.popularityDays, [7, 30]), (.conversionPriorViews, [0, 5, 20, 100])]
    // The basket cap is data cleaning (wholesale baskets, crawlers) more than a model setting,
    // and each of its values rebuilds the model: set it with `grid.axes` to try it.
    static let cooccurrenceAxes: RecommendationTypeDescriptor.GridAxes = [
        (.cooccurrenceDays, [91, 183, 365]), (.minimumSupport, [1, 2, 3]), (.liftPrior, [0, 5, 20, 1_000_000]),
    ]

    /// The settings to try for `type`, each `base` with the point's values.
    public func points(for type: RecommendationType, base: RecommendationSettings) -> [GridPoint] {
        var points = [GridPoint(values: [], settings: base)]
        for (parameter, values) in axes[type] ?? [] {
            points = points.flatMap { point in
                values.map { value in
                    var next = point
                    parameter.set(value, in: &next.settings)
                    next.values.append(GridValue(parameter: parameter, value: value))
                    return next
                }
            }
        }
        return points
    }
}

public struct GridValue: Sendable, Equatable, Codable {
    public var parameter: GridParameter
    public var value: Double
}

/// One setting of the grid.
public struct GridPoint: Sendable, Equatable, Codable {
    public var values: [GridValue]
    public var settings: RecommendationSettings

    /// `cooccurrenceDays=183 minimumSupport=2`, or `(no settings)`.
    public var label: String {
        values.isEmpty ? "(no settings)" : values.map { "\($0.parameter.rawValue)=\(RecommendationReason.number($0.value))" }.joined(separator: " ")
    }

    /// Whether every value is the library's default.
    public var isLibraryDefault: Bool {
        let defaults = RecommendationSettings()
        return values.allSatisfy { $0.parameter.value(in: defaults) == $0.value }
    }
}

/// What `--grid` found: every point's scores, and the best point per metric and type.
public struct EvaluationGridReport: Sendable, Equatable, Codable {
    public struct Row: Sendable, Equatable, Codable {
        public var type: RecommendationType
        public var point: GridPoint
        public var label: String
        public var isLibraryDefault: Bool
        public var metrics: EvaluationMetrics
        public var seconds: Double
    }

    /// The best point of a type for one metric (ties: the library default, else the first).
    public struct Best: Sendable, Equatable, Codable {
        public var type: RecommendationType
        public var metric: String
        public var label: String
        public var value: Double
        /// The library default's value for the metric (nil: the default is not in the grid).
        public var defaultValue: Double?
        public var defaultIsBest: Bool
    }

    public var split: String
    public var k: Int
    public var sample: Int?
    public var seed: UInt64
    public var rows: [Row]
    public var best: [Best]

    /// The metrics a best point is chosen for; NDCG is the one README uses for the defaults.
    public static let metrics: [(name: String, value: @Sendable (EvaluationMetrics) -> Double)] = [
        ("hit", { $0.hitRate }), ("precision", { $0.precision }), ("recall", { $0.recall }), ("ndcg", { $0.ndcg }),
        ("mrr", { $0.mrr }), ("coverage", { $0.coverage }), ("novelty", { $0.novelty ?? 0 }),
    ]

    static func best(_ rows: [Row]) -> [Best] {
        var result: [Best] = []
        var types: [RecommendationType] = []
        for row in rows where !types.contains(row.type) { types.append(row.type) }
        for type in types {
            let candidates = rows.filter { $0.type == type && $0.metrics.cases > 0 }
            guard !candidates.isEmpty else { continue }
            let standard = candidates.first(where: \.isLibraryDefault)
            for (name, value) in metrics {
                var winner = candidates[0]
                for row in candidates.dropFirst() where value(row.metrics) > value(winner.metrics) { winner = row }
                if let standard, value(standard.metrics) == value(winner.metrics) { winner = standard }
                result.append(Best(type: type, metric: name, label: winner.label, value: value(winner.metrics),
                                   defaultValue: standard.map { value($0.metrics) }, defaultIsBest: winner.isLibraryDefault))
            }
        }
        return result
    }
}

extension EvaluationSession {
    /// Scores every point of `grid` for each type of the options on the same (sampled) cases.
    /// Each point is stored in the model's settings; the original settings (and the aggregates
    /// built with them) are restored at the end.
    public func grid(_ grid: EvaluationGrid = .standard, progress: ((String) -> Void)? = nil) throws -> EvaluationGridReport {
        let original = try snapshot.store.read { db in try RecommendationSettings.load(db) }
        var rows: [EvaluationGridReport.Row] = []
        var rebuild = false
        do {
            for type in options.types {
                let (cases, _) = cases(for: type)
                guard !cases.isEmpty else { continue }
                for point in grid.points(for: type, base: original) {
                    try snapshot.store.write { db in try apply(point.settings, db) }
                    rebuild = rebuild || point.settings.aggregatesDiffer(from: original)
                    let started = ContinuousClock.now
                    let metrics = try score(type, cases).metrics
                    let seconds = (ContinuousClock.now - started) / .seconds(1)
                    rows.append(.init(type: type, point: point, label: point.label, isLibraryDefault: point.isLibraryDefault,
                                      metrics: metrics, seconds: seconds))
                    progress?("\(type.rawValue) \(point.label): ndcg \(String(format: "%.4f", metrics.ndcg)) (\(String(format: "%.1f", seconds)) s)")
                }
            }
        } catch {
            try? restore(original, rebuild: rebuild)
            throw error
        }
        try restore(original, rebuild: rebuild)
        return EvaluationGridReport(split: EventTime.format(snapshot.split), k: options.k, sample: options.sample, seed: options.seed,
                                    rows: rows, best: EvaluationGridReport.best(rows))
    }

    /// Stores a grid point's settings. The model is asked as of T only, and the point-in-time
    /// queries sum the daily tables over the windows of the settings: of all the settings, only
    /// the basket cap is built into those tables (a session's co-occurrence eligibility), so only
    /// a change of it rebuilds them. (The live windows go stale meanwhile; nothing reads them.)
    private func apply(_ settings: RecommendationSettings, _ db: Database) throws {
        if try RecommendationSettings.load(db).maxBasketProducts != settings.maxBasketProducts {
            try Aggregates(db).configure(settings)
        } else {
            try settings.save(db)
        }
    }

    /// The original settings, and the aggregates rebuilt with them if a point changed what they hold.
    private func restore(_ original: RecommendationSettings, rebuild: Bool) throws {
        try snapshot.store.write { db in
            try original.save(db)
            if rebuild { try Aggregates(db).rebuild() }
        }
    }
}
