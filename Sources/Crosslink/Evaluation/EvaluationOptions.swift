import Foundation

/// Where the evaluation splits the event log: the model learns from the events before the split
/// time T, and the test cases are what happened from T on.
///
/// ```swift
/// let split = EvaluationSplit.fraction(0.8)                            // the last 20 % of the period is the test
/// let fixed = EvaluationSplit.time(ISO8601DateFormatter().date(from: "2011-07-28T00:00:00Z")!)
/// ```
public enum EvaluationSplit: Sendable, Equatable, Codable {
    /// This instant.
    case time(Date)
    /// This fraction of the log's period (first to last event), rounded **up to the next UTC
    /// midnight**: the aggregates count whole UTC days, so a split at midnight loses no training day.
    /// When that midnight would leave no event after it (a log shorter than a day, or a fraction
    /// that falls on the log's last day), the split is the instant itself.
    case fraction(Double)

    /// T in Unix milliseconds, for a log spanning `first`…`last` (milliseconds).
    public func milliseconds(first: Int64, last: Int64) -> Int64 {
        switch self {
        case .time(let date):
            return Int64((date.timeIntervalSince1970 * 1000).rounded(.up))
        case .fraction(let fraction):
            let point = first + Int64((Double(last - first) * fraction).rounded(.up))
            let day = Int64(86_400_000)
            let (days, rest) = point.quotientAndRemainder(dividingBy: day)
            let midnight = rest == 0 ? point : (days + 1) * day
            return midnight <= last ? midnight : point
        }
    }
}

/// Which catalog the model may recommend from.
public enum EvaluationCatalog: String, Sendable, Equatable, Codable {
    /// The database's catalog as it is (a shop's own catalog).
    case asIs = "as-is"
    /// Only products with an event before the split (and their configurable parents): for a
    /// catalog created from the log itself (`--create-catalog`), whose products first sold after
    /// the split did not exist at the split.
    case soldBeforeSplit = "sold-before-split"
}

/// What to evaluate and how (``Evaluator``).
///
/// ```swift
/// var options = EvaluationOptions()
/// options.k = 10
/// options.types = [.boughtBought, .mostPurchased]
/// options.sample = 1_000          // 1 000 cases per type, drawn with `seed`
/// options.seed = 42
/// ```
public struct EvaluationOptions: Sendable, Equatable, Codable {
    public var split: EvaluationSplit = .fraction(0.8)
    /// The list length every metric is measured at.
    public var k = 10
    /// The types to evaluate, in this order.
    public var types: [RecommendationType] = RecommendationType.allCases
    /// At most this many test cases per type, drawn without replacement with ``seed``
    /// (SplitMix64, a partial Fisher–Yates shuffle); nil: every case.
    public var sample: Int? = nil
    public var seed: UInt64 = 1
    /// Only the events and recommendations of this store; nil: every store.
    public var store: String? = nil
    /// Visitor cases: drop from the relevant set the products the visitor interacted with before
    /// the split (recently viewed always keeps them: re-showing them is its job).
    public var excludeSeen = true
    public var catalog: EvaluationCatalog = .asIs
    /// Threads asking the recommender (each has its own read connection).
    public var workers = 2
    /// Keep the model (the copy of the database before T) in this new file, to inspect it with
    /// the sqlite3 CLI, or build it in the empty PostgreSQL database of this URI (``StoreLocation``);
    /// nil: a temporary SQLite file, deleted afterwards (whatever the source's engine).
    public var modelPath: String? = nil

    public init() {}

    func validate() throws {
        guard (1...100).contains(k) else { throw RequestError.invalidEvaluationOption("k \(k): must be 1 to 100") }
        if let sample, sample < 1 { throw RequestError.invalidEvaluationOption("sample \(sample): must be at least 1") }
        if case .fraction(let fraction) = split, !(fraction > 0 && fraction < 1) {
            throw RequestError.invalidEvaluationOption("split fraction \(fraction): must be between 0 and 1 (exclusive)")
        }
        guard workers >= 1 else { throw RequestError.invalidEvaluationOption("workers \(workers): must be at least 1") }
        guard !types.isEmpty else { throw RequestError.invalidEvaluationOption("types: name at least one recommendation type") }
    }
}

/// The interaction a test case is made of: its context product (context types) and its
/// relevant products.
public enum EvaluationInteraction: String, Sendable, Codable {
    case view, cart, purchase
    /// Any of the three.
    case any

    func matches(_ kind: EvaluationInteraction) -> Bool { self == .any || self == kind }
}

extension RecommendationType {
    /// The interaction whose products are relevant: what the type predicts.
    public var evaluationTarget: EvaluationInteraction { RecommendationTypeDescriptor.of(self).evaluationTarget }

    /// Context types: the interaction that makes a product the context of a case.
    var evaluationContext: EvaluationInteraction? { RecommendationTypeDescriptor.of(self).evaluationContext }

    /// The popularity type compared with every type predicting `target` (`.any`: none).
    static func evaluationBaseline(for target: EvaluationInteraction) -> RecommendationType? {
        RecommendationTypeDescriptor.all.first { $0.isEvaluationBaseline && $0.evaluationTarget == target }?.type
    }
}
