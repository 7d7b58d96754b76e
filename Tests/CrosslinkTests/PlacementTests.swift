import Testing
@testable import Crosslink

@Suite struct PlacementTests {
    /// A tiny hand-built catalog where every rule of spec §2 can be checked.
    func seeded() throws -> (TemporaryDirectory, CrosslinkStore) {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        try store.write { db in
            let products = ProductRepository(db)
            let stores = StoreRepository(db)
            for (sku, visibility, enabled, inStock) in [
                ("A", Visibility.catalogAndSearch, true, true), ("B", .catalogAndSearch, true, true),
                ("C", .catalog, true, true), ("D", .search, true, true), ("E", .catalogAndSearch, false, true),
                ("F", .catalogAndSearch, true, false), ("G", .catalogAndSearch, true, true), ("H", .catalogAndSearch, true, true),
                ("CFG", .catalogAndSearch, true, true), ("CFG-S", .notVisibleIndividually, true, true),
                ("X", .catalogAndSearch, true, true), ("Y", .catalogAndSearch, true, true),
            ] {
                let id = try products.upsert(Product(sku: sku, name: "Product \(sku)", type: sku == "CFG" ? .configurable : .simple, enabled: enabled, visibility: visibility,
                                                     price: 10, inStock: inStock))
                try stores.assign(productID: id, websiteIDs: [1])
            }
            try ChildRepository(db).setChildren(parentID: try products.requireID(sku: "CFG"),
                                                children: [(try products.requireID(sku: "CFG-S"), nil)])
            let links = LinkRepository(db)
            try links.replace(sku: "A", type: .related, with: [
                .init(sku: "G", position: 3), .init(sku: "B", position: 1), .init(sku: "C", position: 2),
                .init(sku: "D", position: 0), .init(sku: "E", position: 0), .init(sku: "F", position: 0), .init(sku: "H", position: 3),
            ])
            try links.replace(sku: "A", type: .upsell, with: (0..<6).map { ProductLink(sku: ["B", "C", "G", "H", "X", "Y"][$0], position: $0) })
            try links.replace(sku: "A", type: .crosssell, with: [.init(sku: "X", position: 5), .init(sku: "B", position: 1)])
            try links.replace(sku: "CFG", type: .crosssell, with: [.init(sku: "Y", position: 0), .init(sku: "A", position: 1), .init(sku: "B", position: 7)])
            try links.replace(sku: "B", type: .crosssell, with: [.init(sku: "H", position: 2), .init(sku: "X", position: 9), .init(sku: "G", position: 2)])
        }
        return (dir, store)
    }

    @Test func aCartHoldsAtMostAHundredSKUs() throws {
        let (_, store) = try seeded()
        let full = Array(repeating: "A", count: 99) + ["B"]
        #expect(try store.read { db in try Placements(db).crossSells(cart: full) }.map(\.sku) == ["H", "G", "X"])
        #expect(throws: RequestError.invalidValue(field: "cart", value: "101 SKUs", reason: "a cart holds at most 100 SKUs")) {
            try store.read { db in try Placements(db).crossSells(cart: full + ["X"]) }
        }
        #expect(throws: RequestError.self) { try store.read { db in try Placements(db).related(for: "A", cart: full + ["X"]) } }
    }

    @Test func relatedShowsDisplayableProductsByPositionWithStableTies() throws {
        let (_, store) = try seeded()
        let related = try store.read { db in try Placements(db).related(for: "A") }
        // D: search-only, E: disabled, F: out of stock → hidden. G and H tie at 3: insertion order.
        #expect(related.map(\.sku) == ["B", "C", "G", "H"])
        #expect(related[0].reason == .manualLink(type: .related, sourceSKU: "A", position: 1))
        let withCart = try store.read { db in try Placements(db).related(for: "A", cart: ["C"], limit: 2) }
        #expect(withCart.map(\.sku) == ["B", "G"])
    }

    @Test func upsellDefaultsToFourAndLinksAreDirectional() throws {
        let (_, store) = try seeded()
        let upsells = try store.read { db in try Placements(db).upsells(for: "A") }
        #expect(upsells.map(\.sku) == ["B", "C", "G", "H"])
        #expect(try store.read { db in try Placements(db).upsells(for: "B") }.isEmpty)
        #expect(try store.read { db in try Placements(db).related(for: "B") }.isEmpty)
    }

    @Test func crossSellsStartWithLastAddedThenOtherItems() throws {
        let (_, store) = try seeded()
        // Last added B: its cross-sells H(2), G(2), X(9) first — A is in the cart; then A's (X, B excluded).
        let a = try store.read { db in try Placements(db).crossSells(cart: ["A", "B"]) }
        #expect(a.map(\.sku) == ["H", "G", "X"])
        // Last added A: X(5) (B is in the cart); then B's: H, G (X already chosen).
        let b = try store.read { db in try Placements(db).crossSells(cart: ["B", "A"]) }
        #expect(b.map(\.sku) == ["X", "H", "G"])
        #expect(b[1].reason == .manualLink(type: .crosssell, sourceSKU: "B", position: 2))
        // A configurable child in the cart brings its parent's cross-sells and hides the parent.
        let c = try store.read { db in try Placements(db).crossSells(cart: ["CFG-S"], limit: 1) }
        #expect(c.map(\.sku) == ["Y"])
        let d = try store.read { db in try Placements(db).crossSells(cart: ["CFG-S", "B"], lastAdded: "CFG-S") }
        #expect(d.map(\.sku) == ["Y", "A", "H", "G"])
    }

    @Test func unknownSKUsAndStoresAreReported() throws {
        let (_, store) = try seeded()
        #expect(throws: RequestError.unknownSKU("NOPE")) { try store.read { db in try Placements(db).related(for: "NOPE") } }
        #expect(throws: RequestError.unknownStore("fr")) { try store.read { db in try Placements(db).related(for: "A", store: "fr") } }
        #expect(throws: RequestError.unknownSKUs(["Z1", "Z2"], context: "the cart")) {
            try store.read { db in try Placements(db).crossSells(cart: ["A", "Z1", "Z2"]) }
        }
    }

    @Test func storesOnOtherWebsitesDoNotShowUnassignedProducts() throws {
        let (_, store) = try seeded()
        try store.write { db in
            let stores = StoreRepository(db)
            let website = try stores.ensureWebsite(code: "eu")
            try stores.upsertStore(code: "fr", website: "eu", showOutOfStock: true)
            try stores.assign(productID: try ProductRepository(db).requireID(sku: "F"), websiteIDs: [website])
            try stores.assign(productID: try ProductRepository(db).requireID(sku: "H"), websiteIDs: [website])
        }
        let related = try store.read { db in try Placements(db).related(for: "A", store: "fr") }
        #expect(related.map(\.sku) == ["F", "H"])  // F is out of stock but fr shows such products
    }

    @Test func linkEditsAreAtomicAndValidated() throws {
        let (_, store) = try seeded()
        #expect(throws: InputError("A cannot be a related link of itself")) {
            try store.write { db in try LinkRepository(db).replace(sku: "A", type: .related, with: [.init(sku: "B", position: 0), .init(sku: "A", position: 1)]) }
        }
        #expect(throws: RequestError.unknownSKUs(["Q"], context: "related links of A")) {
            try store.write { db in try LinkRepository(db).replace(sku: "A", type: .related, with: [.init(sku: "Q", position: 0)]) }
        }
        let kept = try store.read { db in try LinkRepository(db).links(sku: "A", type: .related) }
        #expect(kept.count == 7)
        // Deleting a product removes its links both ways.
        try store.write { db in _ = try ProductRepository(db).delete(sku: "B") }
        #expect(try store.read { db in try LinkRepository(db).links(sku: "A", type: .related) }.map(\.sku) == ["D", "E", "F", "C", "G", "H"])
        #expect(try store.read { db in try db.scalarInt("SELECT count(*) FROM product_links WHERE product_id NOT IN (SELECT product_id FROM products) OR linked_product_id NOT IN (SELECT product_id FROM products)") } == 0)
    }
}
