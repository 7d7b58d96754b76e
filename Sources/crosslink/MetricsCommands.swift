import ArgumentParser
import Crosslink
import Foundation

/// The options `metrics` and `report` share: which days, store and unit.
struct MetricsScope: ParsableArguments {
    @Option(help: ArgumentHelp("First UTC day, inclusive.", valueName: "YYYY-MM-DD")) var from: String?
    @Option(help: ArgumentHelp("Last UTC day, inclusive.", valueName: "YYYY-MM-DD")) var to: String?
    @Option(help: ArgumentHelp("Only this store view.", valueName: "code")) var store: String?
    @Option(help: ArgumentHelp("Only this unit: its id as unit events carry it, or its name.", valueName: "id|name")) var unit: String?

    func query(_ db: Database, by: Set<UnitMetricsQuery.Dimension>) throws -> UnitMetricsQuery {
        UnitMetricsQuery(by: by, from: from, to: to, store: store, unitID: try unit.map { try UnitMetrics(db).unitID(for: $0, store: store) })
    }
}

struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Impressions, views, clicks, CTR, vCTR and attributed revenue of the recommendation units.",
        discussion: """
            Computed from the unit events (recs-unit-render, recs-unit-view, recs-item-click, recs-add-to-cart-click) \
            and the orders of the event log, per unit variant (default), unit or day; days are UTC. vImpressions are \
            renders viewed at least once; revenue is the order lines of a clicked SKU (or its parent) ordered later in \
            the click's session, lifetime revenue the same in any later session of the visitor. See README \
            "Unit metrics"; the same numbers are in the views unit_metrics and unit_metrics_daily.
            Examples:
              crosslink metrics
              crosslink metrics --by day --from 2024-05-01 --to 2024-05-07
              crosslink metrics --by day,variant --unit "Home picks" --json
              crosslink metrics --by unit --store default
              crosslink metrics --ab --json                    # only the A/B tests
            With --by variant (the default) the A/B tests follow the table: each variant against the unit's \
            control (A) on CTR (two-proportion z-test), conversion of exposed visitors (same) and revenue per \
            visitor (Welch's t-test), with 95 % intervals, a verdict and the sample still needed.
            """)

    @ParentCommand var root: CrosslinkCommand
    var global: GlobalOptions { root.global }
    @OptionGroup var scope: MetricsScope
    @OptionGroup var output: OutputOptions
    @Option(help: ArgumentHelp("Group by: day, unit, variant, or several comma-separated (variant includes unit).",
                               valueName: "day|unit|variant"))
    var by: String = "variant"
    @Flag(help: "Print only the A/B tests: each variant against its unit's control (A) on CTR, conversion and revenue per visitor.")
    var ab = false
    @Option(help: ArgumentHelp("The ISO 4217 code amounts are in (the catalog stores none), e.g. EUR.", valueName: "code"))
    var currency: String?

    func run() throws {
        var dimensions: Set<UnitMetricsQuery.Dimension> = []
        for name in by.split(separator: ",") {
            let text = name.trimmingCharacters(in: .whitespaces)
            guard let dimension = UnitMetricsQuery.Dimension(rawValue: text) else {
                throw ValidationError("--by \(text): use day, unit or variant")
            }
            dimensions.insert(dimension)
        }
        let store = try global.openStore(.read)
        let currency = try self.currency.map(UnitMetricsReport.currencyCode)
        if ab {
            let comparisons = try store.read { db in try UnitMetrics(db).comparisons(try scope.query(db, by: [])) }
            if output.json { return print(try Output.json(comparisons)) }
            return print(Self.abText(comparisons, currency: currency))
        }
        let (rows, comparisons) = try store.read { db in
            let query = try scope.query(db, by: dimensions)
            return (try UnitMetrics(db).rows(query), dimensions.contains(.variant) ? try UnitMetrics(db).comparisons(query) : [])
        }
        if output.json { return print(try Output.json(rows)) }
        guard !rows.isEmpty else { return print("(no unit events)") }
        let query = UnitMetricsQuery(by: dimensions)
        var header: [String] = []
        if query.by.contains(.unit) { header += ["store", "unit", "name"] }
        if query.by.contains(.variant) { header += ["variant"] }
        if query.by.contains(.day) { header += ["day"] }
        let suffix = currency.map { " \($0)" } ?? ""
        header += ["impr", "v_impr", "views", "clicks", "item", "cart", "viewability", "CTR", "vCTR", "orders", "revenue" + suffix,
                   "lifetime" + suffix]
        print(Output.table(header, rows.map { row in
            var cells: [String] = []
            if query.by.contains(.unit) { cells += [row.store ?? "", row.unitID ?? "", row.unitName ?? "-"] }
            if query.by.contains(.variant) { cells += [row.variant ?? ""] }
            if query.by.contains(.day) { cells += [row.day ?? ""] }
            func ratio(_ value: Double?) -> String { value.map { String(format: "%.2f%%", $0 * 100) } ?? "-" }
            return cells + [String(row.impressions), String(row.vImpressions), String(row.views), String(row.clicks),
                            String(row.itemClicks), String(row.cartClicks), ratio(row.viewability), ratio(row.ctr), ratio(row.vctr),
                            String(row.orders), Output.price(row.revenue), Output.price(row.lifetimeRevenue)]
        }))
        if dimensions.contains(.variant) {
            print("")
            print(Self.abText(comparisons, currency: currency))
        }
    }

    /// The A/B table, or why there is none.
    static func abText(_ comparisons: [VariantComparison], currency: String?) -> String {
        guard !comparisons.isEmpty else { return "A/B tests: none (no unit has two variants in this range)" }
        return "A/B tests (95 %; CTR and conversion: two-proportion z-test, revenue per visitor: Welch):\n"
            + Output.table(VariantComparisonTable.header, VariantComparisonTable.rows(comparisons, currency: currency))
    }
}

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write the unit metrics as one self-contained HTML page (inline SVG charts, no script, no network).",
        discussion: """
            The page has the totals, impressions / views / clicks, CTR / vCTR and revenue per day (lines), the \
            metrics per unit (bars), the A/B tests (each variant against the unit's control: CTR and conversion by \
            two-proportion z-test, revenue per visitor by Welch's t-test, 95 % intervals, a verdict and the sample \
            still needed) and the variants of units with two or more side by side, each chart with its table.
            Examples:
              crosslink report --out report.html --currency EUR
              crosslink report --out may.html --from 2024-05-01 --to 2024-05-31 --store default
            """)

    @ParentCommand var root: CrosslinkCommand
    var global: GlobalOptions { root.global }
    @OptionGroup var scope: MetricsScope
    @Option(help: ArgumentHelp("The HTML file to write.", valueName: "file")) var out: String = "report.html"
    @Flag(help: "Print the report's numbers as JSON too.") var json = false
    @Option(help: ArgumentHelp("The ISO 4217 code amounts are in (the catalog stores none), e.g. EUR.", valueName: "code"))
    var currency: String?

    func run() throws {
        let store = try global.openStore(.read)
        let report = try store.read { db in try UnitMetricsReport(db, query: try scope.query(db, by: []), currency: currency) }
        try OutputFile.write(report.html(), to: out)
        if json { return print(try Output.json(report)) }
        print("wrote \(out): \(report.units.count) units, \(report.days.count) days, \(report.totals.impressions) impressions, "
              + "\(report.totals.clicks) clicks")
    }
}
