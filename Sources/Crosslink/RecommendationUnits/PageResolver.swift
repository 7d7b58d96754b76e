import Foundation

/// Resolves a storefront page: every active unit of the
/// page type, in order (top units first, then position), each filled with its products —
/// manual links and rule results, or behavioural recommendations — in one read snapshot.
///
/// Built-in rules, on every unit: displayable products only; a configurable child is shown as
/// its parent; no product twice on the page (the first unit wins — the page's products so far
/// go into each later unit's SQL exclusion list); nothing in the cart; nothing the visitor
/// already bought; never the viewed product. The unit's type fills what it can; its backups
/// (then most viewed, for the types that have that default) fill the rest, each product
/// marked primary or backup. The unit's filters are applied in each type's SQL. Then a Swift
/// post-ranking step: at most N products per category (diversity), and an optional shuffle
/// seeded by the page's seed or the hash of visitor and unit — the same inputs give the same page.
///
/// ```swift
/// let page = try store.read { db in
///     try PageResolver(db).resolve(.cart(["24-MB01", "24-WB04"]), visitor: "v-42")
/// }
/// ```
public struct PageResolver {
    let db: Database
    public init(_ db: Database) { self.db = db }

    public func resolve(_ page: Page, store: String = "default", visitor: String? = nil, options: PageOptions = PageOptions()) throws -> ResolvedPage {
        let storeRow = try StoreRepository(db).store(code: store)
        let units = try UnitRepository(db).active(storeID: storeRow.id, pageType: page.type)
        var resolved = ResolvedPage(pageType: page.type, store: store, visitor: visitor, units: [])
        guard !units.isEmpty else { return resolved }
        var context = try PageContext(db, page: page, store: storeRow, visitor: visitor, options: options)
        for unit in units {
            let variant = VariantAssignment.variant(of: unit, visitor: visitor)
            let products = try fill(unit: unit, variant: variant, context: &context)
            resolved.units.append(ResolvedUnit(unitID: unit.id!, name: unit.name, label: unit.label, placement: unit.placement,
                                               position: unit.position, variant: variant.variant, type: variant.type, products: products))
        }
        return resolved
    }

    /// The unit's products: its type's, then its backups', cut to its count, de-duplicated
    /// against the page, diversified and (optionally) shuffled.
    func fill(unit: RecommendationUnit, variant: UnitVariant, context: inout PageContext) throws -> [PageProduct] {
        let filter = FilterCompiler.compile(variant.filters, context: context.filterContext)
        var products: [PageProduct] = []
        var categoryCounts: [Int: Int] = [:]
        for (index, type) in variant.chain.enumerated() where products.count < variant.productCount {
            let need = variant.productCount - products.count
            // Diversity may drop candidates: ask for more so the type can still fill the unit.
            let limit = variant.maxPerCategory == nil ? need : min(100, need * 4 + 10)
            var candidates = try fetch(type, limit: limit, excluding: context.shown + products.map(\.productID), filter: filter,
                                       isBackup: index > 0, windows: variant.windows, context: context)
            candidates = try rollUp(candidates, excluded: Set(context.excluded + context.shown + products.map(\.productID)),
                                    filter: filter, context: context)
            if let maximum = variant.maxPerCategory {
                let categories = try deepestCategories(candidates.map(\.productID))
                candidates = candidates.filter { candidate in
                    guard let category = categories[candidate.productID] else { return true }
                    guard categoryCounts[category, default: 0] < maximum else { return false }
                    categoryCounts[category, default: 0] += 1
                    return true
                }
            }
            products += candidates.prefix(need)
        }
        if variant.shuffle {
            var random = SplitMix64(seed: context.options.seed.map { $0 &+ UInt64(unit.id!) }
                                    ?? VariantAssignment.hash(visitor: context.visitor, unitID: unit.id!))
            products = Self.shuffled(products, using: &random)
        }
        context.shown += products.map(\.productID)
        return products
    }

    /// Up to `limit` products of one type, none of `excluding` nor the page's exclusions.
    func fetch(_ type: UnitType, limit: Int, excluding: [Int], filter: CandidateFilter?, isBackup: Bool,
               windows: RecommendationWindows, context: PageContext) throws -> [PageProduct] {
        switch type {
        case .recommendation(let recommendation):
            switch recommendation.requirement {
            case .products where context.recommended.context.isEmpty: return []
            case .visitor where context.visitor == nil: return []
            default: break
            }
            let recommender = Recommender(db)
            let query = try recommender.plan(recommendation, resolved: context.recommended, visitorID: context.visitor,
                                             settings: context.settings, limit: limit, asOf: context.options.asOf,
                                             filter: filter, excluding: excluding, windows: windows)
            return try recommender.run(query).map { r in
                PageProduct(productID: r.productID, sku: r.sku, name: r.name, finalPrice: r.finalPrice, source: type,
                            isBackup: isBackup, reason: .recommendation(r.reason))
            }
        case .block(let block):
            var placement = context.placement
            placement.excluded += excluding
            let placements = Placements(db)
            let options = context.options
            let placed: [PlacedProduct]
            switch block {
            case .related, .upsell:
                guard placement.viewedID != nil else { return [] }
                placed = try placements.productPageBlock(block, context: placement, limit: limit, manualLimit: limit, segments: options.segments,
                                                         date: options.date, seed: options.seed, filter: filter)
            case .crosssell:
                guard let last = placement.cartIDs.last else { return [] }
                placed = try placements.cartBlock(context: placement, lastID: last, limit: limit, segments: options.segments,
                                                  date: options.date, seed: options.seed, filter: filter)
            }
            return placed.map { p in
                PageProduct(productID: p.productID, sku: p.sku, name: p.name, finalPrice: p.finalPrice, source: type,
                            isBackup: isBackup, reason: .placement(p.reason))
            }
        }
    }

    /// Configurable children shown as their parent (displayable, passing the filter, not excluded,
    /// not already in the list); a child whose parent cannot be shown is dropped. One statement:
    /// each candidate's configurable parents with whether the parent can be shown (an EXISTS on
    /// `displayable_products`: index lookups; a LEFT JOIN on the view would materialise it).
    func rollUp(_ products: [PageProduct], excluded: Set<Int>, filter: CandidateFilter?, context: PageContext) throws -> [PageProduct] {
        guard !products.isEmpty else { return products }
        let prepared = try db.statement(Self.rollUpSQL, condition: filter?.condition)
        let statement = prepared.statement
        defer { statement.reset() }
        prepared.bind(context.recommended.storeID, "store")
        prepared.bind(ids: products.map(\.productID), "children")
        // child → its parent as shown, or nil when the parent cannot be shown.
        var parents: [Int: (id: Int, sku: String, name: String, price: Double?)?] = [:]
        while try statement.step() {
            let child = statement.int(at: 0)
            guard parents.index(forKey: child) == nil else { continue }  // the lowest parent id decides
            parents[child] = statement.int(at: 5) == 0 ? .some(nil)
                : (statement.int(at: 1), statement.text(at: 2), statement.text(at: 3), statement.optionalDouble(at: 4))
        }
        guard !parents.isEmpty else { return products }
        var seen = Set<Int>()
        return products.compactMap { product in
            var product = product
            if let entry = parents[product.productID] {
                guard let parent = entry, !excluded.contains(parent.id) else { return nil }
                (product.productID, product.sku, product.name, product.finalPrice) = (parent.id, parent.sku, parent.name, parent.price)
            }
            return seen.insert(product.productID).inserted ? product : nil
        }
    }

    /// Each product's deepest category (highest level, then lowest id): its diversity bucket.
    func deepestCategories(_ ids: [Int]) throws -> [Int: Int] {
        var result: [Int: Int] = [:]
        for (product, category) in try db.map("""
            SELECT pc.product_id, pc.category_id FROM product_categories AS pc JOIN categories AS c ON c.category_id = pc.category_id
            WHERE pc.product_id IN \(list: ids) AND c.level > 0
            ORDER BY pc.product_id, c.level DESC, c.category_id
            """ as SQL, { ($0.int(at: 0), $0.int(at: 1)) }) where result[product] == nil {
            result[product] = category
        }
        return result
    }

    /// Fisher–Yates with `random`, written out so the order never depends on the standard library's version.
    static let rollUpSQL = SQLTemplate("""
        SELECT c.child_id, c.parent_id, p.sku, p.name, p.final_price,
               EXISTS (SELECT 1 FROM displayable_products AS d
                       WHERE d.store_id = \(parameter: "store") AND d.product_id = c.parent_id \(condition: "c.parent_id")) AS shown
        FROM \(idList: "children") AS j
        \(sql: SQL.orderedJoin) product_children AS c ON c.child_id = j.value
        \(sql: SQL.orderedJoin) products AS p ON p.product_id = c.parent_id AND p.type = 'configurable'
        ORDER BY c.child_id, c.parent_id
        """)

    static func shuffled<T>(_ items: [T], using random: inout SplitMix64) -> [T] {
        var items = items
        guard items.count > 1 else { return items }
        for i in stride(from: items.count - 1, to: 0, by: -1) {
            let j = Int(random.next() % UInt64(i + 1))
            items.swapAt(i, j)
        }
        return items
    }
}

/// What one page resolution knows: the context products, the exclusions, and what the page
/// shows so far.
struct PageContext {
    var visitor: String?
    var options: PageOptions
    var settings: RecommendationSettings
    /// For the manual and rule blocks: store, viewed product, cart, exclusions.
    var placement: Placements.Context
    /// For the recommendation types: the context rolled up, the exclusions.
    var recommended: Recommender.Resolved
    var filterContext: FilterCompiler.FilterContext
    /// Viewed product, cart (with children and parents), what the visitor bought.
    var excluded: [Int]
    /// Products of the units resolved so far.
    var shown: [Int] = []

    init(_ db: Database, page: Page, store: StoreRepository.Store, visitor: String?, options: PageOptions) throws {
        self.visitor = visitor
        self.options = options
        settings = try RecommendationSettings.load(db)
        var viewed: String?
        var items: [String] = []
        var categoryID: Int?
        switch page {
        case .home: break
        case .category(let id):
            guard try db.scalarInt("SELECT 1 FROM categories WHERE category_id = ?", [id]) != nil else {
                throw RequestError(.unknownName, "invalid category \"\(id)\": no such category", names: [String(id)])
            }
            categoryID = id
        case .product(let sku): viewed = sku
        case .cart(let skus), .confirmation(let skus): items = skus
        }
        // The visitor's cart counts on every page: nothing in it is shown.
        for sku in options.cart where !items.contains(where: { $0.caseInsensitiveCompare(sku) == .orderedSame }) { items.append(sku) }
        placement = try Placements(db).resolve(store: store, viewed: viewed, cart: items)
        let pageCart = page.type == .cart || page.type == .confirmation ? placement.cartIDs : []
        var bought: [Int] = []
        if let visitor {
            // As of an instant: only what was bought before it (first_bought_at is Unix milliseconds).
            let before = options.asOf.map { Int(($0.timeIntervalSince1970 * 1000).rounded(.down)) }
            bought = try db.cachedStatement("""
                SELECT product_id FROM visitor_products
                WHERE store_id = ?1 AND visitor_id = ?2 AND first_bought_at IS NOT NULL AND (CAST(?3 AS BIGINT) IS NULL OR first_bought_at < ?3)
                """).map([placement.store.id, visitor, before]) { $0.int(at: 0) }
        }
        excluded = placement.excluded + bought
        placement.excluded = excluded
        let contextIDs = placement.viewedID.map { [$0] } ?? pageCart
        var rolled: [Int] = []
        if !contextIDs.isEmpty {
            rolled = try db.map("SELECT DISTINCT rollup_id FROM product_rollup WHERE product_id IN \(list: contextIDs)" as SQL) { $0.int(at: 0) }
        }
        recommended = Recommender.Resolved(storeID: placement.store.id, context: rolled.sorted(), excluded: excluded)
        filterContext = FilterCompiler.FilterContext(viewedID: placement.viewedID, categoryID: categoryID, cartIDs: pageCart)
    }
}
