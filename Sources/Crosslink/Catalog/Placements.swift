import Foundation

/// Why a product is in a placement. Every served product carries one.
public enum PlacementReason: Sendable, Equatable, Codable, CustomStringConvertible {
    /// A manual link of `sourceSKU` at `position`.
    case manualLink(type: LinkType, sourceSKU: String, position: Int)
    /// Selected by the related-product rule `name`.
    case rule(ruleID: Int, name: String)

    public var description: String {
        switch self {
        case .manualLink(let type, let source, let position):
            "manual \(type.rawValue) link of \(source) at position \(position)"
        case .rule(_, let name):
            "rule \(RuleText.quoted(name))"
        }
    }
}

/// One product of a placement, in display order.
public struct PlacedProduct: Sendable, Equatable, Codable {
    public var productID: Int
    public var sku: String
    public var name: String
    public var finalPrice: Double?
    public var reason: PlacementReason
}

/// The product-page and cart blocks, from manual links and related-product rules, resolved in SQL.
///
/// Only products displayable in the store are returned (enabled, visible in catalog, on the
/// store's website, in stock unless the store shows out-of-stock products); never the viewed
/// product, never what is in the cart (children and configurable parents of cart items count).
///
/// Each block follows its ``BlockSettings`` for the store: manual links only, rules only, or both
/// (manual links first). While the block has no active rule (or shows manual links only) it is
/// exactly the manual-link block with the store's limits (related uncapped, up-sell 4,
/// cross-sell 4); with rules on, the whole block is cut to the block maximum (6, 8, 5).
/// `segments` are the visitor's customer segments, `date` decides which rules are in their
/// date range (store time zone), `seed` drives the random rotations (default: derived from the
/// viewed product or cart, so a page is stable).
///
/// ```swift
/// let related = try store.read { db in try Placements(db).related(for: "24-MB01", store: "default") }
/// let cart = try store.read { db in try Placements(db).crossSells(cart: ["24-MB01", "24-WB04"], segments: ["vip"], seed: 7) }
/// for product in cart { print(product.sku, product.reason) }   // … rule "Cart: bags for tops"
/// ```
public struct Placements {
    let db: Database

    /// The most SKUs a cart may hold (placements refuse a longer one with
    /// a ``RequestError``): every item is matched against each
    /// cross-sell rule, so an unbounded cart would be an unbounded placement.
    public static let maximumCartItems = 100
    public init(_ db: Database) { self.db = db }

    /// The related-products block of `sku`: manual links by position (capped by `limit`, else
    /// by the store's related limit, uncapped by default), then rule results when rules are on.
    public func related(for sku: String, store: String = "default", cart: [String] = [], limit: Int? = nil,
                        segments: [String] = [], date: Date = Date(), seed: UInt64? = nil) throws -> [PlacedProduct] {
        let context = try resolve(store: store, viewed: sku, cart: cart)
        return try productPageBlock(.related, context: context, limit: limit, manualLimit: context.store.relatedLimit ?? Int(Int32.max),
                                    segments: segments, date: date, seed: seed)
    }

    /// The up-sell block of `sku`: manual links by position (default limit the store's up-sell
    /// limit, 4), then rule results when rules are on.
    public func upsells(for sku: String, store: String = "default", cart: [String] = [], limit: Int? = nil,
                        segments: [String] = [], date: Date = Date(), seed: UInt64? = nil) throws -> [PlacedProduct] {
        let context = try resolve(store: store, viewed: sku, cart: cart)
        return try productPageBlock(.upsell, context: context, limit: limit, manualLimit: context.store.upsellLimit,
                                    segments: segments, date: date, seed: seed)
    }

    /// The cart cross-sell block: first the cross-sells of the most recently added item
    /// (`lastAdded`, default the last SKU of `cart`), then those of every other cart item,
    /// de-duplicated (a product keeps its best position), excluding the cart, ordered by
    /// position; default limit the store's cross-sell limit (4). A configurable child in the
    /// cart counts as its parent, whose cross-sells apply. With rules on, cross-sell rules
    /// follow, matched against every cart item (the last added first).
    public func crossSells(cart: [String], lastAdded: String? = nil, store: String = "default", limit: Int? = nil,
                           segments: [String] = [], date: Date = Date(), seed: UInt64? = nil) throws -> [PlacedProduct] {
        guard !cart.isEmpty else { return [] }
        if let lastAdded, !cart.contains(where: { $0.caseInsensitiveCompare(lastAdded) == .orderedSame }) {
            throw RequestError.invalidValue(field: "lastAdded", value: lastAdded, reason: "is not one of the cart's SKUs")
        }
        let context = try resolve(store: store, viewed: nil, cart: cart)
        return try cartBlock(context: context, lastID: try ProductRepository(db).requireID(sku: lastAdded ?? cart.last!), limit: limit,
                             segments: segments, date: date, seed: seed)
    }

    /// The cross-sell block of a resolved cart (`filter`: a unit's filters, applied in the links' SQL
    /// and to the rule results).
    func cartBlock(context: Context, lastID: Int, limit: Int?, segments: [String], date: Date, seed: UInt64?,
                   filter: CandidateFilter? = nil) throws -> [PlacedProduct] {
        let rules = try RuleEngine(db).blockContext(storeID: context.store.id, block: .crosssell)
        let limit = limit ?? (rules.rulesOn ? rules.settings.effectiveMaximum : context.store.crosssellLimit)
        let lastSources = try sources(for: [lastID])
        let otherSources = try sources(for: context.cartIDs.filter { $0 != lastID }).filter { !lastSources.contains($0) }
        var result: [PlacedProduct] = []
        if !(rules.rulesOn && rules.settings.displayMode == .rulesOnly) {
            result = try linked(type: .crosssell, sources: lastSources, excluded: context.excluded,
                                storeID: context.store.id, limit: limit, filter: filter)
            if result.count < limit, !otherSources.isEmpty {
                result += try linked(type: .crosssell, sources: otherSources, excluded: context.excluded + result.map(\.productID),
                                     storeID: context.store.id, limit: limit - result.count, filter: filter)
            }
        }
        guard rules.rulesOn, result.count < limit else { return result }
        return result + (try ruleProducts(
            block: .crosssell, context: rules, matched: lastSources + otherSources, excluded: context.excluded + result.map(\.productID),
            storeID: context.store.id, count: limit - result.count, segments: segments, date: date, seed: seed, filter: filter))
    }

    /// The rule part of a block; a unit's filter applies in each rule's SQL (the cached lists'
    /// query and the rule's own), before the rule's limit.
    func ruleProducts(block: LinkType, context: RuleEngine.BlockContext, matched: [Int], excluded: [Int], storeID: Int, count: Int,
                      segments: [String], date: Date, seed: UInt64?, filter: CandidateFilter?) throws -> [PlacedProduct] {
        try RuleEngine(db).products(block: block, context: context, matched: matched, excluded: excluded, storeID: storeID,
                                    count: count, segments: segments, date: date, seed: seed, filter: filter)
    }

    /// A product-page block: manual links, then (rules on) rule results, within the block maximum.
    func productPageBlock(_ type: LinkType, context: Context, limit: Int?, manualLimit: Int,
                          segments: [String], date: Date, seed: UInt64?, filter: CandidateFilter? = nil) throws -> [PlacedProduct] {
        let viewedID = context.viewedID!
        let rules = try RuleEngine(db).blockContext(storeID: context.store.id, block: type)
        guard rules.rulesOn else {
            return try linked(type: type, sources: [viewedID], excluded: context.excluded, storeID: context.store.id, limit: limit ?? manualLimit,
                              filter: filter)
        }
        let total = limit ?? rules.settings.effectiveMaximum
        let manual = rules.settings.displayMode == .rulesOnly ? []
            : try linked(type: type, sources: [viewedID], excluded: context.excluded, storeID: context.store.id, limit: total, filter: filter)
        guard manual.count < total else { return manual }
        return manual + (try ruleProducts(
            block: type, context: rules, matched: [viewedID], excluded: context.excluded + manual.map(\.productID),
            storeID: context.store.id, count: total - manual.count, segments: segments, date: date, seed: seed, filter: filter))
    }

    // MARK: -

    struct Context {
        var store: StoreRepository.Store
        var viewedID: Int?
        var cartIDs: [Int]
        /// Viewed product, cart items, their children and configurable parents.
        var excluded: [Int]
    }

    func resolve(store code: String, viewed: String?, cart: [String]) throws -> Context {
        try Self.checkCartSize(cart)
        return try resolve(store: try StoreRepository(db).store(code: code), viewed: viewed, cart: cart)
    }

    /// The same for a store already read (a page reads it first: one statement less).
    func resolve(store: StoreRepository.Store, viewed: String?, cart: [String]) throws -> Context {
        try Self.checkCartSize(cart)
        let products = ProductRepository(db)
        let viewedID = try viewed.map { try products.requireID(sku: $0) }
        let cartIDs = try products.requireIDs(skus: cart, context: "the cart")
        var excluded = viewedID.map { [$0] } ?? []
        if !cartIDs.isEmpty {
            excluded += try db.map("""
                WITH cart(id) AS \(list: cartIDs)
                SELECT id FROM cart
                UNION SELECT child_id FROM product_children WHERE parent_id IN (SELECT id FROM cart)
                UNION SELECT c.parent_id FROM product_children AS c JOIN products AS p ON p.product_id = c.parent_id
                      WHERE c.child_id IN (SELECT id FROM cart) AND p.type = 'configurable'
                """) { $0.int(at: 0) }
        }
        return Context(store: store, viewedID: viewedID, cartIDs: cartIDs, excluded: excluded)
    }

    static func checkCartSize(_ cart: [String]) throws {
        if cart.count > maximumCartItems {
            throw RequestError.invalidValue(field: "cart", value: "\(cart.count) SKUs",
                                            reason: "a cart holds at most \(maximumCartItems) SKUs")
        }
    }

    /// The products whose links apply for these items: each item and its configurable parents.
    func sources(for ids: [Int]) throws -> [Int] {
        guard !ids.isEmpty else { return [] }
        var result = ids
        for id in try db.map("""
            SELECT c.parent_id FROM product_children AS c JOIN products AS p ON p.product_id = c.parent_id
            WHERE c.child_id IN \(list: ids) AND p.type = 'configurable'
            """, { $0.int(at: 0) }) where !result.contains(id) {
            result.append(id)
        }
        return result
    }

    /// Links of `type` from any of `sources` to displayable products, excluding `excluded`,
    /// one row per target (its best position), ordered by position then link order.
    /// `filter` (a unit's filters) is applied in the query, to the linked product.
    func linked(type: LinkType, sources: [Int], excluded: [Int], storeID: Int, limit: Int,
                filter: CandidateFilter? = nil) throws -> [PlacedProduct] {
        guard limit > 0 else { return [] }
        let prepared = try db.statement(Self.linkedQuery, condition: filter?.condition)
        let statement = prepared.statement
        prepared.bind(ids: sources, "sources")
        prepared.bind(type.magentoID, "type")
        prepared.bind(storeID, "store")
        prepared.bind(ids: excluded, "excluded")
        prepared.bind(limit, "limit")
        defer { statement.reset() }
        var result: [PlacedProduct] = []
        while try statement.step() {
            result.append(PlacedProduct(
                productID: statement.int(at: 0), sku: statement.text(at: 1), name: statement.text(at: 2),
                finalPrice: statement.optionalDouble(at: 3),
                reason: .manualLink(type: type, sourceSKU: statement.text(at: 5), position: statement.int(at: 4))))
        }
        return result
    }

    /// The linked-products query behind every block. Its parameters appear in the order
    /// 1 `:sources`, 2 `:type`, 3 `:store`, 4 `:excluded`, 5 `:limit` (the benchmark's C baseline
    /// binds them by number); a unit's filter goes in its condition slot.
    static let linkedQuery = SQLTemplate("""
        SELECT product_id, sku, name, final_price, position, source_sku FROM (
            SELECT d.product_id, d.sku, d.name, d.final_price, l.position, l.link_id, src.sku AS source_sku,
                   row_number() OVER (PARTITION BY l.linked_product_id ORDER BY l.position, l.link_id) AS best
            FROM product_links AS l
            -- On SQLite CROSS JOIN fixes the join order (links first, then displayability):
            -- without statistics the planner may otherwise scan every product of the website.
            -- PostgreSQL plans from its statistics and spells it JOIN.
            \(sqlite: "CROSS JOIN", postgreSQL: "JOIN") displayable_products AS d ON d.product_id = l.linked_product_id
            JOIN products AS src ON src.product_id = l.product_id
            WHERE l.product_id IN \(idList: "sources")
              AND l.link_type_id = \(parameter: "type")
              AND d.store_id = \(parameter: "store")
              AND l.linked_product_id NOT IN \(idList: "excluded") \(condition: "l.linked_product_id")
        ) AS ranked
        WHERE best = 1
        ORDER BY position, link_id
        LIMIT \(parameter: "limit")
        """)

    /// The text of `linkedQuery` without a filter (public so the benchmark runs the same SQL from C).
    public static var linkedSQL: String { linkedQuery.plain.text }

    /// The text `engine` is sent for `linkedQuery` without a filter: on PostgreSQL its spelling
    /// with `$1`…`$5` (sources, type, store, exclusions, limit), for the benchmark's libpq baseline.
    public static func linkedSQL(for engine: DatabaseEngine) -> String {
        let text = linkedQuery.sql.rendered(engine: engine).text
        return engine == .postgresql ? PostgreSQLPlaceholders(sqlite: text).text : text
    }
}
