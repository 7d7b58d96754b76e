/// The storefront pages a unit can sit on.
public enum PageType: String, Sendable, Codable, CaseIterable {
    case home, category, product, cart, confirmation

    /// The recommendation types allowed on the page: popularity, trending,
    /// conversion, recommended for you and recently viewed on home and category pages;
    /// co-occurrence, more like this, popularity and recently viewed on product, cart and
    /// confirmation pages — plus the merchant's blocks where Magento shows them: related and
    /// up-sell on the product page, cross-sell on cart and confirmation.
    /// Each type names its pages in its file (Recommendations/Types/); the types about the
    /// page's products come first, then the others, each in `RecommendationType.allCases` order.
    public var allowedTypes: [UnitType] {
        let types = RecommendationTypeDescriptor.all.filter { $0.pages.contains(self) }
        let ordered = types.filter { $0.requirement == .products } + types.filter { $0.requirement != .products }
        let blocks: [LinkType] = switch self {
        case .home, .category: []
        case .product: [.related, .upsell]
        case .cart, .confirmation: [.crosssell]
        }
        return ordered.map { .recommendation($0.type) } + blocks.map(UnitType.block)
    }
}

/// Where a unit sits in the page's main content; top units come first.
public enum UnitPlacement: String, Sendable, Codable, CaseIterable { case top, bottom }

/// A unit's life cycle: only active units are resolved; at most 5 per page type and store.
public enum UnitStatus: String, Sendable, Codable, CaseIterable { case draft, active, inactive }

/// What fills a unit: a behavioural recommendation type or one of the merchant's blocks
/// (manual links and rules). Written as the type's name: `viewed-viewed`, `related`, …
public enum UnitType: Sendable, Hashable, Codable, CustomStringConvertible {
    case recommendation(RecommendationType)
    case block(LinkType)

    public init?(rawValue: String) {
        if let type = RecommendationType(rawValue: rawValue) { self = .recommendation(type) }
        else if let block = LinkType(rawValue: rawValue) { self = .block(block) }
        else { return nil }
    }

    public var rawValue: String {
        switch self {
        case .recommendation(let type): type.rawValue
        case .block(let block): block.rawValue
        }
    }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let type = UnitType(rawValue: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown unit type \(text)"))
        }
        self = type
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// Every type name, for messages and help.
    public static var allNames: [String] { RecommendationType.allCases.map(\.rawValue) + LinkType.allCases.map(\.rawValue) }

    /// The type a unit falls back to when this one cannot fill it, named in the type's file
    /// (recommended for you, the co-occurrence types, trending and both conversion types: most viewed).
    public var defaultBackup: UnitType? {
        guard case .recommendation(let type) = self else { return nil }
        return RecommendationTypeDescriptor.of(type).defaultBackup.map(UnitType.recommendation)
    }
}

/// One variant of a unit: what it shows. A unit without an experiment has the one variant `A`
/// at 100 % traffic; with an experiment the variants' traffic adds up to 100.
public struct UnitVariant: Sendable, Equatable {
    public var variant: String
    /// Percent of the unit's visitors who get this variant.
    public var traffic: Int
    public var type: UnitType
    /// Number of products, 1–20 (default 5).
    public var productCount: Int
    /// Types tried in order for the slots `type` could not fill (then most viewed, for the
    /// types that have that default backup).
    public var backups: [UnitType]
    public var filters: UnitFilters
    /// Diversity: at most this many products of one category (a product's deepest category).
    public var maxPerCategory: Int?
    /// Shuffle the unit's final list with the page's seed (default: a hash of visitor and unit).
    public var shuffle: Bool
    /// The variant's own popularity, co-occurrence and trending windows (for its type and its
    /// backups); empty: the stored ``RecommendationSettings``.
    public var windows: RecommendationWindows

    public init(variant: String = "A", traffic: Int = 100, type: UnitType, productCount: Int = 5, backups: [UnitType] = [],
                filters: UnitFilters = UnitFilters(), maxPerCategory: Int? = nil, shuffle: Bool = false,
                windows: RecommendationWindows = RecommendationWindows()) {
        self.variant = variant; self.traffic = traffic; self.type = type; self.productCount = productCount
        self.backups = backups; self.filters = filters; self.maxPerCategory = maxPerCategory; self.shuffle = shuffle
        self.windows = windows
    }

    /// The types that fill the unit, in order: the type, its backups, then the default backup.
    public var chain: [UnitType] {
        var chain = [type]
        for backup in backups where !chain.contains(backup) { chain.append(backup) }
        if let fallback = type.defaultBackup, !chain.contains(fallback) { chain.append(fallback) }
        return chain
    }
}

/// A recommendation unit: a configured block of one page type of a store.
///
/// ```swift
/// var unit = RecommendationUnit(name: "Customers also viewed", pageType: .product,
///                 variants: [UnitVariant(type: .recommendation(.viewedViewed), backups: [.recommendation(.moreLikeThis)])])
/// unit.status = .active
/// let id = try store.write { db in try UnitRepository(db).save(unit) }
/// ```
public struct RecommendationUnit: Sendable, Equatable {
    /// Assigned when saved.
    public var id: Int?
    /// Store code.
    public var store: String
    public var name: String
    /// Storefront title ("Customers also viewed").
    public var label: String
    public var pageType: PageType
    public var placement: UnitPlacement
    /// Order within the placement, from 1.
    public var position: Int
    public var status: UnitStatus
    public var variants: [UnitVariant]

    public init(id: Int? = nil, store: String = "default", name: String, label: String = "", pageType: PageType,
                placement: UnitPlacement = .bottom, position: Int = 1, status: UnitStatus = .draft, variants: [UnitVariant]) {
        self.id = id; self.store = store; self.name = name; self.label = label; self.pageType = pageType
        self.placement = placement; self.position = position; self.status = status; self.variants = variants
    }

    /// `unit "name"`, as messages name it.
    var subject: String { "unit " + RuleText.quoted(name) }
}
