import Foundation

/// The rows a Magento import inserts without needing an answer (new products with ids drawn
/// beforehand, their categories, websites and attribute values, the links of new products),
/// collected and sent to PostgreSQL a few thousand at a time: one `INSERT … SELECT FROM unnest(…)`
/// per table and batch instead of a statement per row, whose round trip and per-statement work
/// on the server capped an import at ~18,000 rows/s. SQLite runs in-process and keeps its
/// per-row statements (ImportRun uses no batch there).
///
/// Whatever reads or deletes rows the batch may hold flushes it first (`ImportRun.flushBatch()`),
/// so statements reach the database in the order the rows asked for them. Every row was validated
/// in Swift before it got here; an error the server still finds names the batch's lines.
final class ImportBatch {
    struct ProductRow {
        var id: Int
        var sku: String
        var name: String
        var type: String
        var attributeSet: String
        var enabled: Int
        var visibility: Int
        var price: Double?
        var specialPrice: Double?
        var qty: Double
        var inStock: Int
        var createdAt: String
        var updatedAt: String
    }

    /// Rows (all tables together) from which a batch is sent without waiting for a reader.
    static let rowLimit = 5_000

    let db: Database
    private(set) var products: [ProductRow] = []
    private var categories: (category: [Int], product: [Int], position: [Int]) = ([], [], [])
    private var websites: (product: [Int], website: [Int]) = ([], [])
    private var attributes: (product: [Int], attribute: [Int], ordinal: [Int], value: [String], number: [Double?]) = ([], [], [], [], [])
    private var links: (type: [Int], product: [Int], linked: [Int], position: [Int]) = ([], [], [], [])
    private(set) var count = 0
    /// The first and last CSV lines whose rows are in the batch, to name them in an error.
    private var lines: ClosedRange<Int>?
    /// Product ids drawn from the products' identity sequence and not used yet.
    private var reservedIDs: [Int] = []
    private var nextReserved = 0

    init(db: Database) {
        self.db = db
    }

    func note(line: Int) {
        lines = lines.map { min($0.lowerBound, line)...max($0.upperBound, line) } ?? line...line
    }

    // MARK: Product ids

    /// Draws `count` ids from the sequence `products.product_id` takes its default from, in one
    /// round trip, so new products can be batched with their ids known (ids in insertion order, as
    /// the identity would give them one insert at a time).
    func reserveProductIDs(_ count: Int) throws {
        guard count > 0 else { return }
        let ids = try db.cachedStatement("""
            SELECT nextval(pg_get_serial_sequence('products', 'product_id')) FROM generate_series(1, CAST(? AS BIGINT))
            """).map([count]) { $0.int(at: 0) }
        reservedIDs = Array(reservedIDs[nextReserved...]) + ids.sorted()
        nextReserved = 0
    }

    func nextProductID() throws -> Int {
        if nextReserved == reservedIDs.count { try reserveProductIDs(1) }
        defer { nextReserved += 1 }
        return reservedIDs[nextReserved]
    }

    // MARK: Rows

    func addProduct(_ row: ProductRow) {
        products.append(row)
        count += 1
    }

    func addCategory(categoryID: Int, productID: Int, position: Int) {
        categories.category.append(categoryID)
        categories.product.append(productID)
        categories.position.append(position)
        count += 1
    }

    func addWebsite(productID: Int, websiteID: Int) {
        websites.product.append(productID)
        websites.website.append(websiteID)
        count += 1
    }

    func addAttribute(productID: Int, attributeID: Int, ordinal: Int, value: String, number: Double?) {
        attributes.product.append(productID)
        attributes.attribute.append(attributeID)
        attributes.ordinal.append(ordinal)
        attributes.value.append(value)
        attributes.number.append(number)
        count += 1
    }

    func addLinks(productID: Int, type: LinkType, targets: [(id: Int, position: Int)]) {
        for target in targets {
            links.type.append(type.magentoID)
            links.product.append(productID)
            links.linked.append(target.id)
            links.position.append(target.position)
        }
        count += targets.count
    }

    // MARK: Sending

    /// Sends everything collected, products first (the other tables refer to them).
    func flush(file: String) throws {
        guard count > 0 else { return }
        do {
            try sendProducts()
            try send("""
                INSERT INTO product_categories(category_id, product_id, position)
                SELECT * FROM unnest(CAST(?1 AS bigint[]), CAST(?2 AS bigint[]), CAST(?3 AS bigint[]))
                ON CONFLICT(category_id, product_id) DO NOTHING
                """, [Self.array(categories.category), Self.array(categories.product), Self.array(categories.position)],
                when: !categories.category.isEmpty)
            try send("""
                INSERT INTO product_websites(product_id, website_id)
                SELECT * FROM unnest(CAST(?1 AS bigint[]), CAST(?2 AS bigint[]))
                ON CONFLICT DO NOTHING
                """, [Self.array(websites.product), Self.array(websites.website)], when: !websites.product.isEmpty)
            try send("""
                INSERT INTO product_attributes(product_id, attribute_id, ordinal, value, number)
                SELECT * FROM unnest(CAST(?1 AS bigint[]), CAST(?2 AS bigint[]), CAST(?3 AS bigint[]), CAST(?4 AS text[]),
                                     CAST(?5 AS double precision[]))
                """, [Self.array(attributes.product), Self.array(attributes.attribute), Self.array(attributes.ordinal),
                      Self.array(attributes.value), Self.array(attributes.number)], when: !attributes.product.isEmpty)
            // Links of one product and type tie-break on link_id (insertion order): the ordinality
            // keeps the file's order.
            try send("""
                INSERT INTO product_links(link_type_id, product_id, linked_product_id, position)
                SELECT t, p, l, pos
                FROM unnest(CAST(?1 AS bigint[]), CAST(?2 AS bigint[]), CAST(?3 AS bigint[]), CAST(?4 AS bigint[]))
                     WITH ORDINALITY AS rows(t, p, l, pos, n)
                ORDER BY n
                """, [Self.array(links.type), Self.array(links.product), Self.array(links.linked), Self.array(links.position)],
                when: !links.type.isEmpty)
        } catch let error as DatabaseError {
            let span = lines.map { $0.count == 1 ? "line \($0.lowerBound)" : "lines \($0.lowerBound)–\($0.upperBound)" } ?? "the file"
            throw InputError(file: file, line: lines?.lowerBound ?? 0,
                             message: "the rows of \(span), sent together, were refused: \(error.description)")
        }
        products = []
        categories = ([], [], [])
        websites = ([], [])
        attributes = ([], [], [], [], [])
        links = ([], [], [], [])
        count = 0
        lines = nil
    }

    private func sendProducts() throws {
        guard !products.isEmpty else { return }
        let p = products
        try send("""
            INSERT INTO products(product_id, sku, name, type, attribute_set, enabled, visibility, price, special_price, qty, in_stock,
                                 created_at, updated_at)
            SELECT * FROM unnest(CAST(?1 AS bigint[]), CAST(?2 AS text[]), CAST(?3 AS text[]), CAST(?4 AS text[]), CAST(?5 AS text[]),
                                 CAST(?6 AS bigint[]), CAST(?7 AS bigint[]), CAST(?8 AS double precision[]),
                                 CAST(?9 AS double precision[]), CAST(?10 AS double precision[]), CAST(?11 AS bigint[]),
                                 CAST(?12 AS text[]), CAST(?13 AS text[]))
            """, [Self.array(p.map(\.id)), Self.array(p.map(\.sku)), Self.array(p.map(\.name)), Self.array(p.map(\.type)),
                  Self.array(p.map(\.attributeSet)), Self.array(p.map(\.enabled)), Self.array(p.map(\.visibility)),
                  Self.array(p.map(\.price)), Self.array(p.map(\.specialPrice)), Self.array(p.map(\.qty)),
                  Self.array(p.map(\.inStock)), Self.array(p.map(\.createdAt)), Self.array(p.map(\.updatedAt))], when: true)
    }

    private func send(_ sql: String, _ arrays: [String], when: Bool) throws {
        guard when else { return }
        let statement = try db.cachedStatement(sql)
        statement.reset()
        for (index, array) in arrays.enumerated() { statement.bind(array, at: Int32(index + 1)) }
        while try statement.step() {}
    }

    // MARK: Array literals

    // PostgreSQL's text form of an array, bound as one parameter and cast on the server: values
    // stay bound data (quoted and escaped here, never spliced into SQL).

    static func array(_ values: [Int]) -> String {
        "{" + values.map(String.init).joined(separator: ",") + "}"
    }

    static func array(_ values: [Double?]) -> String {
        "{" + values.map { $0.map { "\($0)" } ?? "NULL" }.joined(separator: ",") + "}"
    }

    static func array(_ values: [Double]) -> String {
        "{" + values.map { "\($0)" }.joined(separator: ",") + "}"
    }

    static func array(_ values: [String]) -> String {
        var text = "{"
        for (index, value) in values.enumerated() {
            if index > 0 { text += "," }
            text += "\""
            for character in value.unicodeScalars {
                if character == "\"" || character == "\\" { text.unicodeScalars.append("\\") }
                text.unicodeScalars.append(character)
            }
            text += "\""
        }
        return text + "}"
    }
}
