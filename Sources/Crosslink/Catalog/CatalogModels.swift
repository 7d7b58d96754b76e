/// Magento's product types.
public enum ProductType: String, Sendable, Codable, CaseIterable {
    case simple, configurable, grouped, bundle, virtual, downloadable
}

/// Magento's visibility codes.
public enum Visibility: Int, Sendable, Codable, CaseIterable {
    case notVisibleIndividually = 1, catalog = 2, search = 3, catalogAndSearch = 4

    /// Whether product lists on catalog pages (and so relation blocks) may show the product.
    public var isVisibleInCatalog: Bool { self == .catalog || self == .catalogAndSearch }
}

/// A catalog product (the columns of the `products` table).
public struct Product: Sendable, Equatable, Codable {
    /// `products.product_id`; nil for a product not yet stored.
    public var id: Int?
    public var sku: String
    public var name: String
    public var type: ProductType
    public var attributeSet: String
    public var enabled: Bool
    public var visibility: Visibility
    /// Nil for products priced by their children (configurable, grouped, bundle).
    public var price: Double?
    public var specialPrice: Double?
    public var qty: Double
    public var inStock: Bool
    /// ISO 8601 times; nil lets the store set them.
    public var createdAt: String?
    public var updatedAt: String?

    public init(id: Int? = nil, sku: String, name: String, type: ProductType = .simple, attributeSet: String = "Default",
                enabled: Bool = true, visibility: Visibility = .catalogAndSearch, price: Double? = nil,
                specialPrice: Double? = nil, qty: Double = 0, inStock: Bool = true,
                createdAt: String? = nil, updatedAt: String? = nil) {
        self.id = id; self.sku = sku; self.name = name; self.type = type; self.attributeSet = attributeSet
        self.enabled = enabled; self.visibility = visibility; self.price = price; self.specialPrice = specialPrice
        self.qty = qty; self.inStock = inStock; self.createdAt = createdAt; self.updatedAt = updatedAt
    }

    /// What a shopper pays: the special price when it is lower.
    public var finalPrice: Double? {
        guard let specialPrice else { return price }
        guard let price else { return specialPrice }
        return min(price, specialPrice)
    }
}

/// A node of the category tree.
public struct Category: Sendable, Equatable, Codable {
    public var id: Int
    public var parentID: Int?
    public var name: String
    /// Ids from the root, e.g. "1/3/7".
    public var path: String
    /// Names from the root, e.g. "Default Category/Gear/Bags".
    public var namePath: String
    public var level: Int
    public var position: Int
}

/// Custom attribute value types; `number` and `boolean` values are also stored as numbers.
public enum AttributeType: String, Sendable, Codable, CaseIterable {
    case text, number, boolean, select, multiselect, date
}

/// A custom attribute of one product: its code and values (several for a multiselect).
public struct AttributeValue: Sendable, Equatable, Codable {
    public var code: String
    public var values: [String]
    public init(code: String, values: [String]) { self.code = code; self.values = values }
}
