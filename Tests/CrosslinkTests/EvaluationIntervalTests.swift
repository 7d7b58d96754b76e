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

        let page = EvaluationHTML.document(report)
        #expect(page.contains("<span class=\"ci\">0.231–0.882</span>"))
        #expect(page.contains("<p class=\"warning\">&#9888; bought-bought: only 5 cases"))
        #expect(page.contains("<dt>NDCG@2</dt>"))
    }

    @Test func theCLIPrintsTheIntervalsAndWarnings() throws {
        let path = try EvaluationCLITests.database()
        let result = try run(CLITests.executable, ["--database", path, "eval", "--split", "2024-03-11", "--k", "2",
                                                   "--types", "bought-bought", "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let row = try #require(lines.last { $0.hasPrefix("bought-bought") })
        #expect(row.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
                == ["bought-bought", "5", "0.231–0.882", "0.000–0.640", "0.000–0.640", "0.000–0.706", "0.000–1.000"])
        #expect(lines.contains { $0.hasPrefix("warning: bought-bought: only 5 cases (fewer than 100)") })
    }
}
