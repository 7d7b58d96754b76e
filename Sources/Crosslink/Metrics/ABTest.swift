import Foundation

/// What an A/B comparison says at the 5 % level (two-sided).
public enum ABVerdict: String, Sendable, Equatable, Codable {
    /// The treatment (B, C, …) is better, p < 0.05.
    case treatmentBetter = "treatment better"
    /// The control (A) is better, p < 0.05.
    case controlBetter = "control better"
    /// p ≥ 0.05: keep the test running (``ProportionTest/samplePerVariant`` says how long).
    case notSignificantYet = "not significant yet"
    /// A side has no data the test can use (no trials, fewer than 2 visitors, more clicks than
    /// impressions).
    case notTestable = "not testable"

    /// "B better", "A better", "not significant yet" or "not testable".
    public func text(control: String, treatment: String) -> String {
        switch self {
        case .treatmentBetter: "\(treatment) better"
        case .controlBetter: "\(control) better"
        case .notSignificantYet, .notTestable: rawValue
        }
    }

    init(pValue: Double?, difference: Double) {
        guard let pValue, pValue.isFinite else { self = .notTestable; return }
        self = pValue >= 0.05 || difference == 0 ? .notSignificantYet : difference > 0 ? .treatmentBetter : .controlBetter
    }
}

/// Two proportions compared (control A, treatment B): the pooled two-proportion z-test for the
/// p-value and verdict, Newcombe's hybrid score interval (95 %) for B − A, and the sample per
/// variant a test of the observed rates needs at 95 % confidence and 80 % power.
///
/// ```swift
/// let test = ProportionTest(controlSuccesses: 120, controlTrials: 4000, treatmentSuccesses: 160, treatmentTrials: 4000)
/// test.verdict                  // .treatmentBetter (z = 2.43, p = 0.015)
/// test.interval                 // (0.0020, 0.0181): B's rate minus A's
/// ```
public struct ProportionTest: Sendable, Equatable, Codable {
    public var controlSuccesses: Int
    public var controlTrials: Int
    public var treatmentSuccesses: Int
    public var treatmentTrials: Int
    public var control: Double?
    public var treatment: Double?
    /// treatment − control.
    public var difference: Double?
    /// difference / control; nil when control is 0.
    public var relativeLift: Double?
    /// 95 % interval of the difference (Newcombe, method 10).
    public var low: Double?
    public var high: Double?
    public var z: Double?
    public var pValue: Double?
    public var verdict: ABVerdict
    /// Trials each variant needs for the observed rates to be significant at 95 % with 80 %
    /// power; nil when the rates are equal (no effect to detect) or the test is not testable.
    public var samplePerVariant: Int?

    public init(controlSuccesses: Int, controlTrials: Int, treatmentSuccesses: Int, treatmentTrials: Int) {
        self.controlSuccesses = controlSuccesses; self.controlTrials = controlTrials
        self.treatmentSuccesses = treatmentSuccesses; self.treatmentTrials = treatmentTrials
        guard controlTrials > 0, treatmentTrials > 0, (0...controlTrials).contains(controlSuccesses),
              (0...treatmentTrials).contains(treatmentSuccesses) else {
            verdict = .notTestable
            return
        }
        let n1 = Double(controlTrials), n2 = Double(treatmentTrials)
        let p1 = Double(controlSuccesses) / n1, p2 = Double(treatmentSuccesses) / n2
        control = p1; treatment = p2; difference = p2 - p1
        relativeLift = p1 > 0 ? (p2 - p1) / p1 : nil
        (low, high) = Statistics.newcombe(successes1: controlSuccesses, trials1: controlTrials,
                                          successes2: treatmentSuccesses, trials2: treatmentTrials)
        let pooled = Double(controlSuccesses + treatmentSuccesses) / (n1 + n2)
        let standardError = (pooled * (1 - pooled) * (1 / n1 + 1 / n2)).squareRoot()
        if standardError > 0 {
            z = (p2 - p1) / standardError
            pValue = Statistics.twoSidedNormalP(z!)
        } else {
            // Both sides 0 % or both 100 %: no difference, nothing to test yet.
            z = 0; pValue = 1
        }
        verdict = ABVerdict(pValue: pValue, difference: p2 - p1)
        if p1 != p2 {
            let mean = (p1 + p2) / 2
            let root = Statistics.z95 * (2 * mean * (1 - mean)).squareRoot() + Statistics.z80 * (p1 * (1 - p1) + p2 * (1 - p2)).squareRoot()
            samplePerVariant = Int((root * root / ((p2 - p1) * (p2 - p1))).rounded(.up))
        }
    }
}

/// Two means compared (control A, treatment B) from each side's count, sum and sum of squares:
/// Welch's t-test (unequal variances, Welch–Satterthwaite degrees of freedom) for the p-value,
/// verdict and 95 % interval of B − A, and the sample per variant that the observed difference
/// needs at 95 % confidence and 80 % power (normal approximation).
///
/// ```swift
/// let test = MeanTest(control: .init(count: 500, sum: 1500, sumOfSquares: 90_000),
///                     treatment: .init(count: 520, sum: 2080, sumOfSquares: 120_000))
/// test.difference; test.low; test.high; test.verdict
/// ```
public struct MeanTest: Sendable, Equatable, Codable {
    /// One side's observations, summed.
    public struct Sample: Sendable, Equatable, Codable {
        public var count: Int
        public var sum: Double
        public var sumOfSquares: Double
        public init(count: Int, sum: Double, sumOfSquares: Double) {
            self.count = count; self.sum = sum; self.sumOfSquares = sumOfSquares
        }
        public var mean: Double? { count > 0 ? sum / Double(count) : nil }
        /// The sample variance (n − 1); nil below 2 observations.
        public var variance: Double? {
            guard count > 1 else { return nil }
            return max(0, (sumOfSquares - sum * sum / Double(count)) / Double(count - 1))
        }
    }

    public var controlSample: Sample
    public var treatmentSample: Sample
    public var control: Double?
    public var treatment: Double?
    public var difference: Double?
    public var relativeLift: Double?
    /// 95 % Welch interval of the difference.
    public var low: Double?
    public var high: Double?
    public var t: Double?
    public var degreesOfFreedom: Double?
    public var pValue: Double?
    public var verdict: ABVerdict
    /// Observations each variant needs for the observed difference at 95 % / 80 % power.
    public var samplePerVariant: Int?

    public init(control: Sample, treatment: Sample) {
        controlSample = control; treatmentSample = treatment
        self.control = control.mean; self.treatment = treatment.mean
        guard let m1 = control.mean, let m2 = treatment.mean, let v1 = control.variance, let v2 = treatment.variance else {
            verdict = .notTestable
            return
        }
        difference = m2 - m1
        relativeLift = m1 != 0 ? (m2 - m1) / m1 : nil
        let s1 = v1 / Double(control.count), s2 = v2 / Double(treatment.count)
        let standardError = (s1 + s2).squareRoot()
        if standardError > 0 {
            let df = (s1 + s2) * (s1 + s2) / (s1 * s1 / Double(control.count - 1) + s2 * s2 / Double(treatment.count - 1))
            let t = (m2 - m1) / standardError
            let quantile = Statistics.studentTQuantile(0.975, degreesOfFreedom: df)
            self.t = t; degreesOfFreedom = df
            pValue = Statistics.twoSidedStudentP(t, degreesOfFreedom: df)
            low = m2 - m1 - quantile * standardError; high = m2 - m1 + quantile * standardError
        } else {
            // Every observation equal on both sides: an exact answer, no spread to test.
            low = m2 - m1; high = m2 - m1
            pValue = m1 == m2 ? 1 : 0
        }
        verdict = ABVerdict(pValue: pValue, difference: m2 - m1)
        if m1 != m2, v1 + v2 > 0 {
            let z = Statistics.z95 + Statistics.z80
            samplePerVariant = Int((z * z * (v1 + v2) / ((m2 - m1) * (m2 - m1))).rounded(.up))
        }
    }
}
