import Foundation

/// Per unit variant: the visitors who had any unit event of it (exposed), those of them with
/// revenue attributed in the session of a click (converted), and the sum and sum of squares of
/// that revenue per exposed visitor (0 for most), which Welch's test needs.
public struct UnitVisitorTotals: Sendable, Equatable, Codable {
    public var store: String
    public var unitID: String
    public var variant: String
    public var visitors: Int
    public var convertedVisitors: Int
    public var revenue: Double
    public var revenueSquares: Double

    public init(store: String, unitID: String, variant: String, visitors: Int, convertedVisitors: Int,
                revenue: Double, revenueSquares: Double) {
        self.store = store; self.unitID = unitID; self.variant = variant; self.visitors = visitors
        self.convertedVisitors = convertedVisitors; self.revenue = revenue; self.revenueSquares = revenueSquares
    }
}

/// One A/B comparison of a unit: a treatment variant against the control (variant A when the
/// unit has it, else its first variant by name) on CTR (clicks / impressions), conversion
/// (converted / exposed visitors) and revenue per exposed visitor (in-session attributed
/// revenue). Only units with two or more variants get comparisons.
///
/// ```swift
/// let comparisons = try store.read { db in try UnitMetrics(db).comparisons(UnitMetricsQuery(from: "2024-06-01")) }
/// for c in comparisons {
///     print(c.unitID, "\(c.treatment) vs \(c.control)", c.ctr.verdict.text(control: c.control, treatment: c.treatment))
/// }
/// ```
public struct VariantComparison: Sendable, Equatable, Codable {
    public var store: String
    public var unitID: String
    public var unitName: String?
    public var control: String
    public var treatment: String
    /// Clicks of impressions (each impression a trial: a unit clicked twice in one render counts
    /// twice, so this is exact only while such repeats are rare).
    public var ctr: ProportionTest
    /// Exposed visitors with an attributed order in a click's session.
    public var conversion: ProportionTest
    /// In-session attributed revenue per exposed visitor (Welch).
    public var revenuePerVisitor: MeanTest

    /// The comparisons of every unit of `variants` (rows per unit and variant) that has two or
    /// more variants, each treatment against the control, ordered as `variants`.
    public static func comparisons(variants: [UnitMetricsRow], visitors: [UnitVisitorTotals]) -> [VariantComparison] {
        var units: [(key: String, rows: [UnitMetricsRow])] = []
        for row in variants {
            let key = (row.store ?? "") + "\u{1F}" + (row.unitID ?? "")
            if let index = units.firstIndex(where: { $0.key == key }) { units[index].rows.append(row) } else { units.append((key, [row])) }
        }
        var result: [VariantComparison] = []
        for (_, rows) in units where rows.count >= 2 {
            let sorted = rows.sorted { ($0.variant ?? "") < ($1.variant ?? "") }
            let control = sorted.first { $0.variant == "A" } ?? sorted[0]
            func people(_ row: UnitMetricsRow) -> UnitVisitorTotals? {
                visitors.first { $0.store == row.store && $0.unitID == row.unitID && $0.variant == row.variant }
            }
            let a = people(control)
            for treatment in sorted where treatment.variant != control.variant {
                let b = people(treatment)
                result.append(VariantComparison(
                    store: control.store ?? "", unitID: control.unitID ?? "", unitName: control.unitName,
                    control: control.variant ?? "", treatment: treatment.variant ?? "",
                    ctr: ProportionTest(controlSuccesses: control.clicks, controlTrials: control.impressions,
                                        treatmentSuccesses: treatment.clicks, treatmentTrials: treatment.impressions),
                    conversion: ProportionTest(controlSuccesses: a?.convertedVisitors ?? 0, controlTrials: a?.visitors ?? 0,
                                               treatmentSuccesses: b?.convertedVisitors ?? 0, treatmentTrials: b?.visitors ?? 0),
                    revenuePerVisitor: MeanTest(control: sample(a), treatment: sample(b))))
            }
        }
        return result
    }

    static func sample(_ totals: UnitVisitorTotals?) -> MeanTest.Sample {
        MeanTest.Sample(count: totals?.visitors ?? 0, sum: totals?.revenue ?? 0, sumOfSquares: totals?.revenueSquares ?? 0)
    }
}

extension UnitMetrics {
    /// Per store, unit and variant (the query's days, store and unit; its dimensions are
    /// ignored): exposed and converted visitors and their in-session revenue, summed and squared.
    /// A visitor counts in each variant they had events of; revenue is counted on the order's day.
    public func visitorTotals(_ query: UnitMetricsQuery) throws -> [UnitVisitorTotals] {
        let (filter, arguments) = try filters(query)
        let sqlite = db.engine == .sqlite
        let total = { (column: String) in sqlite ? "total(\(column))" : "coalesce(sum(\(column)), 0)" }
        let numericUnit = sqlite ? "CAST(e.unit_id AS INTEGER)" : "coalesce(CAST(substring(e.unit_id FROM '^[0-9]+') AS numeric), 0)"
        let revenueFilter = filter.isEmpty ? "WHERE in_session = 1" : filter + " AND in_session = 1"
        let sql = """
            WITH exposed AS (
                SELECT DISTINCT store_id, unit_id, variant, visitor_id FROM unit_events \(filter)
            ), spent AS (
                SELECT a.store_id, a.unit_id, a.variant, o.visitor_id, \(total("a.amount")) AS revenue
                FROM (SELECT * FROM unit_attributed_lines \(revenueFilter)) AS a
                JOIN events AS o ON o.event_seq = a.order_seq
                GROUP BY a.store_id, a.unit_id, a.variant, o.visitor_id
            )
            SELECT s.code, e.unit_id, e.variant, count(*), sum(CASE WHEN p.revenue > 0 THEN 1 ELSE 0 END),
                   \(total("coalesce(p.revenue, 0)")), \(total("coalesce(p.revenue, 0) * coalesce(p.revenue, 0)"))
            FROM exposed AS e
            LEFT JOIN spent AS p ON p.store_id = e.store_id AND p.unit_id = e.unit_id AND p.variant = e.variant
                                AND p.visitor_id = e.visitor_id
            JOIN stores AS s ON s.store_id = e.store_id
            GROUP BY s.code, e.unit_id, e.variant
            ORDER BY s.code, \(numericUnit), e.unit_id, e.variant
            """
        return try db.prepare(sql).map(arguments + arguments) { row in
            UnitVisitorTotals(store: row.text(at: 0), unitID: row.text(at: 1), variant: row.text(at: 2), visitors: row.int(at: 3),
                              convertedVisitors: row.int(at: 4), revenue: row.double(at: 5), revenueSquares: row.double(at: 6))
        }
    }

    /// ``VariantComparison/comparisons(variants:visitors:)`` of what `query` selects.
    public func comparisons(_ query: UnitMetricsQuery) throws -> [VariantComparison] {
        var byVariant = query
        byVariant.by = [.unit, .variant]
        return VariantComparison.comparisons(variants: try rows(byVariant), visitors: try visitorTotals(query))
    }
}
