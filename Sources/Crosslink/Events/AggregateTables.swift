/// The SQL side of the aggregates: adds deltas to the history tables and the live windows,
/// moves the live windows, and deletes rows whose counters all became zero (a rebuild never
/// creates such rows, so both paths leave identical tables).
///
/// Table and column names come only from the constants below; every value is bound.
struct AggregateTables {
    let db: Database

    static let productCounters = ["viewers", "carters", "buyers", "cancellers", "viewed_then_carted", "viewed_then_bought",
                                  "units", "revenue_cents", "orders", "cancelled_units", "cancelled_revenue_cents", "cancelled_orders",
                                  "co_viewers", "co_buyers"]
    static let storeCounters = ["viewers", "viewed_then_carted", "viewed_then_bought", "co_sessions", "orders", "cancelled_orders"]
    static let pairCounters = ["n", "cancelled"]

    /// `product_windows.window_id` / `store_windows.window_id`.
    enum Window: Int { case popularity = 1, cooccurrence = 2 }

    // MARK: Deltas

    /// Writes a batch's deltas: history rows, then the live rows of the buckets inside `live`.
    /// Returns whether a popularity-window viewer or conversion count changed: what the
    /// conversion lists (``ConversionRanks``) are computed from.
    @discardableResult
    func write(_ deltas: AggregateDeltas, live: AggregateWindows) throws -> Bool {
        let productDays = try Upsert(db, table: "product_days", keys: ["day", "store_id", "product_id"], counters: Self.productCounters)
        let productWindows = try Upsert(db, table: "product_windows", keys: ["store_id", "window_id", "product_id"], counters: Self.productCounters)
        var windowProducts: [ProductBucket: ProductCounters] = [:]
        windowProducts.reserveCapacity(deltas.products.count * 2)
        for key in deltas.products.keys.sorted() {
            let counters = deltas.products[key]!
            guard !counters.isZero else { continue }
            try productDays.add([key.bucket, key.store, key.product], mayEmpty: counters.hasNegative) { Self.bind(counters, $0, from: 4) }
            for (window, range) in [(Window.popularity, live.popularity), (.cooccurrence, live.cooccurrence)] where range.contains(key.bucket) {
                windowProducts[ProductBucket(store: key.store, bucket: window.rawValue, product: key.product), default: ProductCounters()]
                    .add(counters)
            }
        }
        for key in windowProducts.keys.sorted() where !windowProducts[key]!.isZero {
            let counters = windowProducts[key]!
            try productWindows.add([key.store, key.bucket, key.product], mayEmpty: counters.hasNegative) { Self.bind(counters, $0, from: 4) }
        }

        let storeDays = try Upsert(db, table: "store_days", keys: ["day", "store_id"], counters: Self.storeCounters)
        let storeWindows = try Upsert(db, table: "store_windows", keys: ["store_id", "window_id"], counters: Self.storeCounters)
        var windowStores: [StoreBucket: StoreCounters] = [:]
        for key in deltas.stores.keys.sorted() {
            let counters = deltas.stores[key]!
            guard !counters.isZero else { continue }
            try storeDays.add([key.bucket, key.store], mayEmpty: counters.hasNegative) { Self.bind(counters, $0, from: 3) }
            for (window, range) in [(Window.popularity, live.popularity), (.cooccurrence, live.cooccurrence)] where range.contains(key.bucket) {
                windowStores[StoreBucket(store: key.store, bucket: window.rawValue), default: StoreCounters()].add(counters)
            }
        }
        for key in windowStores.keys.sorted() where !windowStores[key]!.isZero {
            let counters = windowStores[key]!
            try storeWindows.add([key.store, key.bucket], mayEmpty: counters.hasNegative) { Self.bind(counters, $0, from: 3) }
        }

        let productHours = try Upsert(db, table: "product_hours", keys: ["hour", "store_id", "product_id"], counters: ["viewers"])
        let trendWindows = try Upsert(db, table: "trend_windows", keys: ["store_id", "product_id"], counters: ["foreground", "background"])
        var trends: [ProductBucket: (foreground: Int, background: Int)] = [:]
        trends.reserveCapacity(deltas.hours.count)
        for key in deltas.hours.keys.sorted() {
            let viewers = deltas.hours[key]!
            guard viewers != 0 else { continue }
            try productHours.add([key.bucket, key.store, key.product], mayEmpty: viewers < 0) { $0.bind(viewers, at: 4) }
            let trendKey = ProductBucket(store: key.store, bucket: 0, product: key.product)
            if live.foreground.contains(key.bucket) { trends[trendKey, default: (0, 0)].foreground += viewers }
            if live.background.contains(key.bucket) { trends[trendKey, default: (0, 0)].background += viewers }
        }
        for key in trends.keys.sorted() {
            let (foreground, background) = trends[key]!
            guard foreground != 0 || background != 0 else { continue }
            try trendWindows.add([key.store, key.product], mayEmpty: foreground < 0 || background < 0) {
                $0.bind(foreground, at: 3)
                $0.bind(background, at: 4)
            }
        }

        let conversionInputsChanged = (windowProducts.contains { $0.key.bucket == Window.popularity.rawValue && $0.value.changesConversion })
            || (windowStores.contains { $0.key.bucket == Window.popularity.rawValue && $0.value.changesConversion })

        let pairDays = try Upsert(db, table: "pair_days", keys: ["day", "store_id", "kind_id", "product_id", "other_id"], counters: Self.pairCounters)
        let pairWindows = try Upsert(db, table: "pair_windows", keys: ["store_id", "kind_id", "product_id", "other_id"], counters: Self.pairCounters)
        let history = mergeRuns(deltas.pairs.sorted(by: PairDelta.historyOrder)) { $0.bucket == $1.bucket && $0.product == $1.product && $0.other == $1.other }
        for delta in history where !delta.counts.isZero {
            try pairDays.add([delta.day, delta.store, delta.kind, delta.product, delta.other], mayEmpty: delta.counts.n < 0) {
                $0.bind(delta.counts.n, at: 6)
                $0.bind(delta.counts.cancelled, at: 7)
            }
        }
        let inWindow = history.filter { live.cooccurrence.contains($0.day) }.sorted(by: PairDelta.windowOrder)
        let window = mergeRuns(inWindow) { $0.store == $1.store && $0.kind == $1.kind && $0.product == $1.product && $0.other == $1.other }
        for delta in window where !delta.counts.isZero {
            try pairWindows.add([delta.store, delta.kind, delta.product, delta.other], mayEmpty: delta.counts.n < 0) {
                $0.bind(delta.counts.n, at: 5)
                $0.bind(delta.counts.cancelled, at: 6)
            }
        }
        return conversionInputsChanged
    }

    static func bind(_ c: ProductCounters, _ statement: Statement, from index: Int32) {
        statement.bind(c.viewers, at: index)
        statement.bind(c.carters, at: index + 1)
        statement.bind(c.buyers, at: index + 2)
        statement.bind(c.cancellers, at: index + 3)
        statement.bind(c.viewedThenCarted, at: index + 4)
        statement.bind(c.viewedThenBought, at: index + 5)
        statement.bind(c.units, at: index + 6)
        statement.bind(c.revenueCents, at: index + 7)
        statement.bind(c.orders, at: index + 8)
        statement.bind(c.cancelledUnits, at: index + 9)
        statement.bind(c.cancelledRevenueCents, at: index + 10)
        statement.bind(c.cancelledOrders, at: index + 11)
        statement.bind(c.coViewers, at: index + 12)
        statement.bind(c.coBuyers, at: index + 13)
    }

    static func bind(_ c: StoreCounters, _ statement: Statement, from index: Int32) {
        statement.bind(c.viewers, at: index)
        statement.bind(c.viewedThenCarted, at: index + 1)
        statement.bind(c.viewedThenBought, at: index + 2)
        statement.bind(c.coSessions, at: index + 3)
        statement.bind(c.orders, at: index + 4)
        statement.bind(c.cancelledOrders, at: index + 5)
    }

    /// `INSERT … ON CONFLICT DO UPDATE` adding counters to a row, and the delete of a row that
    /// a decrease left all zero. Counters only decrease when a session's contribution changes
    /// (cancellations have their own columns), so only such deltas need the check.
    struct Upsert {
        let upsert: Statement
        let deleteIfEmpty: Statement

        init(_ db: Database, table: String, keys: [String], counters: [String]) throws {
            let columns = keys + counters
            upsert = try db.cachedStatement("""
                INSERT INTO \(table)(\(columns.joined(separator: ", "))) VALUES (\((1...columns.count).map { "?\($0)" }.joined(separator: ", ")))
                ON CONFLICT (\(keys.joined(separator: ", "))) DO UPDATE SET \(counters.map { "\($0) = \($0) + excluded.\($0)" }.joined(separator: ", "))
                """)
            deleteIfEmpty = try db.cachedStatement(
                "DELETE FROM \(table) WHERE " + keys.enumerated().map { "\($1) = ?\($0 + 1)" }.joined(separator: " AND ")
                    + " AND " + counters.map { "\($0) = 0" }.joined(separator: " AND "))
        }

        /// Adds the counters `bindCounters` binds (from parameter keys.count + 1) to the row `keys`.
        /// One reset per row, before it: a finished statement holds nothing (the pair tables take
        /// millions of these per log, and each reset also clears the bindings).
        func add(_ keys: [Int], mayEmpty: Bool, bindCounters: (Statement) -> Void) throws {
            upsert.reset()
            for (index, key) in keys.enumerated() { upsert.bind(key, at: Int32(index + 1)) }
            bindCounters(upsert)
            while try upsert.step() {}
            guard mayEmpty else { return }
            deleteIfEmpty.reset()
            for (index, key) in keys.enumerated() { deleteIfEmpty.bind(key, at: Int32(index + 1)) }
            while try deleteIfEmpty.step() {}
        }
    }

    // MARK: Live windows

    /// How a live table sums a history table over a range of buckets. Parameters: ?1…?2 the
    /// bucket range, ?3 the window id (when the live table has one), ?4 (and ?5) the sign(s).
    struct Derivation {
        let live: String
        let history: String
        let bucket: String
        let groupKeys: [String]
        let windowKey: Bool
        let counters: [String]
        let sources: [String]

        var insertSQL: String {
            let keys = (windowKey ? ["window_id"] : []) + groupKeys
            return """
                INSERT INTO \(live)(\((keys + counters).joined(separator: ", ")))
                SELECT \(((windowKey ? ["?3"] : []) + groupKeys + sources).joined(separator: ", "))
                FROM \(history) WHERE \(bucket) BETWEEN ?1 AND ?2 GROUP BY \(groupKeys.joined(separator: ", "))
                ON CONFLICT (\(liveKeys.joined(separator: ", "))) DO UPDATE SET \(counters.map { "\($0) = \($0) + excluded.\($0)" }.joined(separator: ", "))
                """
        }

        var deleteZeroSQL: String {
            """
            DELETE FROM \(live) WHERE \(windowKey ? "window_id = ?3 AND " : "")\(counters.map { "\($0) = 0" }.joined(separator: " AND "))
              AND (\(groupKeys.joined(separator: ", "))) IN (SELECT \(groupKeys.joined(separator: ", ")) FROM \(history) WHERE \(bucket) BETWEEN ?1 AND ?2)
            """
        }

        /// The live table's primary key, in its declared order.
        var liveKeys: [String] {
            windowKey ? [groupKeys[0], "window_id"] + groupKeys.dropFirst() : groupKeys
        }
    }

    static let productWindows = Derivation(
        live: "product_windows", history: "product_days", bucket: "day", groupKeys: ["store_id", "product_id"], windowKey: true,
        counters: productCounters, sources: productCounters.map { "?4 * sum(\($0))" })
    static let storeWindows = Derivation(
        live: "store_windows", history: "store_days", bucket: "day", groupKeys: ["store_id"], windowKey: true,
        counters: storeCounters, sources: storeCounters.map { "?4 * sum(\($0))" })
    static let pairWindows = Derivation(
        live: "pair_windows", history: "pair_days", bucket: "day", groupKeys: ["store_id", "kind_id", "product_id", "other_id"],
        windowKey: false, counters: pairCounters, sources: pairCounters.map { "?4 * sum(\($0))" })
    static let trendWindows = Derivation(
        live: "trend_windows", history: "product_hours", bucket: "hour", groupKeys: ["store_id", "product_id"], windowKey: false,
        counters: ["foreground", "background"], sources: ["?4 * sum(viewers)", "?5 * sum(viewers)"])

    /// Adds (`signs` +1) or subtracts (-1) the history buckets `range` to a live table, then
    /// deletes the rows this left all zero.
    func derive(_ derivation: Derivation, range: ClosedRange<Int>, window: Window? = nil, signs: [Int]) throws {
        let insert = try db.cachedStatement(derivation.insertSQL)
        insert.reset()
        insert.bind(range.lowerBound, at: 1)
        insert.bind(range.upperBound, at: 2)
        if let window { insert.bind(window.rawValue, at: 3) }
        for (index, sign) in signs.enumerated() { insert.bind(sign, at: Int32(4 + index)) }
        defer { insert.reset() }
        while try insert.step() {}
        // Sums can cancel out (a cancel-order of a pair bought earlier in the range).
        let delete = try db.cachedStatement(derivation.deleteZeroSQL)
        delete.reset()
        delete.bind(range.lowerBound, at: 1)
        delete.bind(range.upperBound, at: 2)
        if let window { delete.bind(window.rawValue, at: 3) }
        defer { delete.reset() }
        while try delete.step() {}
    }

    /// Moves every live window from `old` to `new` (later): subtracts the buckets that left,
    /// adds those that entered (a background window gains the hours the foreground loses).
    func move(from old: AggregateWindows, to new: AggregateWindows) throws {
        for (window, from, to) in [(Window.popularity, old.popularity, new.popularity), (.cooccurrence, old.cooccurrence, new.cooccurrence)] {
            let move = WindowMove(from: from, to: to)
            for (range, sign) in [(move.leaving, -1), (move.entering, 1)] {
                guard let range else { continue }
                try derive(Self.productWindows, range: range, window: window, signs: [sign])
                try derive(Self.storeWindows, range: range, window: window, signs: [sign])
                if window == .cooccurrence { try derive(Self.pairWindows, range: range, signs: [sign]) }
            }
        }
        let foreground = WindowMove(from: old.foreground, to: new.foreground)
        let background = WindowMove(from: old.background, to: new.background)
        for (range, signs) in [(foreground.leaving, [-1, 0]), (foreground.entering, [1, 0]),
                               (background.leaving, [0, -1]), (background.entering, [0, 1])] {
            guard let range else { continue }
            try derive(Self.trendWindows, range: range, signs: signs)
        }
    }

    /// Fills the (empty) live tables for `windows` from the history tables.
    func fill(_ windows: AggregateWindows) throws {
        for (window, range) in [(Window.popularity, windows.popularity), (.cooccurrence, windows.cooccurrence)] {
            try derive(Self.productWindows, range: range, window: window, signs: [1])
            try derive(Self.storeWindows, range: range, window: window, signs: [1])
        }
        try derive(Self.pairWindows, range: windows.cooccurrence, signs: [1])
        try derive(Self.trendWindows, range: windows.foreground, signs: [1, 0])
        try derive(Self.trendWindows, range: windows.background, signs: [0, 1])
    }
}

extension ProductCounters {
    var changesConversion: Bool { viewers != 0 || viewedThenCarted != 0 || viewedThenBought != 0 }

    mutating func add(_ other: ProductCounters) {
        viewers += other.viewers; carters += other.carters; buyers += other.buyers; cancellers += other.cancellers
        viewedThenCarted += other.viewedThenCarted; viewedThenBought += other.viewedThenBought; units += other.units
        revenueCents += other.revenueCents; orders += other.orders; cancelledUnits += other.cancelledUnits
        cancelledRevenueCents += other.cancelledRevenueCents; cancelledOrders += other.cancelledOrders
        coViewers += other.coViewers; coBuyers += other.coBuyers
    }
}

extension StoreCounters {
    var changesConversion: Bool { viewers != 0 || viewedThenCarted != 0 || viewedThenBought != 0 }

    mutating func add(_ other: StoreCounters) {
        viewers += other.viewers; viewedThenCarted += other.viewedThenCarted; viewedThenBought += other.viewedThenBought
        coSessions += other.coSessions; orders += other.orders; cancelledOrders += other.cancelledOrders
    }
}
