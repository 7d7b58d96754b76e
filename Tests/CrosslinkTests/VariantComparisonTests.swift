import Foundation
import Testing
@testable import Crosslink

/// The A/B comparisons read from ``UnitMetricsFixture`` (counted by hand from its event list):
/// unit 1 has variants A and B, unit u-x (store fr) only A.
///
/// - A: visitors with events v1, v3, v4 (3); v1's order o1 brings 50 in session → 1 converted,
///   Σ 50, Σ² 2500; impressions 4 (a01 a04 a05 a09), clicks 2 (a07 a08).
/// - B: visitors v2, v5 (2); v5's o6 brings 15 in session (v2's o5 has no clicked SKU) → 1
///   converted, Σ 15, Σ² 225; impressions 2, clicks 2.
/// - u-x A: v1, o1's P2 line, 5.
@Suite struct VariantComparisonTests {
    @Test func visitorTotalsPerVariant() throws {
        let (_, store) = try UnitMetricsFixture.store()
        let totals = try store.read { db in try UnitMetrics(db).visitorTotals(UnitMetricsQuery()) }
        #expect(totals == [
            UnitVisitorTotals(store: "default", unitID: "1", variant: "A", visitors: 3, convertedVisitors: 1, revenue: 50, revenueSquares: 2500),
            UnitVisitorTotals(store: "default", unitID: "1", variant: "B", visitors: 2, convertedVisitors: 1, revenue: 15, revenueSquares: 225),
            UnitVisitorTotals(store: "fr", unitID: "u-x", variant: "A", visitors: 1, convertedVisitors: 1, revenue: 5, revenueSquares: 25),
        ])
        // From day 2 on: A has only v1's order o2 (not in a click's session) and no unit event → no A row;
        // B has v5 (render, cart click, o6).
        let dayTwo = try store.read { db in try UnitMetrics(db).visitorTotals(UnitMetricsQuery(from: "2024-05-02")) }
        #expect(dayTwo == [UnitVisitorTotals(store: "default", unitID: "1", variant: "B", visitors: 1, convertedVisitors: 1,
                                             revenue: 15, revenueSquares: 225)])
    }

    @Test func onlyUnitsWithTwoVariantsAreCompared() throws {
        let (_, store) = try UnitMetricsFixture.store()
        let comparisons = try store.read { db in try UnitMetrics(db).comparisons(UnitMetricsQuery()) }
        try #require(comparisons.count == 1)
        let c = comparisons[0]
        #expect(c.unitID == "1" && c.control == "A" && c.treatment == "B" && c.unitName == UnitMetricsFixture.unitName)
        #expect(c.ctr == ProportionTest(controlSuccesses: 2, controlTrials: 4, treatmentSuccesses: 2, treatmentTrials: 2))
        #expect(c.conversion == ProportionTest(controlSuccesses: 1, controlTrials: 3, treatmentSuccesses: 1, treatmentTrials: 2))
        #expect(c.revenuePerVisitor == MeanTest(control: .init(count: 3, sum: 50, sumOfSquares: 2500),
                                                treatment: .init(count: 2, sum: 15, sumOfSquares: 225)))
        // A handful of events decides nothing.
        #expect([c.ctr.verdict, c.conversion.verdict, c.revenuePerVisitor.verdict].allSatisfy { $0 == .notSignificantYet })
        let rows = VariantComparisonTable.rows(comparisons, currency: "EUR")
        #expect(rows.count == 3)
        // CTR 50 % vs 100 %: pooled z = 1.2247, p = 0.2207 (SciPy); Newcombe from SciPy's Wilson intervals
        // -24.494 to +84.996 points; 10.51 → 11 impressions per variant.
        #expect(rows[0] == [UnitMetricsFixture.unitName + " (#1)", "B vs A", "CTR", "not significant yet", "+50.00 pt (-24.49 to +85.00)", "0.221",
                            "50.00 % (2/4)", "100.00 % (2/2)", "≈ 11 impressions (have 4 / 2)", "default"])
        #expect(rows[2][6] == "16.67 EUR (n 3)" && rows[2][7] == "7.50 EUR (n 2)")
        #expect([7, 999, 1000, 238_223, 1_234_567].map(VariantComparisonTable.grouped) == ["7", "999", "1,000", "238,223", "1,234,567"])
    }

    @Test func theCLIPrintsTheABTestsAsTextAndJSON() throws {
        let (_, store) = try UnitMetricsFixture.store()
        let text = try run(CLITests.executable, ["--database", store.path, "metrics", "--currency", "eur"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("revenue EUR") && text.stdout.contains("A/B tests (95 %"))
        #expect(text.stdout.contains("B vs A") && text.stdout.contains("not significant yet"))
        let json = try run(CLITests.executable, ["--database", store.path, "metrics", "--ab", "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let comparisons = try JSONDecoder().decode([VariantComparison].self, from: Data(json.stdout.utf8))
        #expect(comparisons.count == 1 && comparisons[0].conversion.controlTrials == 3)
        let none = try run(CLITests.executable, ["--database", store.path, "metrics", "--ab", "--store", "fr"])
        #expect(none.stdout == "A/B tests: none (no unit has two variants in this range)\n")
        let bad = try run(CLITests.executable, ["--database", store.path, "report", "--currency", "euro", "--out", store.path + ".html"])
        #expect(bad.status != 0 && bad.stderr.contains(#"bad currency "euro": give an ISO 4217 code such as EUR or USD"#))
    }
}
