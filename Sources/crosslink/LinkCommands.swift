import ArgumentParser
import Crosslink
import Foundation

extension LinkType: ExpressibleByArgument {}

struct Links: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show or set a product's manual links (related, upsell, crosssell).",
        subcommands: [Show.self, Set.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a product's links in position order (all types unless --type).",
            discussion: "Example: crosslink links show 24-MB01 --type related")

        @ParentCommand var root: CrosslinkCommand
    var global: GlobalOptions { root.global }
        @OptionGroup var output: OutputOptions
        @Argument(help: "The product's SKU.") var sku: String
        @Option(help: "related, upsell or crosssell.") var type: LinkType?

        func run() throws {
            let store = try global.openStore(.read)
            let types = type.map { [$0] } ?? LinkType.allCases
            let sku = self.sku
            let links = try store.read { db in
                try types.map { type in (type: type, links: try LinkRepository(db).links(sku: sku, type: type)) }
            }
            if output.json {
                print(try Output.json(Dictionary(uniqueKeysWithValues: links.map { ($0.type.rawValue, $0.links) })))
                return
            }
            print(Output.table(["type", "position", "linked sku"], links.flatMap { entry in
                entry.links.map { [entry.type.rawValue, String($0.position), $0.sku] }
            }))
        }
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace a product's links of one type, atomically.",
            discussion: """
                Targets are SKUs, optionally with a position after a colon; without one, positions \
                follow the order given (1, 2, 3…). No targets clears the list.
                Examples:
                  crosslink links set 24-MB01 --type related 24-MB04 24-MB02:5
                  crosslink links set 24-MB01 --type upsell
                """)

        @ParentCommand var root: CrosslinkCommand
    var global: GlobalOptions { root.global }
        @Argument(help: "The product's SKU.") var sku: String
        @Option(help: "related, upsell or crosssell.") var type: LinkType
        @Argument(help: ArgumentHelp("Linked SKUs, as SKU or SKU:POSITION.", valueName: "target"))
        var targets: [String] = []

        func run() throws {
            let links = try targets.enumerated().map { index, target -> ProductLink in
                guard let colon = target.lastIndex(of: ":") else { return ProductLink(sku: target, position: index + 1) }
                guard let position = Int(target[target.index(after: colon)...]), position >= 0 else {
                    throw ValidationError("bad position in \(target): expected SKU:N with N ≥ 0")
                }
                return ProductLink(sku: String(target[..<colon]), position: position)
            }
            let store = try global.openStore(.readWrite)
            let (sku, type) = (self.sku, self.type)
            try store.write { db in try LinkRepository(db).replace(sku: sku, type: type, with: links) }
            print("\(sku): \(links.count) \(type.rawValue) link(s) set")
        }
    }
}
