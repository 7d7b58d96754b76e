import Foundation
import Testing
@testable import Crosslink

/// `crosslink eval` on the hand-built log of ``EvaluationFixture`` (expected values: see EvaluationTests).
@Suite struct EvaluationCLITests {
    static func database() throws -> String {
        let dir = try TemporaryDirectory()
        let store = try EvaluationFixture.store(dir)
        try EventStore(store: store).append(EvaluationFixture.log.events)
        return store.path
    }

    @Test func printsEachTypeBesideItsBaselineAndWritesTheHTMLReport() throws {
        let path = try Self.database()
        let html = path + ".html"
        let model = path + ".model.sqlite"
        let result = try run(CLITests.executable, ["--database", path, "eval", "--split", "2024-03-11", "--k", "2",
                                                   "--types", "bought-bought,recently-viewed", "--html", html, "--keep-model", model, "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("split 2024-03-11T00:00:00.000Z: 20 events before, 9 after; K = 2; 6 displayable products") == true)
        // hit 3/5, precision 1.5/5, recall 1.5/5, NDCG 1.61315/5, MRR 2.5/5, coverage 3/6, novelty 9/5 → "2", cold 3, 4 queries.
        let row = try #require(lines.first { $0.hasPrefix("bought-bought") })
        #expect(row.split(separator: " ", omittingEmptySubsequences: true).prefix(11).map(String.init)
                == ["bought-bought", "5", "0.6000", "0.3000", "0.3000", "0.3226", "0.5000", "0.5000", "2", "3", "4"])
        let baseline = try #require(lines.first { $0.hasPrefix("  baseline most-purchased") })
        #expect(baseline.split(separator: " ", omittingEmptySubsequences: true).dropFirst(2).map(String.init)
                == ["1.0000", "0.5000", "0.5000", "0.5679", "0.9000", "0.5000", "2", "0"])
        #expect(lines.contains { $0.hasPrefix("recently-viewed") && $0.contains("no test cases (no view interactions after the split)") })

        // The kept model holds the 7 training orders only (2024-03-11 = 1710115200000 ms).
        #expect(try sqlite3Rows(model, "SELECT count(*), max(occurred_at) < 1710115200000 FROM events") == [["7", "1"]])

        let page = try String(contentsOfFile: html, encoding: .utf8)
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        #expect(page.contains("<svg") && page.contains("NDCG@2"))
        // Self-contained: no script, no link, no source; the only URL is the SVG namespace.
        #expect(!page.contains("<script") && !page.contains("href=") && !page.contains("src=") && !page.contains("@import"))
        #expect(page.components(separatedBy: "http").count == page.components(separatedBy: "xmlns=\"http://www.w3.org/2000/svg\"").count)
    }

    @Test func printsJSONAndRefusesBadOptions() throws {
        let path = try Self.database()
        let result = try run(CLITests.executable, ["--database", path, "eval", "--split", "2024-03-11T00:00:00Z", "--k", "2",
                                                   "--types", "most-purchased", "--json", "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        struct Output: Decodable { var evaluation: EvaluationReport }
        let report = try JSONDecoder().decode(Output.self, from: Data(result.stdout.utf8)).evaluation
        #expect(report.rows.map(\.type) == [.mostPurchased])
        // u1 {C,E} → [A,C] hit at 2 | u6 {A,B,D} → [A,C] hit at 1.
        #expect(report.rows[0].metrics.cases == 2 && report.rows[0].metrics.mrr == 0.75)

        let unknown = try run(CLITests.executable, ["--database", path, "eval", "--types", "most-liked"])
        #expect(unknown.status != 0 && unknown.stderr.contains("unknown recommendation type most-liked"))
        let both = try run(CLITests.executable, ["--database", path, "eval", "--split", "2024-03-11", "--split-fraction", "0.5"])
        #expect(both.status != 0 && both.stderr.contains("give --split or --split-fraction, not both"))
    }
}
