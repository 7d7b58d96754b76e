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
    /// The ISO 4217 code amounts are in, as given (the schema stores no currency); nil = not said.
    public var currency: String?
    public var totals: UnitMetricsRow
    public var days: [UnitMetricsRow]
    public var units: [UnitMetricsRow]
    public var variants: [UnitMetricsRow]
    /// Each treatment variant against its unit's control, for units with two or more variants.
    public var comparisons: [VariantComparison]

    public init(_ db: Database, query: UnitMetricsQuery, currency: String? = nil) throws {
        let metrics = UnitMetrics(db)
        func rows(_ by: Set<UnitMetricsQuery.Dimension>) throws -> [UnitMetricsRow] {
            var grouped = query
            grouped.by = by
            return try metrics.rows(grouped)
        }
        from = query.from; to = query.to; store = query.store; unitID = query.unitID
        self.currency = try currency.map(Self.currencyCode)
        totals = try metrics.totals(query)
        days = try rows([.day])
        units = try rows([.unit])
        variants = try rows([.unit, .variant])
        comparisons = VariantComparison.comparisons(variants: variants, visitors: try metrics.visitorTotals(query))
    }

    /// `text` as an ISO 4217 code (three letters, upper-cased), or a ``RequestError``.
    public static func currencyCode(_ text: String) throws -> String {
        let code = text.uppercased()
        guard code.count == 3, code.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) }) else {
            throw RequestError(.invalidOption, "bad currency \(String(reflecting: text)): give an ISO 4217 code such as EUR or USD")
        }
        return code
    }

    /// The whole page: totals, metrics per day (lines), per unit (bars), the A/B tests and the
    /// variants side by side, each with its table. Inline CSS and SVG only; every text is escaped.
    public func html() -> String {
        HTMLReport.document(title: "Crosslink unit metrics", body: section())
    }

    /// The report as one `<section>` another page can embed (with ``HTMLReport/style``).
    public func section() -> String {
        var html = "<section class=\"crosslink-report crosslink-metrics\">\n<h1>Recommendation unit metrics</h1>\n"
        // The days the numbers cover: the range asked for, else the first and last day with events.
        let first = from ?? days.first?.day, last = to ?? days.last?.day
        var scope = [first.map { "days: \($0) to \(last ?? $0) (UTC)" } ?? "days: none with events",
                     "store: \(store ?? "every store")"]
        if let unitID { scope.append("unit: \(unitID)") }
        scope.append(currency.map { "amounts in \($0)" } ?? "currency not set (amounts as stored; crosslink report --currency EUR names it)")
        html += "<p class=\"scope\">" + HTMLReport.escape(scope.joined(separator: "; ")) + "</p>\n"
        html += "<h2>Totals</h2>\n" + HTMLReport.table(header, [Self.cells(totals)], rowClasses: ["totals"])
        guard !days.isEmpty else { return html + "<p>No unit events in this range.</p>\n</section>" }

        let labels = days.map { $0.day ?? "" }
        let money = self.money
        html += "<h2>Per day</h2>\n"
        html += LineChart(title: "Impressions, views and clicks per day", labels: labels, series: [
            ("impressions", Self.colors.impressions, days.map { Double($0.impressions) }),
            ("views", Self.colors.views, days.map { Double($0.views) }),
            ("clicks", Self.colors.clicks, days.map { Double($0.clicks) }),
        ]).svg() + "\n"
        html += LineChart(title: "CTR and vCTR per day", labels: labels, series: [
            ("CTR", Self.colors.ctr, days.map { $0.ctr ?? 0 }), ("vCTR", Self.colors.vctr, days.map { $0.vctr ?? 0 }),
        ], format: Self.percent).svg() + "\n"
        html += LineChart(title: "Revenue per day" + (currency.map { " (\($0))" } ?? ""), labels: labels, series: [
            ("revenue in session", Self.colors.revenue, days.map(\.revenue)),
            ("lifetime revenue", Self.colors.lifetime, days.map(\.lifetimeRevenue)),
        ], format: money).svg() + "\n"
        html += HTMLReport.table(["day"] + header, days.map { [$0.day ?? ""] + Self.cells($0) })

        html += "<h2>Per unit</h2>\n"
        for (title, series, color, value, format) in charts {
            html += BarChart(title: title + " per unit", series: [(series, color)], groups: units.map { (Self.label($0), [value($0)]) },
                             format: format).svg() + "\n"
        }
        html += HTMLReport.table(["store", "unit"] + header, units.map { [$0.store ?? "", Self.label($0)] + Self.cells($0) },
                                 labelColumns: 2)
        html += abSection()
        return html + "</section>"
    }

    /// The A/B tests and, for units with two or more variants only, their variants side by side.
    func abSection() -> String {
        var html = "<h2>A/B tests</h2>\n"
        let tested = units.filter { unit in comparisons.contains { $0.store == unit.store && $0.unitID == unit.unitID } }
        guard !tested.isEmpty else {
            return html + "<p class=\"note\">No unit has two variants in this range: an A/B test needs events of variants A and B "
                + "of the same unit.</p>\n"
        }
        html += "<p class=\"note\">Each variant against the unit's control (A). CTR: two-proportion z-test on clicks of impressions; "
            + "conversion: exposed visitors (any event of the variant) with an attributed order in a click's session, same test; "
            + "revenue per visitor: Welch's t-test on each exposed visitor's in-session revenue. Intervals are 95 % (Newcombe "
            + "for rates, Welch for revenue); a verdict needs p &lt; 0.05. \u{201C}Needed\u{201D}: impressions or visitors per variant "
            + "for the observed difference to reach 95 % confidence with 80 % power.</p>\n"
        html += VariantComparisonTable.html(comparisons, currency: currency)
        let names = Array(Set(variants.filter { row in tested.contains { $0.store == row.store && $0.unitID == row.unitID } }
            .compactMap(\.variant))).sorted()
        let colors = names.enumerated().map { (name: "variant " + $0.element, color: Self.variantColors[$0.offset % Self.variantColors.count]) }
        html += "<h3>Variants side by side</h3>\n"
        for (title, _, _, value, format) in charts {
            let groups = tested.map { unit in
                (Self.label(unit), names.map { name in
                    variants.first { $0.store == unit.store && $0.unitID == unit.unitID && $0.variant == name }.map(value) ?? 0
                })
            }
            // CTR is a proportion: each variant's bar carries its Wilson interval.
            let intervals = title == "CTR" ? tested.map { unit in
                names.map { name -> (low: Double, high: Double)? in
                    guard let row = variants.first(where: { $0.store == unit.store && $0.unitID == unit.unitID && $0.variant == name }),
                          row.impressions > 0, row.clicks <= row.impressions else { return nil }
                    let interval = Statistics.wilson(successes: row.clicks, trials: row.impressions)
                    return (interval.low, interval.high)
                }
            } : []
            html += BarChart(title: title + " by variant" + (intervals.isEmpty ? "" : " (lines: 95 % intervals)"), series: colors,
                             groups: groups, intervals: intervals, format: format).svg() + "\n"
        }
        let rows = variants.filter { row in tested.contains { $0.store == row.store && $0.unitID == row.unitID } }
        html += HTMLReport.table(["store", "unit", "variant"] + header,
                                 rows.map { [$0.store ?? "", Self.label($0), $0.variant ?? ""] + Self.cells($0) }, labelColumns: 2)
        return html
    }

    var header: [String] {
        let suffix = currency.map { " (\($0))" } ?? ""
        return ["impressions", "vImpressions", "views", "clicks", "item clicks", "cart clicks", "viewability",
                "CTR", "vCTR", "orders", "revenue" + suffix, "lifetime revenue" + suffix]
    }

    static func cells(_ row: UnitMetricsRow) -> [String] {
        [String(row.impressions), String(row.vImpressions), String(row.views), String(row.clicks), String(row.itemClicks),
         String(row.cartClicks), ratio(row.viewability), ratio(row.ctr), ratio(row.vctr), String(row.orders),
         amount(row.revenue), amount(row.lifetimeRevenue)]
    }

    /// Each metric's colour, used for it in every chart; variants have colours of their own.
    static let colors = (impressions: HTMLReport.palette[0], views: HTMLReport.palette[2], clicks: HTMLReport.palette[1],
                         ctr: HTMLReport.palette[3], vctr: HTMLReport.palette[4], revenue: HTMLReport.palette[5],
                         lifetime: HTMLReport.palette[6])
    static let variantColors = [HTMLReport.palette[8], HTMLReport.palette[9], HTMLReport.palette[7], HTMLReport.palette[6]]

    var charts: [(String, String, String, @Sendable (UnitMetricsRow) -> Double, @Sendable (Double) -> String)] {
        [("Impressions", "impressions", Self.colors.impressions, { Double($0.impressions) }, { String(format: "%.0f", $0) }),
         ("CTR", "CTR", Self.colors.ctr, { $0.ctr ?? 0 }, Self.percent),
         ("vCTR", "vCTR", Self.colors.vctr, { $0.vctr ?? 0 }, Self.percent),
         ("Revenue", "revenue in session", Self.colors.revenue, { $0.revenue }, money)]
    }

    /// A unit's name with its id, or the id alone when the units table does not know it.
    static func label(_ row: UnitMetricsRow) -> String {
        let id = row.unitID ?? ""
        return row.unitName.map { "\($0) (#\(id))" } ?? id
    }

    /// An amount with the currency code when one is set.
    var money: @Sendable (Double) -> String {
        let code = currency
        return { value in Self.amount(value) + (code.map { " \($0)" } ?? "") }
    }

    @Sendable static func percent(_ value: Double) -> String { String(format: "%.2f %%", value * 100) }
    @Sendable static func amount(_ value: Double) -> String { String(format: "%.2f", value) }
    static func ratio(_ value: Double?) -> String { value.map(percent) ?? "-" }
}
