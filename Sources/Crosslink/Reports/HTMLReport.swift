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
    /// Charts shrink to the window (their SVGs have a viewBox); a table wider than the window
    /// scrolls inside its own box, so the page itself never scrolls sideways.
    public static let style = """
        .crosslink-report{font:14px/1.4 system-ui,sans-serif;color:#222;max-width:1260px}
        .crosslink-report .table-box{max-width:100%;overflow-x:auto;margin:8px 0 16px}
        .crosslink-report table{border-collapse:collapse}
        .crosslink-report th,.crosslink-report td{padding:3px 6px;border-bottom:1px solid #ddd;text-align:right;white-space:nowrap}
        .crosslink-report th{white-space:normal;vertical-align:bottom;min-width:3em}
        .crosslink-report th:first-child,.crosslink-report td:first-child{text-align:left}
        .crosslink-report td.label{white-space:normal;text-align:left;min-width:9em}
        .crosslink-report th.label{text-align:left}
        .crosslink-report tr.group th{text-align:left;padding-top:10px;border-bottom:1px solid #bbb}
        .crosslink-report td.verdict{font-weight:600;text-align:left;white-space:normal;min-width:6em}
        .crosslink-report figure{display:inline-block;margin:0 16px 16px 0;vertical-align:top;max-width:100%}
        .crosslink-report figure svg{display:block;max-width:100%;height:auto}
        .crosslink-report figcaption{font-weight:600}
        .crosslink-report .legend{margin:2px 0 4px}
        .crosslink-report .legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}
        .crosslink-report .legend span:first-child{margin-left:0}
        .crosslink-report .note{color:#555}
        .crosslink-report .warning{color:#8a4b00;background:#fff4e0;padding:4px 8px;margin:8px 0;border-left:3px solid #e0a030}
        .crosslink-report .warning ul{margin:4px 0;padding-left:20px}

        """

    /// Series colours, in order: no two alike, so a chart's series never share a colour.
    public static let palette = ["#2f6db5", "#e07b39", "#3a9e5c", "#7a5cb5", "#c23b80", "#8c6d1f", "#17a2b8", "#b5452f",
                                 "#555f6d", "#d4a017"]

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

    /// A table in its own horizontally scrolling box; cells are escaped, the first column is the
    /// row's label (`labelColumns` of them wrap instead of widening the table).
    public static func table(_ header: [String], _ rows: [[String]], rowClasses: [String?]? = nil, labelColumns: Int = 0) -> String {
        var html = "<div class=\"table-box\"><table><tr>" + header.enumerated().map { item in
            item.offset < labelColumns ? "<th class=\"label\">\(escape(item.element))</th>" : "<th>\(escape(item.element))</th>"
        }.joined() + "</tr>\n"
        for (index, row) in rows.enumerated() {
            let rowClass = rowClasses?[index].map { " class=\"\(escape($0))\"" } ?? ""
            html += "<tr\(rowClass)>" + row.enumerated().map { cell in
                cell.offset < labelColumns ? "<td class=\"label\">\(escape(cell.element))</td>" : "<td>\(escape(cell.element))</td>"
            }.joined() + "</tr>\n"
        }
        return html + "</table></div>\n"
    }

    /// The y-axis ticks of values up to `maximum`: 0 and about `count` round steps (1, 2, 2.5 or
    /// 5 × 10ⁿ), the last at or above the maximum.
    public static func ticks(maximum: Double, count: Int = 4) -> [Double] {
        guard maximum.isFinite, maximum > 0 else { return [0, 1] }
        let raw = maximum / Double(max(count, 1))
        let magnitude = pow(10, floor(log10(raw)))
        let step = ([1, 2, 2.5, 5, 10].first { raw / magnitude <= $0 + 1e-9 } ?? 10) * magnitude
        let steps = Int((maximum / step - 1e-9).rounded(.up))
        return (0...max(steps, 1)).map { Double($0) * step }
    }

    static func number(_ value: Double) -> String { String(format: "%.1f", value) }
}

/// Horizontal bars in groups: one bar per series in each group, scaled to the largest value,
/// with the series' legend under the caption.
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
    /// Per group, per series: an interval drawn as a line with end ticks across the bar (nil: none).
    public var intervals: [[(low: Double, high: Double)?]]

    public init(title: String, series: [(name: String, color: String)], groups: [(label: String, values: [Double])],
                intervals: [[(low: Double, high: Double)?]] = [],
                format: @escaping @Sendable (Double) -> String = { String(format: "%.4f", $0) }) {
        self.title = title; self.series = series; self.groups = groups; self.intervals = intervals; self.format = format
    }

    /// A `<figure>` with the caption, the legend and an inline `<svg>` that shrinks to the window.
    public func svg() -> String {
        // Room for the longest label (about 6.4 px a character at 11 px) and the longest value.
        let labelWidth = 14 + 6.4 * Double(groups.map { Self.clip($0.label).count }.max() ?? 0)
        let valueWidth = 10 + 6.4 * Double(groups.flatMap(\.values).map { format($0).count }.max() ?? 0)
        let barWidth = 300.0, barHeight = 11.0
        let groupHeight = Double(series.count) * (barHeight + 1) + 6
        let width = Int(labelWidth + barWidth + valueWidth), height = Int(Double(groups.count) * groupHeight + 6)
        let highs = intervals.flatMap { $0.compactMap { $0?.high } }
        let top = max((groups.flatMap(\.values) + highs).filter(\.isFinite).max() ?? 0, 1e-12)
        let title = HTMLReport.escape(self.title)
        var svg = "<figure class=\"chart\"><figcaption>\(title)</figcaption>" + HTMLReport.legend(series)
            + "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" "
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
                var end = labelWidth + width
                if index < intervals.count, offset < intervals[index].count, let interval = intervals[index][offset],
                   interval.low.isFinite, interval.high.isFinite {
                    let from = labelWidth + max(interval.low, 0) / top * barWidth, to = labelWidth + max(interval.high, 0) / top * barWidth
                    let middle = barY + barHeight / 2, n = HTMLReport.number
                    svg += "<path class=\"interval\" d=\"M\(n(from)) \(n(middle))H\(n(to))M\(n(from)) \(n(barY + 2))V\(n(barY + barHeight - 2))"
                        + "M\(n(to)) \(n(barY + 2))V\(n(barY + barHeight - 2))\" stroke=\"#222\" stroke-width=\"1\" fill=\"none\"/>"
                    end = max(end, to)
                }
                svg += "<text x=\"\(HTMLReport.number(end + 4))\" y=\"\(HTMLReport.number(barY + barHeight - 2))\">"
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

/// Lines over a shared x axis (days): one polyline with points per series, the legend under the
/// caption, and a y axis from 0 in round steps (``HTMLReport/ticks(maximum:count:)``) with the
/// largest value marked.
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
        let largest = series.flatMap(\.values).filter(\.isFinite).max() ?? 0
        let ticks = HTMLReport.ticks(maximum: largest)
        // The y labels' width (about 6.4 px a character at 11 px) comes out of the plot's.
        // At least half a day label, which is centred on the first point.
        let left = max(40, 14 + 6.4 * Double(ticks.map { format($0).count }.max() ?? 1))
        let right = 36.0, topMargin = 10.0, bottom = 30.0, plotWidth = 580 - left - right, plotHeight = 160.0
        let top = ticks.last ?? 1
        let step = labels.count > 1 ? plotWidth / Double(labels.count - 1) : 0
        func x(_ index: Int) -> Double { left + (labels.count > 1 ? Double(index) * step : plotWidth / 2) }
        func y(_ value: Double) -> Double { topMargin + plotHeight - (value.isFinite ? max(value, 0) : 0) / top * plotHeight }
        let n = HTMLReport.number
        let title = HTMLReport.escape(self.title)
        let width = Int(left + plotWidth + right), height = Int(topMargin + plotHeight + bottom)
        var svg = "<figure class=\"chart\"><figcaption>\(title)</figcaption>"
            + HTMLReport.legend(series.map { ($0.name, $0.color) })
            + "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" "
            + "font-family=\"system-ui,sans-serif\" font-size=\"11\" role=\"img\" aria-label=\"\(title)\">"
        // Grid lines and labels at the ticks, then the axes.
        for tick in ticks {
            svg += "<line x1=\"\(n(left))\" y1=\"\(n(y(tick)))\" x2=\"\(n(left + plotWidth))\" y2=\"\(n(y(tick)))\" stroke=\"#e4e4e4\"/>"
            svg += "<text class=\"tick\" x=\"\(n(left - 6))\" y=\"\(n(y(tick) + 4))\" text-anchor=\"end\">\(HTMLReport.escape(format(tick)))</text>"
        }
        svg += "<line x1=\"\(n(left))\" y1=\"\(n(topMargin))\" x2=\"\(n(left))\" y2=\"\(n(topMargin + plotHeight))\" stroke=\"#999\"/>"
        svg += "<line x1=\"\(n(left))\" y1=\"\(n(topMargin + plotHeight))\" x2=\"\(n(left + plotWidth))\" y2=\"\(n(topMargin + plotHeight))\" stroke=\"#999\"/>"
        // The largest value: a dashed line labelled inside the plot (the top tick is rounded up).
        if largest > 0 {
            svg += "<line x1=\"\(n(left))\" y1=\"\(n(y(largest)))\" x2=\"\(n(left + plotWidth))\" y2=\"\(n(y(largest)))\" "
                + "stroke=\"#888\" stroke-dasharray=\"3 3\"/>"
            // Above the line, or under it when the line is at the top.
            let labelY = y(largest) - 3 < topMargin + 10 ? y(largest) + 12 : y(largest) - 3
            svg += "<text class=\"max\" x=\"\(n(left + plotWidth))\" y=\"\(n(labelY))\" text-anchor=\"end\" fill=\"#555\">"
                + "max \(HTMLReport.escape(format(largest)))</text>"
        }
        // At most 6 day labels, evenly picked, the last always shown.
        let every = max(1, Int((Double(labels.count) / 6).rounded(.up)))
        for (index, label) in labels.enumerated() where index % every == 0 || index == labels.count - 1 {
            if index != labels.count - 1, labels.count - 1 - index < every / 2 + 1, index != 0 { continue }
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
