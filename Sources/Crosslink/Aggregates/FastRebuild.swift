/// The full rebuild counted in Swift: one streaming read of the log (``RebuildLog``), counting
/// over arrays indexed by dense product, session and visitor ids, and bulk inserts in each
/// table's key order (``BulkInsert``). It leaves exactly the rows of the SQL definition
/// (``Aggregates/rebuildSQL(_:)`` followed by ``AggregateTables/fill(_:)``), which stays the
/// reference: `FastRebuildTests` compares every table row by row on the shipped log.
///
/// Why: the SQL rebuild of the Online Retail log spent most of its time in SQLite's self-joins
/// and JSON functions (the 365-day pair-list fill through `json_each` + `json_group_object`, the
/// day lists' self-join); the same counts are a few passes over arrays here.
///
/// Sums follow the SQL's arithmetic: revenue in cents is summed in floating point and cast back
/// with clamping (`CAST(total(…) AS INTEGER)`), units in floating point; both are exact for
/// what ``EventBounds`` allows (integral cents below 2⁵³, quantities whose sums are exact in
/// Double).
struct FastRebuild {
    let db: Database
    let log: RebuildLog
    let maxBasketProducts: Int
    /// Each product id's decimal digits (dense id i: idDigits[idStarts[i]..<idStarts[i + 1]]):
    /// the lists repeat every id thousands of times.
    let idDigits: [UInt8]
    let idStarts: [Int]
    static let none = Int64.max

    init(db: Database, log: RebuildLog, maxBasketProducts: Int) {
        self.db = db
        self.log = log
        self.maxBasketProducts = maxBasketProducts
        var digits: [UInt8] = []
        var starts = [0]
        for id in log.productIDs {
            Self.appendDecimal(id, to: &digits)
            starts.append(digits.count)
        }
        idDigits = digits
        idStarts = starts
    }
    static let dayMilliseconds = AggregateTime.dayMilliseconds
    static let hourMilliseconds = AggregateTime.hourMilliseconds

    /// A `session_products` row (`none`: NULL).
    struct SessionProduct {
        var session: Int32
        var product: Int32
        var viewed = FastRebuild.none, carted = FastRebuild.none, bought = FastRebuild.none, cancelled = FastRebuild.none
    }

    /// A key of `product_days` / `product_hours` (bucket: day or hour), in the tables' key order.
    struct BucketKey: Hashable, Comparable {
        var bucket: Int
        var store: Int
        var product: Int32
        static func < (a: Self, b: Self) -> Bool { (a.bucket, a.store, a.product) < (b.bucket, b.store, b.product) }
        /// One word hashed instead of three (a million lookups per rebuild of the shipped log);
        /// equality still compares every field.
        func hash(into hasher: inout Hasher) { hasher.combine(bucket &* 0x1E37_79B9_7F4A_7C15 ^ store << 40 ^ Int(product)) }
    }

    /// The counters of a `product_days` row, summed as the SQL sums them.
    struct DayCounters {
        var viewers = 0, carters = 0, buyers = 0, cancellers = 0, viewedThenCarted = 0, viewedThenBought = 0
        var units = 0.0, revenue = 0.0, orders = 0, cancelledUnits = 0.0, cancelledRevenue = 0.0, cancelledOrders = 0
        var coViewers = 0, coBuyers = 0

        var isZero: Bool {
            viewers == 0 && carters == 0 && buyers == 0 && cancellers == 0 && viewedThenCarted == 0 && viewedThenBought == 0
                && units == 0 && revenue == 0 && orders == 0 && cancelledUnits == 0 && cancelledRevenue == 0 && cancelledOrders == 0
                && coViewers == 0 && coBuyers == 0
        }
    }

    /// The counters of a `store_days` / `store_windows` row.
    struct StoreDay {
        var viewers = 0, viewedThenCarted = 0, viewedThenBought = 0, coSessions = 0, orders = 0, cancelledOrders = 0
        var isZero: Bool { viewers == 0 && viewedThenCarted == 0 && viewedThenBought == 0 && coSessions == 0 && orders == 0 && cancelledOrders == 0 }
        mutating func add(_ other: StoreDay) {
            viewers += other.viewers; viewedThenCarted += other.viewedThenCarted; viewedThenBought += other.viewedThenBought
            coSessions += other.coSessions; orders += other.orders; cancelledOrders += other.cancelledOrders
        }
    }

    /// SQLite's CAST of a REAL to INTEGER: truncated, clamped to Int64.
    static func integer(_ value: Double) -> Int {
        if value >= 9.223372036854775807e18 { return .max }
        if value <= -9.223372036854775808e18 { return .min }
        return Int(value)
    }

    // MARK: Entry

    /// Rebuilds every history and live table of `db` (in its transaction). The caller clears the
    /// stale mark and refreshes the conversion and neighbour lists, as for the SQL rebuild.
    static func run(_ db: Database) throws {
        let settings = try RecommendationSettings.load(db)
        try db.execute(script: Aggregates.clearSQL)
        let log = try RebuildLog.read(db)
        var rebuild = FastRebuild(db: db, log: log, maxBasketProducts: settings.maxBasketProducts)
        try rebuild.writeVisitorProducts()
        let sessions = try rebuild.writeSessionProducts()
        let baskets = rebuild.baskets()
        // No events: no live windows (as the SQL, which fills them only when there is a last event).
        let windows = try AggregateState.load(db).lastAt.map { AggregateWindows.live(lastAt: $0, settings: settings) }
        var sums = WindowSums(windows: windows)
        try rebuild.writeDays(sessions: sessions, baskets: baskets, into: &sums)
        try rebuild.writeSessionPairs(sessions: sessions, windows: nil)
        try rebuild.writeDayLists(baskets)
        guard let windows else { return }
        try rebuild.writeWindows(sums)
        try rebuild.writeSessionPairs(sessions: sessions, windows: windows)
        try rebuild.writeLiveLists(baskets, window: windows.cooccurrence)
    }

    // MARK: Sessions and visitors

    /// Item indices grouped by `group` (a counting sort by session or visitor rank), each group's
    /// items sorted by product.
    private func grouped(count: Int, by group: (RebuildLog.Item) -> Int32?) -> (starts: [Int], items: [Int32]) {
        var starts = [Int](repeating: 0, count: count + 1)
        for item in log.items { if let g = group(item) { starts[Int(g) + 1] += 1 } }
        for index in 0..<count { starts[index + 1] += starts[index] }
        var next = starts
        var sorted = [Int32](repeating: 0, count: starts[count])
        for (index, item) in log.items.enumerated() {
            guard let g = group(item) else { continue }
            sorted[next[Int(g)]] = Int32(index)
            next[Int(g)] += 1
        }
        let items = log.items
        for g in 0..<count where starts[g + 1] - starts[g] > 1 {
            sorted[starts[g]..<starts[g + 1]].sort { items[Int($0)].product < items[Int($1)].product }
        }
        return (starts, sorted)
    }

    /// Sessions' products (in key order), and per session whether it is eligible for
    /// co-occurrence and its first view.
    struct Sessions {
        var products: [SessionProduct] = []
        var starts: [Int] = [0]          // per session rank, into `products`
        var eligible: [Bool] = []
        var firstView: [Int64] = []
    }

    mutating func writeSessionProducts() throws -> Sessions {
        let (starts, order) = grouped(count: log.sessions.count) { $0.session }
        var sessions = Sessions()
        sessions.products.reserveCapacity(order.count)
        var insert = BulkInsert(db, into: "session_products(store_id, session_id, product_id, first_viewed_at, first_carted_at, first_bought_at, first_cancelled_at)", columns: 7)
        for session in 0..<log.sessions.count {
            var index = starts[session]
            var firstView = Self.none
            let first = sessions.products.count
            while index < starts[session + 1] {
                let product = log.items[Int(order[index])].product
                var row = SessionProduct(session: Int32(session), product: product)
                while index < starts[session + 1], case let item = log.items[Int(order[index])], item.product == product {
                    switch item.kind {
                    case .view: row.viewed = min(row.viewed, item.time)
                    case .cart: row.carted = min(row.carted, item.time)
                    case .order: row.bought = min(row.bought, item.time)
                    case .cancel: row.cancelled = min(row.cancelled, item.time)
                    }
                    index += 1
                }
                firstView = min(firstView, row.viewed)
                sessions.products.append(row)
                let (store, name) = log.sessions[session]
                insert.int(store)
                insert.text { $0.append(contentsOf: name.utf8) }
                insert.int(log.productIDs[Int(product)])
                insert.time(row.viewed); insert.time(row.carted); insert.time(row.bought); insert.time(row.cancelled)
                try insert.endRow()
            }
            sessions.starts.append(sessions.products.count)
            sessions.eligible.append(sessions.products.count - first <= maxBasketProducts)
            sessions.firstView.append(firstView)
        }
        try insert.finish()
        return sessions
    }

    mutating func writeVisitorProducts() throws {
        let (starts, order) = grouped(count: log.visitors.count) { $0.kind == .cancel ? nil : $0.visitor }
        var insert = BulkInsert(db, into: """
            visitor_products(store_id, visitor_id, product_id, first_viewed_at, last_viewed_at, first_carted_at, last_carted_at, \
            first_bought_at, last_bought_at)
            """, columns: 9)
        for visitor in 0..<log.visitors.count {
            var index = starts[visitor]
            while index < starts[visitor + 1] {
                let product = log.items[Int(order[index])].product
                var first = [Self.none, Self.none, Self.none]
                var last = [Int64.min, Int64.min, Int64.min]
                while index < starts[visitor + 1], case let item = log.items[Int(order[index])], item.product == product {
                    let kind = Int(item.kind.rawValue)  // view 0, cart 1, order 2
                    first[kind] = min(first[kind], item.time)
                    last[kind] = max(last[kind], item.time)
                    index += 1
                }
                let (store, name) = log.visitors[visitor]
                insert.int(store)
                insert.text { $0.append(contentsOf: name.utf8) }
                insert.int(log.productIDs[Int(product)])
                for kind in 0..<3 {
                    insert.time(first[kind])
                    insert.time(last[kind] == .min ? Self.none : last[kind])
                }
                try insert.endRow()
            }
        }
        try insert.finish()
    }

    // MARK: Baskets

    /// Orders and cancellations of 1…max_basket_products distinct products: each one's sorted
    /// products (CSR), day, store and sign.
    struct Baskets {
        var starts: [Int] = [0]
        var products: [Int32] = []
        var day: [Int] = []
        var store: [Int] = []
        var sign: [Int] = []
        var count: Int { day.count }
        func products(_ basket: Int) -> ArraySlice<Int32> { products[starts[basket]..<starts[basket + 1]] }
    }

    func baskets() -> Baskets {
        var baskets = Baskets()
        var scratch: [Int32] = []
        for order in log.orders {
            scratch.removeAll(keepingCapacity: true)
            for line in order.lines { scratch.append(log.items[line].product) }
            scratch.sort()
            var distinct = 0
            for (index, product) in scratch.enumerated() where index == 0 || scratch[index - 1] != product {
                scratch[distinct] = product
                distinct += 1
            }
            guard distinct <= maxBasketProducts else { continue }
            baskets.products.append(contentsOf: scratch[0..<distinct])
            baskets.starts.append(baskets.products.count)
            baskets.day.append(Int(order.time / Self.dayMilliseconds))
            baskets.store.append(order.store)
            baskets.sign.append(order.cancelled ? -1 : 1)
        }
        return baskets
    }

    // MARK: Days and hours

    /// The history rows summed over the live windows as they are written (see ``writeWindows(_:)``).
    struct WindowSums {
        let windows: AggregateWindows?
        /// Per window (popularity, co-occurrence): store and product → sums (revenue: the days'
        /// stored integer cents, summed in floating point as the SQL's `total()`).
        var products: [[StoreProduct: DayCounters]] = [[:], [:]]
        var stores: [[Int: StoreDay]] = [[:], [:]]
        var trends: [StoreProduct: (foreground: Int, background: Int)] = [:]

        mutating func addDay(_ key: BucketKey, _ c: DayCounters, revenue: Int, cancelledRevenue: Int) {
            guard let windows else { return }
            for (index, range) in [windows.popularity, windows.cooccurrence].enumerated() where range.contains(key.bucket) {
                products[index][StoreProduct(store: key.store, product: key.product), default: DayCounters()]
                    .add(c, revenue: revenue, cancelledRevenue: cancelledRevenue)
            }
        }

        mutating func addStoreDay(_ day: Int, store: Int, _ c: StoreDay) {
            guard let windows else { return }
            for (index, range) in [windows.popularity, windows.cooccurrence].enumerated() where range.contains(day) {
                stores[index][store, default: StoreDay()].add(c)
            }
        }

        mutating func addHour(_ key: BucketKey, viewers: Int) {
            guard let windows else { return }
            let product = StoreProduct(store: key.store, product: key.product)
            if windows.foreground.contains(key.bucket) { trends[product, default: (0, 0)].foreground += viewers }
            if windows.background.contains(key.bucket) { trends[product, default: (0, 0)].background += viewers }
        }
    }

    struct StoreProduct: Hashable, Comparable {
        var store: Int
        var product: Int32
        static func < (a: Self, b: Self) -> Bool { (a.store, a.product) < (b.store, b.product) }
    }

    /// Writes `product_days`, `product_hours` and `store_days`, adding each row to the windows.
    func writeDays(sessions: Sessions, baskets: Baskets, into sums: inout WindowSums) throws {
        var index: [BucketKey: Int] = [:]
        var counters: [DayCounters] = []
        index.reserveCapacity(sessions.products.count)
        func slot(_ key: BucketKey) -> Int {
            if let known = index[key] { return known }
            index[key] = counters.count
            counters.append(DayCounters())
            return counters.count - 1
        }
        var hours: [BucketKey: Int] = [:]
        var storeDays: [BucketKey: StoreDay] = [:]  // product unused
        for session in 0..<log.sessions.count {
            let store = log.sessions[session].store
            let eligible = sessions.eligible[session]
            let viewing = sessions.firstView[session] != Self.none
            if eligible && viewing {
                storeDays[BucketKey(bucket: Int(sessions.firstView[session] / Self.dayMilliseconds), store: store, product: 0), default: StoreDay()].coSessions += 1
            }
            for row in sessions.products[sessions.starts[session]..<sessions.starts[session + 1]] {
                if row.viewed != Self.none {
                    let s = slot(BucketKey(bucket: Int(row.viewed / Self.dayMilliseconds), store: store, product: row.product))
                    counters[s].viewers += 1
                    if eligible { counters[s].coViewers += 1 }
                    hours[BucketKey(bucket: Int(row.viewed / Self.hourMilliseconds), store: store, product: row.product), default: 0] += 1
                }
                if row.carted != Self.none {
                    let s = slot(BucketKey(bucket: Int(row.carted / Self.dayMilliseconds), store: store, product: row.product))
                    counters[s].carters += 1
                    if row.viewed < row.carted { counters[s].viewedThenCarted += 1 }
                }
                if row.bought != Self.none {
                    let s = slot(BucketKey(bucket: Int(row.bought / Self.dayMilliseconds), store: store, product: row.product))
                    counters[s].buyers += 1
                    if row.viewed < row.bought { counters[s].viewedThenBought += 1 }
                    if eligible && viewing { counters[s].coBuyers += 1 }
                }
                if row.cancelled != Self.none {
                    counters[slot(BucketKey(bucket: Int(row.cancelled / Self.dayMilliseconds), store: store, product: row.product))].cancellers += 1
                }
            }
        }
        for order in log.orders {
            let day = Int(order.time / Self.dayMilliseconds)
            for line in order.lines {
                let item = log.items[line]
                let s = slot(BucketKey(bucket: day, store: order.store, product: item.product))
                let cents = Double(AggregateDeltas.cents(item.quantity * item.price * 100))
                if order.cancelled {
                    counters[s].cancelledUnits += item.quantity
                    counters[s].cancelledRevenue += cents
                } else {
                    counters[s].units += item.quantity
                    counters[s].revenue += cents
                }
            }
        }
        for basket in 0..<baskets.count {
            let (day, store, sign) = (baskets.day[basket], baskets.store[basket], baskets.sign[basket])
            for product in baskets.products(basket) {
                let s = slot(BucketKey(bucket: day, store: store, product: product))
                if sign > 0 { counters[s].orders += 1 } else { counters[s].cancelledOrders += 1 }
            }
            if sign > 0 {
                storeDays[BucketKey(bucket: day, store: store, product: 0), default: StoreDay()].orders += 1
            } else {
                storeDays[BucketKey(bucket: day, store: store, product: 0), default: StoreDay()].cancelledOrders += 1
            }
        }

        var insert = BulkInsert(db, into: "product_days(day, store_id, product_id, \(AggregateTables.productCounters.joined(separator: ", ")))",
                                columns: 3 + AggregateTables.productCounters.count)
        for key in index.keys.sorted() {
            let c = counters[index[key]!]
            guard !c.isZero else { continue }
            let (revenue, cancelledRevenue) = (Self.integer(c.revenue), Self.integer(c.cancelledRevenue))
            sums.addDay(key, c, revenue: revenue, cancelledRevenue: cancelledRevenue)
            storeDays[BucketKey(bucket: key.bucket, store: key.store, product: 0), default: StoreDay()].add(
                StoreDay(viewers: c.viewers, viewedThenCarted: c.viewedThenCarted, viewedThenBought: c.viewedThenBought))
            insert.int(key.bucket); insert.int(key.store); insert.int(log.productIDs[Int(key.product)])
            for value in [c.viewers, c.carters, c.buyers, c.cancellers, c.viewedThenCarted, c.viewedThenBought] { insert.int(value) }
            insert.double(c.units); insert.int(revenue); insert.int(c.orders)
            insert.double(c.cancelledUnits); insert.int(cancelledRevenue); insert.int(c.cancelledOrders)
            insert.int(c.coViewers); insert.int(c.coBuyers)
            try insert.endRow()
        }
        try insert.finish()

        var hourInsert = BulkInsert(db, into: "product_hours(hour, store_id, product_id, viewers)", columns: 4)
        for key in hours.keys.sorted() {
            let viewers = hours[key]!
            sums.addHour(key, viewers: viewers)
            hourInsert.int(key.bucket); hourInsert.int(key.store); hourInsert.int(log.productIDs[Int(key.product)]); hourInsert.int(viewers)
            try hourInsert.endRow()
        }
        try hourInsert.finish()

        var storeInsert = BulkInsert(db, into: "store_days(day, store_id, \(AggregateTables.storeCounters.joined(separator: ", ")))",
                                     columns: 2 + AggregateTables.storeCounters.count)
        for key in storeDays.keys.sorted() {
            let c = storeDays[key]!
            guard !c.isZero else { continue }
            sums.addStoreDay(key.bucket, store: key.store, c)
            storeInsert.int(key.bucket); storeInsert.int(key.store)
            for value in [c.viewers, c.viewedThenCarted, c.viewedThenBought, c.coSessions, c.orders, c.cancelledOrders] { storeInsert.int(value) }
            try storeInsert.endRow()
        }
        try storeInsert.finish()
    }
}
