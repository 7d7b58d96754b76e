import Foundation

/// Why a rule does or does not fill a block for one product: whether it applies today for the
/// visitor, whether each "products to match" condition held for the product, and which
/// products it selects, with the display conditions each of them satisfies.
public struct RuleExplanation: Sendable, Equatable, Codable {
    public struct Condition: Sendable, Equatable, Codable {
        /// `match.conditions[0]`, as validation errors name it.
        public var path: String
        public var text: String
        public var holds: Bool
    }

    /// A product the rule selects for this product in this block — its manual links and the
    /// product itself left out, as the block does.
    public struct Selected: Sendable, Equatable, Codable {
        public var sku: String
        public var name: String
        public var finalPrice: Double?
        /// The display conditions this product satisfies (texts), the reason it is there.
        public var because: [String]
    }

    public var ruleID: Int
    public var rule: String
    public var appliesTo: LinkType
    public var priority: Int
    public var limit: Int
    /// "applies", "inactive", "outside its dates (…)", "not for these segments (…)".
    public var status: String
    public var matched: Bool
    public var matchConditions: [Condition]
    /// The display tree, written out as the `rule_list` view shows it.
    public var display: String
    /// The matched product's values that relative conditions compare with, e.g. `category [2,3]; price 34`.
    public var matchedValues: String?
    public var selected: [Selected]
    /// Whether placements read this rule from the result cache right now, and why not.
    public var cache: String
    /// The compiled "products to display" statement.
    public var sql: String
}

/// Explains every rule (or one block's rules) for a product in a store.
///
/// ```swift
/// let explanations = try store.read { db in try RuleExplainer(db).explain(sku: "24-MB01", appliesTo: .upsell) }
/// for rule in explanations { print(rule.rule, rule.matched, rule.selected.map(\.sku)) }
/// ```
public struct RuleExplainer {
    let db: Database
    public init(_ db: Database) { self.db = db }

    public func explain(sku: String, store: String = "default", appliesTo: LinkType? = nil, segments: [String] = [],
                        date: Date = Date()) throws -> [RuleExplanation] {
        let productID = try ProductRepository(db).requireID(sku: sku)
        let storeRow = try StoreRepository(db).store(code: store)
        let engine = RuleEngine(db)
        let compiler = try RuleCompiler(db)
        var result: [RuleExplanation] = []
        for rule in try RuleRepository(db).all(appliesTo: appliesTo) {
            let context = try engine.blockContext(storeID: storeRow.id, block: rule.appliesTo)
            let day = StoreCalendar.day(date, timeZone: context.timeZone, caches: db.caches)
            let ruleID = rule.id!
            var status = "applies"
            if !rule.isActive {
                status = "inactive"
            } else if let from = rule.fromDate, from > day {
                status = "outside its dates (starts \(from); today is \(day) in \(context.timeZone))"
            } else if let to = rule.toDate, to < day {
                status = "outside its dates (ended \(to); today is \(day) in \(context.timeZone))"
            } else if !rule.segments.isEmpty, Set(rule.segments).isDisjoint(with: segments) {
                status = "not for these segments (rule: \(rule.segments.joined(separator: ", ")); visitor: \(segments.isEmpty ? "none" : segments.joined(separator: ", ")))"
            }
            var texts = try conditionTexts(ruleID: ruleID)
            for (path, label) in Self.combinationLabels(rule.match, path: "match") + Self.combinationLabels(rule.display, path: "display") {
                texts[path] = label
            }
            let compiled = try engine.compiled(ruleID: ruleID, generation: context.generation)
            let matchColumns = try compiler.conditionColumns(rule.match, path: "match")
            let held = try evaluate(matchColumns.query, product: productID, matched: productID)
            let conditions = zip(matchColumns.paths, held).map { path, holds in
                RuleExplanation.Condition(path: path, text: texts[path] ?? path, holds: holds)
            }
            let matched = held.first ?? false
            var selected: [RuleExplanation.Selected] = []
            var matchedValues: String?
            if matched {
                let displayColumns = try compiler.conditionColumns(rule.display, path: "display")
                let combinations = Set(Self.combinationLabels(rule.display, path: "display").map(\.path))
                let excluded = try blockExclusions(productID: productID, sku: sku, store: store, block: rule.appliesTo, context: context)
                for candidate in try engine.candidates(compiled, matched: productID, storeID: storeRow.id, excluded: excluded, limit: rule.effectiveLimit) {
                    let holds = try evaluate(displayColumns.query, product: candidate.productID, matched: productID)
                    let because = zip(displayColumns.paths, holds).compactMap { path, holds in
                        holds && !combinations.contains(path) ? texts[path] : nil
                    }
                    selected.append(.init(sku: candidate.sku, name: candidate.name, finalPrice: candidate.finalPrice, because: because))
                }
                let prepared = try db.statement(compiled.keysOf)
                let keys = prepared.statement
                prepared.bind(ids: [productID], "ids")
                if try keys.step(), compiled.isRelative {
                    // The key is a JSON array, one value per attribute the display tree compares with.
                    let names = compiler.keySources(rule.display).map(\.attributeName)
                    if case .array(let values) = try RuleJSON.parse(keys.text(at: 1)).kind, values.count == names.count {
                        matchedValues = try zip(names, values).map { name, value in
                            name == "category" ? "category " + (try categoryText(value)) : "\(name) \(value.compactText)"
                        }.joined(separator: "; ")
                    } else {
                        matchedValues = keys.text(at: 1)
                    }
                }
                keys.reset()
            }
            result.append(RuleExplanation(
                ruleID: ruleID, rule: rule.name, appliesTo: rule.appliesTo, priority: rule.priority, limit: rule.effectiveLimit,
                status: status, matched: matched, matchConditions: conditions, display: try displayText(ruleID: ruleID),
                matchedValues: matchedValues, selected: selected, cache: try cacheState(ruleID: ruleID, context: context),
                sql: compiled.candidates.plain.text))
        }
        return result
    }

    /// What the block leaves out of rule results for this product: itself (as viewed product or
    /// cart item, with its children and configurable parents) and, when the block shows manual
    /// links first, its manual links of the block's type.
    private func blockExclusions(productID: Int, sku: String, store: String, block: LinkType,
                                 context: RuleEngine.BlockContext) throws -> [Int] {
        let placements = Placements(db)
        let resolved = try placements.resolve(store: store, viewed: block == .crosssell ? nil : sku, cart: block == .crosssell ? [sku] : [])
        guard context.settings.displayMode != .rulesOnly else { return resolved.excluded }
        let sources = block == .crosssell ? try placements.sources(for: [productID]) : [productID]
        let manual = try placements.linked(type: block, sources: sources, excluded: resolved.excluded, storeID: resolved.store.id, limit: Int(Int32.max))
        return resolved.excluded + manual.map(\.productID)
    }

    /// The matched product's categories (a JSON array of ids) by name, as rules name them
    /// ("Gear/Bags"): first its deepest ones, which "same as matched" compares with, then the
    /// others: `"Gear/Bags", "Collections/Yoga" (also in "Gear", "Collections")`.
    private func categoryText(_ ids: RuleJSON) throws -> String {
        guard case .array(let items) = ids.kind else { return ids.compactText }
        let wanted = Set(items.compactMap { item -> Int? in if case .number(let value, _) = item.kind { Int(exactly: value) } else { nil } })
        guard !wanted.isEmpty else { return "(none)" }
        let categories = try db.prepare("SELECT category_id, path, name_path, parent_id IS NULL FROM categories ORDER BY path").map([]) { row in
            (id: row.int(at: 0), path: row.text(at: 1), name: row.text(at: 2), isRoot: row.int(at: 3) == 1)
        }.filter { wanted.contains($0.id) }
        let paths = categories.map(\.path)
        func named(_ category: (id: Int, path: String, name: String, isRoot: Bool)) -> String {
            let name = category.isRoot ? category.name : String(category.name.drop { $0 != "/" }.dropFirst())
            return RuleText.quoted(name)
        }
        let deepest = categories.filter { category in !paths.contains { $0.hasPrefix(category.path + "/") } }
        let others = categories.filter { category in paths.contains { $0.hasPrefix(category.path + "/") } }
        return deepest.map(named).joined(separator: ", ")
            + (others.isEmpty ? "" : " (also in " + others.map(named).joined(separator: ", ") + ")")
    }

    /// "ALL of these are TRUE" and the like, for each combination of a tree, by path.
    static func combinationLabels(_ node: RuleCondition, path: String) -> [(path: String, label: String)] {
        guard case .combine(let aggregator, let expected, let children) = node else { return [] }
        let label = (aggregator == .all ? "ALL of these are " : "ANY of these is ") + (expected ? "TRUE" : "FALSE")
        return [(path, label)] + children.enumerated().flatMap { combinationLabels($1, path: "\(path).conditions[\($0)]") }
    }

    /// Each node's text from the `rule_conditions` view (the SQL is the one place trees are written out).
    private func conditionTexts(ruleID: Int) throws -> [String: String] {
        var texts: [String: String] = [:]
        try db.cachedStatement("SELECT path, text FROM rule_conditions WHERE rule_id = ?").forEachRow([ruleID]) { row in
            texts[row.text(at: 0)] = row.text(at: 1)
        }
        return texts
    }

    private func displayText(ruleID: Int) throws -> String {
        try db.scalarText("SELECT display FROM rule_list WHERE rule_id = ?", [ruleID]) ?? ""
    }

    private func evaluate(_ query: SQLTemplate, product: Int, matched: Int) throws -> [Bool] {
        let prepared = try db.statement(query)
        let statement = prepared.statement
        prepared.bind(product, "product")
        prepared.bind(matched, "matched")
        defer { statement.reset() }
        guard try statement.step() else { return [] }
        return (0..<statement.columnCount).map { statement.int(at: $0) == 1 }
    }

    private func cacheState(ruleID: Int, context: RuleEngine.BlockContext) throws -> String {
        let built = try db.scalarInt("SELECT count(*) FROM rule_cache_rules WHERE rule_id = ?", [ruleID]) == 1
        guard built else { return "not cached: placements run the rule's SQL (crosslink rules refresh builds it)" }
        guard context.cacheUsable else {
            let dirty = try db.scalarInt("SELECT count(*) FROM rule_cache_dirty") ?? 0
            return dirty > 0 ? "cached but \(dirty) product\(dirty == 1 ? "" : "s") changed since the last refresh: placements run the rule's SQL"
                : "cached but a full rebuild is due: placements run the rule's SQL"
        }
        return "cached and up to date: placements read it from rule_results"
    }
}
