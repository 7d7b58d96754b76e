import Foundation

/// A storefront page to resolve, with what it is about.
public enum Page: Sendable, Equatable {
    case home
    /// A category page (category id).
    case category(Int)
    /// A product page (the viewed SKU).
    case product(String)
    /// The cart page (the cart's SKUs, the most recently added last).
    case cart([String])
    /// The order confirmation page (the order's SKUs).
    case confirmation([String])

    public var type: PageType {
        switch self {
        case .home: .home
        case .category: .category
        case .product: .product
        case .cart: .cart
        case .confirmation: .confirmation
        }
    }
}

/// Why a product is in a unit: a manual link or rule, or a behavioural recommendation.
/// As JSON: `{"placement": {"manualLink": {…}}}` or `{"recommendation": {"together": {…}}}`.
public enum PageProductReason: Sendable, Equatable, Codable, CustomStringConvertible {
    case placement(PlacementReason)
    case recommendation(RecommendationReason)

    public var description: String {
        switch self {
        case .placement(let reason): reason.description
        case .recommendation(let reason): reason.description
        }
    }

    private enum Kind: String, CodingKey { case placement, recommendation }

    // Written by hand: the synthesized form nests the reason under "_0".
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Kind.self)
        if let reason = try container.decodeIfPresent(PlacementReason.self, forKey: .placement) { self = .placement(reason); return }
        self = .recommendation(try container.decode(RecommendationReason.self, forKey: .recommendation))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Kind.self)
        switch self {
        case .placement(let reason): try container.encode(reason, forKey: .placement)
        case .recommendation(let reason): try container.encode(reason, forKey: .recommendation)
        }
    }
}

/// One product of a resolved unit.
public struct PageProduct: Sendable, Equatable, Codable {
    public var productID: Int
    public var sku: String
    public var name: String
    public var finalPrice: Double?
    /// The type that produced it: the unit's type, or one of its backups.
    public var source: UnitType
    /// Filled by a backup type, not by the unit's own type.
    public var isBackup: Bool
    public var reason: PageProductReason

    private enum Keys: String, CodingKey { case productID, sku, name, finalPrice, source, isBackup, reason, why }

    /// Also writes `why`, the reason as text (what the table shows), like `crosslink recommend --json`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(productID, forKey: .productID)
        try container.encode(sku, forKey: .sku)
        try container.encode(name, forKey: .name)
        try container.encodeIfPresent(finalPrice, forKey: .finalPrice)
        try container.encode(source, forKey: .source)
        try container.encode(isBackup, forKey: .isBackup)
        try container.encode(reason, forKey: .reason)
        try container.encode(reason.description, forKey: .why)
    }
}

/// One unit of a resolved page: what the storefront renders, and the ids to send back in the
/// unit events (`unit_id` = ``unitID`` as text, `variant` = ``variant``).
public struct ResolvedUnit: Sendable, Equatable, Codable {
    public var unitID: Int
    public var name: String
    public var label: String
    public var placement: UnitPlacement
    public var position: Int
    public var variant: String
    public var type: UnitType
    public var products: [PageProduct]
}

/// Every active unit of a page, in page order (top units first, then by position).
public struct ResolvedPage: Sendable, Equatable, Codable {
    public var pageType: PageType
    public var store: String
    public var visitor: String?
    public var units: [ResolvedUnit]
}

extension CrosslinkStore {
    /// Resolves every active unit of `page` in one read snapshot (see ``PageResolver``).
    ///
    /// ```swift
    /// let page = try store.resolvePage(.product("24-MB01"), visitor: "v-42")
    /// for unit in page.units {
    ///     print(unit.label, unit.variant)
    ///     for product in unit.products { print(" ", product.sku, product.isBackup ? "(backup)" : "", product.reason) }
    /// }
    /// ```
    public func resolvePage(_ page: Page, store: String = "default", visitor: String? = nil, options: PageOptions = PageOptions()) throws -> ResolvedPage {
        try read { db in try PageResolver(db).resolve(page, store: store, visitor: visitor, options: options) }
    }
}

/// Optional inputs of a page resolution.
public struct PageOptions: Sendable, Equatable {
    /// Seed of the units' shuffles and of rule rotations (default: per unit, the hash of visitor and unit).
    public var seed: UInt64?
    /// Answer as of this instant (point in time; default: the live windows).
    public var asOf: Date?
    /// The day for rule dates (default: now).
    public var date: Date
    /// The visitor's customer segments (rules).
    public var segments: [String]
    /// The visitor's cart on any page (its products are never shown); a cart page's own cart is the page's.
    public var cart: [String]

    public init(seed: UInt64? = nil, asOf: Date? = nil, date: Date = Date(), segments: [String] = [], cart: [String] = []) {
        self.seed = seed; self.asOf = asOf; self.date = date; self.segments = segments; self.cart = cart
    }
}
