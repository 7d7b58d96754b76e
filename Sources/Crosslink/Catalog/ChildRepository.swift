/// Parent/child products: configurable variations, grouped members, bundle selections.
public struct ChildRepository {
    let db: Database
    public init(_ db: Database) { self.db = db }

    public struct Child: Sendable, Equatable, Codable {
        public var sku: String
        public var position: Int
        /// The bundle option the child belongs to (bundles only).
        public var optionTitle: String?
        public init(sku: String, position: Int, optionTitle: String? = nil) {
            self.sku = sku; self.position = position; self.optionTitle = optionTitle
        }
    }

    /// Replaces the children of `parentID` (ids in order; position = index).
    public func setChildren(parentID: Int, children: [(id: Int, optionTitle: String?)]) throws {
        try db.execute("DELETE FROM product_children WHERE parent_id = ?", [parentID])
        for (position, child) in children.enumerated() {
            try db.execute("""
                INSERT INTO product_children(parent_id, child_id, position, option_title) VALUES (?, ?, ?, ?)
                ON CONFLICT(parent_id, child_id) DO NOTHING
                """, [parentID, child.id, position, child.optionTitle])
        }
    }

    public func children(parentID: Int) throws -> [Child] {
        try db.cachedStatement("""
            SELECT p.sku, c.position, c.option_title FROM product_children AS c JOIN products AS p ON p.product_id = c.child_id
            WHERE c.parent_id = ? ORDER BY c.position, p.sku
            """).map([parentID]) { Child(sku: $0.text(at: 0), position: $0.int(at: 1), optionTitle: $0.optionalText(at: 2)) }
    }

    public func parentSKUs(childID: Int) throws -> [String] {
        try db.cachedStatement("""
            SELECT p.sku FROM product_children AS c JOIN products AS p ON p.product_id = c.parent_id
            WHERE c.child_id = ? ORDER BY p.sku
            """).map([childID]) { $0.text(at: 0) }
    }
}
