import Foundation

/// Compares Crosslink's derived data with what it is derived from: the aggregates and the
/// lists computed from them with a rebuild from the event log, and the rule cache's blocks with
/// the rules' own SQL. Each comparison recomputes in a write transaction and rolls it back, so
/// nothing changes (writers wait for it; a rebuild of a large log takes seconds).
///
/// Used by ``CrosslinkStore/check(_:)`` and by the crash loops (`crosslink torture crash-loop`).
///
/// ```swift
/// if let difference = try DerivedDataVerifier(store).aggregatesMismatch() { print(difference) }
/// ```
public struct DerivedDataVerifier: Sendable {
    public let store: CrosslinkStore
    public init(_ store: CrosslinkStore) { self.store = store }

    private struct Rollback: Error { let mismatch: String? }

    /// Runs `body` in a write transaction that is always rolled back; returns its answer.
    private func rolledBack(_ body: (Database) throws -> String?) throws -> String? {
        do {
            _ = try store.pool.write { db -> Int in throw Rollback(mismatch: try body(db)) }
        } catch let rollback as Rollback {
            return rollback.mismatch
        }
        return nil
    }

    /// The tables a rebuild recomputes: the aggregates and their span.
    static let rebuiltTables = AggregateStatus.tables + ["aggregate_state"]

    /// nil when the aggregates (kept incrementally by ingest) and the lists derived from them
    /// equal a full rebuild from the log, else the first table that differs and a few of its
    /// differing rows. `products`: compare only the rows of these (rolled-up) product ids where a
    /// table has a `product_id` column (a sample); nil: every row.
    ///
    /// Derived lists carry the version of what they were computed from, and are served only
    /// while it is current: a conversion list (`conversion_rank_state`: the store's totals and
    /// prior) must equal the rebuilt one when its version equals the rebuilt version (a list of
    /// another version is not served); neighbour lists must when built from the current log.
    public func aggregatesMismatch(products: [Int]? = nil) throws -> String? {
        try rolledBack { db in
            var tables = Self.rebuiltTables
            // Neighbour lists are served while the log moves on (max_lag_hours) and refreshed by
            // a rebuild: they equal one only when built from the current log.
            let neighboursCurrent = try db.scalarInt("""
                SELECT CASE WHEN n.built_last_at IS NOT NULL AND n.built_last_at = a.last_at THEN 1 ELSE 0 END FROM item_neighbour_state AS n, aggregate_state AS a
                """) == 1
            if neighboursCurrent { tables.append("item_neighbours") }
            func snapshot() throws -> [[[DatabaseValue]]] { try Self.snapshot(db, tables: tables, products: products) }
            func conversionLists() throws -> [[DatabaseValue]: [[DatabaseValue]]] {
                var lists: [[DatabaseValue]: [[DatabaseValue]]] = [:]
                for version in try db.rows("SELECT store_id, metric, viewers, converted, prior, complete FROM conversion_rank_state") {
                    lists[version] = try db.rows("SELECT rank, product_id, converted, viewers, score FROM conversion_ranks WHERE store_id = ? AND metric = ? ORDER BY rank",
                                                 [Self.int(version[0]), Self.int(version[1])])
                }
                return lists
            }
            let (kept, keptLists) = (try snapshot(), try conversionLists())
            try Aggregates(db).rebuild()
            let (rebuilt, rebuiltLists) = (try snapshot(), try conversionLists())
            if let index = tables.indices.first(where: { kept[$0] != rebuilt[$0] }) {
                let extra = Set(kept[index]).subtracting(rebuilt[index]).prefix(2)
                let missing = Set(rebuilt[index]).subtracting(kept[index]).prefix(2)
                return "\(tables[index]): \(kept[index].count) rows kept, \(rebuilt[index].count) after a rebuild; "
                    + "only kept \(Array(extra)), only rebuilt \(Array(missing))"
            }
            for (version, list) in keptLists.sorted(by: { "\($0.key)" < "\($1.key)" }) {
                if let current = rebuiltLists[version], current != list {
                    return "conversion_ranks of store \(version[0]), metric \(version[1]): \(list.count) ranks kept at the current version, "
                        + "\(current.count) after a rebuild; first kept \(list.first ?? []), first rebuilt \(current.first ?? [])"
                }
            }
            return nil
        }
    }

    private static func int(_ value: DatabaseValue) -> Int {
        if case .integer(let v) = value { Int(v) } else { 0 }
    }

    /// The rows of `tables` in primary-key-independent order (every column ascending), only
    /// those of `products` where a table has a `product_id` column (nil: every row).
    static func snapshot(_ db: Database, tables: [String], products: [Int]? = nil) throws -> [[[DatabaseValue]]] {
        // Table names are our constants, never input; the sample is a bound parameter.
        return try tables.map { table in
            let columns = try StoreSchema.columns(db, table: table).map(\.name)
            let order = (1...max(1, columns.count)).map(String.init).joined(separator: ", ")
            guard let products, columns.contains("product_id") else {
                return try db.rows("SELECT * FROM \(table) ORDER BY " + order)
            }
            return try db.rows("SELECT * FROM \(literal: table) WHERE product_id IN \(list: products) ORDER BY \(literal: order)")
        }
    }

    /// nil when every related, up-sell and cross-sell block of `skus` served now (from the rule
    /// cache where it is up to date) equals the same block computed from the rules' SQL with the
    /// cache cleared; else the first difference. `date` and `seed` fix rotation and dates.
    public func ruleCacheMismatch(skus: [String], date: Date = Date(timeIntervalSince1970: 1_700_000_000)) throws -> String? {
        try rolledBack { db in
            let skus = try skus.filter { try ProductRepository(db).id(sku: $0) != nil }
            func blocks() throws -> [String] {
                let placements = Placements(db)
                return try skus.flatMap { sku in
                    [try placements.related(for: sku, date: date, seed: 1), try placements.upsells(for: sku, date: date, seed: 1),
                     try placements.crossSells(cart: [sku], date: date, seed: 1)]
                        .map { "\(sku): " + $0.map { "\($0.sku) (\($0.reason))" }.joined(separator: ", ") }
                }
            }
            let served = try blocks()
            try RuleCache(db).clear()
            let computed = try blocks()
            return zip(served, computed).first { $0 != $1 }.map { "served \($0.0), rules give \($0.1)" }
        }
    }

    /// nil when the neighbour lists' version is consistent: lists that exist were written by a
    /// refresh (which sets `lists_version`) from a log no newer than the aggregated one.
    public func neighbourListsMismatch() throws -> String? {
        try store.read { db in
            let row = try db.rows("""
                SELECT (SELECT count(*) FROM item_neighbours), n.lists_version, n.built_last_at, a.last_at
                FROM item_neighbour_state AS n, aggregate_state AS a
                """)[0]
            guard case .integer(let lists) = row[0], lists > 0 else { return nil }
            if row[1] == .integer(0) { return "\(lists) neighbour lists but lists_version 0 (never refreshed)" }
            if row[2] == .null { return "\(lists) neighbour lists but no built_last_at" }
            if case .integer(let built) = row[2], case .integer(let last) = row[3], built > last {
                return "neighbour lists built at event time \(built), after the aggregated log's last event \(last)"
            }
            return nil
        }
    }
}
