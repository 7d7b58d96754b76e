/// Compiles ``UnitFilters`` to a ``CandidateFilter``: one SQL predicate over the candidate's
/// `products` row (`cf_p`), inclusions AND-ed, exclusions OR-ed under one NOT. Every value is a
/// bound `:cf_…` parameter; the SQL text depends only on the filters' shape, so a unit's
/// statement is prepared once and cached. Relative conditions (current category, the viewed
/// product's categories or price, the cart's categories) read the page's context in SQL.
///
/// ```swift
/// let filter = FilterCompiler.compile(UnitFilters(include: [.productType([.simple])]), context: FilterContext())
/// // filter?.predicate == "cf_p.type IN (SELECT value FROM json_each(:cf_a))"
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
        var builder = Builder(context: context)
        var parts = filters.include.map { builder.sql($0) }
        if !filters.exclude.isEmpty {
            parts.append("NOT (" + filters.exclude.map { builder.sql($0) }.joined(separator: " OR ") + ")")
        }
        return CandidateFilter(predicate: parts.joined(separator: " AND "), parameters: builder.parameters)
    }

    private struct Builder {
        let context: FilterContext
        var parameters: [(name: String, value: DatabaseValue)] = []

        /// A new parameter holding `value`.
        mutating func bind(_ value: DatabaseValue) -> String {
            let name = CandidateFilter.parameterName(parameters.count)
            parameters.append((name, value))
            return name
        }

        mutating func bind(json values: [String]) -> String { bind(.text(RuleJSON(.array(values.map { RuleJSON(.string($0)) })).compactText)) }
        mutating func bind(ids: [Int]) -> String { bind(.text(Placements.jsonArray(ids))) }

        mutating func sql(_ condition: FilterCondition) -> String {
            switch condition {
            case .category(let selection, let subcategories):
                let roots: String
                switch selection {
                case .ids(let ids): roots = "SELECT value FROM json_each(\(bind(ids: ids)))"
                case .current: roots = "SELECT value FROM json_each(\(bind(ids: context.categoryID.map { [$0] } ?? [])))"
                case .viewed, .cart:
                    let products = selection == .viewed ? (context.viewedID.map { [$0] } ?? []) : context.cartIDs
                    roots = """
                        SELECT cf_v.category_id FROM product_categories AS cf_v JOIN categories AS cf_vc ON cf_vc.category_id = cf_v.category_id \
                        WHERE cf_v.product_id IN (SELECT value FROM json_each(\(bind(ids: products)))) AND cf_vc.level > 0
                        """
                }
                let categories = subcategories
                    ? """
                      SELECT cf_c2.category_id FROM categories AS cf_c1 JOIN categories AS cf_c2 \
                      ON cf_c2.path = cf_c1.path OR cf_c2.path LIKE cf_c1.path || '/%' WHERE cf_c1.category_id IN (\(roots))
                      """
                    : roots
                return "EXISTS (SELECT 1 FROM product_categories AS cf_pc WHERE cf_pc.product_id = cf_p.product_id AND cf_pc.category_id IN (\(categories)))"
            case .products(let skus):
                return "cf_p.sku IN (SELECT value FROM json_each(\(bind(json: skus))))"
            case .productType(let types):
                return "cf_p.type IN (SELECT value FROM json_each(\(bind(json: types.map(\.rawValue)))))"
            case .visibility(let visibilities):
                return "cf_p.visibility IN (SELECT value FROM json_each(\(bind(ids: visibilities.map(\.rawValue)))))"
            case .price(let minimum, let maximum):
                var bounds: [String] = []
                if let minimum { bounds.append("cf_p.final_price >= " + bound(minimum)) }
                if let maximum { bounds.append("cf_p.final_price <= " + bound(maximum)) }
                return bounds.isEmpty ? "cf_p.final_price IS NOT NULL" : "(" + bounds.joined(separator: " AND ") + ")"
            case .stock(.inStock):
                return "cf_p.in_stock = 1"
            case .stock(.outOfStock):
                return "cf_p.in_stock = 0"
            case .stock(.low(let below)):
                return "(cf_p.in_stock = 1 AND cf_p.qty < \(bind(.real(below))))"
            case .attribute(let code, let values):
                return """
                    EXISTS (SELECT 1 FROM product_attributes AS cf_a WHERE cf_a.product_id = cf_p.product_id \
                    AND cf_a.attribute_id = (SELECT attribute_id FROM attributes WHERE code = \(bind(.text(code)))) \
                    AND cf_a.value IN (SELECT value FROM json_each(\(bind(json: values)))))
                    """
            }
        }

        /// A price bound: an amount, or a percent of the viewed product's final price.
        mutating func bound(_ bound: FilterCondition.PriceBound) -> String {
            switch bound {
            case .amount(let amount):
                return bind(.real(amount))
            case .percent(let percent):
                let percentName = bind(.real(percent))
                let viewed = bind(context.viewedID.map { .integer(Int64($0)) } ?? .null)
                return "\(percentName) * (SELECT final_price FROM products WHERE product_id = \(viewed)) / 100.0"
            }
        }
    }
}
