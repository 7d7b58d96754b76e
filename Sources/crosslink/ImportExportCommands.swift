import ArgumentParser
import Crosslink
import Foundation

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import a Magento product CSV or Magento's sample-data folder, in one transaction.",
        discussion: """
            A .csv file (or .csv.gz, gzip-compressed) is read as Magento's product import/export format (sku, product_type, categories, \
            related_skus/related_position, upsell_…, crosssell_…, additional_attributes, …). A folder is read \
            as Magento's sample-data fixtures (the layout of magento2-sample-data's fixtures/).
            Every row is validated first, as Magento's import does (store view, website, product type, \
            attribute set, visibility, numbers, required columns of new products, duplicate url keys, links). \
            With --on-error stop (the default) any error stores nothing and every error is listed with file, \
            line and column. With --on-error skip, rows with errors are skipped and listed, and the others \
            are imported, unless there are more errors than --allowed-errors (then nothing is stored).
            All files are imported in one transaction.
            Examples:
              crosslink import catalog_product.csv
              crosslink import catalog_product.csv.gz
              crosslink import --dry-run catalog_product.csv
              crosslink import --separator '|' products.csv
              crosslink import --on-error skip --allowed-errors 50 products.csv
              crosslink import --attribute-set Top --attribute-set Bottom products.csv
              crosslink import path/to/magento-sample
            """)

    @ParentCommand var root: CrosslinkCommand
    var global: GlobalOptions { root.global }
    @OptionGroup var output: OutputOptions
    @Argument(help: ArgumentHelp("CSV files (plain or gzip-compressed) or a sample-data folder.", valueName: "path"))
    var paths: [String]
    @Flag(help: "Validate everything, then roll back: nothing is written.")
    var dryRun = false
    @Flag(help: "No progress on stderr.")
    var quiet = false
    @Option(help: "Magento's multiple-value separator between category paths.")
    var separator: String = ","
    @Option(help: ArgumentHelp("What a row with an error does: stop (nothing is stored) or skip (the row is skipped).",
                               valueName: "stop|skip"))
    var onError: ImportOptions.ErrorStrategy = .stop
    @Option(help: "With --on-error skip: the most errors that still let the valid rows be stored.")
    var allowedErrors = 10
    @Option(help: ArgumentHelp("An attribute set new products may name, besides Default and the sets of stored products (repeatable).",
                               valueName: "name"))
    var attributeSet: [String] = []
    @Flag(help: "Rebuild the more-like-this lists before commit (as `crosslink similar refresh`; slow on large catalogs with common name words).")
    var refreshSimilar = false

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("give at least one CSV file or sample folder") }
        guard separator.count == 1 else { throw ValidationError("--separator must be one character") }
        guard allowedErrors >= 0 else { throw ValidationError("--allowed-errors must be 0 or more") }
    }

    func run() throws {
        let store = try global.openStore(.create)
        var options = ImportOptions()
        options.dryRun = dryRun
        options.multipleValueSeparator = separator.first!
        options.refreshesSimilarProducts = refreshSimilar
        options.onError = onError
        options.allowedErrors = allowedErrors
        options.attributeSets = Set(attributeSet)
        if !quiet {
            options.progress = { progress in
                Output.error("\(progress.file): \(progress.rows) rows, \(Int(progress.rowsPerSecond)) rows/s")
            }
        }
        // Folders are sample-data imports (one transaction each); all CSV files go in one transaction.
        var folders: [URL] = [], files: [URL] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ValidationError("no such file or folder: \(path)")
            }
            if isDirectory.boolValue { folders.append(URL(fileURLWithPath: path)) } else { files.append(URL(fileURLWithPath: path)) }
        }
        guard folders.isEmpty || files.isEmpty, folders.count <= 1 else {
            throw ValidationError("give either CSV files or one sample-data folder, not both")
        }
        let reports = try folders.map { try MagentoSampleImporter(store: store, options: options).importSample(at: $0) }
            + (files.isEmpty ? [] : [try MagentoCSVImporter(store: store, options: options).importFiles(at: files)])
        if output.json {
            print(try Output.json(reports))
            return
        }
        for report in reports {
            for error in report.errors { Output.error("skipped: \(error)") }
            for warning in report.warnings { Output.error("warning: \(warning)") }
            let links = LinkType.allCases.map { "\($0.rawValue) \(report.links[$0.rawValue] ?? 0)" }.joined(separator: ", ")
            print("\(report.dryRun ? "dry run, nothing written: " : "")\(report.files.joined(separator: ", ")): \(report.rows) rows; products \(report.productsCreated) created, \(report.productsUpdated) updated; \(report.categoriesCreated) categories created; links: \(links); \(report.rowsSkipped > 0 ? "\(report.rowsSkipped) row(s) skipped for \(report.errors.count) error(s); " : "")\(report.warnings.count) warning(s)")
        }
    }
}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export the catalog and its links as a Magento product CSV.",
        discussion: """
            The file re-imports into Magento (System › Data Transfer › Import) and into Crosslink, \
            byte for byte: importing it into an empty database and exporting again gives the same file.
            --spreadsheet-safe is for opening the file in a spreadsheet: a cell starting with =, +, -, @, \
            a tab or a carriage return (which Excel or LibreOffice would run as a formula) gets a leading ', \
            as OWASP's CSV-injection advice says; plain numbers such as -3 are left alone. Such a file \
            does not round-trip: re-imported, the ' stays in the value.
            --out writes a regular file atomically (a new file renamed into place); a device or fifo \
            such as /dev/null is written in place, a symbolic link is followed.
            Examples:
              crosslink export --out catalog_product.csv
              crosslink export > catalog_product.csv
              crosslink export --spreadsheet-safe --out for-excel.csv
            """)

    @ParentCommand var root: CrosslinkCommand
    var global: GlobalOptions { root.global }
    @Option(help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file"))
    var out: String?
    @Option(help: "Store view whose website's assignment is exported.")
    var store: String = "default"
    @Flag(help: "Prefix cells starting with = + - @ tab or CR with ' so spreadsheets do not run them as formulas (the file no longer round-trips).")
    var spreadsheetSafe = false

    func run() throws {
        let crosslink = try global.openStore(.read)
        try Output.data(MagentoCSVExporter(store: crosslink).export(store: store, spreadsheetSafe: spreadsheetSafe), out: out)
    }
}

extension ImportOptions.ErrorStrategy: ExpressibleByArgument {}
