import Foundation

/// The evaluation as HTML: one self-contained `<section>` (inline CSS and SVG bar charts, no
/// script, no network) that a larger report can embed, or a whole page.
///
/// ```swift
/// let page = EvaluationHTML.document(report, grid: gridReport)
/// try page.write(toFile: "report.html", atomically: true, encoding: .utf8)
/// ```
public enum EvaluationHTML {
    public static func document(_ report: EvaluationReport, grid: EvaluationGridReport? = nil) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>Crosslink offline evaluation</title>
        <style>\(style)</style></head>
        <body>
        \(section(report, grid: grid))
        </body></html>

        """
    }

    /// The section's CSS (scoped to `.crosslink-eval`).
    public static let style = """
        .crosslink-eval{font:14px/1.4 system-ui,sans-serif;color:#222;max-width:1100px}
        .crosslink-eval table{border-collapse:collapse;margin:8px 0 16px}
        .crosslink-eval th,.crosslink-eval td{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}
        .crosslink-eval th:first-child,.crosslink-eval td:first-child{text-align:left}
        .crosslink-eval tr.baseline td{color:#777}
        .crosslink-eval figure{display:inline-block;margin:0 16px 16px 0}
        .crosslink-eval figcaption{font-weight:600}
        .crosslink-eval .legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}
        """

    static let typeColor = "#2f6db5", baselineColor = "#b9b9b9"

    public static func section(_ report: EvaluationReport, grid: EvaluationGridReport? = nil) -> String {
        let rows = report.rows.filter { $0.metrics.cases > 0 }
        var html = """
            <section class="crosslink-eval">
            <h2>Offline evaluation</h2>
            <p>Model: the events before <b>\(escape(report.split))</b> (\(report.trainingEvents) events and order lines); test: the \
            \(report.testEvents) after it. K = \(report.k)\(report.sample.map { ", at most \($0) cases per type (seed \(report.seed))" } ?? ""); \
            catalog: \(report.catalogSize) displayable products\(report.store.map { "; store \(escape($0))" } ?? "").</p>
            <table><tr><th>type</th><th>cases</th><th>hit</th><th>precision</th><th>recall</th><th>NDCG</th><th>MRR</th>\
            <th>coverage</th><th>novelty</th><th>cold start</th><th>seconds</th></tr>

            """
        for row in report.rows {
            guard row.metrics.cases > 0 else {
                html += "<tr><td>\(row.type.rawValue)</td><td>0</td><td colspan=\"9\" style=\"text-align:left\">no test cases "
                    + "(no \(row.target.rawValue) interactions after the split)</td></tr>\n"
                continue
            }
            html += "<tr><td>\(row.type.rawValue)</td><td>\(row.metrics.cases)</td>\(cells(row.metrics))<td>\(String(format: "%.2f", row.seconds))</td></tr>\n"
            html += "<tr class=\"baseline\"><td>&#8627; \(row.baselineType.rawValue)</td><td></td>\(cells(row.baseline))<td></td></tr>\n"
        }
        html += "</table>\n"
        if !rows.isEmpty {
            html += "<p class=\"legend\"><span style=\"background:\(typeColor)\"></span>type<span style=\"background:\(baselineColor)\"></span>popularity baseline</p>\n"
            let charts: [(String, (EvaluationMetrics) -> Double)] = [
                ("hit rate@\(report.k)", { $0.hitRate }), ("precision@\(report.k)", { $0.precision }), ("recall@\(report.k)", { $0.recall }),
                ("NDCG@\(report.k)", { $0.ndcg }), ("MRR@\(report.k)", { $0.mrr }), ("catalog coverage", { $0.coverage }),
            ]
            for (title, value) in charts {
                html += chart(title, rows.map { ($0.type.rawValue, value($0.metrics), value($0.baseline)) }) + "\n"
            }
        }
        if let grid { html += gridTable(grid) }
        return html + "</section>"
    }

    static func cells(_ m: EvaluationMetrics) -> String {
        m.printedValues.map { "<td>\($0)</td>" }.joined()
    }

    /// Horizontal bars, two per type (the type, then its baseline), scaled to the largest value.
    static func chart(_ title: String, _ bars: [(label: String, value: Double, baseline: Double)]) -> String {
        let labelWidth = 170.0, barWidth = 300.0, barHeight = 11.0, groupHeight = 30.0
        let height = Double(bars.count) * groupHeight + 6
        let top = max(bars.map { max($0.value, $0.baseline) }.max() ?? 0, 1e-12)
        var svg = "<figure><figcaption>\(escape(title))</figcaption>"
            + "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(labelWidth + barWidth + 60))\" height=\"\(Int(height))\" "
            + "font-family=\"system-ui,sans-serif\" font-size=\"11\" role=\"img\" aria-label=\"\(escape(title))\">"
        for (index, bar) in bars.enumerated() {
            let y = Double(index) * groupHeight + 3
            svg += "<text x=\"\(Int(labelWidth - 6))\" y=\"\(format(y + barHeight + 2))\" text-anchor=\"end\">\(escape(bar.label))</text>"
            for (offset, value, color) in [(0.0, bar.value, typeColor), (barHeight + 1, bar.baseline, baselineColor)] {
                let width = value / top * barWidth
                svg += "<rect x=\"\(Int(labelWidth))\" y=\"\(format(y + offset))\" width=\"\(format(width))\" height=\"\(format(barHeight))\" fill=\"\(color)\"/>"
                svg += "<text x=\"\(format(labelWidth + width + 4))\" y=\"\(format(y + offset + barHeight - 2))\">\(String(format: "%.4f", value))</text>"
            }
        }
        return svg + "</svg></figure>"
    }

    static func gridTable(_ grid: EvaluationGridReport) -> String {
        var html = "<h3>Grid (K = \(grid.k)\(grid.sample.map { ", at most \($0) cases per type, seed \(grid.seed)" } ?? ""))</h3>\n"
        html += "<table><tr><th>type</th><th>setting</th><th>hit</th><th>precision</th><th>recall</th><th>NDCG</th><th>MRR</th>"
            + "<th>coverage</th><th>novelty</th><th>cold start</th><th>seconds</th></tr>\n"
        for row in grid.rows {
            let label = escape(row.label) + (row.isLibraryDefault ? " <i>(default)</i>" : "")
            html += "<tr><td>\(row.type.rawValue)</td><td style=\"text-align:left\">\(label)</td>\(cells(row.metrics))"
                + "<td>\(String(format: "%.2f", row.seconds))</td></tr>\n"
        }
        html += "</table>\n<table><tr><th>type</th><th>metric</th><th>best setting</th><th>value</th><th>default's value</th></tr>\n"
        for best in grid.best {
            html += "<tr><td>\(best.type.rawValue)</td><td>\(best.metric)</td><td style=\"text-align:left\">\(escape(best.label))"
                + "\(best.defaultIsBest ? " <i>(default)</i>" : "")</td><td>\(String(format: "%.4f", best.value))</td>"
                + "<td>\(best.defaultValue.map { String(format: "%.4f", $0) } ?? "-")</td></tr>\n"
        }
        return html + "</table>\n"
    }

    static func format(_ value: Double) -> String { String(format: "%.1f", value) }

    static func escape(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            default: result.append(character)
            }
        }
        return result
    }
}
