import ArgumentParser
import Crosslink
import Foundation

extension BlockDisplayMode: ExpressibleByArgument {
    public init?(argument: String) {
        switch argument {
        case "both", "0": self = .both
        case "manual", "manual-only", "1": self = .manualOnly
        case "rules", "rules-only", "2": self = .rulesOnly
        default: return nil
        }
    }
}

extension RotationMode: ExpressibleByArgument {
    public init?(argument: String) {
        switch argument {
        case "id", "priority-id", "0": self = .byPriorityThenID
        case "random", "priority-random", "1": self = .byPriorityThenRandom
        case "weighted", "weighted-random", "2": self = .weightedRandom
        default: return nil
        }
    }
}

struct Rules: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Related-product rules: list, add, import, export, switch on/off, explain.",
        discussion: """
            A rule fills the related, up-sell or cross-sell block of every product it matches with the \
            products its display conditions select (Adobe Commerce "TargetRule"). Rules are JSON files; \
            see README "Related-product rules" for the shape.
            Examples:
              crosslink rules add bags-upsell.json
              crosslink rules list
              crosslink rules explain --sku 24-MB01 --type upsell
              crosslink rules settings --block upsell --display-mode rules --max 4
            Inspect with sqlite3: SELECT * FROM rule_list; SELECT path, text FROM rule_conditions WHERE rule = 'X'
            """,
        subcommands: [List.self, Show.self, Add.self, ImportRules.self, ExportRules.self, Enable.self, Disable.self,
                      Delete.self, Explain.self, Refresh.self, Settings.self])

    /// Builds the results of new or changed rules, so placements read them from the cache.
    static func refreshCache(_ store: CrosslinkStore, quiet: Bool = false) throws {
        let report = try store.write { db in try RuleCache(db).refresh() }
        if !quiet { Output.error("rule cache: \(report)") }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One line per rule, by block and priority.",
            discussion: "Examples:\n  crosslink rules list\n  crosslink rules list --type upsell --json")

        @ParentCommand var root: CrosslinkCommand
        var global: GlobalOptions { root.global }
        @OptionGroup var output: OutputOptions
        @Option(help: "Only rules of this block: related, upsell or crosssell.") var type: LinkType?

        func run() throws {
            let store = try global.openStore(.read)
            let type = self.type
            if output.json {
                try Output.jsonText(try store.read { db in try RuleRepository(db).exportFile(appliesTo: type) })
                return
            }
            let rows = try store.read { db in
                try db.prepare("""
                    SELECT rule_id, name, active, applies_to, priority, result_limit, dates, segments, match, display
                    FROM rule_list WHERE ?1 IS NULL OR applies_to = ?1
                    """).map([type?.rawValue]) { row in
                    [String(row.int(at: 0)), row.text(at: 1), row.int(at: 2) == 1 ? "yes" : "no", row.text(at: 3),
                     String(row.int(at: 4)), String(row.int(at: 5)), row.text(at: 6), row.text(at: 7), row.text(at: 8), row.text(at: 9)]
                }
            }
            print(rows.isEmpty ? "(no rules)" : Output.table(
                ["id", "name", "active", "block", "priority", "limit", "dates", "segments", "match", "display"], rows))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A rule with each of its conditions and their paths.",
            discussion: "Examples:\n  crosslink rules show 'Bags: pricier bags'\n  crosslink rules show 'Bags: pricier bags' --json > rule.json")

        @ParentCommand var root: CrosslinkCommand
        var global: GlobalOptions { root.global }
        @OptionGroup var output: OutputOptions
        @Argument(help: "The rule's name.") var name: String

        func run() throws {
            let store = try global.openStore(.read)
            let name = self.name
            let (rule, conditions) = try store.read { db -> (Rule?, [[String]]) in
                guard let rule = try RuleRepository(db).rule(named: name) else { return (nil, []) }
                let conditions = try db.prepare("""
                    SELECT path, substr('                    ', 1, 2 * depth) || text FROM rule_conditions
                    WHERE rule_id = ? ORDER BY tree DESC, node_order
                    """).map([rule.id!]) { [$0.text(at: 0), $0.text(at: 1)] }
                return (rule, conditions)
            }
            guard let rule else { throw RequestError.unknownRule(name) }
            if output.json {
                try Output.jsonText(rule.json.prettyText + "\n")
                return
            }
            let dates = (rule.fromDate ?? "…") + " – " + (rule.toDate ?? "…")
            print("""
                \(rule.name) (id \(rule.id!)): \(rule.appliesTo.rawValue) block, \(rule.isActive ? "active" : "inactive"), \
                priority \(rule.priority), up to \(rule.effectiveLimit) products, dates \(dates), \
                segments \(rule.segments.isEmpty ? "everyone" : rule.segments.joined(separator: ", "))
                """)
            print(Output.table(["path", "condition"], conditions))
        }
    }

    /// The arguments of add and import.
    struct RuleFileArguments: ParsableArguments {
        @Argument(help: "A rule file (JSON).") var file: String
        @Flag(help: "Do not build the rules' cached results in the same transaction (placements run their SQL until a refresh).")
        var noRefresh = false

        /// Reads the file and stores all its rules in one transaction (add: new names only).
        func store(replacing: Bool, root: CrosslinkCommand) throws {
            let path = file
            guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
            guard let text = String(data: data, encoding: .utf8) else { throw ValidationError("\(path) is not UTF-8 text") }
            let store = try root.global.openStore(.readWrite)
            let noRefresh = self.noRefresh
            let (ids, report) = try store.write { db in
                let ids = try RuleRepository(db, refreshesCache: false).importFile(text: text, file: path, replaceExisting: replacing)
                return (ids, noRefresh ? nil : try RuleCache(db).refresh())
            }
            if let report { Output.error("rule cache: \(report)") }
            print("\(path): \(ids.count) rule\(ids.count == 1 ? "" : "s") \(replacing ? "imported" : "added")")
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add the rules of a JSON file (new names only); nothing is stored if any rule is invalid.",
            discussion: """
                The file holds one rule object, a list of rules, or {"rules": [ … ]}. Errors name the file, \
                line and column, the rule and the condition's path, e.g.
                  rules.json:9:11: rule "Bags: same brand": display.conditions[1]: unknown attribute "brnad"
                Example: crosslink rules add bags-upsell.json
                """)

        @ParentCommand var root: CrosslinkCommand
        @OptionGroup var arguments: RuleFileArguments

        func run() throws { try arguments.store(replacing: false, root: root) }
    }

    struct ImportRules: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Import a rule file: rules of the same name are replaced, others added — all or nothing.",
            discussion: "Example: crosslink rules export > rules.json; edit; crosslink rules import rules.json")

        @ParentCommand var root: CrosslinkCommand
        @OptionGroup var arguments: RuleFileArguments

        func run() throws { try arguments.store(replacing: true, root: root) }
    }

    struct ExportRules: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Write every rule (or one block's) as a rule file that import reads back.",
            discussion: "Examples:\n  crosslink rules export > rules.json\n  crosslink rules export --type crosssell --out cart-rules.json")

        @ParentCommand var root: CrosslinkCommand
        var global: GlobalOptions { root.global }
        @Option(help: "Only rules of this block.") var type: LinkType?
        @Option(help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file")) var out: String?

        func run() throws {
            let store = try global.openStore(.read)
            let type = self.type
            let text = try store.read { db in try RuleRepository(db).exportFile(appliesTo: type) }
            try Output.jsonText(text, out: out)
        }
    }

    struct Enable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Switch a rule on.", discussion: "Example: crosslink rules enable 'Bags: pricier bags'")
        @ParentCommand var root: CrosslinkCommand
        var global: GlobalOptions { root.global }
        @Argument(help: "The rule's name.") var name: String
        func run() throws {
            let store = try global.openStore(.readWrite)
            let name = self.name
            try store.write { db in try RuleRepository(db, refreshesCache: false).setActive(true, name: name) }
            print("\(name): active")
            try Rules.refreshCache(store)
        }
    }

    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Switch a rule off (it stays stored).", discussion: "Example: crosslink rules disable 'Bags: pricier bags'")
        @ParentCommand var root: CrosslinkCommand
        var global: GlobalOptions { root.global }
        @Argument(help: "The rule's name.") var name: String
        func run() throws {
            let store = try global.openStore(.readWrite)
            let name = self.name
            try store.write { db in try RuleRepository(db).setActive(false, name: name) }
            print("\(name): inactive")
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a rule and its cached results.", discussion: "Example: crosslink rules delete 'Bags: pricier bags'")
        @ParentCommand var root: CrosslinkCommand
        var global: GlobalOptions { root.global }
        @Argument(help: "The rule's name.") var name: String
        func run() throws {
            let store = try global.openStore(.readWrite)
            let name = self.name
            try store.write { db in try RuleRepository(db).delete(name: name) }
            print("\(name): deleted")
        }
    }

    struct Explain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "For one product: per rule, whether it matched, what it selects and why.",
            discussion: """
                Each "products to match" condition is shown with whether it held for the product; each selected \
                product with the display conditions it satisfies. For cross-sell rules the product stands for a cart item.
                Examples:
                  crosslink rules explain --sku 24-MB01
                  crosslink rules explain --sku MH01 --type crosssell --segments vip --date 2025-12-24 --json
                """)

        @ParentCommand var root: CrosslinkCommand
        var global: GlobalOptions { root.global }
        @OptionGroup var output: OutputOptions
        @Option(help: "The product's SKU.") var sku: String
        @Option(help: "Store view code.") var store: String = "default"
        @Option(help: "Only rules of this block.") var type: LinkType?
        @OptionGroup var visitor: VisitorOptions

        func run() throws {
            let crosslink = try global.openStore(.read)
            let (segmentList, day) = (visitor.segmentList, try visitor.moment(store: store, in: crosslink))
            let (sku, store, type) = (self.sku, self.store, self.type)
            let explanations = try crosslink.read { db in
                try RuleExplainer(db).explain(sku: sku, store: store, appliesTo: type, segments: segmentList, date: day)
            }
            if output.json {
                print(try Output.json(explanations))
                return
            }
            if explanations.isEmpty { print("(no rules)") }
            for rule in explanations {
                print("\n== \(rule.appliesTo.rawValue) rule \"\(rule.rule)\" — priority \(rule.priority), up to \(rule.limit); \(rule.status)")
                print("Products to match, for \(sku): \(rule.matched ? "MATCHED" : "not matched")")
                print(Output.table(["", "path", "condition"], rule.matchConditions.map { [$0.holds ? "yes" : "no", $0.path, $0.text] }))
                guard rule.matched else { continue }
                print("Products to display: \(rule.display)")
                if let values = rule.matchedValues { print("Compared with \(sku)'s values: \(values)") }
                print(rule.selected.isEmpty ? "Selects nothing displayable in \(store) (beyond the block's manual links)."
                      : "Selects (by product id; the block shows manual links first and rotates rule results):")
                if !rule.selected.isEmpty {
                    print(Output.table(["#", "sku", "name", "price", "because"], rule.selected.enumerated().map { index, product in
                        [String(index + 1), product.sku, Output.name(product.name), Output.price(product.finalPrice), product.because.joined(separator: "; ")]
                    }))
                }
                print("Cache: \(rule.cache)")
            }
        }
    }

    struct Refresh: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Bring the rule-result cache up to date (incrementally; --full rebuilds everything).",
            discussion: """
                Placements never serve stale results: while products changed since the last refresh they run the \
                rules' SQL instead. Run this after catalog imports so they read the cache again.
                Examples:
                  crosslink rules refresh
                  crosslink rules refresh --full
                  crosslink rules refresh --clear      # drop the cache: placements always run the rules' SQL
                """)

        @ParentCommand var root: CrosslinkCommand
        var global: GlobalOptions { root.global }
        @Flag(help: "Rebuild every rule's results.") var full = false
        @Flag(help: "Drop every cached result.") var clear = false

        func run() throws {
            let store = try global.openStore(.readWrite)
            if clear {
                try store.write { db in try RuleCache(db).clear() }
                print("rule cache cleared")
                return
            }
            let full = self.full
            let report = try store.write { db in full ? try RuleCache(db).rebuild() : try RuleCache(db).refresh() }
            print("rule cache: \(report)")
        }
    }

    struct Settings: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show or change a store's block settings (display mode, maximum, rotation) and rule time zone.",
            discussion: """
                Display modes: both (manual links first, then rule results; default), manual, rules. \
                Rotation: id (by priority then product id), random (by priority then random; default), weighted.
                Examples:
                  crosslink rules settings
                  crosslink rules settings --block upsell --display-mode rules --max 4 --rotation id
                  crosslink rules settings --time-zone Europe/Paris
                """)

        @ParentCommand var root: CrosslinkCommand
        var global: GlobalOptions { root.global }
        @OptionGroup var output: OutputOptions
        @Option(help: "Store view code.") var store: String = "default"
        @Option(help: "The block to change: related, upsell or crosssell.") var block: LinkType?
        @Option(help: "both, manual or rules.") var displayMode: BlockDisplayMode?
        @Option(help: "Most products in the block when rules are on (1–100).") var max: Int?
        @Option(help: "id, random or weighted.") var rotation: RotationMode?
        @Option(help: "IANA time zone for rule dates, e.g. Europe/Paris.") var timeZone: String?

        func validate() throws {
            if block == nil, displayMode != nil || max != nil || rotation != nil {
                throw ValidationError("--display-mode, --max and --rotation need --block")
            }
        }

        func run() throws {
            let crosslink = try global.openStore(.readWrite)
            let (code, block, displayMode, max, rotation, timeZone) = (store, self.block, self.displayMode, self.max, self.rotation, self.timeZone)
            try crosslink.write { db in
                let repository = BlockSettingsRepository(db)
                if let block, displayMode != nil || max != nil || rotation != nil {
                    var settings = try repository.settings(store: code, block: block)
                    if let displayMode { settings.displayMode = displayMode }
                    if let max { settings.maxProducts = max }
                    if let rotation { settings.rotation = rotation }
                    try repository.set(settings, store: code)
                }
                if let timeZone { try repository.setTimeZone(timeZone, store: code) }
            }
            let settings = try crosslink.read { db in
                try LinkType.allCases.map { try BlockSettingsRepository(db).settings(store: code, block: $0) }
            }
            let zone = try crosslink.read { db in try BlockSettingsRepository(db).timeZone(store: code) }
            if output.json {
                struct Shown: Encodable { var store: String; var timeZone: String; var blocks: [BlockSettings] }
                print(try Output.json(Shown(store: code, timeZone: zone, blocks: settings)))
                return
            }
            print("Store \(code), rule dates in \(zone):")
            print(Output.table(["block", "display", "max products (rules on)", "rotation"], settings.map {
                [$0.block.rawValue, $0.displayMode.name, String($0.effectiveMaximum), $0.rotation.name]
            }))
        }
    }
}
