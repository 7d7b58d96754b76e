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
        if db.engine == .postgresql { try prefetch(events) }
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

    /// PostgreSQL: loads every session the batch touches, and the rolled-up ids of its
    /// products, in one query each (``loadSession(_:)`` and ``ProductRollup/id(_:)`` then find
    /// them loaded) instead of a round trip per session and product.
    private mutating func prefetch(_ events: [StoredEvent]) throws {
        var keys: [SessionKey] = []
        var products = Set<Int>()
        for event in events {
            switch event.type {
            case .productView, .addToCart:
                guard let product = event.productID else { continue }
                products.insert(product)
            case .placeOrder, .cancelOrder:
                let lineProducts = event.lines.compactMap(\.productID)
                guard !lineProducts.isEmpty else { continue }
                products.formUnion(lineProducts)
            default:
                continue
            }
            let key = SessionKey(store: event.storeID, session: event.sessionID)
            if after[key] == nil {
                (before[key], after[key]) = ([:], [:])
                keys.append(key)
            }
        }
        try rollup.prefetch(products)
        guard !keys.isEmpty else { return }
        // The row type gives the keys the table's types and collations.
        let wanted = try AggregateRowBatch(db, table: "session_products", columns: ["store_id", "session_id"])
        for key in keys { wanted.add { $0.bind(key.store, at: 1); $0.bind(key.session, at: 2) } }
        let statement = try db.cachedStatement("""
            SELECT s.store_id, s.session_id, s.product_id, s.first_viewed_at, s.first_carted_at, s.first_bought_at, s.first_cancelled_at
            FROM (\(wanted.rowsSQL(["r.store_id", "r.session_id"]))) AS k
            JOIN session_products AS s ON s.store_id = k.store_id AND s.session_id = k.session_id
            """)
        statement.reset()
        defer { statement.reset() }
        statement.bind(wanted.take(), at: 1)
        while try statement.step() {
            let key = SessionKey(store: statement.int(at: 0), session: statement.text(at: 1))
            let state = SessionProduct(viewedAt: statement.optionalInt(at: 3).map(Int64.init), cartedAt: statement.optionalInt(at: 4).map(Int64.init),
                                       boughtAt: statement.optionalInt(at: 5).map(Int64.init), cancelledAt: statement.optionalInt(at: 6).map(Int64.init))
            before[key]![statement.int(at: 2)] = state
            after[key]![statement.int(at: 2)] = state
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

    /// Rolls `products` up in one query (PostgreSQL: a round trip per product cost more).
    mutating func prefetch(_ products: Set<Int>) throws {
        guard hasConfigurableChildren else { return }
        let missing = products.filter { cache[$0] == nil }.sorted()
        guard !missing.isEmpty else { return }
        for product in missing { cache[product] = product }
        let statement = try db.cachedStatement("""
            SELECT product_id, rollup_id FROM product_rollup WHERE product_id IN (SELECT unnest(CAST(?1 AS bigint[])))
            """)
        statement.reset()
        defer { statement.reset() }
        statement.bind("{" + missing.map(String.init).joined(separator: ",") + "}", at: 1)
        while try statement.step() { cache[statement.int(at: 0)] = statement.int(at: 1) }
    }

    mutating func id(_ product: Int) throws -> Int {
        guard hasConfigurableChildren else { return product }
        if let cached = cache[product] { return cached }
        let id = try db.scalarInt("SELECT rollup_id FROM product_rollup WHERE product_id = ?", [product]) ?? product
        cache[product] = id
        return id
    }
}
