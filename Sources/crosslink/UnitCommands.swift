import ArgumentParser
import Crosslink
import Foundation

extension PageType: ExpressibleByArgument {}

struct Units: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "units",
        abstract: "Configure recommendation units: the blocks each page type shows.",
        discussion: """
            A unit fills one block of a page type (home, category, product, cart, confirmation) with a \
            recommendation type or a manual/rule block (related, upsell, crosssell), with filters, backups \
            and experiment variants. At most 5 active units per page type and store. Units are JSON \
            (README "Units"):
              crosslink units import units.json
              crosslink units list
              crosslink units show "Customers also viewed" --json
              crosslink units activate "Customers also viewed"
              crosslink units export > units.json
              crosslink page product 24-MB01
            Inspect with sqlite3: SELECT * FROM unit_list ORDER BY page_type, placement, position
            """,
        subcommands: [List.self, Show.self, ImportFile.self, ExportFile.self, Activate.self, Deactivate.self, Delete.self])

    @ParentCommand var root: CrosslinkCommand

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List units (all variants).",
                                                        discussion: "Example: crosslink units list --page-type product --json")
        @ParentCommand var units: Units
        @OptionGroup var output: OutputOptions
        @Option(help: "Store view code (default: every store).") var store: String?
        @Option(help: "Only this page type.") var pageType: PageType?

        func run() throws {
            let (store, pageType) = (self.store, self.pageType)
            let list = try units.root.global.openStore(.read).read { db in try UnitRepository(db).units(store: store, pageType: pageType) }
            if output.json { try Output.jsonText(UnitFile.export(list)); return }
            let rows = list.flatMap { unit in
                unit.variants.map { v in
                    [String(unit.id ?? 0), unit.name, unit.store, unit.pageType.rawValue, "\(unit.placement.rawValue) \(unit.position)",
                     unit.status.rawValue, v.variant, "\(v.traffic) %", v.type.rawValue, String(v.productCount),
                     v.backups.map(\.rawValue).joined(separator: ","), v.filters.isEmpty ? "" : "yes"]
                }
            }
            print(rows.isEmpty ? "(no units)" : Output.table(["id", "name", "store", "page", "placement", "status", "variant", "traffic",
                                                              "type", "count", "backups", "filters"], rows))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one unit as JSON.", discussion: "Examples:\n  crosslink units show \"Also viewed\"\n  crosslink units show 2   # the id units list shows")
        @ParentCommand var units: Units
        @OptionGroup var unit: UnitName
        @OptionGroup var output: OutputOptions

        func run() throws {
            let (name, store) = (unit.name, unit.store)
            guard let unit = try units.root.global.openStore(.read).read({ db in try UnitRepository(db).unit(named: name, store: store) }) else {
                throw RequestError.unknownUnit(name)
            }
            try Output.jsonText(UnitFile.export([unit]))
        }
    }

    struct ImportFile: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import", abstract: "Add or replace units from a JSON file (all or none).",
            discussion: """
                A unit of the same store and name is replaced. Errors name the file, line, unit and JSON path.
                Example: crosslink units import units.json   (or - for stdin)
                """)
        @ParentCommand var units: Units
        @Argument(help: "The JSON file, or - for standard input.") var file: String
        @Flag(help: "Validate only; change nothing.") var dryRun = false

        func run() throws {
            let data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: file))
            let parsed = try UnitFile.parse(String(decoding: data, as: UTF8.self), file: file == "-" ? "stdin" : file)
            let dryRun = self.dryRun
            let ids = try units.root.global.openStore(.readWrite).write { db -> [Int] in
                if dryRun {
                    // Saved inside a savepoint that is rolled back: validation sees the file's own units.
                    struct Rollback: Error { let ids: [Int] }
                    do { try db.inSavepoint { throw Rollback(ids: try UnitRepository(db).importFile(parsed)) } } catch let r as Rollback { return r.ids }
                    return []
                }
                return try UnitRepository(db).importFile(parsed)
            }
            print("\(dryRun ? "Would import" : "Imported") \(ids.count) unit(s): " + parsed.entries.map { $0.unit.name }.joined(separator: ", "))
        }
    }

    struct ExportFile: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "export", abstract: "Write every unit as JSON (what import reads).",
                                                        discussion: "Example: crosslink units export > units.json")
        @ParentCommand var units: Units
        func run() throws {
            try Output.jsonText(UnitFile.export(try units.root.global.openStore(.read).read { db in try UnitRepository(db).units() }))
        }
    }

    struct Activate: UnitStatusChange {
        static let configuration = CommandConfiguration(abstract: "Activate a unit (a sixth active unit of a page type is refused).",
                                                        discussion: "Example: crosslink units activate \"Also viewed\"")
        @ParentCommand var units: Units
        @OptionGroup var unit: UnitName
        static let done = "Activated"
        static func change(_ repository: UnitRepository, _ unit: UnitName) throws { try repository.setStatus(.active, name: unit.name, store: unit.store) }
    }

    struct Deactivate: UnitStatusChange {
        static let configuration = CommandConfiguration(abstract: "Deactivate a unit.", discussion: "Example: crosslink units deactivate \"Also viewed\"")
        @ParentCommand var units: Units
        @OptionGroup var unit: UnitName
        static let done = "Deactivated"
        static func change(_ repository: UnitRepository, _ unit: UnitName) throws { try repository.setStatus(.inactive, name: unit.name, store: unit.store) }
    }

    struct Delete: UnitStatusChange {
        static let configuration = CommandConfiguration(abstract: "Delete a unit and its variants.", discussion: "Example: crosslink units delete \"Also viewed\"")
        @ParentCommand var units: Units
        @OptionGroup var unit: UnitName
        static let done = "Deleted"
        static func change(_ repository: UnitRepository, _ unit: UnitName) throws { try repository.delete(name: unit.name, store: unit.store) }
    }
}

/// The unit a command acts on.
struct UnitName: ParsableArguments, Sendable {
    @Argument(help: ArgumentHelp("The unit's name, or its id as `units list` shows it.", valueName: "name|id")) var name: String
    @Option(help: "Store view code (where the name is looked up; an id names one unit in any store).") var store = "default"
}

/// `units activate | deactivate | delete NAME`: one write on one unit, then one line.
protocol UnitStatusChange: ParsableCommand {
    var units: Units { get }
    var unit: UnitName { get }
    static var done: String { get }
    static func change(_ repository: UnitRepository, _ unit: UnitName) throws
}

extension UnitStatusChange {
    func run() throws {
        let unit = self.unit
        try units.root.global.openStore(.readWrite).write { db in try Self.change(UnitRepository(db), unit) }
        print("\(Self.done) \(unit.name).")
    }
}

struct PageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "page",
        abstract: "Resolve every active unit of a page, with each product's reason.",
        discussion: """
            Page kinds: home; category ID; product SKU; cart SKU...; confirmation SKU... (the order's items).
            Examples:
              crosslink page product 24-MB01 --visitor v-42
              crosslink page cart 24-MB01 MH01-XS-Black
              crosslink page home --visitor v-42 --cart 24-MB01 --json
              crosslink page category 12
              crosslink page home --as-of 2011-09-01   # the page as it was then
            --as-of answers every behavioural unit from the whole days (hours for trending) before that \
            instant, as `recommend --as-of` does, and reads rule dates on that day; the catalog, units and \
            rules are today's.
            Built-in rules: displayable products only, configurable children shown as their parent, no product \
            twice on the page (first unit wins), nothing in the cart, nothing the visitor bought. A backup \
            product is marked "backup". The storefront sends unit id and variant back in its unit events.
            """)

    @ParentCommand var root: CrosslinkCommand
    @OptionGroup var output: OutputOptions
    @Argument(help: "home, category, product, cart or confirmation.") var kind: PageType
    @Argument(help: "The category id, the product SKU, or the cart's / order's SKUs.") var values: [String] = []
    @Option(help: "The visitor id (experiments, recently viewed, recommended for you, purchases).") var visitor: String?
    @Option(help: ArgumentHelp("The visitor's cart on any page, comma-separated SKUs.", valueName: "skus")) var cart: String?
    @Option(help: "Seed of shuffles and rule rotations.") var seed: UInt64?
    @Option(help: "Store view code.") var store = "default"
    @Option(name: .customLong("as-of"), help: ArgumentHelp(
        "Resolve the page as of this instant: ISO 8601 with a zone, a date (midnight UTC) or Unix milliseconds.", valueName: "time"))
    var asOf: String?

    func validate() throws {
        if let asOf, Recommend.time(asOf) == nil {
            throw ValidationError("--as-of \(asOf): not a time (2011-09-01, 2011-09-01T12:00:00Z or Unix milliseconds)")
        }
        switch kind {
        case .home: if !values.isEmpty { throw ValidationError("a home page takes no SKU or id") }
        case .category: if values.count != 1 || Int(values[0]) == nil { throw ValidationError("give one category id: crosslink page category 12") }
        case .product: if values.count != 1 { throw ValidationError("give one SKU: crosslink page product 24-MB01") }
        case .cart, .confirmation: if values.isEmpty { throw ValidationError("give the \(kind.rawValue == "cart" ? "cart's" : "order's") SKUs") }
        }
    }

    func run() throws {
        let page: Page = switch kind {
        case .home: .home
        case .category: .category(Int(values[0])!)
        case .product: .product(values[0])
        case .cart: .cart(values)
        case .confirmation: .confirmation(values)
        }
        let asOf = self.asOf.flatMap(Recommend.time)
        let options = PageOptions(seed: seed, asOf: asOf, date: asOf ?? Date(),
                                  cart: (cart ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        let resolved = try root.global.openStore(.read).resolvePage(page, store: store, visitor: visitor, options: options)
        if output.json { print(try Output.json(resolved)); return }
        print(Output.page(resolved))
    }
}

extension Output {
    /// A long reason (more like this lists every shared feature) cut for a terminal; --json has it whole.
    static func short(_ text: String) -> String { text.count <= 100 ? text : text.prefix(99) + "…" }

    /// A resolved page as text: each unit with its products and reasons.
    static func page(_ page: ResolvedPage) -> String {
        guard !page.units.isEmpty else { return "(no active units on the \(page.pageType.rawValue) page)" }
        return page.units.map { unit in
            let title = "[\(unit.placement.rawValue) \(unit.position)] \(unit.name)" + (unit.label.isEmpty ? "" : " — \"\(unit.label)\"")
                + " (unit \(unit.unitID), variant \(unit.variant), \(unit.type))"
            let rows = unit.products.enumerated().map { i, p in
                [String(i + 1), p.sku, name(p.name), price(p.finalPrice), p.isBackup ? "backup: \(p.source)" : p.source.rawValue, short(p.reason.description)]
            }
            return title + "\n" + (rows.isEmpty ? "(none)" : table(["#", "sku", "name", "price", "from", "why"], rows))
        }.joined(separator: "\n\n")
    }
}
