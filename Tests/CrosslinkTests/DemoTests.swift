import Foundation
import Testing
@testable import Crosslink

/// `crosslink demo` as a first-time user runs it: a short summary, blocks with products, and
/// unit metrics and a report with real numbers at once.
struct DemoTests {
    func crosslink(_ arguments: [String]) throws -> ProcessResult {
        try run(CLITests.executable, arguments)
    }

    @Test func theDemoSeedsUnitTrafficThatMetricsAndReportCount() throws {
        let path = try CLITests.demo.get()
        let metrics = try crosslink(["--database", path, "metrics", "--json"])
        #expect(metrics.status == 0, "\(metrics.stderr)")
        let rows = try JSONDecoder().decode([UnitMetricsRow].self, from: Data(metrics.stdout.utf8))
        let units = Set(rows.filter { $0.impressions > 0 && $0.clicks > 0 }.compactMap(\.unitID))
        #expect(units.count >= 5, "\(rows)")
        // Both variants of an A/B test have traffic, clicks and attributed orders.
        let tested = Dictionary(grouping: rows, by: { $0.unitID ?? "" }).filter { $0.value.count > 1 }
        #expect(tested.count >= 2)
        for (unit, variants) in tested {
            #expect(Set(variants.compactMap(\.variant)) == ["A", "B"], "unit \(unit)")
            #expect(variants.allSatisfy { $0.impressions > 50 && $0.views > 0 && $0.clicks > 0 && $0.orders > 0 && $0.revenue > 0 }, "unit \(unit)")
        }
        #expect(rows.contains { $0.cartClicks > 0 })
        #expect(rows.allSatisfy { $0.unitName != nil }, "every unit event names a demo unit")

        let table = try crosslink(["--database", path, "metrics"])
        #expect(!table.stdout.contains("(no unit events)"))
        let report = try crosslink(["--database", path, "report", "--out", path + ".html"])
        #expect(report.status == 0, "\(report.stderr)")
        let printed = try #require(report.stdout.split(separator: ",").first { $0.contains("impressions") })
        #expect(Int(printed.split(separator: " ").first { Int($0) != nil } ?? "0") ?? 0 > 1_000, "\(report.stdout)")
    }

    @Test func theDemoWritesTheSameDataEveryRun() throws {
        let directory = try TemporaryDirectory()
        let first = try CLITests.demo.get(), second = directory.path("again.sqlite")
        #expect(try crosslink(["--database", second, "demo", "--quiet"]).status == 0)
        for arguments in [["metrics", "--by", "day,variant"], ["page", "home", "--visitor", "v-7"]] {
            let a = try crosslink(["--database", first] + arguments), b = try crosslink(["--database", second] + arguments)
            #expect(a.status == 0 && a.stdout == b.stdout, "\(arguments)")
        }
        let events = "SELECT count(*), sum(occurred_at), count(DISTINCT variant) FROM events WHERE unit_id IS NOT NULL"
        #expect(try sqlite3Rows(first, events) == (try sqlite3Rows(second, events)))
    }

    @Test func theDemoPrintsAShortSummaryWithFilledBlocks() throws {
        let directory = try TemporaryDirectory()
        let result = try crosslink(["--database", directory.path("demo.sqlite"), "demo"])
        #expect(result.status == 0, "\(result.stderr)")
        // One line on stderr while building, not a progress line per batch.
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count < 70, "\(result.stdout)")
        #expect(lines[1].contains("catalog  2046 products") && lines[2].contains("unit events") && lines[3].contains("A/B tests"))
        // Every block lists products: the first block header is followed by a table, none is empty.
        let first = try #require(lines.firstIndex { $0.hasPrefix("== ") })
        #expect(lines[first + 1].hasPrefix("#  sku"))
        #expect(!result.stdout.contains("(none)"))
        #expect(result.stdout.contains("== The units over the week of traffic"))
        #expect(result.stdout.contains("Demo: for you           B"))
        let next = try #require(lines.firstIndex(of: "try next:"))
        #expect(lines[(next + 1)...].contains { $0.contains("metrics") } && lines[(next + 1)...].contains { $0.contains("report --out") })
        // Names are shown decoded.
        #expect(result.stdout.contains("Quest Lumaflex™ Band"))
        #expect(!result.stdout.contains("&trade;"))
    }

    /// Tables decode names for people; JSON keeps the stored bytes, as the catalog export does.
    @Test func namesAreDecodedInTablesAndKeptInJSON() throws {
        let path = try CLITests.demo.get()
        let cart = ["placement", "cart", "24-MB01", "MH01-XS-Black"]
        let table = try crosslink(["--database", path] + cart)
        #expect(table.stdout.contains("Quest Lumaflex™ Band"))
        #expect(!table.stdout.contains("&trade;"))
        let json = try crosslink(["--database", path] + cart + ["--json"])
        #expect(json.stdout.contains("Quest Lumaflex&trade; Band"))
        let page = try crosslink(["--database", path, "page", "home", "--visitor", "v-7"])
        #expect(page.status == 0 && !page.stdout.contains("&trade;"))
        let popular = try crosslink(["--database", path, "recommend", "--type", "most-viewed", "--limit", "20"])
        #expect(popular.stdout.contains("Lumaflex™"), "\(popular.stdout)")
        #expect(!popular.stdout.contains("&trade;"))
        let exported = try crosslink(["--database", path, "export"])
        #expect(exported.stdout.contains("Quest Lumaflex&trade; Band"))
    }
}
