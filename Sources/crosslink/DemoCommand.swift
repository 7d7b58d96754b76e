import ArgumentParser
import Crosslink
import Foundation

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build a database from the shipped Magento sample and a seeded week of shoppers, and show what it gives.",
        discussion: """
            Into a database without products: imports Magento's Luma sample catalog (2046 products with their \
            related, up-sell and cross-sell links), a seeded browsing log, seven recommendation units (two of them \
            A/B tests) and a seeded week of shoppers on those units (renders, views, clicks, add-to-cart clicks, \
            orders), so `crosslink metrics` and `crosslink report` have numbers at once. Then prints a summary, a few \
            blocks, one page and the commands to try next. Every run writes the same data.
            Example: crosslink demo --database /tmp/demo.sqlite
            """)

    @ParentCommand var root: CrosslinkCommand
    var global: GlobalOptions { root.global }
    @Flag(help: "Nothing on stderr while the database is built.") var quiet = false

    func run() throws {
        let store = try global.openStore(.create)
        var warnings: Int?
        if try store.read({ db in try ProductRepository(db).count() }) == 0 {
            if !quiet { Output.error("building the demo database: the Magento sample, a browsing log and a week of unit traffic…") }
            var options = ImportOptions()
            options.refreshesSimilarProducts = true   // 0.1 s on the sample; more like this then reads its lists
            warnings = try MagentoSampleImporter(store: store, options: options).importSample(at: SampleData.magentoSampleDirectory).warnings.count
        }
        let seeded = try DemoUnits.seed(store)
        let built = warnings != nil || seeded.browsing > 0 || seeded.traffic > 0
        print((built ? "Built the demo database " : "The demo database (built by an earlier run) ") + store.path + ":")
        print(try Self.summary(store, warnings: warnings))

        let related = try store.read { db in try Placements(db).related(for: "MH01") }
        print("\n== Related products of MH01 (\(try Self.name("MH01", store))): manual links\n\(Output.placement(related))")
        let cart = ["24-MB01", "MH01-XS-Black"]
        let crossSells = try store.read { db in try Placements(db).crossSells(cart: cart) }
        print("\n== Cross-sells for a cart of \(cart.joined(separator: " and ")), last added \(cart.last!)\n\(Output.placement(crossSells))")
        print("\n== Home page for visitor v-7: its units\n" + Output.page(try store.resolvePage(.home, visitor: "v-7")))
        let metrics = try store.read { db in try UnitMetrics(db).rows(UnitMetricsQuery(by: [.unit, .variant])) }
        print("\n== The units over the week of traffic\n" + Output.table(
            ["unit", "name", "variant", "impressions", "clicks", "CTR", "orders", "revenue"],
            metrics.map { row in
                [row.unitID ?? "", row.unitName ?? "-", row.variant ?? "", String(row.impressions), String(row.clicks),
                 row.ctr.map { String(format: "%.1f%%", $0 * 100) } ?? "-", String(row.orders), Output.price(row.revenue)]
            }))

        let database = "crosslink --database \(store.path)"
        let query = "SELECT linked_sku, name, position FROM displayable_links WHERE store = 'default' AND sku = 'MH01' AND link_type = 'related' ORDER BY position, link_id"
        // The store's path is printable (a URI without its password); psql asks for the password itself.
        let shell = store.engine == .sqlite ? "sqlite3 \(store.path)" : "psql '\(store.path)' -c"
        let next = [("\(database) metrics", "every unit and variant, all columns"),
                    ("\(database) report --out report.html", "the same as an HTML page with charts"),
                    ("\(database) page product 24-MB01 --visitor v-7", "a product page, each product with its reason"),
                    ("\(database) recommend --type recommended-for-you --visitor v-7", ""),
                    ("\(shell) \"\(query)\"", "")]
        let width = next.filter { !$0.1.isEmpty }.map(\.0.count).max() ?? 0
        print("\ntry next:\n" + next.map { command, note in
            "  " + (note.isEmpty ? command : command.padding(toLength: width, withPad: " ", startingAt: 0) + "  # " + note)
        }.joined(separator: "\n"))
    }

    /// What the database holds: products and links, events, units.
    static func summary(_ store: CrosslinkStore, warnings: Int?) throws -> String {
        try store.read { db in
            let products = try ProductRepository(db).count()
            let links = Dictionary(uniqueKeysWithValues: try db.prepare("""
                SELECT t.code, count(*) FROM product_links AS l JOIN link_types AS t ON t.link_type_id = l.link_type_id GROUP BY t.code
                """).map { ($0.text(at: 0), $0.int(at: 1)) })
            let counts = try db.prepare("""
                SELECT count(*), coalesce(sum(CASE WHEN unit_id IS NOT NULL THEN 1 ELSE 0 END), 0),
                       coalesce(sum(CASE WHEN type = 'place-order' THEN 1 ELSE 0 END), 0), min(occurred_at), max(occurred_at)
                FROM events
                """).map { ($0.int(at: 0), $0.int(at: 1), $0.int(at: 2), $0.optionalInt(at: 3), $0.optionalInt(at: 4)) }[0]
            let units = try UnitRepository(db).units(store: "default")
            let tests = units.filter { $0.variants.count > 1 }.map(\.name)
            let days = counts.3.flatMap { first in counts.4.map { (first, $0) } }
                .map { " from \(EventTime.format(Int64($0.0)).prefix(10)) to \(EventTime.format(Int64($0.1)).prefix(10))" } ?? ""
            let pages = Set(units.map(\.pageType.rawValue)).sorted().joined(separator: ", ")
            return """
                  catalog  \(products) products; \(links["related"] ?? 0) related, \(links["upsell"] ?? 0) up-sell, \
                \(links["crosssell"] ?? 0) cross-sell links\(warnings.map { "; \($0) links to SKUs missing from the sample left out" } ?? "")
                  events   \(counts.0) events\(days): \(counts.1) unit events (renders, views, clicks, add-to-cart clicks), \(counts.2) orders
                  units    \(units.count) on the \(pages) pages\(tests.isEmpty ? "" : "; A/B tests: " + tests.joined(separator: ", "))
                """
        }
    }

    static func name(_ sku: String, _ store: CrosslinkStore) throws -> String {
        Output.name(try store.read { db in try ProductRepository(db).product(sku: sku)?.name ?? sku })
    }
}
