import ArgumentParser
import Crosslink
import Foundation

/// The visitor and the day a block is resolved for: which rules apply (placement, rules explain).
struct VisitorOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The visitor's customer segments, comma-separated (rules for other segments are skipped).",
                               valueName: "codes"))
    var segments: String = ""
    @Option(help: ArgumentHelp("The day rule dates are evaluated for, in the store's time zone (default today).",
                               valueName: "YYYY-MM-DD"))
    var date: String?
    var segmentList: [String] {
        segments.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func validate() throws {
        if let date, Self.components(date) == nil { throw ValidationError("--date takes a day as YYYY-MM-DD, not \"\(date)\"") }
    }

    static func components(_ day: String) -> DateComponents? {
        let parts = day.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let dayOfMonth = Int(parts[2]),
              (1...12).contains(month), (1...31).contains(dayOfMonth) else { return nil }
        return DateComponents(year: year, month: month, day: dayOfMonth, hour: 12)
    }

    /// Noon of `--date` in the store's rule time zone (now without `--date`).
    func moment(store: String, in crosslink: CrosslinkStore) throws -> Date {
        guard let date, let components = Self.components(date) else { return Date() }
        let zone = try crosslink.read { db in
            try db.prepare("SELECT time_zone FROM effective_block_settings WHERE store = ? LIMIT 1").map([store]) { $0.text(at: 0) }.first
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone.flatMap(TimeZone.init(identifier:)) ?? TimeZone(identifier: "UTC")!
        guard let moment = calendar.date(from: components), calendar.component(.day, from: moment) == components.day else {
            throw ValidationError("--date \(date) is not a day of the calendar")
        }
        return moment
    }
}

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
                in stock), never the product itself nor what is in the cart. With related-product rules on, \
                --segments, --date and --seed decide which rules apply and how their results rotate.
                Examples:
                  crosslink placement product 24-MB01
                  crosslink placement product 24-MB01 --cart 24-MB04 --json
                  crosslink placement product 24-MB05 --segments vip,wholesale --date 2025-12-24 --seed 7
                """)

        @ParentCommand var root: CrosslinkCommand
    var global: GlobalOptions { root.global }
        @OptionGroup var output: OutputOptions
        @Argument(help: "The viewed product's SKU.") var sku: String
        @Option(help: "Store view code.") var store: String = "default"
        @Option(help: ArgumentHelp("SKUs in the cart, comma-separated (excluded from the blocks).", valueName: "skus"))
        var cart: String = ""
        @Option(help: "Maximum products per block (default: the store's limits).") var limit: Int?
        @OptionGroup var visitor: VisitorOptions
        @Option(help: "Seed of the random rule rotations (default: derived from the product or cart, so a page is stable).")
        var seed: UInt64?

        struct Page: Encodable { var sku: String; var store: String; var related: [PlacedProduct]; var upsell: [PlacedProduct] }

        func run() throws {
            let crosslink = try global.openStore(.read)
            let cartSKUs = cart.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let (sku, store, limit) = (self.sku, self.store, self.limit)
            let (segments, date, seed) = (visitor.segmentList, try visitor.moment(store: store, in: crosslink), seed)
            let (related, upsell) = try crosslink.read { db in
                let placements = Placements(db)
                return (try placements.related(for: sku, store: store, cart: cartSKUs, limit: limit,
                                               segments: segments, date: date, seed: seed),
                        try placements.upsells(for: sku, store: store, cart: cartSKUs, limit: limit,
                                               segments: segments, date: date, seed: seed))
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
                then those of the other items, without duplicates or cart items; then, with cross-sell rules \
                on, the rules' products. A cart holds at most \(Placements.maximumCartItems) SKUs.
                Examples:
                  crosslink placement cart 24-MB01 24-WB04
                  crosslink placement cart MH01-XS-Black 24-MB01 --last-added MH01-XS-Black --limit 6
                  crosslink placement cart MH01-XS-Black --segments vip --seed 7
                """)

        @ParentCommand var root: CrosslinkCommand
    var global: GlobalOptions { root.global }
        @OptionGroup var output: OutputOptions
        @Argument(help: "SKUs in the cart, in the order they were added.") var skus: [String]
        @Option(help: "The most recently added SKU (default: the last one given).") var lastAdded: String?
        @Option(help: "Store view code.") var store: String = "default"
        @Option(help: "Maximum products (default: the store's cross-sell limit, 4; 5 with rules on).") var limit: Int?
        @OptionGroup var visitor: VisitorOptions
        @Option(help: "Seed of the random rule rotations (default: derived from the product or cart, so a page is stable).")
        var seed: UInt64?

        func run() throws {
            let crosslink = try global.openStore(.read)
            let (skus, lastAdded, store, limit) = (self.skus, self.lastAdded, self.store, self.limit)
            let (segments, date, seed) = (visitor.segmentList, try visitor.moment(store: store, in: crosslink), seed)
            let crossSells = try crosslink.read { db in
                try Placements(db).crossSells(cart: skus, lastAdded: lastAdded, store: store, limit: limit,
                                              segments: segments, date: date, seed: seed)
            }
            if output.json {
                print(try Output.json(crossSells))
                return
            }
            print("Cross-sells for the cart \(skus.joined(separator: ", ")):\n\(Output.placement(crossSells))")
        }
    }
}
