import Foundation
import Testing
@testable import Crosslink

/// The unit metrics report of ``UnitMetricsFixture`` (numbers counted by hand there): the HTML
/// itself, the CLI, and — when Chromium is installed — what a real browser makes of the page.
@Suite struct UnitMetricsReportTests {
    /// Totals of the whole log: 7 impressions, 4 vImpressions, 6 views, 5 clicks (3 item, 2 cart),
    /// viewability 6/7, CTR 5/7, vCTR 5/4, 3 orders, revenue 55 + 15, lifetime 55 + 55.
    static let totalsRow = "<tr class=\"totals\"><td>7</td><td>4</td><td>6</td><td>5</td><td>3</td><td>2</td><td>85.71 %</td>"
        + "<td>71.43 %</td><td>125.00 %</td><td>3</td><td>70.00</td><td>110.00</td></tr>"
    static let escapedName = "Home &lt;picks&gt; &amp; &quot;more&quot; (#1)"

    static func chromium() -> String? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            for name in ["chromium", "chromium-browser"] {
                let path = "\(directory)/\(name)"
                if FileManager.default.isExecutableFile(atPath: path) { return path }
            }
        }
        return nil
    }

    @Test func thePageIsSelfContainedEscapedAndHasTheCharts() throws {
        let (_, store) = try UnitMetricsFixture.store()
        let report = try store.read { db in try UnitMetricsReport(db, query: UnitMetricsQuery()) }
        #expect(report.totals.impressions == 7 && report.days.count == 2 && report.units.count == 2 && report.variants.count == 3)
        let page = report.html()
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        #expect(page.contains(Self.totalsRow))
        #expect(page.contains(Self.escapedName) && !page.contains("<picks>"))
        // 3 line charts per day, 4 bar charts per unit and 4 with the variants side by side (unit 1 only).
        #expect(page.components(separatedBy: "<svg ").count - 1 == 11)
        #expect(page.components(separatedBy: "<polyline ").count - 1 == 7)
        #expect(!page.contains("<script") && !page.contains("href=") && !page.contains("src=") && !page.contains("@import"))
        #expect(page.components(separatedBy: "http").count == page.components(separatedBy: "xmlns=\"http://www.w3.org/2000/svg\"").count)
        let empty = try store.read { db in try UnitMetricsReport(db, query: UnitMetricsQuery(from: "2030-01-01")).html() }
        #expect(empty.contains("No unit events in this range.") && !empty.contains("<svg"))
    }

    @Test func theCLIPrintsTheMetricsAndWritesTheReport() throws {
        let (dir, store) = try UnitMetricsFixture.store()
        let table = try run(CLITests.executable, ["--database", store.path, "metrics", "--by", "day"])
        #expect(table.status == 0, "\(table.stderr)")
        let lines = table.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        #expect(lines.count == 4)
        #expect(lines.last == ["2024-05-02", "1", "0", "0", "1", "0", "1", "0.00%", "100.00%", "-", "1", "15.00", "55.00"])

        let json = try run(CLITests.executable, ["--database", store.path, "metrics", "--unit", UnitMetricsFixture.unitName,
                                                 "--by", "variant", "--from", "2024-05-02", "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let rows = try JSONDecoder().decode([UnitMetricsRow].self, from: Data(json.stdout.utf8))
        #expect(rows.map(\.variant) == ["A", "B"] && rows.map(\.lifetimeRevenue) == [40, 15] && rows[1].ctr == 1)

        let out = dir.path("report.html")
        let report = try run(CLITests.executable, ["--database", store.path, "report", "--out", out, "--store", "default"])
        #expect(report.status == 0, "\(report.stderr)")
        #expect(report.stdout == "wrote \(out): 1 units, 2 days, 6 impressions, 4 clicks\n")

        let bad = try run(CLITests.executable, ["--database", store.path, "metrics", "--by", "week"])
        #expect(bad.status != 0 && bad.stderr.contains("--by week: use day, unit or variant"))
        let badDay = try run(CLITests.executable, ["--database", store.path, "metrics", "--from", "May 1"])
        #expect(badDay.status != 0 && badDay.stderr.contains(#"bad day "May 1": give YYYY-MM-DD (UTC)"#))
    }

    @Test(.enabled(if: chromium() != nil, "chromium is not installed"))
    func headlessChromiumRendersTheReport() throws {
        let (dir, store) = try UnitMetricsFixture.store()
        let file = dir.path("report.html")
        try store.read { db in try UnitMetricsReport(db, query: UnitMetricsQuery()) }.html()
            .write(toFile: file, atomically: true, encoding: .utf8)
        let result = try run(try #require(Self.chromium()), ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                                              "--disable-dev-shm-usage", "--dump-dom", "file://" + file])
        #expect(result.status == 0, "\(result.stderr)")
        let dom = result.stdout
        // The browser's serialization of the DOM: the name came through as text (re-escaped, quotes
        // in text left as they are), and markup in it never became an element.
        #expect(dom.contains("<h1>Recommendation unit metrics</h1>"))
        #expect(dom.contains(#"Home &lt;picks&gt; &amp; "more" (#1)"#) && !dom.contains("<picks>"))
        #expect(dom.contains(Self.totalsRow))
        #expect(dom.components(separatedBy: "<svg ").count - 1 == 11)
        #expect(dom.components(separatedBy: "<polyline ").count - 1 == 7)
        // Per unit: 4 charts × 2 units; by variant: 4 charts × unit 1's 2 variants (u-x has one: no fake B bar).
        #expect(dom.components(separatedBy: "<rect ").count - 1 == 16)
    }
}
