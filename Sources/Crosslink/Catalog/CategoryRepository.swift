/// The category tree and product positions in categories.
///
/// Categories are addressed by name path (Magento's `Default Category/Gear/Bags`); missing
/// levels are created on demand, as Magento's importer does.
public struct CategoryRepository {
    let db: Database
    public init(_ db: Database) { self.db = db }

    static let rootID = 1

    /// The id of the category at `names` (from the root, e.g. ["Default Category", "Gear", "Bags"]),
    /// creating missing levels. A path that does not start at the root's name is placed under it.
    @discardableResult
    public func ensure(path names: [String], urlKey: String? = nil, position: Int? = nil) throws -> Int {
        let rootName = try db.scalarText("SELECT name FROM categories WHERE category_id = ?", [Self.rootID]) ?? "Default Category"
        var levels = names.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if levels.first == rootName { levels.removeFirst() }
        var parentID = Self.rootID
        var parentPath = String(Self.rootID)
        var namePath = rootName
        for (depth, name) in levels.enumerated() {
            namePath += "/" + Self.pathSegment(name)
            if let (id, path) = try db.cachedStatement("SELECT category_id, path FROM categories WHERE name_path = ?")
                .map([namePath], { ($0.int(at: 0), $0.text(at: 1)) }).first {
                parentID = id; parentPath = path
                if depth == levels.count - 1, urlKey != nil || position != nil {
                    try db.execute("UPDATE categories SET url_key = coalesce(?, url_key), position = coalesce(?, position) WHERE category_id = ?",
                                   [urlKey, position, id])
                }
                continue
            }
            let last = depth == levels.count - 1
            let statement = try db.cachedStatement("""
                INSERT INTO categories(parent_id, name, url_key, path, name_path, level, position)
                VALUES (?1, ?2, ?3, '', ?4, ?5, coalesce(?6, (SELECT count(*) FROM categories WHERE parent_id = ?1)))
                RETURNING category_id
                """)
            try statement.bind([parentID, name, last ? urlKey : nil, namePath, depth + 1, last ? position : nil])
            _ = try statement.step()
            let id = statement.int(at: 0)
            statement.reset()
            parentPath += "/\(id)"
            try db.execute("UPDATE categories SET path = ? WHERE category_id = ?", [parentPath, id])
            parentID = id
        }
        return parentID
    }

    /// A name as one segment of `name_path`: `/` inside a name is written `\/`, as in Magento's
    /// category paths, so the name "A/B" and the path A → B stay two categories.
    static func pathSegment(_ name: String) -> String {
        guard name.utf8.contains(UInt8(ascii: "/")) else { return name }
        // Byte-wise: a "/" followed by a combining mark is still a slash byte in the path.
        return String(decoding: name.utf8.flatMap { $0 == UInt8(ascii: "/") ? [UInt8(ascii: "\\"), $0] : [$0] }, as: UTF8.self)
    }

    public func category(id: Int) throws -> Category? {
        try db.cachedStatement("SELECT category_id, parent_id, name, path, name_path, level, position FROM categories WHERE category_id = ?")
            .map([id], Self.decode).first
    }

    public func category(namePath: String) throws -> Category? {
        try db.cachedStatement("SELECT category_id, parent_id, name, path, name_path, level, position FROM categories WHERE name_path = ?")
            .map([namePath], Self.decode).first
    }

    /// All categories, depth-first by path.
    public func all() throws -> [Category] {
        try db.cachedStatement("SELECT category_id, parent_id, name, path, name_path, level, position FROM categories ORDER BY name_path")
            .map([], Self.decode)
    }

    /// Puts the product in `categoryID` at `position` (default: after the last product there).
    public func assign(productID: Int, categoryID: Int, position: Int? = nil) throws {
        try db.execute("""
            INSERT INTO product_categories(category_id, product_id, position)
            VALUES (?1, ?2, coalesce(?3, (SELECT count(*) FROM product_categories WHERE category_id = ?1)))
            ON CONFLICT(category_id, product_id) DO UPDATE SET position = coalesce(?3, product_categories.position)
            """, [categoryID, productID, position])
    }

    /// Replaces the product's categories with the given name paths (created when missing).
    public func setCategories(productID: Int, paths: [[String]]) throws {
        let ids = try paths.map { try ensure(path: $0) }
        try db.execute("DELETE FROM product_categories WHERE product_id = \(productID) AND category_id NOT IN \(list: ids)")
        for id in ids { try assign(productID: productID, categoryID: id) }
    }

    /// The product's categories, by name path.
    public func categories(productID: Int) throws -> [Category] {
        try db.cachedStatement("""
            SELECT c.category_id, c.parent_id, c.name, c.path, c.name_path, c.level, c.position
            FROM product_categories AS pc JOIN categories AS c USING (category_id)
            WHERE pc.product_id = ? ORDER BY c.name_path
            """).map([productID], Self.decode)
    }

    static func decode(_ row: Statement) -> Category {
        Category(id: row.int(at: 0), parentID: row.optionalInt(at: 1), name: row.text(at: 2), path: row.text(at: 3),
                 namePath: row.text(at: 4), level: row.int(at: 5), position: row.int(at: 6))
    }
}
