import ArgumentParser
import Crosslink
import Foundation

struct Placement: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Resolve the blocks a storefront shows: product page or cart.",
        subcommands: [ProductPage.self, Cart.self])

    struct ProductPage: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "product",
            abstract: "The related and up-sell blocks of a product page.",
            discussion: """
                Only displayable products are shown (enabled, visible in catalog, on the store's website, \
                in stock), never the product itself nor what is in the cart.
                Examples:
                  crosslink placement product 24-MB01
                  crosslink placement product 24-MB01 --cart 24-MB04 --json
                """)

        @ParentCommand var root: CrosslinkCommand
    var global: GlobalOptions { root.global }
        @OptionGroup var output: OutputOptions
        @Argument(help: "The viewed product's SKU.") var sku: String
        @Option(help: "Store view code.") var store: String = "default"
        @Option(help: ArgumentHelp("SKUs in the cart, comma-separated (excluded from the blocks).", valueName: "skus"))
        var cart: String = ""
        @Option(help: "Maximum products per block (default: the store's limits).") var limit: Int?

        struct Page: Encodable { var sku: String; var store: String; var related: [PlacedProduct]; var upsell: [PlacedProduct] }

        func run() throws {
            let crosslink = try global.openStore()
            let cartSKUs = cart.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let (sku, store, limit) = (self.sku, self.store, self.limit)
            let (related, upsell) = try crosslink.read { db in
                let placements = Placements(db)
                return (try placements.related(for: sku, store: store, cart: cartSKUs, limit: limit),
                        try placements.upsells(for: sku, store: store, cart: cartSKUs, limit: limit))
            }
            if output.json {
                print(try Output.json(Page(sku: sku, store: store, related: related, upsell: upsell)))
                return
            }
            print("Related products of \(sku):\n\(Output.placement(related))\n\nUp-sells of \(sku):\n\(Output.placement(upsell))")
        }
    }

    struct Cart: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The cross-sell block of a cart.",
            discussion: """
                Cross-sells of the most recently added item come first (default: the last SKU given), \
                then those of the other items, without duplicates or cart items.
                Examples:
                  crosslink placement cart 24-MB01 24-WB04
                  crosslink placement cart MH01-XS-Black 24-MB01 --last-added MH01-XS-Black --limit 6
                """)

        @ParentCommand var root: CrosslinkCommand
    var global: GlobalOptions { root.global }
        @OptionGroup var output: OutputOptions
        @Argument(help: "SKUs in the cart, in the order they were added.") var skus: [String]
        @Option(help: "The most recently added SKU (default: the last one given).") var lastAdded: String?
        @Option(help: "Store view code.") var store: String = "default"
        @Option(help: "Maximum products (default: the store's cross-sell limit, 4).") var limit: Int?

        func run() throws {
            let crosslink = try global.openStore()
            let (skus, lastAdded, store, limit) = (self.skus, self.lastAdded, self.store, self.limit)
            let crossSells = try crosslink.read { db in
                try Placements(db).crossSells(cart: skus, lastAdded: lastAdded, store: store, limit: limit)
            }
            if output.json {
                print(try Output.json(crossSells))
                return
            }
            print("Cross-sells for the cart \(skus.joined(separator: ", ")):\n\(Output.placement(crossSells))")
        }
    }
}
