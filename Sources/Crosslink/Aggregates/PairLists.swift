/// A partner and a count of one co-occurrence list.
typealias PairEntry = (other: Int, count: Int)

/// A batch's co-occurrence changes, grouped per product: per day, store, kind and product (the
/// history) or, with day 0, per store, kind and product (the live window). Bought-together
/// groups become the lists of `pair_day_lists` / `pair_lists`, the session kinds' groups rows of
/// `pair_day_rows` / `pair_window_rows` (migration 0010). An order of n products is n·(n−1)
/// directed pairs: grouping them as they are made costs one dictionary lookup per product and
/// order, and each group's few entries are sorted on their own (one sort of the whole batch
/// cost more than the writes).
struct PairDeltas {
    /// day << 34 | store << 2 | kind, and the product: the history table's key order.
    struct Key: Hashable, Comparable {
        var bucket: Int
        var product: Int

        init(store: Int, kind: Int, day: Int, product: Int) {
            bucket = day << 34 | store << 2 | kind
            self.product = product
        }

        var day: Int { bucket >> 34 }
        var store: Int { (bucket >> 2) & 0xFFFF_FFFF }
        var kind: Int { bucket & 3 }

        static func < (a: Key, b: Key) -> Bool { (a.bucket, a.product) < (b.bucket, b.product) }

        /// Binds the key as the pair tables order it, from parameter 1: day (history tables,
        /// `withDay`), store, kind, product. Returns the next parameter.
        @discardableResult
        func bind(_ statement: Statement, withDay: Bool) -> Int32 {
            var index: Int32 = 1
            if withDay { statement.bind(day, at: 1); index = 2 }
            statement.bind(store, at: index)
            statement.bind(kind, at: index + 1)
            statement.bind(product, at: index + 2)
            return index + 3
        }
    }

    private var index: [Key: Int] = [:]
    private var keys: [Key] = []
    private var entries: [[PairEntry]] = []

    var isEmpty: Bool { keys.isEmpty }

    /// Adds `together` to the pairs `product` → each of `others` (not `product` itself).
    mutating func add(store: Int, kind: CooccurrenceKind, day: Int, product: Int, others: some Sequence<Int>, together: Int) {
        let slot = self.slot(Key(store: store, kind: kind.id, day: day, product: product))
        for other in others where other != product { entries[slot].append((other, together)) }
    }

    /// Adds `count` to the pair `key` → `other`.
    mutating func add(_ key: Key, other: Int, count: Int) {
        let slot = self.slot(key)
        entries[slot].append((other, count))
    }

    /// Adds `entries` to the list `key`.
    mutating func add(_ key: Key, _ more: some Sequence<PairEntry>) {
        let slot = self.slot(key)
        entries[slot].append(contentsOf: more)
    }

    private mutating func slot(_ key: Key) -> Int {
        if let slot = index[key] { return slot }
        index[key] = keys.count
        keys.append(key)
        entries.append([])
        return keys.count - 1
    }

    /// The lists in key order, each with its entries in partner order and summed; sums of 0 and
    /// lists left empty are dropped.
    func sortedLists() -> [(key: Key, entries: [PairEntry])] {
        var lists: [(key: Key, entries: [PairEntry])] = []
        lists.reserveCapacity(keys.count)
        for (key, unsorted) in zip(keys, entries) {
            let sorted = unsorted.sorted { $0.other < $1.other }
            var merged: [PairEntry] = []
            merged.reserveCapacity(sorted.count)
            for entry in sorted {
                if merged.last?.other == entry.other {
                    merged[merged.count - 1].count += entry.count
                } else {
                    if merged.last?.count == 0 { merged.removeLast() }
                    merged.append(entry)
                }
            }
            if merged.last?.count == 0 { merged.removeLast() }
            if !merged.isEmpty { lists.append((key, merged)) }
        }
        lists.sort { $0.key < $1.key }
        return lists
    }

    /// The live-window changes of history `lists` whose day is in `window`.
    static func live(_ lists: [(key: Key, entries: [PairEntry])], window: ClosedRange<Int>) -> PairDeltas {
        var live = PairDeltas()
        for (key, entries) in lists where window.contains(key.day) {
            live.add(Key(store: key.store, kind: key.kind, day: 0, product: key.product), entries)
        }
        return live
    }
}

/// The text of one co-occurrence list (`pair_lists.pairs`, `pair_day_lists.pairs`, migration
/// 0010): the JSON object `{"other_id":count,…}` with partners in ascending id and no count of
/// 0, no spaces — what SQLite's `json_group_object` writes from rows ordered by other_id, so
/// the incremental path and the SQL rebuild leave the same text.
enum PairListText {
    /// Adds `deltas` (ascending, distinct partners) to the canonical list `stored` (nil: none)
    /// and writes the result into `buffer` (cleared first). Entries that do not change are
    /// copied as bytes. Returns the number of entries written, or nil when `stored` is not in
    /// the canonical form (hand-edited: the caller normalises it first).
    ///
    /// `spaced`: `stored` is PostgreSQL's text of a jsonb list (`{"1": 2, "10": 3}`, a space
    /// after ':' and ','; keys in ascending numeric order for product ids); the result is then
    /// jsonb input, which the server parses whatever its spacing.
    static func merge(_ stored: UnsafeBufferPointer<UInt8>?, _ deltas: [PairEntry], into buffer: inout [UInt8], spaced: Bool = false) -> Int? {
        buffer.removeAll(keepingCapacity: true)
        buffer.append(UInt8(ascii: "{"))
        var written = 0
        func emit(_ other: Int, _ count: Int) {
            if written > 0 { buffer.append(UInt8(ascii: ",")) }
            buffer.append(UInt8(ascii: "\""))
            append(other, to: &buffer)
            buffer.append(UInt8(ascii: "\""))
            buffer.append(UInt8(ascii: ":"))
            append(count, to: &buffer)
            written += 1
        }
        var next = 0  // the next delta
        if let stored {
            var reader = Reader(bytes: stored, spaced: spaced)
            guard reader.open() else { return nil }
            // Unchanged entries are contiguous in `stored` (with their commas): a run of them
            // is copied at once when a change or the end interrupts it.
            var run: Range<Int>? = nil
            var runEntries = 0
            func flush() {
                guard let range = run else { return }
                if written > 0 { buffer.append(UInt8(ascii: ",")) }
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: stored[range]))
                written += runEntries
                run = nil
                runEntries = 0
            }
            var previous = -1
            while let entry = reader.next() {
                guard entry.other > previous, entry.count != 0 else { return nil }
                previous = entry.other
                if next < deltas.count && deltas[next].other <= entry.other {
                    flush()
                    while next < deltas.count && deltas[next].other < entry.other {
                        if deltas[next].count != 0 { emit(deltas[next].other, deltas[next].count) }
                        next += 1
                    }
                    if next < deltas.count && deltas[next].other == entry.other {
                        let sum = entry.count + deltas[next].count
                        if sum != 0 { emit(entry.other, sum) }
                        next += 1
                        continue
                    }
                }
                run = (run?.lowerBound ?? entry.bytes.lowerBound)..<entry.bytes.upperBound
                runEntries += 1
            }
            guard reader.isComplete else { return nil }
            flush()
        }
        while next < deltas.count {
            if deltas[next].count != 0 { emit(deltas[next].other, deltas[next].count) }
            next += 1
        }
        buffer.append(UInt8(ascii: "}"))
        return written
    }

    /// Reads a canonical list entry by entry; stops (isComplete false) at anything else.
    struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        /// One space is allowed after ':' and ',' (jsonb's text).
        let spaced: Bool
        var index = 0
        private(set) var isComplete = false

        init(bytes: UnsafeBufferPointer<UInt8>, spaced: Bool = false) {
            self.bytes = bytes
            self.spaced = spaced
        }

        private mutating func skipSpace() {
            if spaced && index < bytes.count && bytes[index] == UInt8(ascii: " ") { index += 1 }
        }

        mutating func open() -> Bool {
            guard bytes.count >= 2, bytes[0] == UInt8(ascii: "{") else { return false }
            index = 1
            if bytes[1] == UInt8(ascii: "}") {
                isComplete = bytes.count == 2
                index = bytes.count
            }
            return true
        }

        /// The next entry and its bytes (`"other":count`), or nil at the end or at a deviation.
        mutating func next() -> (other: Int, count: Int, bytes: Range<Int>)? {
            guard !isComplete, index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
            let start = index
            index += 1
            guard let other = number(), other >= 0, index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\""),
                  bytes[index + 1] == UInt8(ascii: ":") else { return nil }
            index += 2
            skipSpace()
            guard let count = number(), index < bytes.count else { return nil }
            let end = index
            switch bytes[index] {
            case UInt8(ascii: "}"): isComplete = index + 1 == bytes.count; guard isComplete else { return nil }
            case UInt8(ascii: ","): index += 1; skipSpace()
            default: return nil
            }
            return (other, count, start..<end)
        }

        /// A JSON integer: optional minus, digits, no leading zero.
        private mutating func number() -> Int? {
            var negative = false
            if index < bytes.count && bytes[index] == UInt8(ascii: "-") { negative = true; index += 1 }
            let start = index
            var value = 0
            while index < bytes.count, bytes[index] &- 48 < 10 {
                let (times, overflowTimes) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflowSum) = times.addingReportingOverflow(Int(bytes[index] &- 48))
                if overflowTimes || overflowSum { return nil }
                value = sum
                index += 1
            }
            guard index > start, index - start == 1 || bytes[start] != UInt8(ascii: "0") else { return nil }
            return negative ? -value : value
        }
    }

    /// Every entry of a canonical list; nil when it is not canonical.
    static func entries(_ bytes: UnsafeBufferPointer<UInt8>, spaced: Bool = false) -> [PairEntry]? {
        var reader = Reader(bytes: bytes, spaced: spaced)
        guard reader.open() else { return nil }
        var entries: [PairEntry] = []
        while let entry = reader.next() {
            guard entry.count != 0, entries.last.map({ $0.other < entry.other }) ?? true else { return nil }
            entries.append((entry.other, entry.count))
        }
        return reader.isComplete ? entries : nil
    }

    private static func append(_ value: Int, to buffer: inout [UInt8]) {
        if value < 0 { buffer.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var divisor: UInt = 1
        while divisor <= magnitude / 10 { divisor *= 10 }
        repeat {
            buffer.append(UInt8(magnitude / divisor) + 48)
            magnitude %= divisor
            divisor /= 10
        } while divisor > 0
    }
}

/// Where pair changes go (migration 0010): bought-together into the lists, the session kinds
/// into rows — of the history (`pair_day_lists`, `pair_day_rows`) or of the live window
/// (`pair_lists`, `pair_window_rows`).
struct PairWrites {
    private let history: Bool
    private var lists: PairListTable
    private var rows: AggregateTables.Upsert

    static func history(_ db: Database) throws -> PairWrites {
        try PairWrites(history: true, lists: .history(db), rows: AggregateTables.Upsert(
            db, table: "pair_day_rows", keys: ["day", "store_id", "kind_id", "product_id", "other_id"], counters: ["together"]))
    }

    static func live(_ db: Database) throws -> PairWrites {
        try PairWrites(history: false, lists: .live(db), rows: AggregateTables.Upsert(
            db, table: "pair_window_rows", keys: ["store_id", "kind_id", "product_id", "other_id"], counters: ["together"]))
    }

    private init(history: Bool, lists: PairListTable, rows: AggregateTables.Upsert) {
        self.history = history
        self.lists = lists
        self.rows = rows
    }

    /// Adds one product's changes (ascending, distinct partners).
    mutating func add(_ key: PairDeltas.Key, _ entries: [PairEntry]) throws {
        if key.kind == CooccurrenceKind.boughtBought.id {
            try lists.add(key, entries)
            return
        }
        let together: Int32 = history ? 6 : 5  // after the key and other_id
        for (other, count) in entries {
            try rows.add(1, mayEmpty: count < 0) { $0.bind(other, at: key.bind($0, withDay: history)) } bindCounters: { $0.bind(count, at: together) }
        }
    }

    /// Writes what PostgreSQL gathered (see ``AggregateTables/Upsert``); nothing on SQLite.
    mutating func flush() throws {
        try lists.flush()
        try rows.flush()
    }
}

/// Reads and rewrites the lists of one table: the history (`pair_day_lists`, keyed by day,
/// store, kind, product) or the live window (`pair_lists`, by store, kind, product). Table and
/// column names come only from the two constructors; every value is bound.
struct PairListTable {
    let db: Database
    let table: String
    private let history: Bool
    private let select: Statement
    private let insert: Statement
    private let update: Statement
    private let delete: Statement
    private var buffer: [UInt8] = []
    /// The lists are jsonb read as text (PostgreSQL, migration 0010).
    private let spaced: Bool
    /// PostgreSQL: the changes gathered for ``flush()``, by list.
    private var pending: [(key: PairDeltas.Key, deltas: [PairEntry])] = []

    static func history(_ db: Database) throws -> PairListTable { try PairListTable(db: db, table: "pair_day_lists", history: true) }
    static func live(_ db: Database) throws -> PairListTable { try PairListTable(db: db, table: "pair_lists", history: false) }

    private init(db: Database, table: String, history: Bool) throws {
        self.db = db
        self.table = table
        self.history = history
        spaced = db.engine == .postgresql
        let keys = (history ? ["day"] : []) + ["store_id", "kind_id", "product_id"]
        let predicate = keys.enumerated().map { "\($1) = ?\($0 + 1)" }.joined(separator: " AND ")
        select = try db.cachedStatement("SELECT pairs FROM \(table) WHERE \(predicate)")
        insert = try db.cachedStatement("INSERT INTO \(table)(\(keys.joined(separator: ", ")), pairs) VALUES (\(keys.indices.map { "?\($0 + 1)" }.joined(separator: ", ")), ?\(keys.count + 1))")
        update = try db.cachedStatement("UPDATE \(table) SET pairs = ?\(keys.count + 1) WHERE \(predicate)")
        delete = try db.cachedStatement("DELETE FROM \(table) WHERE \(predicate)")
        buffer.reserveCapacity(1 << 16)
    }


    func describe(_ key: PairDeltas.Key) -> String {
        (history ? "day \(key.day), " : "") + "store_id \(key.store), kind_id \(key.kind), product_id \(key.product)"
    }

    /// Adds `deltas` (ascending, distinct partners) to the list `key`: one read and one write;
    /// a list left empty is deleted. On PostgreSQL the change waits for ``flush()``.
    mutating func add(_ key: PairDeltas.Key, _ deltas: [PairEntry]) throws {
        if spaced {
            pending.append((key, deltas))
            return
        }
        select.reset()
        key.bind(select, withDay: history)
        defer { select.reset() }  // also when reading or normalising the list throws
        var written: Int?
        let exists = try select.step()
        if exists {
            written = select.withUTF8Text(at: 0) { PairListText.merge($0, deltas, into: &buffer, spaced: spaced) }
            if written == nil {
                let canonical = try normalise(select.text(at: 0), key: key)
                written = canonical.withUnsafeBufferPointer { PairListText.merge($0, deltas, into: &buffer) }
            }
        } else {
            written = PairListText.merge(nil, deltas, into: &buffer)
        }
        select.reset()  // done reading before the row is written
        guard let written else { throw StoreError.malformedPairList(table: table, key: describe(key), reason: "cannot be merged") }
        let statement = written == 0 ? (exists ? delete : nil) : exists ? update : insert
        guard let statement else { return }
        statement.reset()
        let pairs = key.bind(statement, withDay: history)
        if written > 0 { buffer.withUnsafeBufferPointer { statement.bindUTF8Text($0, at: pairs) } }
        while try statement.step() {}
        statement.reset()
    }

    /// PostgreSQL: applies the gathered changes set-wise: one read of every list they touch,
    /// the merges in memory, one upsert of the new texts and one delete of the lists left
    /// empty, instead of a read and a write per list. The lists of one batch are distinct.
    mutating func flush() throws {
        guard !pending.isEmpty else { return }
        defer { pending.removeAll(keepingCapacity: true) }
        let keys = (history ? ["day"] : []) + ["store_id", "kind_id", "product_id"]
        var wanted: [UInt8] = Array("[".utf8)
        for (ord, change) in pending.enumerated() {
            if ord > 0 { wanted.append(UInt8(ascii: ",")) }
            let values = (history ? [change.key.day] : []) + [change.key.store, change.key.kind, change.key.product]
            wanted.append(contentsOf: "{\"ord\":\(ord)".utf8)
            for (name, value) in zip(keys, values) { wanted.append(contentsOf: ",\"\(name)\":\(value)".utf8) }
            wanted.append(UInt8(ascii: "}"))
        }
        wanted.append(UInt8(ascii: "]"))
        let read = try db.cachedStatement("""
            SELECT u.ord, t.pairs FROM jsonb_to_recordset(CAST(?1 AS jsonb)) AS u(ord bigint, \(keys.map { "\($0) bigint" }.joined(separator: ", ")))
            JOIN \(table) AS t ON \(keys.map { "t.\($0) = u.\($0)" }.joined(separator: " AND "))
            """)
        read.reset()
        defer { read.reset() }
        read.bind(String(decoding: wanted, as: UTF8.self), at: 1)
        var written: [Int?] = Array(repeating: nil, count: pending.count)
        var merged: [[UInt8]?] = Array(repeating: nil, count: pending.count)
        var exists = Array(repeating: false, count: pending.count)
        while try read.step() {
            let ord = read.int(at: 0)
            exists[ord] = true
            var count = read.withUTF8Text(at: 1) { PairListText.merge($0, pending[ord].deltas, into: &buffer, spaced: true) }
            if count == nil {
                let canonical = try normalise(read.text(at: 1), key: pending[ord].key)
                count = canonical.withUnsafeBufferPointer { PairListText.merge($0, pending[ord].deltas, into: &buffer) }
            }
            guard let count else {
                throw StoreError.malformedPairList(table: table, key: describe(pending[ord].key), reason: "cannot be merged")
            }
            written[ord] = count
            merged[ord] = buffer
        }
        read.reset()
        let upserts = try AggregateRowBatch(db, table: table, columns: keys + ["pairs"], jsonColumns: ["pairs"])
        let deletes = try AggregateRowBatch(db, table: table, columns: keys)
        for (ord, change) in pending.enumerated() {
            if !exists[ord] { written[ord] = PairListText.merge(nil, change.deltas, into: &buffer); merged[ord] = buffer }
            if written[ord] == 0 {
                if exists[ord] { deletes.add { change.key.bind($0, withDay: history) } }
            } else if let text = merged[ord] {
                upserts.add { statement in
                    let pairs = change.key.bind(statement, withDay: history)
                    text.withUnsafeBufferPointer { statement.bindUTF8Text($0, at: pairs) }
                }
            }
        }
        let keyList = keys.joined(separator: ", ")
        try upserts.run(db, """
            INSERT INTO \(table)(\(keyList), pairs) \(upserts.rowsSQL(keys.map { "r.\($0)" } + ["r.pairs"]))
            ON CONFLICT (\(keyList)) DO UPDATE SET pairs = excluded.pairs
            """)
        try deletes.run(db, "DELETE FROM \(table) WHERE (\(keyList)) IN (\(deletes.rowsSQL(keys.map { "r.\($0)" })))")
    }

    /// A list that is not in the canonical form, read by the engine's JSON parser and rewritten
    /// canonically (partners sorted, repeated ones summed, zeros dropped). On PostgreSQL the
    /// column is jsonb (always an object): a count is an integer when its text is one.
    func normalise(_ text: String, key: PairDeltas.Key) throws -> [UInt8] {
        var deltas = PairDeltas()
        let listKey = PairDeltas.Key(store: 0, kind: 0, day: 0, product: 0)
        let sqlite = db.engine == .sqlite
        do {
            let type = sqlite ? "SELECT json_type(?1)" : "SELECT jsonb_typeof(CAST(?1 AS jsonb))"
            guard try db.cachedStatement(type).map([text], { $0.optionalText(at: 0) }).first == "object" else {
                throw StoreError.malformedPairList(table: table, key: describe(key), reason: "not a JSON object")
            }
            let each = sqlite ? "SELECT key, value, typeof(value) FROM json_each(?1)"
                : "SELECT key, CAST(value AS text), jsonb_typeof(value) FROM jsonb_each(CAST(?1 AS jsonb)) AS e"
            try db.cachedStatement(each).forEachRow([text]) { row in
                let name = row.text(at: 0)
                guard let other = Int(name), other >= 0 else {
                    throw StoreError.malformedPairList(table: table, key: describe(key), reason: "partner \"\(name)\" is not a product id")
                }
                let count = sqlite ? (row.text(at: 2) == "integer" ? row.int(at: 1) : nil) : Int(row.text(at: 1))
                guard let count else {
                    throw StoreError.malformedPairList(table: table, key: describe(key), reason: "the count of partner \(other) is not an integer")
                }
                deltas.add(listKey, [(other, count)])
            }
        } catch let error as DatabaseError {
            throw StoreError.malformedPairList(table: table, key: describe(key), reason: "not JSON (\(error.message))")
        }
        var canonical: [UInt8] = []
        _ = PairListText.merge(nil, deltas.sortedLists().first?.entries ?? [], into: &canonical)
        return canonical
    }

    /// Every list of the history days `range`, times `sign`, as live-window changes (a window
    /// move).
    static func liveDeltas(_ db: Database, days range: ClosedRange<Int>, sign: Int) throws -> PairDeltas {
        var deltas = PairDeltas()
        let history = try PairListTable.history(db)
        try db.cachedStatement("SELECT day, store_id, kind_id, product_id, pairs FROM pair_day_lists WHERE day BETWEEN ?1 AND ?2")
            .forEachRow([range.lowerBound, range.upperBound]) { row in
                let key = PairDeltas.Key(store: row.int(at: 1), kind: row.int(at: 2), day: row.int(at: 0), product: row.int(at: 3))
                let entries = try row.withUTF8Text(at: 4) { PairListText.entries($0, spaced: db.engine == .postgresql) }
                    ?? history.normalise(row.text(at: 4), key: key).withUnsafeBufferPointer { PairListText.entries($0) } ?? []
                deltas.add(PairDeltas.Key(store: key.store, kind: key.kind, day: 0, product: key.product), entries.map { ($0.other, sign * $0.count) })
            }
        return deltas
    }
}
