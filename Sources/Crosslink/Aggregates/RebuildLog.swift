/// The product interactions of the whole event log, read in two streaming passes (events, then
/// order lines, both in `event_seq` order and merged here) into compact arrays: what the fast
/// rebuild (`FastRebuild`) counts from. Product ids are dense (their rank among the catalog's
/// ids, rolled up), sessions and visitors are interned per store and ranked in the order of the
/// tables' keys, so every later step indexes arrays instead of looking up dictionaries.
///
/// It holds exactly the rows of the SQL definition's `rebuild_interactions`: views and adds to
/// cart of known products, and the lines of place-order and cancel-order events whose product is
/// known, each as its rolled-up product.
struct RebuildLog {
    /// One interaction: a view, an add to cart, or an order line.
    struct Item {
        var session: Int32       // rank in `sessions`
        var visitor: Int32       // rank in `visitors`
        var product: Int32       // dense, rolled up
        var kind: Kind
        var time: Int64
        var order: Int32         // index in `orders` for an order line, else -1
        var quantity: Double
        var price: Double
    }

    enum Kind: UInt8 { case view = 0, cart = 1, order = 2, cancel = 3 }

    /// A place-order or cancel-order event with at least one line of a known product.
    struct Order {
        var store: Int
        var time: Int64
        var cancelled: Bool
        var lines: Range<Int>    // in `items`
    }

    /// Catalog ids in ascending order: a dense id is an index into it.
    var productIDs: [Int] = []
    var items: [Item] = []
    var orders: [Order] = []
    /// Sessions and visitors by rank: (store, text), in SQLite's key order (store, then the
    /// text's UTF-8 bytes).
    var sessions: [(store: Int, name: String)] = []
    var visitors: [(store: Int, name: String)] = []

    /// The store of a session (by rank).
    func store(session: Int32) -> Int { sessions[Int(session)].store }

    static func read(_ db: Database) throws -> RebuildLog {
        var log = RebuildLog()
        let products = try ProductIndex(db)
        log.productIDs = products.ids
        var sessionIndex: [Interned: Int32] = [:]
        var visitorIndex: [Interned: Int32] = [:]
        var sessionNames: [Interned] = []
        var visitorNames: [Interned] = []
        func intern(_ key: Interned, _ index: inout [Interned: Int32], _ names: inout [Interned]) -> Int32 {
            if let known = index[key] { return known }
            let next = Int32(names.count)
            index[key] = next
            names.append(key)
            return next
        }

        let lines = try db.cachedStatement(
            "SELECT event_seq, product_id, quantity, price FROM event_lines WHERE product_id IS NOT NULL ORDER BY event_seq, line")
        lines.reset()
        defer { lines.reset() }
        var lineSeq = try lines.step() ? lines.int(at: 0) : Int.max
        func nextLine() throws { lineSeq = try lines.step() ? lines.int(at: 0) : Int.max }

        let events = try db.cachedStatement("""
            SELECT event_seq, store_id, session_id, visitor_id, occurred_at, product_id,
                   CASE type WHEN 'product-view' THEN 0 WHEN 'add-to-cart' THEN 1 WHEN 'place-order' THEN 2 ELSE 3 END
            FROM events WHERE type IN ('product-view', 'add-to-cart', 'place-order', 'cancel-order') ORDER BY event_seq
            """)
        try events.forEachRow { row in
            let kind = Kind(rawValue: UInt8(row.int(at: 6)))!
            let seq = row.int(at: 0)
            let store = row.int(at: 1)
            let time = Int64(row.int(at: 4))
            if kind == .view || kind == .cart {
                guard !row.isNull(at: 5), let product = products.rollup(row.int(at: 5)) else { return }
                let session = intern(Interned(store: store, name: row.text(at: 2)), &sessionIndex, &sessionNames)
                let visitor = intern(Interned(store: store, name: row.text(at: 3)), &visitorIndex, &visitorNames)
                log.items.append(Item(session: session, visitor: visitor, product: product, kind: kind, time: time, order: -1, quantity: 0, price: 0))
                return
            }
            while lineSeq < seq { try nextLine() }
            let start = log.items.count
            var session: Int32 = -1
            var visitor: Int32 = -1
            while lineSeq == seq {
                if let product = products.rollup(lines.int(at: 1)) {
                    if session < 0 {
                        session = intern(Interned(store: store, name: row.text(at: 2)), &sessionIndex, &sessionNames)
                        visitor = intern(Interned(store: store, name: row.text(at: 3)), &visitorIndex, &visitorNames)
                    }
                    log.items.append(Item(session: session, visitor: visitor, product: product, kind: kind, time: time,
                                          order: Int32(log.orders.count), quantity: lines.double(at: 2), price: lines.double(at: 3)))
                }
                try nextLine()
            }
            if log.items.count > start {
                log.orders.append(Order(store: store, time: time, cancelled: kind == .cancel, lines: start..<log.items.count))
            }
        }

        // Ranks in key order, then every item renumbered by them.
        let sessionRanks = Self.ranks(sessionNames)
        let visitorRanks = Self.ranks(visitorNames)
        for index in log.items.indices {
            log.items[index].session = sessionRanks.rank[Int(log.items[index].session)]
            log.items[index].visitor = visitorRanks.rank[Int(log.items[index].visitor)]
        }
        log.sessions = sessionRanks.sorted.map { ($0.store, $0.name) }
        log.visitors = visitorRanks.sorted.map { ($0.store, $0.name) }
        return log
    }

    struct Interned: Hashable {
        var store: Int
        var name: String
    }

    /// The names sorted as the tables' keys (store, then BINARY text order), and each name's rank.
    private static func ranks(_ names: [Interned]) -> (sorted: [Interned], rank: [Int32]) {
        let order = names.indices.sorted {
            let a = names[$0], b = names[$1]
            return a.store != b.store ? a.store < b.store : a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
        }
        var rank = [Int32](repeating: 0, count: names.count)
        for (position, index) in order.enumerated() { rank[index] = Int32(position) }
        return (order.map { names[$0] }, rank)
    }
}

/// Catalog product ids as dense ids (their rank), each mapped to its rolled-up product's dense id
/// (`product_rollup`). A product id is looked up in an array when the ids are dense enough, else
/// by binary search.
struct ProductIndex {
    let ids: [Int]
    private let rollups: [Int32]
    private let direct: [Int32]?

    init(_ db: Database) throws {
        var pairs: [(id: Int, rollup: Int)] = []
        try db.cachedStatement("SELECT product_id, rollup_id FROM product_rollup ORDER BY product_id").forEachRow { row in
            pairs.append((row.int(at: 0), row.int(at: 1)))
        }
        ids = pairs.map(\.id)
        let maxID = ids.last ?? 0
        if maxID >= 0 && maxID <= 8 * ids.count + 4_096, ids.first.map({ $0 >= 0 }) ?? true {
            var direct = [Int32](repeating: -1, count: maxID + 1)
            for (index, id) in ids.enumerated() { direct[id] = Int32(index) }
            self.direct = direct
        } else {
            direct = nil
        }
        var rollups = [Int32](repeating: -1, count: ids.count)
        for (index, pair) in pairs.enumerated() {
            rollups[index] = pair.rollup == pair.id ? Int32(index) : (Self.find(pair.rollup, ids: ids) ?? Int32(index))
        }
        self.rollups = rollups
    }

    private static func find(_ id: Int, ids: [Int]) -> Int32? {
        var low = 0, high = ids.count
        while low < high {
            let mid = (low + high) / 2
            if ids[mid] < id { low = mid + 1 } else { high = mid }
        }
        return low < ids.count && ids[low] == id ? Int32(low) : nil
    }

    /// The dense id of `id`'s rolled-up product; nil when `id` is not in the catalog.
    @inline(__always)
    func rollup(_ id: Int) -> Int32? {
        let dense: Int32?
        if let direct {
            dense = id >= 0 && id < direct.count && direct[id] >= 0 ? direct[id] : nil
        } else {
            dense = Self.find(id, ids: ids)
        }
        return dense.map { rollups[Int($0)] }
    }
}
