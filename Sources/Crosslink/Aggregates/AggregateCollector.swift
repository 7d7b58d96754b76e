/// Reads a batch of events into ``AggregateDeltas``: loads the state of every session the batch
/// touches, updates it, and adds the difference of the sessions' contributions; orders add
/// their own contribution; visitor history is merged by first/last times.
struct AggregateCollector {
    let db: Database
    var deltas: AggregateDeltas
    private var rollup: ProductRollup
    private var before: [SessionKey: [Int: SessionProduct]] = [:]
    private var after: [SessionKey: [Int: SessionProduct]] = [:]
    private var visitors: [VisitorKey: VisitorTimes] = [:]

    /// Ordered as the tables' keys (texts by their UTF-8 bytes, SQLite's BINARY collation).
    struct SessionKey: Hashable, Comparable {
        var store: Int
        var session: String
        static func < (a: Self, b: Self) -> Bool { a.store != b.store ? a.store < b.store : a.session.utf8.lexicographicallyPrecedes(b.session.utf8) }
    }
    struct VisitorKey: Hashable, Comparable {
        var store: Int
        var visitor: String
        var product: Int
        static func < (a: Self, b: Self) -> Bool {
            a.store != b.store ? a.store < b.store : a.visitor != b.visitor ? a.visitor.utf8.lexicographicallyPrecedes(b.visitor.utf8) : a.product < b.product
        }
    }
    struct VisitorTimes {
        var firstViewed: Int64?, lastViewed: Int64?, firstCarted: Int64?, lastCarted: Int64?, firstBought: Int64?, lastBought: Int64?
    }

    init(db: Database, maxBasketProducts: Int) throws {
        self.db = db
        deltas = AggregateDeltas(maxBasketProducts: maxBasketProducts)
        rollup = try ProductRollup(db)
    }

    mutating func collect(_ events: [StoredEvent]) throws {
        // Growing these dictionaries one rehash at a time cost more than filling them.
        deltas.products.reserveCapacity(deltas.products.count + events.count * 2)
        deltas.hours.reserveCapacity(deltas.hours.count + events.count)
        visitors.reserveCapacity(visitors.count + events.count)
        for event in events {
            let key = SessionKey(store: event.storeID, session: event.sessionID)
            switch event.type {
            case .productView, .addToCart:
                guard let raw = event.productID else { continue }
                let product = try rollup.id(raw)
                let time = event.occurredAt
                try loadSession(key)
                if event.type == .productView {
                    after[key]![product, default: SessionProduct()].viewedAt = SessionProduct.earliest(after[key]![product]?.viewedAt, time)
                    visitors[VisitorKey(store: event.storeID, visitor: event.visitorID, product: product), default: VisitorTimes()]
                        .record(time, first: \.firstViewed, last: \.lastViewed)
                } else {
                    after[key]![product, default: SessionProduct()].cartedAt = SessionProduct.earliest(after[key]![product]?.cartedAt, time)
                    visitors[VisitorKey(store: event.storeID, visitor: event.visitorID, product: product), default: VisitorTimes()]
                        .record(time, first: \.firstCarted, last: \.lastCarted)
                }
            case .placeOrder, .cancelOrder:
                var lines: [(product: Int, quantity: Double, price: Double)] = []
                for line in event.lines {
                    guard let raw = line.productID else { continue }
                    lines.append((try rollup.id(raw), line.quantity, line.price))
                }
                guard !lines.isEmpty else { continue }
                let placed = event.type == .placeOrder
                deltas.addOrder(store: event.storeID, at: event.occurredAt, cancelled: !placed, lines: lines)
                try loadSession(key)
                for line in lines {
                    var state = after[key]![line.product] ?? SessionProduct()
                    if placed {
                        state.boughtAt = SessionProduct.earliest(state.boughtAt, event.occurredAt)
                        visitors[VisitorKey(store: event.storeID, visitor: event.visitorID, product: line.product), default: VisitorTimes()]
                            .record(event.occurredAt, first: \.firstBought, last: \.lastBought)
                    } else {
                        state.cancelledAt = SessionProduct.earliest(state.cancelledAt, event.occurredAt)
                    }
                    after[key]![line.product] = state
                }
            default:
                continue
            }
        }
        for (key, state) in after {
            let old = before[key] ?? [:]
            guard old != state else { continue }
            deltas.changeSession(store: key.store, from: old, to: state)
        }
    }

    private mutating func loadSession(_ key: SessionKey) throws {
        guard after[key] == nil else { return }
        var state: [Int: SessionProduct] = [:]
        try db.cachedStatement("""
            SELECT product_id, first_viewed_at, first_carted_at, first_bought_at, first_cancelled_at
            FROM session_products WHERE store_id = ? AND session_id = ?
            """).forEachRow([key.store, key.session]) { row in
            state[row.int(at: 0)] = SessionProduct(viewedAt: row.optionalInt(at: 1).map(Int64.init), cartedAt: row.optionalInt(at: 2).map(Int64.init),
                                                   boughtAt: row.optionalInt(at: 3).map(Int64.init), cancelledAt: row.optionalInt(at: 4).map(Int64.init))
        }
        before[key] = state
        after[key] = state
    }

    /// Writes the changed session rows and merges the visitor history, in key order (SQLite
    /// then walks the B-trees forward instead of seeking at random), several rows per statement.
    func save() throws {
        var sessions: [(key: SessionKey, product: Int, times: SessionProduct)] = []
        for key in after.keys.sorted() {
            let (state, old) = (after[key]!, before[key] ?? [:])
            for product in state.keys.sorted() where old[product] != state[product] { sessions.append((key, product, state[product]!)) }
        }
        try MultiRowInsert(db, into: """
            session_products(store_id, session_id, product_id, first_viewed_at, first_carted_at, first_bought_at, first_cancelled_at)
            """, columns: 7, suffix: """
            ON CONFLICT (store_id, session_id, product_id) DO UPDATE SET first_viewed_at = excluded.first_viewed_at,
                first_carted_at = excluded.first_carted_at, first_bought_at = excluded.first_bought_at,
                first_cancelled_at = excluded.first_cancelled_at
            """).run(sessions) { row, statement, first in
            statement.bind(row.key.store, at: first)
            statement.bind(row.key.session, at: first + 1)
            statement.bind(row.product, at: first + 2)
            statement.bind(row.times.viewedAt.map(Int.init), at: first + 3)
            statement.bind(row.times.cartedAt.map(Int.init), at: first + 4)
            statement.bind(row.times.boughtAt.map(Int.init), at: first + 5)
            statement.bind(row.times.cancelledAt.map(Int.init), at: first + 6)
        }
        // min/max that ignore NULL: SQLite's scalar min/max return NULL when either is, hence
        // coalesce(min(a, b), a, b); PostgreSQL's least/greatest already skip NULL.
        func earliest(_ column: String) -> String {
            db.engine == .sqlite ? "coalesce(min(\(column), excluded.\(column)), \(column), excluded.\(column))"
                : "least(visitor_products.\(column), excluded.\(column))"
        }
        func latest(_ column: String) -> String {
            db.engine == .sqlite ? "coalesce(max(\(column), excluded.\(column)), \(column), excluded.\(column))"
                : "greatest(visitor_products.\(column), excluded.\(column))"
        }
        try MultiRowInsert(db, into: """
            visitor_products(store_id, visitor_id, product_id, first_viewed_at, last_viewed_at, first_carted_at, last_carted_at,
                             first_bought_at, last_bought_at)
            """, columns: 9, suffix: """
            ON CONFLICT (store_id, visitor_id, product_id) DO UPDATE SET
                first_viewed_at = \(earliest("first_viewed_at")), last_viewed_at = \(latest("last_viewed_at")),
                first_carted_at = \(earliest("first_carted_at")), last_carted_at = \(latest("last_carted_at")),
                first_bought_at = \(earliest("first_bought_at")), last_bought_at = \(latest("last_bought_at"))
            """).run(visitors.keys.sorted()) { key, statement, first in
            let times = visitors[key]!
            statement.bind(key.store, at: first)
            statement.bind(key.visitor, at: first + 1)
            statement.bind(key.product, at: first + 2)
            statement.bind(times.firstViewed.map(Int.init), at: first + 3)
            statement.bind(times.lastViewed.map(Int.init), at: first + 4)
            statement.bind(times.firstCarted.map(Int.init), at: first + 5)
            statement.bind(times.lastCarted.map(Int.init), at: first + 6)
            statement.bind(times.firstBought.map(Int.init), at: first + 7)
            statement.bind(times.lastBought.map(Int.init), at: first + 8)
        }
    }
}

extension AggregateCollector.VisitorTimes {
    mutating func record(_ time: Int64, first: WritableKeyPath<Self, Int64?>, last: WritableKeyPath<Self, Int64?>) {
        self[keyPath: first] = self[keyPath: first].map { min($0, time) } ?? time
        self[keyPath: last] = self[keyPath: last].map { max($0, time) } ?? time
    }
}

/// A product's rolled-up id: the configurable parent of a child (the lowest id when several),
/// else itself — the rule of the `product_rollup` view, cached for one batch.
struct ProductRollup {
    let db: Database
    private let hasConfigurableChildren: Bool
    private var cache: [Int: Int] = [:]

    init(_ db: Database) throws {
        self.db = db
        hasConfigurableChildren = try db.scalarInt("""
            SELECT EXISTS (SELECT 1 FROM product_children AS c JOIN products AS p ON p.product_id = c.parent_id AND p.type = 'configurable')
            """) == 1
    }

    mutating func id(_ product: Int) throws -> Int {
        guard hasConfigurableChildren else { return product }
        if let cached = cache[product] { return cached }
        let id = try db.scalarInt("SELECT rollup_id FROM product_rollup WHERE product_id = ?", [product]) ?? product
        cache[product] = id
        return id
    }
}
