// The unit metrics benchmark: a generated log of N events (default 200 000; 40 % unit events, as
// a storefront with two units per page sends), read through UnitMetrics and, in raw C, through
// the views a sqlite3 user would query for the same answer.
//
//   crosslink-bench metrics --metrics-events 2000000
import ArgumentParser
import CrosslinkBaseline
import Crosslink
import Foundation

struct MetricsBenchOptions: ParsableArguments {
    @Option(name: .customLong("metrics-events"), help: "Events in the generated log (the issue's size is 2000000).")
    var events = 200_000

    func validate() throws {
        guard events >= 10 else { throw ValidationError("--metrics-events must be at least 10") }
    }
}

func runMetricsBenchmark(_ options: MetricsBenchOptions, directory: String) throws {
    let events = options.events
    let path = directory + "/metrics.sqlite"
    try? FileManager.default.removeItem(atPath: path)
    let store = try CrosslinkStore(path: path)
    let started = ContinuousClock.now
    // Sessions of 10 events, 13 s apart: 2 renders and 2 views of a unit (1–5, variant A or B by
    // session), a click in every third session, an order in every fifth (its first line the
    // clicked SKU when there was a click).
    try store.write { db in
        try db.execute("""
            WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?1 - 1)
            INSERT INTO events(event_key, type, occurred_at, store_id, visitor_id, session_id, sku, order_id, unit_id, variant)
            SELECT 'e' || i,
              CASE i % 10 WHEN 0 THEN 'page-view' WHEN 1 THEN 'product-view' WHEN 2 THEN 'recs-unit-render'
                WHEN 3 THEN 'recs-unit-view' WHEN 4 THEN 'product-view' WHEN 5 THEN 'recs-unit-render' WHEN 6 THEN 'recs-unit-view'
                WHEN 7 THEN CASE WHEN (i / 10) % 3 = 0 THEN 'recs-item-click' ELSE 'product-view' END
                WHEN 8 THEN 'add-to-cart' ELSE CASE WHEN (i / 10) % 5 = 0 THEN 'place-order' ELSE 'page-view' END END,
              1704067200000 + (i / 10) * 13000 + (i % 10) * 1000, 1, 'v' || ((i / 10) / 2), 's' || (i / 10),
              CASE WHEN i % 10 IN (1, 4, 7, 8) THEN 'SKU-' || ((i * 7919) % 5000) END,
              CASE WHEN i % 10 = 9 AND (i / 10) % 5 = 0 THEN 'o' || i END,
              CASE WHEN i % 10 IN (2, 3, 5, 6) OR (i % 10 = 7 AND (i / 10) % 3 = 0) THEN CAST((i / 10) % 5 + 1 AS TEXT) END,
              CASE WHEN i % 10 IN (2, 3, 5, 6) OR (i % 10 = 7 AND (i / 10) % 3 = 0)
                   THEN CASE WHEN (i / 10) % 2 = 0 THEN 'A' ELSE 'B' END END
            FROM n
            """, [events])
        try db.execute("""
            INSERT INTO event_lines(event_seq, line, sku, quantity, price)
            SELECT event_seq, 1, 'SKU-' || (((event_seq - 3) * 7919) % 5000), 1, 10.0 FROM events WHERE type = 'place-order'
            UNION ALL
            SELECT event_seq, 2, 'SKU-9999', 2, 5.0 FROM events WHERE type = 'place-order'
            """)
    }
    let unitEvents = try store.read { db in try db.scalarInt("SELECT count(*) FROM events WHERE unit_id IS NOT NULL") ?? 0 }
    let loadSeconds = (ContinuousClock.now - started) / .seconds(1)

    // A week in the middle of the log.
    let days = try store.read { db in try db.prepare("SELECT DISTINCT day FROM unit_daily_counts ORDER BY day").map { $0.text(at: 0) } }
    let from = days[days.count / 2], to = days[min(days.count - 1, days.count / 2 + 6)]
    let cases: [(String, UnitMetricsQuery, String, String?, String?)] = [
        ("per unit & variant, whole log", UnitMetricsQuery(), "SELECT * FROM unit_metrics", nil, nil),
        ("per day, one week", UnitMetricsQuery(by: [.day], from: from, to: to),
         "SELECT day, sum(impressions), sum(clicks), sum(revenue) FROM unit_metrics_daily WHERE day BETWEEN ?1 AND ?2 GROUP BY day",
         from, to),
        ("one unit per variant & day", UnitMetricsQuery(by: [.variant, .day], unitID: "3"),
         "SELECT * FROM unit_metrics_daily WHERE unit_id = ?1", "3", nil),
    ]
    let repeats = 5
    func row(_ cells: [String]) -> String {
        zip(cells, [34, 16, 16, 8]).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined()
    }
    print("\nUnit metrics — \(events) events (\(unitEvents) unit events, loaded in \(String(format: "%.1f", loadSeconds)) s); "
          + "median of \(repeats) runs, ms; raw C reads the views as sqlite3 would")
    print(row(["query", "crosslink (ms)", "raw C view (ms)", "ratio"]))
    print(row(["-----", "--------------", "---------------", "-----"]))
    for (name, query, sql, first, second) in cases {
        var times: [Double] = []
        for _ in 0..<repeats {
            let start = ContinuousClock.now
            _ = try store.read { db in try UnitMetrics(db).rows(query) }
            times.append((ContinuousClock.now - start) / .milliseconds(1))
        }
        let crosslink = times.sorted()[repeats / 2]
        var rows: Int64 = 0
        var error = [CChar](repeating: 0, count: 512)
        let nanoseconds = metrics_baseline_query(path, sql, first, second, Int32(repeats), &rows, &error, 512)
        guard nanoseconds >= 0 else { fatalError("C metrics baseline failed: \(String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))") }
        let c = Double(nanoseconds) / 1e6
        print(row([name, String(format: "%.1f", crosslink), String(format: "%.1f", c), String(format: "%.2f×", crosslink / c)]))
    }
}
