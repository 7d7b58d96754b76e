import Foundation

/// The page shell, CSS and escaping shared by Crosslink's HTML reports (offline evaluation, unit
/// metrics): self-contained pages — inline CSS and SVG, no script, no network — that open from a
/// file in any browser.
///
/// ```swift
/// let body = "<section class=\"crosslink-report\"><h2>\(HTMLReport.escape(title))</h2>…</section>"
/// try OutputFile.write(HTMLReport.document(title: "Crosslink", body: body), to: "r.html")
/// ```
public enum HTMLReport {
    /// A whole page around `body` with ``style`` and `extraStyle` inlined.
    public static func document(title: String, body: String, extraStyle: String = "") -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
        <style>\(style)\(extraStyle)</style></head>
        <body>
        \(body)
        </body></html>

        """
    }

    /// The CSS of report sections (scoped to `.crosslink-report`, so a section can be embedded).
    public static let style = """
        .crosslink-report{font:14px/1.4 system-ui,sans-serif;color:#222;max-width:1100px}
        .crosslink-report table{border-collapse:collapse;margin:8px 0 16px}
        .crosslink-report th,.crosslink-report td{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right;white-space:nowrap}
        .crosslink-report th:first-child,.crosslink-report td:first-child{text-align:left}
        .crosslink-report figure{display:inline-block;margin:0 16px 16px 0;vertical-align:top}
        .crosslink-report figcaption{font-weight:600}
        .crosslink-report .legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}
        """

    /// Series colours, in order.
    public static let palette = ["#2f6db5", "#e07b39", "#3a9e5c", "#b5452f", "#7a5cb5", "#8c8c8c"]

    /// `text` safe in HTML text and in double-quoted attribute values.
    public static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }

    /// A legend line: a colour square before each name.
    public static func legend(_ entries: [(name: String, color: String)]) -> String {
        "<p class=\"legend\">" + entries.map { "<span style=\"background:\($0.color)\"></span>\(escape($0.name))" }.joined() + "</p>"
    }

    /// A table; cells are escaped, the first column is the row's label.
    public static func table(_ header: [String], _ rows: [[String]], rowClasses: [String?]? = nil) -> String {
        var html = "<table><tr>" + header.map { "<th>\(escape($0))</th>" }.joined() + "</tr>\n"
        for (index, row) in rows.enumerated() {
            let rowClass = rowClasses?[index].map { " class=\"\(escape($0))\"" } ?? ""
            html += "<tr\(rowClass)>" + row.map { "<td>\(escape($0))</td>" }.joined() + "</tr>\n"
        }
        return html + "</table>\n"
    }

    static func number(_ value: Double) -> String { String(format: "%.1f", value) }
}

/// Horizontal bars in groups: one bar per series in each group, scaled to the largest value.
///
/// ```swift
/// let chart = BarChart(title: "CTR", series: [("A", "#2f6db5"), ("B", "#e07b39")],
///                      groups: [("Home picks", [0.031, 0.042])], format: { String(format: "%.2f %%", $0 * 100) })
/// html += chart.svg()
/// ```
public struct BarChart: Sendable {
    public var title: String
    public var series: [(name: String, color: String)]
    public var groups: [(label: String, values: [Double])]
    public var format: @Sendable (Double) -> String

    public init(title: String, series: [(name: String, color: String)], groups: [(label: String, values: [Double])],
                format: @escaping @Sendable (Double) -> String = { String(format: "%.4f", $0) }) {
        self.title = title; self.series = series; self.groups = groups; self.format = format
    }

    /// A `<figure>` with the caption and an inline `<svg>`.
    public func svg() -> String {
        let labelWidth = 170.0, barWidth = 300.0, barHeight = 11.0
        let groupHeight = Double(series.count) * (barHeight + 1) + 6
        let height = Double(groups.count) * groupHeight + 6
        let top = max(groups.flatMap(\.values).filter(\.isFinite).max() ?? 0, 1e-12)
        let title = HTMLReport.escape(self.title)
        var svg = "<figure><figcaption>\(title)</figcaption>"
            + "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(labelWidth + barWidth + 70))\" height=\"\(Int(height))\" "
            + "font-family=\"system-ui,sans-serif\" font-size=\"11\" role=\"img\" aria-label=\"\(title)\">"
        for (index, group) in groups.enumerated() {
            let y = Double(index) * groupHeight + 3
            svg += "<text x=\"\(Int(labelWidth - 6))\" y=\"\(HTMLReport.number(y + barHeight + 2))\" text-anchor=\"end\">"
                + "\(HTMLReport.escape(Self.clip(group.label)))</text>"
            for (offset, value) in group.values.enumerated() where offset < series.count {
                let width = value.isFinite ? max(value, 0) / top * barWidth : 0
                let barY = y + Double(offset) * (barHeight + 1)
                svg += "<rect x=\"\(Int(labelWidth))\" y=\"\(HTMLReport.number(barY))\" width=\"\(HTMLReport.number(width))\" "
                    + "height=\"\(HTMLReport.number(barHeight))\" fill=\"\(series[offset].color)\">"
                    + "<title>\(HTMLReport.escape(group.label + " · " + series[offset].name + ": " + format(value)))</title></rect>"
                svg += "<text x=\"\(HTMLReport.number(labelWidth + width + 4))\" y=\"\(HTMLReport.number(barY + barHeight - 2))\">"
                    + "\(HTMLReport.escape(format(value)))</text>"
            }
        }
        return svg + "</svg></figure>"
    }

    /// Long labels are cut so the bars keep their place (the table beside the chart has them whole).
    static func clip(_ label: String) -> String {
        label.count <= 28 ? label : String(label.prefix(27)) + "…"
    }
}

/// Lines over a shared x axis (days): one polyline with points per series, y from 0 to the
/// largest value.
///
/// ```swift
/// let chart = LineChart(title: "Per day", labels: ["2024-05-01", "2024-05-02"],
///                       series: [("impressions", "#2f6db5", [120, 140]), ("clicks", "#e07b39", [4, 7])])
/// ```
public struct LineChart: Sendable {
    public var title: String
    public var labels: [String]
    public var series: [(name: String, color: String, values: [Double])]
    public var format: @Sendable (Double) -> String

    public init(title: String, labels: [String], series: [(name: String, color: String, values: [Double])],
                format: @escaping @Sendable (Double) -> String = { String(format: "%.0f", $0) }) {
        self.title = title; self.labels = labels; self.series = series; self.format = format
    }

    public func svg() -> String {
        let left = 60.0, right = 40.0, topMargin = 10.0, bottom = 30.0, plotWidth = 560.0, plotHeight = 160.0
        let top = max(series.flatMap(\.values).filter(\.isFinite).max() ?? 0, 1e-12)
        let step = labels.count > 1 ? plotWidth / Double(labels.count - 1) : 0
        func x(_ index: Int) -> Double { left + (labels.count > 1 ? Double(index) * step : plotWidth / 2) }
        func y(_ value: Double) -> Double { topMargin + plotHeight - (value.isFinite ? max(value, 0) : 0) / top * plotHeight }
        let n = HTMLReport.number
        let title = HTMLReport.escape(self.title)
        var svg = "<figure><figcaption>\(title)</figcaption>"
            + "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(left + plotWidth + right))\" "
            + "height=\"\(Int(topMargin + plotHeight + bottom))\" font-family=\"system-ui,sans-serif\" font-size=\"11\" "
            + "role=\"img\" aria-label=\"\(title)\">"
        // Axes, with the top value and 0 on the y axis.
        svg += "<line x1=\"\(n(left))\" y1=\"\(n(topMargin))\" x2=\"\(n(left))\" y2=\"\(n(topMargin + plotHeight))\" stroke=\"#999\"/>"
        svg += "<line x1=\"\(n(left))\" y1=\"\(n(topMargin + plotHeight))\" x2=\"\(n(left + plotWidth))\" y2=\"\(n(topMargin + plotHeight))\" stroke=\"#999\"/>"
        svg += "<text x=\"\(n(left - 6))\" y=\"\(n(topMargin + 8))\" text-anchor=\"end\">\(HTMLReport.escape(format(top)))</text>"
        svg += "<text x=\"\(n(left - 6))\" y=\"\(n(topMargin + plotHeight))\" text-anchor=\"end\">\(HTMLReport.escape(format(0)))</text>"
        // At most 8 day labels, evenly picked, the last always shown.
        let every = max(1, Int((Double(labels.count) / 8).rounded(.up)))
        for (index, label) in labels.enumerated() where index % every == 0 || index == labels.count - 1 {
            svg += "<text x=\"\(n(x(index)))\" y=\"\(n(topMargin + plotHeight + 16))\" text-anchor=\"middle\">\(HTMLReport.escape(label))</text>"
        }
        for line in series {
            let points = line.values.enumerated().map { "\(n(x($0.offset))),\(n(y($0.element)))" }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"2\" points=\"\(points)\"/>"
            for (index, value) in line.values.enumerated() where index < labels.count {
                svg += "<circle cx=\"\(n(x(index)))\" cy=\"\(n(y(value)))\" r=\"3\" fill=\"\(line.color)\">"
                    + "<title>\(HTMLReport.escape(labels[index] + " · " + line.name + ": " + format(value)))</title></circle>"
            }
        }
        return svg + "</svg></figure>"
    }
}
