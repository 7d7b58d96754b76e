import Foundation

/// The result of ``Evaluator/run(progress:)``: one row per recommendation type, each beside the
/// popularity baseline on the same cases.
public struct EvaluationReport: Sendable, Equatable, Codable {
    /// T as UTC ISO 8601, and in Unix milliseconds.
    public var split: String
    public var splitMilliseconds: Int64
    public var k: Int
    public var sample: Int?
    public var seed: UInt64
    public var store: String?
    public var catalog: EvaluationCatalog
    public var excludeSeen: Bool
    /// Events (each order line counted too) before and from the split.
    public var trainingEvents: Int
    public var testEvents: Int
    /// Displayable products of the model's catalog (the coverage denominator).
    public var catalogSize: Int
    /// Copying the database, rebuilding the aggregates before T and reading the test events.
    public var preparationSeconds: Double
    public var rows: [EvaluationRow]
}

/// One recommendation type's scores.
public struct EvaluationRow: Sendable, Equatable, Codable {
    public var type: RecommendationType
    /// What its relevant products are.
    public var target: EvaluationInteraction
    /// Test cases before sampling (``EvaluationMetrics/cases``: evaluated).
    public var availableCases: Int
    public var metrics: EvaluationMetrics
    /// The popularity type of the same interaction, asked the same questions.
    public var baselineType: RecommendationType
    public var baseline: EvaluationMetrics
    /// Distinct questions the type was asked (cases asking the same share an answer).
    public var queries: Int
    /// Asking the type and scoring it (the baseline not included).
    public var seconds: Double
    /// Set when the type has cases but fewer than ``EvaluationMetrics/fewCases``: its scores
    /// (and their intervals) are too uncertain to rank it against other types.
    public var warning: String? = nil
    /// The type minus its baseline on the same cases (paired; nil below 2 cases, and for a
    /// popularity type that is its own baseline).
    public var versusBaseline: EvaluationDifferences? = nil

    /// The warning of a type scored on `cases` cases (nil when there are none or enough).
    public static func warning(cases: Int) -> String? {
        guard cases > 0, cases < EvaluationMetrics.fewCases else { return nil }
        return "only \(cases) cases (fewer than \(EvaluationMetrics.fewCases)): the scores may move a lot on other cases; "
            + "compare the 95 % intervals, not the values"
    }
}
