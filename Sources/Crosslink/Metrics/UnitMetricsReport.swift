import Foundation

/// Everything the unit metrics report shows, read in one snapshot: the totals, one row per day,
/// per unit and per unit variant, for one ``UnitMetricsQuery``'s days, store and unit.
///
/// ```swift
/// let report = try store.read { db in try UnitMetricsReport(db, query: UnitMetricsQuery(from: "2024-05-01")) }
/// try OutputFile.write(report.html(), to: "report.html")
/// ```
public struct UnitMetricsReport: Sendable, Equatable, Codable {
    public var from: String?
    public var to: String?
    public var store: String?
    public var unitID: String?
    public var totals: UnitMetricsRow
    public var days: [UnitMetricsRow]
    public var units: [UnitMetricsRow]
    public var variants: [UnitMetricsRow]

    public init(_ db: Database, query: UnitMetricsQuery) throws {
        let metrics = UnitMetrics(db)
        func rows(_ by: Set<UnitMetricsQuery.Dimension>) throws -> [UnitMetricsRow] {
            var grouped = query
            grouped.by = by
            return try metrics.rows(grouped)
        }
        from = query.from; to = query.to; store = query.store; unitID = query.unitID
        totals = try metrics.totals(query)
        days = try rows([.day])
        units = try rows([.unit])
        variants = try rows([.unit, .variant])
    }

    /// The whole page: totals, metrics per day (lines), per unit (bars) and per variant (bars
    /// side by side), each with its table. Inline CSS and SVG only; every text is escaped.
    public func html() -> String {
        HTMLReport.document(title: "Crosslink unit metrics", body: section())
    }

    /// The report as one `<section>` another page can embed (with ``HTMLReport/style``).
    public func section() -> String {
        var html = "<section class=\"crosslink-report crosslink-metrics\">\n<h1>Recommendation unit metrics</h1>\n"
        var scope = ["days: \(from ?? "first") to \(to ?? "last") (UTC)", "store: \(store ?? "every store")"]
        if let unitID { scope.append("unit: \(unitID)") }
        html += "<p>" + HTMLReport.escape(scope.joined(separator: "; ")) + "</p>\n"
        html += "<h2>Totals</h2>\n" + HTMLReport.table(Self.header, [Self.cells(totals)], rowClasses: ["totals"])
        guard !days.isEmpty else { return html + "<p>No unit events in this range.</p>\n</section>" }

        let labels = days.map { $0.day ?? "" }
        html += "<h2>Per day</h2>\n"
        html += HTMLReport.legend([("impressions", HTMLReport.palette[0]), ("views", HTMLReport.palette[2]),
                                   ("clicks", HTMLReport.palette[1])]) + "\n"
        html += LineChart(title: "Impressions, views and clicks per day", labels: labels, series: [
            ("impressions", HTMLReport.palette[0], days.map { Double($0.impressions) }),
            ("views", HTMLReport.palette[2], days.map { Double($0.views) }),
            ("clicks", HTMLReport.palette[1], days.map { Double($0.clicks) }),
        ]).svg() + "\n"
        html += LineChart(title: "CTR and vCTR per day", labels: labels, series: [
            ("CTR", HTMLReport.palette[0], days.map { $0.ctr ?? 0 }), ("vCTR", HTMLReport.palette[1], days.map { $0.vctr ?? 0 }),
        ], format: Self.percent).svg() + "\n"
        html += LineChart(title: "Revenue per day (in session, lifetime)", labels: labels, series: [
            ("revenue", HTMLReport.palette[2], days.map(\.revenue)), ("lifetime revenue", HTMLReport.palette[5], days.map(\.lifetimeRevenue)),
        ], format: Self.money).svg() + "\n"
        html += HTMLReport.table(["day"] + Self.header, days.map { [$0.day ?? ""] + Self.cells($0) })

        html += "<h2>Per unit</h2>\n"
        let unitSeries = [("unit", HTMLReport.palette[0])]
        for (title, value, format) in Self.charts {
            html += BarChart(title: title, series: unitSeries, groups: units.map { (Self.label($0), [value($0)]) }, format: format).svg() + "\n"
        }
        html += HTMLReport.table(["store", "unit"] + Self.header, units.map { [$0.store ?? "", Self.label($0)] + Self.cells($0) })

        html += "<h2>Variants side by side</h2>\n"
        let names = Array(Set(variants.compactMap(\.variant))).sorted()
        let colors = names.enumerated().map { (name: $0.element, color: HTMLReport.palette[$0.offset % HTMLReport.palette.count]) }
        html += HTMLReport.legend(colors.map { ("variant " + $0.name, $0.color) }) + "\n"
        for (title, value, format) in Self.charts {
            let groups = units.map { unit in
                (Self.label(unit), names.map { name in
                    variants.first { $0.store == unit.store && $0.unitID == unit.unitID && $0.variant == name }.map(value) ?? 0
                })
            }
            html += BarChart(title: title + " by variant", series: colors, groups: groups, format: format).svg() + "\n"
        }
        html += HTMLReport.table(["store", "unit", "variant"] + Self.header,
                                 variants.map { [$0.store ?? "", Self.label($0), $0.variant ?? ""] + Self.cells($0) })
        return html + "</section>"
    }

    static let header = ["impressions", "vImpressions", "views", "clicks", "item clicks", "cart clicks", "viewability",
                         "CTR", "vCTR", "orders", "revenue", "lifetime revenue"]

    static func cells(_ row: UnitMetricsRow) -> [String] {
        [String(row.impressions), String(row.vImpressions), String(row.views), String(row.clicks), String(row.itemClicks),
         String(row.cartClicks), ratio(row.viewability), ratio(row.ctr), ratio(row.vctr), String(row.orders),
         money(row.revenue), money(row.lifetimeRevenue)]
    }

    static let charts: [(String, @Sendable (UnitMetricsRow) -> Double, @Sendable (Double) -> String)] = [
        ("Impressions", { Double($0.impressions) }, { String(format: "%.0f", $0) }),
        ("CTR", { $0.ctr ?? 0 }, percent),
        ("vCTR", { $0.vctr ?? 0 }, percent),
        ("Revenue", { $0.revenue }, money),
    ]

    /// A unit's name with its id, or the id alone when the units table does not know it.
    static func label(_ row: UnitMetricsRow) -> String {
        let id = row.unitID ?? ""
        return row.unitName.map { "\($0) (#\(id))" } ?? id
    }

    @Sendable static func percent(_ value: Double) -> String { String(format: "%.2f %%", value * 100) }
    @Sendable static func money(_ value: Double) -> String { String(format: "%.2f", value) }
    static func ratio(_ value: Double?) -> String { value.map(percent) ?? "-" }
}
