import Foundation

/// Imports Magento 2's product import/export CSV (System › Data Transfer › Import, entity
/// "Products", behaviour "Add/Update") into a Crosslink database, in one transaction.
///
/// ```swift
/// let store = try CrosslinkStore(path: "crosslink.sqlite")
/// let report = try MagentoCSVImporter(store: store).importFile(at: URL(fileURLWithPath: "products.csv"))
/// print(report.productsCreated, report.links["related"] ?? 0)
/// ```
///
/// ## What a row means
/// - The header decides which columns exist; any subset works (`sku,qty` only updates stock).
///   Magento's old column names are accepted (`_store`, `_type`, `_attribute_set`,
///   `_product_websites`, `status`, `_related_sku`, `_related_position`, … — see
///   ``columnAliases``).
/// - An **empty cell leaves the stored value unchanged**; `__EMPTY__VALUE__` clears it
///   (`special_price`/`price` become NULL, a link type loses all its links, `categories`,
///   `product_websites`, `configurable_variations` become empty, and inside
///   `additional_attributes` `code=__EMPTY__VALUE__` removes that attribute, a whole cell of
///   it removes them all). A required field (`name`, `product_type`, …) cannot be cleared.
/// - **New products** need `product_type`, `attribute_set_code` and `name` (Magento requires
///   the same three). A row for an unknown SKU without `product_type` is "Product with specified
///   SKU not found" (column `sku`), as in Magento's `product_import_qty_wrong_sku.csv`.
///   Defaults: enabled, visibility "Catalog, Search", no price, qty 0, sold on website `base`
///   (Magento's single-website mode) unless `product_websites` says otherwise.
/// - **Stock**: `is_in_stock` is taken as given. Without it, a row that gives `qty` for a
///   simple, virtual or downloadable product sets the stock status from it (in stock when
///   qty > 0: Magento's default "manage stock" rule); composite products and rows without stock
///   columns keep the status (new products start in stock).
/// - `categories`: paths such as `Default Category/Gear/Bags`, joined by
///   ``ImportOptions/multipleValueSeparator`` (`\/` is a slash inside a name, as in Magento);
///   missing categories are created. A non-empty cell
///   **replaces** the product's categories (positions of kept ones are kept; Magento's append
///   mode would only add).
/// - `product_websites`: website codes joined by the separator; a non-empty cell replaces the
///   product's websites. An unknown code is an error (Magento: "Invalid value in Website column").
/// - `created_at` / `updated_at`: `2015-10-23 00:35:03`, ISO 8601, or Magento's export form
///   `10/23/15, 12:35 AM`, read as UTC and stored as ISO 8601; given values are kept (so an
///   export re-imports unchanged). Without them, new products get the import time and updated
///   products get it as `updated_at`. An unreadable time is a warning and is not stored.
/// - `additional_attributes`: `code=value` pairs (codes lower-cased, as Magento does); only the
///   listed attributes change. Values are stored verbatim. A multiselect value is split into
///   its options on `|` (Magento's `"opt1"|"opt2"` form included); a value wrapped whole in
///   quotes (`code="a|b"`) is one value. Crosslink has no copy of Magento's attribute
///   definitions: an attribute the database does not know yet is defined here as `multiselect`
///   when a value of it holds several options, else `text`. Define attributes beforehand
///   (``AttributeRepository/define(code:type:label:)``) to decide otherwise.
/// - `configurable_variations` (`sku=child,size=M|sku=…`) sets a configurable product's
///   children in that order; other product types ignore it with a warning.
/// - `related_skus`/`related_position`, `upsell_…`, `crosssell_…`: parallel lists; a non-empty
///   SKU cell replaces that link type. Without positions the order gives 1, 2, 3, …. Errors:
///   a positions list of another length, a position that is not an integer ≥ 0, a linked SKU
///   neither in the file nor in the database, a link to itself. A SKU listed twice keeps its
///   first place (warning).
/// - Links, variations and store-view rows are resolved after every product row of the file
///   is stored, so rows may refer to SKUs defined further down.
/// - **Store-view rows** (`store_view_code` set) hold store-view overrides of the default row.
///   Crosslink stores one value per product, so their attribute values (name, price, status,
///   visibility, stock, additional attributes, …) are ignored with one warning per file. What
///   Magento keeps per product rather than per store view — categories, websites, links and
///   variations — is applied from them too (Magento applies the `categories` of
///   `products_to_import_with_category.csv`'s store-view row). Their SKU must exist in the
///   file or the database.
/// - Columns Crosslink does not model (images, descriptions, SEO, weight, tax class, advanced
///   stock settings, bundle/downloadable data, …) are listed in ``ignoredColumns`` and skipped
///   silently; any other column gets one warning per file.
///
/// ## Errors and transactions
/// The whole file is imported in one `BEGIN IMMEDIATE` transaction. The first fatal problem
/// throws an ``ImportIssue`` naming the file, line and column, and nothing is written. Malformed
/// CSV (``CSVError``) is reported as an ``ImportIssue`` too. ``ImportOptions/dryRun`` runs
/// everything and rolls it back, returning the report.
public struct MagentoCSVImporter: Sendable {
    public let store: CrosslinkStore
    public let options: ImportOptions

    public init(store: CrosslinkStore, options: ImportOptions = ImportOptions()) {
        self.store = store
        self.options = options
    }

    /// Imports one file; the report and issues name it by its last path component.
    public func importFile(at url: URL) throws -> ImportReport {
        try importFiles(at: [url])
    }

    /// Imports several files in one transaction, in order: all of them or, on the first fatal
    /// problem in any file, nothing. (A later file may update what an earlier one created.)
    public func importFiles(at urls: [URL]) throws -> ImportReport {
        let started = ContinuousClock.now
        let tables = try urls.map { url in
            let reader: CSVReader
            do {
                reader = try CSVReader(contentsOf: url, limits: options.csvLimits)
            } catch let error as CSVError {
                throw ImportIssue(error)
            }
            return try Self.table(reader)
        }
        return try importTables(tables, started: started)
    }

    /// Imports CSV bytes; `file` is the name used in the report and in issues.
    public func importData(_ data: Data, file: String) throws -> ImportReport {
        let started = ContinuousClock.now
        return try importTables([Self.table(CSVReader(data: data, file: file, limits: options.csvLimits))], started: started)
    }

    /// Parses the whole file before any write, so a malformed file is refused without a transaction.
    private static func table(_ reader: CSVReader) throws -> CSVTable {
        do {
            return try CSVTable(reader: reader)
        } catch let error as CSVError {
            throw ImportIssue(error, header: CSVReader.headerNames(reader))
        }
    }

    private func importTables(_ tables: [CSVTable], started: ContinuousClock.Instant) throws -> ImportReport {
        try options.transaction(store) { db in
            var report = ImportReport(files: [], dryRun: options.dryRun)
            for table in tables {
                try importTable(table, in: db, report: &report, started: started)
            }
            return report
        }
    }

    /// Imports a parsed table with `db`, inside the caller's transaction, adding to `report`
    /// (the sample importer reads its product-CSV file this way: the sample is one transaction).
    func importTable(_ table: CSVTable, in db: Database, report: inout ImportReport,
                     started: ContinuousClock.Instant = .now) throws {
        let layout = try ColumnLayout(header: table.header, file: table.file)
        let run = try ImportRun(db: db, table: table, layout: layout, options: options, started: started)
        report.merge(try run.execute())
    }

    // MARK: Columns

    /// Magento's old column names (its `_fieldsMap`) → the names Crosslink reads.
    public static let columnAliases: [String: String] = [
        "_store": "store_view_code",
        "_type": "product_type",
        "_attribute_set": "attribute_set_code",
        "_product_websites": "product_websites",
        "status": "product_online",
        "_related_sku": "related_skus",
        "_related_position": "related_position",
        "_crosssell_sku": "crosssell_skus",
        "_crosssell_position": "crosssell_position",
        "_upsell_sku": "upsell_skus",
        "_upsell_position": "upsell_position",
        "_category": "categories",
    ]

    /// Columns of Magento's product CSV that Crosslink recognises and deliberately does not
    /// import: it models relations, prices, stock status and custom attributes, not content,
    /// media, SEO, shipping, tax or detailed inventory settings.
    public static let ignoredColumns: Set<String> = [
        // Content and SEO
        "description", "short_description", "url_key", "url_path", "meta_title", "meta_keywords",
        "meta_keyword", "meta_description",
        // Media
        "base_image", "base_image_label", "small_image", "small_image_label", "thumbnail_image",
        "thumbnail_image_label", "swatch_image", "swatch_image_label", "additional_images",
        "additional_image_labels", "hide_from_product_page", "image", "image_label", "thumbnail",
        "thumbnail_label", "_media_image", "_media_image_label", "_media_is_disabled",
        "_media_attribute_id", "_media_label", "_media_position",
        // Shipping, tax, design, dates of price/novelty, MAP
        "weight", "product_has_weight", "tax_class_name", "special_price_from_date", "special_price_to_date",
        "special_from_date", "special_to_date", "new_from_date", "new_to_date", "news_from_date",
        "news_to_date", "display_product_options_in", "options_container", "map_price", "minimal_price",
        "msrp_price", "msrp", "map_enabled", "msrp_enabled", "msrp_display_actual_price_type",
        "gift_message_available", "gift_wrapping_available", "gift_wrapping_price", "custom_design",
        "custom_design_from", "custom_design_to", "custom_layout_update", "custom_layout",
        "custom_layout_update_file", "page_layout", "product_options_container", "country_of_manufacture",
        // Detailed inventory settings (Crosslink keeps qty and stock status only)
        "out_of_stock_qty", "min_qty", "use_config_min_qty", "is_qty_decimal", "allow_backorders", "backorders",
        "use_config_backorders", "min_cart_qty", "min_sale_qty", "use_config_min_sale_qty", "max_cart_qty",
        "max_sale_qty", "use_config_max_sale_qty", "notify_on_stock_below", "notify_stock_qty",
        "use_config_notify_stock_qty", "manage_stock", "use_config_manage_stock", "use_config_qty_increments",
        "qty_increments", "use_config_enable_qty_inc", "enable_qty_increments", "is_decimal_divided",
        "deferred_stock_update", "use_config_deferred_stock_update", "website_id", "stock_id",
        // Type-specific data Crosslink does not model (bundle options, grouped quantities,
        // variation prices/labels, downloadable files, custom options, tier prices)
        "configurable_variation_prices", "configurable_variation_labels", "associated_skus",
        "bundle_price_type", "bundle_sku_type", "bundle_price_view", "bundle_weight_type", "bundle_values",
        "bundle_shipment_type", "downloadable_links", "downloadable_samples", "links_title",
        "links_purchased_separately", "samples_title", "custom_options", "tier_prices", "tier_price_website",
        "tier_price_customer_group", "tier_price_qty", "tier_price", "_tier_price_website",
        "_tier_price_customer_group", "_tier_price_qty", "_tier_price_price", "_root_category",
        // Magento's system attributes, exported as columns by some versions
        "has_options", "required_options", "quantity_and_stock_status",
    ]
}

/// The columns the importer reads.
enum ImportColumn: Int, CaseIterable {
    case sku, storeViewCode, productType, attributeSetCode, categories, productWebsites, name, price, specialPrice,
         qty, isInStock, visibility, productOnline, createdAt, updatedAt, additionalAttributes, configurableVariations,
         relatedSkus, relatedPosition, upsellSkus, upsellPosition, crosssellSkus, crosssellPosition

    static let names = [
        "sku", "store_view_code", "product_type", "attribute_set_code", "categories", "product_websites", "name",
        "price", "special_price", "qty", "is_in_stock", "visibility", "product_online", "created_at", "updated_at",
        "additional_attributes", "configurable_variations", "related_skus", "related_position", "upsell_skus",
        "upsell_position", "crosssell_skus", "crosssell_position",
    ]

    var name: String { Self.names[rawValue] }

    static let byName: [String: ImportColumn] = Dictionary(uniqueKeysWithValues: allCases.map { ($0.name, $0) })

    /// Columns whose values a store-view row would override per store view (ignored there).
    static let storeScoped: [ImportColumn] = [
        .productType, .attributeSetCode, .name, .price, .specialPrice, .qty, .isInStock, .visibility, .productOnline,
        .createdAt, .updatedAt, .additionalAttributes,
    ]
}

/// Where each read column sits in the file's header.
struct ColumnLayout {
    private var positions: [Int]
    let header: [String]
    let unknown: [String]

    init(header: [String], file: String) throws {
        self.header = header
        positions = Array(repeating: -1, count: ImportColumn.allCases.count)
        var aliased: [(column: ImportColumn, index: Int)] = []
        var unknown: [String] = []
        for (index, rawName) in header.enumerated() {
            let name = rawName.lowercased()
            if let column = ImportColumn.byName[name] {
                positions[column.rawValue] = index
            } else if let target = MagentoCSVImporter.columnAliases[name], let column = ImportColumn.byName[target] {
                aliased.append((column, index))
            } else if !MagentoCSVImporter.ignoredColumns.contains(name) && !name.hasPrefix("_custom_option") {
                unknown.append(rawName.isEmpty ? "(unnamed column \(index + 1))" : rawName)
            }
        }
        // An old name is read only when the file lacks the current one.
        for (column, index) in aliased where positions[column.rawValue] < 0 {
            positions[column.rawValue] = index
        }
        self.unknown = unknown
        if positions[ImportColumn.sku.rawValue] < 0 {
            throw ImportIssue(file: file, line: 1, message: "the header has no sku column")
        }
    }

    subscript(column: ImportColumn) -> Int? {
        let position = positions[column.rawValue]
        return position < 0 ? nil : position
    }

    func has(_ column: ImportColumn) -> Bool { positions[column.rawValue] >= 0 }
}

/// One import, inside the write transaction.
private final class ImportRun {
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
    var warnings: [ImportIssue] = []
    var suppressedWarnings = 0
    var linkCounts: [LinkType: Int] = [:]
    /// (product id, link type) pairs whose links this import has set, as id * 8 + type id.
    var linksSet = Set<Int>()
    var visibilities: [String: Int] = [:]
    /// Products whose row, categories, websites or attributes this import wrote (bulk change marks).
    var written = Set<Int>()
    /// Products inserted or given a name by this import (their name words are indexed at the end).
    var named = Set<Int>()

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

    init(db: Database, table: CSVTable, layout: ColumnLayout, options: ImportOptions, started: ContinuousClock.Instant) throws {
        self.db = db
        self.table = table
        self.layout = layout
        self.options = options
        self.file = table.file
        self.started = started
        self.now = ProductRepository.timestamp()
        self.separator = options.multipleValueSeparator

        insertProduct = try db.cachedStatement("""
            INSERT INTO products(sku, name, type, attribute_set, enabled, visibility, price, special_price, qty, in_stock, created_at, updated_at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
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
        deleteCategoriesExcept = try db.cachedStatement(
            "DELETE FROM product_categories WHERE product_id = ?1 AND category_id NOT IN (SELECT value FROM json_each(?2))")
        deleteAllCategories = try db.cachedStatement("DELETE FROM product_categories WHERE product_id = ?")
        insertCategory = try db.cachedStatement("""
            INSERT INTO product_categories(category_id, product_id, position) VALUES (?1, ?2, ?3)
            ON CONFLICT(category_id, product_id) DO NOTHING
            """)
        countCategoryProducts = try db.cachedStatement("SELECT count(*) FROM product_categories WHERE category_id = ?")
        deleteWebsites = try db.cachedStatement("DELETE FROM product_websites WHERE product_id = ?")
        insertWebsite = try db.cachedStatement("INSERT OR IGNORE INTO product_websites(product_id, website_id) VALUES (?, ?)")
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
            throw ImportIssue(file: file, line: 0, message: error.description)
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
        let named = DatabaseValue.jsonArray(self.named.sorted())
        try db.execute("""
            DELETE FROM product_words WHERE product_id IN (SELECT value FROM json_each(?1))
              AND (word, product_id) NOT IN (SELECT word, product_id FROM product_name_words
                                             WHERE product_id IN (SELECT value FROM json_each(?1)))
            """, [named])
        try db.execute("""
            INSERT OR IGNORE INTO product_words(word, product_id)
            SELECT word, product_id FROM product_name_words WHERE product_id IN (SELECT value FROM json_each(?1))
            """, [named])
        try db.execute("""
            INSERT OR IGNORE INTO rule_cache_dirty(product_id)
            SELECT value FROM json_each(?1) WHERE EXISTS (SELECT 1 FROM rule_cache_rules)
            """, [DatabaseValue.jsonArray(written.sorted())])
        try db.execute("UPDATE catalog_write_mode SET bulk = 0 WHERE id = 1")
    }

    func importRows() throws -> ImportReport {
        let categoriesBefore = try db.scalarInt("SELECT count(*) FROM categories") ?? 0
        if !layout.unknown.isEmpty {
            warn(ImportIssue(file: file, line: 1, message: "columns not imported (neither read by Crosslink nor Magento columns it knowingly ignores): "
                             + layout.unknown.joined(separator: ", ")))
        }
        let rows = table.rows
        // Pass 1: products, with their own categories, websites and attributes.
        var storeViewWarningGiven = false
        for (offset, record) in rows.enumerated() {
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
        for record in rows {
            try guarded(record) { try importRelations(record) }
        }
        reportProgress(rows.count)
        if suppressedWarnings > 0 {
            warnings.append(ImportIssue(file: file, line: 0, message: "\(suppressedWarnings) more warnings not listed"))
        }
        let categoriesAfter = try db.scalarInt("SELECT count(*) FROM categories") ?? 0
        return ImportReport(
            files: [file], rows: rows.count, productsCreated: createdCount, productsUpdated: touchedExisting.count,
            categoriesCreated: categoriesAfter - categoriesBefore,
            links: Dictionary(uniqueKeysWithValues: linkCounts.map { ($0.key.rawValue, $0.value) }),
            warnings: warnings, dryRun: options.dryRun)
    }

    func reportProgress(_ rows: Int) {
        guard let progress = options.progress else { return }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        progress(ImportProgress(file: file, rows: rows, rowsPerSecond: seconds > 0 ? Double(rows) / seconds : 0))
    }

    func warn(_ issue: ImportIssue) {
        if warnings.count < Self.warningLimit { warnings.append(issue) } else { suppressedWarnings += 1 }
    }

    /// Errors from the repositories or SQLite become issues that name the row.
    func guarded(_ record: CSVRecord, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let issue as ImportIssue {
            throw issue
        } catch let error as CatalogError {
            throw ImportIssue(file: file, line: record.line, message: error.description)
        } catch let error as DatabaseError {
            throw ImportIssue(file: file, line: record.line, message: error.description)
        }
    }

    func issue(_ record: CSVRecord, _ column: ImportColumn, _ message: String) -> ImportIssue {
        ImportIssue(file: file, line: record.line, column: layout[column].map { layout.header[$0] } ?? column.name, message: message)
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
            throw issue(record, column, "\(column.name) \"\(value)\" is not a number")
        }
        guard number >= 0 else { throw issue(record, column, "\(column.name) \(value) is negative") }
        return .some(number)
    }

    func timestamp(_ record: CSVRecord, _ column: ImportColumn) -> String? {
        guard let value = cell(record, column), !isClear(value) else { return nil }
        if let iso = MagentoTimestamp.iso8601(fromMagento: value) { return iso }
        warn(issue(record, column, "cannot read the time \"\(value)\"; it was not stored"))
        return nil
    }

    // MARK: Pass 1: products

    func importProductRow(_ record: CSVRecord) throws {
        guard let sku = cell(record, .sku), !isClear(sku) else {
            throw issue(record, .sku, "SKU is empty")
        }
        if let problem = ProductRepository.skuProblem(sku) { throw issue(record, .sku, "SKU \(String(reflecting: sku)) \(problem)") }
        let key = Self.key(sku)

        let type: ProductType? = try required(record, .productType).map { value in
            guard let type = ProductType(rawValue: value) ?? ProductType(rawValue: value.lowercased()) else {
                throw issue(record, .productType, "Product Type is invalid or not supported: \"\(value)\" (expected one of "
                            + ProductType.allCases.map(\.rawValue).joined(separator: ", ") + ")")
            }
            return type
        }
        let attributeSet = try required(record, .attributeSetCode)
        let name = try required(record, .name)
        let enabled: Bool? = try required(record, .productOnline).map { value in
            // Magento's status: 1 enabled, 2 disabled; export files write 1/2, hand-made ones 1/0 or yes/no.
            if value == "2" { return false }
            guard let flag = MagentoFields.parseBool(value) else {
                throw issue(record, .productOnline, "product_online \"\(value)\" is not 1 or 0")
            }
            return flag
        }
        let visibility: Int? = try required(record, .visibility).map { value in
            if let known = visibilities[value] { return known }
            guard let visibility = MagentoFields.parseVisibility(value) else {
                throw issue(record, .visibility, "visibility \"\(value)\" is not one of Not Visible Individually, Catalog, Search, \"Catalog, Search\"")
            }
            visibilities[value] = visibility
            return visibility
        }
        let price = try priceValue(record, .price)
        let specialPrice = try priceValue(record, .specialPrice)
        var qty: Double?
        if let value = cell(record, .qty) {
            if isClear(value) {
                qty = 0
            } else {
                guard let number = MagentoFields.parseDecimal(value) else { throw issue(record, .qty, "qty \"\(value)\" is not a number") }
                qty = number
            }
        }
        var inStock: Bool? = try required(record, .isInStock).map { value in
            guard let flag = MagentoFields.parseBool(value) else { throw issue(record, .isInStock, "is_in_stock \"\(value)\" is not 1 or 0") }
            return flag
        }
        let createdAt = timestamp(record, .createdAt)
        let updatedAt = timestamp(record, .updatedAt)

        let id: Int
        let fresh: Bool
        if var state = products[key] {
            // Update: only the given fields change.
            id = state.id
            fresh = false
            if name != nil { named.insert(id) }
            if let type { state.type = type; products[key] = state }
            if inStock == nil, let qty, Self.tracksQuantity(state.type) { inStock = qty > 0 }
            let s = updateProduct
            s.reset()
            s.bind(id, at: 1)
            s.bind(name, at: 2)
            s.bind(type?.rawValue, at: 3)
            s.bind(attributeSet, at: 4)
            s.bind(enabled.map { $0 ? 1 : 0 }, at: 5)
            s.bind(visibility, at: 6)
            s.bind(price == nil ? 0 : 1, at: 7)
            s.bind(price ?? nil, at: 8)
            s.bind(specialPrice == nil ? 0 : 1, at: 9)
            s.bind(specialPrice ?? nil, at: 10)
            s.bind(qty, at: 11)
            s.bind(inStock.map { $0 ? 1 : 0 }, at: 12)
            s.bind(createdAt, at: 13)
            s.bind(updatedAt ?? now, at: 14)
            while try s.step() {}
            if state.existedBefore { touchedExisting.insert(id) }
        } else {
            guard let type else {
                throw issue(record, .sku, "Product with specified SKU not found: \"\(sku)\" is not in the database, "
                            + "and a row creates a product only with product_type, attribute_set_code and name")
            }
            guard let attributeSet else {
                throw issue(record, layout.has(.attributeSetCode) ? .attributeSetCode : .sku,
                            "new product \"\(sku)\" needs an attribute_set_code (Magento: \"Invalid value for Attribute Set column\")")
            }
            guard let name else {
                throw issue(record, layout.has(.name) ? .name : .sku, "new product \"\(sku)\" needs a name")
            }
            if inStock == nil { inStock = Self.tracksQuantity(type) && qty != nil ? qty! > 0 : true }
            let s = insertProduct
            s.reset()
            s.bind(sku, at: 1)
            s.bind(name, at: 2)
            s.bind(type.rawValue, at: 3)
            s.bind(attributeSet, at: 4)
            s.bind((enabled ?? true) ? 1 : 0, at: 5)
            s.bind(visibility ?? Visibility.catalogAndSearch.rawValue, at: 6)
            s.bind(price ?? nil, at: 7)
            s.bind(specialPrice ?? nil, at: 8)
            s.bind(qty ?? 0, at: 9)
            s.bind(inStock! ? 1 : 0, at: 10)
            s.bind(createdAt ?? now, at: 11)
            s.bind(updatedAt ?? now, at: 12)
            while try s.step() {}
            id = db.lastInsertRowID
            fresh = true
            named.insert(id)
            products[key] = ProductState(id: id, type: type, existedBefore: false)
            createdCount += 1
        }

        written.insert(id)
        try importCategories(record, productID: id, fresh: fresh)
        if !(try importWebsites(record, productID: id, fresh: fresh)), fresh, let website = defaultWebsiteID {
            try addWebsite(productID: id, websiteID: website)
        }
        try importAttributes(record, productID: id, fresh: fresh)
    }

    /// Types whose stock status follows their own quantity (composite products have none).
    static func tracksQuantity(_ type: ProductType) -> Bool {
        type == .simple || type == .virtual || type == .downloadable
    }

    // MARK: Categories and websites

    /// `fresh`: the product was inserted by this row, so there is nothing to delete first.
    func importCategories(_ record: CSVRecord, productID: Int, fresh: Bool) throws {
        guard let value = cell(record, .categories) else { return }
        if isClear(value) {
            deleteAllCategories.reset()
            deleteAllCategories.bind(productID, at: 1)
            while try deleteAllCategories.step() {}
            return
        }
        var ids: [Int] = []
        for path in MagentoFields.splitList(value, separator: separator) {
            let id: Int
            if let cached = categoryIDs[path] {
                id = cached
            } else {
                let levels = Self.categoryLevels(path)
                if levels.isEmpty { continue }
                id = try CategoryRepository(db).ensure(path: levels)
                categoryIDs[path] = id
            }
            if !ids.contains(id) { ids.append(id) }
        }
        if ids.isEmpty { return }
        if !fresh {
            deleteCategoriesExcept.reset()
            deleteCategoriesExcept.bind(productID, at: 1)
            deleteCategoriesExcept.bind("[" + ids.map(String.init).joined(separator: ",") + "]", at: 2)
            while try deleteCategoriesExcept.step() {}
        }
        for id in ids {
            // New members go after the category's current ones, as CategoryRepository.assign does.
            let position: Int
            if let next = categoryNextPosition[id] {
                position = next
            } else {
                countCategoryProducts.reset()
                countCategoryProducts.bind(id, at: 1)
                position = try countCategoryProducts.step() ? countCategoryProducts.int(at: 0) : 0
                countCategoryProducts.reset()
            }
            insertCategory.reset()
            insertCategory.bind(id, at: 1)
            insertCategory.bind(productID, at: 2)
            insertCategory.bind(position, at: 3)
            while try insertCategory.step() {}
            categoryNextPosition[id] = db.changes > 0 ? position + 1 : position
        }
    }

    /// The names of one category path. Like Magento's CategoryProcessor, `\/` is a slash inside a
    /// name (`Default Category/Category\/ 2` has two levels); levels are trimmed, empty ones dropped.
    static func categoryLevels(_ path: String) -> [String] {
        var levels: [String] = []
        var current = ""
        var index = path.startIndex
        while index < path.endIndex {
            let character = path[index]
            let next = path.index(after: index)
            if character == "\\", next < path.endIndex, path[next] == "/" {
                current.append("/")
                index = path.index(after: next)
                continue
            }
            if character == "/" {
                levels.append(current)
                current = ""
            } else {
                current.append(character)
            }
            index = next
        }
        levels.append(current)
        return levels.map { MagentoFields.trimmed($0) }.filter { !$0.isEmpty }
    }

    /// Returns whether the row set the websites.
    @discardableResult
    func importWebsites(_ record: CSVRecord, productID: Int, fresh: Bool) throws -> Bool {
        guard let value = cell(record, .productWebsites) else { return false }
        var ids: [Int] = []
        if !isClear(value) {
            for code in MagentoFields.splitList(value, separator: separator) {
                guard let id = websiteIDs[code] else {
                    throw issue(record, .productWebsites, "Invalid value in Website column (website does not exist?): \"\(code)\"; known websites: "
                                + websiteIDs.keys.sorted().joined(separator: ", "))
                }
                if !ids.contains(id) { ids.append(id) }
            }
            if ids.isEmpty { return false }
        }
        if !fresh {
            deleteWebsites.reset()
            deleteWebsites.bind(productID, at: 1)
            while try deleteWebsites.step() {}
        }
        for id in ids { try addWebsite(productID: productID, websiteID: id) }
        return true
    }

    func addWebsite(productID: Int, websiteID: Int) throws {
        insertWebsite.reset()
        insertWebsite.bind(productID, at: 1)
        insertWebsite.bind(websiteID, at: 2)
        while try insertWebsite.step() {}
    }

    // MARK: Additional attributes

    func importAttributes(_ record: CSVRecord, productID: Int, fresh: Bool) throws {
        guard let value = cell(record, .additionalAttributes) else { return }
        if isClear(value) {
            if !fresh {
                deleteAllAttributes.reset()
                deleteAllAttributes.bind(productID, at: 1)
                while try deleteAllAttributes.step() {}
            }
            return
        }
        let pairs: [AdditionalAttribute]
        do {
            pairs = try AdditionalAttribute.parse(value)
        } catch let error as MagentoFieldError {
            throw issue(record, .additionalAttributes, error.reason)
        }
        var written = Set<Int>()
        for pair in pairs {
            let code = Self.key(pair.code)
            guard code.utf8.count <= 255 else {
                throw issue(record, .additionalAttributes, "attribute code \"\(pair.code)\" is longer than 255 bytes")
            }
            if pair.value.isEmpty { continue }  // `code=` leaves the value unchanged, like an empty cell
            if isClear(pair.value) {
                if let attribute = attributes[code], !fresh || written.contains(attribute.id) {
                    try deleteAttributeValues(productID: productID, attributeID: attribute.id)
                }
                continue
            }
            let options = pair.options
            var attribute: AttributeState
            if let known = attributes[code] {
                attribute = known
                if attribute.inferred, attribute.type != .multiselect, options.count > 1 {
                    try AttributeRepository(db).define(code: code, type: .multiselect)
                    attribute.type = .multiselect
                    attributes[code] = attribute
                }
            } else {
                let type: AttributeType = options.count > 1 ? .multiselect : .text
                let id = try AttributeRepository(db).define(code: code, type: type)
                attribute = AttributeState(id: id, type: type, inferred: true)
                attributes[code] = attribute
            }
            let values = attribute.type == .multiselect ? options : [pair.value]
            if values.isEmpty { continue }
            if !fresh || written.contains(attribute.id) {
                try deleteAttributeValues(productID: productID, attributeID: attribute.id)
            }
            written.insert(attribute.id)
            let s = insertAttribute
            for (ordinal, text) in values.enumerated() {
                s.reset()
                s.bind(productID, at: 1)
                s.bind(attribute.id, at: 2)
                s.bind(ordinal, at: 3)
                s.bind(text, at: 4)
                s.bind(AttributeRepository.number(text), at: 5)
                while try s.step() {}
            }
        }
    }

    func deleteAttributeValues(productID: Int, attributeID: Int) throws {
        deleteAttribute.reset()
        deleteAttribute.bind(productID, at: 1)
        deleteAttribute.bind(attributeID, at: 2)
        while try deleteAttribute.step() {}
    }

    // MARK: Pass 2: relations

    func importRelations(_ record: CSVRecord) throws {
        guard let sku = cell(record, .sku), !isClear(sku) else { throw issue(record, .sku, "SKU is empty") }
        guard let state = products[Self.key(sku)] else {
            // Only a store-view row gets here: default rows created their product in pass 1.
            throw issue(record, .sku, "store-view row for SKU \"\(sku)\", which is neither in this file (as a row without "
                        + "store_view_code) nor in the database (Magento: \"Default values row does not exist\")")
        }
        let isStoreViewRow = cell(record, .storeViewCode) != nil
        if isStoreViewRow {
            written.insert(state.id)
            try importCategories(record, productID: state.id, fresh: false)
            try importWebsites(record, productID: state.id, fresh: false)
            if state.existedBefore { touchedExisting.insert(state.id) }
        }
        try importLinks(record, sku: sku, product: state, type: .related, skus: .relatedSkus, positions: .relatedPosition)
        try importLinks(record, sku: sku, product: state, type: .upsell, skus: .upsellSkus, positions: .upsellPosition)
        try importLinks(record, sku: sku, product: state, type: .crosssell, skus: .crosssellSkus, positions: .crosssellPosition)
        try importVariations(record, sku: sku, product: state)
    }

    func importLinks(_ record: CSVRecord, sku: String, product: ProductState, type: LinkType,
                     skus skuColumn: ImportColumn, positions positionColumn: ImportColumn) throws {
        guard let value = cell(record, skuColumn) else { return }
        if isClear(value) {
            try replaceLinks(productID: product.id, type: type, targets: [], fresh: false)
            return
        }
        let linked = MagentoFields.splitList(value, separator: separator)
        if linked.isEmpty { return }
        guard linked.count <= LinkRepository.maximumLinksPerList else {
            throw issue(record, skuColumn, "\(linked.count) SKUs; at most \(LinkRepository.maximumLinksPerList) links per product and type")
        }
        var positions: [Int]
        if let text = cell(record, positionColumn), !isClear(text) {
            let items = MagentoFields.splitList(text, separator: separator)
            guard items.count == linked.count else {
                throw issue(record, positionColumn, "\(items.count) position\(items.count == 1 ? "" : "s") for \(linked.count) SKU\(linked.count == 1 ? "" : "s")")
            }
            positions = try items.map { item in
                guard let position = Int(item), position >= 0 else {
                    throw issue(record, positionColumn, "position \"\(item)\" is not an integer ≥ 0")
                }
                return position
            }
        } else {
            positions = Array(1...linked.count)
        }
        var targets: [(id: Int, position: Int)] = []
        var seen = Set<Int>()
        for (linkedSKU, position) in zip(linked, positions) {
            guard let target = products[Self.key(linkedSKU)] else {
                throw issue(record, skuColumn, "Link to product with SKU \"\(linkedSKU)\" not found: it is neither in this file nor in the database")
            }
            guard target.id != product.id else {
                throw issue(record, skuColumn, "\"\(sku)\" cannot be a \(type.rawValue) link of itself")
            }
            guard seen.insert(target.id).inserted else {
                warn(issue(record, skuColumn, "\"\(linkedSKU)\" is listed twice; its first position is kept"))
                continue
            }
            targets.append((id: target.id, position: position))
        }
        try replaceLinks(productID: product.id, type: type, targets: targets, fresh: !product.existedBefore)
        linkCounts[type, default: 0] += targets.count
    }

    /// LinkRepository.replace(productID:type:targets:) with this run's statements; the delete is
    /// skipped for a product this import created whose links of this type it has not set yet.
    func replaceLinks(productID: Int, type: LinkType, targets: [(id: Int, position: Int)], fresh: Bool) throws {
        // A product created by this import has no links yet, unless an earlier row of the file set some.
        let mayHaveLinks = !fresh || !linksSet.insert(productID &* 8 &+ type.magentoID).inserted
        try LinkRepository(db).replace(productID: productID, type: type, targets: targets, existing: mayHaveLinks)
    }

    func importVariations(_ record: CSVRecord, sku: String, product: ProductState) throws {
        guard let value = cell(record, .configurableVariations) else { return }
        guard product.type == .configurable else {
            warn(issue(record, .configurableVariations, "\"\(sku)\" is a \(product.type.rawValue) product; its configurable_variations were ignored"))
            return
        }
        var children: [(id: Int, optionTitle: String?)] = []
        if !isClear(value) {
            let variations: [[(key: String, value: String)]]
            do {
                variations = try MagentoFields.parseConfigurableVariations(value)
            } catch let error as MagentoFieldError {
                throw issue(record, .configurableVariations, error.reason)
            }
            var seen = Set<Int>()
            for variation in variations {
                guard let childSKU = variation.first(where: { $0.key == "sku" })?.value else { continue }
                guard let child = products[Self.key(childSKU)] else {
                    throw issue(record, .configurableVariations, "Product with specified super products SKU not found: \"\(childSKU)\"")
                }
                guard child.id != product.id else {
                    throw issue(record, .configurableVariations, "\"\(sku)\" cannot be a variation of itself")
                }
                if seen.insert(child.id).inserted { children.append((id: child.id, optionTitle: nil)) }
            }
        }
        try ChildRepository(db).setChildren(parentID: product.id, children: children)
    }
}


/// One `code=value` pair of `additional_attributes`, with the form its value was written in
/// (``MagentoFields/parseAdditionalAttributes(_:)`` returns the values; the form decides
/// whether a value is one text or several multiselect options).
struct AdditionalAttribute {
    enum Form {
        /// `code=a|b`: split on `|` when the attribute is a multiselect.
        case plain
        /// `code="a|b"`: one value, whatever the attribute's type.
        case wrapped
        /// `code="a"|"b"`: Magento's multiselect form, several options.
        case options
    }

    var code: String
    var value: String
    var form: Form

    /// The multiselect options this value stands for.
    var options: [String] {
        switch form {
        case .wrapped: [value]
        case .plain, .options: MagentoFields.splitMultiselect(value)
        }
    }

    /// Parses with ``MagentoFields/parseAdditionalAttributes(_:)`` and finds each value's form by
    /// walking the cell in step with the parsed pairs.
    static func parse(_ cell: String) throws -> [AdditionalAttribute] {
        let pairs = try MagentoFields.parseAdditionalAttributes(cell)
        let bytes = Array(cell.utf8)
        var cursor = 0
        var result: [AdditionalAttribute] = []
        result.reserveCapacity(pairs.count)
        for pair in pairs {
            // Skip to this pair's `=` (the code may have blanks around it).
            while cursor < bytes.count && bytes[cursor] != UInt8(ascii: "=") { cursor += 1 }
            cursor += 1
            var form = Form.plain
            var length = pair.value.utf8.count
            if cursor < bytes.count && bytes[cursor] == UInt8(ascii: "\"") {
                let wrapped = Array(("\"" + CSVWriter.doublingQuotes(pair.value) + "\"").utf8)
                if bytes[cursor...].starts(with: wrapped) {
                    form = .wrapped
                    length = wrapped.count
                } else {
                    form = .options
                }
            }
            cursor += length
            result.append(AdditionalAttribute(code: pair.code, value: pair.value, form: form))
        }
        return result
    }
}

/// Times in Magento CSV files, stored as ISO 8601 UTC (`2015-10-23T00:35:03Z`).
enum MagentoTimestamp {
    /// Reads `2015-10-23 00:35:03`, `2015-10-23T00:35:03Z` (offsets and fractions too),
    /// `2015-10-23`, and Magento's export form `10/23/15, 12:35 AM` (or `10/23/2015 12:35:03 PM`).
    /// Times without an offset are UTC.
    static func iso8601(fromMagento text: String) -> String? {
        guard let seconds = epochSeconds(text) else { return nil }
        return format(seconds, dateTimeSeparator: "T", suffix: "Z")
    }

    /// `2015-10-23 00:35:03` (Magento's database form, which its importer reads back) from a stored time.
    static func magentoText(fromStored text: String) -> String {
        guard let seconds = epochSeconds(text) else { return text }
        return format(seconds, dateTimeSeparator: " ", suffix: "")
    }

    static func epochSeconds(_ text: String) -> Int? {
        let bytes = Array(MagentoFields.trimmed(text).utf8)
        var scanner = NumberScanner(bytes)
        if let seconds = scanner.isoTime() { return seconds }
        scanner = NumberScanner(bytes)
        return scanner.usTime()
    }

    static func format(_ seconds: Int, dateTimeSeparator: String, suffix: String) -> String {
        let days = Int((Double(seconds) / 86_400).rounded(.down))
        let rest = seconds - days * 86_400
        let (y, m, d) = civil(fromDays: days)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let year = String(repeating: "0", count: max(0, 4 - String(y).count)) + String(y)
        return "\(year)-\(two(m))-\(two(d))\(dateTimeSeparator)\(two(rest / 3600)):\(two(rest % 3600 / 60)):\(two(rest % 60))\(suffix)"
    }

    /// Days since 1970-01-01 (the calendar arithmetic is EventTime's).
    static func days(year: Int, month: Int, day: Int) -> Int {
        Int(EventTime.daysFromCivil(year: Int64(year), month: Int64(month), day: Int64(day)))
    }

    static func civil(fromDays days: Int) -> (Int, Int, Int) {
        let (year, month, day) = EventTime.civilFromDays(Int64(days))
        return (Int(year), Int(month), Int(day))
    }

    static func isValid(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Bool {
        guard (1...12).contains(month), day >= 1, hour >= 0, hour < 24, minute >= 0, minute < 60, second >= 0, second < 60 else { return false }
        return day <= EventTime.daysInMonth(year: Int64(year), month: Int64(month))
    }

    /// A tiny cursor over ASCII bytes.
    struct NumberScanner {
        let bytes: [UInt8]
        var i = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { i >= bytes.count }

        mutating func number(digits range: ClosedRange<Int>) -> Int? {
            var value = 0
            var count = 0
            while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57, count < range.upperBound {
                value = value * 10 + Int(bytes[i] - 48)
                i += 1
                count += 1
            }
            return range.contains(count) ? value : nil
        }

        mutating func take(_ byte: Character) -> Bool {
            guard i < bytes.count, bytes[i] == byte.asciiValue! else { return false }
            i += 1
            return true
        }

        mutating func skipBlanks() { while i < bytes.count, bytes[i] == 32 { i += 1 } }

        /// `yyyy-MM-dd[( |T)HH:mm[:ss[.fff]]][Z|±HH[:]MM]`
        mutating func isoTime() -> Int? {
            guard let year = number(digits: 4...4), take("-"), let month = number(digits: 1...2), take("-"),
                  let day = number(digits: 1...2) else { return nil }
            var hour = 0, minute = 0, second = 0, offset = 0
            if !atEnd {
                guard take("T") || take(" ") else { return nil }
                skipBlanks()
                guard let h = number(digits: 1...2), take(":"), let m = number(digits: 2...2) else { return nil }
                hour = h; minute = m
                if take(":") {
                    guard let s = number(digits: 2...2) else { return nil }
                    second = s
                    if take(".") { guard number(digits: 1...9) != nil else { return nil } }
                }
                skipBlanks()
                if take("Z") {
                } else if !atEnd {
                    let sign: Int
                    if take("+") { sign = 1 } else if take("-") { sign = -1 } else { return nil }
                    guard let oh = number(digits: 2...2) else { return nil }
                    _ = take(":")
                    guard let om = number(digits: 2...2) else { return nil }
                    offset = sign * (oh * 3600 + om * 60)
                }
            }
            guard atEnd, MagentoTimestamp.isValid(year: year, month: month, day: day, hour: hour, minute: minute, second: second) else { return nil }
            return MagentoTimestamp.days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second - offset
        }

        /// `M/d/yy[yy][,] h:mm[:ss] (AM|PM)` — Magento's export in the en_US locale.
        mutating func usTime() -> Int? {
            guard let month = number(digits: 1...2), take("/"), let day = number(digits: 1...2), take("/") else { return nil }
            let start = i
            guard var year = number(digits: 2...4), i - start != 3 else { return nil }
            if i - start == 2 { year += year < 70 ? 2000 : 1900 }
            var hour = 0, minute = 0, second = 0
            if !atEnd {
                _ = take(",")
                skipBlanks()
                guard let h = number(digits: 1...2), take(":"), let m = number(digits: 2...2) else { return nil }
                hour = h; minute = m
                if take(":") {
                    guard let s = number(digits: 2...2) else { return nil }
                    second = s
                }
                skipBlanks()
                if !atEnd {
                    let rest = String(decoding: bytes[i...], as: UTF8.self).uppercased()
                    guard (rest == "AM" || rest == "PM"), (1...12).contains(hour) else { return nil }
                    if rest == "AM" && hour == 12 { hour = 0 }
                    if rest == "PM" && hour != 12 { hour += 12 }
                    i = bytes.count
                }
            }
            guard atEnd, MagentoTimestamp.isValid(year: year, month: month, day: day, hour: hour, minute: minute, second: second) else { return nil }
            return MagentoTimestamp.days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
        }
    }
}
