import Foundation
import Synchronization

/// Recommended for you from the neighbour lists (``ItemNeighbours``), summed in Swift: one
/// statement reads the visitor's products (interactions, the key of each one's list), the
/// history's weights and the sums over the lists (parsed once per refresh and process,
/// ``NeighbourListCache``) are made here, and a second statement checks displayability and the
/// unit's filter for the best candidates only, with the SKUs their reasons name. Same answers
/// as the SQL form `RecommendationSQL.forYouNeighbours` (tested): in SQL the sums cost ≈ 0.5 µs
/// per list entry (json_each, GROUP BY), here a few nanoseconds.
struct NeighbourRanking {
    let db: Database

    /// The request: what `RecommendationSQL.history` and the exclusions need.
    struct Request: Sendable {
        var storeID: Int
        var visitor: String
        /// `item_neighbour_state.lists_version` of the served lists.
        var listsVersion: Int
        /// The co-occurrence window's start and the latest event (Unix ms): `:since`, `:now`.
        var since: Int64
        var now: Int64
        var excluded: Set<Int>
        var limit: Int
        var filter: CandidateFilter?
    }

    /// One candidate's sum and the strongest contribution (the reason).
    struct Candidate {
        var score = 0.0
        var best = -Double.infinity
        var together = 0
        var kind = 1
        var interaction = 1
        var source = 0  // index into the history

        mutating func add(_ term: Double, contribution: Double, together: Int, kind: Int, interaction: Int, source: Int) {
            score += term
            guard contribution > best else { return }
            (best, self.together, self.kind, self.interaction, self.source) = (contribution, together, kind, interaction, source)
        }
    }

    /// One product of the visitor's history, as `RecommendationSQL.history` weighs it.
    struct HistoryProduct {
        var id: Int
        var weight: Double
        var interaction: Int
        /// `item_neighbours.list_key`, nil when the product has no list.
        var listKey: Int?
    }

    func run(_ query: Recommender.Query, _ request: Request) throws -> [Recommendation] {
        let (history, bought) = try visitorHistory(request, settings: query.settings)
        let lists = try NeighbourListCache.of(db).lists(history.compactMap(\.listKey), database: db, version: request.listsVersion)
        var candidates = CandidateTable()
        for (index, product) in history.enumerated() {
            guard let key = product.listKey, let list = lists[key] else { continue }
            for n in list {
                candidates.add(Int(n.other), product.weight * n.similarity, contribution: product.weight * n.best, together: Int(n.together),
                               kind: Int(n.kind), interaction: product.interaction, source: index)
            }
        }
        // Exclusions once per candidate, not per list entry.
        for id in bought { candidates.remove(id) }
        for id in request.excluded { candidates.remove(id) }
        guard candidates.count > 0 else { return [] }

        // Best first; the displayable ones among the next few (ties with the last included)
        // until `limit` are found. A candidate left out scores less than every one looked up,
        // so the final order — score, then SKU as in SQL — is exact.
        let ranked = candidates.slotsByScore()
        var found: [(id: Int, sku: String, name: String, price: Double?, source: String, candidate: Candidate)] = []
        var next = 0
        var chunk = request.limit + 2  // hidden or filtered candidates are the exception
        while found.count < request.limit && next < ranked.count {
            var end = min(next + chunk, ranked.count)
            while end < ranked.count && candidates.values[ranked[end]].score == candidates.values[ranked[end - 1]].score { end += 1 }
            let prepared = try db.statement(RecommendationSQL.neighbourCandidates, condition: request.filter?.condition)
            let check = prepared.statement
            defer { check.reset() }
            prepared.bind(request.storeID, "store")
            let pairs = ranked[next..<end].map { "[\(candidates.keys[$0]),\(history[candidates.values[$0].source].id)]" }
            prepared.bind("[" + pairs.joined(separator: ",") + "]", "candidates")
            while try check.step() {
                let id = check.int(at: 0)
                found.append((id, check.text(at: 1), check.text(at: 2), check.optionalDouble(at: 3), check.text(at: 4),
                              candidates.values[candidates.slot(id)]))
            }
            next = end
            chunk *= 4
        }
        found.sort { $0.candidate.score != $1.candidate.score ? $0.candidate.score > $1.candidate.score : $0.sku < $1.sku }
        return found.prefix(request.limit).map { f in
            Recommendation(type: query.type, productID: f.id, sku: f.sku, name: f.name, finalPrice: f.price, score: f.candidate.score,
                           reason: .history(sku: f.source, interaction: f.candidate.interaction, kind: f.candidate.kind, together: f.candidate.together))
        }
    }

    /// The visitor's history — `RecommendationSQL.history`: products with an interaction since
    /// the window's start, weight = the strongest of view 1, add-to-cart 2, purchase 3, each
    /// halved every half-life before now; the `historyProducts` weightiest (then by id), weight
    /// > 0 — and every product the visitor bought.
    func visitorHistory(_ request: Request, settings: RecommendationSettings) throws -> ([HistoryProduct], [Int]) {
        let statement = try db.cachedStatement(RecommendationSQL.neighbourVisitorProducts)
        statement.reset()
        defer { statement.reset() }
        statement.bind(request.storeID, at: 1)
        statement.bind(request.visitor, at: 2)
        let halfLife = settings.historyHalfLifeDays * 86_400_000.0
        func recent(_ column: Int32) -> Bool { !statement.isNull(at: column) && Int64(statement.int(at: column)) >= request.since }
        func decayed(_ column: Int32, _ factor: Double) -> Double {
            recent(column) ? factor * pow(0.5, Double(request.now - Int64(statement.int(at: column))) / halfLife) : 0
        }
        var history: [HistoryProduct] = []
        var bought: [Int] = []
        while try statement.step() {
            let id = statement.int(at: 0)
            if statement.int(at: 4) != 0 { bought.append(id) }
            guard recent(1) || recent(2) || recent(3) else { continue }
            history.append(HistoryProduct(id: id, weight: max(decayed(1, 1), decayed(2, 2), decayed(3, 3)),
                                          interaction: recent(3) ? 3 : recent(2) ? 2 : 1, listKey: statement.optionalInt(at: 5)))
        }
        history.sort { $0.weight != $1.weight ? $0.weight > $1.weight : $0.id < $1.id }
        return (Array(history.prefix(settings.historyProducts).filter { $0.weight > 0 }), bought)
    }
}

/// One entry of a neighbour list, parsed (32 bytes: the cache holds millions).
struct Neighbour {
    var similarity: Double
    var best: Double
    var other: UInt32
    var together: Int32
    var kind: UInt8

    init(other: Int, similarity: Double, best: Double, kind: Int, together: Int) {
        (self.similarity, self.best) = (similarity, best)
        self.other = UInt32(truncatingIfNeeded: other)  // product ids are < 2^32 (item_neighbours' CHECK)
        self.together = Int32(clamping: together)
        self.kind = UInt8(truncatingIfNeeded: kind)
    }
}

extension StoreCaches.Namespace {
    static let neighbourLists = StoreCaches.Namespace("neighbour lists", limit: 1)
}

/// Parsed neighbour lists, shared by the connections of a store (``StoreCaches``): a list changes only when
/// a refresh (or a hand edit, by trigger) replaces `item_neighbour_state.lists_version`, so a
/// product's list is parsed once per version instead of once per request — parsing was a third
/// of a request. Holds one version per database file (a reader still on an older version
/// parses its own and replaces it: never stale, at worst parsed again) and at most `capacity`
/// entries in all (then it starts over).
final class NeighbourListCache: Sendable {
    /// The store's cache: 2 M entries (64 MiB), every list of the shipped Online Retail log (1.9 M entries).
    static func of(_ db: Database) -> NeighbourListCache {
        db.caches.value(.neighbourLists, "") { NeighbourListCache(capacity: 2_000_000) }
    }

    private struct Lists {
        var version: Int
        var lists: [Int: [Neighbour]] = [:]
    }
    private let state = Mutex<(files: [String: Lists], entries: Int)>(([:], 0))
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// The lists `keys` (list_key values) of `database` at `version`, read and parsed when missing.
    func lists(_ keys: [Int], database db: Database, version: Int) throws -> [Int: [Neighbour]] {
        // An in-memory or temporary database has no name that identifies it across connections.
        let file = db.path.isEmpty || db.path.hasPrefix(":memory:") ? nil : db.path
        var found: [Int: [Neighbour]] = [:]
        var missing: [Int] = []
        state.withLock { state in
            let cached = file.flatMap { state.files[$0] }.flatMap { $0.version == version ? $0 : nil }
            for key in keys {
                if let list = cached?.lists[key] { found[key] = list } else { missing.append(key) }
            }
        }
        guard !missing.isEmpty else { return found }
        let read = try db.cachedStatement("SELECT store_id, product_id, neighbours FROM item_neighbours WHERE list_key = ?")
        var parsed: [Int: [Neighbour]] = [:]
        for key in missing {
            read.reset()
            defer { read.reset() }
            read.bind(key, at: 1)
            guard try read.step() else { continue }
            var list: [Neighbour] = []
            let malformed = read.withUTF8Text(at: 2) { text in
                NeighbourList.parse(text) { list.append(Neighbour(other: $0, similarity: $1, best: $2, kind: $3, together: $4)) }
            }
            if let offset = malformed { throw StoreError.malformedNeighbourList(storeID: read.int(at: 0), productID: read.int(at: 1), offset: offset) }
            parsed[key] = list
        }
        found.merge(parsed) { $1 }
        guard let file else { return found }
        state.withLock { state in
            if state.files[file]?.version != version {
                state.entries -= state.files[file]?.lists.values.reduce(0) { $0 + $1.count } ?? 0
                state.files[file] = Lists(version: version)
            }
            if state.entries + parsed.values.reduce(0, { $0 + $1.count }) > capacity { state = ([file: Lists(version: version)], 0) }
            for (key, list) in parsed where state.files[file]!.lists[key] == nil {
                state.files[file]!.lists[key] = list
                state.entries += list.count
            }
        }
        return found
    }
}

/// The candidates' sums by product id: open addressing with linear probing and a
/// multiplicative hash — a visitor's ≈ 500 list entries are summed in a few microseconds, where
/// a Dictionary's SipHash per entry cost more than the whole SQL part.
struct CandidateTable {
    /// Product ids (0: empty slot; ids start at 1) and their sums, capacity a power of two.
    private(set) var keys = [Int](repeating: 0, count: 1_024)
    private(set) var values = [NeighbourRanking.Candidate](repeating: NeighbourRanking.Candidate(), count: 1_024)
    private(set) var count = 0

    /// The slot of `id`, or the empty slot where it would go.
    func slot(_ id: Int) -> Int {
        let mask = keys.count - 1
        var slot = Int(truncatingIfNeeded: (UInt64(bitPattern: Int64(id)) &* 0x9E37_79B9_7F4A_7C15) >> 40) & mask
        while keys[slot] != 0 && keys[slot] != id { slot = (slot + 1) & mask }
        return slot
    }

    mutating func add(_ id: Int, _ term: Double, contribution: Double, together: Int, kind: Int, interaction: Int, source: Int) {
        var slot = slot(id)
        if keys[slot] == 0 {
            if (count + 1) * 2 > keys.count {
                grow()
                slot = self.slot(id)
            }
            keys[slot] = id
            count += 1
        }
        values[slot].add(term, contribution: contribution, together: together, kind: kind, interaction: interaction, source: source)
    }

    /// Drops `id` (an excluded product): its slot keeps the key with a score of -∞, so probing
    /// still passes it, and ranking skips it.
    mutating func remove(_ id: Int) {
        let slot = slot(id)
        guard keys[slot] == id, values[slot].score != -.infinity else { return }
        values[slot].score = -.infinity
        count -= 1
    }

    /// The occupied slots, highest score first.
    func slotsByScore() -> [Int] {
        var scored: [(score: Double, slot: Int)] = []
        scored.reserveCapacity(count)
        for slot in keys.indices where keys[slot] != 0 && values[slot].score != -.infinity { scored.append((values[slot].score, slot)) }
        scored.sort { $0.score > $1.score }
        return scored.map(\.slot)
    }

    private mutating func grow() {
        let (oldKeys, oldValues) = (keys, values)
        keys = [Int](repeating: 0, count: oldKeys.count * 2)
        values = [NeighbourRanking.Candidate](repeating: NeighbourRanking.Candidate(), count: oldKeys.count * 2)
        for (slot, id) in oldKeys.enumerated() where id != 0 {
            let new = self.slot(id)
            keys[new] = id
            values[new] = oldValues[slot]
        }
    }
}

/// The JSON of one `item_neighbours.neighbours`: `[[other_id, similarity, best, kind_id, together], …]`,
/// read byte-wise. Numbers are as the refresh writes them (integers; reals with 9 significant
/// digits), which this reads exactly: a mantissa below 2^53 scaled by a power of ten up to 10^22
/// is one correctly rounded operation (other numbers take the slow, exact path).
enum NeighbourList {
    /// Calls `entry` for each neighbour; returns nil, or the byte offset where the text is not such a list.
    static func parse(_ text: UnsafeBufferPointer<UInt8>, _ entry: (Int, Double, Double, Int, Int) -> Void) -> Int? {
        var reader = Reader(text)
        guard reader.take(UInt8(ascii: "[")) else { return reader.offset }
        if reader.take(UInt8(ascii: "]")) { return reader.atEnd ? nil : reader.offset }
        repeat {
            guard reader.take(UInt8(ascii: "[")), let other = reader.integer(), reader.take(UInt8(ascii: ",")),
                  let similarity = reader.real(), reader.take(UInt8(ascii: ",")), let best = reader.real(), reader.take(UInt8(ascii: ",")),
                  let kind = reader.integer(), reader.take(UInt8(ascii: ",")), let together = reader.integer(), reader.take(UInt8(ascii: "]"))
            else { return reader.offset }
            entry(other, similarity, best, kind, together)
        } while reader.take(UInt8(ascii: ","))
        return reader.take(UInt8(ascii: "]")) && reader.atEnd ? nil : reader.offset
    }

    /// A cursor over the text; every read checks the end.
    struct Reader {
        let start: UnsafePointer<UInt8>
        let end: UnsafePointer<UInt8>
        var at: UnsafePointer<UInt8>

        init(_ text: UnsafeBufferPointer<UInt8>) {
            // An empty buffer may have no base address: read it as one that ends at once.
            start = text.baseAddress ?? UnsafePointer(bitPattern: 1)!
            end = start + text.count
            at = start
        }

        var offset: Int { at - start }
        var atEnd: Bool { at == end }

        @inline(__always) mutating func take(_ byte: UInt8) -> Bool {
            while at < end && (at.pointee == 0x20 || at.pointee == 0x0A || at.pointee == 0x09 || at.pointee == 0x0D) { at += 1 }
            guard at < end && at.pointee == byte else { return false }
            at += 1
            return true
        }

        @inline(__always) mutating func integer() -> Int? {
            guard let (negative, mantissa, exponent) = number(), exponent == 0, mantissa <= UInt64(Int.max) else { return nil }
            return negative ? -Int(mantissa) : Int(mantissa)
        }

        @inline(__always) mutating func real() -> Double? {
            let first = at
            guard let (negative, mantissa, exponent) = number() else { return nil }
            guard mantissa < 1 << 53, exponent >= -22, exponent <= 22 else {
                // Longer than the refresh writes: the library's correctly rounded parse.
                return Double(String(decoding: UnsafeBufferPointer(start: first, count: at - first), as: UTF8.self))
            }
            let value = exponent < 0 ? Double(mantissa) / Self.powerOfTen(-exponent) : Double(mantissa) * Self.powerOfTen(exponent)
            return negative ? -value : value
        }

        /// -?digits(.digits)?([eE][+-]?digits)? as sign, mantissa (all the digits; UInt64.max when
        /// more than 19, which sends a real to the slow path) and decimal exponent.
        @inline(__always) mutating func number() -> (Bool, UInt64, Int)? {
            while at < end && at.pointee == 0x20 { at += 1 }
            var negative = false
            if at < end && at.pointee == UInt8(ascii: "-") { negative = true; at += 1 }
            var mantissa: UInt64 = 0, digits = 0, exponent = 0
            while at < end && at.pointee &- 0x30 < 10 {
                mantissa = mantissa &* 10 &+ UInt64(at.pointee &- 0x30)
                digits += 1
                at += 1
            }
            if at < end && at.pointee == UInt8(ascii: ".") {
                at += 1
                let fraction = at
                while at < end && at.pointee &- 0x30 < 10 {
                    mantissa = mantissa &* 10 &+ UInt64(at.pointee &- 0x30)
                    at += 1
                }
                digits += at - fraction
                exponent = fraction - at
            }
            guard digits > 0 else { return nil }
            if digits > 19 { mantissa = .max }
            if at < end && (at.pointee | 0x20) == UInt8(ascii: "e") {
                at += 1
                var sign = 1, value = 0, seen = false
                if at < end && (at.pointee == UInt8(ascii: "-") || at.pointee == UInt8(ascii: "+")) {
                    sign = at.pointee == UInt8(ascii: "-") ? -1 : 1
                    at += 1
                }
                while at < end && at.pointee &- 0x30 < 10 { value = min(value * 10 + Int(at.pointee &- 0x30), 100_000); seen = true; at += 1 }
                guard seen else { return nil }
                exponent += sign * value
            }
            return (negative, mantissa, exponent)
        }

        /// 10^n for 0 ≤ n ≤ 22, each exact in a Double.
        @inline(__always) static func powerOfTen(_ n: Int) -> Double { tens[n] }
        static let tens: [Double] = (0...22).map { n in (0..<n).reduce(1.0) { value, _ in value * 10 } }
    }
}
