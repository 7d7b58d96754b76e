import ArgumentParser
import Crosslink
import Foundation

/// `crosslink similar`: the materialised "more like this" lists.
struct SimilarCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "similar",
        abstract: "Build or inspect the materialised more-like-this lists.",
        discussion: """
            more-like-this reads each product's precomputed list of similar products while it is
            fresh; any change of the catalog's products, names, categories or attributes marks the
            lists stale, and the recommendation computes the live answer until the next refresh.
            Examples:
              crosslink import catalog_product.csv && crosslink similar refresh
              crosslink similar status --json
              sqlite3 crosslink.sqlite "SELECT rank, similar_sku, round(score, 3) FROM similar_product_list WHERE sku = '24-MB01'"
            """,
        subcommands: [Refresh.self, Status.self])

    @ParentCommand var root: CrosslinkCommand

    struct Refresh: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild the lists if the catalog changed since the last refresh (or always, with --full).",
            discussion: """
                Examples:
                  crosslink similar refresh
                  crosslink similar refresh --full --list-length 60
                """)
        @ParentCommand var root: SimilarCommand
        @Flag(name: .long, help: "Rebuild even when the lists are fresh.") var full = false
        @Option(name: .long, help: "Products kept per list (1–1000, default 40).") var listLength: Int?
        @OptionGroup var output: OutputOptions

        func run() throws {
            let report = try root.root.global.openStore(.readWrite).write { db in try SimilarProducts(db).refresh(force: full, listLength: listLength) }
            print(output.json ? try Output.json(report) : "similar products: \(report)")
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Whether the lists are fresh, and their size.",
            discussion: "Example:\n  crosslink similar status")
        @ParentCommand var root: SimilarCommand
        @OptionGroup var output: OutputOptions

        func run() throws {
            let status = try root.root.global.openStore(.read).read { db in try SimilarProducts(db).status() }
            if output.json { return print(try Output.json(status)) }
            print("""
                \(status.fresh ? "fresh" : "stale (more-like-this computes live answers until `crosslink similar refresh`)")
                \(status.products) lists of up to \(status.listLength) products, \(status.rows) rows; refreshed \(status.refreshedAt ?? "never")
                """)
        }
    }
}
