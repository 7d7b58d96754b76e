import Foundation
@testable import Crosslink

/// A small shop for the unit tests, every fact chosen so expectations can be worked out by hand:
///
/// | sku   | price | categories     | color | qty | other                      | viewing sessions |
/// |-------|-------|----------------|-------|-----|----------------------------|------------------|
/// | A     | 10    | Gear/Bags      | Red   | 100 |                            | 6                |
/// | B     | 20    | Gear/Bags      | Blue  | 3   |                            | 5                |
/// | C     | 30    | Gear/Watches   | Red   | 100 |                            | 4                |
/// | D     | 40    | Men            | Blue  | 100 | type virtual               | 3                |
/// | E     | 50    | Gear           | Green | 2   |                            | 2                |
/// | F     | 25    | Gear/Watches   | Red   | 100 | visibility 2 (catalog)     | 1                |
/// | G     | 35    | Men            |       | 0   | out of stock               | 7                |
/// | CFG   | –     | Men            |       | 100 | configurable, parent of V1 | 0                |
/// | CFG-V | 15    |                |       | 100 | child of CFG, visible (4)  | 0                |
///
/// Most viewed (no filter, default store hiding out-of-stock): A, B, C, D, E, F.
/// Manual related links: A → CFG-V (position 1), A → B (position 2).
/// Visitor "buyer" bought C. Every session views one product (no co-occurrence).
enum UnitFixtures {
    static let views: [(String, Int)] = [("A", 6), ("B", 5), ("C", 4), ("D", 3), ("E", 2), ("F", 1), ("G", 7)]

    /// `more` adds events to the same log (a second HandLog would reuse its event ids, and
    /// duplicate ids are ignored).
    static func shop(_ directory: TemporaryDirectory, more: (inout HandLog) -> Void = { _ in }) throws -> CrosslinkStore {
        let store = try makeStore(directory)
        try store.write { db in
            let products = ProductRepository(db), stores = StoreRepository(db), categories = CategoryRepository(db)
            let attributes = AttributeRepository(db)
            _ = try attributes.define(code: "color", type: .select)
            let bags = try categories.ensure(path: ["Gear", "Bags"]), watches = try categories.ensure(path: ["Gear", "Watches"])
            let gear = try categories.ensure(path: ["Gear"]), men = try categories.ensure(path: ["Men"])
            let rows: [(Product, Int?, String?)] = [
                (Product(sku: "A", name: "Alpha bag", price: 10, qty: 100), bags, "Red"),
                (Product(sku: "B", name: "Beta bag", price: 20, qty: 3), bags, "Blue"),
                (Product(sku: "C", name: "Gamma watch", price: 30, qty: 100), watches, "Red"),
                (Product(sku: "D", name: "Delta gift card", type: .virtual, price: 40, qty: 100), men, "Blue"),
                (Product(sku: "E", name: "Epsilon gear", price: 50, qty: 2), gear, "Green"),
                (Product(sku: "F", name: "Phi watch", visibility: .catalog, price: 25, qty: 100), watches, "Red"),
                (Product(sku: "G", name: "Gone shirt", price: 35, qty: 0, inStock: false), men, nil),
                (Product(sku: "CFG", name: "Configurable tee", type: .configurable, qty: 100), men, nil),
                (Product(sku: "CFG-V", name: "Configurable tee M", price: 15, qty: 100), nil, nil),
            ]
            for (product, category, color) in rows {
                let id = try products.upsert(product)
                try stores.assign(productID: id, websiteIDs: [1])
                if let category { try categories.assign(productID: id, categoryID: category) }
                if let color { try attributes.set(productID: id, code: "color", values: [color]) }
            }
            try ChildRepository(db).setChildren(parentID: try products.requireID(sku: "CFG"), children: [(try products.requireID(sku: "CFG-V"), nil)])
            try LinkRepository(db).replace(sku: "A", type: .related, with: [ProductLink(sku: "CFG-V", position: 1), ProductLink(sku: "B", position: 2)])
        }
        var log = HandLog()
        var session = 0
        for (sku, count) in views {
            for _ in 0..<count {
                session += 1
                log.view(sku, session: "s\(session)", at: Double(session) * 0.1)
            }
        }
        log.order(["C"], session: "buy", visitor: "buyer", at: 5)
        more(&log)
        try RecommendationFixtures.ingest(log, into: store)
        return store
    }

    static func id(_ store: CrosslinkStore, _ sku: String) throws -> Int {
        try store.read { db in try ProductRepository(db).requireID(sku: sku) }
    }

    static func categoryID(_ store: CrosslinkStore, _ namePath: String) throws -> Int {
        try store.read { db in try CategoryRepository(db).category(namePath: namePath)!.id }
    }

    /// Saves `units` (active) and resolves `page`; returns each unit's SKUs.
    static func skus(_ store: CrosslinkStore, _ page: Page, units: [RecommendationUnit], visitor: String? = nil,
                     options: PageOptions = PageOptions()) throws -> [[String]] {
        try resolve(store, page, units: units, visitor: visitor, options: options).units.map { $0.products.map(\.sku) }
    }

    static func resolve(_ store: CrosslinkStore, _ page: Page, units: [RecommendationUnit], visitor: String? = nil,
                        options: PageOptions = PageOptions()) throws -> ResolvedPage {
        try store.write { db in
            try db.execute("DELETE FROM units")
            for unit in units { try UnitRepository(db).save(unit) }
        }
        return try store.resolvePage(page, visitor: visitor, options: options)
    }

    /// An active unit of one variant.
    static func unit(_ name: String = "u", page: PageType, type: UnitType, count: Int = 10, position: Int = 1,
                     backups: [UnitType] = [], include: [FilterCondition] = [], exclude: [FilterCondition] = [],
                     maxPerCategory: Int? = nil, shuffle: Bool = false) -> RecommendationUnit {
        RecommendationUnit(name: name, pageType: page, position: position, status: .active,
             variants: [UnitVariant(type: type, productCount: count, backups: backups,
                                    filters: UnitFilters(include: include, exclude: exclude), maxPerCategory: maxPerCategory, shuffle: shuffle)])
    }
}
