import Foundation
import Testing
import Crosslink

// Every ```swift block of README.md and of Sources/Crosslink/Crosslink.docc appears verbatim
// in this file (DocumentationExamplesCoverageTests checks it), inside a test that runs it
// against real data in a temporary directory. The examples name their files relative to the
// current directory, as a reader's program would, so each runs with the temporary directory
// as the current directory. Plain `import Crosslink`: an example may use public API only.

@Suite(.serialized) struct DocumentationExamplesTests {
    @Test func frontPageAndLinksExamples() throws {
        let directory = try TemporaryDirectory()
        try DocumentationSetup.exportLumaCatalog(to: directory.url.appending(path: "catalog_product.csv"))
        try inDirectory(directory) {
            let store = try CrosslinkStore(path: "crosslink.sqlite")      // creates or migrates the schema

            // Import a Magento catalog export (one transaction; errors name file, line and column).
            // Magento refuses an attribute set it does not have: declare the file's sets besides Default.
            var options = ImportOptions()
            options.attributeSets = ["Bag", "Bottom", "Downloadable", "Gear", "Sprite Stasis Ball", "Sprite Yoga Strap", "Top"]
            let report = try MagentoCSVImporter(store: store, options: options).importFile(at: URL(fileURLWithPath: "catalog_product.csv"))
            print("\(report.productsCreated) products, \(report.links["related"] ?? 0) related links")

            // Edit links: replaces 24-MB01's related list atomically.
            try store.write { db in
                try LinkRepository(db).replace(sku: "24-MB01", type: .related, with: [
                    ProductLink(sku: "24-MB04", position: 1), ProductLink(sku: "24-MB02", position: 2),
                ])
            }

            // A product page's blocks and a cart's, each product with the reason it is there.
            let related = try store.read { db in try Placements(db).related(for: "24-MB01") }
            let upsells = try store.read { db in try Placements(db).upsells(for: "24-MB01") }
            let cart = try store.read { db in try Placements(db).crossSells(cart: ["24-MB01", "MH01-XS-Black"]) }
            for product in related + upsells + cart { print(product.sku, product.name, product.reason) }
            // 24-MB04 Strive Shoulder Pack manual related link of 24-MB01 at position 1
            // …
            // 24-WG085_Group Set of Sprite Yoga Straps manual crosssell link of MH01 at position 2

            #expect(report.productsCreated == 2046)
            #expect(related.map(\.sku) == ["24-MB04", "24-MB02"])
            #expect("\(related[0].sku) \(related[0].name) \(related[0].reason)" == "24-MB04 Strive Shoulder Pack manual related link of 24-MB01 at position 1")
            #expect(!upsells.isEmpty)
            #expect("\(cart[0].sku) \(cart[0].name) \(cart[0].reason)" == "24-WG085_Group Set of Sprite Yoga Straps manual crosssell link of MH01 at position 2")

            do {
                let related = try store.read { db in
                    try Placements(db).related(for: "MH01", store: "default")
                }
                for product in related { print(product.sku, product.name, product.reason) }
                #expect(!related.isEmpty)
            }
        }
    }

    @Test func rulesExamples() throws {
        let directory = try TemporaryDirectory()
        // The rule file the article shows first, written out as the reader would save it.
        let ruleFile = try DocumentationSetup.firstBlock(language: "json", in: "Sources/Crosslink/Crosslink.docc/Rules.md")
        try ruleFile.write(to: directory.url.appending(path: "bags-upsell.json"), atomically: true, encoding: .utf8)
        try DocumentationSetup.importLuma(into: directory.path("crosslink.sqlite"))
        try inDirectory(directory) {
            let store = try CrosslinkStore(path: "crosslink.sqlite")
            try store.write { db in
                let rules = RuleRepository(db)
                try rules.importFile(text: try String(contentsOfFile: "bags-upsell.json", encoding: .utf8), file: "bags-upsell.json")
                try rules.add(Rule(name: "Cart: bags for men's tops", appliesTo: .crosssell, limit: 3,
                                   match: .all([.condition("category", .equal, "Men/Tops")]),
                                   display: .all([.condition("category", .equal, "Gear/Bags"), .condition("in_stock", .equal, true)])))
                try BlockSettingsRepository(db).set(BlockSettings(block: .upsell, displayMode: .both, rotation: .byPriorityThenID), store: "default")
                try BlockSettingsRepository(db).setTimeZone("Europe/Paris", store: "default")
            }
            // Rule changes, imports and every store.write bring cached rule results up to date before they commit.
            try store.write { db in
                var bag = try ProductRepository(db).product(sku: "24-MB05")!
                bag.price = 40
                try ProductRepository(db).upsert(bag)      // nothing else to call: store.write refreshes at commit
            }

            let upsells = try store.read { db in
                try Placements(db).upsells(for: "24-MB05", segments: ["vip"], date: Date(), seed: 42)
            }
            for product in upsells { print(product.sku, product.reason) }   // …, 24-MB06 rule "Bags: same category, pricier", …
            let why = try store.read { db in try RuleExplainer(db).explain(sku: "24-MB05", appliesTo: .upsell) }

            #expect(upsells.map { "\($0.sku) \($0.reason)" }.contains("24-MB06 rule \"Bags: same category, pricier\""))
            #expect(why.contains { $0.rule == "Bags: same category, pricier" && $0.matched })

            let wholesale = try store.read { db in try Placements(db).related(for: "24-MB01", segments: ["group:wholesale", "vip"]) }
            #expect(wholesale.allSatisfy { $0.sku != "24-MB01" })
        }
    }

    @Test func eventExamples() throws {
        let directory = try TemporaryDirectory()
        try DocumentationSetup.importLuma(into: directory.path("shop.sqlite"))
        // Five events, the fifth with a quantity of -1; gzip is detected by content, so plain
        // JSON Lines under the .gz name reads the same.
        let lines = (1...5).map { n in
            #"{"id":"f-\#(n)","type":"add-to-cart","time":"2024-05-01T10:00:0\#(n)Z","visitor_id":"v-1","session_id":"s-1","sku":"24-MB0\#(n)","quantity":\#(n == 5 ? -1 : 1)}"#
        }
        try (lines.joined(separator: "\n") + "\n").write(to: directory.url.appending(path: "events.jsonl.gz"), atomically: true, encoding: .utf8)
        try inDirectory(directory) {
            let store = try CrosslinkStore(path: "shop.sqlite")
            let events = EventStore(store: store)

            // One event: its own transaction, committed before the call returns.
            try events.append(Event(id: "e-1", type: .productView, time: Date(), visitorID: "v-42",
                                    sessionID: "s-7", sku: "24-MB01"))          // true; false when e-1 was stored before

            // A batch: one transaction. Duplicates are skipped; the report counts everything.
            let report = try events.append([
                Event(id: "e-2", type: .addToCart, time: Date(), visitorID: "v-42", customerID: "c-9",
                      sessionID: "s-7", sku: "24-MB01", quantity: 1, price: 34),
                Event(id: "e-3", type: .placeOrder, time: Date(), visitorID: "v-42", customerID: "c-9",
                      sessionID: "s-7", orderID: "100001",
                      lines: [OrderLine(sku: "MH01-XS-Black", parentSKU: "MH01", quantity: 1, price: 52)]),
            ])
            print(report.stored, report.duplicates, report.unknownSKUs)        // 2 0 0

            // A file (JSON Lines or CSV, gzip or not), one transaction, progress every 10,000 events.
            var options = EventIngestOptions()
            options.invalidEvents = .skipInvalid                                   // default: .rejectBatch
            options.progress = { p in print("\(p.rows) events, \(Int(p.rowsPerSecond))/s") }
            let file = try EventStore(store: store, options: options).importFile(at: URL(fileURLWithPath: "events.jsonl.gz"))
            for issue in file.rejected { print(issue) }   // events.jsonl.gz:5: column quantity: must be a number > 0, got -1 (event f-5)

            // Inside your own transaction (e.g. with catalog changes): EventWriter, which also returns
            // exactly the events it stored, as handed to the aggregates.
            let batch = [Event(id: "e-4", type: .productView, time: Date(), visitorID: "v-43", sessionID: "s-8", sku: "24-MB02")]
            let stored = try store.write { db in try EventWriter(db).append(batch).stored }

            // Counts, and the log back as it was sent.
            let stats = try events.stats()          // by type, time range, visitors, sessions, unknown SKUs
            let log = try events.events()           // [Event], in ingest order

            #expect(report.stored == 2 && report.duplicates == 0 && report.unknownSKUs == 0)
            #expect(file.stored == 4)
            #expect(file.rejected.map(\.description) == ["events.jsonl.gz:5: column quantity: must be a number > 0, got -1 (event f-5)"])
            #expect(stored.count == 1)
            #expect(stats.events == 8)
            #expect(log.map(\.id) == ["e-1", "e-2", "e-3", "f-1", "f-2", "f-3", "f-4", "e-4"])
        }

        try inDirectory(directory) {
            var configuration = Configuration()
            configuration.synchronous = .full
            let store = try CrosslinkStore(path: "shop.sqlite", configuration: configuration)
            #expect(try EventStore(store: store).append(Event(id: "e-5", type: .pageView, time: Date(), visitorID: "v-1", sessionID: "s-1")))
        }
    }

    @Test func recommendationAndEvaluationExamples() throws {
        let directory = try TemporaryDirectory()
        try DocumentationSetup.importLuma(into: directory.path("shop.sqlite"))
        let events = DocumentationSetup.browsingLog()
        try inDirectory(directory) {
            let store = try CrosslinkStore(path: "shop.sqlite")
            try EventStore(store: store).append(events)                 // ingest aggregates as it stores

            let list = try store.read { db in
                try Recommender(db).recommend(.boughtBought, context: .product("24-MB01"), limit: 5)
            }
            for r in list { print(r.sku, r.reason) }   // 24-UG01 bought together with 24-MB01 in 7 orders, lift 1.1

            // A cart, a visitor, a point in time, and the SQL behind an answer:
            let september = ISO8601DateFormatter().date(from: "2011-09-01T00:00:00Z")!
            let cart = try store.read { db in try Recommender(db).recommend(.viewedBought, context: .cart(["24-MB01", "24-WB04"])) }
            let home = try store.read { db in try Recommender(db).recommend(.recommendedForYou, context: .visitor("v-42")) }
            let then = try store.read { db in try Recommender(db).recommend(.mostPurchased, asOf: september) }
            let sql = try store.read { db in try Recommender(db).plan(.trending).sql }   // + .parameters

            #expect("\(list[0].sku) \(list[0].reason)" == "24-UG01 bought together with 24-MB01 in 7 orders, lift 1.1")
            #expect(!cart.isEmpty)
            #expect(!home.isEmpty)
            #expect(then.isEmpty)      // nothing was bought before September 2011
            #expect(sql.contains("SELECT"))

            var options = EvaluationOptions()
            options.split = .fraction(0.8)                 // or .time(date)
            options.k = 10
            options.types = [.boughtBought, .mostPurchased, .recommendedForYou, .moreLikeThis]
            options.sample = 2_000; options.seed = 7       // deterministic: SplitMix64
            let session = try Evaluator(source: store, options: options).prepare()
            let report = try session.run()                 // rows: type, metrics, baseline, queries, seconds
            let grid = try session.grid()                  // EvaluationGrid.standard
            try EvaluationHTML.document(report, grid: grid).write(toFile: "report.html", atomically: true, encoding: .utf8)

            #expect(report.rows.contains { $0.type == .boughtBought })
            #expect(!grid.rows.isEmpty)
            #expect(try String(contentsOfFile: "report.html", encoding: .utf8).contains("<html"))
        }
    }

    @Test func pageExamples() throws {
        let directory = try TemporaryDirectory()
        try DocumentationSetup.importLuma(into: directory.path("shop.sqlite"))
        do {
            let store = try CrosslinkStore(path: directory.path("shop.sqlite"))
            try EventStore(store: store).append(DocumentationSetup.browsingLog())
            try store.write { db in _ = try UnitRepository(db).importFile(try UnitFile.parse(DocumentationSetup.units, file: "units.json")) }
        }
        try inDirectory(directory) {
            let store = try CrosslinkStore(path: "shop.sqlite")
            let page = try store.resolvePage(.product("24-MB01"), visitor: "v-7")
            for unit in page.units {
                for product in unit.products { print(unit.name, product.sku, product.reason) }
            }
            #expect(page.units.map(\.name) == ["Up-sells", "Also viewed"])
            #expect(page.units[0].products.first?.sku == "24-MB02")

            do {
                let page = try store.resolvePage(.product("24-MB01"), visitor: "v-7",
                                                 options: PageOptions(cart: ["24-UG01"]))   // also .home, .category(id), .cart([…]), .confirmation([…])
                for unit in page.units {
                    print(unit.name, unit.unitID, unit.variant)          // send unit_id and variant back in the unit events
                    for p in unit.products { print(p.sku, p.isBackup ? "backup (\(p.source))" : "primary", p.reason) }
                }
                #expect(page.units.allSatisfy { unit in unit.products.allSatisfy { $0.sku != "24-UG01" } })
            }
        }
    }

    @Test func metricsExamples() throws {
        let directory = try TemporaryDirectory()
        do {
            let store = try CrosslinkStore(path: directory.path("crosslink.sqlite"))
            let time = ISO8601DateFormatter().date(from: "2024-05-02T10:00:00Z")!
            try EventStore(store: store).append([
                Event(id: "r-1", type: .recsUnitRender, time: time, visitorID: "v1", sessionID: "s1", unitID: "7", variant: "B"),
                Event(id: "c-1", type: .recsItemClick, time: time + 22, visitorID: "v1", sessionID: "s1", sku: "MH01", unitID: "7", variant: "B"),
            ])
        }
        try inDirectory(directory) {
            let store = try CrosslinkStore(path: "crosslink.sqlite")
            let rows = try store.read { db in
                try UnitMetrics(db).rows(UnitMetricsQuery(by: [.unit, .variant], from: "2024-05-01", to: "2024-05-31", store: "default"))
            }
            for row in rows { print(row.unitName ?? row.unitID!, row.variant!, row.impressions, row.ctr ?? 0, row.revenue) }
            let week = try store.read { db in try UnitMetrics(db).rows(UnitMetricsQuery(by: [.day], from: "2024-05-01", to: "2024-05-07")) }
            let total = try store.read { db in try UnitMetrics(db).totals(UnitMetricsQuery(unitID: "7")) }

            let report = try store.read { db in try UnitMetricsReport(db, query: UnitMetricsQuery(store: "default")) }
            try report.html().write(toFile: "report.html", atomically: true, encoding: .utf8)

            #expect(rows.count == 1 && rows[0].variant == "B" && rows[0].ctr == 1)
            #expect(week.map(\.impressions) == [1])
            #expect(total.clicks == 1)
            #expect(FileManager.default.fileExists(atPath: "report.html"))
        }
    }
}

/// What the examples assume exists before they run: the Luma catalog, a browsing log, units.
enum DocumentationSetup {
    /// Magento's Luma sample imported into a new store at `path`.
    static func importLuma(into path: String) throws {
        let store = try CrosslinkStore(path: path)
        _ = try MagentoSampleImporter(store: store).importSample(at: Fixtures.magentoSample)
    }

    /// The Luma catalog as Magento's product CSV.
    static func exportLumaCatalog(to url: URL) throws {
        let scratch = try TemporaryDirectory()
        try importLuma(into: scratch.path("luma.sqlite"))
        try MagentoCSVExporter(store: try CrosslinkStore(path: scratch.path("luma.sqlite"))).export(to: url)
    }

    /// 20 days of sessions over six Luma bags: two views each, an order of both in every other
    /// session; visitor v-42 comes back every day, to look.
    static func browsingLog() -> [Event] {
        let bags = ["24-MB01", "24-WB04", "24-MB04", "24-UG01", "24-MB02", "24-WB07"]
        let start = ISO8601DateFormatter().date(from: "2024-05-01T00:00:00Z")!
        var events: [Event] = []
        for day in 0..<20 {
            for k in 0..<6 {
                let session = "s-\(day)-\(k)", visitor = k == 1 ? "v-42" : "v-\(day % 5)-\(k)"
                let first = bags[(day + k) % bags.count], second = bags[(day + 2 * k + 1) % bags.count]
                let time = start.addingTimeInterval(Double(day * 86_400 + k * 3_600))
                events.append(Event(id: "\(session)-1", type: .productView, time: time, visitorID: visitor, sessionID: session, sku: first))
                events.append(Event(id: "\(session)-2", type: .productView, time: time + 60, visitorID: visitor, sessionID: session, sku: second))
                if k % 2 == 0 {
                    events.append(Event(id: "\(session)-3", type: .placeOrder, time: time + 120, visitorID: visitor, sessionID: session,
                                        orderID: "o-\(session)",
                                        lines: [OrderLine(sku: first, quantity: 1, price: 30), OrderLine(sku: second, quantity: 1, price: 40)]))
                }
            }
        }
        return events
    }

    static let units = """
        {"units": [
          {"name": "Up-sells", "page_type": "product", "placement": "top", "position": 1, "status": "active", "type": "upsell", "count": 4},
          {"name": "Also viewed", "page_type": "product", "position": 1, "status": "active", "type": "viewed-viewed", "count": 4}
        ]}
        """

    /// The first ```LANGUAGE block of a documentation file of the package.
    static func firstBlock(language: String, in file: String) throws -> String {
        let text = try String(contentsOf: Fixtures.packageRoot.appending(path: file), encoding: .utf8)
        guard let block = DocumentationBlocks.blocks(in: text, file: file).first(where: { $0.language == language }) else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "\(file): no ```\(language) block"])
        }
        return block.code
    }
}

private let currentDirectoryLock = NSLock()

/// Runs `body` with `directory` as the process's current directory (examples name files
/// relative to it); one at a time, and no other test reads the current directory.
func inDirectory(_ directory: TemporaryDirectory, _ body: () throws -> Void) throws {
    currentDirectoryLock.lock()
    defer { currentDirectoryLock.unlock() }
    let previous = FileManager.default.currentDirectoryPath
    guard FileManager.default.changeCurrentDirectoryPath(directory.url.path) else {
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: directory.url.path])
    }
    defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
    try body()
}
