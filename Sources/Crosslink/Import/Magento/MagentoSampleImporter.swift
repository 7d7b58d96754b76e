import Foundation

/// Imports Magento's sample-data fixtures — the Luma catalog of magento2-sample-data — with
/// its categories, attribute definitions, products, parent/child products and manual links,
/// in one transaction.
///
/// ```swift
/// let store = try CrosslinkStore(path: "crosslink.sqlite")
/// let sample = URL(fileURLWithPath: "Sources/crosslink/SampleData/magento-sample")  // in a Crosslink checkout
/// let report = try MagentoSampleImporter(store: store).importSample(at: sample)
/// print(report.productsCreated, report.links["related"] ?? 0)
/// for warning in report.warnings { print(warning) }   // e.g. links to SKUs the sample lacks
/// ```
///
/// The folder is laid out as `<Module>/…` (the copy the `crosslink` CLI ships for `crosslink demo`) or as
/// magento2-sample-data's own `<Module>/fixtures/…`. The files read, in this order:
///
/// | files | format |
/// |---|---|
/// | `{Catalog,Configurable,Downloadable}SampleData/attributes.csv` | attribute definitions: `attribute_code`, `frontend_input`, `frontend_label` |
/// | `{Catalog,Configurable,Downloadable}SampleData/categories.csv` | `name`, `path` (parent names joined by `/`), `url_key`, `active`, `position` |
/// | `CatalogSampleData/SimpleProduct/products_*.csv` (the five files Magento's installer names), `BundleSampleData/yoga_bundle.csv`, `GroupedProductSampleData/yoga_grouped.csv`, `DownloadableSampleData/products_training_video_download.csv` | one product per row; the type comes from the file |
/// | `ConfigurableSampleData/products.csv` | Magento's product import format, read by ``MagentoCSVImporter`` inside the same transaction |
/// | `ProductLinksSampleData/*.csv`, `ConfigurableSampleData/Links/*.csv`, `BundleSampleData/Links/*.csv`, `GroupedProductSampleData/Link/*.csv`, `DownloadableSampleData/Links/*.csv` | `sku`, `linked_sku` (newline-separated list); the type is the file name |
///
/// Magento's installers load only the ProductLinks and Configurable link files; the Bundle,
/// Grouped and Downloadable ones sit unused in its repository although they describe real
/// relations of those products, so they are loaded too. `CatalogSampleData/Links/*` is a
/// byte-identical copy of `ProductLinksSampleData/*` and is skipped.
///
/// Sample-format product rows: every product goes to website `base`, enabled and in stock,
/// with `qty` 100 unless the row gives one, visibility "Catalog, Search" unless a
/// `visibility` column says otherwise (`1`…`4` or Magento's labels); SKUs and names are kept
/// verbatim; an empty `price` (bundle, grouped) stays empty. Columns named like a defined
/// attribute become custom attributes (a multiselect cell is a newline-separated list, a
/// boolean is stored as `1`/`0`); other columns (`description`, `url_key`, the downloadable
/// link titles, …) are not stored. `category` names categories one per line, as Magento's
/// installer reads it: each name is looked up among the children of the previous one, and
/// after a leaf the walk restarts at the top (`Gear`, `Bags`, `Collections`, `Erin Recommends`
/// puts the product in Gear, Gear/Bags, Collections and Collections/Erin Recommends). Unlike
/// Magento, a name that is not a child of the current category is also looked up at the top
/// level, and a name found nowhere is reported instead of silently dropped.
/// `bundle_options` lines (`Title|radio:sku1,sku2`) and `associated_sku` (`sku1,sku2`) become
/// children, bundle children with their option title.
///
/// What is reported as a warning (``ImportReport/warnings``, with file, line and column) and
/// skipped, never fatal: a link, child or category naming something that does not exist,
/// a duplicate target within a link list (the first is kept), a self-link, a file missing
/// from the folder. A link's position is its 1-based index in its `linked_sku` list.
/// A malformed file or cell (bad CSV, wrong column count, a non-numeric price) throws an
/// ``InputError`` naming the file (relative to the folder), line and column, and nothing is
/// written. With ``ImportOptions/dryRun`` everything is validated and rolled back.
/// Importing the same folder again updates in place and leaves the same catalog.
public struct MagentoSampleImporter {
    public let store: CrosslinkStore
    public let options: ImportOptions

    public init(store: CrosslinkStore, options: ImportOptions = ImportOptions()) {
        self.store = store
        self.options = options
    }

    /// Imports the whole sample in `directory` (catalog, categories, attributes, children, links) in one transaction.
    public func importSample(at directory: URL) throws -> ImportReport {
        let started = ContinuousClock.now
        // Every file is parsed before the write lock is taken: a malformed file fails here.
        let (tables, missing) = try Self.load(directory, limits: options.csvLimits)
        let importer = self
        return try options.transaction(store) { db in
            var session = Session(importer: importer, db: db, started: started)
            session.report.warnings = missing
            try session.run(tables)
            return session.report
        }
    }

    // MARK: - Files

    enum Content: Equatable {
        case attributes, categories, products(ProductType), productCSV, links(LinkType)
    }

    /// Magento's own file list (its installers name their files; nothing is globbed).
    static let manifest: [(path: String, content: Content)] = [
        ("CatalogSampleData/attributes.csv", .attributes),
        ("ConfigurableSampleData/attributes.csv", .attributes),
        ("DownloadableSampleData/attributes.csv", .attributes),
        ("CatalogSampleData/categories.csv", .categories),
        ("ConfigurableSampleData/categories.csv", .categories),
        ("DownloadableSampleData/categories.csv", .categories),
        ("CatalogSampleData/SimpleProduct/products_gear_bags.csv", .products(.simple)),
        ("CatalogSampleData/SimpleProduct/products_gear_fitness_equipment.csv", .products(.simple)),
        ("CatalogSampleData/SimpleProduct/products_gear_fitness_equipment_ball.csv", .products(.simple)),
        ("CatalogSampleData/SimpleProduct/products_gear_fitness_equipment_strap.csv", .products(.simple)),
        ("CatalogSampleData/SimpleProduct/products_gear_watches.csv", .products(.simple)),
        ("ConfigurableSampleData/products.csv", .productCSV),
        ("BundleSampleData/yoga_bundle.csv", .products(.bundle)),
        ("GroupedProductSampleData/yoga_grouped.csv", .products(.grouped)),
        ("DownloadableSampleData/products_training_video_download.csv", .products(.downloadable)),
        ("ProductLinksSampleData/related.csv", .links(.related)),
        ("ProductLinksSampleData/upsell.csv", .links(.upsell)),
        ("ProductLinksSampleData/crosssell.csv", .links(.crosssell)),
        ("ConfigurableSampleData/Links/related.csv", .links(.related)),
        ("ConfigurableSampleData/Links/upsell.csv", .links(.upsell)),
        ("ConfigurableSampleData/Links/crosssell.csv", .links(.crosssell)),
        ("BundleSampleData/Links/related.csv", .links(.related)),
        ("BundleSampleData/Links/crosssell.csv", .links(.crosssell)),
        ("GroupedProductSampleData/Link/related.csv", .links(.related)),
        ("GroupedProductSampleData/Link/crosssell.csv", .links(.crosssell)),
        ("DownloadableSampleData/Links/related.csv", .links(.related)),
        ("DownloadableSampleData/Links/crosssell.csv", .links(.crosssell)),
    ]

    struct Table {
        var content: Content
        var table: CSVTable
    }

    /// Parses every file of the manifest found in `directory`; missing files become warnings.
    static func load(_ directory: URL, limits: CSVLimits = CSVLimits()) throws -> ([Table], [InputError]) {
        var tables: [Table] = []
        var missing: [InputError] = []
        for entry in manifest {
            guard let (url, name) = locate(entry.path, in: directory) else {
                missing.append(InputError(file: entry.path, line: 0, field: nil,
                                          message: "not found in \(directory.path); skipped"))
                continue
            }
            let data: Data
            do {
                data = try Data(contentsOf: url)
            } catch {
                throw InputError(file: name, line: 0, message: "cannot read the file: \(error.localizedDescription)")
            }
            let reader = CSVReader(data: data, file: name, limits: limits)
            do {
                tables.append(Table(content: entry.content, table: try CSVTable(reader: reader)))
            } catch let error as InputError {
                throw error.naming(header: CSVReader.headerNames(reader))
            }
        }
        guard tables.contains(where: { if case .products = $0.content { true } else { $0.content == .productCSV } }) else {
            throw InputError(file: directory.path, line: 0, field: nil,
                             message: "not a Magento sample-data folder: none of its product files is there")
        }
        return (tables, missing)
    }

    /// `Module/rest` at `directory/Module/rest` or, in magento2-sample-data's layout, `directory/Module/fixtures/rest`.
    static func locate(_ path: String, in directory: URL) -> (URL, String)? {
        let fileManager = FileManager.default
        let direct = directory.appending(path: path)
        if fileManager.fileExists(atPath: direct.path) { return (direct, path) }
        guard let slash = path.firstIndex(of: "/") else { return nil }
        let nested = String(path[..<slash]) + "/fixtures" + String(path[slash...])
        let url = directory.appending(path: nested)
        return fileManager.fileExists(atPath: url.path) ? (url, nested) : nil
    }

}

// MARK: - Import session

extension MagentoSampleImporter {
    /// One import inside one transaction.
    struct Session {
        let importer: MagentoSampleImporter
        let db: Database
        let started: ContinuousClock.Instant
        var report = ImportReport()
        var attributeTypes: [String: AttributeType] = [:]
        /// Attribute sets named by the attributes files (the sets Magento's sample installer creates).
        var attributeSets = Set<String>()
        /// Category tree by parent id → child name → id (first child of that name wins).
        var categoryChildren: [Int: [String: Int]] = [:]
        var categoryNames: [Int: String] = [:]
        /// Product ids by ``key(_:)`` of their SKU.
        var productIDs: [String: Int] = [:]
        var pendingChildren: [PendingChildren] = []
        var pendingLinks: [LinkKey: PendingLinks] = [:]
        var linkOrder: [LinkKey] = []

        struct PendingChildren {
            var file: String
            var line: Int
            var column: String
            var parentID: Int
            var parentSKU: String
            var children: [(sku: String, optionTitle: String?)]
        }

        struct LinkKey: Hashable {
            var type: LinkType
            var productID: Int
        }

        struct PendingLinks {
            var targets: [(id: Int, position: Int)] = []
            var seen: Set<Int> = []
            var nextPosition = 1
        }

        init(importer: MagentoSampleImporter, db: Database, started: ContinuousClock.Instant) {
            self.importer = importer
            self.db = db
            self.started = started
            report.dryRun = importer.options.dryRun
        }

        mutating func run(_ tables: [Table]) throws {
            let categoriesBefore = try db.scalarInt("SELECT count(*) FROM categories") ?? 0
            for definitions in try AttributeRepository(db).definitions() { attributeTypes[definitions.code] = definitions.type }
            var treeLoaded = false
            var productsDone = false
            for entry in tables {
                let table = entry.table
                // The product-CSV importer's report, merged in, names its own file and rows.
                if entry.content != .productCSV {
                    report.files.append(table.file)
                    report.rows += table.rows.count
                }
                switch entry.content {
                case .attributes:
                    try importAttributes(table)
                case .categories:
                    try importCategories(table)
                case .products(let type):
                    if !treeLoaded { try loadCategoryTree(); treeLoaded = true }
                    try importProducts(table, type: type)
                case .productCSV:
                    try importProductCSV(table)
                case .links(let type):
                    if !productsDone { try finishProducts(); productsDone = true }
                    try importLinks(table, type: type)
                }
                progress(file: table.file)
            }
            if !productsDone { try finishProducts() }
            try writeLinks()
            report.categoriesCreated = (try db.scalarInt("SELECT count(*) FROM categories") ?? 0) - categoriesBefore
        }

        func progress(file: String) {
            guard let progress = importer.options.progress else { return }
            let elapsed = ContinuousClock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            progress(ImportProgress(file: file, rows: report.rows, rowsPerSecond: seconds > 0 ? Double(report.rows) / seconds : 0))
        }

        // MARK: Attributes

        mutating func importAttributes(_ table: CSVTable) throws {
            try Self.require(["attribute_code", "frontend_input"], in: table)
            let repository = AttributeRepository(db)
            for row in table.rows {
                try Self.guarded(table, row) {
                    let code = try Self.required(table, row, "attribute_code", ifEmpty: "empty attribute code")
                    let input = table.value(row, "frontend_input")!.trimmingCharacters(in: .whitespaces)
                    var type = Self.attributeType(frontendInput: input)
                    if type == nil {
                        report.warnings.append(InputError(file: table.file, line: row.line, field: "frontend_input",
                                                          message: "unknown frontend_input \(String(reflecting: input)) of \(code); stored as text"))
                        type = .text
                    }
                    // "Style Bags\nStyle": Magento's admin label, then the store-front label; the first is the attribute's own.
                    let label = table.value(row, "frontend_label").flatMap { MagentoFields.splitList($0, separator: "\n").first }
                    try repository.define(code: code, type: type!, label: label)
                    attributeTypes[code] = type
                    // The sets the sample's installer creates; products.csv names them.
                    if let sets = table.value(row, "attribute_set") {
                        attributeSets.formUnion(MagentoFields.splitList(sets, separator: "\n"))
                    }
                }
            }
        }

        static func attributeType(frontendInput: String) -> AttributeType? {
            switch frontendInput.lowercased() {
            case "select", "swatch_visual", "swatch_text": .select
            case "multiselect": .multiselect
            case "boolean": .boolean
            case "text", "textarea", "texteditor", "pagebuilder": .text
            case "price", "weight": .number
            case "date", "datetime": .date
            default: nil
            }
        }

        // MARK: Categories

        mutating func importCategories(_ table: CSVTable) throws {
            try Self.require(["name", "path"], in: table)
            let categories = CategoryRepository(db)
            for row in table.rows {
                try Self.guarded(table, row) {
                    let name = try Self.required(table, row, "name", ifEmpty: "empty category name")
                    let parents = table.value(row, "path")!.split(separator: "/")
                        .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                    var position: Int?
                    if let cell = Self.nonEmpty(table.value(row, "position")) {
                        guard let value = Int(cell) else {
                            throw InputError(file: table.file, line: row.line, field: "position",
                                             message: "position \(String(reflecting: cell)) is not an integer")
                        }
                        position = value
                    }
                    let id = try categories.ensure(path: parents + [name], urlKey: Self.nonEmpty(table.value(row, "url_key")), position: position)
                    if let cell = Self.nonEmpty(table.value(row, "active")) {
                        guard let active = MagentoFields.parseBool(cell) else {
                            throw InputError(file: table.file, line: row.line, field: "active",
                                             message: "active \(String(reflecting: cell)) is not 0 or 1")
                        }
                        try db.execute("UPDATE categories SET active = ? WHERE category_id = ?", [active, id])
                    }
                }
            }
        }

        mutating func loadCategoryTree() throws {
            categoryChildren = [:]
            categoryNames = [:]
            try db.prepare("SELECT category_id, parent_id, name FROM categories ORDER BY level, position, category_id").forEachRow { row in
                let id = row.int(at: 0)
                categoryNames[id] = row.text(at: 2)
                guard let parent = row.optionalInt(at: 1) else { return }
                if categoryChildren[parent, default: [:]][row.text(at: 2)] == nil {
                    categoryChildren[parent, default: [:]][row.text(at: 2)] = id
                }
            }
        }

        /// Magento's walk over a newline-separated `category` cell (see the type's documentation).
        mutating func categoryIDs(_ cell: String, file: String, line: Int) -> [Int] {
            let root = CategoryRepository.rootID
            var node = root
            var ids: [Int] = []
            for name in MagentoFields.splitList(cell, separator: "\n") {
                guard let id = categoryChildren[node]?[name] ?? (node == root ? nil : categoryChildren[root]?[name]) else {
                    let context = node == root ? "at the top level" : "under \(String(reflecting: categoryNames[node] ?? "")) or at the top level"
                    report.warnings.append(InputError(file: file, line: line, field: "category",
                                                      message: "no category \(String(reflecting: name)) \(context); ignored"))
                    continue
                }
                if !ids.contains(id) { ids.append(id) }
                node = categoryChildren[id]?.isEmpty == false ? id : root
            }
            return ids
        }

        // MARK: Products

        /// Columns of a sample-format product file that are product fields, not custom attributes.
        static let productColumns: Set<String> = [
            "sku", "name", "price", "special_price", "qty", "visibility", "attribute_set", "category",
            "bundle_options", "associated_sku",
        ]

        mutating func importProducts(_ table: CSVTable, type: ProductType) throws {
            try Self.require(["sku", "name"], in: table)
            let websiteID = try StoreRepository(db).ensureWebsite(code: "base", name: "Main Website")
            let attributeColumns = table.header.compactMap { column in
                Self.productColumns.contains(column) ? nil : attributeTypes[column].map { (code: column, type: $0) }
            }
            for row in table.rows {
                try Self.guarded(table, row) {
                    try importProduct(table, row, type: type, websiteID: websiteID, attributeColumns: attributeColumns)
                }
            }
        }

        mutating func importProduct(_ table: CSVTable, _ row: CSVRecord, type: ProductType, websiteID: Int,
                                    attributeColumns: [(code: String, type: AttributeType)]) throws {
            let products = ProductRepository(db)
            let attributes = AttributeRepository(db)
            let categories = CategoryRepository(db)
            _ = try Self.required(table, row, "sku", ifEmpty: "empty SKU")
            let sku = table.value(row, "sku")!  // stored as written: only blank SKUs are refused
            var product = Product(sku: sku, name: table.value(row, "name")!, type: type,
                                  attributeSet: Self.nonEmpty(table.value(row, "attribute_set")) ?? "Default",
                                  enabled: true, visibility: .catalogAndSearch, qty: 100, inStock: true)
            product.price = try Self.decimal(table, row, "price")
            product.specialPrice = try Self.decimal(table, row, "special_price")
            if let qty = try Self.decimal(table, row, "qty") { product.qty = qty }
            if let cell = Self.nonEmpty(table.value(row, "visibility")) {
                guard let code = MagentoFields.parseVisibility(cell), let visibility = Visibility(rawValue: code) else {
                    throw InputError(file: table.file, line: row.line, field: "visibility",
                                     message: "unknown visibility \(String(reflecting: cell))")
                }
                product.visibility = visibility
            }
            let existed = try products.id(sku: sku) != nil
            let id = try products.upsert(product)
            if existed { report.productsUpdated += 1 } else { report.productsCreated += 1 }
            try StoreRepository(db).assign(productID: id, websiteIDs: [websiteID])

            let categoryIDs = categoryIDs(table.value(row, "category") ?? "", file: table.file, line: row.line)
            try db.execute("DELETE FROM product_categories WHERE product_id = \(id) AND category_id NOT IN \(list: categoryIDs)")
            for categoryID in categoryIDs { try categories.assign(productID: id, categoryID: categoryID) }

            for column in attributeColumns {
                let values = try attributeValues(table, row, column.code, column.type)
                try attributes.set(productID: id, code: column.code, values: values)
            }

            if type == .bundle, let cell = Self.nonEmpty(table.value(row, "bundle_options")) {
                var children: [(sku: String, optionTitle: String?)] = []
                for line in MagentoFields.splitList(cell, separator: "\n") {
                    guard let option = Self.parseBundleOption(line) else {
                        report.warnings.append(InputError(file: table.file, line: row.line, field: "bundle_options",
                                                          message: "bundle option \(String(reflecting: line)) of \(sku) is not `Title|type:sku,sku`; skipped"))
                        continue
                    }
                    children += option.skus.map { (sku: $0, optionTitle: option.title) }
                }
                pendingChildren.append(PendingChildren(file: table.file, line: row.line, column: "bundle_options",
                                                       parentID: id, parentSKU: sku, children: children))
            }
            if type == .grouped, let cell = table.value(row, "associated_sku") {
                pendingChildren.append(PendingChildren(file: table.file, line: row.line, column: "associated_sku", parentID: id, parentSKU: sku,
                                                       children: MagentoFields.splitList(cell).map { (sku: $0, optionTitle: nil) }))
            }
        }

        /// The stored values of one attribute cell: a multiselect is a newline-separated list,
        /// a boolean `1`/`0`, anything else the trimmed cell; an empty cell removes the attribute.
        mutating func attributeValues(_ table: CSVTable, _ row: CSVRecord, _ code: String, _ type: AttributeType) throws -> [String] {
            let cell = table.value(row, code) ?? ""
            switch type {
            case .multiselect:
                return MagentoFields.splitList(cell, separator: "\n")
            case .boolean:
                guard let text = Self.nonEmpty(cell) else { return [] }
                guard let value = MagentoFields.parseBool(text) else {
                    throw InputError(file: table.file, line: row.line, field: code,
                                     message: "\(code) \(String(reflecting: text)) is not a boolean (0 or 1)")
                }
                return [value ? "1" : "0"]
            default:
                let lines = MagentoFields.splitList(cell, separator: "\n")
                if lines.count > 1 {
                    report.warnings.append(InputError(file: table.file, line: row.line, field: code,
                                                      message: "\(code) holds one value but the cell lists \(lines.count); kept \(String(reflecting: lines[0]))"))
                }
                return lines.isEmpty ? [] : [lines[0]]
            }
        }

        /// `Sprite Stasis Ball|radio:24-WG081-blue,24-WG082-blue` → title and SKUs (Magento's bundle converter syntax).
        static func parseBundleOption(_ line: String) -> (title: String, skus: [String])? {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let head = line[..<colon]
            let title = String(head[..<(head.firstIndex(of: "|") ?? head.endIndex)]).trimmingCharacters(in: .whitespaces)
            let skus = MagentoFields.splitList(String(line[line.index(after: colon)...]))
            guard !title.isEmpty, !skus.isEmpty else { return nil }
            return (title, skus)
        }

        /// `ConfigurableSampleData/products.csv` is Magento's product import format: the product-CSV
        /// importer reads it, inside this transaction.
        mutating func importProductCSV(_ table: CSVTable) throws {
            var options = importer.options
            options.progress = nil
            options.attributeSets.formUnion(attributeSets)
            try MagentoCSVImporter(store: importer.store, options: options).importTable(table, in: db, report: &report)
        }

        /// Resolves the bundle and grouped children, once every product file is in.
        mutating func finishProducts() throws {
            try loadProductIDs()
            let children = ChildRepository(db)
            for pending in pendingChildren {
                var resolved: [(id: Int, optionTitle: String?)] = []
                for child in pending.children {
                    guard let id = productIDs[Self.key(child.sku)] else {
                        report.warnings.append(InputError(file: pending.file, line: pending.line, field: pending.column,
                                                          message: "unknown SKU \(String(reflecting: child.sku)) (child of \(pending.parentSKU)); skipped"))
                        continue
                    }
                    guard id != pending.parentID else {
                        report.warnings.append(InputError(file: pending.file, line: pending.line, field: pending.column,
                                                          message: "\(pending.parentSKU) lists itself as a child; skipped"))
                        continue
                    }
                    resolved.append((id: id, optionTitle: child.optionTitle))
                }
                try children.setChildren(parentID: pending.parentID, children: resolved)
            }
            pendingChildren = []
        }

        /// SKUs compare like the schema's `COLLATE NOCASE`, which folds ASCII letters only.
        static func key(_ sku: String) -> String {
            guard sku.utf8.contains(where: { $0 >= 65 && $0 <= 90 }) else { return sku }
            return String(decoding: sku.utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
        }

        mutating func loadProductIDs() throws {
            productIDs = [:]
            try db.prepare("SELECT sku, product_id FROM products").forEachRow { row in
                productIDs[Self.key(row.text(at: 0))] = row.int(at: 1)
            }
        }

        // MARK: Links

        mutating func importLinks(_ table: CSVTable, type: LinkType) throws {
            try Self.require(["sku", "linked_sku"], in: table)
            for row in table.rows {
                let sku = table.value(row, "sku")!.trimmingCharacters(in: .whitespaces)
                let targets = MagentoFields.splitList(table.value(row, "linked_sku")!, separator: "\n")
                guard let productID = productIDs[Self.key(sku)] else {
                    report.warnings.append(InputError(file: table.file, line: row.line, field: "sku",
                                                      message: "unknown SKU \(String(reflecting: sku)); its \(targets.count) \(type.rawValue) link(s) are skipped"))
                    continue
                }
                let key = LinkKey(type: type, productID: productID)
                if pendingLinks[key] == nil { linkOrder.append(key) }
                var links = pendingLinks[key] ?? PendingLinks()
                for target in targets {
                    let position = links.nextPosition
                    links.nextPosition += 1
                    guard let targetID = productIDs[Self.key(target)] else {
                        report.warnings.append(InputError(file: table.file, line: row.line, field: "linked_sku",
                                                          message: "unknown SKU \(String(reflecting: target)) (\(type.rawValue) link of \(sku)); skipped"))
                        continue
                    }
                    guard targetID != productID else {
                        report.warnings.append(InputError(file: table.file, line: row.line, field: "linked_sku",
                                                          message: "\(sku) links to itself (\(type.rawValue)); skipped"))
                        continue
                    }
                    guard links.seen.insert(targetID).inserted else {
                        report.warnings.append(InputError(file: table.file, line: row.line, field: "linked_sku",
                                                          message: "\(sku) lists \(target) twice as a \(type.rawValue) link; the first is kept"))
                        continue
                    }
                    links.targets.append((id: targetID, position: position))
                }
                pendingLinks[key] = links
            }
        }

        /// Each source's list of each type replaces what it had, so a second import changes nothing.
        mutating func writeLinks() throws {
            let repository = LinkRepository(db)
            for key in linkOrder {
                let targets = pendingLinks[key]!.targets
                try repository.replace(productID: key.productID, type: key.type, targets: targets)
                report.links[key.type.rawValue, default: 0] += targets.count
            }
        }

        // MARK: Cells

        static func require(_ columns: [String], in table: CSVTable) throws {
            for column in columns where table.index(of: column) == nil {
                throw InputError(file: table.file, line: 1, field: column, message: "missing column \(String(reflecting: column))")
            }
        }

        /// The cell of a column ``require(_:in:)`` checked, trimmed; blank is an error naming the row.
        static func required(_ table: CSVTable, _ row: CSVRecord, _ column: String, ifEmpty message: String) throws -> String {
            let text = table.value(row, column)!.trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty else { throw InputError(file: table.file, line: row.line, field: column, message: message) }
            return text
        }

        static func nonEmpty(_ cell: String?) -> String? {
            guard let text = cell?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
            return text
        }

        /// A decimal cell; nil when the column is absent or the cell empty.
        static func decimal(_ table: CSVTable, _ row: CSVRecord, _ column: String) throws -> Double? {
            guard let cell = nonEmpty(table.value(row, column)) else { return nil }
            guard let value = MagentoFields.parseDecimal(cell) else {
                throw InputError(file: table.file, line: row.line, field: column,
                                 message: "\(column) \(String(reflecting: cell)) is not a number")
            }
            return value
        }

        /// Runs one row's work, naming the row in repository and SQLite errors.
        static func guarded(_ table: CSVTable, _ row: CSVRecord, _ body: () throws -> Void) throws {
            do {
                try body()
            } catch let error as InputError where error.location == nil {
                throw InputError(file: table.file, line: row.line, message: error.description)
            } catch let error as RequestError {
                throw InputError(file: table.file, line: row.line, message: error.description)
            } catch let error as DatabaseError {
                throw InputError(file: table.file, line: row.line, message: error.description)
            }
        }
    }
}
