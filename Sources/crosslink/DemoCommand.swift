import ArgumentParser
import Crosslink
import Foundation

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build a database from the shipped Magento sample and show real placements.",
        discussion: """
            Imports Magento's Luma sample catalog (2046 products with their related, up-sell and cross-sell \
            links) into the database when it has no products yet, then prints the blocks of a few products \
            and of a small cart, with the reason for each product.
            Example: crosslink demo --database /tmp/demo.sqlite
            """)

    @ParentCommand var root: CrosslinkCommand
    var global: GlobalOptions { root.global }
    @Flag(help: "No import progress on stderr.") var quiet = false

    func run() throws {
        let store = try global.openStore(.create)
        if try store.read({ db in try ProductRepository(db).count() }) == 0 {
            var options = ImportOptions()
            options.refreshesSimilarProducts = true   // 0.1 s on the sample; more like this then reads its lists
            if !quiet { options.progress = { Output.error("importing sample: \($0.rows) rows, \(Int($0.rowsPerSecond)) rows/s") } }
            let report = try MagentoSampleImporter(store: store, options: options).importSample(at: SampleData.magentoSampleDirectory)
            print("Imported the Magento sample into \(store.path): \(report.productsCreated) products, "
                  + LinkType.allCases.map { "\(report.links[$0.rawValue] ?? 0) \($0.rawValue)" }.joined(separator: ", ")
                  + " links; \(report.warnings.count) warning(s) (links to SKUs missing from the sample).")
        }
        for sku in ["24-MB01", "MH01", "24-WG080"] {
            let (related, upsell) = try store.read { db in
                (try Placements(db).related(for: sku), try Placements(db).upsells(for: sku))
            }
            let name = try store.read { db in try ProductRepository(db).product(sku: sku)?.name ?? sku }
            print("\n== Product page: \(sku) (\(name))\nRelated:\n\(Output.placement(related))\nUp-sell:\n\(Output.placement(upsell))")
        }
        let cart = ["24-MB01", "MH01-XS-Black"]
        let crossSells = try store.read { db in try Placements(db).crossSells(cart: cart) }
        print("\n== Cart: \(cart.joined(separator: ", ")) (last added \(cart.last!))\nCross-sell:\n\(Output.placement(crossSells))")
        let query = "SELECT linked_sku, name, position FROM displayable_links WHERE store = 'default' AND sku = 'MH01' AND link_type = 'related' ORDER BY position, link_id"
        // The store's path is printable (a URI without its password); psql asks for the password itself.
        let shell = store.engine == .sqlite ? "sqlite3 \(store.path)" : "psql '\(store.path)' -c"
        print("\nSame answers from the \(store.engine == .sqlite ? "sqlite3" : "psql") CLI:\n  \(shell) \"\(query)\"")
        try DemoUnits.run(store)
    }
}
