import Foundation
import Synchronization
import Testing
@testable import Crosslink

/// The whole Magento sample imported through `MagentoSampleImporter`.
///
/// Expected values come from the files (counted with Python's `csv` module), the sample's
/// README and spec §2 — never from the importer's output. The link counts: the README's pairs
/// (related 509, upsell 325, crosssell 736) minus the links of the six unknown source SKUs of
/// ProductLinksSampleData/related.csv (6 × 4 related), the unknown target 24-WG082 of
/// BundleSampleData/Links/crosssell.csv (1 crosssell) and the within-row duplicates of
/// DownloadableSampleData/Links (1 related, 2 crosssell): related 484, upsell 325, crosssell 733.
@Suite struct MagentoSampleImportTests {
    struct Imported: Sendable {
        var store: CrosslinkStore
        var report: ImportReport
    }

    /// One import shared by the tests that only read it.
    static let shared = Result { try importFresh() }

    static func importFresh(from directory: URL = Fixtures.magentoSample, options: ImportOptions = ImportOptions()) throws -> Imported {
        let store = try makeStore(try TemporaryDirectory())
        let report = try MagentoSampleImporter(store: store, options: options).importSample(at: directory)
        return Imported(store: store, report: report)
    }

    func sample() throws -> Imported { try Self.shared.get() }

    static let sampleFileCount = 27

    // MARK: Counts

    @Test func countsMatchTheFiles() throws {
        let (store, report) = (try sample().store, try sample().report)
        #expect(report.productsCreated == 2046)
        #expect(report.productsUpdated == 0)
        // 34 distinct category paths in the three categories.csv (Collections and its Yoga child appear twice).
        #expect(report.categoriesCreated == 34)
        #expect(report.links == ["related": 484, "upsell": 325, "crosssell": 733])
        #expect(report.files.count == Self.sampleFileCount)
        #expect(report.files.first == "CatalogSampleData/attributes.csv")
        #expect(!report.files.contains { $0.hasPrefix("CatalogSampleData/Links/") })
        // Data rows of the 27 files, header excluded.
        #expect(report.rows == 2472)
        #expect(!report.dryRun)
        try store.read { db throws in
            #expect(try ProductRepository(db).count() == 2046)
            let types: [(ProductType, Int)] = [(.configurable, 147), (.simple, 1847 + 44), (.downloadable, 6), (.bundle, 1), (.grouped, 1), (.virtual, 0)]
            for (type, count) in types {
                #expect(try db.scalarInt("SELECT count(*) FROM products WHERE type = ?", [type.rawValue]) == count, "\(type)")
            }
            // 147 configurable + 32 simple gear + 6 downloadable + 1 bundle + 1 grouped.
            #expect(try db.scalarInt("SELECT count(*) FROM products WHERE visibility IN (2, 4)") == 187)
            #expect(try db.scalarInt("SELECT count(*) FROM displayable_products WHERE store = 'default'") == 187)
            #expect(try db.scalarInt("SELECT count(*) FROM product_websites WHERE website_id = 1") == 2046)
            #expect(try db.scalarInt("SELECT count(*) FROM products WHERE enabled = 1 AND in_stock = 1") == 2046)
            #expect(try db.scalarInt("SELECT count(*) FROM categories") == 35)
            for type in LinkType.allCases {
                #expect(try LinkRepository(db).count(type: type) == report.links[type.rawValue])
            }
        }
    }

    @Test func attributeDefinitionsComeFromTheThreeFiles() throws {
        let store = try sample().store
        let definitions = try store.read { db throws in
            Dictionary(try AttributeRepository(db).definitions().map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        }
        // 14 + 8 + 1 rows; material and size are defined twice with the same input.
        let expected: [(String, AttributeType, String)] = [
            ("activity", .multiselect, "Activity"), ("style_bags", .multiselect, "Style Bags"), ("material", .multiselect, "Material"),
            ("color", .select, "Color"), ("strap_bags", .multiselect, "Strap/Handle"), ("features_bags", .multiselect, "Features"),
            ("gender", .multiselect, "Gender"), ("category_gear", .multiselect, "Category Gear"), ("size", .select, "Size"),
            ("eco_collection", .boolean, "Eco Collection"), ("performance_fabric", .boolean, "Performance Fabric"),
            ("erin_recommends", .boolean, "Erin Recommends"), ("new", .boolean, "New"), ("sale", .boolean, "Sale"),
            ("style_bottom", .multiselect, "Style Bottom"), ("style_general", .multiselect, "Style General"),
            ("sleeve", .multiselect, "Sleeve"), ("collar", .multiselect, "Collar"), ("pattern", .multiselect, "Pattern"),
            ("climate", .multiselect, "Climate"), ("format", .select, "Format"),
        ]
        for (code, type, label) in expected {
            #expect(definitions[code]?.type == type, "\(code)")
            #expect(definitions[code]?.label == label, "\(code)")
        }
    }

    @Test func categoriesAreCreatedUnderTheRoot() throws {
        let store = try sample().store
        try store.read { db throws in
            let categories = CategoryRepository(db)
            let gear = try #require(try categories.category(namePath: "Default Category/Gear"))
            #expect(gear.parentID == 1 && gear.level == 1 && gear.position == 4)
            #expect(try db.scalarText("SELECT url_key FROM categories WHERE category_id = ?", [gear.id]) == "gear")
            let jackets = try #require(try categories.category(namePath: "Default Category/Women/Tops/Jackets"))
            #expect(jackets.level == 3)
            #expect(try db.scalarText("SELECT url_key FROM categories WHERE category_id = ?", [jackets.id]) == "jackets-women")
            #expect(try categories.category(namePath: "Default Category/Training/Video Download") != nil)
            // Collections and Promotions are inactive (active = 0 in the files); Gear is active.
            #expect(try db.scalarInt("SELECT active FROM categories WHERE name_path = 'Default Category/Collections'") == 0)
            #expect(try db.scalarInt("SELECT active FROM categories WHERE name_path = 'Default Category/Promotions'") == 0)
            #expect(try db.scalarInt("SELECT active FROM categories WHERE name_path = 'Default Category/Gear'") == 1)
        }
    }

    // MARK: Warnings

    @Test func danglingSKUsAreWarningsWithFileLineAndSKU() throws {
        let report = try sample().report
        // Lines where each record starts (python: csv.reader line_num of the previous record + 1).
        let dangling: [(file: String, line: Int, column: String, sku: String)] = [
            ("ProductLinksSampleData/related.csv", 62, "sku", "241-MB06"),
            ("ProductLinksSampleData/related.csv", 66, "sku", "241-MB08"),
            ("ProductLinksSampleData/related.csv", 70, "sku", "241-MB12"),
            ("ProductLinksSampleData/related.csv", 74, "sku", "242-MB06"),
            ("ProductLinksSampleData/related.csv", 78, "sku", "242-MB12"),
            ("ProductLinksSampleData/related.csv", 82, "sku", "243-MB06"),
            ("BundleSampleData/Links/crosssell.csv", 2, "linked_sku", "24-WG082"),
        ]
        let unknown = report.warnings.filter { $0.message.contains("unknown SKU") }
        #expect(unknown.count == dangling.count)
        for expected in dangling {
            #expect(unknown.contains {
                $0.file == expected.file && $0.line == expected.line && $0.column == expected.column
                    && $0.message.contains("\"\(expected.sku)\"")
            }, "\(expected)")
        }
        let duplicates: [(file: String, line: Int, sku: String)] = [
            ("DownloadableSampleData/Links/related.csv", 22, "240-LV09"),
            ("DownloadableSampleData/Links/crosssell.csv", 6, "240-LV05"),
            ("DownloadableSampleData/Links/crosssell.csv", 14, "240-LV07"),
        ]
        let twice = report.warnings.filter { $0.message.contains("twice") }
        #expect(twice.count == duplicates.count)
        for expected in duplicates {
            #expect(twice.contains {
                $0.file == expected.file && $0.line == expected.line && $0.column == "linked_sku"
                    && $0.message.contains(expected.sku) && $0.message.contains("24-UG06")
            }, "\(expected)")
        }
        // 24-UG05's category cell names "Erin Recommends New", which no categories.csv defines.
        let category = report.warnings.filter { $0.column == "category" }
        #expect(category.count == 1)
        #expect(category.first?.file == "CatalogSampleData/SimpleProduct/products_gear_fitness_equipment.csv")
        #expect(category.first?.line == 51)
        #expect(category.first?.message.contains("\"Erin Recommends New\"") == true)
        // Nothing else from the sample-format files (the product CSV importer reports its own file).
        let ours = report.warnings.filter { $0.file != "ConfigurableSampleData/products.csv" }
        #expect(ours.count == dangling.count + duplicates.count + 1)
    }

    // MARK: Hand-checked products

    @Test func joustDuffleBag() throws {
        let store = try sample().store
        try store.read { db throws in
            let product = try #require(try ProductRepository(db).product(sku: "24-MB01"))
            #expect(product.name == "Joust Duffle Bag")
            #expect(product.type == .simple && product.attributeSet == "Bag")
            #expect(product.price == 34 && product.specialPrice == nil && product.qty == 100)
            #expect(product.visibility == .catalogAndSearch && product.enabled && product.inStock)
            let id = try #require(product.id)
            #expect(try StoreRepository(db).websiteCodes(productID: id) == ["base"])
            // "Gear\nBags": Magento's installer puts the product in both.
            #expect(try CategoryRepository(db).categories(productID: id).map(\.namePath)
                    == ["Default Category/Gear", "Default Category/Gear/Bags"])
            // Booleans left empty (eco_collection, new, sale, …) are not stored.
            #expect(try AttributeRepository(db).values(productID: id) == [
                AttributeValue(code: "activity", values: ["Gym", "Travel", "Trail", "Overnight"]),
                AttributeValue(code: "features_bags", values: ["Waterproof", "TSA Approved", "Lockable"]),
                AttributeValue(code: "material", values: ["Nylon", "Polyester"]),
                AttributeValue(code: "pattern", values: ["Solid"]),
                AttributeValue(code: "strap_bags", values: ["Adjustable", "Cross Body", "Detachable", "Double", "Padded", "Shoulder"]),
                AttributeValue(code: "style_bags", values: ["Luggage", "Duffel", "Exercise"]),
            ])
            let links = LinkRepository(db)
            // 24-MB01 is a source in ProductLinksSampleData/upsell.csv and crosssell.csv only.
            #expect(try links.links(sku: "24-MB01", type: .related).isEmpty)
            #expect(try links.links(sku: "24-MB01", type: .upsell).map(\.sku)
                    == ["24-MB02", "24-MB03", "24-MB05", "24-MB06", "24-UB02", "24-WB03", "24-WB04", "24-WB07"])
            #expect(try links.links(sku: "24-MB01", type: .upsell).map(\.position) == Array(1...8))
            #expect(try links.links(sku: "24-MB01", type: .crosssell)
                    == [.init(sku: "24-WG086", position: 1), .init(sku: "24-WG083-blue", position: 2),
                        .init(sku: "24-UG01", position: 3), .init(sku: "24-WG085_Group", position: 4)])
        }
    }

    @Test func otherSampleFormatProducts() throws {
        let store = try sample().store
        try store.read { db throws in
            let products = ProductRepository(db)
            // Trailing blank kept: names are verbatim.
            #expect(try products.product(sku: "24-UG06")?.name == "Affirm Water Bottle ")
            let mb04 = try #require(try products.product(sku: "24-MB04"))
            #expect(mb04.specialPrice == 32 && mb04.price == 32)
            let attributes = try AttributeRepository(db).values(productID: mb04.id!)
            #expect(attributes.first { $0.code == "erin_recommends" }?.values == ["1"])
            #expect(attributes.first { $0.code == "sale" }?.values == ["1"])
            #expect(attributes.first { $0.code == "new" } == nil)
            // "Gear\nBags\nCollections\nErin Recommends": after the leaf Bags the walk restarts at the top.
            #expect(try CategoryRepository(db).categories(productID: mb04.id!).map(\.namePath) == [
                "Default Category/Collections", "Default Category/Collections/Erin Recommends",
                "Default Category/Gear", "Default Category/Gear/Bags",
            ])
            let ug05 = try #require(try products.product(sku: "24-UG05"))
            #expect(try CategoryRepository(db).categories(productID: ug05.id!).map(\.namePath) == [
                "Default Category/Collections", "Default Category/Collections/Erin Recommends",
                "Default Category/Collections/New Luma Yoga Collection", "Default Category/Gear",
                "Default Category/Gear/Fitness Equipment", "Default Category/Promotions",
            ])
            // Empty lines inside a multiselect cell ("\nMetal\nRubber\nSilicone") are dropped.
            let mg01 = try #require(try products.id(sku: "24-MG01"))
            #expect(try AttributeRepository(db).values(productID: mg01).first { $0.code == "material" }?.values == ["Metal", "Rubber", "Silicone"])
            // visibility = 1 in products_gear_fitness_equipment_ball.csv; select attributes hold one value.
            let pink = try #require(try products.product(sku: "24-WG082-pink"))
            #expect(pink.visibility == .notVisibleIndividually && pink.attributeSet == "Sprite Stasis Ball")
            let pinkAttributes = try AttributeRepository(db).values(productID: pink.id!)
            #expect(pinkAttributes.first { $0.code == "size" }?.values == ["65 cm"])
            #expect(pinkAttributes.first { $0.code == "color" }?.values == ["Red"])
            // Downloadable: no qty column → 100; format is a defined select.
            let video = try #require(try products.product(sku: "240-LV04"))
            #expect(video.type == .downloadable && video.name == "Beginner's Yoga" && video.price == 6 && video.qty == 100)
            #expect(try AttributeRepository(db).values(productID: video.id!).first { $0.code == "format" }?.values == ["Download"])
            #expect(try CategoryRepository(db).categories(productID: video.id!).map(\.namePath)
                    == ["Default Category/Training", "Default Category/Training/Video Download"])
        }
    }

    @Test func bundleAndGroupedChildren() throws {
        let store = try sample().store
        try store.read { db throws in
            let products = ProductRepository(db)
            let bundle = try #require(try products.product(sku: "24-WG080"))
            #expect(bundle.type == .bundle && bundle.name == "Sprite Yoga Companion Kit" && bundle.price == nil)
            #expect(try ChildRepository(db).children(parentID: bundle.id!) == [
                .init(sku: "24-WG081-blue", position: 0, optionTitle: "Sprite Stasis Ball"),
                .init(sku: "24-WG082-blue", position: 1, optionTitle: "Sprite Stasis Ball"),
                .init(sku: "24-WG083-blue", position: 2, optionTitle: "Sprite Stasis Ball"),
                .init(sku: "24-WG084", position: 3, optionTitle: "Sprite Foam Yoga Brick"),
                .init(sku: "24-WG085", position: 4, optionTitle: "Sprite Yoga Strap"),
                .init(sku: "24-WG086", position: 5, optionTitle: "Sprite Yoga Strap"),
                .init(sku: "24-WG087", position: 6, optionTitle: "Sprite Yoga Strap"),
                .init(sku: "24-WG088", position: 7, optionTitle: "Sprite Foam Roller"),
            ])
            let grouped = try #require(try products.product(sku: "24-WG085_Group"))
            #expect(grouped.type == .grouped && grouped.name == "Set of Sprite Yoga Straps" && grouped.price == nil)
            #expect(try ChildRepository(db).children(parentID: grouped.id!).map(\.sku) == ["24-WG085", "24-WG086", "24-WG087"])
            // Bundle and grouped links come from their own Links files.
            #expect(try LinkRepository(db).links(sku: "24-WG080", type: .related).map(\.sku)
                    == ["24-UG07", "24-WG081-gray", "24-UG06", "24-WG085"])
            #expect(try LinkRepository(db).links(sku: "24-WG080", type: .crosssell).map(\.sku) == ["24-UG06", "24-UG07", "24-UG01"])
        }
    }

    @Test func linkPositionsAreListIndexesAndDuplicatesKeepTheFirst() throws {
        let store = try sample().store
        try store.read { db throws in
            let links = LinkRepository(db)
            #expect(try links.links(sku: "24-UG01", type: .related) == [
                .init(sku: "24-WG086", position: 1), .init(sku: "24-UG04", position: 2),
                .init(sku: "24-WG082-pink", position: 3), .init(sku: "24-UG05", position: 4),
            ])
            // "24-UG06\n24-UG04\n24-UG06\n24-WG088": the second 24-UG06 (index 3) is dropped.
            #expect(try links.links(sku: "240-LV09", type: .related) == [
                .init(sku: "24-UG06", position: 1), .init(sku: "24-UG04", position: 2), .init(sku: "24-WG088", position: 4),
            ])
            // A configurable parent's links come from ConfigurableSampleData/Links.
            #expect(try links.links(sku: "MH01", type: .related).map(\.sku) == ["MP06", "MP11", "MS06", "MS12"])
        }
    }

    // MARK: Placements on the sample (spec §2)

    @Test func productPagePlacements() throws {
        let store = try sample().store
        try store.read { db throws in
            let placements = Placements(db)
            #expect(try placements.related(for: "24-MB01").isEmpty)
            // Up-sells of 24-MB01 are all visible bags; the default limit is 4.
            #expect(try placements.upsells(for: "24-MB01").map(\.sku) == ["24-MB02", "24-MB03", "24-MB05", "24-MB06"])
            #expect(try placements.upsells(for: "24-MB01", limit: 10).map(\.sku)
                    == ["24-MB02", "24-MB03", "24-MB05", "24-MB06", "24-UB02", "24-WB03", "24-WB04", "24-WB07"])
            // Not-visible children (24-WG086, 24-WG082-pink: visibility 1) never show.
            let related = try placements.related(for: "24-UG01")
            #expect(related.map(\.sku) == ["24-UG04", "24-UG05"])
            #expect(related.map(\.reason) == [.manualLink(type: .related, sourceSKU: "24-UG01", position: 2),
                                              .manualLink(type: .related, sourceSKU: "24-UG01", position: 4)])
            #expect(try placements.related(for: "24-WG080").map(\.sku) == ["24-UG07", "24-UG06"])
            #expect(try placements.related(for: "24-WG085_Group").map(\.sku) == ["24-UG04", "24-UG06"])
            #expect(try placements.related(for: "MH01").map(\.sku) == ["MP06", "MP11", "MS06", "MS12"])
            // Items already in the cart are left out of product-page blocks too.
            #expect(try placements.upsells(for: "24-MB01", cart: ["24-MB03"]).map(\.sku) == ["24-MB02", "24-MB05", "24-MB06", "24-UB02"])
            // The dangling sources were never created, so asking for them is an unknown SKU.
            #expect(throws: RequestError.unknownSKU("241-MB06")) { try placements.related(for: "241-MB06") }
        }
    }

    @Test func cartCrossSells() throws {
        let store = try sample().store
        try store.read { db throws in
            let placements = Placements(db)
            // 24-MB01 alone: 24-WG086 and 24-WG083-blue are not visible individually.
            #expect(try placements.crossSells(cart: ["24-MB01"]).map(\.sku) == ["24-UG01", "24-WG085_Group"])
            // Last added 24-WB04: 24-UG05 (2), 24-UG02 (3), 24-UG06 (4) — 24-WG082-pink hidden;
            // then 24-MB01's: 24-UG01 (3) fills the fourth slot.
            let cart = try placements.crossSells(cart: ["24-MB01", "24-WB04"])
            #expect(cart.map(\.sku) == ["24-UG05", "24-UG02", "24-UG06", "24-UG01"])
            #expect(cart.last?.reason == .manualLink(type: .crosssell, sourceSKU: "24-MB01", position: 3))
            // Last added 24-MB01 first: 24-UG01, 24-WG085_Group; then 24-WB04's 24-UG05, 24-UG02.
            #expect(try placements.crossSells(cart: ["24-WB04", "24-MB01"]).map(\.sku) == ["24-UG01", "24-WG085_Group", "24-UG05", "24-UG02"])
            // A configurable child in the cart brings its parent's cross-sells (MH01: 24-WG081-gray hidden,
            // 24-WG085_Group, 24-WG080, 24-UG06), then 24-MB01's 24-UG01 (24-WG085_Group already shown).
            #expect(try placements.crossSells(cart: ["24-MB01", "MH01-XS-Black"]).map(\.sku)
                    == ["24-WG085_Group", "24-WG080", "24-UG06", "24-UG01"])
            // The bundle's cross-sells without the dangling 24-WG082.
            #expect(try placements.crossSells(cart: ["24-WG080"]).map(\.sku) == ["24-UG06", "24-UG07", "24-UG01"])
        }
        // The same block through the documented view, for the sqlite3 CLI.
        let viaView = try store.read { db throws in
            try db.rows("""
                SELECT linked_sku FROM displayable_links WHERE store = 'default' AND sku = '24-WB04' AND link_type = 'crosssell'
                ORDER BY position, link_id
                """).map { $0[0] }
        }
        #expect(viaView == [.text("24-UG05"), .text("24-UG02"), .text("24-UG06")])
    }

    // MARK: Transactions

    @Test func importingTwiceLeavesTheSameCatalog() throws {
        let first = try Self.importFresh()
        let before = try first.store.read { db in try Self.snapshot(db) }
        let second = try MagentoSampleImporter(store: first.store).importSample()
        #expect(second.productsCreated == 0)
        #expect(second.productsUpdated == 2046)
        #expect(second.categoriesCreated == 0)
        #expect(second.links == first.report.links)
        #expect(second.warnings == first.report.warnings)
        let after = try first.store.read { db in try Self.snapshot(db) }
        #expect(after == before)
    }

    @Test func dryRunValidatesAndWritesNothing() throws {
        var options = ImportOptions()
        options.dryRun = true
        let dry = try Self.importFresh(options: options)
        #expect(dry.report.dryRun)
        #expect(dry.report.productsCreated == 2046)
        #expect(dry.report.links == ["related": 484, "upsell": 325, "crosssell": 733])
        try dry.store.read { db throws in
            #expect(try ProductRepository(db).count() == 0)
            #expect(try db.scalarInt("SELECT count(*) FROM categories") == 1)
            #expect(try db.scalarInt("SELECT count(*) FROM attributes") == 0)
            #expect(try LinkRepository(db).count() == 0)
        }
    }

    @Test func progressIsReportedPerFile() throws {
        let seen = SampleImportProgressLog()
        var options = ImportOptions()
        options.progress = { seen.append($0) }
        options.dryRun = true
        _ = try Self.importFresh(options: options)
        let events = seen.events
        #expect(events.count == Self.sampleFileCount)
        #expect(events.last?.rows == 2472)
        #expect(events.map(\.rows) == events.map(\.rows).sorted())
    }

    @Test func malformedCSVNamesFileLineColumnAndWritesNothing() throws {
        let directory = try Self.copyOfSample()
        let file = directory.appending(path: "ProductLinksSampleData/upsell.csv")
        var text = try String(contentsOf: file, encoding: .utf8)
        if !text.hasSuffix("\n") { text += "\n" }
        let line = text.count(where: { $0 == "\n" }) + 1
        try (text + "\"24-MB01\",\"24-MB02\n").write(to: file, atomically: true, encoding: .utf8)
        let store = try makeStore(try TemporaryDirectory())
        let error = try #require(throws: InputError.self) { try MagentoSampleImporter(store: store).importSample(at: directory) }
        #expect(error.file == "ProductLinksSampleData/upsell.csv")
        #expect(error.line == line)
        #expect(error.column == "linked_sku")
        #expect(error.message.contains("unterminated"))
        #expect(try store.read { db in try ProductRepository(db).count() } == 0)

        try (text + "24-MB01,24-MB02,24-MB03\n").write(to: file, atomically: true, encoding: .utf8)
        let columns = try #require(throws: InputError.self) { try MagentoSampleImporter(store: store).importSample(at: directory) }
        #expect(columns.file == "ProductLinksSampleData/upsell.csv" && columns.line == line)
        #expect(columns.message.contains("expected 2 fields, got 3"))
    }

    @Test func badCellRollsTheWholeImportBack() throws {
        let imported = try Self.importFresh()
        let before = try imported.store.read { db in try Self.snapshot(db) }
        // A non-numeric price in the last product file: everything before it in the same
        // transaction (categories, attributes, ConfigurableSampleData/products.csv, …) is undone.
        let directory = try Self.copyOfSample()
        let relative = "DownloadableSampleData/products_training_video_download.csv"
        let file = directory.appending(path: relative)
        var records = try CSVReader(contentsOf: file).records()
        let price = try #require(records[0].fields.firstIndex(of: "price"))
        #expect(records[1].fields[2] == "240-LV04")
        records[1].fields[price] = "six"
        try records.map { CSVWriter.line($0.fields) }.joined().write(to: file, atomically: true, encoding: .utf8)

        let error = try #require(throws: InputError.self) { try MagentoSampleImporter(store: imported.store).importSample(at: directory) }
        #expect(error.file == relative && error.line == 2 && error.column == "price")
        #expect(error.message.contains("\"six\""))
        #expect(try imported.store.read { db in try Self.snapshot(db) } == before)

        let empty = try makeStore(try TemporaryDirectory())
        #expect(throws: InputError.self) { try MagentoSampleImporter(store: empty).importSample(at: directory) }
        try empty.read { db throws in
            #expect(try ProductRepository(db).count() == 0)
            #expect(try db.scalarInt("SELECT count(*) FROM categories") == 1)
            #expect(try db.scalarInt("SELECT count(*) FROM attributes") == 0)
        }
    }

    @Test func readsMagentoRepositoryLayoutAndReportsMissingFiles() throws {
        // magento2-sample-data keeps each module's files under <Module>/fixtures/.
        let sample = try Self.copyOfSample()
        let directory = try TemporaryDirectory().url
        let fileManager = FileManager.default
        for module in try fileManager.contentsOfDirectory(atPath: sample.path) where !module.hasSuffix(".txt") && !module.hasSuffix(".md") {
            try fileManager.createDirectory(at: directory.appending(path: module), withIntermediateDirectories: true)
            try fileManager.moveItem(at: sample.appending(path: module), to: directory.appending(path: "\(module)/fixtures"))
        }
        try fileManager.removeItem(at: directory.appending(path: "BundleSampleData/fixtures/Links/related.csv"))
        let imported = try Self.importFresh(from: directory)
        #expect(imported.report.files.count == Self.sampleFileCount - 1)
        #expect(imported.report.files.first == "CatalogSampleData/fixtures/attributes.csv")
        #expect(imported.report.productsCreated == 2046)
        // 24-WG080's four related links are gone with the file.
        #expect(imported.report.links == ["related": 480, "upsell": 325, "crosssell": 733])
        let missing = imported.report.warnings.filter { $0.file == "BundleSampleData/Links/related.csv" }
        #expect(missing.count == 1)
        #expect(missing.first?.message.contains("not found") == true)
        #expect(throws: InputError.self) { try MagentoSampleImporter(store: imported.store).importSample(at: sample) }
    }

    // MARK: Helpers

    /// A writable copy of the shipped sample.
    static func copyOfSample() throws -> URL {
        let url = try TemporaryDirectory().url.appending(path: "magento-sample", directoryHint: .isDirectory)
        try FileManager.default.copyItem(at: Fixtures.magentoSample, to: url)
        return url
    }

    /// The catalog's content, without the values a re-import legitimately changes
    /// (`updated_at`, and `link_id`, which a replaced list gets anew).
    static func snapshot(_ db: Database) throws -> [String: [[DatabaseValue]]] {
        let queries = [
            "products": "SELECT product_id, sku, type, attribute_set, name, enabled, visibility, price, special_price, qty, in_stock, created_at FROM products ORDER BY product_id",
            "attributes": "SELECT * FROM attributes ORDER BY attribute_id",
            "product_attributes": "SELECT * FROM product_attributes ORDER BY product_id, attribute_id, ordinal",
            "categories": "SELECT * FROM categories ORDER BY category_id",
            "product_categories": "SELECT * FROM product_categories ORDER BY category_id, product_id",
            "product_websites": "SELECT * FROM product_websites ORDER BY product_id, website_id",
            "product_children": "SELECT * FROM product_children ORDER BY parent_id, child_id",
            "product_links": "SELECT link_type_id, product_id, linked_product_id, position FROM product_links ORDER BY product_id, link_type_id, position, linked_product_id",
        ]
        return try queries.mapValues { try db.rows($0) }
    }
}

/// Collects progress callbacks, which may come from any thread.
final class SampleImportProgressLog: Sendable {
    private let storage = Mutex<[ImportProgress]>([])
    func append(_ progress: ImportProgress) { storage.withLock { $0.append(progress) } }
    var events: [ImportProgress] { storage.withLock { $0 } }
}
