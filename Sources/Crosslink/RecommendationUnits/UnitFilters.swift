/// A unit's merchant filters: every inclusion must hold (AND), and a product that
/// meets any exclusion is left out (OR). Non-displayable products are always left out.
///
/// ```swift
/// let filters = UnitFilters(include: [.category(.viewed), .price(min: .percent(80), max: nil)],
///                           exclude: [.stock(.low(below: 5)), .products(["24-MB02"])])
/// ```
public struct UnitFilters: Sendable, Equatable {
    public var include: [FilterCondition]
    public var exclude: [FilterCondition]

    public init(include: [FilterCondition] = [], exclude: [FilterCondition] = []) {
        self.include = include
        self.exclude = exclude
    }

    public var isEmpty: Bool { include.isEmpty && exclude.isEmpty }
}

/// One filter condition on a candidate product.
public enum FilterCondition: Sendable, Equatable {
    /// In one of the categories (and, with `subcategories`, below them).
    case category(CategorySelection, subcategories: Bool = true)
    /// One of these SKUs.
    case products([String])
    /// Of one of these product types.
    case productType([ProductType])
    /// With one of these visibilities.
    case visibility([Visibility])
    /// Final price within the bounds (inclusive); a bound is an amount or a percent of the
    /// viewed product's final price (product pages).
    case price(min: PriceBound?, max: PriceBound?)
    /// Stock status.
    case stock(StockCondition)
    /// A custom attribute with one of `values` (as written: "Red", "1").
    case attribute(code: String, values: [String])

    /// Which categories a category condition means.
    public enum CategorySelection: Sendable, Equatable {
        /// Category ids.
        case ids([Int])
        /// The category page's category.
        case current
        /// The viewed product's categories (product page; the root is not counted).
        case viewed
        /// The categories of the cart's products (cart and confirmation pages).
        case cart
    }

    public enum PriceBound: Sendable, Equatable {
        case amount(Double)
        /// Percent of the viewed product's final price: `.percent(80)` is 80 %.
        case percent(Double)
    }

    public enum StockCondition: Sendable, Equatable {
        case inStock
        case outOfStock
        /// In stock with a quantity below the threshold.
        case low(below: Double)
    }

    /// The JSON key naming the condition's kind.
    var key: String {
        switch self {
        case .category: "category"
        case .products: "sku"
        case .productType: "type"
        case .visibility: "visibility"
        case .price: "price"
        case .stock: "stock"
        case .attribute: "attribute"
        }
    }
}
