/// The three manual link types, with Magento's `catalog_product_link_type` ids.
public enum LinkType: String, Sendable, Codable, CaseIterable {
    /// Bought in addition to the viewed product (product page).
    case related
    /// Preferred instead of the viewed product: better, more popular, higher margin (product page).
    case upsell
    /// Last-minute add-ons (cart page).
    case crosssell

    public var magentoID: Int {
        switch self {
        case .related: 1
        case .upsell: 4
        case .crosssell: 5
        }
    }
}

/// One manual link as the merchant sets it: the target SKU and its position.
public struct ProductLink: Sendable, Equatable, Codable {
    public var sku: String
    public var position: Int
    public init(sku: String, position: Int) { self.sku = sku; self.position = position }
}

/// Manual links (related, up-sell, cross-sell), per product and type, ordered by position.
///
/// ```swift
/// try store.write { db in
///     try LinkRepository(db).replace(sku: "24-MB01", type: .related,
///                                    with: [ProductLink(sku: "24-MB04", position: 1), ProductLink(sku: "24-MB02", position: 2)])
/// }
/// ```
public struct LinkRepository {
    let db: Database
    public init(_ db: Database) { self.db = db }

    /// Most links one product may have of one type. Magento sets no limit, but a block shows a
    /// handful and an unbounded list makes every placement of that product unbounded too; past
    /// it a replace fails with an ``InputError``.
    public static let maximumLinksPerList = 10_000

    /// Replaces the product's list of one type, atomically: on any error (unknown SKU,
    /// self-link, duplicate target, negative position) the previous list is kept.
    public func replace(sku: String, type: LinkType, with links: [ProductLink]) throws {
        try Self.checkLength(links.count, type: type, of: sku)
        let products = ProductRepository(db)
        let productID = try products.requireID(sku: sku)
        var seen = Set<String>()
        for link in links {
            if link.sku.caseInsensitiveCompare(sku) == .orderedSame { throw InputError("\(sku) cannot be a \(type.rawValue) link of itself") }
            if !seen.insert(link.sku.lowercased()).inserted {
                throw InputError("\(sku) lists \(link.sku) twice as a \(type.rawValue) link")
            }
            if link.position < 0 {
                throw InputError.invalidValue(field: "\(type.rawValue) position", value: String(link.position),
                                                reason: "must be ≥ 0 (link \(sku) → \(link.sku))")
            }
        }
        let ids = try products.requireIDs(skus: links.map(\.sku), context: "\(type.rawValue) links of \(sku)")
        try db.inTransaction {
            try replace(productID: productID, type: type, targets: zip(ids, links).map { (id: $0, position: $1.position) })
        }
    }

    /// Replaces by ids, for importers that resolved SKUs already. Targets must be distinct and
    /// differ from `productID` (the schema enforces both). `existing: false` skips deleting the
    /// old list, for a product known to have none (a bulk import's new products).
    public func replace(productID: Int, type: LinkType, targets: [(id: Int, position: Int)], existing: Bool = true) throws {
        try Self.checkLength(targets.count, type: type, of: "product \(productID)")
        if existing {
            let delete = try db.cachedStatement("DELETE FROM product_links WHERE product_id = ? AND link_type_id = ?")
            delete.reset()
            delete.bind(productID, at: 1)
            delete.bind(type.magentoID, at: 2)
            while try delete.step() {}
        }
        let insert = try db.cachedStatement(
            "INSERT INTO product_links(link_type_id, product_id, linked_product_id, position) VALUES (?, ?, ?, ?)")
        for target in targets {
            insert.reset()
            insert.bind(type.magentoID, at: 1)
            insert.bind(productID, at: 2)
            insert.bind(target.id, at: 3)
            insert.bind(target.position, at: 4)
            while try insert.step() {}
        }
    }

    static func checkLength(_ count: Int, type: LinkType, of product: String) throws {
        guard count <= maximumLinksPerList else {
            throw InputError.invalidValue(field: "\(type.rawValue) links", value: "\(count) links of \(product)",
                                            reason: "at most \(maximumLinksPerList) per product and type (LinkRepository.maximumLinksPerList)")
        }
    }

    /// The product's links of one type, in display order (position, then insertion order).
    public func links(sku: String, type: LinkType) throws -> [ProductLink] {
        let productID = try ProductRepository(db).requireID(sku: sku)
        return try links(productID: productID, type: type)
    }

    public func links(productID: Int, type: LinkType) throws -> [ProductLink] {
        try db.cachedStatement("""
            SELECT p.sku, l.position FROM product_links AS l JOIN products AS p ON p.product_id = l.linked_product_id
            WHERE l.product_id = ? AND l.link_type_id = ? ORDER BY l.position, l.link_id
            """).map([productID, type.magentoID]) { ProductLink(sku: $0.text(at: 0), position: $0.int(at: 1)) }
    }

    /// Number of links, of one type or all.
    public func count(type: LinkType? = nil) throws -> Int {
        if let type {
            return try db.scalarInt("SELECT count(*) FROM product_links WHERE link_type_id = ?", [type.magentoID]) ?? 0
        }
        return try db.scalarInt("SELECT count(*) FROM product_links") ?? 0
    }
}
