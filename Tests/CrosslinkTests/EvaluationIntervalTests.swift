import Foundation
import Testing
@testable import Crosslink

/// The 95 % intervals over cases and the few-cases warning, on ``EvaluationFixture``'s
/// bought-bought cases (per case, see EvaluationTests: hits at 2, none, 1, 1, none):
/// precision [0.5, 0, 0.5, 0.5, 0], MRR [0.5, 0, 1, 1, 0], NDCG [0.38685, 0, 0.61315, 0.61315, 0].
/// Expected values: SciPy (`binomtest(3, 5).proportion_ci(method="wilson")`,
/// `t.interval(0.95, 4, loc=mean, scale=sd/√5)`), clipped to [0, 1].
@Suite struct EvaluationIntervalTests {
    @Test func intervalsOverCasesAndTheFewCasesWarning() throws {
        let dir = try TemporaryDirectory()
        let store = try EvaluationFixture.store(dir)
        try EventStore(store: store).append(EvaluationFixture.log.events)
        let report = try Evaluator(source: store, options: EvaluationFixture.options(types: [.boughtBought, .recentlyViewed])).run()
        let bought = report.rows[0]
        let intervals = try #require(bought.metrics.intervals)
        #expect(abs(intervals.hitRate.low - 0.23072428127601297) < 1e-9 && abs(intervals.hitRate.high - 0.8823792257673521) < 1e-9)
        #expect(intervals.precision.low == 0 && abs(intervals.precision.high - 0.6400436903291278) < 1e-9)
        #expect(intervals.mrr.low == 0 && intervals.mrr.high == 1)
        #expect(intervals.ndcg.low == 0 && abs(intervals.ndcg.high - 0.7058921581511006) < 1e-4)
        #expect(bought.warning?.hasPrefix("only 5 cases (fewer than 100)") == true)
        // No cases: no interval and no warning (the row says there are none).
        #expect(report.rows[1].metrics.intervals == nil && report.rows[1].warning == nil)

        // Against the baseline, case by case: its hits at 1, 1, 1, 2, 1 → hit [1,1,1,1,1], NDCG
        // [0.61315, 0.61315, 0.61315, 0.38685, 0.61315], MRR [1, 1, 1, 0.5, 1]. Paired t (SciPy
        // t.interval on the differences): hit −0.4 (−1.0801 to 0.2801), NDCG −0.24526 (−0.70717 to
        // 0.21665), MRR −0.4 (−1.2095 to 0.4095): no clear difference on 5 cases.
        let versus = try #require(bought.versusBaseline)
        #expect(abs(versus.hitRate.mean + 0.4) < 1e-12 && abs(versus.hitRate.low + 1.0800873806582558) < 1e-9
                && abs(versus.hitRate.high - 0.28008738065825567) < 1e-9)
        #expect(abs(versus.ndcg.mean + 0.24525887710618335) < 1e-4 && abs(versus.ndcg.low + 0.7071669272352538) < 1e-4
                && abs(versus.ndcg.high - 0.21664917302288703) < 1e-4)
        #expect(abs(versus.mrr.low + 1.2094658923543515) < 1e-9 && abs(versus.mrr.high - 0.4094658923543516) < 1e-9)
        #expect(versus.verdict == "no clear difference")
        #expect(report.rows[1].versusBaseline == nil)

        let page = EvaluationHTML.document(report)
        #expect(page.contains("<span class=\"ci\">0.231–0.882</span>"))
        #expect(page.contains("<div class=\"warning\">&#9888; Fewer than 100 cases") && page.contains("<li>bought-bought: 5 cases</li>"))
        #expect(page.contains("<dt>NDCG@2</dt>"))
        #expect(page.contains("<h3>Against the baseline</h3>") && page.contains("<td>-0.245 (-0.707 to +0.217)</td>"))
    }

    @Test func theCLIPrintsTheIntervalsAndWarnings() throws {
        let path = try EvaluationCLITests.database()
        let result = try run(CLITests.executable, ["--database", path, "eval", "--split", "2024-03-11", "--k", "2",
                                                   "--types", "bought-bought", "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let row = try #require(lines.last { $0.hasPrefix("bought-bought") && $0.contains("–") })
        #expect(row.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
                == ["bought-bought", "5", "0.231–0.882", "0.000–0.640", "0.000–0.640", "0.000–0.706", "0.000–1.000"])
        #expect(lines.contains { $0.hasPrefix("warning: bought-bought: only 5 cases (fewer than 100)") })
        let versus = try #require(lines.last { $0.hasPrefix("bought-bought  most-purchased") })
        #expect(versus.contains("-0.400 (-1.080 to +0.280)") && versus.hasSuffix("no clear difference"))
    }
}
