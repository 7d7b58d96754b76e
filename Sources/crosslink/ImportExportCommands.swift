import ArgumentParser
import Crosslink
import Foundation

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import a Magento product CSV or Magento's sample-data folder, in one transaction.",
        discussion: """
            A .csv file is read as Magento's product import/export format (sku, product_type, categories, \
            related_skus/related_position, upsell_…, crosssell_…, additional_attributes, …). A folder is read \
            as Magento's sample-data fixtures (the layout of magento2-sample-data's fixtures/).
            All files are imported in one transaction: when any file has an error, nothing is written, \
            and the error names file, line and column.
            Examples:
              crosslink import catalog_product.csv
              crosslink import --dry-run catalog_product.csv
              crosslink import --separator '|' products.csv
              crosslink import path/to/magento-sample
            """)

    @ParentCommand var root: CrosslinkCommand
    var global: GlobalOptions { root.global }
    @OptionGroup var output: OutputOptions
    @Argument(help: ArgumentHelp("CSV files or a sample-data folder.", valueName: "path"))
    var paths: [String]
    @Flag(help: "Validate everything, then roll back: nothing is written.")
    var dryRun = false
    @Flag(help: "No progress on stderr.")
    var quiet = false
    @Option(help: "Magento's multiple-value separator between category paths.")
    var separator: String = ","
    @Flag(help: "Rebuild the more-like-this lists before commit (as `crosslink similar refresh`; slow on large catalogs with common name words).")
    var refreshSimilar = false

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("give at least one CSV file or sample folder") }
        guard separator.count == 1 else { throw ValidationError("--separator must be one character") }
    }

    func run() throws {
        let store = try global.openStore(.create)
        var options = ImportOptions()
        options.dryRun = dryRun
        options.multipleValueSeparator = separator.first!
        options.refreshesSimilarProducts = refreshSimilar
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
            for warning in report.warnings { Output.error("warning: \(warning)") }
            let links = LinkType.allCases.map { "\($0.rawValue) \(report.links[$0.rawValue] ?? 0)" }.joined(separator: ", ")
            print("\(report.dryRun ? "dry run, nothing written: " : "")\(report.files.joined(separator: ", ")): \(report.rows) rows; products \(report.productsCreated) created, \(report.productsUpdated) updated; \(report.categoriesCreated) categories created; links: \(links); \(report.warnings.count) warning(s)")
        }
    }
}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export the catalog and its links as a Magento product CSV.",
        discussion: """
            The file re-imports into Magento (System › Data Transfer › Import) and into Crosslink.
            Examples:
              crosslink export --out catalog_product.csv
              crosslink export > catalog_product.csv
            """)

    @ParentCommand var root: CrosslinkCommand
    var global: GlobalOptions { root.global }
    @Option(help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file"))
    var out: String?
    @Option(help: "Store view whose website's assignment is exported.")
    var store: String = "default"

    func run() throws {
        let crosslink = try global.openStore(.read)
        let exporter = MagentoCSVExporter(store: crosslink)
        if let out {
            try exporter.export(to: URL(fileURLWithPath: out), store: store)
        } else {
            FileHandle.standardOutput.write(Data(try exporter.export(store: store).utf8))
        }
    }
}
