import Foundation
import Synchronization

/// Offline evaluation: replays a time split of the event log and scores every
/// recommendation type against what visitors did after the split, beside the popularity
/// baseline.
///
/// ```swift
/// var options = EvaluationOptions()
/// options.split = .fraction(0.8)        // learn from the first 80 % of the period
/// options.types = [.boughtBought, .mostPurchased, .recommendedForYou, .moreLikeThis]
/// let report = try Evaluator(source: store, options: options).run()
/// for row in report.rows { print(row.type, row.metrics.hitRate, row.baseline.hitRate) }
/// ```
///
/// The model is an ``EvaluationSnapshot`` (a copy holding only the events before T, asked
/// with `asOf: T`); the test cases come from the source's events from T on
/// (``EvaluationCaseBuilder``).
public struct Evaluator: Sendable {
    public let source: CrosslinkStore
    public let options: EvaluationOptions

    public init(source: CrosslinkStore, options: EvaluationOptions = EvaluationOptions()) throws {
        try options.validate()
        self.source = source
        self.options = options
    }

    /// Evaluates every type of ``EvaluationOptions/types``. `progress` gets a line per step.
    public func run(progress: ((String) -> Void)? = nil) throws -> EvaluationReport {
        try prepare(progress: progress).run(progress: progress)
    }

    /// Builds the model and reads the test cases (``EvaluationSession/run(progress:)`` and ``EvaluationSession/grid(_:progress:)`` start here).
    public func prepare(progress: ((String) -> Void)? = nil) throws -> EvaluationSession {
        try EvaluationSession(source: source, options: options, progress: progress)
    }
}

/// A prepared evaluation: the model (snapshot) and the test log. Evaluate types one by one;
/// answers of the popularity baseline are shared between types. Not for concurrent use.
///
/// ```swift
/// let session = try Evaluator(source: store, options: options).prepare()
/// let row = try session.evaluate(.boughtBought)     // one type
/// let report = try session.run()                    // every type of the options
/// let grid = try session.grid()                     // the settings grid on the same cases
/// ```
public final class EvaluationSession {
    public let options: EvaluationOptions
    public let snapshot: EvaluationSnapshot
    let log: EvaluationCaseBuilder.Log
    let ranks: PopularityRanks
    let catalogSize: Int
    /// The popularity type of the interaction with the most sessions before T (the baseline of
    /// types whose target is any interaction).
    let popularOverall: RecommendationType
    let preparationSeconds: Double
    private var baselineAnswers: [BaselineKey: [Int]] = [:]
    /// What makes a row's numbers mean less than they seem (a split inside a UTC day, a baseline
    /// that recommends nothing at the split), in the order found; ``run(progress:)`` also passes
    /// each to its progress as `warning: …`.
    public private(set) var warnings: [String] = []
    private var emptyBaselines = Set<RecommendationType>()

    struct BaselineKey: Hashable {
        var type: RecommendationType
        var question: EvaluationCase.Question
    }

    init(source: CrosslinkStore, options: EvaluationOptions, progress: ((String) -> Void)?) throws {
        let started = ContinuousClock.now
        self.options = options
        let (first, last) = try source.read { db in
            (try db.scalarInt("SELECT min(occurred_at) FROM events"), try db.scalarInt("SELECT max(occurred_at) FROM events"))
        }
        guard let first, let last else { throw RequestError(.nothingToEvaluate, "the database has no events to evaluate on") }
        let split = options.split.milliseconds(first: Int64(first), last: Int64(last))
        // What can refuse the evaluation is read from the source first: the model (a copy with
        // its aggregates rebuilt) is the expensive step.
        let (log, displayable) = try source.read { db in
            (try EvaluationCaseBuilder(db, split: split, store: options.store).read(), try Self.displayableProducts(db, store: options.store))
        }
        self.log = log
        guard log.trainingEvents > 0, log.testEvents > 0 else {
            throw RequestError(.nothingToEvaluate, "the split \(EventTime.format(split)) leaves \(log.trainingEvents) events before it and "
                                            + "\(log.testEvents) after it\(options.store.map { " in store \($0)" } ?? ""): both sides need events")
        }
        guard displayable > 0 else {
            throw RequestError(.nothingToEvaluate, "the catalog has no displayable products\(options.store.map { " in store \($0)" } ?? "") "
                + "(\(log.trainingEvents) events before the split, \(log.testEvents) after it): a recommendation can only name a product "
                + "of the catalog. Import the catalog first (crosslink import FILE), or evaluate a log with a catalog created from it "
                + "(crosslink eval --log FILE --create-catalog)")
        }
        progress?("split at \(EventTime.format(split)); copying the database and rebuilding the aggregates before it")
        snapshot = try EvaluationSnapshot(source: source, split: split, catalog: options.catalog, path: options.modelPath)
        (ranks, catalogSize, popularOverall) = try snapshot.store.read { db in
            let size = try Self.displayableProducts(db, store: options.store)
            let counts = try db.rows("""
                SELECT count(first_viewed_at), count(first_carted_at), count(first_bought_at) FROM session_products
                WHERE CAST(?1 AS TEXT) IS NULL OR store_id = (SELECT store_id FROM stores WHERE code = ?1)
                """, [options.store]).first ?? []
            let sessions = counts.map { if case .integer(let n) = $0 { Int(n) } else { 0 } }
            let interactions: [EvaluationInteraction] = [.view, .cart, .purchase]
            let best = sessions.indices.max { sessions[$0] < sessions[$1] || (sessions[$0] == sessions[$1] && $0 > $1) } ?? 2
            return (try PopularityRanks(db), size, RecommendationType.evaluationBaseline(for: interactions[best])!)
        }
        if split % 86_400_000 != 0 {
            warnings.append("the split \(EventTime.format(split)) falls inside a UTC day: the aggregates count whole days, so the "
                            + "popularity and co-occurrence types learn only from the days before \(EventTime.format(split - split % 86_400_000))")
        }
        preparationSeconds = (ContinuousClock.now - started) / .seconds(1)
        progress?("\(log.trainingEvents) events before the split, \(log.testEvents) after; \(catalogSize) displayable products "
                  + "(\(String(format: "%.1f", preparationSeconds)) s)")
    }

    /// Products a recommendation may name, in `store` or every store.
    static func displayableProducts(_ db: Database, store: String?) throws -> Int {
        try db.scalarInt("SELECT count(DISTINCT product_id) FROM displayable_products WHERE CAST(?1 AS TEXT) IS NULL OR store = ?1", [store]) ?? 0
    }

    /// Evaluates every type of the options, in order.
    public func run(progress: ((String) -> Void)? = nil) throws -> EvaluationReport {
        var rows: [EvaluationRow] = []
        for warning in warnings { progress?("warning: " + warning) }
        for type in options.types {
            let known = warnings.count
            let row = try evaluate(type)
            progress?("\(type.rawValue): \(row.metrics.cases) cases, \(row.queries) queries, \(String(format: "%.2f", row.seconds)) s")
            for warning in warnings[known...] { progress?("warning: " + warning) }
            rows.append(row)
        }
        return report(rows: rows)
    }

    /// The popularity type a type is compared with: the one of its target interaction.
    func baselineType(for type: RecommendationType) -> RecommendationType {
        RecommendationType.evaluationBaseline(for: type.evaluationTarget) ?? popularOverall
    }

    /// The cases of `type` after sampling, and how many there were before.
    public func cases(for type: RecommendationType) -> (cases: [EvaluationCase], available: Int) {
        let all = log.cases(for: type, excludeSeen: options.excludeSeen)
        return (Self.sample(all, count: options.sample, seed: options.seed), all.count)
    }

    /// Scores `type` and its baseline on the same cases.
    public func evaluate(_ type: RecommendationType) throws -> EvaluationRow {
        let (cases, available) = cases(for: type)
        let started = ContinuousClock.now
        let metrics = try score(type, cases)
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        let baselineType = baselineType(for: type)
        let baseline = try scoreBaseline(baselineType, cases)
        return EvaluationRow(type: type, target: type.evaluationTarget, availableCases: available, metrics: metrics.metrics,
                             baselineType: baselineType, baseline: baseline.metrics, queries: metrics.queries, seconds: seconds,
                             warning: EvaluationRow.warning(cases: metrics.metrics.cases),
                             // A popularity type is its own baseline: nothing to compare.
                             versusBaseline: type == baselineType ? nil
                                : EvaluationDifferences(type: metrics.caseScores, baseline: baseline.caseScores))
    }

    /// Asks `type` every distinct question of `cases` and scores the answers.
    func score(_ type: RecommendationType, _ cases: [EvaluationCase]) throws
        -> (metrics: EvaluationMetrics, queries: Int, caseScores: [[Double]]) {
        var index: [EvaluationCase.Question: Int] = [:]
        var questions: [EvaluationCase.Question] = []
        for item in cases where index[item.question] == nil {
            index[item.question] = questions.count
            questions.append(item.question)
        }
        let answers = try ask(type, questions)
        let scored = accumulate(cases) { answers[index[$0.question]!] }
        return (scored.metrics, questions.count, scored.caseScores)
    }

    /// The baseline's answers are shared across types: popularity ignores the visitor, and
    /// its answer depends only on the store and the context products it must leave out.
    func scoreBaseline(_ type: RecommendationType, _ cases: [EvaluationCase]) throws -> (metrics: EvaluationMetrics, caseScores: [[Double]]) {
        func key(_ item: EvaluationCase) -> BaselineKey {
            BaselineKey(type: type, question: .init(store: item.store, contextSKUs: item.contextSKUs, visitorID: nil))
        }
        var missing: [EvaluationCase.Question] = []
        var seen = Set<EvaluationCase.Question>()
        for item in cases where baselineAnswers[key(item)] == nil && seen.insert(key(item).question).inserted {
            missing.append(key(item).question)
        }
        let answers = try ask(type, missing)
        for (question, answer) in zip(missing, answers) {
            baselineAnswers[BaselineKey(type: type, question: question)] = answer
        }
        if !answers.isEmpty && answers.allSatisfy(\.isEmpty) && emptyBaselines.insert(type).inserted {
            // Popularity answers the same list to everyone: empty once means an empty window.
            warnings.append("the baseline \(type.rawValue) recommends nothing at the split: its popularity window before "
                            + "\(EventTime.format(snapshot.split)) holds no \(type.evaluationTarget.rawValue) events, so the baseline scores 0 "
                            + "(a longer window: crosslink aggregates configure)")
        }
        return accumulate(cases) { baselineAnswers[key($0)]! }
    }

    /// The metrics of `cases` and each case's scores, in the cases' order.
    func accumulate(_ cases: [EvaluationCase], _ answer: (EvaluationCase) -> [Int]) -> (metrics: EvaluationMetrics, caseScores: [[Double]]) {
        var accumulator = MetricsAccumulator(k: options.k)
        for item in cases { accumulator.add(answer(item), relevant: item.relevant, store: item.storeID, ranks: ranks) }
        return (accumulator.finish(catalogSize: catalogSize), accumulator.caseScores)
    }

    /// The product ids `type` recommends as of T for each question, on ``EvaluationOptions/workers``
    /// threads (each reads the snapshot on its own connection). A context product the model's
    /// catalog lacks gets an empty answer from a context type (a cold start), and the plain list
    /// from a popularity type.
    func ask(_ type: RecommendationType, _ questions: [EvaluationCase.Question]) throws -> [[Int]] {
        guard !questions.isEmpty else { return [] }
        let workers = min(options.workers, questions.count)
        let results = Answers(count: questions.count)
        let store = snapshot.store, asOf = snapshot.splitDate, k = options.k
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            results.record {
                try store.read { db in
                    let recommender = Recommender(db)
                    var answers: [(Int, [Int])] = []
                    func recommend(_ q: EvaluationCase.Question, skus: [String]) throws -> [Int] {
                        try recommender.recommend(type, context: RecommendationContext(skus: skus, visitorID: q.visitorID),
                                                  store: q.store, limit: k, asOf: asOf).map(\.productID)
                    }
                    // A product first sold after T is not in the model's catalog: the recommender
                    // leaves it out of the context (a cold start for the context types).
                    for i in stride(from: worker, to: questions.count, by: workers) {
                        answers.append((i, try recommend(questions[i], skus: questions[i].contextSKUs)))
                    }
                    return answers
                }
            }
        }
        return try results.finish()
    }

    /// A seeded sample of `count` items, in their original order: a partial Fisher–Yates shuffle
    /// of the indices driven by SplitMix64 (written out, so no library version changes it).
    static func sample<T>(_ items: [T], count: Int?, seed: UInt64) -> [T] {
        guard let count, count < items.count else { return items }
        var random = SplitMix64(seed: seed)
        var indices = Array(items.indices)
        for i in 0..<count {
            let j = i + Int(random.next() % UInt64(items.count - i))
            indices.swapAt(i, j)
        }
        return indices.prefix(count).sorted().map { items[$0] }
    }

    func report(rows: [EvaluationRow]) -> EvaluationReport {
        EvaluationReport(split: EventTime.format(snapshot.split), splitMilliseconds: snapshot.split, k: options.k, sample: options.sample,
                         seed: options.seed, store: options.store, catalog: options.catalog, excludeSeen: options.excludeSeen,
                         trainingEvents: log.trainingEvents, testEvents: log.testEvents, catalogSize: catalogSize,
                         preparationSeconds: preparationSeconds, rows: rows)
    }
}

/// The workers' answers and their first error.
private final class Answers: Sendable {
    private let state: Mutex<(answers: [[Int]], error: (any Error)?)>

    init(count: Int) { state = Mutex((Array(repeating: [], count: count), nil)) }

    func record(_ body: () throws -> [(Int, [Int])]) {
        do {
            let answers = try body()
            state.withLock { for (index, answer) in answers { $0.answers[index] = answer } }
        } catch {
            state.withLock { if $0.error == nil { $0.error = error } }
        }
    }

    func finish() throws -> [[Int]] {
        try state.withLock { state in
            if let error = state.error { throw error }
            return state.answers
        }
    }
}
