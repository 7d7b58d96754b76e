/// The fast rebuild's co-occurrence counts and live windows (see `FastRebuild`).
extension FastRebuild {
    // MARK: Session pairs (viewed-viewed, viewed-bought): rows

    /// `pair_day_rows` in key order: (day, store, kind << 62 | product << 31 | other, together).
    func sessionPairRows(_ sessions: Sessions) -> [(day: Int, store: Int, key: UInt64, together: Int)] {
        var pairs: [(day: Int, store: Int, key: UInt64)] = []
        for session in 0..<log.sessions.count where sessions.eligible[session] {
            let store = log.sessions[session].store
            let rows = sessions.products[sessions.starts[session]..<sessions.starts[session + 1]]
            for a in rows {
                for b in rows where b.product != a.product {
                    let pair = UInt64(a.product) << 31 | UInt64(b.product)
                    if a.viewed != Self.none && b.viewed != Self.none {
                        pairs.append((Int(max(a.viewed, b.viewed) / Self.dayMilliseconds), store, 1 << 62 | pair))
                    }
                    if a.viewed != Self.none && b.bought != Self.none && a.viewed < b.bought {
                        pairs.append((Int(b.bought / Self.dayMilliseconds), store, 2 << 62 | pair))
                    }
                }
            }
        }
        pairs.sort { ($0.day, $0.store, $0.key) < ($1.day, $1.store, $1.key) }
        var rows: [(day: Int, store: Int, key: UInt64, together: Int)] = []
        for pair in pairs {
            if let last = rows.last, last.day == pair.day, last.store == pair.store, last.key == pair.key {
                rows[rows.count - 1].together += 1
            } else {
                rows.append((pair.day, pair.store, pair.key, 1))
            }
        }
        return rows
    }

    /// Binds a packed pair's kind, product and partner.
    private func addPair(_ key: UInt64, to insert: inout BulkInsert) {
        insert.int(Int(key >> 62))
        insert.int(log.productIDs[Int(key >> 31 & 0x7FFF_FFFF)])
        insert.int(log.productIDs[Int(key & 0x7FFF_FFFF)])
    }

    /// Writes `pair_day_rows` (`windows` nil) or, from the same counts, `pair_window_rows`.
    func writeSessionPairs(sessions: Sessions, windows: AggregateWindows?) throws {
        let rows = sessionPairRows(sessions)
        guard let window = windows?.cooccurrence else {
            var insert = BulkInsert(db, into: "pair_day_rows(day, store_id, kind_id, product_id, other_id, together)", columns: 6)
            for row in rows {
                insert.int(row.day); insert.int(row.store); addPair(row.key, to: &insert); insert.int(row.together)
                try insert.endRow()
            }
            return try insert.finish()
        }
        var live = rows.filter { window.contains($0.day) }.map { (store: $0.store, key: $0.key, together: $0.together) }
        live.sort { ($0.store, $0.key) < ($1.store, $1.key) }
        var insert = BulkInsert(db, into: "pair_window_rows(store_id, kind_id, product_id, other_id, together)", columns: 5)
        var index = 0
        while index < live.count {
            let (store, key) = (live[index].store, live[index].key)
            var together = 0
            while index < live.count && live[index].store == store && live[index].key == key {
                together += live[index].together
                index += 1
            }
            guard together != 0 else { continue }
            insert.int(store); addPair(key, to: &insert); insert.int(together)
            try insert.endRow()
        }
        try insert.finish()
    }

    // MARK: Bought-bought: lists

    /// For each product of `group`'s baskets (ascending), its partners' summed signs (ascending,
    /// zeros dropped), as `counts` indexed by dense product and the partners touched: a sparse
    /// product of the basket-product matrix with itself, one scatter array reused throughout.
    struct PairCounter {
        private var counts: [Int]
        private var stamp: [Int32]
        private var generation: Int32 = 0
        private var occurrences: [UInt64] = []
        private var touched: [Int32] = []

        init(products: Int) {
            counts = [Int](repeating: 0, count: products)
            stamp = [Int32](repeating: 0, count: products)
        }

        mutating func count(_ group: [Int], in baskets: Baskets, emit: (Int32, [Int32], [Int]) throws -> Void) rethrows {
            occurrences.removeAll(keepingCapacity: true)
            for basket in group where baskets.starts[basket + 1] - baskets.starts[basket] > 1 {
                for product in baskets.products(basket) { occurrences.append(UInt64(product) << 32 | UInt64(basket)) }
            }
            occurrences.sort()
            var index = 0
            while index < occurrences.count {
                let product = Int32(occurrences[index] >> 32)
                if generation == .max {
                    generation = 0
                    for o in stamp.indices { stamp[o] = 0 }
                }
                generation += 1
                touched.removeAll(keepingCapacity: true)
                while index < occurrences.count && Int32(occurrences[index] >> 32) == product {
                    let basket = Int(occurrences[index] & 0xFFFF_FFFF)
                    let sign = baskets.sign[basket]
                    for other in baskets.products(basket) where other != product {
                        let o = Int(other)
                        if stamp[o] != generation {
                            stamp[o] = generation
                            counts[o] = 0
                            touched.append(other)
                        }
                        counts[o] += sign
                    }
                    index += 1
                }
                touched.sort()
                try emit(product, touched, counts)
            }
        }
    }

    /// Appends a list's JSON text (`{"other_id":together,…}`, as json_group_object writes it
    /// from rows ordered by partner), leaving out partners whose sum is 0.
    private func appendList(_ touched: [Int32], _ counts: [Int], to text: inout [UInt8]) {
        text.append(UInt8(ascii: "{"))
        var first = true
        for other in touched where counts[Int(other)] != 0 {
            if !first { text.append(UInt8(ascii: ",")) }
            first = false
            text.append(UInt8(ascii: "\""))
            text.append(contentsOf: idDigits[idStarts[Int(other)]..<idStarts[Int(other) + 1]])
            text.append(UInt8(ascii: "\""))
            text.append(UInt8(ascii: ":"))
            let count = counts[Int(other)]
            if count > 0 && count < 10 { text.append(UInt8(48 + count)) } else { Self.appendDecimal(count, to: &text) }
        }
        text.append(UInt8(ascii: "}"))
    }

    static func appendDecimal(_ value: Int, to buffer: inout [UInt8]) {
        if value < 0 { buffer.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { bytes in
            repeat {
                bytes[count] = UInt8(magnitude % 10) + 48
                magnitude /= 10
                count += 1
            } while magnitude > 0
            for index in stride(from: count - 1, through: 0, by: -1) { buffer.append(bytes[index]) }
        }
    }

    /// `pair_day_lists`: per day and store, each product's partners in the day's baskets.
    func writeDayLists(_ baskets: Baskets) throws {
        let order = (0..<baskets.count).sorted { (baskets.day[$0], baskets.store[$0], $0) < (baskets.day[$1], baskets.store[$1], $1) }
        var counter = PairCounter(products: log.productIDs.count)
        var insert = BulkInsert(db, into: "pair_day_lists(day, store_id, kind_id, product_id, pairs)", columns: 5)
        var start = 0
        var group: [Int] = []
        while start < order.count {
            let (day, store) = (baskets.day[order[start]], baskets.store[order[start]])
            group.removeAll(keepingCapacity: true)
            while start < order.count && baskets.day[order[start]] == day && baskets.store[order[start]] == store {
                group.append(order[start])
                start += 1
            }
            try counter.count(group, in: baskets) { product, touched, counts in
                guard touched.contains(where: { counts[Int($0)] != 0 }) else { return }
                insert.int(day); insert.int(store); insert.int(CooccurrenceKind.boughtBought.id); insert.int(log.productIDs[Int(product)])
                insert.text { appendList(touched, counts, to: &$0) }
                try insert.endRow()
            }
        }
        try insert.finish()
    }

    /// `pair_lists`: per store, each product's partners in the baskets of the co-occurrence window.
    func writeLiveLists(_ baskets: Baskets, window: ClosedRange<Int>) throws {
        var byStore: [Int: [Int]] = [:]
        for basket in 0..<baskets.count where window.contains(baskets.day[basket]) { byStore[baskets.store[basket], default: []].append(basket) }
        var counter = PairCounter(products: log.productIDs.count)
        var insert = BulkInsert(db, into: "pair_lists(store_id, kind_id, product_id, pairs)", columns: 4)
        for store in byStore.keys.sorted() {
            try counter.count(byStore[store]!, in: baskets) { product, touched, counts in
                guard touched.contains(where: { counts[Int($0)] != 0 }) else { return }
                insert.int(store); insert.int(CooccurrenceKind.boughtBought.id); insert.int(log.productIDs[Int(product)])
                insert.text { appendList(touched, counts, to: &$0) }
                try insert.endRow()
            }
        }
        try insert.finish()
    }

    // MARK: Live windows

    /// `product_windows`, `store_windows` and `trend_windows`: the history rows summed over the
    /// windows, as ``AggregateTables/fill(_:)`` sums them.
    func writeWindows(_ sums: WindowSums) throws {
        var products = BulkInsert(db, into: "product_windows(window_id, store_id, product_id, \(AggregateTables.productCounters.joined(separator: ", ")))",
                                  columns: 3 + AggregateTables.productCounters.count)
        var stores = BulkInsert(db, into: "store_windows(window_id, store_id, \(AggregateTables.storeCounters.joined(separator: ", ")))",
                                columns: 2 + AggregateTables.storeCounters.count)
        for (index, window) in [AggregateTables.Window.popularity, .cooccurrence].enumerated() {
            for key in sums.products[index].keys.sorted() {
                let c = sums.products[index][key]!
                guard !c.isZero else { continue }
                products.int(window.rawValue); products.int(key.store); products.int(log.productIDs[Int(key.product)])
                for value in [c.viewers, c.carters, c.buyers, c.cancellers, c.viewedThenCarted, c.viewedThenBought] { products.int(value) }
                products.double(c.units); products.int(Self.integer(c.revenue)); products.int(c.orders)
                products.double(c.cancelledUnits); products.int(Self.integer(c.cancelledRevenue)); products.int(c.cancelledOrders)
                products.int(c.coViewers); products.int(c.coBuyers)
                try products.endRow()
            }
            for store in sums.stores[index].keys.sorted() where !sums.stores[index][store]!.isZero {
                let c = sums.stores[index][store]!
                stores.int(window.rawValue); stores.int(store)
                for value in [c.viewers, c.viewedThenCarted, c.viewedThenBought, c.coSessions, c.orders, c.cancelledOrders] { stores.int(value) }
                try stores.endRow()
            }
        }
        try products.finish()
        try stores.finish()

        var insert = BulkInsert(db, into: "trend_windows(store_id, product_id, foreground, background)", columns: 4)
        for key in sums.trends.keys.sorted() {
            let (foreground, background) = sums.trends[key]!
            guard foreground != 0 || background != 0 else { continue }
            insert.int(key.store); insert.int(log.productIDs[Int(key.product)]); insert.int(foreground); insert.int(background)
            try insert.endRow()
        }
        try insert.finish()
    }
}

extension FastRebuild.DayCounters {
    /// Adds a stored day row (its revenue as the integer cents stored).
    mutating func add(_ other: Self, revenue: Int, cancelledRevenue: Int) {
        viewers += other.viewers; carters += other.carters; buyers += other.buyers; cancellers += other.cancellers
        viewedThenCarted += other.viewedThenCarted; viewedThenBought += other.viewedThenBought
        units += other.units; self.revenue += Double(revenue); orders += other.orders
        cancelledUnits += other.cancelledUnits; self.cancelledRevenue += Double(cancelledRevenue); cancelledOrders += other.cancelledOrders
        coViewers += other.coViewers; coBuyers += other.coBuyers
    }
}
