import Foundation
import Testing
@testable import Crosslink

/// Crash loops: `crosslink-torture crash-loop` (Benchmarks/, see ``TortureDrills``) starts a writing child, kills it
/// with SIGKILL at random moments and checks the reopened file after every kill. These tests run
/// short loops (CI budget) and then check the surviving database again *independently*: through
/// the sqlite3 CLI and the acknowledgement log, with the workload re-derived here, not taken
/// from the code under test. `scripts/crash-loop` runs the long loops.
@Suite(.serialized) struct ReliabilityCrashTests {
    struct Summary: Decodable {
        var kills: Int
        var killsMidWrite: Int
        var childRuns: Int
        var acknowledgedEvents: Int
        var eventsChecked: Int
        var storedEvents: Int
        var lostAcknowledged: Int
        var duplicates: Int
        var partialBatches: Int
        var integrityFailures: Int
        var aggregateMismatches: Int
        var importsCommitted: Int
        var importsRolledBack: Int
        var mixedImports: Int
        var staleResultsServed: Int
        var checksWithCacheInUse: Int
        var failures: [String]
    }

    func crashLoop(_ arguments: [String]) throws -> (Summary, ProcessResult) {
        let result = try run(try TortureDrills.executable(), arguments + ["--json"])
        let summary = try JSONDecoder().decode(Summary.self, from: Data(result.stdout.utf8))
        return (summary, result)
    }

    /// Event `i` of the torture workload, written out again from its definition (ids `ev-i`,
    /// one second apart from 2023-11-14T22:13:20Z, every tenth an order of two lines).
    static func expectedEvent(_ i: Int) -> [String] {
        let skus = ["24-MB01", "24-MB04", "24-WB04", "MH01", "24-UG06", "24-WG085_Group", "MJ12", "WS03"]
        let type = i % 10 == 9 ? "place-order" : (i % 10 == 5 || i % 10 == 7) ? "add-to-cart" : "product-view"
        return ["ev-\(i)", type, String(1_700_000_000_000 + i * 1_000), "v-\(i % 37)", "s-\(i / 20)",
                type == "place-order" ? "NULL" : skus[i % 8], type == "place-order" ? "o-\(i)" : "NULL"]
    }

    @Test func acknowledgedEventsSurviveSIGKILL() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("events.sqlite")
        let ackLog = dir.path("acks.txt")
        let (summary, result) = try crashLoop(["--database", path, "crash-loop", "--mode", "events",
                                               "--kills", "30", "--max-delay", "200", "--seed", "7", "--ack-log", ackLog])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(summary.failures == [])
        #expect(summary.kills == 30)
        #expect(summary.lostAcknowledged == 0)
        #expect(summary.duplicates == 0)
        #expect(summary.partialBatches == 0)
        #expect(summary.integrityFailures == 0)
        #expect(summary.aggregateMismatches == 0)
        // Most kills must land while the child was writing, or the loop proves little.
        #expect(summary.killsMidWrite >= 20, "only \(summary.killsMidWrite) kills landed mid-write")
        #expect(summary.acknowledgedEvents > 100)
        #expect(summary.eventsChecked == summary.storedEvents)

        // Independent check with the sqlite3 CLI: the acknowledged ranges are contiguous from 0,
        // every acknowledged id is stored once, with the workload's fields, and nothing else is.
        let ranges = try String(contentsOfFile: ackLog, encoding: .utf8).split(separator: "\n").map { line in
            let parts = line.split(separator: " ").compactMap { Int($0) }
            return parts[0]..<parts[1]
        }
        #expect(ranges.first?.lowerBound == 0)
        #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
        let acknowledged = ranges.last?.upperBound ?? 0
        #expect(acknowledged == summary.acknowledgedEvents)
        #expect(try sqlite3Rows(path, "PRAGMA integrity_check") == [["ok"]])
        let stored = try sqlite3Rows(path, """
            SELECT event_key, type, occurred_at, visitor_id, session_id, coalesce(sku, 'NULL'), coalesce(order_id, 'NULL')
            FROM events ORDER BY CAST(substr(event_key, 4) AS INTEGER)
            """)
        #expect(stored.count >= acknowledged)
        #expect(stored.count == summary.storedEvents)
        #expect(Set(stored.map { $0[0] }).count == stored.count)
        for (i, row) in stored.enumerated() where row != Self.expectedEvent(i) {
            Issue.record("event \(i): stored \(row), expected \(Self.expectedEvent(i))")
            break
        }
        // Each order kept both of its lines.
        let orders = stored.filter { $0[1] == "place-order" }.count
        #expect(try sqlite3Rows(path, "SELECT count(*) FROM event_lines") == [[String(2 * orders)]])
    }

    /// The checks can fail: after an event's field and an aggregate counter are changed behind
    /// Crosslink's back, `crosslink-torture verify` reports exactly those two and exits 1.
    @Test func theChecksFindATamperedEventAndATamperedAggregate() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("tampered.sqlite")
        let (summary, result) = try crashLoop(["--database", path, "crash-loop", "--mode", "events", "--kills", "2", "--seed", "3"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(summary.acknowledgedEvents > 10)
        let clean = try run(try TortureDrills.executable(), ["--database", path, "verify", "--json"])
        #expect(clean.status == 0, "\(clean.stderr)")

        #expect(try run("/usr/bin/sqlite3", [path, """
            UPDATE events SET visitor_id = 'someone else' WHERE event_key = 'ev-3';
            UPDATE product_windows SET viewers = viewers + 1 WHERE product_id = (SELECT min(product_id) FROM product_windows);
            """]).status == 0)
        let tampered = try run(try TortureDrills.executable(), ["--database", path, "verify", "--json"])
        #expect(tampered.status == 1)
        let found = try JSONDecoder().decode(Summary.self, from: Data(tampered.stdout.utf8))
        #expect(found.eventsChecked == summary.storedEvents)
        #expect(found.failures.count == 2)
        #expect(found.failures.first?.hasPrefix("event ev-3: stored") == true)
        #expect(found.aggregateMismatches == 1)
        #expect(found.lostAcknowledged == 0 && found.integrityFailures == 0)
    }

    /// A rule-cache rebuild killed at random moments (and kills between a price change and the
    /// rebuild): every block served afterwards, from the cache or not, equals what the rules'
    /// SQL gives — a stale result is never served. Then the check is shown to fail on a cache
    /// changed behind Crosslink's back.
    @Test func anInterruptedRuleRebuildNeverServesStaleResults() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("rules.sqlite")
        let (summary, result) = try crashLoop(["--database", path, "crash-loop", "--mode", "rules", "--kills", "12", "--seed", "5"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(summary.failures == [])
        #expect(summary.kills == 12)
        #expect(summary.staleResultsServed == 0)
        #expect(summary.integrityFailures == 0)
        #expect(summary.importsRolledBack >= 1, "no kill landed before a rebuild committed")

        let finish = try run(try TortureDrills.executable(), ["--database", path, "rules", "--generation", "1000"])
        #expect(finish.stdout.hasSuffix("rebuilt 1000\n"), "\(finish.stdout)\(finish.stderr)")
        let clean = try run(try TortureDrills.executable(), ["--database", path, "verify", "--mode", "rules", "--json"])
        #expect(clean.status == 0, "\(clean.stderr)")
        #expect(try JSONDecoder().decode(Summary.self, from: Data(clean.stdout.utf8)).checksWithCacheInUse == 1)
        #expect(try run("/usr/bin/sqlite3", [path, "DELETE FROM rule_results WHERE position = 1"]).status == 0)
        let tampered = try run(try TortureDrills.executable(), ["--database", path, "verify", "--mode", "rules", "--json"])
        #expect(tampered.status == 1)
        #expect(try JSONDecoder().decode(Summary.self, from: Data(tampered.stdout.utf8)).staleResultsServed == 1)
    }

    @Test func anInterruptedImportLeavesNothingOrEverything() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("import.sqlite")
        let (summary, result) = try crashLoop(["--database", path, "crash-loop", "--mode", "import",
                                               "--kills", "20", "--products", "1500", "--seed", "11"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(summary.failures == [])
        #expect(summary.kills == 20)
        #expect(summary.mixedImports == 0)
        #expect(summary.integrityFailures == 0)
        #expect(summary.importsRolledBack >= 1, "no kill landed inside an import transaction")
        #expect(summary.importsCommitted + summary.importsRolledBack == summary.kills + 1)

        // Independently: one generation, complete, in every table the import writes.
        #expect(try sqlite3Rows(path, "PRAGMA integrity_check") == [["ok"]])
        let generations = try sqlite3Rows(path, """
            SELECT count(*), count(DISTINCT substr(name, 1, instr(substr(name, 12), ' ') + 10)) FROM products WHERE sku LIKE 'IMP-%'
            """)
        #expect(generations == [["1500", "1"]])
        #expect(try sqlite3Rows(path, """
            SELECT count(*) FROM product_links AS l JOIN products AS p USING (product_id) WHERE p.sku LIKE 'IMP-%'
            """) == [["4500"]])
    }
}
