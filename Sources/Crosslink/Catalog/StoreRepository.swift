/// Websites, stores (store views) and product ↔ website assignments.
public struct StoreRepository {
    let db: Database
    public init(_ db: Database) { self.db = db }

    /// A store with its display settings.
    public struct Store: Sendable, Equatable, Codable {
        public var id: Int
        public var code: String
        public var websiteID: Int
        public var name: String
        public var showOutOfStock: Bool
        public var relatedLimit: Int?
        public var upsellLimit: Int
        public var crosssellLimit: Int
    }

    /// The id of website `code`, creating it when missing.
    @discardableResult
    public func ensureWebsite(code: String, name: String? = nil) throws -> Int {
        if let id = try db.scalarInt("SELECT website_id FROM websites WHERE code = ?", [code]) { return id }
        // RETURNING, not lastInsertRowID: on PostgreSQL that is a savepoint and lastval() more.
        return try db.cachedStatement("INSERT INTO websites(code, name) VALUES (?, ?) RETURNING website_id")
            .map([code, name ?? code]) { $0.int(at: 0) }[0]
    }

    public func websiteID(code: String) throws -> Int {
        guard let id = try db.scalarInt("SELECT website_id FROM websites WHERE code = ?", [code]) else {
            throw RequestError.unknownWebsite(code)
        }
        return id
    }

    /// Adds or updates a store view on a website.
    @discardableResult
    public func upsertStore(code: String, website: String, name: String? = nil, showOutOfStock: Bool = false) throws -> Int {
        if let problem = StoredText.codeProblem(code) { throw InputError.invalidValue(field: "store code", value: code, reason: problem) }
        if let name, let problem = StoredText.problem(name) { throw InputError.invalidValue(field: "store name", value: name, reason: problem) }
        let websiteID = try websiteID(code: website)
        try db.execute("""
            INSERT INTO stores(code, website_id, name, show_out_of_stock) VALUES (?1, ?2, ?3, ?4)
            ON CONFLICT(code) DO UPDATE SET website_id = excluded.website_id, name = excluded.name, show_out_of_stock = excluded.show_out_of_stock
            """, [code, websiteID, name ?? code, showOutOfStock])
        return try store(code: code).id
    }

    /// Changes a store's block limits (nil related limit = uncapped); each limit is at least 1.
    public func setLimits(store code: String, related: Int?, upsell: Int, crosssell: Int) throws {
        for (field, value) in [("related limit", related), ("up-sell limit", upsell), ("cross-sell limit", crosssell)] {
            if let value, value < 1 { throw RequestError.invalidValue(field: field, value: String(value), reason: "must be at least 1") }
        }
        try db.execute("UPDATE stores SET related_limit = ?, upsell_limit = ?, crosssell_limit = ? WHERE code = ?",
                       [related, upsell, crosssell, code])
        if db.changes == 0 { throw RequestError.unknownStore(code) }
    }

    /// The store `code`, or `RequestError.unknownStore`.
    public func store(code: String) throws -> Store {
        let statement = try db.cachedStatement("""
            SELECT store_id, code, website_id, name, show_out_of_stock, related_limit, upsell_limit, crosssell_limit
            FROM stores WHERE code = ?
            """)
        guard let store = try statement.map([code], { row in
            Store(id: row.int(at: 0), code: row.text(at: 1), websiteID: row.int(at: 2), name: row.text(at: 3),
                  showOutOfStock: row.int(at: 4) == 1, relatedLimit: row.optionalInt(at: 5),
                  upsellLimit: row.int(at: 6), crosssellLimit: row.int(at: 7))
        }).first else { throw RequestError.unknownStore(code) }
        return store
    }

    /// Assigns the product to the websites (keeping other assignments).
    public func assign(productID: Int, websiteIDs: [Int]) throws {
        for websiteID in websiteIDs {
            try db.execute("INSERT INTO product_websites(product_id, website_id) VALUES (?, ?) ON CONFLICT DO NOTHING", [productID, websiteID])
        }
    }

    /// Replaces the product's website assignments.
    public func setWebsites(productID: Int, websiteIDs: [Int]) throws {
        try db.execute("DELETE FROM product_websites WHERE product_id = ?", [productID])
        try assign(productID: productID, websiteIDs: websiteIDs)
    }

    /// Website codes the product is sold on.
    public func websiteCodes(productID: Int) throws -> [String] {
        try db.cachedStatement("""
            SELECT w.code FROM product_websites AS pw JOIN websites AS w USING (website_id)
            WHERE pw.product_id = ? ORDER BY w.website_id
            """).map([productID]) { $0.text(at: 0) }
    }
}
