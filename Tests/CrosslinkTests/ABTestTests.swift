import Foundation
import Testing
@testable import Crosslink

/// The statistics behind the A/B verdicts. Expected values: SciPy 1.x on this machine
/// (`scipy.stats.norm`, `t`, `binomtest(...).proportion_ci(method="wilson")`,
/// `ttest_ind(b, a, equal_var=False)` with its `confidence_interval()`), and Newcombe's own
/// worked example (Statistics in Medicine 17, 1998, table II) for the difference interval.
@Suite struct ABTestTests {
    static func close(_ a: Double?, _ b: Double, _ tolerance: Double = 1e-9) -> Bool {
        guard let a else { return false }
        return abs(a - b) <= tolerance * max(1, abs(b))
    }

    @Test func distributionsMatchSciPy() {
        #expect(Self.close(Statistics.twoSidedNormalP(2.1), 0.035728841125633085))
        #expect(Self.close(Statistics.normalCDF(Statistics.z95), 0.975) && Self.close(Statistics.normalCDF(Statistics.z80), 0.8))
        #expect(Self.close(Statistics.studentTCDF(1.3, degreesOfFreedom: 7.25), 0.8832981830783054))
        #expect(Self.close(Statistics.studentTCDF(-2.0, degreesOfFreedom: 2), 0.09175170953613698))
        #expect(Self.close(Statistics.studentTQuantile(0.975, degreesOfFreedom: 10), 2.228138851986274))
        #expect(Self.close(Statistics.studentTQuantile(0.975, degreesOfFreedom: 3.5), 2.9400886379827282))
        #expect(Self.close(Statistics.studentTQuantile(0.025, degreesOfFreedom: 1), -12.706204736174705))
    }

    @Test func wilsonAndNewcombeIntervals() {
        let wilson = Statistics.wilson(successes: 12, trials: 100)
        #expect(Self.close(wilson.low, 0.0699940643701949) && Self.close(wilson.high, 0.19812099426711421))
        let zero = Statistics.wilson(successes: 0, trials: 10)
        #expect(zero.low == 0 && Self.close(zero.high, 0.2775327998628892))
        // Newcombe's example 56/70 vs 48/80: difference 0.2000, method 10 gives 0.0524 to 0.3339.
        let newcombe = Statistics.newcombe(successes1: 48, trials1: 80, successes2: 56, trials2: 70)
        #expect(abs(newcombe.low - 0.0524) < 5e-5 && abs(newcombe.high - 0.3339) < 5e-5)
    }

    @Test func twoProportionTestVerdictAndSample() {
        // 3.0 % vs 4.0 % on 4000 each: z = 2.4334, p = 0.01496, B better.
        let better = ProportionTest(controlSuccesses: 120, controlTrials: 4000, treatmentSuccesses: 160, treatmentTrials: 4000)
        #expect(Self.close(better.z, 2.433421377463443) && Self.close(better.pValue, 0.014956883302460124))
        #expect(better.verdict == .treatmentBetter && better.verdict.text(control: "A", treatment: "B") == "B better")
        #expect(Self.close(better.difference, 0.01) && Self.close(better.relativeLift, 1.0 / 3))
        #expect(better.low! > 0 && better.high! > better.difference!)
        let worse = ProportionTest(controlSuccesses: 160, controlTrials: 4000, treatmentSuccesses: 120, treatmentTrials: 4000)
        #expect(worse.verdict == .controlBetter && worse.verdict.text(control: "A", treatment: "C") == "A better")
        // 3/40 vs 5/38: z = 0.8232, p = 0.4104; 453.008 → 454 per variant for these rates.
        let small = ProportionTest(controlSuccesses: 3, controlTrials: 40, treatmentSuccesses: 5, treatmentTrials: 38)
        #expect(Self.close(small.z, 0.8232465987819293) && Self.close(small.pValue, 0.410367774449768))
        #expect(small.verdict == .notSignificantYet && small.samplePerVariant == 454)
        #expect(small.low! < 0 && small.high! > 0)
        // 3 % vs 4 %: 5300.74 → 5301 per variant.
        #expect(ProportionTest(controlSuccesses: 3, controlTrials: 100, treatmentSuccesses: 4, treatmentTrials: 100).samplePerVariant == 5301)
        let equal = ProportionTest(controlSuccesses: 0, controlTrials: 50, treatmentSuccesses: 0, treatmentTrials: 60)
        #expect(equal.verdict == .notSignificantYet && equal.pValue == 1 && equal.samplePerVariant == nil)
        #expect(ProportionTest(controlSuccesses: 0, controlTrials: 0, treatmentSuccesses: 1, treatmentTrials: 5).verdict == .notTestable)
        // More clicks than impressions is not a proportion.
        #expect(ProportionTest(controlSuccesses: 5, controlTrials: 4, treatmentSuccesses: 1, treatmentTrials: 5).verdict == .notTestable)
    }

    @Test func welchTestOnPerVisitorRevenue() {
        // a = [0,0,0,25.5,0,40,0,0,12,0,0,0,0,80,0], b = [0,30,0,0,55,0,0,20,0,90,0,0,45,0,0,0,10].
        let notYet = MeanTest(control: .init(count: 15, sum: 157.5, sumOfSquares: 8794.25),
                              treatment: .init(count: 17, sum: 250, sumOfSquares: 14550))
        #expect(Self.close(notYet.t, 0.4889946298097607) && Self.close(notYet.pValue, 0.6284022483795699))
        #expect(Self.close(notYet.degreesOfFreedom, 29.994023744187203))
        #expect(Self.close(notYet.low, -13.360014956129406) && Self.close(notYet.high, 21.77177966201176))
        #expect(notYet.verdict == .notSignificantYet && notYet.samplePerVariant == 528)   // 527.84
        // Seeded exponential revenue, 200 vs 210 visitors: t = 3.0284, p = 0.002646, B better.
        let better = MeanTest(control: .init(count: 200, sum: 1286.88, sumOfSquares: 46939.7344),
                              treatment: .init(count: 210, sum: 2565.38, sumOfSquares: 148682.4708))
        #expect(Self.close(better.t, 3.0283835785544513, 1e-7) && Self.close(better.pValue, 0.0026460163775235304, 1e-6))
        #expect(Self.close(better.low, 2.026471258950135, 1e-7) && Self.close(better.high, 9.536919217240342, 1e-7))
        #expect(better.verdict == .treatmentBetter)
        #expect(MeanTest(control: .init(count: 1, sum: 5, sumOfSquares: 25), treatment: .init(count: 9, sum: 0, sumOfSquares: 0))
            .verdict == .notTestable)
        let flat = MeanTest(control: .init(count: 5, sum: 0, sumOfSquares: 0), treatment: .init(count: 6, sum: 0, sumOfSquares: 0))
        #expect(flat.verdict == .notSignificantYet && flat.samplePerVariant == nil)
    }
}
