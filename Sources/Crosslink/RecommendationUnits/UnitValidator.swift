/// Checks a unit against the spec's limits and the catalog before it is stored: a type not
/// allowed on the page type, a count outside 1–20, variants whose traffic does
/// not add up to 100, a filter on an unknown category, SKU or attribute, a relative filter the
/// page cannot answer, a sixth active unit on one page type of a store. Each message names the
/// unit and the path of the offending part.
///
/// ```swift
/// try UnitValidator(db).validate(unit)   // throws an InputError naming the unit and path
/// ```
public struct UnitValidator {
    let db: Database
    public init(_ db: Database) { self.db = db }

    /// At most this many active units per page type and store.
    public static let maximumActive = 5

    public func validate(_ unit: RecommendationUnit, source: UnitFile.Entry? = nil) throws {
        func fail(_ path: String, _ message: String) -> InputError {
            InputError(message, at: source?.location(of: path), subject: unit.subject, path: path)
        }
        // Lengths as SQLite counts them (Unicode scalars), so the table's CHECK never fires first.
        // No NUL: a name is typed on command lines, which cannot carry one.
        guard (1...255).contains(unit.name.unicodeScalars.count) else {
            throw fail("name", "must be 1 to 255 characters (Unicode scalars), found \(unit.name.unicodeScalars.count)")
        }
        if let problem = StoredText.problem(unit.name) { throw fail("name", problem) }
        let storeID: Int
        do { storeID = try StoreRepository(db).store(code: unit.store).id } catch let error as RequestError where error.kind == .unknownStore {
            throw fail("store", "unknown store \(RuleText.quoted(unit.store))")
        }
        guard unit.position >= 1 else { throw fail("position", "must be 1 or more, found \(unit.position)") }
        guard !unit.variants.isEmpty else { throw fail("variants", "a unit needs at least one variant") }
        let multiple = unit.variants.count > 1 || unit.variants[0].variant != "A" || unit.variants[0].traffic != 100
        var names = Set<String>()
        for (i, variant) in unit.variants.enumerated() {
            let path = multiple ? "variants[\(i)]" : ""
            func at(_ key: String) -> String { path.isEmpty ? key : path + "." + key }
            guard (1...32).contains(variant.variant.unicodeScalars.count) else {
                throw fail(at("variant"), "a variant name has 1 to 32 characters (Unicode scalars)")
            }
            guard !variant.variant.utf8.contains(0) else { throw fail(at("variant"), "must not contain NUL") }
            guard names.insert(variant.variant).inserted else { throw fail(at("variant"), "variant \(RuleText.quoted(variant.variant)) appears twice") }
            guard (0...100).contains(variant.traffic) else { throw fail(at("traffic"), "must be 0 to 100 (percent), found \(variant.traffic)") }
            guard (1...20).contains(variant.productCount) else {
                throw fail(at("count"), "number of products must be 1 to 20, found \(variant.productCount)")
            }
            let allowed = unit.pageType.allowedTypes
            guard allowed.contains(variant.type) else {
                throw fail(at("type"), "type \(variant.type) is not allowed on a \(unit.pageType.rawValue) page; allowed: "
                           + allowed.map(\.rawValue).joined(separator: ", "))
            }
            for (j, backup) in variant.backups.enumerated() where !allowed.contains(backup) {
                throw fail(at("backups") + "[\(j)]", "type \(backup) is not allowed on a \(unit.pageType.rawValue) page")
            }
            if let maximum = variant.maxPerCategory, !(1...20).contains(maximum) {
                throw fail(at("max_per_category"), "must be 1 to 20, found \(maximum)")
            }
            if let bad = variant.windows.outOfRange {
                throw fail(at("windows." + bad.name), "must be 1 to \(bad.maximum), found \(bad.value)")
            }
            for (key, conditions) in [("include", variant.filters.include), ("exclude", variant.filters.exclude)] {
                for (j, condition) in conditions.enumerated() {
                    let conditionPath = at("filters." + key) + "[\(j)]"
                    if let problem = try problem(condition, page: unit.pageType) { throw fail(conditionPath + "." + condition.key, problem) }
                }
            }
        }
        if multiple {
            let total = unit.variants.reduce(0) { $0 + $1.traffic }
            guard total == 100 else {
                throw fail("variants", "traffic must add up to 100, found " + unit.variants.map { String($0.traffic) }.joined(separator: " + ") + " = \(total)")
            }
        }
        if unit.status == .active {
            let others = try db.cachedStatement("""
                SELECT name FROM units WHERE store_id = ?1 AND page_type = ?2 AND status = 'active' AND (CAST(?3 AS BIGINT) IS NULL OR unit_id <> ?3)
                ORDER BY placement DESC, position, unit_id
                """).map([storeID, unit.pageType.rawValue, unit.id]) { $0.text(at: 0) }
            if others.count >= Self.maximumActive {
                throw fail("status", "at most \(Self.maximumActive) active units per page type: the \(unit.pageType.rawValue) page of store "
                           + "\(unit.store) has \(others.map(RuleText.quoted).joined(separator: ", ")) active already")
            }
        }
    }

    /// What is wrong with a filter condition on this page type, or nil.
    func problem(_ condition: FilterCondition, page: PageType) throws -> String? {
        switch condition {
        case .category(.ids(let ids), _):
            guard !ids.isEmpty else { return "list at least one category id" }
            let known = Set(try db.map("SELECT category_id FROM categories WHERE category_id IN \(list: ids)" as SQL) { $0.int(at: 0) })
            let unknown = ids.filter { !known.contains($0) }
            return unknown.isEmpty ? nil : "unknown categor\(unknown.count == 1 ? "y" : "ies") " + unknown.map(String.init).joined(separator: ", ")
        case .category(.current, _):
            return page == .category ? nil : "the current category exists only on a category page"
        case .category(.viewed, _):
            return page == .product ? nil : "the viewed product's categories exist only on a product page"
        case .category(.cart, _):
            return page == .cart || page == .confirmation ? nil : "the cart's categories exist only on cart and confirmation pages"
        case .products(let skus):
            guard !skus.isEmpty else { return "list at least one SKU" }
            do { _ = try ProductRepository(db).requireIDs(skus: skus, context: "the filter") } catch let error as RequestError where error.kind == .unknownSKU {
                return "unknown SKU\(error.names.count == 1 ? "" : "s") " + error.names.map(RuleText.quoted).joined(separator: ", ")
            }
            return nil
        case .productType(let types):
            return types.isEmpty ? "list at least one product type" : nil
        case .visibility(let values):
            return values.isEmpty ? "list at least one visibility" : nil
        case .price(let minimum, let maximum):
            for bound in [minimum, maximum] {
                switch bound {
                case .percent(let percent)?:
                    if page != .product { return "a price relative to the viewed product exists only on a product page" }
                    if !(percent > 0) { return "a percent must be above 0, found \(RuleJSON.numberText(percent))" }
                case .amount(let amount)?:
                    if amount < 0 { return "a price must be 0 or more, found \(RuleJSON.numberText(amount))" }
                case nil: break
                }
            }
            return nil
        case .stock(.low(let below)):
            return below > 0 ? nil : "the low-stock threshold must be above 0"
        case .stock:
            return nil
        case .attribute(let code, let values):
            if values.isEmpty { return "list at least one value" }
            return try AttributeRepository(db).type(of: code) == nil ? "unknown attribute \(RuleText.quoted(code))" : nil
        }
    }
}
