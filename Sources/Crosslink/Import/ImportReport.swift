import Foundation

/// Progress of a long import, reported through ``ImportOptions/progress``.
///
/// ```swift
/// options.progress = { p in print("\(p.file): \(p.rows) rows, \(Int(p.rowsPerSecond)) rows/s") }
/// ```
public struct ImportProgress: Sendable {
    public var file: String
    /// Data rows processed so far.
    public var rows: Int
    public var rowsPerSecond: Double

    public init(file: String, rows: Int, rowsPerSecond: Double) {
        self.file = file
        self.rows = rows
        self.rowsPerSecond = rowsPerSecond
    }
}

/// How ``MagentoCSVImporter`` reads a file.
///
/// ```swift
/// var options = ImportOptions()
/// options.dryRun = true                       // validate everything, write nothing
/// options.multipleValueSeparator = "|"        // as set in Magento's import form
/// options.progress = { p in FileHandle.standardError.write(Data("\(p.rows) rows\n".utf8)) }
/// let report = try MagentoCSVImporter(store: store, options: options).importFile(at: url)
/// ```
public struct ImportOptions: Sendable {
    /// Validate and apply everything inside the transaction, then roll it back and report.
    public var dryRun = false
    /// Magento's "Multiple value separator": between category paths, website codes, link SKUs
    /// and link positions. Magento's default is `,`.
    public var multipleValueSeparator: Character = ","
    /// Called about every 10 000 rows and once at the end, on the importing thread.
    public var progress: (@Sendable (ImportProgress) -> Void)? = nil
    /// Largest field and widest record accepted (1 MiB, 10 000 fields); past them a file is
    /// refused with its line and column.
    public var csvLimits = CSVLimits()
    /// Rebuild the "more like this" lists (``SimilarProducts``) before commit when the import
    /// made them stale. Off by default: the rebuild compares every pair of products sharing a
    /// feature, so a common name word across a large catalog makes it quadratic (25 000
    /// products all named "Product …": minutes). Off, more like this stays correct and runs its
    /// slower live query until `SimilarProducts(db).refresh()` (`crosslink similar refresh`).
    public var refreshesSimilarProducts = false
    /// What a row that fails validation does to the import (Magento's "Validation Strategy").
    /// Every row is validated before anything is written.
    public var onError = ErrorStrategy.stop
    /// With ``ErrorStrategy/skip``: the most errors an import may have and still store its
    /// valid rows (Magento's "Allowed Errors Count", default 10). Past it nothing is stored.
    public var allowedErrors = 10
    /// Attribute sets a new product may name besides `Default` and the sets of stored products
    /// (Crosslink keeps no attribute-set table; Magento refuses a set it does not have).
    public var attributeSets: Set<String> = []
    /// Most errors listed in a refusal (``InputError/additionalIssues``); the rest are counted.
    public var errorListLimit = 100

    /// Magento's validation strategies (`validation-stop-on-errors`, `validation-skip-errors`).
    public enum ErrorStrategy: String, Sendable, CaseIterable {
        /// Any error: nothing is stored, and the thrown ``InputError`` lists every error.
        case stop
        /// Rows with errors are skipped and listed in ``ImportReport/errors``; more errors
        /// than ``ImportOptions/allowedErrors``: nothing is stored.
        case skip
    }

    public init() {}
}

/// What an import did (or, for a dry run, would do).
///
/// ```swift
/// let report = try MagentoCSVImporter(store: store).importFile(at: url)
/// print("\(report.productsCreated) created, \(report.productsUpdated) updated, \(report.links["related"] ?? 0) related links")
/// for warning in report.warnings { print("warning: \(warning)") }  // products.csv:1: columns not imported: …
/// ```
public struct ImportReport: Sendable, Equatable, Codable {
    public var files: [String]
    /// Data rows read (header excluded), store-view rows included.
    public var rows: Int
    /// Distinct SKUs that did not exist before the import.
    public var productsCreated: Int
    /// Distinct SKUs that existed before the import and that a row named.
    public var productsUpdated: Int
    public var categoriesCreated: Int
    /// Links written, by ``LinkType`` raw value (`related`, `upsell`, `crosssell`).
    public var links: [String: Int]
    public var warnings: [InputError]
    public var dryRun: Bool
    /// Rows skipped for their errors (``ImportOptions/ErrorStrategy/skip``).
    public var rowsSkipped: Int
    /// The errors of the skipped rows, in file order (at most ``ImportOptions/allowedErrors``:
    /// with more, the import is refused).
    public var errors: [InputError]

    public init(files: [String] = [], rows: Int = 0, productsCreated: Int = 0, productsUpdated: Int = 0,
                categoriesCreated: Int = 0, links: [String: Int] = [:], warnings: [InputError] = [], dryRun: Bool = false,
                rowsSkipped: Int = 0, errors: [InputError] = []) {
        self.files = files
        self.rows = rows
        self.productsCreated = productsCreated
        self.productsUpdated = productsUpdated
        self.categoriesCreated = categoriesCreated
        self.links = links
        self.warnings = warnings
        self.dryRun = dryRun
        self.rowsSkipped = rowsSkipped
        self.errors = errors
    }

    /// Adds another file's report to this one (for commands that import several files).
    public mutating func merge(_ other: ImportReport) {
        files += other.files
        rows += other.rows
        productsCreated += other.productsCreated
        productsUpdated += other.productsUpdated
        categoriesCreated += other.categoriesCreated
        links.merge(other.links, uniquingKeysWith: +)
        warnings += other.warnings
        dryRun = dryRun || other.dryRun
        rowsSkipped += other.rowsSkipped
        errors += other.errors
    }
}

extension ImportOptions {
    /// Runs an import in one write transaction; with ``dryRun`` the work is done, reported and
    /// rolled back (by throwing out of the transaction with the report). Before it commits, the
    /// rule result cache and (unless turned off) the more-like-this lists are brought up to date.
    func transaction(_ store: CrosslinkStore, _ body: (Database) throws -> ImportReport) throws -> ImportReport {
        struct DryRunRollback: Error { let report: ImportReport }
        do {
            return try store.write { db in
                let report = try body(db)
                if dryRun { throw DryRunRollback(report: report) }
                try RuleCache(db).refreshIfStale()
                if refreshesSimilarProducts { try SimilarProducts(db).refresh() }
                return report
            }
        } catch let rollback as DryRunRollback {
            return rollback.report
        }
    }
}
