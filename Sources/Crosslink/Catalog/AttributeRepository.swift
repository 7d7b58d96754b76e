/// Custom attributes: definitions (code, label, type) and per-product values.
///
/// Values are stored verbatim in `product_attributes.value`, and also in `number` when they
/// parse as a number, so SQL filters such as `number >= 50` work without casts.
public struct AttributeRepository {
    let db: Database
    public init(_ db: Database) { self.db = db }

    /// Defines (or redefines the label/type of) an attribute; returns its id.
    @discardableResult
    public func define(code: String, type: AttributeType = .text, label: String? = nil) throws -> Int {
        guard !code.isEmpty, code.utf8.count <= 255 else {
            throw InputError.invalidValue(field: "attribute code", value: code, reason: "must be 1 to 255 bytes")
        }
        let statement = try db.cachedStatement("""
            INSERT INTO attributes(code, type, label) VALUES (?1, ?2, ?3)
            ON CONFLICT(code) DO UPDATE SET type = excluded.type, label = coalesce(excluded.label, attributes.label)
            RETURNING attribute_id
            """)
        try statement.bind([code, type.rawValue, label])
        defer { statement.reset() }
        _ = try statement.step()
        return statement.int(at: 0)
    }

    /// The id of `code`, defining it as `text` when it is new.
    public func ensure(code: String) throws -> Int {
        if let id = try db.scalarInt("SELECT attribute_id FROM attributes WHERE code = ?", [code]) { return id }
        return try define(code: code)
    }

    public func type(of code: String) throws -> AttributeType? {
        try db.cachedStatement("SELECT type FROM attributes WHERE code = ?").map([code]) { AttributeType(rawValue: $0.text(at: 0)) }.first ?? nil
    }

    /// All definitions, by code.
    public func definitions() throws -> [(code: String, type: AttributeType, label: String?)] {
        try db.cachedStatement("SELECT code, type, label FROM attributes ORDER BY code").map {
            (code: $0.text(at: 0), type: AttributeType(rawValue: $0.text(at: 1)) ?? .text, label: $0.optionalText(at: 2))
        }
    }

    /// Sets the values of one attribute of one product (replacing previous values).
    /// An empty list removes the attribute from the product.
    public func set(productID: Int, code: String, values: [String]) throws {
        let attributeID = try ensure(code: code)
        try db.execute("DELETE FROM product_attributes WHERE product_id = ? AND attribute_id = ?", [productID, attributeID])
        let insert = try db.cachedStatement(
            "INSERT INTO product_attributes(product_id, attribute_id, ordinal, value, number) VALUES (?, ?, ?, ?, ?)")
        for (ordinal, value) in values.enumerated() {
            insert.reset()
            insert.bind(productID, at: 1)
            insert.bind(attributeID, at: 2)
            insert.bind(ordinal, at: 3)
            insert.bind(value, at: 4)
            insert.bind(Self.number(value), at: 5)
            while try insert.step() {}
        }
    }

    /// Removes every custom attribute value of the product.
    public func removeAll(productID: Int) throws {
        try db.execute("DELETE FROM product_attributes WHERE product_id = ?", [productID])
    }

    /// The product's attributes, by code, values in stored order.
    public func values(productID: Int) throws -> [AttributeValue] {
        var result: [AttributeValue] = []
        try db.cachedStatement("""
            SELECT a.code, pa.value FROM product_attributes AS pa JOIN attributes AS a USING (attribute_id)
            WHERE pa.product_id = ? ORDER BY a.code, pa.ordinal
            """).forEachRow([productID]) { row in
            let code = row.text(at: 0)
            if result.last?.code == code { result[result.count - 1].values.append(row.text(at: 1)) }
            else { result.append(AttributeValue(code: code, values: [row.text(at: 1)])) }
        }
        return result
    }

    /// A value as a number when it is one ("52", "0.5", "-3"), for numeric filtering in SQL.
    static func number(_ value: String) -> Double? {
        guard let first = value.utf8.first, first == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first),
              let number = Double(value), number.isFinite else { return nil }
        return number
    }
}
