import Foundation
import Testing
@testable import Crosslink

/// No injection: random texts made of quotes, NULs, SQL keywords and comments, LIKE wildcards,
/// parameter markers, separators and tricky Unicode, used as SKUs, names, attribute codes and
/// values, category names (and event and rule fields, in their suites' sections below) are stored
/// and returned byte for byte and never change what a query means. Seeded: a failure reproduces.
@Suite struct ReliabilityInjectionTests {
    static let pieces = [
        "'", "\"", "\0", ";", "--", "/*", "*/", "DROP TABLE products;", "' OR '1'='1", "\" OR 1=1 --", "%", "_", "\\",
        "(", ")", "NULL", "SELECT * FROM products", "?", "?1", ":sku", "@x", "$1", ",", "|", "=", "/", "\n", "\r\n", "\t",
        " ", "é", "e\u{301}", "\"\u{322}", "🙂", "\u{202E}", "\u{FEFF}", "[x]", "`", "x", "Ω", "__EMPTY__", "0x41", "1e9",
    ]

    /// 1…`maximum` pieces; `allowed` filters the pieces a field can hold.
    /// The schema: a hostile text that changed a query's meaning could have changed it.
    static func schema(_ db: Database) throws -> [[DatabaseValue]] {
        try db.rows("SELECT type, name, sql FROM sqlite_schema ORDER BY name")
    }

    /// A new store in `dir` holding the Luma sample.
    static func sampleStore(_ dir: TemporaryDirectory, name: String = "test.sqlite") throws -> CrosslinkStore {
        let store = try makeStore(dir, name: name)
        _ = try MagentoSampleImporter(store: store).importSample()
        return store
    }

    static func hostile(_ random: inout SplitMix64, maximum: Int = 6, allowed: (String) -> Bool = { _ in true }) -> String {
        let usable = pieces.filter(allowed)
        return (0..<(1 + Int(random.next() % UInt64(maximum)))).map { _ in usable[Int(random.next() % UInt64(usable.count))] }.joined()
    }

    /// SQLite's NOCASE folds ASCII letters only; SKUs equal under it are one product.
    static func skuKey(_ sku: String) -> [UInt8] { sku.utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 } }

    static func bytes(_ text: String?) -> [UInt8]? { text.map { Array($0.utf8) } }

    // MARK: Library API

    @Test(arguments: [1, 2, 3] as [UInt64])
    func catalogTextsRoundTripVerbatim(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        let schemaBefore = try store.read { db in try Self.schema(db) }

        struct Item { var sku: String; var name: String; var code: String; var values: [String]; var category: String }
        var items: [Item] = []
        var keys = Set<[UInt8]>()
        while items.count < 60 {
            let sku = Self.hostile(&random)
            // A SKU has a non-blank character, at most 64 characters and no NUL (skuWithNULIsRefusedClearly).
            guard !sku.trimmingCharacters(in: .whitespaces).isEmpty, sku.unicodeScalars.count <= 64, !sku.utf8.contains(0),
                  keys.insert(Self.skuKey(sku)).inserted else { continue }
            let category = Self.hostile(&random) { $0.trimmingCharacters(in: .whitespacesAndNewlines) == $0 }
            items.append(Item(sku: sku, name: Self.hostile(&random, maximum: 12), code: "c" + Self.hostile(&random),
                              values: (0..<(1 + Int(random.next() % 3))).map { _ in Self.hostile(&random) },
                              category: category))
        }
        try store.write { db in
            for item in items {
                let id = try ProductRepository(db).upsert(Product(sku: item.sku, name: item.name, price: 5))
                try StoreRepository(db).assign(productID: id, websiteIDs: [1])
                try AttributeRepository(db).set(productID: id, code: item.code, values: item.values)
                let categoryID = try CategoryRepository(db).ensure(path: ["Default Category", item.category])
                try CategoryRepository(db).assign(productID: id, categoryID: categoryID)
            }
            // Each product links to the next three, positions 3, 2, 1 (so order is by position, not insertion).
            for (index, item) in items.enumerated() {
                let targets = (1...3).map { items[(index + $0) % items.count].sku }
                try LinkRepository(db).replace(sku: item.sku, type: .related, with: targets.enumerated().map {
                    ProductLink(sku: $0.element, position: 3 - $0.offset)
                })
            }
        }

        try store.read { db in
            #expect(try ProductRepository(db).count() == items.count)
            for (index, item) in items.enumerated() {
                let product = try #require(try ProductRepository(db).product(sku: item.sku), "SKU \(String(reflecting: item.sku))")
                #expect(Self.bytes(product.sku) == Self.bytes(item.sku))
                #expect(Self.bytes(product.name) == Self.bytes(item.name))
                let values = try AttributeRepository(db).values(productID: product.id!)
                #expect(values.map { Self.bytes($0.code) } == [Self.bytes(item.code)])
                #expect(values.first?.values.map { Self.bytes($0) } == item.values.map { Self.bytes($0) })
                let categories = try CategoryRepository(db).categories(productID: product.id!)
                #expect(categories.map { Self.bytes($0.name) } == [Self.bytes(item.category)])
                let expected = (1...3).reversed().map { items[(index + $0) % items.count].sku }
                #expect(try LinkRepository(db).links(sku: item.sku, type: .related).map { Self.bytes($0.sku) } == expected.map { Self.bytes($0) })
                #expect(try Placements(db).related(for: item.sku).map { Self.bytes($0.sku) } == expected.map { Self.bytes($0) })
            }
            // Texts that would match more than themselves in SQL find exactly themselves, or nothing.
            for probe in ["%", "_", "' OR '1'='1", "*", "?", "NULL", "", "x%"] {
                let stored = try ProductRepository(db).id(sku: probe).flatMap { try ProductRepository(db).product(id: $0)?.sku }
                #expect(stored.map(Self.skuKey) == items.first(where: { Self.skuKey($0.sku) == Self.skuKey(probe) }).map { Self.skuKey($0.sku) })
            }
            #expect(try Self.schema(db) == schemaBefore)
        }
        #expect(try sqlite3Rows(store.path, "PRAGMA integrity_check") == [["ok"]])
    }

    /// NUL is the one character a SKU cannot hold (SQLite's `length()` in the schema's CHECK
    /// stops at it, so "\0ABC" measured 0): refused by name, like any other bad SKU.
    @Test func skuWithNULIsRefusedClearly() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        for sku in ["\0ABC", "AB\0C"] {
            let error = #expect(throws: InputError.self) {
                try store.write { db in _ = try ProductRepository(db).upsert(Product(sku: sku, name: "n")) }
            }
            #expect(error == .invalidValue(field: "sku", value: sku, reason: "must not contain NUL"))
        }
        let csv = "sku,product_type,attribute_set_code,name\nAB\0C,simple,Default,N\n"
        let issue = #expect(throws: InputError.self) { try MagentoCSVImporter(store: store).importData(Data(csv.utf8), file: "nul.csv") }
        #expect(issue?.description == "nul.csv:2: column sku: SKU \"AB\\0C\" must not contain NUL")
        // 64 characters is the limit however they are encoded: "é" as e + U+0301 counts two.
        let decomposed = String(repeating: "e\u{301}", count: 33)
        let long = #expect(throws: InputError.self) {
            try store.write { db in _ = try ProductRepository(db).upsert(Product(sku: decomposed, name: "n")) }
        }
        #expect(long == .invalidValue(field: "sku", value: decomposed, reason: "is longer than 64 characters"))
        #expect(try store.read { db in try ProductRepository(db).count() } == 0)
    }

    /// A category named "A/B" and the path A → B are different categories (Magento writes the
    /// first `A\/B`); before `name_path` escaped the slash, the second silently reused the first.
    @Test func slashInACategoryNameIsNotAPathSeparator() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        try store.write { db in
            let categories = CategoryRepository(db)
            let named = try categories.ensure(path: ["Default Category", "A/B"])
            let nested = try categories.ensure(path: ["Default Category", "A", "B"])
            #expect(named != nested)
            #expect(try categories.category(id: named)?.name == "A/B")
            #expect(try categories.category(id: named)?.namePath == "Default Category/A\\/B")
            #expect(try categories.category(id: nested)?.namePath == "Default Category/A/B")
            #expect(try categories.category(id: nested)?.level == 2)
        }
        // The same through Magento's CSV syntax.
        let csv = #"""
            sku,product_type,attribute_set_code,name,categories
            one,simple,Default,One,"Default Category/X\/Y"
            two,simple,Default,Two,"Default Category/X/Y"

            """#
        _ = try MagentoCSVImporter(store: store).importData(Data(csv.utf8), file: "slash.csv")
        let paths = try store.read { db in
            try ["one", "two"].map { sku in
                try CategoryRepository(db).categories(productID: try ProductRepository(db).requireID(sku: sku)).map(\.namePath)
            }
        }
        #expect(paths == [["Default Category/X\\/Y"], ["Default Category/X/Y"]])
    }

    // MARK: Import and export

    @Test(arguments: [11, 12] as [UInt64])
    func importedTextsRoundTripVerbatimThroughExport(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        // What the CSV syntax itself gives meaning to is left out of each field: list separators in
        // SKUs, surrounding blanks (cells are trimmed), the clear marker, and in attribute codes `=`/`,`.
        func cell(maximum: Int = 6, excluding: [String] = []) -> String {
            while true {
                let text = Self.hostile(&random, maximum: maximum) { piece in !excluding.contains { piece.utf8.contains($0.utf8.first!) } }
                if MagentoFields.trimmed(text) == text && !text.isEmpty && text != MagentoFields.emptyValueMarker { return text }
            }
        }
        var rows: [[String]] = []
        var keys = Set<[UInt8]>()
        var skus: [String] = []
        while skus.count < 40 {
            let sku = cell(excluding: [",", "\0"])
            if sku.unicodeScalars.count <= 64 && keys.insert(Self.skuKey(sku)).inserted { skus.append(sku) }
        }
        var expected: [(sku: String, name: String, code: String, value: String, category: String)] = []
        for (index, sku) in skus.enumerated() {
            let name = cell(maximum: 10)
            let code = "a" + cell(excluding: ["=", ",", "|"]).lowercased()
            let value = cell(excluding: ["|"])
            let category = cell(excluding: [",", "/", "\\"])
            let related = (1...2).map { skus[(index + $0) % skus.count] }
            rows.append([sku, "simple", "Default", name, "Default Category/" + category,
                         MagentoFields.formatAdditionalAttributes([(code: code, value: value)]), related.joined(separator: ",")])
            expected.append((sku, name, code, value, category))
        }
        let csv = CSVWriter.line(["sku", "product_type", "attribute_set_code", "name", "categories", "additional_attributes", "related_skus"])
            + rows.map(CSVWriter.line).joined()
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        _ = try MagentoCSVImporter(store: store).importData(Data(csv.utf8), file: "hostile.csv")
        try store.read { db in
            #expect(try ProductRepository(db).count() == skus.count)
            for (index, item) in expected.enumerated() {
                let product = try #require(try ProductRepository(db).product(sku: item.sku))
                #expect(Self.bytes(product.name) == Self.bytes(item.name))
                let values = try AttributeRepository(db).values(productID: product.id!)
                #expect(values.map { Self.bytes($0.code) } == [Self.bytes(item.code)])
                #expect(values.first?.values.map { Self.bytes($0) } == [Self.bytes(item.value)])
                #expect(try CategoryRepository(db).categories(productID: product.id!).map { Self.bytes($0.name) } == [Self.bytes(item.category)])
                #expect(try LinkRepository(db).links(sku: item.sku, type: .related).map { Self.bytes($0.sku) }
                        == (1...2).map { Self.bytes(skus[(index + $0) % skus.count]) })
            }
        }
        // Export → import into an empty database → export: the same bytes.
        let exported = try MagentoCSVExporter(store: store).export()
        let copy = try makeStore(dir, name: "copy.sqlite")
        _ = try MagentoCSVImporter(store: copy).importData(Data(exported.utf8), file: "exported.csv")
        #expect(try MagentoCSVExporter(store: copy).export() == exported)
    }

    // MARK: Rules

    /// Rule names and condition values are data: stored and exported byte for byte, and a value
    /// matches only itself (`%`, `_`, quotes and `OR '1'='1` select nothing they do not equal).
    /// A hostile attribute name is refused as unknown; nothing else changes.
    @Test(arguments: [31, 32] as [UInt64])
    func ruleTextsAreLiteral(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let dir = try TemporaryDirectory()
        let store = try Self.sampleStore(dir)
        let schemaBefore = try store.read { db in try Self.schema(db) }
        var names = Set<String>()
        var rules: [Rule] = []
        while rules.count < 12 {
            let name = Self.hostile(&random) { $0 != "\0" }
            guard !name.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, names.insert(name).inserted else { continue }
            // "⟨" is in no sample name or SKU: these values can only match literally, so nothing.
            let values: [RuleConstant] = (0..<3).map { _ in .string("⟨" + Self.hostile(&random)) }
            rules.append(Rule(name: name, appliesTo: .upsell, priority: rules.count + 1, limit: 5,
                              match: .all([.condition("category", .equal, "Gear/Bags")]),
                              display: .any([.condition("name", .equal, .constant(values[0])),
                                             .condition("sku", .isOneOf, .constant(.list(Array(values[1...])))),
                                             .condition("name", .contains, .constant(values[2]))])))
        }
        // One rule whose list holds one real SKU among wildcard and injection texts; no sample
        // name contains "%" or "_", which would match everything as LIKE patterns.
        rules.append(Rule(name: "literal SKUs", appliesTo: .upsell, priority: 99, limit: 5,
                          match: .all([.condition("category", .equal, "Gear/Bags")]),
                          display: .any([.condition("sku", .isOneOf, .constant(.list(["%", "_", "24-MB02' OR '1'='1", "*", "24-MB02"]))),
                                         .condition("name", .contains, "%"), .condition("name", .contains, "_"),
                                         .condition("name", .equal, "' OR '1'='1")])))
        try store.write { db in
            for rule in rules { try RuleRepository(db).add(rule) }
            try BlockSettingsRepository(db).set(BlockSettings(block: .upsell, displayMode: .rulesOnly, maxProducts: 20), store: "default")
            _ = try RuleCache(db).rebuild()
        }
        try store.read { db in
            for rule in rules {
                let stored = try #require(try RuleRepository(db).rule(named: rule.name), "rule \(String(reflecting: rule.name))")
                #expect(Self.bytes(stored.name) == Self.bytes(rule.name))
                #expect(stored.display == rule.display)
            }
            // Only the rule results that equal a value: 24-MB02 (and products named exactly one of the random texts: none).
            let upsells = try Placements(db).upsells(for: "24-MB01", seed: 1)
            #expect(upsells.map(\.sku) == ["24-MB02"], "\(upsells.map { ($0.sku, $0.reason.description) })")
            #expect(upsells.first?.reason.description == "rule \"literal SKUs\"")
        }
        let error = #expect(throws: InputError.self) {
            try store.write { db in
                try RuleRepository(db).add(Rule(name: "hostile attribute", appliesTo: .related,
                                                display: .all([.condition("price; DROP TABLE products; --", .greater, 1)])))
            }
        }
        #expect(error?.description.contains("unknown attribute") == true, "\(String(describing: error))")
        // Export → import into another store: the same rules.
        let exported = try store.read { db in try RuleRepository(db).exportFile() }
        let copy = try Self.sampleStore(dir, name: "copy.sqlite")
        try copy.write { db in _ = try RuleRepository(db).importFile(text: exported, file: "exported.json") }
        #expect(try copy.read { db in try RuleRepository(db).exportFile() } == exported)
        #expect(try store.read { db in try Self.schema(db) } == schemaBefore)
        #expect(try store.read { db in try ProductRepository(db).count() } == 2_046)
    }

    // MARK: Events

    /// Event ids, visitor, customer and session ids, SKUs, categories, order and unit ids are
    /// stored as sent and come back byte for byte; an id differing only in case or by a NUL is
    /// another event, a repeated one is a duplicate.
    @Test(arguments: [41, 42] as [UInt64])
    func eventTextsRoundTripVerbatim(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let dir = try TemporaryDirectory()
        let store = try Self.sampleStore(dir)
        func text() -> String {
            while true {
                let candidate = Self.hostile(&random)
                if !candidate.utf8.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) { return candidate }
            }
        }
        var ids = Set<String>()
        var events: [Event] = []
        let time = Date(timeIntervalSince1970: 1_700_000_000)
        while events.count < 80 {
            let id = text()
            guard ids.insert(id).inserted else { continue }
            let at = time.addingTimeInterval(Double(events.count))
            switch events.count % 4 {
            case 0:
                events.append(Event(id: id, type: .productView, time: at, visitorID: text(), customerID: text(), sessionID: text(),
                                    sku: events.count % 8 == 0 ? "24-MB01" : text()))
            case 1:
                events.append(Event(id: id, type: .categoryView, time: at, visitorID: text(), sessionID: text(), category: text()))
            case 2:
                events.append(Event(id: id, type: .placeOrder, time: at, visitorID: text(), sessionID: text(), orderID: text(),
                                    lines: [OrderLine(sku: text(), parentSKU: text(), quantity: 1, price: 2),
                                            OrderLine(sku: "MH01", quantity: 2, price: 3)]))
            default:
                events.append(Event(id: id, type: .recsItemClick, time: at, visitorID: text(), sessionID: text(), sku: text(), unitID: text()))
            }
        }
        let report = try EventStore(store: store).append(events)
        #expect(report.stored == events.count)
        #expect(try EventStore(store: store).append(Array(events.prefix(5))).duplicates == 5)
        let stored = try EventStore(store: store).events()
        #expect(stored.count == events.count)
        for (sent, back) in zip(events, stored) where sent != back {
            Issue.record("sent \(sent)\nstored \(back)")
            break
        }
        #expect(try sqlite3Rows(store.path, "PRAGMA integrity_check") == [["ok"]])
    }

    // MARK: Units

    /// Unit names, labels, variant names and filter values are data: stored, read, exported and
    /// resolved byte for byte, and a filter value matches only itself — the page means the same
    /// as with plain texts. Expectations from the sample's upsell.csv (24-MB01 → 24-MB02, 24-MB03,
    /// 24-MB05, 24-MB06, 24-UB02, 24-WB03, 24-WB04, 24-WB07) and its `activity` column: Travel is
    /// an activity of 24-MB03, 24-MB05, 24-MB06, 24-UB02 and 24-WB07 only.
    @Test(arguments: [51, 52] as [UInt64])
    func unitTextsAreLiteral(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let dir = try TemporaryDirectory()
        let store = try Self.sampleStore(dir)
        let schemaBefore = try store.read { db in try Self.schema(db) }
        var names = Set<String>()
        func name() -> String {
            while true {
                let candidate = Self.hostile(&random) { $0 != "\0" }
                if names.insert(candidate).inserted { return candidate }
            }
        }
        func variantName(_ taken: String?) -> String {
            while true {
                let candidate = Self.hostile(&random, maximum: 3) { $0 != "\0" && $0.unicodeScalars.count <= 10 }
                if candidate != taken { return candidate }
            }
        }
        // "⟨" is in no sample value: these values can only match literally, so nothing.
        func values() -> [String] { (0..<3).map { _ in "⟨" + Self.hostile(&random) } }
        let travel = RecommendationUnit(name: name(), label: Self.hostile(&random, maximum: 12), pageType: .product, placement: .top,
                                        status: .active, variants: [UnitVariant(type: .block(.upsell), productCount: 8, filters:
                                            UnitFilters(include: [.attribute(code: "activity", values: values() + ["Travel"])]))])
        let rest = RecommendationUnit(name: name(), label: Self.hostile(&random, maximum: 12), pageType: .product, status: .active,
                                      variants: [UnitVariant(type: .block(.upsell), productCount: 8, filters:
                                          UnitFilters(exclude: [.attribute(code: "pattern", values: values())]))])
        let a = variantName(nil)
        let experiment = RecommendationUnit(name: name(), label: Self.hostile(&random), pageType: .home, status: .draft, variants: [
            UnitVariant(variant: a, traffic: 50, type: .recommendation(.mostViewed)),
            UnitVariant(variant: variantName(a), traffic: 50, type: .recommendation(.trending),
                        filters: UnitFilters(exclude: [.attribute(code: "color", values: values())]))])
        let units = [travel, rest, experiment]
        let ids = try store.write { db in try units.map { try UnitRepository(db).save($0) } }

        try store.read { db in
            for (id, unit) in zip(ids, units) {
                var expected = unit
                expected.id = id
                expected.variants.sort { $0.variant < $1.variant }
                let stored = try #require(try UnitRepository(db).unit(name: unit.name), "unit \(String(reflecting: unit.name))")
                #expect(stored == expected)
                #expect(Self.bytes(stored.name) == Self.bytes(unit.name))
                #expect(Self.bytes(stored.label) == Self.bytes(unit.label))
            }
        }
        let page = try store.resolvePage(.product("24-MB01"))
        #expect(page.units.map { Self.bytes($0.name) } == [travel, rest].map { Self.bytes($0.name) })
        #expect(page.units.map { Self.bytes($0.label) } == [travel, rest].map { Self.bytes($0.label) })
        #expect(page.units.map { $0.products.map(\.sku) } == [["24-MB03", "24-MB05", "24-MB06", "24-UB02", "24-WB07"],
                                                              ["24-MB02", "24-WB03", "24-WB04"]])

        // A hostile SKU in a filter is an unknown SKU, quoted in the message; nothing is stored.
        let hostileSKU = "24-MB02' OR '1'='1"
        let error = #expect(throws: InputError.self) {
            try store.write { db in
                try UnitRepository(db).save(RecommendationUnit(name: name(), pageType: .product, variants: [
                    UnitVariant(type: .block(.related), filters: UnitFilters(include: [.products(["24-MB02", hostileSKU])]))]))
            }
        }
        #expect(error?.description.contains("unknown SKU \"24-MB02' OR '1'='1\"") == true, "\(String(describing: error))")
        #expect(try store.read { db in try UnitRepository(db).units().count } == 3)

        // Export → import into another store: the same units, the same text.
        let exported = UnitFile.export(try store.read { db in try UnitRepository(db).units() })
        let copy = try Self.sampleStore(dir, name: "copy.sqlite")
        try copy.write { db in _ = try UnitRepository(db).importFile(try UnitFile.parse(exported, file: "exported.json")) }
        #expect(UnitFile.export(try copy.read { db in try UnitRepository(db).units() }) == exported)
        #expect(try store.read { db in try Self.schema(db) } == schemaBefore)
        #expect(try store.read { db in try ProductRepository(db).count() } == 2_046)
    }

    /// A NUL in a unit or variant name is refused clearly (a name is typed on command lines, which
    /// cannot carry one); lengths count characters as SQLite does (Unicode scalars), so a name of
    /// 255 combining sequences is refused by the validator, not by the table's CHECK.
    @Test func unitNamesWithNULOrTooManyScalarsAreRefusedClearly() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        let nul = #expect(throws: InputError.self) {
            try store.write { db in try UnitRepository(db).save(RecommendationUnit(name: "a\0b", pageType: .home,
                                                                                    variants: [UnitVariant(type: .recommendation(.mostViewed))])) }
        }
        #expect(nul?.description == "unit \"a\\u0000b\": name: must not contain NUL", "\(String(describing: nul))")
        let long = String(repeating: "e\u{301}", count: 200)  // 200 characters, 400 Unicode scalars
        let tooLong = #expect(throws: InputError.self) {
            try store.write { db in try UnitRepository(db).save(RecommendationUnit(name: long, pageType: .home,
                                                                                    variants: [UnitVariant(type: .recommendation(.mostViewed))])) }
        }
        #expect(tooLong?.description.hasSuffix("name: must be 1 to 255 characters (Unicode scalars), found 400") == true)
        let variant = #expect(throws: InputError.self) {
            try store.write { db in try UnitRepository(db).save(RecommendationUnit(name: "v", pageType: .home, variants: [
                UnitVariant(variant: "\0", traffic: 50, type: .recommendation(.mostViewed)),
                UnitVariant(variant: "B", traffic: 50, type: .recommendation(.trending))])) }
        }
        #expect(variant?.description == "unit \"v\": variants[0].variant: must not contain NUL", "\(String(describing: variant))")
        #expect(try store.read { db in try db.scalarInt("SELECT count(*) FROM units") } == 0)
    }
}
