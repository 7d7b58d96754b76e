import Foundation

/// The A/B comparisons as table rows (three per comparison: CTR, conversion, revenue per
/// visitor), shared by the HTML report and `crosslink metrics`.
///
/// ```swift
/// let comparisons = try store.read { db in try UnitMetrics(db).comparisons(UnitMetricsQuery()) }
/// print(VariantComparisonTable.header, VariantComparisonTable.rows(comparisons, currency: "EUR"))
/// ```
public enum VariantComparisonTable {
    /// The verdict comes early so it is in view on a narrow screen.
    public static let header = ["unit", "test", "metric", "verdict", "difference (95 % CI)", "p", "control", "treatment",
                                "needed per variant", "store"]

    /// One row per metric of each comparison, cells as text.
    public static func rows(_ comparisons: [VariantComparison], currency: String? = nil) -> [[String]] {
        comparisons.flatMap { c -> [[String]] in
            let unit = c.unitName.map { "\($0) (#\(c.unitID))" } ?? c.unitID
            let test = "\(c.treatment) vs \(c.control)"
            let verdict = { (v: ABVerdict) in v.text(control: c.control, treatment: c.treatment) }
            let ctr = c.ctr, conversion = c.conversion, revenue = c.revenuePerVisitor
            return [
                order([c.store, unit, test, "CTR", rate(ctr.control, ctr.controlSuccesses, ctr.controlTrials),
                 rate(ctr.treatment, ctr.treatmentSuccesses, ctr.treatmentTrials), points(ctr), p(ctr.pValue), verdict(ctr.verdict),
                 needed(ctr.verdict, ctr.samplePerVariant, ctr.controlTrials, ctr.treatmentTrials, "impressions",
                        untestable: ctr.controlSuccesses > ctr.controlTrials || ctr.treatmentSuccesses > ctr.treatmentTrials
                            ? "more clicks than impressions" : nil)]),
                order([c.store, unit, test, "conversion", rate(conversion.control, conversion.controlSuccesses, conversion.controlTrials),
                 rate(conversion.treatment, conversion.treatmentSuccesses, conversion.treatmentTrials), points(conversion),
                 p(conversion.pValue), verdict(conversion.verdict),
                 needed(conversion.verdict, conversion.samplePerVariant, conversion.controlTrials, conversion.treatmentTrials, "visitors")]),
                order([c.store, unit, test, "revenue / visitor", mean(revenue.control, revenue.controlSample.count, currency),
                 mean(revenue.treatment, revenue.treatmentSample.count, currency), amounts(revenue), p(revenue.pValue),
                 verdict(revenue.verdict),
                 needed(revenue.verdict, revenue.samplePerVariant, revenue.controlSample.count, revenue.treatmentSample.count, "visitors")]),
            ]
        }
    }

    /// From the order the cells are built in (store, unit, test, metric, control, treatment,
    /// difference, p, verdict, needed) to ``header``'s.
    static func order(_ cells: [String]) -> [String] {
        [cells[1], cells[2], cells[3], cells[8], cells[6], cells[7], cells[4], cells[5], cells[9], cells[0]]
    }

    /// The rows as an HTML table in its scrolling box: a heading row per comparison (unit, test,
    /// store), then one row per metric with the verdict first and coloured, so the verdicts stay
    /// in view on a narrow screen.
    public static func html(_ comparisons: [VariantComparison], currency: String? = nil) -> String {
        let columns = Array(header[2...8])
        var html = "<div class=\"table-box\"><table class=\"ab\"><tr>" + columns.enumerated().map { item in
            item.offset < 2 || item.offset == 6 ? "<th class=\"label\">\(HTMLReport.escape(item.element))</th>" : "<th>\(HTMLReport.escape(item.element))</th>"
        }.joined() + "</tr>\n"
        let rows = rows(comparisons, currency: currency)
        for (index, comparison) in comparisons.enumerated() {
            let unit = comparison.unitName.map { "\($0) (#\(comparison.unitID))" } ?? comparison.unitID
            html += "<tr class=\"group\"><th colspan=\"\(columns.count)\">\(HTMLReport.escape(unit)): "
                + "\(HTMLReport.escape(comparison.treatment)) vs \(HTMLReport.escape(comparison.control))"
                + " <span class=\"note\">(store \(HTMLReport.escape(comparison.store)))</span></th></tr>\n"
            let verdicts = [comparison.ctr.verdict, comparison.conversion.verdict, comparison.revenuePerVisitor.verdict]
            for (row, verdict) in zip(rows[(index * 3)..<(index * 3 + 3)], verdicts) {
                let color = switch verdict {
                case .treatmentBetter: "#1d7a3a"
                case .controlBetter: "#b5452f"
                case .notSignificantYet, .notTestable: "#666"
                }
                html += "<tr>" + Array(row[2...8]).enumerated().map { cell in
                    let text = HTMLReport.escape(cell.element)
                    switch cell.offset {
                    case 1: return "<td class=\"verdict\" style=\"color:\(color)\">\(text)</td>"
                    case 6: return "<td class=\"label\">\(text)</td>"
                    default: return "<td>\(text)</td>"
                    }
                }.joined() + "</tr>\n"
            }
        }
        return html + "</table></div>\n"
    }

    /// 238223 → "238,223".
    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var result = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { result += "," }
            result.append(digit)
        }
        return (value < 0 ? "-" : "") + result
    }

    static func rate(_ value: Double?, _ successes: Int, _ trials: Int) -> String {
        (value.map { String(format: "%.2f %%", $0 * 100) } ?? "-") + " (\(successes)/\(trials))"
    }

    static func mean(_ value: Double?, _ count: Int, _ currency: String?) -> String {
        (value.map { String(format: "%.2f", $0) + (currency.map { " \($0)" } ?? "") } ?? "-") + " (n \(count))"
    }

    static func signed(_ value: Double, _ format: String) -> String {
        (value >= 0 ? "+" : "") + String(format: format, value)
    }

    /// In percentage points: "+1.00 pt (+0.20 to +1.81)".
    static func points(_ test: ProportionTest) -> String {
        guard let difference = test.difference, let low = test.low, let high = test.high else { return "-" }
        return signed(difference * 100, "%.2f") + " pt (" + signed(low * 100, "%.2f") + " to " + signed(high * 100, "%.2f") + ")"
    }

    static func amounts(_ test: MeanTest) -> String {
        guard let difference = test.difference, let low = test.low, let high = test.high else { return "-" }
        return signed(difference, "%.2f") + " (" + signed(low, "%.2f") + " to " + signed(high, "%.2f") + ")"
    }

    static func p(_ value: Double?) -> String {
        guard let value else { return "-" }
        return value < 0.001 ? "< 0.001" : String(format: "%.3f", value)
    }

    static func needed(_ verdict: ABVerdict, _ sample: Int?, _ control: Int, _ treatment: Int, _ what: String,
                       untestable: String? = nil) -> String {
        switch verdict {
        case .treatmentBetter, .controlBetter: return "-"
        case .notTestable: return untestable ?? "too few \(what)"
        case .notSignificantYet:
            guard let sample else { return "no difference yet" }
            return "≈ \(grouped(sample)) \(what) (have \(grouped(control)) / \(grouped(treatment)))"
        }
    }
}
