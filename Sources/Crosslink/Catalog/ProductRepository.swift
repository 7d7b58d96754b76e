import Foundation

/// Products: upsert, look up by id or SKU, list, delete (links, attributes, category and
/// website assignments go with the product through `ON DELETE CASCADE`).
///
/// Repositories wrap a connection, so several of them share one transaction:
/// ```swift
/// try store.write { db in
///     let id = try ProductRepository(db).upsert(Product(sku: "24-MB01", name: "Joust Duffle Bag", price: 34))
///     try CategoryRepository(db).assign(productID: id, to: [["Default Category", "Gear", "Bags"]])
/// }
/// ```
public struct ProductRepository {
    let db: Database
    public init(_ db: Database) { self.db = db }

    static let columns = "product_id, sku, name, type, attribute_set, enabled, visibility, price, special_price, qty, in_stock, created_at, updated_at"

    /// Inserts the product, or updates the one with the same SKU (case-insensitive). Returns its id.
    @discardableResult
    public func upsert(_ product: Product) throws -> Int {
        try validate(product)
        let now = Self.timestamp()
        let statement = try db.cachedStatement("""
            INSERT INTO products(sku, name, type, attribute_set, enabled, visibility, price, special_price, qty, in_stock, created_at, updated_at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, coalesce(?11, ?13), coalesce(?12, ?13))
            ON CONFLICT(sku) DO UPDATE SET
                name = excluded.name, type = excluded.type, attribute_set = excluded.attribute_set,
                enabled = excluded.enabled, visibility = excluded.visibility, price = excluded.price,
                special_price = excluded.special_price, qty = excluded.qty, in_stock = excluded.in_stock,
                created_at = coalesce(?11, products.created_at), updated_at = coalesce(?12, ?13)
            RETURNING product_id
            """)
        statement.reset()
        statement.bind(product.sku, at: 1)
        statement.bind(product.name, at: 2)
        statement.bind(product.type.rawValue, at: 3)
        statement.bind(product.attributeSet, at: 4)
        statement.bind(product.enabled ? 1 : 0, at: 5)
        statement.bind(product.visibility.rawValue, at: 6)
        statement.bind(product.price, at: 7)
        statement.bind(product.specialPrice, at: 8)
        statement.bind(product.qty, at: 9)
        statement.bind(product.inStock ? 1 : 0, at: 10)
        statement.bind(product.createdAt, at: 11)
        statement.bind(product.updatedAt, at: 12)
        statement.bind(now, at: 13)
        defer { statement.reset() }
        guard try statement.step() else {
            throw DatabaseError(extendedResultCode: 1, message: "upsert returned no id", sql: statement.sql, path: db.path)
        }
        return statement.int(at: 0)
    }

    func validate(_ product: Product) throws {
        let sku = product.sku
        if let reason = Self.skuProblem(sku) { throw InputError.invalidValue(field: "sku", value: sku, reason: reason) }
        for (field, value) in [("price", product.price), ("special_price", product.specialPrice)] {
            if let value, !(value.isFinite && value >= 0) {
                throw InputError.invalidValue(field: field, value: "\(value)", reason: "must be a finite number ≥ 0 (product \(sku))")
            }
        }
        guard product.qty.isFinite else {
            throw InputError.invalidValue(field: "qty", value: "\(product.qty)", reason: "must be finite (product \(sku))")
        }
    }

    /// Why `sku` cannot be a SKU, or nil. Magento's rule is 1 to 64 characters; counted as
    /// Unicode scalars, as SQLite's `length()` in the schema's CHECK counts them. NUL is refused:
    /// SQLite's `length()` (and C tools) stop there, so "\0…" would read as empty.
    static func skuProblem(_ sku: String) -> String? {
        if sku.trimmingCharacters(in: .whitespaces).isEmpty { return "must have a non-blank character" }
        if sku.unicodeScalars.count > 64 { return "is longer than 64 characters" }
        if let problem = StoredText.problem(sku) { return problem }
        return nil
    }

    /// The id of `sku`, or nil.
    public func id(sku: String) throws -> Int? {
        try db.scalarInt("SELECT product_id FROM products WHERE sku = ?", [sku])
    }

    /// The id of `sku`, or `RequestError.unknownSKU`.
    public func requireID(sku: String) throws -> Int {
        guard let id = try id(sku: sku) else { throw RequestError.unknownSKU(sku) }
        return id
    }

    /// Ids of `skus` in order; all unknown SKUs are reported together.
    public func requireIDs(skus: [String], context: String) throws -> [Int] {
        var ids: [Int] = []
        var unknown: [String] = []
        for sku in skus {
            if let id = try id(sku: sku) { ids.append(id) } else { unknown.append(sku) }
        }
        guard unknown.isEmpty else { throw RequestError.unknownSKUs(unknown, context: context) }
        return ids
    }

    public func product(sku: String) throws -> Product? {
        try db.cachedStatement("SELECT \(Self.columns) FROM products WHERE sku = ?").map([sku], Self.decode).first
    }

    public func product(id: Int) throws -> Product? {
        try db.cachedStatement("SELECT \(Self.columns) FROM products WHERE product_id = ?").map([id], Self.decode).first
    }

    /// Products in id order, a page at a time.
    public func list(limit: Int = 100, offset: Int = 0) throws -> [Product] {
        try db.cachedStatement("SELECT \(Self.columns) FROM products ORDER BY product_id LIMIT ? OFFSET ?")
            .map([limit, offset], Self.decode)
    }

    public func count() throws -> Int {
        try db.scalarInt("SELECT count(*) FROM products") ?? 0
    }

    /// Deletes the product and, by cascade, its links both ways, attributes, assignments and children rows.
    /// Returns false when there was no such SKU.
    @discardableResult
    public func delete(sku: String) throws -> Bool {
        try db.execute("DELETE FROM products WHERE sku = ?", [sku])
        return db.changes > 0
    }

    static func decode(_ row: Statement) -> Product {
        Product(id: row.int(at: 0), sku: row.text(at: 1), name: row.text(at: 2),
                type: ProductType(rawValue: row.text(at: 3)) ?? .simple, attributeSet: row.text(at: 4),
                enabled: row.int(at: 5) == 1, visibility: Visibility(rawValue: row.int(at: 6)) ?? .catalogAndSearch,
                price: row.optionalDouble(at: 7), specialPrice: row.optionalDouble(at: 8), qty: row.double(at: 9),
                inStock: row.int(at: 10) == 1, createdAt: row.text(at: 11), updatedAt: row.text(at: 12))
    }

    static func timestamp(_ date: Date = Date()) -> String {
        var formatter = Date.ISO8601FormatStyle()
        formatter.timeZone = TimeZone(identifier: "UTC")!
        return formatter.format(date)
    }
}
