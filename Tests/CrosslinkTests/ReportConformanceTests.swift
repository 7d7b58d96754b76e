import Foundation
import Testing
@testable import Crosslink

/// The CLI's demo, recommendations, unit metrics and reports on a PostgreSQL URI print what they
/// print on a SQLite file: `crosslink demo` (pages with a recommended-for-you unit), `recommend`,
/// `page`, `metrics`, `report` (its HTML and JSON) and `eval --json`.
@Suite(.requiresPostgreSQL) struct ReportConformanceTests {
    func crosslink(_ arguments: [String]) throws -> ProcessResult {
        try run(CLITests.executable, arguments)
    }

    /// Unit events for the demo's units (ids 1…7 in the order of its unit file; 7 is the home
    /// page's for-you experiment): renders, views, clicks and later orders of the clicked gear,
    /// seeded, a week after the demo's browsing log.
    static func unitEvents() -> String {
        var random = SplitMix64(seed: 17)
        let gear = ["24-MB01", "24-MB02", "24-UG01", "24-UG03", "24-MG01", "24-WB02"]
        let start = Date(timeIntervalSince1970: 1_717_804_800)  // 2024-06-08T00:00:00Z
        var events: [Event] = []
        for session in 0..<300 {
            let visitor = "v-\(session % 150)", id = "s-unit-\(session)"
            var time = start.addingTimeInterval(Double(session) * 1_700)
            func add(_ type: EventType, unit: Int, variant: String?, sku: String? = nil) {
                events.append(Event(id: "unit-\(events.count)", type: type, time: time, visitorID: visitor, sessionID: id, sku: sku,
                                    unitID: String(unit), variant: variant))
                time += 20
            }
            let unit = 1 + Int(random.next() % 7)
            let variant = unit == 7 ? (random.next() % 2 == 0 ? "A" : "B") : nil
            add(.recsUnitRender, unit: unit, variant: variant)
            guard random.next() % 4 != 0 else { continue }
            add(.recsUnitView, unit: unit, variant: variant)
            guard random.next() % 3 == 0 else { continue }
            let sku = gear[Int(random.next() % UInt64(gear.count))]
            add(random.next() % 2 == 0 ? .recsItemClick : .recsAddToCartClick, unit: unit, variant: variant, sku: sku)
            if random.next() % 2 == 0 {
                events.append(Event(id: "unit-\(events.count)", type: .placeOrder, time: time, visitorID: visitor, sessionID: id,
                                    orderID: "unit-o\(session)", lines: [OrderLine(sku: sku, quantity: 1 + Double(random.next() % 3), price: 32)]))
            }
        }
        return events.map { JSONLinesEventParser.line($0) + "\n" }.joined()
    }

    @Test func theDemoMetricsAndReportsPrintTheSameOnBothEngines() throws {
        let cluster = try #require(try PostgreSQLCluster.shared())
        let directory = try TemporaryDirectory()
        let file = directory.path("demo.sqlite")
        let uri = cluster.uri(database: try cluster.makeDatabase("demo_reports"))
        let events = directory.url.appending(path: "unit-events.jsonl")
        try Data(Self.unitEvents().utf8).write(to: events)

        var outputs: [[String]] = []
        var pages: [String] = []
        var evaluations: [EvaluationReport] = []
        for (index, location) in [file, uri].enumerated() {
            // The demo prints its database's location, and the sqlite3 or psql line to query it.
            let demo = try crosslink(["--database", location, "demo", "--quiet"])
            #expect(demo.status == 0, "demo on \(location): \(demo.stderr)")
            var printed = [demo.stdout.replacingOccurrences(of: location, with: "<database>")
                .split(separator: "\n", omittingEmptySubsequences: false)
                .filter { !$0.contains("sqlite3") && !$0.contains("psql") }.joined(separator: "\n")]
            let imported = try crosslink(["--database", location, "events", "import", events.path])
            #expect(imported.status == 0, "\(imported.stderr)")
            let commands: [[String]] = [
                ["recommend", "--type", "recommended-for-you", "--visitor", "v-7", "--json"],
                ["recommend", "--type", "recommended-for-you", "--visitor", "v-12", "--limit", "8"],
                ["page", "home", "--visitor", "v-1"], ["page", "home", "--visitor", "v-2"], ["page", "home", "--visitor", "v-3", "--json"],
                ["metrics"], ["metrics", "--json", "--by", "day,variant"], ["metrics", "--by", "unit", "--from", "2024-06-08", "--to", "2024-06-09"],
            ]
            for arguments in commands {
                let result = try crosslink(["--database", location] + arguments)
                #expect(result.status == 0, "\(arguments) on \(location): \(result.stderr)")
                printed.append(result.stdout)
            }
            let page = directory.path("report-\(index).html")
            let report = try crosslink(["--database", location, "report", "--out", page, "--json"])
            #expect(report.status == 0, "report on \(location): \(report.stderr)")
            printed.append(report.stdout)
            pages.append(try String(contentsOfFile: page, encoding: .utf8))
            outputs.append(printed)

            let eval = try crosslink(["--database", location, "eval", "--json", "--quiet", "--split", "2024-06-04", "--k", "4"])
            #expect(eval.status == 0, "eval on \(location): \(eval.stderr)")
            struct Printed: Decodable { var evaluation: EvaluationReport }
            let decoded = try JSONDecoder().decode(Printed.self, from: Data(eval.stdout.utf8))
            evaluations.append(EvaluationConformanceTests.untimed(decoded.evaluation))
        }
        // `recommend --sql` on PostgreSQL prints a prepared statement that psql runs to the same
        // answer (recommended for you from the neighbour lists: jsonb_array_elements).
        for (type, context) in [("recommended-for-you", ["--visitor", "v-7"]), ("bought-bought", ["--sku", "24-MB01"]),
                                ("more-like-this", ["--cart", "24-MB01,24-UG01"])] {
            let printed = try crosslink(["--database", uri, "recommend", "--type", type, "--limit", "6", "--sql"] + context)
            #expect(printed.status == 0 && printed.stdout.hasPrefix("PREPARE"), "\(printed.stderr)")
            let script = directory.url.appending(path: "\(type).sql")
            try Data(printed.stdout.utf8).write(to: script)
            let psql = try run("/usr/bin/psql", ["-X", "-q", "-A", "-t", "-F", "|", "-v", "ON_ERROR_STOP=1", "-d", uri, "-f", script.path])
            #expect(psql.status == 0, "\(type): \(psql.stderr)")
            let skus = psql.stdout.split(separator: "\n").map { String($0.split(separator: "|", omittingEmptySubsequences: false)[1]) }
            let json = try crosslink(["--database", uri, "recommend", "--type", type, "--limit", "6", "--json"] + context)
            let expected = ((try JSONSerialization.jsonObject(with: Data(json.stdout.utf8))) as? [[String: Any]] ?? []).compactMap { $0["sku"] as? String }
            #expect(!expected.isEmpty && skus == expected, "\(type): psql \(skus), recommend \(expected)")
        }

        for (index, output) in outputs[0].enumerated() {
            #expect(output == outputs[1][index], "output \(index)")
        }
        #expect(pages[0] == pages[1])
        #expect(evaluations[0] == evaluations[1])

        // What was compared is not empty: the for-you unit answers, the pages show it, the
        // metrics count the unit events, the evaluation has cases.
        #expect(outputs[0][0].contains("Recommended for you"))
        #expect(outputs[0][1].contains("\"sku\""))
        #expect(outputs[0][3...5].joined().contains("recommended-for-you"))
        #expect(outputs[0][6].split(separator: "\n").count > 5)
        #expect(pages[0].contains("<svg") && pages[0].contains("Demo: for you"))
        #expect(evaluations[0].rows.filter { $0.metrics.cases > 0 }.count >= 6)
    }
}
