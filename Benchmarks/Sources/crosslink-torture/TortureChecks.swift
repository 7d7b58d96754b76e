import Crosslink
import Foundation

/// Checks the crash loop runs after each kill.
enum TortureCheck {
    /// The products and carts whose blocks the rule check compares.
    static let ruleCheckSKUs = ["24-MB01", "24-MB04", "24-WB04", "24-UG06", "MH01", "MJ12", "WS03", "24-WG085_Group", "MSH02", "WJ01"]

    /// Whether placements read the rule cache now: no full rebuild due and no product changed
    /// since the last refresh (the rules engineer's `rule_cache_state` and `rule_cache_dirty`).
    static func ruleCacheInUse(_ store: CrosslinkStore) throws -> Bool {
        try store.read { db in
            try db.scalarInt("SELECT full_rebuild = 0 AND NOT EXISTS (SELECT 1 FROM rule_cache_dirty) FROM rule_cache_state") == 1
        }
    }

    /// nil when every block of ``ruleCheckSKUs`` served now equals the rules' SQL (see
    /// ``DerivedDataVerifier/ruleCacheMismatch(skus:date:)``); else the first difference.
    static func ruleCacheMismatch(_ store: CrosslinkStore) throws -> String? {
        try DerivedDataVerifier(store).ruleCacheMismatch(skus: ruleCheckSKUs)
    }

    /// `PRAGMA integrity_check`'s answer: "ok", or its findings joined.
    static func integrity(_ store: CrosslinkStore) throws -> String {
        try store.read { db in try db.prepare("PRAGMA integrity_check").map { $0.text(at: 0) }.joined(separator: "; ") }
    }

    /// Checks an events database the `events` children wrote, adding what it finds to `summary`;
    /// returns the number of stored events. Batches are atomic and sequential, so the stored ids
    /// must be exactly ev-0 … ev-(count-1), with count the acknowledged end or (`batchEnds`) the
    /// end of a batch sent but not acknowledged. Events from `verifiedEnd` on are compared field
    /// by field; integrity_check and the aggregates (against a rebuild) are checked every time.
    static func checkEventLog(_ store: CrosslinkStore, acknowledgedEnd: Int, batchEnds: Set<Int>?, verifiedEnd: Int,
                              after moment: String, into summary: inout CrashLoop.Summary) throws -> Int {
        let integrity = try integrity(store)
        if integrity != "ok" {
            summary.integrityFailures += 1
            summary.failures.append("integrity_check after \(moment): \(integrity)")
        }
        let (count, maxKey, distinct) = try store.read { db in
            let row = try db.rows("SELECT count(*), max(CAST(substr(event_key, 4) AS INTEGER)), count(DISTINCT event_key) FROM events")[0]
            func int(_ value: DatabaseValue) -> Int { if case .integer(let v) = value { Int(v) } else { -1 } }
            return (int(row[0]), int(row[1]), int(row[2]))
        }
        if distinct != count { summary.duplicates += count - distinct }
        if count > 0 && maxKey != count - 1 {
            summary.partialBatches += 1
            summary.failures.append("stored ids are not ev-0…ev-\(count - 1) (highest ev-\(maxKey)) after \(moment)")
        }
        if count < acknowledgedEnd {
            summary.lostAcknowledged += acknowledgedEnd - count
            summary.failures.append("\(acknowledgedEnd - count) acknowledged events lost after \(moment)")
        } else if count > acknowledgedEnd, let batchEnds {
            if batchEnds.contains(count) {
                summary.redeliveredBatches += 1  // committed, not acknowledged: the next child sends it again
            } else {
                summary.partialBatches += 1
                summary.failures.append("\(count) events stored, acknowledged up to \(acknowledgedEnd), not a batch end, after \(moment)")
            }
        }
        let from = min(verifiedEnd, count)
        let mismatches = try compareEvents(store, range: from..<count)
        summary.eventsChecked += count - from
        summary.eventMismatches += mismatches.count
        summary.failures += mismatches
        if let mismatch = try aggregatesMismatch(store) {
            summary.aggregateMismatches += 1
            summary.failures.append("aggregates after \(moment): \(mismatch)")
        }
        return count
    }

    /// Stored events in `range` compared with ``TortureWorkload/event(_:)``, field by field.
    static func compareEvents(_ store: CrosslinkStore, range: Range<Int>) throws -> [String] {
        guard !range.isEmpty else { return [] }
        return try store.read { db in
            var failures: [String] = []
            let statement = try db.prepare("""
                SELECT e.event_key, e.type, e.occurred_at, e.visitor_id, e.session_id, e.sku, e.order_id, e.quantity, e.price,
                       (SELECT group_concat(l.sku || '×' || l.quantity || '@' || l.price, ';') FROM
                           (SELECT * FROM event_lines WHERE event_seq = e.event_seq ORDER BY line) AS l)
                FROM events AS e WHERE e.event_key = ?
                """)
            for i in range {
                let event = TortureWorkload.event(i)
                try statement.bind([event.id])
                guard try statement.step() else {
                    failures.append("event \(event.id) missing")
                    continue
                }
                let lines = event.lines.map { "\($0.sku)×\($0.quantity)@\($0.price)" }.joined(separator: ";")
                let time = String(TortureWorkload.baseMilliseconds + Int64(i) * 1_000)
                let quantity: String? = event.quantity.map { "\($0)" }
                let price: String? = event.price.map { "\($0)" }
                let expected: [String?] = [event.id, event.type.rawValue, time, event.visitorID, event.sessionID, event.sku,
                                           event.orderID, quantity, price, lines.isEmpty ? nil : lines]
                var actual: [String?] = []
                for column in Int32(0)..<10 {
                    if statement.isNull(at: column) {
                        actual.append(nil)
                    } else if column == 7 || column == 8 {
                        actual.append("\(statement.double(at: column))")
                    } else {
                        actual.append(statement.text(at: column))
                    }
                }
                if actual != expected { failures.append("event \(event.id): stored \(actual), expected \(expected)") }
            }
            return failures
        }
    }

    /// nil when the aggregates equal a full rebuild from the log (see
    /// ``DerivedDataVerifier/aggregatesMismatch(products:)``), else the first table that differs.
    static func aggregatesMismatch(_ store: CrosslinkStore) throws -> String? {
        try DerivedDataVerifier(store).aggregatesMismatch()
    }

    enum ImportState: Equatable, CustomStringConvertible {
        case generation(Int)
        case mixed(String)
        var description: String {
            switch self {
            case .generation(let g): "every product at generation \(g)"
            case .mixed(let detail): detail
            }
        }
    }

    /// Which generation the IMP-* products hold, if one whole generation; `.generation(0)` = none.
    static func importState(_ store: CrosslinkStore, products: Int) throws -> ImportState {
        try store.read { db in
            let count = try db.scalarInt("SELECT count(*) FROM products WHERE sku LIKE 'IMP-%'") ?? 0
            if count == 0 { return .generation(0) }
            guard count == products else { return .mixed("\(count) of \(products) products") }
            let names = try db.rows("""
                SELECT DISTINCT CAST(substr(name, 12, instr(substr(name, 12), ' ') - 1) AS INTEGER) FROM products WHERE sku LIKE 'IMP-%'
                """)
            let attributes = try db.rows("""
                SELECT DISTINCT pa.value FROM product_attributes AS pa JOIN attributes AS a USING (attribute_id)
                JOIN products AS p USING (product_id) WHERE a.code = 'torture_generation' AND p.sku LIKE 'IMP-%'
                """)
            let prices = try db.rows("SELECT DISTINCT CAST(price AS INTEGER) FROM products WHERE sku LIKE 'IMP-%'")
            let links = try db.scalarInt("""
                SELECT count(*) FROM product_links AS l JOIN products AS p USING (product_id) WHERE p.sku LIKE 'IMP-%' AND l.link_type_id = 1
                """) ?? 0
            guard names.count == 1, case .integer(let g) = names[0][0] else { return .mixed("names of several generations: \(names)") }
            guard attributes == [[.text(String(g))]] else { return .mixed("generation \(g) names, attributes \(attributes)") }
            guard prices == [[.integer(g)]] else { return .mixed("generation \(g) names, prices \(prices)") }
            guard links == 3 * products else { return .mixed("generation \(g), \(links) related links") }
            return .generation(Int(g))
        }
    }
}
