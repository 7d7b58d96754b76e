import Foundation

/// The scores of one recommendation type over its test cases, at K (README "Offline
/// evaluation" defines each one). Rates are means over the cases.
public struct EvaluationMetrics: Sendable, Equatable, Codable {
    public var cases = 0
    /// Cases with at least one relevant product in the list.
    public var hitRate = 0.0
    /// Relevant products in the list / K (a list shorter than K counts its empty slots as misses).
    public var precision = 0.0
    /// Relevant products in the list / relevant products.
    public var recall = 0.0
    /// DCG / ideal DCG, gain 1 / log2(rank + 1) for a relevant product.
    public var ndcg = 0.0
    /// 1 / rank of the first relevant product (0 without one).
    public var mrr = 0.0
    /// Distinct products recommended over all cases / displayable products of the catalog.
    public var coverage = 0.0
    public var distinctRecommended = 0
    /// Mean popularity rank of the recommended products (1 = the most popular before the split;
    /// higher = less obvious). nil when nothing was recommended.
    public var novelty: Double?
    /// Cases where the type returned fewer than K products.
    public var coldStart = 0
    /// 95 % confidence intervals of the rates over the cases (nil without cases): hit rate by
    /// Wilson's score interval, the others by the t interval of a mean (mean ± t₀.₉₇₅,ₙ₋₁ · s / √n,
    /// kept inside [0, 1]). They say how much the scores would move on another sample of cases.
    public var intervals: EvaluationIntervals?

    public init() {}

    /// Below this many cases a type's scores are flagged: at 100 cases the 95 % interval of a
    /// hit rate near 0.3 is already ±0.09 wide, more than the usual gap between two types, and
    /// the normal approximation behind the t intervals gets rough below about 30.
    public static let fewCases = 100

    /// hit rate, precision, recall, NDCG, MRR, coverage (4 decimals), novelty (a rank) and cold
    /// starts, as the CLI and the HTML report print them.
    public var printedValues: [String] {
        [hitRate, precision, recall, ndcg, mrr, coverage].map { String(format: "%.4f", $0) }
            + [novelty.map { String(format: "%.0f", $0) } ?? "-", String(coldStart)]
    }
}

/// 95 % intervals of ``EvaluationMetrics``' rates (see ``EvaluationMetrics/intervals``).
public struct EvaluationIntervals: Sendable, Equatable, Codable {
    public struct Interval: Sendable, Equatable, Codable {
        public var low: Double
        public var high: Double
        public init(low: Double, high: Double) { self.low = low; self.high = high }
    }

    public var hitRate: Interval
    public var precision: Interval
    public var recall: Interval
    public var ndcg: Interval
    public var mrr: Interval

    /// hit rate, precision, recall, NDCG and MRR as "low–high" (3 decimals).
    public var printedValues: [String] {
        [hitRate, precision, recall, ndcg, mrr].map { String(format: "%.3f–%.3f", $0.low, $0.high) }
    }

    /// The t interval of a mean of values in [0, 1] from their count, sum and sum of squares.
    static func mean(count: Int, sum: Double, squares: Double) -> Interval {
        let sample = MeanTest.Sample(count: count, sum: sum, sumOfSquares: squares)
        guard let mean = sample.mean, let variance = sample.variance else { return Interval(low: 0, high: 1) }
        let half = Statistics.tHalfWidth(variance: variance, count: count)
        return Interval(low: max(0, mean - half), high: min(1, mean + half))
    }
}

/// A type minus its popularity baseline on the same cases (a paired comparison: each case asked
/// both), per rate: the mean difference and its 95 % t interval, mean ± t₀.₉₇₅,ₙ₋₁ · s_d / √n over
/// the per-case differences. Sharper than comparing the two intervals, since the cases' own
/// difficulty cancels out.
public struct EvaluationDifferences: Sendable, Equatable, Codable {
    public struct Difference: Sendable, Equatable, Codable {
        public var mean: Double
        public var low: Double
        public var high: Double
    }

    public var hitRate: Difference
    public var precision: Difference
    public var recall: Difference
    public var ndcg: Difference
    public var mrr: Difference

    /// Judged on NDCG, the ranking metric: "better than the baseline" when its interval is above 0,
    /// "worse than the baseline" when below, else "no clear difference".
    public var verdict: String {
        ndcg.low > 0 ? "better than the baseline" : ndcg.high < 0 ? "worse than the baseline" : "no clear difference"
    }

    /// hit rate, NDCG and MRR differences as "+0.120 (+0.031 to +0.209)".
    public var printedValues: [String] {
        [hitRate, ndcg, mrr].map { String(format: "%+.3f (%+.3f to %+.3f)", $0.mean, $0.low, $0.high) }
    }

    /// From the per-case scores of the type and of its baseline, case by case in the same order
    /// (``MetricsAccumulator/caseScores``); nil below 2 cases.
    init?(type: [[Double]], baseline: [[Double]]) {
        guard type.count >= 2, type.count == baseline.count else { return nil }
        let n = Double(type.count)
        func difference(_ metric: Int) -> Difference {
            let d = zip(type, baseline).map { $0[metric] - $1[metric] }
            let mean = d.reduce(0, +) / n
            let variance = d.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
            let half = Statistics.tHalfWidth(variance: variance, count: type.count)
            return Difference(mean: mean, low: mean - half, high: mean + half)
        }
        (hitRate, precision, recall, ndcg, mrr) = (difference(0), difference(1), difference(2), difference(3), difference(4))
    }
}

/// Each product's popularity rank before the split, per store: 1 + the number of products
/// interacted with (viewed, added to cart or bought) in more sessions. A product without such a
/// session ranks after every product with one.
struct PopularityRanks {
    var ranks: [Int: [Int: Int]] = [:]
    var unranked: [Int: Int] = [:]

    /// From the snapshot's `session_products` (only events before the split).
    init(_ db: Database) throws {
        var sessions: [Int: [(product: Int, count: Int)]] = [:]
        try db.prepare("""
            SELECT store_id, product_id, count(*) FROM session_products
            WHERE first_viewed_at IS NOT NULL OR first_carted_at IS NOT NULL OR first_bought_at IS NOT NULL
            GROUP BY store_id, product_id
            """).forEachRow { row in sessions[row.int(at: 0), default: []].append((row.int(at: 1), row.int(at: 2))) }
        for (store, products) in sessions {
            let sorted = products.sorted { $0.count > $1.count }
            var storeRanks: [Int: Int] = [:]
            for (index, item) in sorted.enumerated() {
                // Competition ranking: ties share the rank of the first of them.
                storeRanks[item.product] = index > 0 && sorted[index - 1].count == item.count ? storeRanks[sorted[index - 1].product]! : index + 1
            }
            ranks[store] = storeRanks
            unranked[store] = products.count + 1
        }
    }

    func rank(_ product: Int, store: Int) -> Int { ranks[store]?[product] ?? unranked[store] ?? 1 }
}

/// Adds up the per-case scores of one type.
struct MetricsAccumulator {
    let k: Int
    private var metrics = EvaluationMetrics()
    private var recommended = Set<Int>()
    private var rankSum = 0.0
    private var slots = 0
    /// Sums of squares of the per-case precision, recall, NDCG and MRR (for the intervals).
    private var squares = (precision: 0.0, recall: 0.0, ndcg: 0.0, mrr: 0.0)
    /// Each case's hit (0 or 1), precision, recall, NDCG and MRR, in the order added (for the
    /// paired comparison with the baseline).
    private(set) var caseScores: [[Double]] = []

    init(k: Int) { self.k = k }

    /// Scores one case: `list` is what the type returned (at most K products, in order).
    mutating func add(_ list: [Int], relevant: [Int], store: Int, ranks: PopularityRanks) {
        let relevantSet = Set(relevant)
        var hits = 0, dcg = 0.0, reciprocal = 0.0
        for (index, product) in list.prefix(k).enumerated() {
            recommended.insert(product)
            rankSum += Double(ranks.rank(product, store: store))
            slots += 1
            guard relevantSet.contains(product) else { continue }
            hits += 1
            dcg += 1 / log2(Double(index + 2))
            if reciprocal == 0 { reciprocal = 1 / Double(index + 1) }
        }
        let ideal = (0..<min(k, relevantSet.count)).reduce(0.0) { $0 + 1 / log2(Double($1 + 2)) }
        let precision = Double(hits) / Double(k)
        let recall = relevantSet.isEmpty ? 0 : Double(hits) / Double(relevantSet.count)
        let ndcg = ideal > 0 ? dcg / ideal : 0
        metrics.cases += 1
        metrics.hitRate += hits > 0 ? 1 : 0
        metrics.precision += precision
        metrics.recall += recall
        metrics.ndcg += ndcg
        metrics.mrr += reciprocal
        squares.precision += precision * precision; squares.recall += recall * recall
        squares.ndcg += ndcg * ndcg; squares.mrr += reciprocal * reciprocal
        caseScores.append([hits > 0 ? 1 : 0, precision, recall, ndcg, reciprocal])
        if list.count < k { metrics.coldStart += 1 }
    }

    /// The means; `catalogSize`: displayable products the type could have recommended.
    func finish(catalogSize: Int) -> EvaluationMetrics {
        var result = metrics
        if result.cases > 0 {
            let n = Double(result.cases)
            let mean = { (sum: Double, squares: Double) in EvaluationIntervals.mean(count: result.cases, sum: sum, squares: squares) }
            let wilson = Statistics.wilson(successes: Int(result.hitRate.rounded()), trials: result.cases)
            result.intervals = EvaluationIntervals(
                hitRate: .init(low: wilson.low, high: wilson.high), precision: mean(result.precision, squares.precision),
                recall: mean(result.recall, squares.recall), ndcg: mean(result.ndcg, squares.ndcg), mrr: mean(result.mrr, squares.mrr))
            result.hitRate /= n; result.precision /= n; result.recall /= n; result.ndcg /= n; result.mrr /= n
        }
        result.distinctRecommended = recommended.count
        result.coverage = catalogSize > 0 ? Double(recommended.count) / Double(catalogSize) : 0
        result.novelty = slots > 0 ? rankSum / Double(slots) : nil
        return result
    }
}
