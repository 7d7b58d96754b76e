/// One product's co-occurrence list (`pair_lists.pairs`, `pair_day_lists.pairs`, migration
/// 0010): its partners in ascending id, each with a count that is not zero, stored as the JSON
/// object `{"other_id":together,…}` that SQLite's `json_group_object` writes from rows ordered
/// by other_id — so the incremental path and the SQL rebuild leave the same text.
struct PairList: Equatable {
    var others: [Int] = []
    var counts: [Int] = []

    var isEmpty: Bool { others.isEmpty }

    /// Reads the canonical text; nil when the bytes are anything else (spaces, another order,
    /// a non-integer): ``PairListTable`` then asks SQLite's JSON parser.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> PairList? {
        var list = PairList()
        var index = 0
        let end = bytes.count
        @inline(__always) func number() -> Int? {
            var negative = false
            if index < end && bytes[index] == UInt8(ascii: "-") { negative = true; index += 1 }
            let start = index
            var value = 0
            while index < end, bytes[index] &- 48 < 10 {
                let (times, overflowTimes) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflowSum) = times.addingReportingOverflow(Int(bytes[index] &- 48))
                if overflowTimes || overflowSum { return nil }
                value = sum
                index += 1
            }
            guard index > start, index - start == 1 || bytes[start] != UInt8(ascii: "0") else { return nil }
            return negative ? -value : value
        }
        guard end >= 2, bytes[0] == UInt8(ascii: "{") else { return nil }
        index = 1
        if bytes[1] == UInt8(ascii: "}") { return end == 2 ? list : nil }
        while true {
            guard index < end, bytes[index] == UInt8(ascii: "\"") else { return nil }
            index += 1
            guard let other = number(), other >= 0, index + 1 < end, bytes[index] == UInt8(ascii: "\""),
                  bytes[index + 1] == UInt8(ascii: ":") else { return nil }
            index += 2
            guard let count = number(), count != 0, list.others.last.map({ $0 < other }) ?? true, index < end else { return nil }
            list.others.append(other)
            list.counts.append(count)
            if bytes[index] == UInt8(ascii: "}") { return index + 1 == end ? list : nil }
            guard bytes[index] == UInt8(ascii: ",") else { return nil }
            index += 1
        }
    }

    /// Adds `deltas` (ascending, distinct partners); partners whose count becomes 0 leave.
    func merged(with deltas: ArraySlice<(other: Int, count: Int)>) -> PairList {
        var result = PairList()
        result.others.reserveCapacity(others.count + deltas.count)
        result.counts.reserveCapacity(others.count + deltas.count)
        var i = 0
        var j = deltas.startIndex
        while i < others.count || j < deltas.endIndex {
            let other: Int, count: Int
            if j == deltas.endIndex || (i < others.count && others[i] < deltas[j].other) {
                (other, count) = (others[i], counts[i])
                i += 1
            } else if i == others.count || deltas[j].other < others[i] {
                (other, count) = deltas[j]
                j += 1
            } else {
                (other, count) = (others[i], counts[i] + deltas[j].count)
                i += 1
                j += 1
            }
            if count != 0 {
                result.others.append(other)
                result.counts.append(count)
            }
        }
        return result
    }

    /// The canonical text into `buffer` (cleared first).
    func encode(into buffer: inout [UInt8]) {
        buffer.removeAll(keepingCapacity: true)
        buffer.append(UInt8(ascii: "{"))
        for index in others.indices {
            if index > 0 { buffer.append(UInt8(ascii: ",")) }
            buffer.append(UInt8(ascii: "\""))
            Self.append(others[index], to: &buffer)
            buffer.append(UInt8(ascii: "\""))
            buffer.append(UInt8(ascii: ":"))
            Self.append(counts[index], to: &buffer)
        }
        buffer.append(UInt8(ascii: "}"))
    }

    private static func append(_ value: Int, to buffer: inout [UInt8]) {
        if value < 0 { buffer.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { digits in
            repeat {
                digits[count] = UInt8(magnitude % 10) + 48
                magnitude /= 10
                count += 1
            } while magnitude > 0
            for index in stride(from: count - 1, through: 0, by: -1) { buffer.append(digits[index]) }
        }
    }
}

/// A stored list that is not an object of integer counts (edited by hand or damaged).
public struct PairListError: Error, Sendable, Equatable, CustomStringConvertible {
    public var table: String
    /// The row's key, e.g. "store_id 1, kind_id 3, product_id 42".
    public var key: String
    public var reason: String

    public var description: String {
        "\(table) row (\(key)): \(reason); the lists are {\"other_id\":count,…}: `crosslink aggregates rebuild` recomputes them"
    }
}

/// Reads and rewrites the lists of one table, a row per key (``Key``): the history
/// (`pair_day_lists`, keyed by day, store, kind, product) or the live window (`pair_lists`).
/// Table and column names come only from the two constants; every value is bound.
struct PairListTable {
    struct Key: Equatable {
        var day: Int
        var store: Int
        var kind: Int
        var product: Int
    }

    let db: Database
    let table: String
    private let keyColumns: [String]
    private var buffer: [UInt8] = []

    static func history(_ db: Database) -> PairListTable { PairListTable(db: db, table: "pair_day_lists", keyColumns: ["day", "store_id", "kind_id", "product_id"]) }
    static func live(_ db: Database) -> PairListTable { PairListTable(db: db, table: "pair_lists", keyColumns: ["store_id", "kind_id", "product_id"]) }

    private init(db: Database, table: String, keyColumns: [String]) {
        self.db = db
        self.table = table
        self.keyColumns = keyColumns
    }

    private var keyPredicate: String { keyColumns.enumerated().map { "\($1) = ?\($0 + 1)" }.joined(separator: " AND ") }

    private func bind(_ key: Key, _ statement: Statement) {
        let values = keyColumns.count == 4 ? [key.day, key.store, key.kind, key.product] : [key.store, key.kind, key.product]
        for (index, value) in values.enumerated() { statement.bind(value, at: Int32(index + 1)) }
    }

    private func describe(_ key: Key) -> String {
        (keyColumns.count == 4 ? "day \(key.day), " : "") + "store_id \(key.store), kind_id \(key.kind), product_id \(key.product)"
    }

    /// Adds each key's `deltas` (ascending, distinct partners) to its stored list: one read and
    /// one write per key; a list left empty is deleted.
    mutating func add(_ key: Key, _ deltas: ArraySlice<(other: Int, count: Int)>) throws {
        let select = try db.cachedStatement("SELECT pairs FROM \(table) WHERE \(keyPredicate)")
        select.reset()
        bind(key, select)
        let stored: PairList?
        if try select.step() {
            let fast = select.withUTF8Text(at: 0) { PairList.parse($0) }
            stored = try fast ?? slowParse(select.text(at: 0), key: key)
        } else {
            stored = nil
        }
        select.reset()
        let list = (stored ?? PairList()).merged(with: deltas)
        if list.isEmpty {
            guard stored != nil else { return }
            let delete = try db.cachedStatement("DELETE FROM \(table) WHERE \(keyPredicate)")
            delete.reset()
            bind(key, delete)
            while try delete.step() {}
            return
        }
        let write = try db.cachedStatement(stored == nil
            ? "INSERT INTO \(table)(\(keyColumns.joined(separator: ", ")), pairs) VALUES (\(keyColumns.indices.map { "?\($0 + 1)" }.joined(separator: ", ")), ?\(keyColumns.count + 1))"
            : "UPDATE \(table) SET pairs = ?\(keyColumns.count + 1) WHERE \(keyPredicate)")
        write.reset()
        bind(key, write)
        list.encode(into: &buffer)
        buffer.withUnsafeBufferPointer { write.bindUTF8Text($0, at: Int32(keyColumns.count + 1)) }
        while try write.step() {}
    }

    /// A list that is not in the canonical form, read by SQLite's JSON parser.
    private func slowParse(_ text: String, key: Key) throws -> PairList {
        var entries: [(other: Int, count: Int)] = []
        do {
            guard try db.cachedStatement("SELECT json_type(?1)").map([text], { $0.optionalText(at: 0) }).first == "object" else {
                throw PairListError(table: table, key: describe(key), reason: "not a JSON object")
            }
            try db.cachedStatement("SELECT key, value, typeof(value) FROM json_each(?1)").forEachRow([text]) { row in
                let name = row.text(at: 0)
                guard let other = Int(name), other >= 0 else {
                    throw PairListError(table: table, key: describe(key), reason: "partner \"\(name)\" is not a product id")
                }
                guard row.text(at: 2) == "integer" else {
                    throw PairListError(table: table, key: describe(key), reason: "the count of partner \(other) is not an integer")
                }
                entries.append((other, row.int(at: 1)))
            }
        } catch let error as DatabaseError {
            throw PairListError(table: table, key: describe(key), reason: "not JSON (\(error.message))")
        }
        entries.sort { $0.other < $1.other }
        var list = PairList()
        for entry in entries {
            if list.others.last == entry.other {
                list.counts[list.counts.count - 1] += entry.count
            } else {
                list.others.append(entry.other)
                list.counts.append(entry.count)
            }
        }
        return PairList().merged(with: ArraySlice(zip(list.others, list.counts).map { (other: $0, count: $1) }))
    }

    /// Every list of the history days `range`, as deltas times `sign` (a window move).
    static func historyDeltas(_ db: Database, days range: ClosedRange<Int>, sign: Int) throws -> [PairDelta] {
        var deltas: [PairDelta] = []
        let select = try db.cachedStatement("SELECT day, store_id, kind_id, product_id, pairs FROM pair_day_lists WHERE day BETWEEN ?1 AND ?2")
        let table = PairListTable.history(db)
        try select.forEachRow([range.lowerBound, range.upperBound]) { row in
            let key = Key(day: row.int(at: 0), store: row.int(at: 1), kind: row.int(at: 2), product: row.int(at: 3))
            let list = try row.withUTF8Text(at: 4) { PairList.parse($0) } ?? table.slowParse(row.text(at: 4), key: key)
            for (other, count) in zip(list.others, list.counts) {
                deltas.append(PairDelta(store: key.store, kind: key.kind, day: key.day, product: key.product, other: other, together: sign * count))
            }
        }
        return deltas
    }
}
