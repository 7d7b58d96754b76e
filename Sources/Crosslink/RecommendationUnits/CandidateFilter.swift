/// A unit's merchant filters compiled to one SQL predicate with bound values, ready to be
/// applied where a query chooses its candidates (applied in SQL, not by fetching and
/// discarding). ``FilterCompiler`` builds it from ``UnitFilters``; no text of the filter enters
/// the SQL — values are bound (``SQL``), column names come from a whitelist.
///
/// The predicate reads the candidate's `products` row as `cf_p`. A query that chooses
/// candidates has a condition slot (`\(condition: "d.product_id")`) over the candidate's id
/// column; the filter fills it as `AND EXISTS (…)` — a statement per filter shape, prepared
/// once per connection, its values bound per run:
///
/// ```swift
/// let filter = try FilterCompiler(db).compile(filters, context: .product(viewedID: 42))
/// let recommendations = try Recommender(db).recommend(.mostViewed, filter: filter)
/// print(filter.condition(on: "d.product_id"))
/// // EXISTS (SELECT 1 FROM products AS cf_p WHERE cf_p.product_id = d.product_id AND (cf_p.type IN (…)))
/// ```
public struct CandidateFilter: Sendable {
    /// SQL over `cf_p` (the candidate's products row) with its values.
    public let predicate: SQL
    /// The filter for a condition slot: the predicate on the slot's column.
    let condition: SQLCondition

    public init(predicate: SQL) {
        self.predicate = predicate
        self.condition = SQLCondition(Self.condition(predicate, on: SQL.conditionColumn))
    }

    /// The filter as a condition on the candidate whose product id is `column` (a qualified
    /// column of the outer query, e.g. `d.product_id`).
    public func condition(on column: String) -> SQL { Self.condition(predicate, on: SQL(sql: column)) }

    private static func condition(_ predicate: SQL, on column: SQL) -> SQL {
        "EXISTS (SELECT 1 FROM products AS cf_p WHERE cf_p.product_id = \(sql: column) AND (\(sql: predicate)))"
    }
}
