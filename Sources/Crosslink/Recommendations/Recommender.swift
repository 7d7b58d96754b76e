import Foundation

/// Behavioural and content recommendations: every type is one SQL query over the
/// aggregate tables (its `RecommendationTypeDescriptor` in Types/), then a Swift step that
/// turns rows into ``Recommendation``s with a score and a reason.
///
/// ```swift
/// let recommendations = try store.read { db in
///     try Recommender(db).recommend(.boughtBought, context: .product("85123A"), limit: 5)
/// }
/// for r in recommendations { print(r.sku, r.reason) }
/// // 22804 bought together with 85123A in 79 orders, lift 6.0
///
/// // What the home page showed on 1 September 2011 (events before that instant):
/// let then = try store.read { db in
///     try Recommender(db).recommend(.mostPurchased, asOf: ISO8601DateFormatter().date(from: "2011-09-01T00:00:00Z")!)
/// }
/// ```
///
/// Rules common to every type: only products displayable in the store; never the context
/// products, their children or configurable parents; a type with nothing to say returns an
/// empty list (cold start) — except more like this, which needs only the catalog. Without
/// `asOf` the live windows are used (they end with the latest event); with `asOf` the answer
/// comes from whole days (hours for trending) before it, and for the visitor types from the
/// events before it.
public struct Recommender {
    let db: Database
    public init(_ db: Database) { self.db = db }

    /// The SQL of one request and the values of its named parameters: run it with the sqlite3
    /// CLI (`.parameter set :store 1` …) to reproduce an answer. ``Recommender/plan(_:context:store:limit:asOf:filter:excluding:windows:)`` builds it.
    public struct Query: Sendable {
        public var type: RecommendationType
        /// The type's statement, built once.
        var template: SQLTemplate
        /// The unit's filter, in the template's condition slots.
        var filter: CandidateFilter?
        /// The values of the template's named parameters (names without the colon).
        var named: [(name: String, value: DatabaseValue)]
        /// The engine of the database the query was planned on: ``sql`` is its spelling.
        public var engine: DatabaseEngine = .sqlite
        /// The statement's text, as prepared (in SQLite's parameter spelling on both engines:
        /// ``serverStatement`` has PostgreSQL's).
        public var sql: String { rendered.text }
        /// Every parameter of ``sql`` by its name there (`:store`, `?12`) with its value.
        public var parameters: [(name: String, value: DatabaseValue)] {
            let conditionValues = filter?.condition.values ?? []
            return zip(rendered.parameterNames, rendered.bindings).map { name, binding in
                switch binding {
                case .value(let value): (name, value)
                case .conditionValue(let number): (name, conditionValues[number])
                case .parameter(let parameter): (name, named.first { $0.name == parameter }?.value ?? .null)
                }
            }
        }
        private var rendered: SQL.Rendered {
            if engine == .sqlite && filter == nil { return template.plain }
            return template.sql.rendered(condition: filter?.condition.sql, engine: engine)
        }
        /// The statement as the server receives it, with its values in parameter order: on
        /// SQLite ``sql`` itself; on PostgreSQL with `$1…$n` (``parameters`` renumbered as the
        /// library sends them), for psql's `PREPARE … AS` and `EXECUTE`.
        public var serverStatement: (text: String, values: [DatabaseValue]) {
            let values = parameters.map(\.value)
            guard engine == .postgresql else { return (sql, values) }
            let placeholders = PostgreSQLPlaceholders(sqlite: sql)
            var server = [DatabaseValue](repeating: .null, count: placeholders.serverCount)
            for (index, value) in values.enumerated() where index < placeholders.count {
                if let number = placeholders.serverIndex[index] { server[number - 1] = value }
            }
            return (placeholders.text, server)
        }
        /// The settings the reasons quote (window lengths).
        var settings: RecommendationSettings
        /// Set when recommended for you reads the neighbour lists: `run` then sums them in
        /// Swift (``NeighbourRanking``); `sql` is the same computation in SQL.
        var neighbours: NeighbourRanking.Request? = nil
    }

    /// Recommends up to `limit` products of `type` for `context` in `store`, as of now or as of
    /// `asOf`. Throws ``RequestError`` for an unknown store, a limit out of range or a context
    /// that lacks what the type needs; context SKUs not in the catalog are left out.
    ///
    /// `filter` (a unit's merchant filters, ``CandidateFilter``) is applied in the type's SQL
    /// where candidates are chosen; `excluding` adds product ids never to return (a page's
    /// products already shown, what the visitor bought).
    ///
    /// `windows` replaces the stored windows for this request (a unit's own windows); see
    /// ``RecommendationWindows``.
    public func recommend(_ type: RecommendationType, context: RecommendationContext = .none, store: String = "default",
                          limit: Int = 5, asOf: Date? = nil, filter: CandidateFilter? = nil, excluding: [Int] = [],
                          windows: RecommendationWindows? = nil) throws -> [Recommendation] {
        let query = try plan(type, context: context, store: store, limit: limit, asOf: asOf, filter: filter, excluding: excluding,
                             windows: windows)
        return try run(query)
    }

    /// Runs a planned query.
    func run(_ query: Query) throws -> [Recommendation] {
        if let request = query.neighbours { return try NeighbourRanking(db: db).run(query, request) }
        let type = query.type
        let descriptor = RecommendationTypeDescriptor.of(type)
        let prepared = try db.statement(query.template, condition: query.filter?.condition)
        for (name, value) in query.named { try prepared.bind(value, name) }
        let statement = prepared.statement
        defer { statement.reset() }
        var result: [Recommendation] = []
        while try statement.step() {
            result.append(Recommendation(type: type, productID: statement.int(at: 0), sku: statement.text(at: 1),
                                         name: statement.text(at: 2), finalPrice: statement.optionalDouble(at: 3),
                                         score: statement.double(at: 4), reason: descriptor.reason(RecommendationRow(statement: statement), query.settings)))
        }
        return result
    }

    /// The query ``recommend(_:context:store:limit:asOf:filter:excluding:windows:)`` runs, with its parameter values.
    public func plan(_ type: RecommendationType, context: RecommendationContext = .none, store: String = "default",
                     limit: Int = 5, asOf: Date? = nil, filter: CandidateFilter? = nil, excluding: [Int] = [],
                     windows: RecommendationWindows? = nil) throws -> Query {
        try checkRequest(type, context: context, limit: limit, windows: windows)
        return try plan(type, resolved: try resolve(context.skus, store: store), visitorID: context.visitorID,
                        settings: try RecommendationSettings.load(db), limit: limit, asOf: asOf, filter: filter, excluding: excluding,
                        windows: windows)
    }

    func checkRequest(_ type: RecommendationType, context: RecommendationContext, limit: Int, windows: RecommendationWindows? = nil) throws {
        guard (1...100).contains(limit) else { throw RequestError.invalidLimit(limit) }
        if let bad = windows?.outOfRange { throw RequestError(.invalidOption, "invalid windows: \(bad.name) \(bad.value): must be 1 to \(bad.maximum)") }
        switch type.requirement {
        case .products where context.skus.isEmpty:
            throw RequestError.missingContext(type: type, needs: "a product or a cart")
        case .visitor where context.visitorID == nil:
            throw RequestError.missingContext(type: type, needs: "a visitor")
        default: break
        }
    }

    /// The query for context products already resolved (a page resolves them once for all its units).
    /// With `windows` that differ from the stored ones (or `fromBuckets`), the type's point-in-time
    /// query runs over the live period: the day and hour rows hold every bucket, the live
    /// window sums only the stored windows.
    func plan(_ type: RecommendationType, resolved: Resolved, visitorID: String?, settings stored: RecommendationSettings, limit: Int,
              asOf: Date?, filter: CandidateFilter?, excluding: [Int], windows custom: RecommendationWindows? = nil,
              fromBuckets: Bool = false) throws -> Query {
        let settings = custom?.applied(to: stored) ?? stored
        let lastAt = asOf == nil && (fromBuckets || settings != stored) ? try AggregateState.load(db).lastAt : nil
        var parameters: [(String, DatabaseValue)] = [
            ("store", .integer(Int64(resolved.storeID))),
            ("excluded", .jsonArray(resolved.excluded + excluding)),
            ("limit", .integer(Int64(limit))),
        ]
        let descriptor = RecommendationTypeDescriptor.of(type)
        if descriptor.requirement == .products { parameters.append(("context", .jsonArray(resolved.context))) }
        if let visitor = visitorID { parameters.append(("visitor", .text(visitor))) }
        if let kind = descriptor.kind { parameters.append(("kind", .integer(Int64(kind.id)))) }

        // The windows: those of the whole buckets before `asOf`, or the live ones (only the
        // visitor types need them then, to bound the history and decay it).
        let asOfMilliseconds = asOf.map { Int64(($0.timeIntervalSince1970 * 1000).rounded(.down)) }
        let windows: AggregateWindows?
        let now: Int64?
        var since: Int64?
        if let asOfMilliseconds {
            windows = .asOf(asOfMilliseconds, settings: settings)
            now = asOfMilliseconds
            parameters.append(("before", .integer(asOfMilliseconds)))
        } else if let lastAt {
            // The live windows (the current, partial day and hour included) over every event.
            windows = .live(lastAt: lastAt, settings: settings)
            now = lastAt
            parameters.append(("before", .integer(lastAt + 1)))
        } else if type.requirement == .visitor, let lastAt = try AggregateState.load(db).lastAt {
            windows = .live(lastAt: lastAt, settings: settings)
            now = lastAt
        } else {
            windows = nil
            now = nil
        }
        if let windows {
            for (name, value) in [("popularity_first", windows.popularity.lowerBound), ("popularity_last", windows.popularity.upperBound),
                                  ("cooccurrence_first", windows.cooccurrence.lowerBound), ("cooccurrence_last", windows.cooccurrence.upperBound),
                                  ("foreground_first", windows.foreground.lowerBound), ("foreground_last", windows.foreground.upperBound),
                                  ("background_first", windows.background.lowerBound)] {
                parameters.append((name, .integer(Int64(value))))
            }
            since = Int64(windows.cooccurrence.lowerBound) * AggregateTime.dayMilliseconds
            parameters.append(("since", .integer(since!)))
        }
        if let now { parameters.append(("now", .integer(now))) }
        var query = descriptor.query(asOf: asOf != nil || lastAt != nil, singleContext: resolved.context.count == 1)
        var neighbours: NeighbourRanking.Request?
        if asOf == nil && lastAt == nil, let listed = descriptor.liveFromNeighbourLists, let visitorID, let now, let since,
           let version = try ItemNeighbours.servedVersion(db) {
            query = listed
            neighbours = NeighbourRanking.Request(storeID: resolved.storeID, visitor: visitorID, listsVersion: version, since: since, now: now,
                                                  excluded: Set(resolved.excluded + excluding), limit: limit, filter: filter)
        }
        return Query(type: type, template: query, filter: filter, named: parameters, engine: db.engine, settings: settings, neighbours: neighbours)
    }

    struct Resolved {
        var storeID: Int
        /// The context products, rolled up (a configurable child as its parent).
        var context: [Int]
        /// Context products, their children and configurable parents.
        var excluded: [Int]
    }

    /// A context SKU the catalog does not hold (a product not imported yet) is left out: with none
    /// left, a context type recommends nothing and a popularity type its plain list, as for a
    /// product without behaviour — a shop's page must not fail on it.
    func resolve(_ skus: [String], store: String) throws -> Resolved {
        let products = ProductRepository(db)
        let known = try skus.filter { try products.id(sku: $0) != nil }
        guard !known.isEmpty else { return Resolved(storeID: try StoreRepository(db).store(code: store).id, context: [], excluded: []) }
        let placement = try Placements(db).resolve(store: store, viewed: nil, cart: known)
        let context = try db.map("SELECT DISTINCT rollup_id FROM product_rollup WHERE product_id IN \(list: placement.cartIDs)") { $0.int(at: 0) }
        return Resolved(storeID: placement.store.id, context: context.sorted(), excluded: placement.excluded)
    }

    /// `c:Gear/Bags`, `a:material Nylon`, `w:duffle` labels → readable, grouped by kind.
    static func features(_ text: String) -> [String] {
        // Byte-wise: labels are ASCII-prefixed (`c:`, `a:`, `w:`) and split on U+001F, which
        // UTF-8 never uses inside another character; Character-wise splitting cost more than
        // the query behind it.
        var categories: [String] = [], attributes: [String] = [], words: [String] = []
        let bytes = Array(text.utf8)
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != 0x1F { end += 1 }
            if end - start >= 2 && bytes[start + 1] == UInt8(ascii: ":") {
                let value = String(decoding: bytes[(start + 2)..<end], as: UTF8.self)
                switch bytes[start] {
                case UInt8(ascii: "c"): categories.append(value)
                case UInt8(ascii: "a"): attributes.append(value)
                case UInt8(ascii: "w"): words.append(value)
                default: break
                }
            }
            start = end + 1
        }
        categories.sort(); attributes.sort(); words.sort()
        var shared: [String] = []
        if !categories.isEmpty { shared.append((categories.count == 1 ? "category " : "categories ") + categories.joined(separator: ", ")) }
        shared += attributes
        if !words.isEmpty { shared.append((words.count == 1 ? "name word " : "name words ") + words.joined(separator: ", ")) }
        return shared
    }
}
