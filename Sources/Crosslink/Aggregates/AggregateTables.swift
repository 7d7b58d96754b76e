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
    /// Counters that can exceed Int64 when summed (see ``EventBounds``): their sums and additions
    /// saturate. SQLite turns an overflowing integer `+` into a REAL, which the STRICT tables
    /// refuse, and makes `sum()` fail; `CAST(… AS INTEGER)` clamps to Int64's bounds instead, and
    /// `total()` sums in floating point (exact below 2⁵³ cents) without failing.
    static let revenueCounters: Set = ["revenue_cents", "cancelled_revenue_cents"]

    /// `table.column + excluded.column`, saturating for revenue. PostgreSQL raises an error on
    /// a bigint overflow instead: there the sum is taken in numeric and clamped. (PostgreSQL
    /// needs the table's name: a bare column would be ambiguous with `excluded`'s.)
    static func plus(_ column: String, table: String, _ engine: DatabaseEngine) -> String {
        let stored = "\(table).\(column)"
        guard revenueCounters.contains(column) else { return "\(stored) + excluded.\(column)" }
        if engine == .sqlite { return "CAST(\(stored) + excluded.\(column) AS INTEGER)" }
        return clampedToBigint("CAST(\(stored) AS numeric) + excluded.\(column)")
    }

    /// `sum(column)` (times `sign`, a parameter or literal), saturating for revenue (on
    /// PostgreSQL `sum(bigint)` is numeric and cannot overflow: it is clamped).
    static func sum(_ column: String, sign: String? = nil, _ engine: DatabaseEngine) -> String {
        let times = sign.map { "\($0) * " } ?? ""
        guard revenueCounters.contains(column) else { return "\(times)sum(\(column))" }
        if engine == .sqlite { return "CAST(\(times)total(\(column)) AS INTEGER)" }
        return clampedToBigint("\(times)sum(\(column))")
    }

    /// A PostgreSQL numeric expression clamped to bigint's bounds, as SQLite's CAST clamps.
    static func clampedToBigint(_ numeric: String) -> String {
        "CAST(least(greatest(\(numeric), -9223372036854775808), 9223372036854775807) AS bigint)"
    }

    static let storeCounters = ["viewers", "viewed_then_carted", "viewed_then_bought", "co_sessions", "orders", "cancelled_orders"]

    /// `product_windows.window_id` / `store_windows.window_id`.
    enum Window: Int { case popularity = 1, cooccurrence = 2 }

    // MARK: Deltas

    /// Writes a batch's deltas: history rows, then the live rows of the buckets inside `live`.
    /// Returns whether a popularity-window viewer or conversion count changed: what the
    /// conversion lists (``ConversionRanks``) are computed from.
    @discardableResult
    func write(_ deltas: AggregateDeltas, live: AggregateWindows) throws -> Bool {
        var productDays = try Upsert(db, table: "product_days", keys: ["day", "store_id", "product_id"], counters: Self.productCounters)
        var windowProducts: [ProductBucket: ProductCounters] = [:]
        windowProducts.reserveCapacity(deltas.products.count * 2)
        // Days after the last stored one have no rows yet: inserted without the upsert's
        // lookup, 32 per statement (a log replayed in order: most rows).
        let lastDay = try db.scalarInt("SELECT max(day) FROM product_days") ?? Int.min
        var newDays: [(key: ProductBucket, counters: ProductCounters)] = []
        for key in deltas.products.keys.sorted() {
            let counters = deltas.products[key]!
            guard !counters.isZero else { continue }
            if key.bucket > lastDay && !counters.hasNegative {
                newDays.append((key, counters))
            } else {
                try productDays.add(counters.changed, mayEmpty: counters.hasNegative) {
                    $0.bind(key.bucket, at: 1); $0.bind(key.store, at: 2); $0.bind(key.product, at: 3)
                } bindCounters: { counters.bindChanged($0, from: 4) }
            }
            for (window, range) in [(Window.popularity, live.popularity), (.cooccurrence, live.cooccurrence)] where range.contains(key.bucket) {
                windowProducts[ProductBucket(store: key.store, bucket: window.rawValue, product: key.product), default: ProductCounters()]
                    .add(counters)
            }
        }
        try productDays.flush()
        try MultiRowInsert(db, into: "product_days(day, store_id, product_id, \(Self.productCounters.joined(separator: ", ")))",
                           columns: 3 + Self.productCounters.count).run(newDays) { row, statement, first in
            statement.bind(row.key.bucket, at: first)
            statement.bind(row.key.store, at: first + 1)
            statement.bind(row.key.product, at: first + 2)
            row.counters.bindAll(statement, from: first + 3)
        }
        try addToProductWindows(windowProducts)

        var storeDays = try Upsert(db, table: "store_days", keys: ["day", "store_id"], counters: Self.storeCounters)
        var storeWindows = try Upsert(db, table: "store_windows", keys: ["store_id", "window_id"], counters: Self.storeCounters)
        var windowStores: [StoreBucket: StoreCounters] = [:]
        for key in deltas.stores.keys.sorted() {
            let counters = deltas.stores[key]!
            guard !counters.isZero else { continue }
            try storeDays.add(counters.changed, mayEmpty: counters.hasNegative) {
                $0.bind(key.bucket, at: 1); $0.bind(key.store, at: 2)
            } bindCounters: { counters.bindChanged($0, from: 3) }
            for (window, range) in [(Window.popularity, live.popularity), (.cooccurrence, live.cooccurrence)] where range.contains(key.bucket) {
                windowStores[StoreBucket(store: key.store, bucket: window.rawValue), default: StoreCounters()].add(counters)
            }
        }
        for key in windowStores.keys.sorted() where !windowStores[key]!.isZero {
            let counters = windowStores[key]!
            try storeWindows.add(counters.changed, mayEmpty: counters.hasNegative) {
                $0.bind(key.store, at: 1); $0.bind(key.bucket, at: 2)
            } bindCounters: { counters.bindChanged($0, from: 3) }
        }
        try storeDays.flush()
        try storeWindows.flush()

        var productHours = try Upsert(db, table: "product_hours", keys: ["hour", "store_id", "product_id"], counters: ["viewers"])
        var trendWindows = try Upsert(db, table: "trend_windows", keys: ["store_id", "product_id"], counters: ["foreground", "background"])
        var trends: [ProductBucket: (foreground: Int, background: Int)] = [:]
        trends.reserveCapacity(deltas.hours.count)
        for key in deltas.hours.keys.sorted() {
            let viewers = deltas.hours[key]!
            guard viewers != 0 else { continue }
            try productHours.add(1, mayEmpty: viewers < 0) {
                $0.bind(key.bucket, at: 1); $0.bind(key.store, at: 2); $0.bind(key.product, at: 3)
            } bindCounters: { $0.bind(viewers, at: 4) }
            let trendKey = ProductBucket(store: key.store, bucket: 0, product: key.product)
            if live.foreground.contains(key.bucket) { trends[trendKey, default: (0, 0)].foreground += viewers }
            if live.background.contains(key.bucket) { trends[trendKey, default: (0, 0)].background += viewers }
        }
        try productHours.flush()
        for key in trends.keys.sorted() {
            let (foreground, background) = trends[key]!
            guard foreground != 0 || background != 0 else { continue }
            try trendWindows.add((foreground != 0 ? 1 : 0) | (background != 0 ? 2 : 0), mayEmpty: foreground < 0 || background < 0) {
                $0.bind(key.store, at: 1); $0.bind(key.product, at: 2)
            } bindCounters: {
                if foreground != 0 { $0.bind(foreground, at: 3) }
                if background != 0 { $0.bind(background, at: 4) }
            }
        }
        try trendWindows.flush()

        let conversionInputsChanged = (windowProducts.contains { $0.key.bucket == Window.popularity.rawValue && $0.value.changesConversion })
            || (windowStores.contains { $0.key.bucket == Window.popularity.rawValue && $0.value.changesConversion })

        let history = deltas.pairs.sortedLists()
        var days = try PairWrites.history(db)
        // Days after the last listed one have no list yet: those lists are inserted without a
        // read, 32 per statement (a log replayed in order: nearly all of them).
        let lastListedDay = try db.scalarInt("SELECT max(day) FROM pair_day_lists") ?? Int.min
        var newLists: [(key: PairDeltas.Key, entries: [PairEntry])] = []
        for (key, entries) in history {
            if key.kind == CooccurrenceKind.boughtBought.id && key.day > lastListedDay {
                newLists.append((key, entries))
            } else {
                try days.add(key, entries)
            }
        }
        try days.flush()
        var text: [UInt8] = []
        try MultiRowInsert(db, into: "pair_day_lists(day, store_id, kind_id, product_id, pairs)", columns: 5, jsonColumns: ["pairs"]).run(newLists) { list, statement, first in
            for (offset, value) in [list.key.day, list.key.store, list.key.kind, list.key.product].enumerated() {
                statement.bind(value, at: first + Int32(offset))
            }
            _ = PairListText.merge(nil, list.entries, into: &text)
            text.withUnsafeBufferPointer { statement.bindUTF8Text($0, at: first + 4) }
        }
        try addToLive(PairDeltas.live(history, window: live.cooccurrence))
        return conversionInputsChanged
    }

    /// Adds counters to `product_windows` (keys: bucket = window id), writing only the counters
    /// that change: every window row has three indexes on its counters. `subtracting`: the
    /// counters may reach zero whatever their sign says (a window move).
    private func addToProductWindows(_ windowProducts: [ProductBucket: ProductCounters], subtracting: Bool = false) throws {
        var productWindows = try Upsert(db, table: "product_windows", keys: ["store_id", "window_id", "product_id"], counters: Self.productCounters)
        for key in windowProducts.keys.sorted() where !windowProducts[key]!.isZero {
            let counters = windowProducts[key]!
            try productWindows.add(counters.changed, mayEmpty: subtracting || counters.hasNegative) {
                $0.bind(key.store, at: 1); $0.bind(key.bucket, at: 2); $0.bind(key.product, at: 3)
            } bindCounters: { counters.bindChanged($0, from: 4) }
        }
        try productWindows.flush()
    }

    /// Adds (`sign` 1) or subtracts (-1) the product days `range` to `window` (a window move).
    private func moveProductWindow(_ window: Window, days range: ClosedRange<Int>, sign: Int) throws {
        var windowProducts: [ProductBucket: ProductCounters] = [:]
        try db.cachedStatement("""
            SELECT store_id, product_id, \(Self.productCounters.map { Self.sum($0, db.engine) }.joined(separator: ", "))
            FROM product_days WHERE day BETWEEN ?1 AND ?2 GROUP BY store_id, product_id
            """).forEachRow([range.lowerBound, range.upperBound]) { row in
            windowProducts[ProductBucket(store: row.int(at: 0), bucket: window.rawValue, product: row.int(at: 1))] = ProductCounters(row, from: 2, sign: sign)
        }
        try addToProductWindows(windowProducts, subtracting: sign < 0)
    }

    /// Adds pair changes to the live window: bought-bought lists (one read and write per
    /// product), the session kinds' rows.
    func addToLive(_ deltas: PairDeltas) throws {
        var live = try PairWrites.live(db)
        for (key, entries) in deltas.sortedLists() { try live.add(key, entries) }
        try live.flush()
    }

    /// Adds counter deltas to rows of one table, writing only the counters that change (bit i
    /// of `changed`: counters[i], bound at parameter keys.count + 1 + i): setting an unchanged
    /// column still rewrites every index on it (product_windows has three). One statement per
    /// set of changed counters, a handful per table (views, carts, orders, cancellations).
    ///
    /// A row that a decrease left all zero is deleted. Counters only decrease when a session's
    /// contribution changes (cancellations have their own columns), so only such deltas need
    /// the check.
    ///
    /// On PostgreSQL the rows are gathered (``AggregateRowBatch``) and written by ``flush()``:
    /// one upsert of every row (unchanged counters add 0) and one delete of the rows left all
    /// zero, per table and chunk, instead of a round trip per row. Call ``flush()`` after the
    /// last ``add(_:mayEmpty:bindKeys:bindCounters:)`` (on SQLite it does nothing).
    struct Upsert {
        let db: Database
        let table: String
        let keys: [String]
        let counters: [String]
        let deleteIfEmpty: Statement
        private var upserts: [UInt32: Statement] = [:]
        private let rows: AggregateRowBatch?
        private let mayBeEmpty: AggregateRowBatch?

        init(_ db: Database, table: String, keys: [String], counters: [String]) throws {
            self.db = db
            self.table = table
            self.keys = keys
            self.counters = counters
            if db.engine == .postgresql {
                rows = try AggregateRowBatch(db, table: table, columns: keys + counters)
                mayBeEmpty = try AggregateRowBatch(db, table: table, columns: keys)
            } else {
                (rows, mayBeEmpty) = (nil, nil)
            }
            deleteIfEmpty = try db.cachedStatement(
                "DELETE FROM \(table) WHERE " + keys.enumerated().map { "\($1) = ?\($0 + 1)" }.joined(separator: " AND ")
                    + " AND " + counters.map { "\($0) = 0" }.joined(separator: " AND "))
        }

        /// Adds the `changed` counters `bindCounters` binds to the row whose key `bindKeys` binds
        /// (parameters 1…keys.count). One reset per row, before it: a finished statement holds
        /// nothing (the pair tables take millions of these per log, and each reset also clears
        /// the bindings).
        mutating func add(_ changed: UInt32, mayEmpty: Bool, bindKeys: (Statement) -> Void, bindCounters: (Statement) -> Void) throws {
            if let rows, let mayBeEmpty {
                rows.add { bindKeys($0); bindCounters($0) }
                if mayEmpty { mayBeEmpty.add(bindKeys) }
                return
            }
            let upsert = try upsert(changed)
            upsert.reset()
            bindKeys(upsert)
            bindCounters(upsert)
            while try upsert.step() {}
            guard mayEmpty else { return }
            deleteIfEmpty.reset()
            bindKeys(deleteIfEmpty)
            while try deleteIfEmpty.step() {}
        }

        /// PostgreSQL: writes the gathered rows (see the type's note).
        func flush() throws {
            guard let rows, let mayBeEmpty, !rows.isEmpty else { return }
            let keyList = keys.joined(separator: ", ")
            try rows.run(db, """
                INSERT INTO \(table)(\((keys + counters).joined(separator: ", ")))
                \(rows.rowsSQL(keys.map { "r.\($0)" } + counters.map { "coalesce(r.\($0), 0)" }))
                ON CONFLICT (\(keyList)) DO UPDATE SET \(counters.map { "\($0) = \(AggregateTables.plus($0, table: table, db.engine))" }.joined(separator: ", "))
                """)
            try mayBeEmpty.run(db, """
                DELETE FROM \(table) WHERE (\(keyList)) IN (\(mayBeEmpty.rowsSQL(keys.map { "r.\($0)" })))
                  AND \(counters.map { "\($0) = 0" }.joined(separator: " AND "))
                """)
        }

        private mutating func upsert(_ changed: UInt32) throws -> Statement {
            if let cached = upserts[changed] { return cached }
            let set = counters.indices.filter { changed & 1 << $0 != 0 }.map { (column: counters[$0], parameter: "?\(keys.count + 1 + $0)") }
            let upsert = try db.cachedStatement("""
                INSERT INTO \(table)(\((keys + set.map(\.column)).joined(separator: ", ")))
                VALUES (\((keys.indices.map { "?\($0 + 1)" } + set.map(\.parameter)).joined(separator: ", ")))
                ON CONFLICT (\(keys.joined(separator: ", "))) DO UPDATE SET \(set.map { "\($0.column) = \(AggregateTables.plus($0.column, table: table, db.engine))" }.joined(separator: ", "))
                """)
            upserts[changed] = upsert
            return upsert
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

        func insertSQL(_ engine: DatabaseEngine) -> String {
            let keys = (windowKey ? ["window_id"] : []) + groupKeys
            return """
                INSERT INTO \(live)(\((keys + counters).joined(separator: ", ")))
                SELECT \(((windowKey ? ["?3"] : []) + groupKeys + sources).joined(separator: ", "))
                FROM \(history) WHERE \(bucket) BETWEEN ?1 AND ?2 GROUP BY \(groupKeys.joined(separator: ", "))
                ON CONFLICT (\(liveKeys.joined(separator: ", "))) DO UPDATE SET \(counters.map { "\($0) = \(AggregateTables.plus($0, table: live, engine))" }.joined(separator: ", "))
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

    static func productWindows(_ engine: DatabaseEngine) -> Derivation {
        Derivation(live: "product_windows", history: "product_days", bucket: "day", groupKeys: ["store_id", "product_id"], windowKey: true,
                   counters: productCounters, sources: productCounters.map { sum($0, sign: "?4", engine) })
    }
    static let storeWindows = Derivation(
        live: "store_windows", history: "store_days", bucket: "day", groupKeys: ["store_id"], windowKey: true,
        counters: storeCounters, sources: storeCounters.map { "?4 * sum(\($0))" })
    static let pairWindowRows = Derivation(
        live: "pair_window_rows", history: "pair_day_rows", bucket: "day", groupKeys: ["store_id", "kind_id", "product_id", "other_id"],
        windowKey: false, counters: ["together"], sources: ["?4 * sum(together)"])
    static let trendWindows = Derivation(
        live: "trend_windows", history: "product_hours", bucket: "hour", groupKeys: ["store_id", "product_id"], windowKey: false,
        counters: ["foreground", "background"], sources: ["?4 * sum(viewers)", "?5 * sum(viewers)"])

    /// Adds (`signs` +1) or subtracts (-1) the history buckets `range` to a live table, then
    /// deletes the rows this left all zero.
    func derive(_ derivation: Derivation, range: ClosedRange<Int>, window: Window? = nil, signs: [Int]) throws {
        let insert = try db.cachedStatement(derivation.insertSQL(db.engine))
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
    /// History rows exist only within `span` (the times of the events aggregated so far), so
    /// the parts of a range outside it are skipped: before a batch is written, that is every
    /// bucket entering at the end of a window, and those leaving before the log began.
    func move(from old: AggregateWindows, to new: AggregateWindows, span: ClosedRange<Int64>) throws {
        let days = AggregateTime.day(span.lowerBound)...AggregateTime.day(span.upperBound)
        let hours = AggregateTime.hour(span.lowerBound)...AggregateTime.hour(span.upperBound)
        for (window, from, to) in [(Window.popularity, old.popularity, new.popularity), (.cooccurrence, old.cooccurrence, new.cooccurrence)] {
            let move = WindowMove(from: from, to: to)
            for (range, sign) in [(move.leaving, -1), (move.entering, 1)] {
                guard let range, range.overlaps(days) else { continue }
                try moveProductWindow(window, days: range.clamped(to: days), sign: sign)
                try derive(Self.storeWindows, range: range.clamped(to: days), window: window, signs: [sign])
                if window == .cooccurrence {
                    try derive(Self.pairWindowRows, range: range.clamped(to: days), signs: [sign])
                    try addToLive(try PairListTable.liveDeltas(db, days: range.clamped(to: days), sign: sign))
                }
            }
        }
        // The hours leaving the foreground are those entering the background: one pass for both.
        let foreground = WindowMove(from: old.foreground, to: new.foreground)
        let background = WindowMove(from: old.background, to: new.background)
        var trends: [(range: ClosedRange<Int>, signs: [Int])] = []
        for (range, signs) in [(foreground.leaving, [-1, 0]), (foreground.entering, [1, 0]),
                               (background.leaving, [0, -1]), (background.entering, [0, 1])] {
            guard let range, range.overlaps(hours) else { continue }
            let clamped = range.clamped(to: hours)
            if let same = trends.firstIndex(where: { $0.range == clamped }) {
                trends[same].signs = zip(trends[same].signs, signs).map(+)
            } else {
                trends.append((clamped, signs))
            }
        }
        for (range, signs) in trends { try derive(Self.trendWindows, range: range, signs: signs) }
    }

    /// The live lists from the history days ?1…?2, as the incremental path writes them (see
    /// migration 0010): json_group_object over rows ordered by partner (jsonb_object_agg on
    /// PostgreSQL, where jsonb orders the keys itself).
    static let fillPairListsSQL: SQL = """
        INSERT INTO pair_lists(store_id, kind_id, product_id, pairs)
        SELECT store_id, kind_id, product_id, \(sqlite: "json_group_object(other_id, together)",
                                                postgreSQL: "jsonb_object_agg(CAST(other_id AS text), together)")
        FROM (SELECT store_id, kind_id, product_id, other_id, sum(together) AS together FROM pair_list_days WHERE day BETWEEN ?1 AND ?2
              GROUP BY store_id, kind_id, product_id, other_id HAVING sum(together) <> 0
              ORDER BY store_id, kind_id, product_id, other_id) AS d
        GROUP BY store_id, kind_id, product_id
        """

    /// Fills the (empty) live tables for `windows` from the history tables.
    func fill(_ windows: AggregateWindows) throws {
        for (window, range) in [(Window.popularity, windows.popularity), (.cooccurrence, windows.cooccurrence)] {
            try derive(Self.productWindows(db.engine), range: range, window: window, signs: [1])
            try derive(Self.storeWindows, range: range, window: window, signs: [1])
        }
        try derive(Self.pairWindowRows, range: windows.cooccurrence, signs: [1])
        try db.cachedStatement(Self.fillPairListsSQL.rendered(engine: db.engine).text).execute([windows.cooccurrence.lowerBound, windows.cooccurrence.upperBound])
        try derive(Self.trendWindows, range: windows.foreground, signs: [1, 0])
        try derive(Self.trendWindows, range: windows.background, signs: [0, 1])
    }
}

extension ProductCounters {
    /// The counters of columns `index`… (``AggregateTables/productCounters`` order), times `sign`.
    init(_ row: Statement, from index: Int32, sign: Int) {
        func int(_ offset: Int32) -> Int { sign * row.int(at: index + offset) }
        self.init(viewers: int(0), carters: int(1), buyers: int(2), cancellers: int(3), viewedThenCarted: int(4), viewedThenBought: int(5),
                  units: Double(sign) * row.double(at: index + 6), revenueCents: row.int(at: index + 7).multipliedSaturating(by: sign), orders: int(8),
                  cancelledUnits: Double(sign) * row.double(at: index + 9), cancelledRevenueCents: row.int(at: index + 10).multipliedSaturating(by: sign), cancelledOrders: int(11),
                  coViewers: int(12), coBuyers: int(13))
    }

    /// Bit i: counter i (``AggregateTables/productCounters`` order) is not zero.
    var changed: UInt32 {
        [viewers != 0, carters != 0, buyers != 0, cancellers != 0, viewedThenCarted != 0, viewedThenBought != 0, units != 0,
         revenueCents != 0, orders != 0, cancelledUnits != 0, cancelledRevenueCents != 0, cancelledOrders != 0, coViewers != 0,
         coBuyers != 0].enumerated().reduce(0) { $1.element ? $0 | 1 << $1.offset : $0 }
    }

    /// Binds every counter, counter i at parameter `index` + i (a new row).
    func bindAll(_ statement: Statement, from index: Int32) { bind(statement, from: index, onlyChanged: false) }

    /// Binds the counters that are not zero, counter i at parameter `index` + i.
    func bindChanged(_ statement: Statement, from index: Int32) { bind(statement, from: index, onlyChanged: true) }

    private func bind(_ statement: Statement, from index: Int32, onlyChanged: Bool) {
        for (offset, value) in [viewers, carters, buyers, cancellers, viewedThenCarted, viewedThenBought].enumerated() where !onlyChanged || value != 0 {
            statement.bind(value, at: index + Int32(offset))
        }
        if !onlyChanged || units != 0 { statement.bind(units, at: index + 6) }
        for (offset, value) in [revenueCents, orders].enumerated() where !onlyChanged || value != 0 { statement.bind(value, at: index + 7 + Int32(offset)) }
        if !onlyChanged || cancelledUnits != 0 { statement.bind(cancelledUnits, at: index + 9) }
        for (offset, value) in [cancelledRevenueCents, cancelledOrders, coViewers, coBuyers].enumerated() where !onlyChanged || value != 0 {
            statement.bind(value, at: index + 10 + Int32(offset))
        }
    }

    var changesConversion: Bool { viewers != 0 || viewedThenCarted != 0 || viewedThenBought != 0 }

    mutating func add(_ other: ProductCounters) {
        viewers += other.viewers; carters += other.carters; buyers += other.buyers; cancellers += other.cancellers
        viewedThenCarted += other.viewedThenCarted; viewedThenBought += other.viewedThenBought; units += other.units
        revenueCents.addSaturating(other.revenueCents); orders += other.orders; cancelledUnits += other.cancelledUnits
        cancelledRevenueCents.addSaturating(other.cancelledRevenueCents); cancelledOrders += other.cancelledOrders
        coViewers += other.coViewers; coBuyers += other.coBuyers
    }
}

extension StoreCounters {
    private var values: [Int] { [viewers, viewedThenCarted, viewedThenBought, coSessions, orders, cancelledOrders] }

    /// Bit i: counter i (``AggregateTables/storeCounters`` order) is not zero.
    var changed: UInt32 { values.enumerated().reduce(0) { $1.element != 0 ? $0 | 1 << $1.offset : $0 } }

    /// Binds the counters that are not zero, counter i at parameter `index` + i.
    func bindChanged(_ statement: Statement, from index: Int32) {
        for (offset, value) in values.enumerated() where value != 0 { statement.bind(value, at: index + Int32(offset)) }
    }

    var changesConversion: Bool { viewers != 0 || viewedThenCarted != 0 || viewedThenBought != 0 }

    mutating func add(_ other: StoreCounters) {
        viewers += other.viewers; viewedThenCarted += other.viewedThenCarted; viewedThenBought += other.viewedThenBought
        coSessions += other.coSessions; orders += other.orders; cancelledOrders += other.cancelledOrders
    }
}
