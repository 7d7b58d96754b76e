import Foundation

/// The evaluation as HTML: one self-contained `<section>` (inline CSS and SVG bar charts, no
/// script, no network; drawn by ``HTMLReport`` and ``BarChart``) that a larger report can embed,
/// or a whole page.
///
/// ```swift
/// let page = EvaluationHTML.document(report, grid: gridReport)
/// try OutputFile.write(page, to: "report.html")
/// ```
public enum EvaluationHTML {
    public static func document(_ report: EvaluationReport, grid: EvaluationGridReport? = nil) -> String {
        HTMLReport.document(title: "Crosslink offline evaluation", body: section(report, grid: grid), extraStyle: evaluationStyle)
    }

    /// The section's CSS: ``HTMLReport/style`` and the baseline rows' colour.
    public static let style = HTMLReport.style + evaluationStyle
    static let evaluationStyle = "\n.crosslink-report tr.baseline td{color:#777}\n.crosslink-report .ci{display:block;color:#666;font-size:11px}"
        + "\n.crosslink-report dl.definitions dt{font-weight:600}\n.crosslink-report dl.definitions dd{margin:0 0 6px 16px}"

    static let typeColor = "#2f6db5", baselineColor = "#b9b9b9"

    public static func section(_ report: EvaluationReport, grid: EvaluationGridReport? = nil) -> String {
        let rows = report.rows.filter { $0.metrics.cases > 0 }
        var html = """
            <section class="crosslink-report crosslink-eval">
            <h2>Offline evaluation</h2>
            <p>Model: the events before <b>\(escape(report.split))</b> (\(report.trainingEvents) events and order lines); test: the \
            \(report.testEvents) after it. K = \(report.k)\(report.sample.map { ", at most \($0) cases per type (seed \(report.seed))" } ?? ""); \
            catalog: \(report.catalogSize) displayable products\(report.store.map { "; store \(escape($0))" } ?? "").</p>
            <p class="note">Under each rate: its 95 % confidence interval over the cases (hit rate: Wilson score interval; \
            precision, recall, NDCG, MRR: t interval of the mean over cases). Overlapping intervals mean the cases do not \
            tell the two apart.</p>
            \(warnings(report))<div class="table-box"><table><tr><th>type</th><th>cases</th><th>hit</th><th>precision</th><th>recall</th><th>NDCG</th><th>MRR</th>\
            <th>coverage</th><th>novelty</th><th>cold start</th><th>seconds</th></tr>

            """
        for row in report.rows {
            guard row.metrics.cases > 0 else {
                html += "<tr><td>\(row.type.rawValue)</td><td>0</td><td colspan=\"9\" style=\"text-align:left\">no test cases "
                    + "(no \(row.target.rawValue) interactions after the split)</td></tr>\n"
                continue
            }
            let few = row.warning == nil ? "" : " &#9888;"
            html += "<tr><td>\(row.type.rawValue)\(few)</td><td>\(row.metrics.cases)</td>\(cells(row.metrics))<td>\(String(format: "%.2f", row.seconds))</td></tr>\n"
            html += "<tr class=\"baseline\"><td>&#8627; \(row.baselineType.rawValue)</td><td></td>\(cells(row.baseline))<td></td></tr>\n"
        }
        html += "</table></div>\n" + differences(report)
        if !rows.isEmpty {
            typealias Interval = EvaluationIntervals.Interval
            let charts: [(String, (EvaluationMetrics) -> Double, (EvaluationIntervals) -> Interval?)] = [
                ("hit rate@\(report.k)", { $0.hitRate }, { $0.hitRate }), ("precision@\(report.k)", { $0.precision }, { $0.precision }),
                ("recall@\(report.k)", { $0.recall }, { $0.recall }), ("NDCG@\(report.k)", { $0.ndcg }, { $0.ndcg }),
                ("MRR@\(report.k)", { $0.mrr }, { $0.mrr }), ("catalog coverage", { $0.coverage }, { _ in nil }),
            ]
            for (title, value, interval) in charts {
                let intervals = rows.map { row in
                    [row.metrics.intervals.flatMap(interval), row.baseline.intervals.flatMap(interval)].map { $0.map { (low: $0.low, high: $0.high) } }
                }
                let drawn = intervals.contains { $0.contains { $0 != nil } }
                html += BarChart(title: title + (drawn ? " (lines: 95 % intervals)" : ""),
                                 series: [("type", typeColor), ("popularity baseline", baselineColor)],
                                 groups: rows.map { ($0.type.rawValue, [value($0.metrics), value($0.baseline)]) },
                                 intervals: intervals).svg() + "\n"
            }
        }
        if let grid { html += gridTable(grid) }
        return html + definitions(k: report.k) + "</section>"
    }

    /// Value cells; the rates with their interval under them.
    static func cells(_ m: EvaluationMetrics) -> String {
        let intervals = m.intervals?.printedValues ?? []
        return m.printedValues.enumerated().map { item in
            item.offset < intervals.count ? "<td>\(item.element)<span class=\"ci\">\(intervals[item.offset])</span></td>" : "<td>\(item.element)</td>"
        }.joined()
    }

    /// Each type against its baseline on the same cases (``EvaluationRow/versusBaseline``).
    static func differences(_ report: EvaluationReport) -> String {
        let rows = report.rows.compactMap { row in row.versusBaseline.map { (row, $0) } }
        guard !rows.isEmpty else { return "" }
        var html = "<h3>Against the baseline</h3>\n<p class=\"note\">Type minus its popularity baseline on the same cases: the mean "
            + "difference and its 95 % paired t interval; the verdict is on NDCG.</p>\n"
        html += "<div class=\"table-box\"><table><tr><th>type</th><th>baseline</th><th>hit</th><th>NDCG</th><th>MRR</th>"
            + "<th class=\"label\">verdict</th></tr>\n"
        for (row, difference) in rows {
            let color = difference.ndcg.low > 0 ? "#1d7a3a" : difference.ndcg.high < 0 ? "#b5452f" : "#666"
            html += "<tr><td>\(row.type.rawValue)</td><td>\(row.baselineType.rawValue)</td>"
                + difference.printedValues.map { "<td>\(escape($0))</td>" }.joined()
                + "<td class=\"verdict\" style=\"color:\(color)\">\(escape(difference.verdict))</td></tr>\n"
        }
        return html + "</table></div>\n"
    }

    /// A warning per type with few cases (``EvaluationRow/warning``).
    /// One box listing them (the text and JSON carry each row's ``EvaluationRow/warning``).
    static func warnings(_ report: EvaluationReport) -> String {
        let few = report.rows.filter { $0.warning != nil }
        guard !few.isEmpty else { return "" }
        return "<div class=\"warning\">&#9888; Fewer than \(EvaluationMetrics.fewCases) cases: these scores may move a lot on other "
            + "cases; compare the 95 % intervals, not the values.<ul>"
            + few.map { "<li>\($0.type.rawValue): \($0.metrics.cases) cases</li>" }.joined() + "</ul></div>\n"
    }

    /// What each column means (README "Offline evaluation").
    static func definitions(k: Int) -> String {
        let items = [
            ("cases", "Test cases: what a visitor did from the split on (the next products of a session for product-page types, "
                + "a visitor's products for the others). Rates are means over the cases."),
            ("hit rate@\(k)", "Share of cases with at least one relevant product among the first \(k) recommended."),
            ("precision@\(k)", "Relevant products in the list / \(k) (empty slots of a shorter list count as misses)."),
            ("recall@\(k)", "Relevant products in the list / relevant products of the case."),
            ("NDCG@\(k)", "DCG / ideal DCG, a relevant product at rank r adding 1 / log2(r + 1): rewards relevant products near the top."),
            ("MRR@\(k)", "1 / rank of the first relevant product (0 without one)."),
            ("coverage", "Distinct products recommended over all cases / displayable products of the catalog."),
            ("novelty", "Mean popularity rank of the recommended products before the split (1 = the most popular; higher = less obvious)."),
            ("cold start", "Cases where the type returned fewer than \(k) products."),
            ("baseline", "The popularity type of the same interaction, asked the same questions on the same cases."),
        ]
        return "<h3>Definitions</h3>\n<dl class=\"definitions\">" + items.map { "<dt>\(escape($0.0))</dt><dd>\(escape($0.1))</dd>" }.joined()
            + "</dl>\n"
    }

    static func gridTable(_ grid: EvaluationGridReport) -> String {
        var html = "<h3>Grid (K = \(grid.k)\(grid.sample.map { ", at most \($0) cases per type, seed \(grid.seed)" } ?? ""))</h3>\n"
        html += "<div class=\"table-box\"><table><tr><th>type</th><th>setting</th><th>hit</th><th>precision</th><th>recall</th><th>NDCG</th><th>MRR</th>"
            + "<th>coverage</th><th>novelty</th><th>cold start</th><th>seconds</th></tr>\n"
        for row in grid.rows {
            let label = escape(row.label) + (row.isLibraryDefault ? " <i>(default)</i>" : "")
            html += "<tr><td>\(row.type.rawValue)</td><td style=\"text-align:left\">\(label)</td>\(cells(row.metrics))"
                + "<td>\(String(format: "%.2f", row.seconds))</td></tr>\n"
        }
        html += "</table></div>\n<div class=\"table-box\"><table><tr><th>type</th><th>metric</th><th>best setting</th><th>value</th><th>default's value</th></tr>\n"
        for best in grid.best {
            html += "<tr><td>\(best.type.rawValue)</td><td>\(best.metric)</td><td style=\"text-align:left\">\(escape(best.label))"
                + "\(best.defaultIsBest ? " <i>(default)</i>" : "")</td><td>\(String(format: "%.4f", best.value))</td>"
                + "<td>\(best.defaultValue.map { String(format: "%.4f", $0) } ?? "-")</td></tr>\n"
        }
        return html + "</table></div>\n"
    }

    static func escape(_ text: String) -> String { HTMLReport.escape(text) }
}
