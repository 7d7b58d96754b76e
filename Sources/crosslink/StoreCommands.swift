import ArgumentParser
import Crosslink
import Foundation

struct Stores: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stores",
        abstract: "List, add, change, rename and remove store views.",
        discussion: """
            A store view is where pages and placements are resolved (--store CODE on placement, page, \
            recommend, units, events, …). Each store belongs to a website, which decides the products it may \
            show (`crosslink websites`). A new database has website "base" with store "default".
            A second store on its own website, selling what "base" sells:
              crosslink websites add eu --name "Europe" --products-from base
              crosslink stores add fr --website eu --name "Français"
              crosslink stores list
              crosslink placement product 24-MB01 --store fr
              crosslink stores set fr --show-out-of-stock true --upsell-limit 6
            Removing: a store that has events is never removed (they are the log everything is rebuilt \
            from; rename it instead); one with units or block settings is removed only with --force, which \
            deletes them too.
            Inspect with sqlite3: SELECT * FROM stores
            """,
        subcommands: [List.self, Show.self, Add.self, Change.self, Rename.self, Remove.self])

    @ParentCommand var root: CrosslinkCommand

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every store view with its website and block limits.",
                                                        discussion: "Example: crosslink stores list --json")
        @ParentCommand var stores: Stores
        @OptionGroup var output: OutputOptions

        func run() throws {
            let (list, websites) = try stores.root.global.openStore(.read).read { db in
                let repository = StoreRepository(db)
                return (try repository.stores(), try repository.websites())
            }
            let websiteCodes = Dictionary(uniqueKeysWithValues: websites.map { ($0.id, $0.code) })
            if output.json {
                print(try Output.json(list.map { StoreListing($0, website: websiteCodes[$0.websiteID] ?? "") }))
                return
            }
            print(list.isEmpty ? "(no stores)" : Output.table(
                ["id", "code", "name", "website", "out of stock", "related", "upsell", "crosssell"],
                list.map { store in
                    [String(store.id), store.code, store.name, websiteCodes[store.websiteID] ?? "", store.showOutOfStock ? "shown" : "hidden",
                     store.relatedLimit.map(String.init) ?? "all", String(store.upsellLimit), String(store.crosssellLimit)]
                }))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one store: its website, settings and what it holds.",
                                                        discussion: "Example: crosslink stores show default")
        @ParentCommand var stores: Stores
        @Argument(help: "The store view code.") var code: String
        @OptionGroup var output: OutputOptions

        func run() throws {
            let code = self.code
            let (store, website, contents) = try stores.root.global.openStore(.read).read { db in
                let repository = StoreRepository(db)
                let store = try repository.store(code: code)
                let website = try repository.websites().first { $0.id == store.websiteID }
                return (store, website, try repository.contents(store: code))
            }
            let listing = StoreListing(store, website: website?.code ?? "", contents: contents)
            if output.json { print(try Output.json(listing)); return }
            print(Output.table(["field", "value"], [
                ["id", String(store.id)], ["code", store.code], ["name", store.name],
                ["website", website.map { "\($0.code) (\($0.name), \($0.productCount) products)" } ?? ""],
                ["out-of-stock products", store.showOutOfStock ? "shown" : "hidden"],
                ["related limit", store.relatedLimit.map(String.init) ?? "all"],
                ["up-sell limit", String(store.upsellLimit)], ["cross-sell limit", String(store.crosssellLimit)],
                ["events", String(contents.events)], ["units", String(contents.units)], ["setting rows", String(contents.settings)],
            ]))
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a store view to a website.",
            discussion: """
                The website must exist (`crosslink websites add`). A code in use is refused.
                Example: crosslink stores add fr --website eu --name "Français" --show-out-of-stock
                """)
        @ParentCommand var stores: Stores
        @Argument(help: "The new store view's code (what --store and event files name).") var code: String
        @Option(help: "Its display name (default: the code).") var name: String?
        @Option(help: "The website it belongs to: its products are the ones the store may show.") var website = "base"
        @Flag(help: "Show out-of-stock products in its blocks (default: hidden).") var showOutOfStock = false

        func run() throws {
            let (code, name, website, showOutOfStock) = (self.code, self.name, self.website, self.showOutOfStock)
            let id = try stores.root.global.openStore(.readWrite).write { db in
                try StoreRepository(db).addStore(code: code, website: website, name: name, showOutOfStock: showOutOfStock)
            }
            print("Added store \(code) (id \(id)) on website \(website).")
        }
    }

    /// `stores set` (not named `Set`, which would hide Swift's `Set` in this scope).
    struct Change: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Change a store's website, out-of-stock display or block limits.",
            discussion: """
                Only the options given change. The limits cap the manual related / up-sell / cross-sell \
                blocks of placements (Magento's defaults: related all, up-sell 4, cross-sell 4).
                Examples:
                  crosslink stores set fr --website base      # move it: it shows base's products
                  crosslink stores set default --show-out-of-stock true
                  crosslink stores set default --related-limit 8 --upsell-limit 6
                  crosslink stores set default --related-limit all
                """)
        @ParentCommand var stores: Stores
        @Argument(help: "The store's code.") var code: String
        @Option(help: "Move the store to this website (it then shows that website's products).") var website: String?
        @Option(help: ArgumentHelp("Show out-of-stock products in its blocks.", valueName: "true|false")) var showOutOfStock: Bool?
        @Option(help: ArgumentHelp("Most related products a placement shows, or all.", valueName: "n|all")) var relatedLimit: String?
        @Option(help: ArgumentHelp("Most up-sells a placement shows.", valueName: "n")) var upsellLimit: Int?
        @Option(help: ArgumentHelp("Most cross-sells a placement shows.", valueName: "n")) var crosssellLimit: Int?

        func validate() throws {
            if website == nil && showOutOfStock == nil && relatedLimit == nil && upsellLimit == nil && crosssellLimit == nil {
                throw ValidationError("give at least one setting to change (see --help)")
            }
            if let relatedLimit, relatedLimit != "all", (Int(relatedLimit) ?? 0) < 1 {
                throw ValidationError("--related-limit \(relatedLimit): give a number of at least 1, or all")
            }
            for (name, value) in [("--upsell-limit", upsellLimit), ("--crosssell-limit", crosssellLimit)] {
                if let value, value < 1 { throw ValidationError("\(name) \(value): must be at least 1") }
            }
        }

        func run() throws {
            let (code, website, showOutOfStock) = (self.code, self.website, self.showOutOfStock)
            let (related, upsell, crosssell) = (relatedLimit.map { Int($0) }, upsellLimit, crosssellLimit)
            let store = try stores.root.global.openStore(.readWrite).write { db in
                let repository = StoreRepository(db)
                try repository.updateStore(code: code, website: website, showOutOfStock: showOutOfStock)
                if related != nil || upsell != nil || crosssell != nil {
                    let current = try repository.store(code: code)
                    try repository.setLimits(store: code, related: related ?? current.relatedLimit,
                                             upsell: upsell ?? current.upsellLimit, crosssell: crosssell ?? current.crosssellLimit)
                }
                let store = try repository.store(code: code)
                return (store, try repository.websites().first { $0.id == store.websiteID }?.code ?? "")
            }
            print("Store \(code): website \(store.1), out-of-stock products \(store.0.showOutOfStock ? "shown" : "hidden"), "
                + "limits related \(store.0.relatedLimit.map(String.init) ?? "all"), up-sell \(store.0.upsellLimit), cross-sell \(store.0.crosssellLimit).")
        }
    }

    struct Rename: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a store's code and/or its name.",
            discussion: """
                Its events, units and settings stay with it. After a new code, event senders and --store must use it.
                Examples:
                  crosslink stores rename fr fr-fr
                  crosslink stores rename default --name "Luma (English)"
                """)
        @ParentCommand var stores: Stores
        @Argument(help: "The store's current code.") var code: String
        @Argument(help: "Its new code (omit to keep it).") var newCode: String?
        @Option(help: "Its new display name.") var name: String?

        func validate() throws {
            if newCode == nil && name == nil { throw ValidationError("give a new code, --name, or both") }
        }

        func run() throws {
            let (code, newCode, name) = (self.code, self.newCode, self.name)
            try stores.root.global.openStore(.readWrite).write { db in try StoreRepository(db).renameStore(code: code, newCode: newCode, name: name) }
            print("Renamed store \(code)" + (newCode.map { " to \($0)" } ?? "") + (name.map { " (name \"\($0)\")" } ?? "") + ".")
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a store view.",
            discussion: """
                Refused while the store has events: the event log is never deleted (rename the store instead). \
                Refused while it has units or block settings, unless --force, which deletes them with it. Its \
                derived rows (windows, similar and neighbour lists) are always deleted.
                Example: crosslink stores remove fr
                """)
        @ParentCommand var stores: Stores
        @Argument(help: "The store's code.") var code: String
        @Flag(help: "Also delete its units, block settings and rule time zone.") var force = false

        func run() throws {
            let (code, force) = (self.code, self.force)
            let removed = try stores.root.global.openStore(.readWrite).write { db in try StoreRepository(db).removeStore(code: code, force: force) }
            print("Removed store \(code)" + (removed.configuration > 0 ? " with \(removed.units) unit(s) and \(removed.settings) setting row(s)" : "") + ".")
        }
    }
}

/// A store as `stores list --json` and `stores show --json` print it.
struct StoreListing: Encodable {
    var id: Int
    var code: String
    var name: String
    var website: String
    var showOutOfStock: Bool
    var relatedLimit: Int?
    var upsellLimit: Int
    var crosssellLimit: Int
    var contents: StoreRepository.StoreContents?

    init(_ store: StoreRepository.Store, website: String, contents: StoreRepository.StoreContents? = nil) {
        (id, code, name, self.website, showOutOfStock) = (store.id, store.code, store.name, website, store.showOutOfStock)
        (relatedLimit, upsellLimit, crosssellLimit, self.contents) = (store.relatedLimit, store.upsellLimit, store.crosssellLimit, contents)
    }
}

struct Websites: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "websites",
        abstract: "List, add, rename and remove websites (the product assortments stores show).",
        discussion: """
            A product is shown in a store only when it is sold on the store's website (Magento's \
            product_websites column sets this on import). A new database has website "base".
            Examples:
              crosslink websites add eu --name "Europe" --products-from base
              crosslink websites list
              crosslink websites rename eu --name "European Union"
              crosslink websites remove eu --force
            A website with stores is never removed (remove its stores, or move them with `crosslink stores set \
            CODE --website OTHER`, first); one that sells \
            products is removed only with --force, which removes those assignments.
            Inspect with sqlite3: SELECT w.code, count(*) FROM product_websites JOIN websites AS w USING (website_id) GROUP BY 1
            """,
        subcommands: [List.self, Add.self, Rename.self, Remove.self])

    @ParentCommand var root: CrosslinkCommand

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List websites with their stores and product counts.",
                                                        discussion: "Example: crosslink websites list --json")
        @ParentCommand var websites: Websites
        @OptionGroup var output: OutputOptions

        func run() throws {
            let list = try websites.root.global.openStore(.read).read { db in try StoreRepository(db).websites() }
            if output.json { print(try Output.json(list)); return }
            print(list.isEmpty ? "(no websites)" : Output.table(["id", "code", "name", "stores", "products"], list.map {
                [String($0.id), $0.code, $0.name, $0.storeCodes.joined(separator: ", "), String($0.productCount)]
            }))
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a website, empty or with another website's products.",
            discussion: "Example: crosslink websites add eu --name \"Europe\" --products-from base")
        @ParentCommand var websites: Websites
        @Argument(help: "The new website's code (what Magento's product_websites column names).") var code: String
        @Option(help: "Its display name (default: the code).") var name: String?
        @Option(help: ArgumentHelp("Sell every product this website sells on the new one too.", valueName: "website"))
        var productsFrom: String?

        func run() throws {
            let (code, name, productsFrom) = (self.code, self.name, self.productsFrom)
            let (id, products) = try websites.root.global.openStore(.readWrite).write { db in
                let repository = StoreRepository(db)
                let id = try repository.addWebsite(code: code, name: name, productsFrom: productsFrom)
                return (id, try repository.website(code: code).productCount)
            }
            print("Added website \(code) (id \(id)) selling \(products) product(s). Add a store to it: crosslink stores add CODE --website \(code)")
        }
    }

    struct Rename: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a website's code and/or its name.",
            discussion: "Examples:\n  crosslink websites rename eu europe\n  crosslink websites rename base --name \"Luma\"")
        @ParentCommand var websites: Websites
        @Argument(help: "The website's current code.") var code: String
        @Argument(help: "Its new code (omit to keep it).") var newCode: String?
        @Option(help: "Its new display name.") var name: String?

        func validate() throws {
            if newCode == nil && name == nil { throw ValidationError("give a new code, --name, or both") }
        }

        func run() throws {
            let (code, newCode, name) = (self.code, self.newCode, self.name)
            try websites.root.global.openStore(.readWrite).write { db in try StoreRepository(db).renameWebsite(code: code, newCode: newCode, name: name) }
            print("Renamed website \(code)" + (newCode.map { " to \($0)" } ?? "") + (name.map { " (name \"\($0)\")" } ?? "") + ".")
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a website that has no stores.",
            discussion: """
                Refused while a store is on it. Refused while it sells products, unless --force, which removes \
                those product assignments (the products stay).
                Example: crosslink websites remove eu --force
                """)
        @ParentCommand var websites: Websites
        @Argument(help: "The website's code.") var code: String
        @Flag(help: "Also remove its product assignments.") var force = false

        func run() throws {
            let (code, force) = (self.code, self.force)
            let removed = try websites.root.global.openStore(.readWrite).write { db in try StoreRepository(db).removeWebsite(code: code, force: force) }
            print("Removed website \(code)" + (removed > 0 ? " and its \(removed) product assignment(s)" : "") + ".")
        }
    }
}
