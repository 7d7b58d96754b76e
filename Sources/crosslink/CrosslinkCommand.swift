import ArgumentParser
import Crosslink
import Foundation

@main
struct CrosslinkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crosslink",
        abstract: "Store a catalog's product relations in SQLite and answer \"what do we show next to this product?\"",
        discussion: """
            Crosslink keeps products, categories and the merchant's related / up-sell / cross-sell links \
            in one SQLite file, and resolves the product-page and cart blocks from it.

            Start with the shipped Magento sample:
              crosslink demo
            Or with your own Magento export:
              crosslink --database shop.sqlite import export_catalog_product.csv
              crosslink --database shop.sqlite placement product 24-MB01
              crosslink --database shop.sqlite placement cart 24-MB01 24-WB04

            The database path defaults to $CROSSLINK_DATABASE, else ./crosslink.sqlite. \
            Inspect it with the sqlite3 CLI: sqlite3 crosslink.sqlite 'SELECT * FROM displayable_links LIMIT 5'
            """,
        version: "0.1.0",
        subcommands: [Init.self, Migrate.self, Import.self, Export.self, Links.self, Placement.self, Demo.self, Torture.self, Rules.self, Events.self, Eval.self, Recommend.self, AggregatesCommand.self, SimilarCommand.self, MetricsCommand.self, ReportCommand.self, Units.self, PageCommand.self, CheckCommand.self]
    )

    @OptionGroup var global: GlobalOptions
}

/// Options every command shares.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The Crosslink database file.", valueName: "path"))
    var database: String = ProcessInfo.processInfo.environment["CROSSLINK_DATABASE"] ?? "crosslink.sqlite"

    /// Opens the store, creating or upgrading the schema.
    func openStore() throws -> CrosslinkStore {
        try CrosslinkStore(path: database)
    }
}

/// Options of commands that read and print.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print JSON instead of a table.")
    var json = false
}
