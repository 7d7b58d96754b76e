/// The counters of one product in one bucket or window (the columns of `product_days` and
/// `product_windows`, in ``AggregateTables/productCounters`` order).
struct ProductCounters: Equatable {
    var viewers = 0
    var carters = 0
    var buyers = 0
    var cancellers = 0
    var viewedThenCarted = 0
    var viewedThenBought = 0
    var units = 0.0
    var revenueCents = 0
    var orders = 0
    var cancelledUnits = 0.0
    var cancelledRevenueCents = 0
    var cancelledOrders = 0
    var coViewers = 0
    var coBuyers = 0

    var isZero: Bool { self == ProductCounters() }
    /// Whether a counter goes down (a session's changed contribution): the row may become zero.
    var hasNegative: Bool {
        viewers < 0 || carters < 0 || buyers < 0 || cancellers < 0 || viewedThenCarted < 0 || viewedThenBought < 0
            || coViewers < 0 || coBuyers < 0
    }
}

/// The base counters of one store in one bucket or window (`store_days`, `store_windows`).
struct StoreCounters: Equatable {
    var viewers = 0
    var viewedThenCarted = 0
    var viewedThenBought = 0
    var coSessions = 0
    var orders = 0
    var cancelledOrders = 0

    var isZero: Bool { self == StoreCounters() }
    var hasNegative: Bool { viewers < 0 || viewedThenCarted < 0 || viewedThenBought < 0 || coSessions < 0 }
}

struct ProductBucket: Hashable, Comparable {
    var store: Int
    var bucket: Int
    var product: Int
    static func < (a: Self, b: Self) -> Bool { (a.store, a.bucket, a.product) < (b.store, b.bucket, b.product) }
}

struct StoreBucket: Hashable, Comparable {
    var store: Int
    var bucket: Int
    static func < (a: Self, b: Self) -> Bool { (a.store, a.bucket) < (b.store, b.bucket) }
}

/// What one session did with one (rolled-up) product: the first time of each interaction.
struct SessionProduct: Equatable {
    var viewedAt: Int64?
    var cartedAt: Int64?
    var boughtAt: Int64?
    var cancelledAt: Int64?

    static func earliest(_ a: Int64?, _ b: Int64) -> Int64 { a.map { min($0, b) } ?? b }
}

/// Signed changes to the history tables, summed in memory before they are written: one row
/// write per distinct key and batch.
///
/// A session's contribution is a function of its final state (``SessionProduct`` per product),
/// so a batch that changes a session replaces the old contribution by the new one; the result
/// does not depend on the order events arrive in, and equals what a rebuild computes.
struct AggregateDeltas {
    let maxBasketProducts: Int
    var products: [ProductBucket: ProductCounters] = [:]
    var hours: [ProductBucket: Int] = [:]
    var stores: [StoreBucket: StoreCounters] = [:]
    var pairs = PairDeltas()

    init(maxBasketProducts: Int) { self.maxBasketProducts = maxBasketProducts }

    /// Replaces a session's contribution `old` by `new` (an empty `old`: a new session).
    /// Distinct sessions: each product counts once per interaction, on the day of its first one.
    /// Co-occurrence and its base rates come only from sessions of at most `maxBasketProducts`
    /// products. Only what the change touches is recomputed: the changed products, and the
    /// pairs with one of them — unless the session's eligibility or its having a view changed.
    mutating func changeSession(store: Int, from old: [Int: SessionProduct], to new: [Int: SessionProduct]) {
        let before = SessionShape(old, maxBasketProducts: maxBasketProducts)
        let after = SessionShape(new, maxBasketProducts: maxBasketProducts)
        guard before.eligible == after.eligible, (before.firstView == nil) == (after.firstView == nil) else {
            addSession(store: store, old, shape: before, sign: -1)
            addSession(store: store, new, shape: after, sign: 1)
            return
        }
        if after.eligible && before.firstView != after.firstView {
            if let day = before.firstView.map(AggregateTime.day) { stores[StoreBucket(store: store, bucket: day), default: StoreCounters()].coSessions -= 1 }
            if let day = after.firstView.map(AggregateTime.day) { stores[StoreBucket(store: store, bucket: day), default: StoreCounters()].coSessions += 1 }
        }
        let changed = new.keys.filter { old[$0] != new[$0] }
        for product in changed {
            if let state = old[product] { addProduct(store: store, product, state, shape: before, sign: -1) }
            addProduct(store: store, product, new[product]!, shape: after, sign: 1)
        }
        // Session pairs start from a view: a session that never viewed anything (every order of
        // a purchase log) has none, and skips the n² loop.
        guard after.eligible, after.firstView != nil else { return }
        let changedSet = Set(changed)
        for product in changed {
            for other in new.keys where other != product && !(changedSet.contains(other) && other < product) {
                changePair(store: store, product, other, from: old, to: new)
                changePair(store: store, other, product, from: old, to: new)
            }
        }
    }

    /// Replaces the pair `a` → `b`'s old contribution by its new one.
    private mutating func changePair(store: Int, _ a: Int, _ b: Int, from old: [Int: SessionProduct], to new: [Int: SessionProduct]) {
        if let oldA = old[a], let oldB = old[b] { addPair(store: store, a, oldA, b, oldB, sign: -1) }
        addPair(store: store, a, new[a]!, b, new[b]!, sign: 1)
    }

    /// What decides a session's session-wide contributions.
    struct SessionShape {
        var eligible: Bool
        var firstView: Int64?
        init(_ session: [Int: SessionProduct], maxBasketProducts: Int) {
            eligible = session.count <= maxBasketProducts
            firstView = session.values.compactMap(\.viewedAt).min()
        }
    }

    /// Adds (`sign` 1) or subtracts (-1) everything a session contributes.
    mutating func addSession(store: Int, _ session: [Int: SessionProduct], shape: SessionShape, sign: Int) {
        guard !session.isEmpty else { return }
        for (product, state) in session { addProduct(store: store, product, state, shape: shape, sign: sign) }
        guard shape.eligible else { return }
        if let firstView = shape.firstView {
            stores[StoreBucket(store: store, bucket: AggregateTime.day(firstView)), default: StoreCounters()].coSessions += sign
        }
        for (product, state) in session where state.viewedAt != nil {
            for (other, otherState) in session where other != product {
                addPair(store: store, product, state, other, otherState, sign: sign)
            }
        }
    }

    /// One product's counts in a session.
    mutating func addProduct(store: Int, _ product: Int, _ state: SessionProduct, shape: SessionShape, sign: Int) {
        if let viewed = state.viewedAt {
            let key = ProductBucket(store: store, bucket: AggregateTime.day(viewed), product: product)
            products[key, default: ProductCounters()].viewers += sign
            if shape.eligible { products[key, default: ProductCounters()].coViewers += sign }
            hours[ProductBucket(store: store, bucket: AggregateTime.hour(viewed), product: product), default: 0] += sign
            stores[StoreBucket(store: store, bucket: key.bucket), default: StoreCounters()].viewers += sign
        }
        if let carted = state.cartedAt {
            let key = ProductBucket(store: store, bucket: AggregateTime.day(carted), product: product)
            products[key, default: ProductCounters()].carters += sign
            if let viewed = state.viewedAt, viewed < carted {
                products[key, default: ProductCounters()].viewedThenCarted += sign
                stores[StoreBucket(store: store, bucket: key.bucket), default: StoreCounters()].viewedThenCarted += sign
            }
        }
        if let bought = state.boughtAt {
            let key = ProductBucket(store: store, bucket: AggregateTime.day(bought), product: product)
            products[key, default: ProductCounters()].buyers += sign
            if let viewed = state.viewedAt, viewed < bought {
                products[key, default: ProductCounters()].viewedThenBought += sign
                stores[StoreBucket(store: store, bucket: key.bucket), default: StoreCounters()].viewedThenBought += sign
            }
            if shape.eligible && shape.firstView != nil { products[key, default: ProductCounters()].coBuyers += sign }
        }
        if let cancelled = state.cancelledAt {
            products[ProductBucket(store: store, bucket: AggregateTime.day(cancelled), product: product), default: ProductCounters()].cancellers += sign
        }
    }

    /// The directed pair `product` → `other` of an eligible session: viewed both (dated at the
    /// later first view); the first view of `product` precedes the first purchase of `other`.
    mutating func addPair(store: Int, _ product: Int, _ state: SessionProduct, _ other: Int, _ otherState: SessionProduct, sign: Int) {
        guard let viewed = state.viewedAt else { return }
        if let otherViewed = otherState.viewedAt {
            pairs.add(PairDeltas.Key(store: store, kind: CooccurrenceKind.viewedViewed.id, day: AggregateTime.day(max(viewed, otherViewed)),
                                     product: product), other: other, count: sign)
        }
        if let otherBought = otherState.boughtAt, viewed < otherBought {
            pairs.add(PairDeltas.Key(store: store, kind: CooccurrenceKind.viewedBought.id, day: AggregateTime.day(otherBought),
                                     product: product), other: other, count: sign)
        }
    }

    /// Adds a place-order, or a cancel-order (`cancelled`) to the cancellation counters: units
    /// and revenue per line; for an order of 1…`maxBasketProducts` distinct products also the
    /// order counts and every bought-together pair. A cancellation of the same products exactly
    /// cancels an order out.
    mutating func addOrder(store: Int, at time: Int64, cancelled: Bool, lines: [(product: Int, quantity: Double, price: Double)]) {
        let day = AggregateTime.day(time)
        for line in lines {
            let key = ProductBucket(store: store, bucket: day, product: line.product)
            let cents = Self.cents(line.quantity * line.price * 100)
            if cancelled {
                products[key, default: ProductCounters()].cancelledUnits += line.quantity
                products[key, default: ProductCounters()].cancelledRevenueCents.addSaturating(cents)
            } else {
                products[key, default: ProductCounters()].units += line.quantity
                products[key, default: ProductCounters()].revenueCents.addSaturating(cents)
            }
        }
        var basket: [Int] = []
        for line in lines where !basket.contains(line.product) {
            basket.append(line.product)
            if basket.count > maxBasketProducts { return }
        }
        guard !basket.isEmpty else { return }
        if cancelled {
            stores[StoreBucket(store: store, bucket: day), default: StoreCounters()].cancelledOrders += 1
        } else {
            stores[StoreBucket(store: store, bucket: day), default: StoreCounters()].orders += 1
        }
        let together = cancelled ? -1 : 1
        for product in basket {
            let key = ProductBucket(store: store, bucket: day, product: product)
            if cancelled { products[key, default: ProductCounters()].cancelledOrders += 1 } else { products[key, default: ProductCounters()].orders += 1 }
            pairs.add(store: store, kind: .boughtBought, day: day, product: product, others: basket, together: together)
        }
    }

    /// SQLite's `round(x)` (round half away from zero by adding 0.5 and truncating), so the
    /// incremental path and the SQL rebuild round every line's revenue identically.
    /// Out of Int64's range it saturates as SQLite's `CAST(... AS INTEGER)` does (only a
    /// hand-edited line can get there: ingest bounds a line to ``EventBounds/maximumLineAmount``).
    static func cents(_ value: Double) -> Int {
        guard !value.isNaN else { return 0 }
        // SQLite's round() leaves a value beyond 2⁵² as it is: it is already an integer.
        let rounded = abs(value) > 4_503_599_627_370_496 ? value
            : value >= 0 ? (value + 0.5).rounded(.towardZero) : -(-value + 0.5).rounded(.towardZero)
        if rounded >= 9.223372036854775807e18 { return .max }
        if rounded <= -9.223372036854775807e18 { return .min }
        return Int(rounded)
    }
}

extension Int {
    /// Revenue in cents: sums clamp at Int64's bounds instead of trapping, like the SQL side
    /// (``AggregateTables/plus(_:table:_:)``), so no stored amount can make a later write fail.
    mutating func addSaturating(_ other: Int) {
        let (sum, overflow) = addingReportingOverflow(other)
        self = overflow ? (other > 0 ? .max : .min) : sum
    }

    func multipliedSaturating(by other: Int) -> Int {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        return overflow ? ((self < 0) == (other < 0) ? .max : .min) : product
    }
}
