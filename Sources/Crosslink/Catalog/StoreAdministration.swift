/// Listing, adding, renaming and removing websites and stores (`crosslink websites …`,
/// `crosslink stores …`).
///
/// Removal never loses data silently:
/// - a store with events is never removed: the event log is the source every aggregate,
///   metric and evaluation is rebuilt from, and its rows name the store;
/// - a store with configuration (units, block settings, a rule time zone) is removed only with
///   `force`, which deletes that configuration with it;
/// - a website is removed only when no store is on it; with `force` its product assignments go
///   with it (an import's `product_websites` column sets them again).
/// Rows derived from the catalog or the events for a removed store (similar-product lists,
/// windows, neighbour lists) are deleted with it, so that a store added later (SQLite may give
/// it the same id) starts clean.
extension StoreRepository {
    /// A website with its stores and the number of products assigned to it.
    public struct Website: Sendable, Equatable, Codable {
        public var id: Int
        public var code: String
        public var name: String
        public var storeCodes: [String]
        public var productCount: Int
    }

    /// What a store holds besides its own row: what ``removeStore(code:force:)`` checks.
    public struct StoreContents: Sendable, Equatable, Codable {
        /// Events sent for the store (never deleted by a removal).
        public var events: Int
        /// Recommendation units (deleted with `force`).
        public var units: Int
        /// Block settings rows and the rule time zone row (deleted with `force`).
        public var settings: Int

        /// Configuration that `force` deletes.
        public var configuration: Int { units + settings }
    }

    // MARK: Websites

    /// Every website, by id.
    public func websites() throws -> [Website] {
        let websites = try db.prepare("SELECT website_id, code, name FROM websites ORDER BY website_id").map([]) { row in
            Website(id: row.int(at: 0), code: row.text(at: 1), name: row.text(at: 2), storeCodes: [], productCount: 0)
        }
        return try websites.map { website in
            var website = website
            website.storeCodes = try db.prepare("SELECT code FROM stores WHERE website_id = ? ORDER BY store_id")
                .map([website.id]) { $0.text(at: 0) }
            website.productCount = try db.scalarInt("SELECT count(*) FROM product_websites WHERE website_id = ?", [website.id]) ?? 0
            return website
        }
    }

    /// The website `code`, or `RequestError` unknown website.
    public func website(code: String) throws -> Website {
        guard let website = try websites().first(where: { $0.code == code }) else { throw RequestError.unknownWebsite(code) }
        return website
    }

    /// Adds website `code`; with `productsFrom`, every product sold on that website is sold on
    /// the new one too (a second website usually starts with the first one's assortment).
    @discardableResult
    public func addWebsite(code: String, name: String? = nil, productsFrom: String? = nil) throws -> Int {
        try Self.checkCode(code, field: "website code")
        if let name { try Self.checkName(name, field: "website name") }
        if try db.scalarInt("SELECT website_id FROM websites WHERE code = ?", [code]) != nil {
            throw RequestError.duplicateCode("website", code)
        }
        let source = try productsFrom.map { try websiteID(code: $0) }
        guard let id = try db.scalarInt("INSERT INTO websites(code, name) VALUES (?, ?) RETURNING website_id", [code, name ?? code]) else {
            throw RequestError.unknownWebsite(code)
        }
        if let source {
            try db.execute("""
                INSERT INTO product_websites(product_id, website_id)
                SELECT product_id, ? FROM product_websites WHERE website_id = ? ORDER BY product_id
                """, [id, source])
        }
        return id
    }

    /// Changes website `code`'s code and/or name.
    public func renameWebsite(code: String, newCode: String? = nil, name: String? = nil) throws {
        try rename(.website, id: try websiteID(code: code), from: code, to: newCode, name: name)
    }

    /// Removes website `code`. Refused while a store is on it; refused while products are
    /// assigned to it unless `force` (which removes the assignments). Returns the number of
    /// product assignments removed.
    @discardableResult
    public func removeWebsite(code: String, force: Bool = false) throws -> Int {
        let website = try website(code: code)
        if !website.storeCodes.isEmpty {
            throw RequestError(.inUse, "website \(String(reflecting: code)) has store\(website.storeCodes.count == 1 ? "" : "s") "
                + website.storeCodes.map { String(reflecting: $0) }.joined(separator: ", ") + ": remove them or move them to another website first",
                names: [code])
        }
        if website.productCount > 0 && !force {
            throw RequestError(.inUse, "website \(String(reflecting: code)) sells \(website.productCount) product(s); "
                + "removing it removes those assignments (--force, or force: true, to do so)", names: [code])
        }
        try db.execute("DELETE FROM product_websites WHERE website_id = ?", [website.id])
        try db.execute("DELETE FROM websites WHERE website_id = ?", [website.id])
        return website.productCount
    }

    // MARK: Stores

    /// Every store, by id.
    public func stores() throws -> [Store] {
        try db.prepare("""
            SELECT store_id, code, website_id, name, show_out_of_stock, related_limit, upsell_limit, crosssell_limit
            FROM stores ORDER BY store_id
            """).map([]) { row in
            Store(id: row.int(at: 0), code: row.text(at: 1), websiteID: row.int(at: 2), name: row.text(at: 3),
                  showOutOfStock: row.int(at: 4) == 1, relatedLimit: row.optionalInt(at: 5),
                  upsellLimit: row.int(at: 6), crosssellLimit: row.int(at: 7))
        }
    }

    /// Adds store `code` on `website`; refuses a code in use (``upsertStore(code:website:name:showOutOfStock:)``
    /// replaces instead).
    @discardableResult
    public func addStore(code: String, website: String, name: String? = nil, showOutOfStock: Bool = false) throws -> Int {
        try Self.checkCode(code, field: "store code")
        if let name { try Self.checkName(name, field: "store name") }
        if try db.scalarInt("SELECT store_id FROM stores WHERE code = ?", [code]) != nil {
            throw RequestError.duplicateCode("store", code)
        }
        let websiteID = try websiteID(code: website)
        guard let id = try db.scalarInt("""
            INSERT INTO stores(code, website_id, name, show_out_of_stock) VALUES (?, ?, ?, ?) RETURNING store_id
            """, [code, websiteID, name ?? code, showOutOfStock]) else { throw RequestError.unknownStore(code) }
        return id
    }

    /// Changes store `code`'s code and/or name. Events keep pointing at the store (they hold its
    /// id), but senders must use the new code from then on.
    public func renameStore(code: String, newCode: String? = nil, name: String? = nil) throws {
        try rename(.store, id: try store(code: code).id, from: code, to: newCode, name: name)
    }

    /// The two tables whose rows are renamed alike; the table and column names are these constants.
    private enum Renamed: String {
        case website, store
        var table: String { rawValue + "s" }
        var idColumn: String { rawValue + "_id" }
    }

    /// Gives row `id` of `kind` the code `newCode` (refused when taken or malformed) and/or the
    /// display name `name`.
    private func rename(_ kind: Renamed, id: Int, from code: String, to newCode: String?, name: String?) throws {
        if let newCode, newCode != code {
            try Self.checkCode(newCode, field: "\(kind.rawValue) code")
            if try db.scalarInt("SELECT \(kind.idColumn) FROM \(kind.table) WHERE code = ?", [newCode]) != nil {
                throw RequestError.duplicateCode(kind.rawValue, newCode)
            }
            try db.execute("UPDATE \(kind.table) SET code = ? WHERE \(kind.idColumn) = ?", [newCode, id])
        }
        if let name {
            try Self.checkName(name, field: "\(kind.rawValue) name")
            try db.execute("UPDATE \(kind.table) SET name = ? WHERE \(kind.idColumn) = ?", [name, id])
        }
    }

    /// Moves store `code` to `website` (it then shows that website's products) and/or changes
    /// whether it shows out-of-stock products; nil keeps a setting. Cached rule results are
    /// rebuilt by the next refresh (the schema's triggers mark them).
    public func updateStore(code: String, website: String? = nil, showOutOfStock: Bool? = nil) throws {
        let id = try store(code: code).id
        if let website {
            try db.execute("UPDATE stores SET website_id = ? WHERE store_id = ?", [try websiteID(code: website), id])
        }
        if let showOutOfStock {
            try db.execute("UPDATE stores SET show_out_of_stock = ? WHERE store_id = ?", [showOutOfStock, id])
        }
    }

    /// What store `code` holds besides its row.
    public func contents(store code: String) throws -> StoreContents {
        let id = try store(code: code).id
        // events has no store_id index (nothing else looks events up by store): one scan, for
        // an administrative command.
        return StoreContents(
            events: try db.scalarInt("SELECT count(*) FROM events WHERE store_id = ?", [id]) ?? 0,
            units: try db.scalarInt("SELECT count(*) FROM units WHERE store_id = ?", [id]) ?? 0,
            settings: (try db.scalarInt("SELECT count(*) FROM block_settings WHERE store_id = ?", [id]) ?? 0)
                + (try db.scalarInt("SELECT count(*) FROM store_rule_settings WHERE store_id = ?", [id]) ?? 0))
    }

    /// Removes store `code` (see the type's rules): refused while it has events; refused while it
    /// has units or settings unless `force`. Returns what it held.
    @discardableResult
    public func removeStore(code: String, force: Bool = false) throws -> StoreContents {
        let id = try store(code: code).id
        let contents = try contents(store: code)
        if contents.events > 0 {
            throw RequestError(.inUse, "store \(String(reflecting: code)) has \(contents.events) event(s); events are never deleted "
                + "(aggregates, metrics and evaluations are rebuilt from them), so the store stays: rename it instead", names: [code])
        }
        if contents.configuration > 0 && !force {
            throw RequestError(.inUse, "store \(String(reflecting: code)) has \(contents.units) unit(s) and \(contents.settings) "
                + "setting row(s); removing it deletes them (--force, or force: true, to do so)", names: [code])
        }
        for table in try derivedTables() {
            try db.execute("DELETE FROM \(table) WHERE store_id = ?", [id])
        }
        // Units, block settings, the rule time zone and cached rule results go by ON DELETE CASCADE.
        try db.execute("DELETE FROM stores WHERE store_id = ?", [id])
        return contents
    }

    /// The tables with a `store_id` column and no foreign key to `stores` (aggregates, similar
    /// and neighbour lists: derived rows). Read from the schema so that a table a later migration
    /// adds is covered; the names come from the schema, never from user text.
    private func derivedTables() throws -> [String] {
        let names: [String] = switch db.engine {
        case .sqlite:
            try db.prepare("""
                SELECT m.name FROM sqlite_schema AS m JOIN pragma_table_info(m.name) AS c ON c.name = 'store_id'
                WHERE m.type = 'table' AND m.name NOT IN ('stores', 'events')
                  AND NOT EXISTS (SELECT 1 FROM pragma_foreign_key_list(m.name) AS f WHERE f."from" = 'store_id')
                ORDER BY m.name
                """).map([]) { $0.text(at: 0) }
        case .postgresql:
            try db.prepare("""
                SELECT c.table_name FROM information_schema.columns AS c
                JOIN information_schema.tables AS t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
                WHERE c.table_schema = current_schema() AND c.column_name = 'store_id' AND t.table_type = 'BASE TABLE'
                  AND c.table_name NOT IN ('stores', 'events')
                  AND NOT EXISTS (
                      SELECT 1 FROM information_schema.key_column_usage AS k
                      JOIN information_schema.referential_constraints AS r
                        ON r.constraint_schema = k.constraint_schema AND r.constraint_name = k.constraint_name
                      WHERE k.table_schema = c.table_schema AND k.table_name = c.table_name AND k.column_name = 'store_id')
                ORDER BY c.table_name
                """).map([]) { $0.text(at: 0) }
        }
        return names.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
    }

    private static func checkCode(_ code: String, field: String) throws {
        if code.isEmpty { throw InputError.invalidValue(field: field, value: code, reason: "must not be empty") }
        if let problem = StoredText.codeProblem(code) { throw InputError.invalidValue(field: field, value: code, reason: problem) }
    }

    private static func checkName(_ name: String, field: String) throws {
        if name.isEmpty { throw InputError.invalidValue(field: field, value: name, reason: "must not be empty") }
        if let problem = StoredText.problem(name) { throw InputError.invalidValue(field: field, value: name, reason: problem) }
    }
}
