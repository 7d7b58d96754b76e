import Foundation

/// Imports a shop's own event log (CSV or CSV.gz, its own columns) through an ``EventMapping``,
/// optionally creating the catalog from it, in one write transaction.
///
/// ```swift
/// var options = MappedEventImporter.Options()
/// options.createCatalog = true
/// let importer = MappedEventImporter(store: store, mapping: EventMapping.builtIn("rees46")!, options: options)
/// let report = try importer.importFile(at: URL(fileURLWithPath: "rees46_2019-Oct_head.csv.gz"))
/// print(report.eventsByType["product-view"] ?? 0, report.sessions, report.productsCreated)
/// ```
///
/// ## How rows become events
/// - The `type` value is mapped (``EventMapping/types``, then ``EventMapping/typePrefixes``,
///   then ``EventMapping/otherwiseType``); `skip` leaves the row out, an unknown value is refused
///   or skipped as the mapping says. `purchase` (`place-order`) and `cancellation` (`cancel-order`)
///   rows are order lines: grouped by the `order` column when there is one (the order's first row
///   decides visitor, customer and session; its time is the earliest of its rows), otherwise
///   each row is an order of its own (quantity 1 when there is no quantity column).
/// - Event ids: the `id` column, else for a grouped order the prefix and the order id, else
///   derived from the row's cells (``EventMapping/eventIDPrefix`` and a 64-bit FNV-1a hash; an
///   exact repeat of a row gets `-2`, `-3`, …): importing the same file again stores nothing new.
/// - Sessions: the `session` column, else cut per visitor by ``EventMapping/sessionGapMilliseconds``.
/// - A row of the wrong width is an invalid event naming its line, except the file's last
///   row when it is short: a cut-off line, reported in ``MappedEventReport/cutOffLine`` and a
///   warning, the rest kept. A value that does not parse is an invalid event naming file, line and
///   column; the file follows ``EventIngestOptions/invalidEvents`` (default: nothing stored).
///
/// ## Catalog
/// With ``Options/createCatalog``, each SKU of the imported events (case-insensitive) that
/// the catalog lacks becomes a simple product in the same transaction: the SKU as first
/// written; the most frequent `name` (ties: the first seen; none: the SKU); the price, category
/// and brand of its latest row by event time (ties: the later line) that has one. The category
/// path is split at ``EventMapping/categorySeparator`` and its raw segments become categories
/// under the root (`electronics.smartphone` → `electronics` › `smartphone`, names as written);
/// the product is placed in the deepest. The brand is the text attribute `brand`. Existing
/// products are never changed.
public struct MappedEventImporter: Sendable {
    public struct Options: Sendable {
        /// Create missing products (and their categories and brands) from the log.
        public var createCatalog = false
        /// The store view when the mapping has no `store` field.
        public var store = "default"
        /// Invalid-event policy, aggregation, file limits, progress.
        public var ingest = EventIngestOptions()
        public init() {}
    }

    public let store: CrosslinkStore
    public let mapping: EventMapping
    public let options: Options

    public init(store: CrosslinkStore, mapping: EventMapping, options: Options = Options()) {
        self.store = store
        self.mapping = mapping
        self.options = options
    }

    /// Imports the log at `url` (CSV, gzip or not).
    public func importFile(at url: URL) throws -> MappedEventReport {
        try importInput(EventFileInput(url: url, limits: options.ingest.fileLimits))
    }

    /// Imports log bytes (gzip or plain); `file` names them in the report and issues.
    public func importData(_ data: Data, file: String) throws -> MappedEventReport {
        try importInput(EventFileInput(data: data, file: file, limits: options.ingest.fileLimits))
    }

    /// Reads the log into events without touching a database (tests and benchmarks compare them).
    public static func events(in data: Data, file: String, mapping: EventMapping) throws -> [Event] {
        try MappedEventReader.read(EventFileInput(data: data, file: file, limits: EventFileLimits()), mapping: mapping, progress: nil).events
    }

    /// The whole log is read (orders may be spread over it, sessions need each visitor's events)
    /// and checked before the one write transaction: a refused file stores nothing.
    func importInput(_ input: EventFileInput) throws -> MappedEventReport {
        let started = ContinuousClock.now
        var mapping = self.mapping
        if mapping.sources[.store] == nil && options.store != "default" { mapping.sources[.store] = .constant(options.store) }
        let log = try MappedEventReader.read(input, mapping: mapping, progress: options.ingest.progress)
        if !log.issues.isEmpty && options.ingest.invalidEvents == .rejectBatch {
            throw InputError.invalidEvents(log.issues)
        }
        var report = log.report
        var ingest = options.ingest
        ingest.progress = nil
        let (created, part) = try store.writeBatch { db in
            let created = options.createCatalog ? try Self.createCatalog(log.products, store: options.store, in: db) : (0, 0)
            let session = try EventIngestSession(db: db, file: input.file, options: ingest)
            for index in log.events.indices {
                try session.add(log.events[index], line: log.eventLines[index], rowLines: log.rowLines[index])
            }
            return (created, try session.finish())
        }
        report.productsCreated = created.0
        report.categoriesCreated = created.1
        report.ingest = part
        report.ingest.rejected = log.issues + report.ingest.rejected
        report.ingest.received += log.issues.count
        report.ingest.warnings = report.warnings + report.ingest.warnings
        if let progress = options.ingest.progress {
            let seconds = (ContinuousClock.now - started) / .seconds(1)
            progress(ImportProgress(file: input.file, rows: report.rows, rowsPerSecond: seconds > 0 ? Double(report.rows) / seconds : 0))
        }
        return report
    }

    /// Creates the products the catalog lacks; returns how many products and categories.
    static func createCatalog(_ products: [MappedProduct], store: String, in db: Database) throws -> (Int, Int) {
        let websiteID = try StoreRepository(db).store(code: store).websiteID
        let repository = ProductRepository(db)
        let stores = StoreRepository(db)
        let categories = CategoryRepository(db)
        let attributes = AttributeRepository(db)
        let categoriesBefore = try db.scalarInt("SELECT count(*) FROM categories") ?? 0
        var categoryIDs: [[String]: Int] = [:]
        var created = 0
        for product in products where try repository.id(sku: product.sku) == nil {
            let id = try repository.upsert(Product(sku: product.sku, name: product.name, price: product.price))
            try stores.assign(productID: id, websiteIDs: [websiteID])
            if let path = product.category {
                let categoryID: Int
                if let known = categoryIDs[path] { categoryID = known } else {
                    categoryID = try categories.ensure(path: path)
                    categoryIDs[path] = categoryID
                }
                try categories.assign(productID: id, categoryID: categoryID)
            }
            if let brand = product.brand { try attributes.set(productID: id, code: "brand", values: [brand]) }
            created += 1
        }
        return (created, (try db.scalarInt("SELECT count(*) FROM categories") ?? 0) - categoriesBefore)
    }
}

/// What a mapped import did.
public struct MappedEventReport: Sendable, Equatable, Codable {
    public var file: String
    /// The mapping's name.
    public var mapping: String
    /// Data rows read (header excluded, a cut-off last line included).
    public var rows = 0
    /// Valid events read, per stored type (`product-view`, `place-order`, …).
    public var eventsByType: [String: Int] = [:]
    /// Order lines in the place-order and cancel-order events.
    public var orderLines = 0
    /// Distinct sessions of the events (from the column, or cut by the inactivity gap).
    public var sessions = 0
    /// Rows left out by their type value (`skip`, or an unknown value with `"unknown": "skip"`), per value
    /// (per prefix, written `A…`, for a prefix rule).
    public var skippedTypes: [String: Int] = [:]
    /// Rows left out by a `skipRows` filter, per reason.
    public var skippedRows: [String: Int] = [:]
    /// Order lines left out for a quantity of the wrong sign (``EventMapping/negativeQuantitiesInCancellations``).
    public var wrongSignLines = 0
    /// Orders left without lines: no event.
    public var emptyOrders = 0
    /// Rows repeating an earlier row exactly (each kept, with an id of its own).
    public var repeatedRows = 0
    /// The line of a cut-off last row (fewer fields than the header), left out; nil when the file ends whole.
    public var cutOffLine: Int?
    /// Products and categories created (``MappedEventImporter/Options/createCatalog``).
    public var productsCreated = 0
    public var categoriesCreated = 0
    /// Remarks (the cut-off line).
    public var warnings: [InputError] = []
    /// What ingest did: stored, duplicates, unknown SKUs, rejected rows.
    public var ingest: EventIngestReport

    public init(file: String, mapping: String) {
        self.file = file
        self.mapping = mapping
        ingest = EventIngestReport(file: file)
    }

    /// Events read, all types.
    public var events: Int { eventsByType.values.reduce(0, +) }
}
