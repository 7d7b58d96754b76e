import Foundation

/// One import, inside the write transaction.
final class ImportRun {
    struct ProductState {
        var id: Int
        var type: ProductType
        var existedBefore: Bool
    }

    struct AttributeState {
        var id: Int
        var type: AttributeType
        /// Defined by this import, so its inferred type may still be widened to multiselect.
        var inferred: Bool
    }

    static let warningLimit = 1_000
    static let progressInterval = 10_000

    let db: Database
    let table: CSVTable
    let layout: ColumnLayout
    let options: ImportOptions
    let file: String
    let started: ContinuousClock.Instant
    let now: String
    let separator: Character

    var products: [String: ProductState] = [:]
    var touchedExisting = Set<Int>()
    var createdCount = 0
    var categoryIDs: [String: Int] = [:]
    var categoryNextPosition: [Int: Int] = [:]
    var websiteIDs: [String: Int] = [:]
    var defaultWebsiteID: Int?
    var attributes: [String: AttributeState] = [:]
    var warnings: [InputError] = []
    var suppressedWarnings = 0
    var linkCounts: [LinkType: Int] = [:]
    /// (product id, link type) pairs whose links this import has set, as id * 8 + type id.
    var linksSet = Set<Int>()
    var visibilities: [String: Int] = [:]
    /// Products whose row, categories, websites or attributes this import wrote (bulk change marks).
    var written = Set<Int>()
    /// Products inserted or given a name by this import (their name words are indexed at the end).
    var named = Set<Int>()
    /// Store view codes of the `stores` table (a store-view row must name one).
    var storeCodes = Set<String>()
    /// Attribute sets a row may name: `Default`, the stored products' sets, ImportOptions.attributeSets.
    var attributeSets: Set<String> = ["Default"]
    /// Rows (by index in the table) that failed validation and are not imported.
    var invalidRows = Set<Int>()
    /// Errors left to the skip strategy before the import is refused (other files' errors count too).
    let allowedErrors: Int

    // Hot statements, prepared once per run.
    let insertProduct: Statement
    let updateProduct: Statement
    let deleteCategoriesExcept: Statement
    let deleteAllCategories: Statement
    let insertCategory: Statement
    let countCategoryProducts: Statement
    let deleteWebsites: Statement
    let insertWebsite: Statement
    let deleteAttribute: Statement
    let deleteAllAttributes: Statement
    let insertAttribute: Statement
    /// On PostgreSQL, the inserts that need no answer, sent in batches (nil on SQLite).
    let batch: ImportBatch?

    init(db: Database, table: CSVTable, layout: ColumnLayout, options: ImportOptions, started: ContinuousClock.Instant,
         allowedErrors: Int) throws {
        self.db = db
        self.allowedErrors = allowedErrors
        self.table = table
        self.layout = layout
        self.options = options
        self.file = table.file
        self.started = started
        self.now = ProductRepository.timestamp()
        self.separator = options.multipleValueSeparator
        self.batch = db.engine == .postgresql ? ImportBatch(db: db) : nil

        insertProduct = try db.cachedStatement("""
            INSERT INTO products(sku, name, type, attribute_set, enabled, visibility, price, special_price, qty, in_stock, created_at, updated_at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
            RETURNING product_id
            """)
        // NULL means "unchanged"; price and special price have a flag because NULL is a value there.
        updateProduct = try db.cachedStatement("""
            UPDATE products SET
                name = coalesce(?2, name), type = coalesce(?3, type), attribute_set = coalesce(?4, attribute_set),
                enabled = coalesce(?5, enabled), visibility = coalesce(?6, visibility),
                price = CASE WHEN ?7 THEN ?8 ELSE price END,
                special_price = CASE WHEN ?9 THEN ?10 ELSE special_price END,
                qty = coalesce(?11, qty), in_stock = coalesce(?12, in_stock),
                created_at = coalesce(?13, created_at), updated_at = ?14
            WHERE product_id = ?1
            """)
        // Bound per row as (product id, JSON array of category ids).
        deleteCategoriesExcept = try db.cachedStatement(db.text(of:
            "DELETE FROM product_categories WHERE product_id = ?1 AND category_id NOT IN \(idList: "categories")"))
        deleteAllCategories = try db.cachedStatement("DELETE FROM product_categories WHERE product_id = ?")
        insertCategory = try db.cachedStatement("""
            INSERT INTO product_categories(category_id, product_id, position) VALUES (?1, ?2, ?3)
            ON CONFLICT(category_id, product_id) DO NOTHING
            """)
        countCategoryProducts = try db.cachedStatement("SELECT count(*) FROM product_categories WHERE category_id = ?")
        deleteWebsites = try db.cachedStatement("DELETE FROM product_websites WHERE product_id = ?")
        insertWebsite = try db.cachedStatement("INSERT INTO product_websites(product_id, website_id) VALUES (?, ?) ON CONFLICT DO NOTHING")
        deleteAttribute = try db.cachedStatement("DELETE FROM product_attributes WHERE product_id = ? AND attribute_id = ?")
        deleteAllAttributes = try db.cachedStatement("DELETE FROM product_attributes WHERE product_id = ?")
        insertAttribute = try db.cachedStatement(
            "INSERT INTO product_attributes(product_id, attribute_id, ordinal, value, number) VALUES (?, ?, ?, ?, ?)")


        // Everything looked up per row is loaded once.
        try db.cachedStatement("SELECT product_id, sku, type FROM products").forEachRow { row in
            products[Self.key(row.text(at: 1))] = ProductState(
                id: row.int(at: 0), type: ProductType(rawValue: row.text(at: 2)) ?? .simple, existedBefore: true)
        }
        try db.cachedStatement("SELECT website_id, code FROM websites ORDER BY website_id").forEachRow { row in
            websiteIDs[row.text(at: 1)] = row.int(at: 0)
            if defaultWebsiteID == nil { defaultWebsiteID = row.int(at: 0) }
        }
        if let base = websiteIDs["base"] { defaultWebsiteID = base }
        try db.cachedStatement("SELECT code FROM stores").forEachRow { row in storeCodes.insert(row.text(at: 0)) }
        try db.cachedStatement("SELECT DISTINCT attribute_set FROM products").forEachRow { row in attributeSets.insert(row.text(at: 0)) }
        attributeSets.formUnion(options.attributeSets)
        try db.cachedStatement("SELECT attribute_id, code, type FROM attributes").forEachRow { row in
            attributes[row.text(at: 1)] = AttributeState(
                id: row.int(at: 0), type: AttributeType(rawValue: row.text(at: 2)) ?? .text, inferred: false)
        }
    }

    /// SQLite's `NOCASE` folds ASCII letters only; the SKU dictionary must fold the same way.
    static func key(_ sku: String) -> String {
        guard sku.utf8.contains(where: { $0 >= 65 && $0 <= 90 }) else { return sku }
        return String(decoding: sku.utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
    }

    func execute() throws -> ImportReport {
        // Bulk mode: the per-row change triggers stand aside; finishBulkWrite does their work at once.
        do {
            try db.execute("UPDATE catalog_write_mode SET bulk = 1 WHERE id = 1")
        } catch let error as DatabaseError {
            // The import's first write: a read-only or full database fails here, named for the file.
            throw InputError(file: file, line: 0, message: error.description)
        }
        do {
            let report = try importRows()
            try finishBulkWrite()
            return report
        } catch {
            // The caller's transaction rolls back; a caller that went on would otherwise keep bulk mode.
            try? db.execute("UPDATE catalog_write_mode SET bulk = 0 WHERE id = 1")
            throw error
        }
    }

    /// What the skipped triggers would have done, once for every product written: index the names
    /// (0004's product_words: the same rows the triggers give) and, while rule results are cached,
    /// list the products for the rule-cache refresh (0003's rule_cache_dirty).
    func finishBulkWrite() throws {
        let named = self.named.sorted()
        // PostgreSQL plans from table statistics, which autovacuum refreshes only a while after
        // the commit: until then every placement of a newly filled catalog planned its joins as if
        // the tables were empty (sequential scans of products, ~50 ms a placement at 2,000
        // products, ~10 ms at 500). An import of 100 products or more refreshes them itself, in its
        // transaction (ANALYZE samples at most 30,000 rows a table: tens of milliseconds).
        // stores and websites too: autovacuum never analyzes a table of a few rows (it waits for
        // 50 changes), and without their statistics the planner took a store to match 1 in 200
        // website assignments, which at 1,000 products turned a placement's linked-products query
        // into a loop over every assignment (23 ms instead of 0.2 ms).
        if db.engine == .postgresql && written.count >= Self.analyzeThreshold {
            try db.execute(script: "ANALYZE products, product_websites, product_categories, product_links, product_children, "
                                   + "product_attributes, categories, stores, websites")
        }
        try db.execute("""
            DELETE FROM product_words WHERE product_id IN \(list: named)
              AND (word, product_id) NOT IN (SELECT word, product_id FROM product_name_words
                                             WHERE product_id IN \(list: named))
            """)
        try db.execute("""
            INSERT INTO product_words(word, product_id)
            SELECT word, product_id FROM product_name_words WHERE product_id IN \(list: named)
            ON CONFLICT DO NOTHING
            """)
        try db.execute("""
            INSERT INTO rule_cache_dirty(product_id)
            SELECT value FROM \(list: written.sorted()) AS written WHERE EXISTS (SELECT 1 FROM rule_cache_rules)
            ON CONFLICT DO NOTHING
            """)
        try db.execute("UPDATE catalog_write_mode SET bulk = 0 WHERE id = 1")
    }

    /// Products written from which an import on PostgreSQL refreshes the catalog's statistics.
    static let analyzeThreshold = 100

    func importRows() throws -> ImportReport {
        let categoriesBefore = try db.scalarInt("SELECT count(*) FROM categories") ?? 0
        if !layout.unknown.isEmpty {
            warn(InputError(file: file, line: 1, message: "columns not imported (neither read by Crosslink nor Magento columns it knowingly ignores): "
                            + layout.unknown.joined(separator: ", ")))
        }
        let rows = table.rows
        // Every row is validated before anything is written (Magento's validateData before importData).
        let errors = try validateRows()
        if let batch { try batch.reserveProductIDs(newProductCount()) }
        // Pass 1: products, with their own categories, websites and attributes.
        var storeViewWarningGiven = false
        for (offset, record) in rows.enumerated() {
            if invalidRows.contains(offset) { continue }
            if let storeView = cell(record, .storeViewCode) {
                if !storeViewWarningGiven, ImportColumn.storeScoped.contains(where: { cell(record, $0) != nil }) {
                    storeViewWarningGiven = true
                    warn(issue(record, .storeViewCode,
                        "store-view rows (here \"\(storeView)\") are store-view overrides; Crosslink keeps one value per product, "
                        + "so their name, price, status, visibility, stock and attribute values are ignored "
                        + "(their categories, websites, links and variations are applied)"))
                }
            } else {
                try guarded(record) { try importProductRow(record) }
            }
            let done = offset + 1
            if done % Self.progressInterval == 0 && done < rows.count { reportProgress(done) }
        }
        // Pass 2: everything that refers to other SKUs, now that all of the file's products exist.
        for (offset, record) in rows.enumerated() where !invalidRows.contains(offset) {
            try guarded(record) { try importRelations(record) }
        }
        try flushBatch()
        reportProgress(rows.count)
        if suppressedWarnings > 0 {
            warnings.append(InputError(file: file, line: 0, message: "\(suppressedWarnings) more warnings not listed"))
        }
        let categoriesAfter = try db.scalarInt("SELECT count(*) FROM categories") ?? 0
        return ImportReport(
            files: [file], rows: rows.count, productsCreated: createdCount, productsUpdated: touchedExisting.count,
            categoriesCreated: categoriesAfter - categoriesBefore,
            links: Dictionary(uniqueKeysWithValues: linkCounts.map { ($0.key.rawValue, $0.value) }),
            warnings: warnings, dryRun: options.dryRun, rowsSkipped: invalidRows.count, errors: errors)
    }

    /// Sends the batched rows; everything that reads or deletes rows the batch may hold calls it first.
    func flushBatch() throws {
        try batch?.flush(file: file)
    }

    /// Products pass 1 will insert: the distinct unknown SKUs of the valid default rows.
    func newProductCount() -> Int {
        var keys = Set<String>()
        for (offset, record) in table.rows.enumerated() where !invalidRows.contains(offset) && cell(record, .storeViewCode) == nil {
            if let sku = cell(record, .sku), !isClear(sku), products[Self.key(sku)] == nil { keys.insert(Self.key(sku)) }
        }
        return keys.count
    }

    func reportProgress(_ rows: Int) {
        guard let progress = options.progress else { return }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        progress(ImportProgress(file: file, rows: rows, rowsPerSecond: seconds > 0 ? Double(rows) / seconds : 0))
    }

    func warn(_ issue: InputError) {
        if warnings.count < Self.warningLimit { warnings.append(issue) } else { suppressedWarnings += 1 }
    }

    /// Errors from the repositories or SQLite become issues that name the row.
    func guarded(_ record: CSVRecord, _ body: () throws -> Void) throws {
        batch?.note(line: record.line)
        do {
            try body()
            if let batch, batch.count >= ImportBatch.rowLimit { try flushBatch() }
        } catch let issue as InputError where issue.location != nil {
            throw issue
        } catch let error as InputError {
            throw InputError(file: file, line: record.line, message: error.description)
        } catch let error as RequestError {
            throw InputError(file: file, line: record.line, message: error.description)
        } catch let error as DatabaseError {
            throw InputError(file: file, line: record.line, message: error.description)
        }
    }

    func issue(_ record: CSVRecord, _ column: ImportColumn, _ message: String) -> InputError {
        InputError(file: file, line: record.line, field: layout[column].map { layout.header[$0] } ?? column.name, message: message)
    }

    // MARK: Cells

    /// The cell, or nil when the column is absent or the cell blank ("leave unchanged").
    /// Values are trimmed except `name`, which is kept as written.
    func cell(_ record: CSVRecord, _ column: ImportColumn) -> String? {
        guard let index = layout[column] else { return nil }
        let raw = record.fields[index]
        if raw.isEmpty { return nil }
        if column == .name { return raw.allSatisfy(\.isWhitespace) ? nil : raw }
        let trimmed = MagentoFields.trimmed(raw)
        return trimmed.isEmpty ? nil : trimmed
    }

    func isClear(_ value: String) -> Bool { value == MagentoFields.emptyValueMarker }

    /// A required field: `__EMPTY__VALUE__` is an error there.
    func required(_ record: CSVRecord, _ column: ImportColumn) throws -> String? {
        guard let value = cell(record, column) else { return nil }
        if isClear(value) { throw issue(record, column, "\(MagentoFields.emptyValueMarker) cannot clear \(column.name): the field is required") }
        return value
    }

    /// nil = unchanged, .some(nil) = clear (`__EMPTY__VALUE__`).
    func priceValue(_ record: CSVRecord, _ column: ImportColumn) throws -> Double?? {
        guard let value = cell(record, column) else { return nil }
        if isClear(value) { return .some(nil) }
        guard let number = MagentoFields.parseDecimal(value) else {
            throw incorrectValue(record, column, "\"\(value)\" is not a number")
        }
        guard number >= 0 else { throw incorrectValue(record, column, "\(value) is negative") }
        return .some(number)
    }

    /// Magento's ERROR_INVALID_ATTRIBUTE_TYPE wording, with what is wrong.
    func incorrectValue(_ record: CSVRecord, _ column: ImportColumn, _ detail: String) -> InputError {
        issue(record, column, "Value for '\(column.name)' attribute contains incorrect value: \(detail)")
    }

    func timestamp(_ record: CSVRecord, _ column: ImportColumn) -> String? {
        guard let value = cell(record, column), !isClear(value) else { return nil }
        if let iso = MagentoTimestamp.iso8601(fromMagento: value) { return iso }
        warn(issue(record, column, "cannot read the time \"\(value)\"; it was not stored"))
        return nil
    }
}
