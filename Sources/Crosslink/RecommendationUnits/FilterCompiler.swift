/// Compiles ``UnitFilters`` to a ``CandidateFilter``: one SQL predicate over the candidate's
/// `products` row (`cf_p`), inclusions AND-ed, exclusions OR-ed under one NOT. Every value is
/// bound (an ``SQL`` value); the SQL text depends only on the filters' shape, so a unit's
/// statement is prepared once and cached. Relative conditions (current category, the viewed
/// product's categories or price, the cart's categories) read the page's context in SQL.
///
/// ```swift
/// let filter = FilterCompiler.compile(UnitFilters(include: [.productType([.simple])]), context: FilterContext())
/// // filter?.predicate.description == "cf_p.type IN (SELECT value FROM json_each(?1))"
/// ```
public enum FilterCompiler {
    /// The page facts relative conditions refer to.
    public struct FilterContext: Sendable, Equatable {
        /// The viewed product (product page).
        public var viewedID: Int?
        /// The category page's category.
        public var categoryID: Int?
        /// The cart's (or order's) products.
        public var cartIDs: [Int]

        public init(viewedID: Int? = nil, categoryID: Int? = nil, cartIDs: [Int] = []) {
            self.viewedID = viewedID; self.categoryID = categoryID; self.cartIDs = cartIDs
        }
    }

    /// nil when there is nothing to filter.
    public static func compile(_ filters: UnitFilters, context: FilterContext) -> CandidateFilter? {
        guard !filters.isEmpty else { return nil }
        var parts = filters.include.map { sql($0, context) }
        if !filters.exclude.isEmpty {
            parts.append("NOT (\(sql: filters.exclude.map { sql($0, context) }.joined(separator: " OR ")))")
        }
        return CandidateFilter(predicate: parts.joined(separator: " AND "))
    }

    /// Values as a bound JSON array of text.
    private static func json(_ values: [String]) -> String { RuleJSON(.array(values.map { RuleJSON(.string($0)) })).compactText }

    private static func sql(_ condition: FilterCondition, _ context: FilterContext) -> SQL {
        switch condition {
        case .category(let selection, let subcategories):
            let roots: SQL
            switch selection {
            case .ids(let ids): roots = "SELECT value FROM \(list: ids) AS cf_ids"
            case .current: roots = "SELECT value FROM \(list: context.categoryID.map { [$0] } ?? []) AS cf_ids"
            case .viewed, .cart:
                let products = selection == .viewed ? (context.viewedID.map { [$0] } ?? []) : context.cartIDs
                roots = """
                    SELECT cf_v.category_id FROM product_categories AS cf_v JOIN categories AS cf_vc ON cf_vc.category_id = cf_v.category_id \
                    WHERE cf_v.product_id IN \(list: products) AND cf_vc.level > 0
                    """
            }
            let categories: SQL = subcategories
                ? """
                  SELECT cf_c2.category_id FROM categories AS cf_c1 JOIN categories AS cf_c2 \
                  ON cf_c2.path = cf_c1.path OR cf_c2.path LIKE cf_c1.path || '/%' WHERE cf_c1.category_id IN (\(sql: roots))
                  """
                : roots
            return "EXISTS (SELECT 1 FROM product_categories AS cf_pc WHERE cf_pc.product_id = cf_p.product_id AND cf_pc.category_id IN (\(sql: categories)))"
        case .products(let skus):
            // SKUs compare ignoring ASCII case: SQLite's NOCASE column, PostgreSQL's citext.
            return "cf_p.sku IN \(sql: SQL.list(.value(.text(json(skus))), postgreSQLValue: "CAST(value AS citext) AS value"))"
        case .productType(let types):
            return "cf_p.type IN \(sql: RuleCompiler.list(json(types.map(\.rawValue)), numeric: false))"
        case .visibility(let visibilities):
            return "cf_p.visibility IN \(list: visibilities.map(\.rawValue))"
        case .price(let minimum, let maximum):
            var bounds: [SQL] = []
            if let minimum { bounds.append("cf_p.final_price >= \(sql: bound(minimum, context))") }
            if let maximum { bounds.append("cf_p.final_price <= \(sql: bound(maximum, context))") }
            return bounds.isEmpty ? "cf_p.final_price IS NOT NULL" : "(\(sql: bounds.joined(separator: " AND ")))"
        case .stock(.inStock):
            return "cf_p.in_stock = 1"
        case .stock(.outOfStock):
            return "cf_p.in_stock = 0"
        case .stock(.low(let below)):
            return "(cf_p.in_stock = 1 AND cf_p.qty < \(below))"
        case .attribute(let code, let values):
            return """
                EXISTS (SELECT 1 FROM product_attributes AS cf_a WHERE cf_a.product_id = cf_p.product_id \
                AND cf_a.attribute_id = (SELECT attribute_id FROM attributes WHERE code = \(code)) \
                AND cf_a.value IN \(sql: RuleCompiler.list(json(values), numeric: false)))
                """
        }
    }

    /// A price bound: an amount, or a percent of the viewed product's final price.
    private static func bound(_ bound: FilterCondition.PriceBound, _ context: FilterContext) -> SQL {
        switch bound {
        case .amount(let amount):
            return "\(amount)"
        case .percent(let percent):
            let viewed: DatabaseValue = context.viewedID.map { .integer(Int64($0)) } ?? .null
            return "\(percent) * (SELECT final_price FROM products WHERE product_id = \(viewed)) / 100.0"
        }
    }
}
