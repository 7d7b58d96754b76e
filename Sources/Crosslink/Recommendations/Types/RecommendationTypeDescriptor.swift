/// One recommendation type: what it needs from the context, where units may show it, how its
/// score reads, how it is evaluated, its SQL live and as of a time, and how a result row becomes
/// a reason. Each type is a file of this folder; adding a type is a case of
/// ``RecommendationType``, a file here and a line in ``all`` — nothing outside this folder
/// names a type (`RecommendationRegistryTests` checks both).
///
/// The Swift SQL here is authoritative: ``Recommender`` runs it, `crosslink recommend --sql`
/// prints it. The `recs_*` views of Migrations/ (applied migrations are checksummed, so they
/// are never edited) are documentation of the live scores for people writing SQL by hand;
/// `RecommendationViewTests` checks each view's answers against this SQL, so a view that no
/// longer says what the library does fails a test.
///
/// Every query returns product_id, sku, name, final_price, score in columns 0–4, then the
/// columns its reason reads, by name.
struct RecommendationTypeDescriptor: Sendable {
    typealias GridAxes = [(parameter: GridParameter, values: [Double])]

    let type: RecommendationType
    let requirement: RecommendationType.Requirement
    /// The pages whose units may show the type (``PageType/allowedTypes``).
    let pages: Set<PageType>
    /// The type a unit falls back to for the slots this one cannot fill (``UnitType/defaultBackup``).
    let defaultBackup: RecommendationType?
    /// What the score is, for showing it (``RecommendationType/scoreKind``).
    let scoreKind: RecommendationType.ScoreKind
    /// The interaction whose products are relevant in an evaluation (``RecommendationType/evaluationTarget``).
    let evaluationTarget: EvaluationInteraction
    /// For a type with a product context: the interaction that makes a product the context of a
    /// test case. Nil: visitor cases.
    let evaluationContext: EvaluationInteraction?
    /// Visitor cases keep the products the visitor interacted with before the split among the
    /// relevant ones even with `excludeSeen` (re-showing them is the type's job).
    let evaluationKeepsSeen: Bool
    /// The popularity type every type predicting the same interaction is compared with.
    let isEvaluationBaseline: Bool
    /// The settings ``EvaluationGrid/standard`` tries for the type.
    let grid: GridAxes
    /// From the live windows (the aggregate tables).
    let live: SQLTemplate
    /// Live, for a single context product, when that is cheaper (co-occurrence: one pair row
    /// per partner, so the per-partner sum is skipped).
    let liveSingleContext: SQLTemplate?
    /// Live, when the item neighbour lists are served (``ItemNeighbours``): this statement's
    /// computation, which ``NeighbourRanking`` runs in Swift.
    let liveFromNeighbourLists: SQLTemplate?
    /// As of a time: sums over whole days (hours for trending) before it, events for the visitor.
    let asOf: SQLTemplate
    /// The co-occurrence kind bound to `:kind`.
    let kind: CooccurrenceKind?
    /// The reason of the current row (columns read by name).
    let reason: @Sendable (RecommendationRow, RecommendationSettings) -> RecommendationReason

    init(_ type: RecommendationType, requirement: RecommendationType.Requirement,
         pages: Set<PageType>, defaultBackup: RecommendationType? = nil, scoreKind: RecommendationType.ScoreKind,
         evaluationTarget: EvaluationInteraction, evaluationContext: EvaluationInteraction? = nil,
         evaluationKeepsSeen: Bool = false, isEvaluationBaseline: Bool = false, grid: GridAxes = [],
         live: SQL, liveSingleContext: SQL? = nil, liveFromNeighbourLists: SQLTemplate? = nil, asOf: SQL, kind: CooccurrenceKind? = nil,
         reason: @escaping @Sendable (RecommendationRow, RecommendationSettings) -> RecommendationReason) {
        self.type = type
        self.requirement = requirement
        self.pages = pages
        self.defaultBackup = defaultBackup
        self.scoreKind = scoreKind
        self.evaluationTarget = evaluationTarget
        self.evaluationContext = evaluationContext
        self.evaluationKeepsSeen = evaluationKeepsSeen
        self.isEvaluationBaseline = isEvaluationBaseline
        self.grid = grid
        self.live = SQLTemplate(live)
        self.liveSingleContext = liveSingleContext.map(SQLTemplate.init)
        self.liveFromNeighbourLists = liveFromNeighbourLists
        self.asOf = SQLTemplate(asOf)
        self.kind = kind
        self.reason = reason
    }

    /// The statement for a request.
    func query(asOf: Bool, singleContext: Bool) -> SQLTemplate {
        asOf ? self.asOf : singleContext ? liveSingleContext ?? live : live
    }

    /// Every type, in the order of ``RecommendationType/allCases``: the unit model, evaluation
    /// and the CLI read the types' facts from it.
    static let all: [RecommendationTypeDescriptor] = [
        MostViewed.descriptor, MostPurchased.descriptor, MostAddedToCart.descriptor, Trending.descriptor,
        ViewToCart.descriptor, ViewToPurchase.descriptor, ViewedViewed.descriptor, ViewedBought.descriptor,
        BoughtBought.descriptor, RecommendedForYou.descriptor, MoreLikeThis.descriptor, RecentlyViewed.descriptor,
    ]

    private static let byType = Dictionary(uniqueKeysWithValues: all.map { ($0.type, $0) })

    static func of(_ type: RecommendationType) -> RecommendationTypeDescriptor { byType[type]! }
}

/// A result row, its type-specific columns read by name.
struct RecommendationRow {
    let statement: Statement

    func int(_ column: String) -> Int { statement.int(at: statement.columnIndex(column)) }
    func double(_ column: String) -> Double { statement.double(at: statement.columnIndex(column)) }
    func text(_ column: String) -> String { statement.text(at: statement.columnIndex(column)) }
    /// Column 4, `score`, of every query.
    var score: Double { statement.double(at: 4) }
}
