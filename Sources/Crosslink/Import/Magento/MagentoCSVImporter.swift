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
///   An attribute set must be one Magento would have: `Default`, a set of a stored product, or
///   one of ``ImportOptions/attributeSets`` (Crosslink keeps no attribute-set table).
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
///   Their store view must exist in the `stores` table (Magento: "Invalid value in Store column").
/// - `weight` and `url_key` are validated as Magento validates them (a number ≥ 0; one url key
///   per store view among the file's visible rows) and not stored.
/// - Columns Crosslink does not model (images, descriptions, SEO, tax class, advanced
///   stock settings, bundle/downloadable data, …) are listed in ``ignoredColumns`` and skipped
///   silently; any other column gets one warning per file.
///
/// ## Validation, errors and transactions
/// Every row is validated before anything is written, with the checks of Magento's product
/// import for the columns Crosslink reads (store view, website, product type, attribute set,
/// visibility, status, numbers, required columns of new products, duplicate url keys, linked
/// SKUs). ``ImportOptions/onError`` picks Magento's strategy: `.stop` (default) throws the first
/// error with every other one in ``InputError/additionalIssues`` and writes nothing; `.skip`
/// leaves out the rows with errors and lists them in ``ImportReport/errors``, unless there are
/// more than ``ImportOptions/allowedErrors`` (then it throws and writes nothing).
/// The import runs in one `BEGIN IMMEDIATE` transaction: a database error while writing throws
/// an ``InputError`` naming the file and line, and nothing is written. Malformed CSV
/// (a CSV syntax error) is reported as an ``InputError`` too. ``ImportOptions/dryRun`` runs
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
            try Self.table(CSVReader(contentsOf: url, limits: options.csvLimits))
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
        } catch let error as InputError {
            throw error.naming(header: CSVReader.headerNames(reader))
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
        // Earlier files' skipped rows count against the allowed errors: the limit is the import's.
        let run = try ImportRun(db: db, table: table, layout: layout, options: options, started: started,
                                allowedErrors: options.allowedErrors - report.errors.count)
        report.merge(try run.execute())
    }
}
