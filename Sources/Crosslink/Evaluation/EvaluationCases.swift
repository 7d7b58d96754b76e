import Foundation

/// One test case: what the recommender is asked (store, context products or visitor) and the
/// products that turned out relevant after the split. Product ids are rolled up (a
/// configurable child counts as its parent), as the recommender's are.
public struct EvaluationCase: Sendable, Equatable, Hashable, Codable {
    public var storeID: Int
    public var store: String
    /// Context types: the product the case starts from.
    public var contextSKUs: [String]
    /// Visitor types: the visitor.
    public var visitorID: String?
    /// The relevant products (ids), ascending.
    public var relevant: [Int]

    public init(storeID: Int, store: String, contextSKUs: [String] = [], visitorID: String? = nil, relevant: [Int]) {
        self.storeID = storeID; self.store = store; self.contextSKUs = contextSKUs; self.visitorID = visitorID; self.relevant = relevant
    }

    /// The question, without the answer: cases that ask the same share one recommendation.
    struct Question: Hashable, Sendable {
        var store: String
        var contextSKUs: [String]
        var visitorID: String?
    }

    var question: Question { Question(store: store, contextSKUs: contextSKUs, visitorID: visitorID) }
}

/// Builds the test cases of every type from the events of the source database:
///
/// - **Context types** (viewed-viewed, viewed-bought, bought-bought, more like this): in each
///   session after T, each product at its first context interaction (a view; a purchase for
///   bought-bought; any for more like this) is a case; the relevant products are the other
///   products of the type's target interaction (views, purchases, any) that come after it in the
///   session — by time, then event order — or in the same order.
/// - **Visitor types** (recommended for you, recently viewed): each visitor with an interaction
///   both before and after T; relevant: the products of the target interaction after T,
///   without those the visitor interacted with before T (``EvaluationOptions/excludeSeen``;
///   recently viewed keeps them).
/// - **Popularity types** (most viewed / purchased / added to cart, trending, conversion): each
///   visitor with a target interaction after T (no history needed), relevant as above.
///
/// A case without relevant products is no case. Interactions: product views, adds to cart and
/// order lines of products in the catalog (cancellations are not interactions).
///
/// ```swift
/// let log = try store.read { db in try EvaluationCaseBuilder(db, split: t).read() }
/// print(log.trainingEvents, log.testEvents)
/// let cases = try Evaluator(source: store).prepare().cases(for: .boughtBought).cases
/// ```
public struct EvaluationCaseBuilder {
    let db: Database
    let split: Int64
    let storeID: Int?

    /// `db`: the source database (all events); `store`: nil for every store.
    public init(_ db: Database, split: Int64, store: String? = nil) throws {
        self.db = db
        self.split = split
        storeID = try store.map { try StoreRepository(db).store(code: $0).id }
    }

    struct Interaction {
        var storeID: Int
        var session: String
        var visitor: String
        var seq: Int
        var kind: EvaluationInteraction
        var product: Int
    }

    struct VisitorKey: Hashable, Comparable {
        var storeID: Int
        var visitor: String
        static func < (a: Self, b: Self) -> Bool { (a.storeID, a.visitor) < (b.storeID, b.visitor) }
    }

    /// Everything the cases of every type are made from, read once.
    public struct Log: Sendable {
        /// Sessions after T: interactions in order (time, event, line).
        var sessions: [[Interaction]]
        /// Per visitor: products interacted with before T.
        var before: [VisitorKey: Set<Int>]
        var storeCodes: [Int: String]
        var skus: [Int: String]
        /// Events (with their order lines) before and from T.
        public var trainingEvents = 0
        public var testEvents = 0
    }

    static let interactions = """
        SELECT e.store_id, e.session_id, e.visitor_id, e.event_seq, e.occurred_at, 0 AS line,
               CASE e.type WHEN 'product-view' THEN 0 ELSE 1 END AS kind, r.rollup_id
        FROM events AS e JOIN product_rollup AS r ON r.product_id = e.product_id
        WHERE e.type IN ('product-view', 'add-to-cart') AND e.occurred_at >= ?1 AND (CAST(?2 AS BIGINT) IS NULL OR e.store_id = ?2)
        UNION ALL
        SELECT e.store_id, e.session_id, e.visitor_id, e.event_seq, e.occurred_at, l.line, 2, r.rollup_id
        FROM events AS e JOIN event_lines AS l ON l.event_seq = e.event_seq JOIN product_rollup AS r ON r.product_id = l.product_id
        WHERE e.type = 'place-order' AND e.occurred_at >= ?1 AND (CAST(?2 AS BIGINT) IS NULL OR e.store_id = ?2)
        ORDER BY 1, 2, 5, 4, 6
        """

    static let seenBefore = """
        SELECT DISTINCT e.store_id, e.visitor_id, r.rollup_id
        FROM events AS e JOIN product_rollup AS r ON r.product_id = e.product_id
        WHERE e.type IN ('product-view', 'add-to-cart') AND e.occurred_at < ?1 AND (CAST(?2 AS BIGINT) IS NULL OR e.store_id = ?2)
        UNION
        SELECT e.store_id, e.visitor_id, r.rollup_id
        FROM events AS e JOIN event_lines AS l ON l.event_seq = e.event_seq JOIN product_rollup AS r ON r.product_id = l.product_id
        WHERE e.type = 'place-order' AND e.occurred_at < ?1 AND (CAST(?2 AS BIGINT) IS NULL OR e.store_id = ?2)
        """

    /// Reads the interactions after T and each visitor's products before T.
    public func read() throws -> Log {
        let arguments: [any DatabaseValueConvertible] = [Int(split), storeID]
        var log = Log(sessions: [], before: [:], storeCodes: [:], skus: [:])
        var current: [Interaction] = []
        let kinds: [EvaluationInteraction] = [.view, .cart, .purchase]
        try db.prepare(Self.interactions).forEachRow(arguments) { row in
            let item = Interaction(storeID: row.int(at: 0), session: row.text(at: 1), visitor: row.text(at: 2), seq: row.int(at: 3),
                                   kind: kinds[row.int(at: 6)], product: row.int(at: 7))
            if let last = current.last, last.storeID != item.storeID || last.session != item.session {
                log.sessions.append(current)
                current = []
            }
            current.append(item)
        }
        if !current.isEmpty { log.sessions.append(current) }
        try db.prepare(Self.seenBefore).forEachRow(arguments) { row in
            log.before[VisitorKey(storeID: row.int(at: 0), visitor: row.text(at: 1)), default: []].insert(row.int(at: 2))
        }
        try db.prepare("SELECT store_id, code FROM stores").forEachRow { log.storeCodes[$0.int(at: 0)] = $0.text(at: 1) }
        try db.prepare("SELECT product_id, sku FROM products").forEachRow { log.skus[$0.int(at: 0)] = $0.text(at: 1) }
        let count = """
            SELECT count(*) + coalesce(sum((SELECT count(*) FROM event_lines AS l WHERE l.event_seq = e.event_seq)), 0)
            FROM events AS e WHERE (CAST(?2 AS BIGINT) IS NULL OR e.store_id = ?2) AND (e.occurred_at >= ?1) = ?3
            """
        log.trainingEvents = try db.scalarInt(count, arguments + [false]) ?? 0
        log.testEvents = try db.scalarInt(count, arguments + [true]) ?? 0
        return log
    }
}

extension EvaluationCaseBuilder.Log {
    /// The cases of `type`, in a fixed order (store, session or visitor, position).
    func cases(for type: RecommendationType, excludeSeen: Bool) -> [EvaluationCase] {
        if let context = type.evaluationContext { return contextCases(context: context, target: type.evaluationTarget) }
        let target = type.evaluationTarget
        let personal = type.requirement == .visitor
        let keepSeen = !excludeSeen || RecommendationTypeDescriptor.of(type).evaluationKeepsSeen
        var after: [EvaluationCaseBuilder.VisitorKey: Set<Int>] = [:]
        for session in sessions {
            for item in session where target.matches(item.kind) {
                after[EvaluationCaseBuilder.VisitorKey(storeID: item.storeID, visitor: item.visitor), default: []].insert(item.product)
            }
        }
        var cases: [EvaluationCase] = []
        for key in after.keys.sorted() {
            let seen = before[key]
            if personal && seen == nil { continue }
            let relevant = keepSeen ? after[key]! : after[key]!.subtracting(seen ?? [])
            guard !relevant.isEmpty else { continue }
            cases.append(EvaluationCase(storeID: key.storeID, store: storeCodes[key.storeID] ?? "", visitorID: personal ? key.visitor : nil,
                                        relevant: relevant.sorted()))
        }
        return cases
    }

    private func contextCases(context: EvaluationInteraction, target: EvaluationInteraction) -> [EvaluationCase] {
        var cases: [EvaluationCase] = []
        for session in sessions {
            var started = Set<Int>()
            for (i, item) in session.enumerated() where context.matches(item.kind) && started.insert(item.product).inserted {
                var relevant = Set<Int>()
                for (j, other) in session.enumerated()
                where (j > i || other.seq == item.seq) && other.product != item.product && target.matches(other.kind) {
                    relevant.insert(other.product)
                }
                guard !relevant.isEmpty, let sku = skus[item.product] else { continue }
                cases.append(EvaluationCase(storeID: item.storeID, store: storeCodes[item.storeID] ?? "", contextSKUs: [sku],
                                            relevant: relevant.sorted()))
            }
        }
        return cases
    }
}
