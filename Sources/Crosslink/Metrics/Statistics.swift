import Foundation

/// The distributions and intervals behind the A/B verdicts and the evaluation's confidence
/// intervals: the normal and Student t distributions, Wilson's score interval for a proportion
/// and Newcombe's interval for the difference of two proportions. Written out (no statistics
/// library), checked against SciPy in the tests.
///
/// ```swift
/// let (low, high) = Statistics.wilson(successes: 12, trials: 100)          // 0.0700 … 0.1981
/// let p = Statistics.twoSidedNormalP(2.1)                                    // 0.0357
/// let t = Statistics.studentTQuantile(0.975, degreesOfFreedom: 10)           // 2.2281
/// ```
public enum Statistics {
    /// Φ⁻¹(0.975): the two-sided 95 % normal quantile.
    public static let z95 = 1.959963984540054
    /// Φ⁻¹(0.80): the quantile for 80 % power.
    public static let z80 = 0.8416212335729143

    /// Φ(x), the standard normal distribution function.
    public static func normalCDF(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }

    /// P(|Z| ≥ |z|) for a standard normal Z.
    public static func twoSidedNormalP(_ z: Double) -> Double { erfc(abs(z) / 2.0.squareRoot()) }

    /// The Student t distribution function with `degreesOfFreedom` (> 0, may be fractional as
    /// Welch's are): through the regularized incomplete beta function.
    public static func studentTCDF(_ t: Double, degreesOfFreedom df: Double) -> Double {
        guard t.isFinite else { return t > 0 ? 1 : 0 }
        let tail = 0.5 * regularizedIncompleteBeta(df / (df + t * t), a: df / 2, b: 0.5)
        return t > 0 ? 1 - tail : tail
    }

    /// P(|T| ≥ |t|) for Student's t with `degreesOfFreedom`.
    public static func twoSidedStudentP(_ t: Double, degreesOfFreedom df: Double) -> Double {
        regularizedIncompleteBeta(df / (df + t * t), a: df / 2, b: 0.5)
    }

    /// The `p` quantile of Student's t (0 < p < 1), by bisection on ``studentTCDF(_:degreesOfFreedom:)``
    /// (to about 1e-12: more than any report prints).
    public static func studentTQuantile(_ p: Double, degreesOfFreedom df: Double) -> Double {
        precondition(p > 0 && p < 1 && df > 0, "quantile needs 0 < p < 1 and df > 0")
        var low = -1.0, high = 1.0
        while studentTCDF(low, degreesOfFreedom: df) > p { low *= 2 }
        while studentTCDF(high, degreesOfFreedom: df) < p { high *= 2 }
        for _ in 0..<200 where high - low > 1e-13 * max(1, abs(low)) {
            let middle = (low + high) / 2
            if studentTCDF(middle, degreesOfFreedom: df) < p { low = middle } else { high = middle }
        }
        return (low + high) / 2
    }

    /// Half the width of the 95 % t interval of a mean: t₀.₉₇₅,ₙ₋₁ · √(variance / n).
    public static func tHalfWidth(variance: Double, count: Int) -> Double {
        studentTQuantile(0.975, degreesOfFreedom: Double(count - 1)) * (variance / Double(count)).squareRoot()
    }

    /// Wilson's score interval for `successes` of `trials` at `z` (Wilson 1927; Newcombe 1998,
    /// method 3). Unlike p ± z·SE it stays inside [0, 1] and is not empty at 0 or n successes.
    public static func wilson(successes: Int, trials: Int, z: Double = z95) -> (low: Double, high: Double) {
        guard trials > 0 else { return (0, 1) }
        let n = Double(trials), p = Double(successes) / n, z2 = z * z
        let centre = (p + z2 / (2 * n)) / (1 + z2 / n)
        let half = z / (1 + z2 / n) * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot()
        return (max(0, centre - half), min(1, centre + half))
    }

    /// Newcombe's hybrid score interval for p₂ − p₁ (Newcombe 1998, method 10): built from each
    /// proportion's Wilson interval, so it behaves at small counts and near 0 or 1.
    public static func newcombe(successes1: Int, trials1: Int, successes2: Int, trials2: Int,
                                z: Double = z95) -> (low: Double, high: Double) {
        let p1 = trials1 > 0 ? Double(successes1) / Double(trials1) : 0
        let p2 = trials2 > 0 ? Double(successes2) / Double(trials2) : 0
        let (l1, u1) = wilson(successes: successes1, trials: trials1, z: z)
        let (l2, u2) = wilson(successes: successes2, trials: trials2, z: z)
        let difference = p2 - p1
        let below = ((p2 - l2) * (p2 - l2) + (u1 - p1) * (u1 - p1)).squareRoot()
        let above = ((u2 - p2) * (u2 - p2) + (p1 - l1) * (p1 - l1)).squareRoot()
        return (difference - below, difference + above)
    }

    /// I_x(a, b), the regularized incomplete beta function, by its continued fraction (modified
    /// Lentz; Numerical Recipes §6.4), using the symmetry I_x(a, b) = 1 − I_{1−x}(b, a) where the
    /// fraction converges faster.
    static func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
        guard x > 0 else { return 0 }
        guard x < 1 else { return 1 }
        let front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x))
        if x < (a + 1) / (a + b + 2) { return front * betaFraction(x, a: a, b: b) / a }
        return 1 - front * betaFraction(1 - x, a: b, b: a) / b
    }

    private static func betaFraction(_ x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var result = d
        for m in 1...10_000 {
            let m = Double(m)
            let even = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + even * d; if abs(d) < tiny { d = tiny }
            c = 1 + even / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            result *= d * c
            let odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + odd * d; if abs(d) < tiny { d = tiny }
            c = 1 + odd / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let step = d * c
            result *= step
            if abs(step - 1) < 1e-15 { break }
        }
        return result
    }
}
