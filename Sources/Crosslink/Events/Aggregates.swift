/// The behavioural aggregates (`Migrations/0004_aggregates.sql`): distinct-session counts per
/// product and day/hour, co-occurrence counts, per-visitor history, and the live windows that
/// the recommendation types read.
///
/// Ingest calls ``apply(_:)`` with the events it has just stored, in its write transaction, so
/// the aggregates never lag the log. ``rebuild()`` recomputes everything from the log with
/// set-based SQL (repair, a changed window, a bulk load without aggregation); it leaves the
/// same rows as the incremental path.
///
/// ```swift
/// try store.write { db in try Aggregates(db).rebuild() }
/// let settings = try store.read { db in try Aggregates(db).settings() }
/// print(settings.popularityDays)  // 7
/// ```
///
/// What is counted (rolled up: a configurable child counts as its parent):
/// - a session counts once per product for each of view, add-to-cart, purchase and
///   cancellation, on the day (and hour) of its first one;
/// - place-order lines add units and revenue, cancel-order lines subtract them; an order
///   counts for bought-together, and a cancel-order of several products subtracts their pairs;
/// - viewed-viewed: sessions that viewed both; viewed-bought: sessions whose first view of A
///   precedes their first purchase of B; sessions and orders of more than
///   ``RecommendationSettings/maxBasketProducts`` products give no co-occurrence evidence.
public struct Aggregates {
    let db: Database
    public init(_ db: Database) { self.db = db }

    /// Folds newly stored events (never duplicates) into the aggregates. Inside a transaction
    /// (ingest's) it writes in it, and an error means the caller must roll it back (as
    /// ``CrosslinkStore/write(_:)`` does); outside one it opens its own. No savepoint: one would
    /// copy every page the aggregates touch into a sub-journal.
    public func apply(_ events: [StoredEvent]) throws {
        guard !events.isEmpty else { return }
        try inTransaction {
            let settings = try RecommendationSettings.load(db)
            let old = try AggregateState.load(db)
            var new = old
            for event in events { new.include(event.occurredAt) }
            let tables = AggregateTables(db: db)
            if let oldLast = old.lastAt, let newLast = new.lastAt, newLast > oldLast {
                try tables.move(from: .live(lastAt: oldLast, settings: settings), to: .live(lastAt: newLast, settings: settings))
            }
            var collector = try EventCollector(db: db, maxBasketProducts: settings.maxBasketProducts)
            try collector.collect(events)
            try tables.write(collector.deltas, live: .live(lastAt: new.lastAt!, settings: settings))
            try collector.save()
            try new.save(db)
        }
    }

    /// Recomputes every aggregate from the event log and the catalog (set-based SQL), in the
    /// caller's transaction or its own (see ``apply(_:)``).
    public func rebuild() throws {
        try inTransaction {
            try db.execute(script: Self.rebuildSQL)
            let state = try AggregateState.load(db)
            if let lastAt = state.lastAt {
                try AggregateTables(db: db).fill(.live(lastAt: lastAt, settings: try RecommendationSettings.load(db)))
            }
            try db.execute(script: Self.dropRebuildTables)
        }
    }

    private func inTransaction(_ body: () throws -> Void) throws {
        try ensurePageCache()
        if db.isInTransaction { try body() } else { try db.inTransaction(.immediate, body) }
    }

    /// The co-occurrence tables take random writes all over their B-trees: with SQLite's
    /// default 2 MiB page cache a batch rereads and spills the same pages again and again.
    /// The writer keeps at least ``pageCacheKiB`` of cache from its first aggregation on.
    static let pageCacheKiB = 65_536

    private func ensurePageCache() throws {
        let size = try db.scalarInt("PRAGMA cache_size") ?? 0
        let kib = size < 0 ? -size : size * (try db.scalarInt("PRAGMA page_size") ?? 4_096) / 1_024
        if kib < Self.pageCacheKiB { try db.execute(script: "PRAGMA cache_size = -\(Self.pageCacheKiB)") }
    }

    /// The stored settings.
    public func settings() throws -> RecommendationSettings { try RecommendationSettings.load(db) }

    /// Stores `settings`; rebuilds the aggregates when a window or the basket cap changed.
    public func configure(_ settings: RecommendationSettings) throws {
        try db.inTransaction {
            let old = try RecommendationSettings.load(db)
            try settings.save(db)
            if settings.aggregatesDiffer(from: old) { try rebuild() }
        }
    }

    /// Row counts of the aggregate tables and the span of the log (for `crosslink aggregates status`).
    public func status() throws -> AggregateStatus {
        let state = try AggregateState.load(db)
        var tables: [String: Int] = [:]
        for table in AggregateStatus.tables {
            tables[table] = try db.scalarInt("SELECT count(*) FROM \(table)") ?? 0
        }
        return AggregateStatus(firstEventAt: state.firstAt, lastEventAt: state.lastAt, rows: tables, settings: try settings())
    }

    static let dropRebuildTables = """
        DROP TABLE IF EXISTS temp.rebuild_interactions;
        DROP TABLE IF EXISTS temp.rebuild_sessions;
        DROP TABLE IF EXISTS temp.rebuild_baskets;
        """

    static func allZero(_ counters: [String]) -> String { counters.map { "\($0) = 0" }.joined(separator: " AND ") }

    /// The definition of every history table, in SQL. `Aggregates.apply` must leave the same rows.
    static let rebuildSQL = dropRebuildTables + """
        DELETE FROM session_products;
        DELETE FROM visitor_products;
        DELETE FROM product_days;
        DELETE FROM product_hours;
        DELETE FROM store_days;
        DELETE FROM pair_days;
        DELETE FROM product_windows;
        DELETE FROM store_windows;
        DELETE FROM pair_windows;
        DELETE FROM trend_windows;
        UPDATE aggregate_state SET first_at = (SELECT min(occurred_at) FROM events), last_at = (SELECT max(occurred_at) FROM events);

        -- Every product interaction, rolled up: views and adds to cart, and order lines.
        CREATE TEMP TABLE rebuild_interactions (
            store_id INTEGER NOT NULL, session_id TEXT NOT NULL, visitor_id TEXT NOT NULL, product_id INTEGER NOT NULL,
            type TEXT NOT NULL, occurred_at INTEGER NOT NULL, event_seq INTEGER NOT NULL, quantity REAL, price REAL);
        INSERT INTO rebuild_interactions
        SELECT e.store_id, e.session_id, e.visitor_id, r.rollup_id, e.type, e.occurred_at, e.event_seq, NULL, NULL
        FROM events AS e JOIN product_rollup AS r ON r.product_id = e.product_id
        WHERE e.type IN ('product-view', 'add-to-cart');
        INSERT INTO rebuild_interactions
        SELECT e.store_id, e.session_id, e.visitor_id, r.rollup_id, e.type, e.occurred_at, e.event_seq, l.quantity, l.price
        FROM events AS e JOIN event_lines AS l ON l.event_seq = e.event_seq JOIN product_rollup AS r ON r.product_id = l.product_id
        WHERE e.type IN ('place-order', 'cancel-order');

        INSERT INTO session_products(store_id, session_id, product_id, first_viewed_at, first_carted_at, first_bought_at, first_cancelled_at)
        SELECT store_id, session_id, product_id,
               min(CASE type WHEN 'product-view' THEN occurred_at END), min(CASE type WHEN 'add-to-cart' THEN occurred_at END),
               min(CASE type WHEN 'place-order' THEN occurred_at END), min(CASE type WHEN 'cancel-order' THEN occurred_at END)
        FROM rebuild_interactions GROUP BY store_id, session_id, product_id;

        INSERT INTO visitor_products(store_id, visitor_id, product_id, first_viewed_at, last_viewed_at,
                                     first_carted_at, last_carted_at, first_bought_at, last_bought_at)
        SELECT store_id, visitor_id, product_id, min(viewed), max(viewed), min(carted), max(carted), min(bought), max(bought)
        FROM (SELECT store_id, visitor_id, product_id, CASE type WHEN 'product-view' THEN occurred_at END AS viewed,
                     CASE type WHEN 'add-to-cart' THEN occurred_at END AS carted, CASE type WHEN 'place-order' THEN occurred_at END AS bought
              FROM rebuild_interactions WHERE type <> 'cancel-order')
        GROUP BY store_id, visitor_id, product_id;

        -- Sessions: eligible for co-occurrence when they have at most max_basket_products products.
        CREATE TEMP TABLE rebuild_sessions (
            store_id INTEGER NOT NULL, session_id TEXT NOT NULL, eligible INTEGER NOT NULL, first_view INTEGER,
            PRIMARY KEY (store_id, session_id)) WITHOUT ROWID;
        INSERT INTO rebuild_sessions
        SELECT store_id, session_id, count(*) <= (SELECT max_basket_products FROM recommendation_settings), min(first_viewed_at)
        FROM session_products GROUP BY store_id, session_id;

        -- Orders and cancellations of 1…max_basket_products distinct known products, one row per product.
        CREATE TEMP TABLE rebuild_baskets (
            event_seq INTEGER NOT NULL, product_id INTEGER NOT NULL, store_id INTEGER NOT NULL, day INTEGER NOT NULL, sign INTEGER NOT NULL,
            PRIMARY KEY (event_seq, product_id)) WITHOUT ROWID;
        INSERT INTO rebuild_baskets
        SELECT event_seq, product_id, store_id, occurred_at / 86400000, CASE type WHEN 'place-order' THEN 1 ELSE -1 END
        FROM rebuild_interactions WHERE type IN ('place-order', 'cancel-order') GROUP BY event_seq, product_id;
        DELETE FROM rebuild_baskets WHERE event_seq IN (
            SELECT event_seq FROM rebuild_baskets GROUP BY event_seq
            HAVING count(*) > (SELECT max_basket_products FROM recommendation_settings));

        INSERT INTO product_days(day, store_id, product_id, viewers, carters, buyers, cancellers, viewed_then_carted,
                                 viewed_then_bought, units, revenue_cents, orders, cancelled_units, cancelled_revenue_cents,
                                 cancelled_orders, co_viewers, co_buyers)
        SELECT day, store_id, product_id, sum(viewers), sum(carters), sum(buyers), sum(cancellers), sum(vtc), sum(vtb),
               sum(units), sum(revenue), sum(orders), sum(c_units), sum(c_revenue), sum(c_orders), sum(co_viewers), sum(co_buyers)
        FROM (
            SELECT p.first_viewed_at / 86400000 AS day, p.store_id, p.product_id, 1 AS viewers, 0 AS carters, 0 AS buyers,
                   0 AS cancellers, 0 AS vtc, 0 AS vtb, 0.0 AS units, 0 AS revenue, 0 AS orders, 0.0 AS c_units, 0 AS c_revenue,
                   0 AS c_orders, s.eligible AS co_viewers, 0 AS co_buyers
            FROM session_products AS p JOIN rebuild_sessions AS s USING (store_id, session_id)
            WHERE p.first_viewed_at IS NOT NULL
            UNION ALL
            SELECT p.first_carted_at / 86400000, p.store_id, p.product_id, 0, 1, 0, 0,
                   coalesce(p.first_viewed_at < p.first_carted_at, 0), 0, 0.0, 0, 0, 0.0, 0, 0, 0, 0
            FROM session_products AS p WHERE p.first_carted_at IS NOT NULL
            UNION ALL
            SELECT p.first_bought_at / 86400000, p.store_id, p.product_id, 0, 0, 1, 0, 0,
                   coalesce(p.first_viewed_at < p.first_bought_at, 0), 0.0, 0, 0, 0.0, 0, 0, 0, s.eligible AND s.first_view IS NOT NULL
            FROM session_products AS p JOIN rebuild_sessions AS s USING (store_id, session_id)
            WHERE p.first_bought_at IS NOT NULL
            UNION ALL
            SELECT p.first_cancelled_at / 86400000, p.store_id, p.product_id, 0, 0, 0, 1, 0, 0, 0.0, 0, 0, 0.0, 0, 0, 0, 0
            FROM session_products AS p WHERE p.first_cancelled_at IS NOT NULL
            UNION ALL
            SELECT occurred_at / 86400000, store_id, product_id, 0, 0, 0, 0, 0, 0,
                   CASE type WHEN 'place-order' THEN quantity ELSE 0.0 END,
                   CASE type WHEN 'place-order' THEN CAST(round(quantity * price * 100) AS INTEGER) ELSE 0 END, 0,
                   CASE type WHEN 'cancel-order' THEN quantity ELSE 0.0 END,
                   CASE type WHEN 'cancel-order' THEN CAST(round(quantity * price * 100) AS INTEGER) ELSE 0 END, 0, 0, 0
            FROM rebuild_interactions WHERE type IN ('place-order', 'cancel-order')
            UNION ALL
            SELECT day, store_id, product_id, 0, 0, 0, 0, 0, 0, 0.0, 0, sign = 1, 0.0, 0, sign = -1, 0, 0 FROM rebuild_baskets
        )
        GROUP BY day, store_id, product_id;
        DELETE FROM product_days WHERE \(allZero(AggregateTables.productCounters));

        INSERT INTO product_hours(hour, store_id, product_id, viewers)
        SELECT first_viewed_at / 3600000, store_id, product_id, count(*) FROM session_products
        WHERE first_viewed_at IS NOT NULL GROUP BY first_viewed_at / 3600000, store_id, product_id;

        INSERT INTO store_days(day, store_id, viewers, viewed_then_carted, viewed_then_bought, co_sessions, orders, cancelled_orders)
        SELECT day, store_id, sum(viewers), sum(vtc), sum(vtb), sum(co_sessions), sum(orders), sum(c_orders)
        FROM (
            SELECT day, store_id, viewers, viewed_then_carted AS vtc, viewed_then_bought AS vtb, 0 AS co_sessions, 0 AS orders,
                   0 AS c_orders
            FROM product_days
            UNION ALL
            SELECT first_view / 86400000, store_id, 0, 0, 0, 1, 0, 0 FROM rebuild_sessions WHERE eligible AND first_view IS NOT NULL
            UNION ALL
            SELECT min(day), min(store_id), 0, 0, 0, 0, min(sign) = 1, min(sign) = -1 FROM rebuild_baskets GROUP BY event_seq
        )
        GROUP BY day, store_id;
        DELETE FROM store_days WHERE \(allZero(AggregateTables.storeCounters));

        INSERT INTO pair_days(day, store_id, kind_id, product_id, other_id, n, cancelled)
        SELECT day, store_id, kind_id, product_id, other_id, sum(n), sum(cancelled)
        FROM (
            SELECT max(a.first_viewed_at, b.first_viewed_at) / 86400000 AS day, a.store_id, 1 AS kind_id,
                   a.product_id, b.product_id AS other_id, 1 AS n, 0 AS cancelled
            FROM rebuild_sessions AS s
            JOIN session_products AS a ON a.store_id = s.store_id AND a.session_id = s.session_id
            JOIN session_products AS b ON b.store_id = s.store_id AND b.session_id = s.session_id AND b.product_id <> a.product_id
            WHERE s.eligible AND a.first_viewed_at IS NOT NULL AND b.first_viewed_at IS NOT NULL
            UNION ALL
            SELECT b.first_bought_at / 86400000, a.store_id, 2, a.product_id, b.product_id, 1, 0
            FROM rebuild_sessions AS s
            JOIN session_products AS a ON a.store_id = s.store_id AND a.session_id = s.session_id
            JOIN session_products AS b ON b.store_id = s.store_id AND b.session_id = s.session_id AND b.product_id <> a.product_id
            WHERE s.eligible AND a.first_viewed_at < b.first_bought_at
            UNION ALL
            SELECT a.day, a.store_id, 3, a.product_id, b.product_id, a.sign = 1, a.sign = -1
            FROM rebuild_baskets AS a JOIN rebuild_baskets AS b ON b.event_seq = a.event_seq AND b.product_id <> a.product_id
        )
        GROUP BY day, store_id, kind_id, product_id, other_id;

        """
}

/// What `crosslink aggregates status` prints.
public struct AggregateStatus: Sendable, Codable {
    public var firstEventAt: Int64?
    public var lastEventAt: Int64?
    /// Rows per aggregate table.
    public var rows: [String: Int]
    public var settings: RecommendationSettings

    static let tables = ["session_products", "visitor_products", "product_days", "product_hours", "store_days", "pair_days",
                         "product_windows", "store_windows", "pair_windows", "trend_windows"]
}

/// The span of the aggregated log (`aggregate_state`).
struct AggregateState: Equatable {
    var firstAt: Int64?
    var lastAt: Int64?

    mutating func include(_ time: Int64) {
        firstAt = firstAt.map { min($0, time) } ?? time
        lastAt = lastAt.map { max($0, time) } ?? time
    }

    static func load(_ db: Database) throws -> AggregateState {
        let statement = try db.cachedStatement("SELECT first_at, last_at FROM aggregate_state WHERE state_id = 1")
        statement.reset()
        defer { statement.reset() }
        guard try statement.step() else { return AggregateState() }
        return AggregateState(firstAt: statement.optionalInt(at: 0).map(Int64.init), lastAt: statement.optionalInt(at: 1).map(Int64.init))
    }

    func save(_ db: Database) throws {
        try db.execute("UPDATE aggregate_state SET first_at = ?, last_at = ? WHERE state_id = 1",
                       [firstAt.map(Int.init), lastAt.map(Int.init)])
    }
}

/// Reads a batch of events into ``AggregateDeltas``: loads the state of every session the batch
/// touches, updates it, and adds the difference of the sessions' contributions; orders add
/// their own contribution; visitor history is merged by first/last times.
struct EventCollector {
    let db: Database
    var deltas: AggregateDeltas
    private var rollup: ProductRollup
    private var before: [SessionKey: [Int: SessionProduct]] = [:]
    private var after: [SessionKey: [Int: SessionProduct]] = [:]
    private var visitors: [VisitorKey: VisitorTimes] = [:]

    struct SessionKey: Hashable { var store: Int; var session: String }
    struct VisitorKey: Hashable { var store: Int; var visitor: String; var product: Int }
    struct VisitorTimes {
        var firstViewed: Int64?, lastViewed: Int64?, firstCarted: Int64?, lastCarted: Int64?, firstBought: Int64?, lastBought: Int64?
    }

    init(db: Database, maxBasketProducts: Int) throws {
        self.db = db
        deltas = AggregateDeltas(maxBasketProducts: maxBasketProducts)
        rollup = try ProductRollup(db)
    }

    mutating func collect(_ events: [StoredEvent]) throws {
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
            deltas.addSession(store: key.store, old, sign: -1)
            deltas.addSession(store: key.store, state, sign: 1)
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

    /// Writes the changed session rows and merges the visitor history.
    func save() throws {
        let session = try db.cachedStatement("""
            INSERT INTO session_products(store_id, session_id, product_id, first_viewed_at, first_carted_at, first_bought_at, first_cancelled_at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
            ON CONFLICT (store_id, session_id, product_id) DO UPDATE SET first_viewed_at = excluded.first_viewed_at,
                first_carted_at = excluded.first_carted_at, first_bought_at = excluded.first_bought_at,
                first_cancelled_at = excluded.first_cancelled_at
            """)
        for (key, state) in after {
            let old = before[key] ?? [:]
            for (product, times) in state where old[product] != times {
                session.reset()
                session.bind(key.store, at: 1)
                session.bind(key.session, at: 2)
                session.bind(product, at: 3)
                session.bind(times.viewedAt.map(Int.init), at: 4)
                session.bind(times.cartedAt.map(Int.init), at: 5)
                session.bind(times.boughtAt.map(Int.init), at: 6)
                session.bind(times.cancelledAt.map(Int.init), at: 7)
                while try session.step() {}
                session.reset()
            }
        }
        // min/max that ignore NULL: coalesce(min(a, b), a, b).
        let visitor = try db.cachedStatement("""
            INSERT INTO visitor_products(store_id, visitor_id, product_id, first_viewed_at, last_viewed_at, first_carted_at,
                                         last_carted_at, first_bought_at, last_bought_at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
            ON CONFLICT (store_id, visitor_id, product_id) DO UPDATE SET
                first_viewed_at = coalesce(min(first_viewed_at, excluded.first_viewed_at), first_viewed_at, excluded.first_viewed_at),
                last_viewed_at = coalesce(max(last_viewed_at, excluded.last_viewed_at), last_viewed_at, excluded.last_viewed_at),
                first_carted_at = coalesce(min(first_carted_at, excluded.first_carted_at), first_carted_at, excluded.first_carted_at),
                last_carted_at = coalesce(max(last_carted_at, excluded.last_carted_at), last_carted_at, excluded.last_carted_at),
                first_bought_at = coalesce(min(first_bought_at, excluded.first_bought_at), first_bought_at, excluded.first_bought_at),
                last_bought_at = coalesce(max(last_bought_at, excluded.last_bought_at), last_bought_at, excluded.last_bought_at)
            """)
        for (key, times) in visitors {
            visitor.reset()
            visitor.bind(key.store, at: 1)
            visitor.bind(key.visitor, at: 2)
            visitor.bind(key.product, at: 3)
            for (offset, time) in [times.firstViewed, times.lastViewed, times.firstCarted, times.lastCarted,
                                   times.firstBought, times.lastBought].enumerated() {
                visitor.bind(time.map(Int.init), at: Int32(4 + offset))
            }
            while try visitor.step() {}
            visitor.reset()
        }
    }
}

extension EventCollector.VisitorTimes {
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
