import Synchronization

/// One SQL statement with the values of its numbered parameters. The first `reserved`
/// parameters (`?1`…) are supplied by the caller at run time; the rest are the rule's constants.
struct CompiledQuery: Sendable {
    let sql: String
    let constants: [DatabaseValue]
    let reserved: Int

    /// Prepares (cached per connection) and binds the constants; the caller binds `?1…?reserved`.
    func statement(_ db: Database) throws -> Statement {
        let statement = try db.cachedStatement(sql)
        statement.reset()
        for (offset, value) in constants.enumerated() {
            try statement.bind(value, at: Int32(reserved + offset + 1))
        }
        return statement
    }
}

/// A rule's trees compiled to SQL (spec: "compile, don't interpret row by row"). Identifiers come
/// from ``RuleAttributeCatalog`` only; every value from the rule is a bound parameter.
///
/// - `match`: `?1` product id → a row when "products to match" holds for it.
/// - `candidates`: `?1` matched product id, `?2` store id, `?3` JSON array of excluded ids,
///   `?4` limit → the displayable products satisfying "products to display", by product id.
/// - `keys` / `keysOf`: every matching product (or those in the JSON array `?1`) with the
///   values of it that the display tree refers to — products with equal keys share one list.
/// - `affectedLists`: `?1` rule id, `?2` JSON array of product ids → the cached lists (by their
///   representative) that one of those products could now enter.
struct CompiledRule: Sendable {
    let match: CompiledQuery
    let candidates: CompiledQuery
    let keys: CompiledQuery
    let keysOf: CompiledQuery
    let affectedLists: CompiledQuery
    /// False when the display tree has no relative value: one list serves every matched product.
    let isRelative: Bool
}

/// Turns validated rules into SQL.
///
/// ```swift
/// let compiled = try RuleCompiler(db).compile(rule)
/// print(compiled.candidates.sql)
/// ```
struct RuleCompiler {
    let db: Database
    let catalog: RuleAttributeCatalog

    init(_ db: Database) throws {
        self.db = db
        self.catalog = try RuleAttributeCatalog(db)
    }

    /// Categories named by a JSON array of ids and name paths ("Gear/Bags" or "Default Category/Gear/Bags").
    static func resolveCategoriesSQL(_ parameter: String) -> String {
        """
        SELECT rc.path FROM categories AS rc JOIN json_each(\(parameter)) AS v
            ON (v.type = 'integer' AND rc.category_id = v.value)
            OR (v.type = 'text' AND (rc.name_path = v.value
                OR (rc.parent_id IS NOT NULL AND substr(rc.name_path, instr(rc.name_path, '/') + 1) = v.value)))
        """
    }

    static let categoryCountSQL = "SELECT count(*) FROM (\(resolveCategoriesSQL("?1")))"

    func compile(_ rule: Rule) throws -> CompiledRule {
        let sources = keySources(rule.display)

        var match = SQLBuilder(reserved: 1)
        let matchSQL = "SELECT 1 FROM products AS p WHERE p.product_id = ?1 AND \(try predicate(rule.match, style: .probe, matched: nil, &match))"

        var candidates = SQLBuilder(reserved: 4)
        let displaySQL = try predicate(rule.display, style: .drive, matched: "?1", &candidates)
        let candidatesSQL = """
            SELECT p.product_id, p.sku, p.name, p.final_price
            FROM products AS p
            JOIN displayable_products AS d ON d.product_id = p.product_id AND d.store_id = ?2
            WHERE p.product_id NOT IN (SELECT value FROM json_each(?3))
              AND \(displaySQL)
            ORDER BY p.product_id
            LIMIT ?4
            """

        var keys = SQLBuilder(reserved: 0)
        let keysSQL = "SELECT p.product_id, \(key(sources, &keys)) FROM products AS p WHERE \(try predicate(rule.match, style: .probe, matched: nil, &keys))"
        var keysOf = SQLBuilder(reserved: 1)
        let keysOfSQL = """
            SELECT p.product_id, \(key(sources, &keysOf))
            FROM json_each(?1) AS k CROSS JOIN products AS p ON p.product_id = k.value
            WHERE \(try predicate(rule.match, style: .probe, matched: nil, &keysOf))
            """

        var affected = SQLBuilder(reserved: 2)
        let affectedSQL = """
            SELECT DISTINCT l.list_id
            FROM rule_lists AS l CROSS JOIN json_each(?2) AS k CROSS JOIN products AS p ON p.product_id = k.value
            WHERE l.rule_id = ?1 AND l.representative_id IS NOT NULL
              AND \(try predicate(rule.display, style: .probe, matched: "l.representative_id", &affected))
            """
        return CompiledRule(match: match.query(matchSQL), candidates: candidates.query(candidatesSQL),
                            keys: keys.query(keysSQL), keysOf: keysOf.query(keysOfSQL),
                            affectedLists: affected.query(affectedSQL), isRelative: !sources.isEmpty)
    }

    /// For `explain`: one column per node of `tree` (0/1 for the product `?1`, relative values
    /// read from the matched product `?2`), in tree order, with their paths.
    func conditionColumns(_ tree: RuleCondition, path: String) throws -> (query: CompiledQuery, paths: [String]) {
        var builder = SQLBuilder(reserved: 2)
        var columns: [String] = []
        var paths: [String] = []
        func walk(_ node: RuleCondition, _ path: String) throws {
            columns.append(try predicate(node, style: .probe, matched: "?2", &builder))
            paths.append(path)
            if case .combine(_, _, let children) = node {
                for (offset, child) in children.enumerated() { try walk(child, "\(path).conditions[\(offset)]") }
            }
        }
        try walk(tree, path)
        let sql = "SELECT " + columns.map { "coalesce(\($0), 0)" }.joined(separator: ", ") + " FROM products AS p WHERE p.product_id = ?1"
        return (builder.query(sql), paths)
    }

    // MARK: Predicates

    /// `drive`: category conditions as `p.product_id IN (…)`, which SQLite can use to find the
    /// candidates; `probe`: everything as `EXISTS`, cheap when `p` is one known product.
    enum Style { case drive, probe }

    func predicate(_ node: RuleCondition, style: Style, matched: String?, _ builder: inout SQLBuilder) throws -> String {
        switch node {
        case .combine(let aggregator, let expected, let children):
            guard !children.isEmpty else { return "1" }
            let parts = try children.map { try predicate($0, style: style, matched: matched, &builder) }
            switch (aggregator, expected) {
            case (.all, true): return "(" + parts.joined(separator: " AND ") + ")"
            case (.any, true): return "(" + parts.joined(separator: " OR ") + ")"
            case (.all, false): return "NOT (" + parts.joined(separator: " OR ") + ")"     // none holds
            case (.any, false): return "NOT (" + parts.joined(separator: " AND ") + ")"    // one fails
            }
        case .condition(let comparison):
            guard let attribute = catalog.attribute(comparison.attribute) else {
                throw RuleError.invalid(subject: "rule", path: "", message: "unknown attribute \(RuleText.quoted(comparison.attribute))", location: nil)
            }
            switch attribute.source {
            case .column(let column): return columnPredicate(column, attribute.kind, comparison, matched: matched, &builder)
            case .category: return categoryPredicate(comparison, style: style, matched: matched, &builder)
            case .custom(let id): return customPredicate(id, attribute.kind, comparison, matched: matched, &builder)
            }
        }
    }

    private static func sqlOperator(_ op: RuleOperator) -> String {
        switch op {
        case .equal: "="
        case .notEqual: "<>"
        case .less: "<"
        case .lessOrEqual: "<="
        case .greater: ">"
        case .greaterOrEqual: ">="
        default: "="
        }
    }

    private func bindScalar(_ value: RuleConstant, kind: RuleAttribute.Kind, _ builder: inout SQLBuilder) -> String {
        switch (value, kind) {
        case (.bool(let flag), _): builder.bind(.integer(flag ? 1 : 0))
        case (.number(let n), .boolean): builder.bind(.integer(n == 0 ? 0 : 1))
        case (.number(let n), .text), (.number(let n), .select), (.number(let n), .multiselect): builder.bind(.text(RuleJSON.numberText(n)))
        case (.number(let n), _): builder.bind(.real(n))
        case (.string(let text), _): builder.bind(.text(text))
        case (.list, _): builder.bind(.null)
        }
    }

    /// A list value as `(SELECT value FROM json_each(?))`: one parameter, however long the list.
    private func bindList(_ value: RuleConstant, kind: RuleAttribute.Kind, _ builder: inout SQLBuilder) -> String {
        let items: [RuleConstant] = if case .list(let items) = value { items } else { [value] }
        let json = RuleJSON(.array(items.map { item -> RuleJSON in
            switch (item, kind) {
            case (.number(let n), .text), (.number(let n), .select), (.number(let n), .multiselect): RuleJSON(.string(RuleJSON.numberText(n)))
            default: item.json
            }
        })).compactText
        return "(SELECT value FROM json_each(\(builder.bind(.text(json)))))"
    }

    private func columnPredicate(_ column: String, _ kind: RuleAttribute.Kind, _ comparison: RuleComparison,
                                 matched: String?, _ builder: inout SQLBuilder) -> String {
        let expression = kind == .date ? "substr(p.\(column), 1, 10)" : "p.\(column)"
        let matchedValue = kind == .date ? "(SELECT substr(mp.\(column), 1, 10) FROM products AS mp WHERE mp.product_id = \(matched ?? "NULL"))"
            : "(SELECT mp.\(column) FROM products AS mp WHERE mp.product_id = \(matched ?? "NULL"))"
        let operand: String
        switch comparison.value {
        case .constant(let value):
            operand = comparison.op.takesList ? bindList(value, kind: kind, &builder) : bindScalar(value, kind: kind, &builder)
        case .sameAsMatched, .childOfMatched: operand = matchedValue
        case .percentOfMatched(let n): operand = "(\(matchedValue) * \(builder.bind(.real(n))) / 100.0)"
        case .amountFromMatched(let n): operand = "(\(matchedValue) + \(builder.bind(.real(n))))"
        }
        switch comparison.op {
        case .equal, .less, .lessOrEqual, .greater, .greaterOrEqual:
            return "coalesce(\(expression) \(Self.sqlOperator(comparison.op)) \(operand), 0)"
        case .notEqual: return "(\(expression) IS NOT \(operand))"   // a missing value differs
        case .contains: return "coalesce(instr(lower(\(expression)), lower(\(operand))) > 0, 0)"
        case .doesNotContain: return "NOT coalesce(instr(lower(\(expression)), lower(\(operand))) > 0, 0)"
        case .isOneOf: return "coalesce(\(expression) IN \(operand), 0)"
        case .isNotOneOf: return "NOT coalesce(\(expression) IN \(operand), 0)"
        }
    }

    private func categoryPredicate(_ comparison: RuleComparison, style: Style, matched: String?, _ builder: inout SQLBuilder) -> String {
        // Each form lists (product, category) pairs; `drive` turns it into an IN list of products.
        let pairs: String
        switch comparison.value {
        case .constant(let value):
            // In the category or below it (Magento's anchor categories).
            let items: [RuleConstant] = if case .list(let items) = value { items } else { [value] }
            let json = RuleJSON(.array(items.map(\.json))).compactText
            pairs = """
                product_categories AS pc JOIN categories AS c ON c.category_id = pc.category_id
                JOIN (\(Self.resolveCategoriesSQL(builder.bind(.text(json))))) AS t ON (c.path = t.path OR c.path LIKE t.path || '/%')
                """
        case .childOfMatched:
            pairs = """
                product_categories AS mc JOIN categories AS mcat ON mcat.category_id = mc.category_id
                JOIN categories AS c ON c.path LIKE mcat.path || '/%'
                JOIN product_categories AS pc ON pc.category_id = c.category_id AND mc.product_id = \(matched ?? "NULL")
                """
        default:
            // Same as matched: shares at least one category.
            pairs = """
                product_categories AS pc
                JOIN product_categories AS mc ON mc.category_id = pc.category_id AND mc.product_id = \(matched ?? "NULL")
                """
        }
        let holds = switch style {
        case .drive: "p.product_id IN (SELECT pc.product_id FROM \(pairs))"
        case .probe: "EXISTS (SELECT 1 FROM \(pairs) WHERE pc.product_id = p.product_id)"
        }
        return comparison.op.isNegative ? "NOT \(holds)" : holds
    }

    private func customPredicate(_ id: Int, _ kind: RuleAttribute.Kind, _ comparison: RuleComparison,
                                 matched: String?, _ builder: inout SQLBuilder) -> String {
        let attribute = builder.bind(.integer(Int64(id)))
        let column = switch kind {
        case .number: "a.number"
        case .date: "substr(a.value, 1, 10)"
        default: "a.value"
        }
        func exists(_ condition: String, product: String = "p.product_id") -> String {
            "EXISTS (SELECT 1 FROM product_attributes AS a WHERE a.product_id = \(product) AND a.attribute_id = \(attribute) AND \(condition))"
        }
        let matchedID = matched ?? "NULL"
        if kind == .boolean {
            let truthy = exists("(a.number = 1 OR lower(a.value) IN ('yes', 'true'))")
            switch comparison.value {
            case .constant(let value):
                let wanted: Bool = switch value {
                case .bool(let flag): flag
                case .number(let n): n != 0
                default: true
                }
                return (wanted == (comparison.op == .equal)) ? truthy : "NOT \(truthy)"
            default:
                let matchedTruthy = exists("(a.number = 1 OR lower(a.value) IN ('yes', 'true'))", product: matchedID)
                return "(\(truthy) \(comparison.op == .equal ? "=" : "<>") \(matchedTruthy))"
            }
        }
        let matchedColumn = column.replacingOccurrences(of: "a.", with: "ma.")
        let matchedValues = "(SELECT \(matchedColumn) FROM product_attributes AS ma WHERE ma.product_id = \(matchedID) AND ma.attribute_id = \(attribute))"
        switch comparison.value {
        case .constant(let value):
            switch comparison.op {
            case .equal: return exists("\(column) = \(bindScalar(value, kind: kind, &builder))")
            case .notEqual: return "NOT " + exists("\(column) = \(bindScalar(value, kind: kind, &builder))")
            case .less, .lessOrEqual, .greater, .greaterOrEqual:
                return exists("\(column) \(Self.sqlOperator(comparison.op)) \(bindScalar(value, kind: kind, &builder))")
            case .contains, .doesNotContain:
                // Text: a substring (ASCII case-insensitive); multiselect: has that option.
                let test = kind == .multiselect ? "\(column) = \(bindScalar(value, kind: kind, &builder))"
                    : "instr(lower(\(column)), lower(\(bindScalar(value, kind: kind, &builder)))) > 0"
                return (comparison.op == .contains ? "" : "NOT ") + exists(test)
            case .isOneOf: return exists("\(column) IN \(bindList(value, kind: kind, &builder))")
            case .isNotOneOf: return "NOT " + exists("\(column) IN \(bindList(value, kind: kind, &builder))")
            }
        default:
            switch comparison.op {
            case .equal: return exists("\(column) IN \(matchedValues)")          // at least one value in common
            case .notEqual: return "NOT " + exists("\(column) IN \(matchedValues)")
            default:
                let first = "(SELECT \(matchedColumn) FROM product_attributes AS ma WHERE ma.product_id = \(matchedID) AND ma.attribute_id = \(attribute) ORDER BY ma.ordinal LIMIT 1)"
                return exists("\(column) \(Self.sqlOperator(comparison.op)) \(first)")
            }
        }
    }

    // MARK: Keys

    /// A value of the matched product that the display tree reads.
    enum KeySource: Hashable {
        case column(String, date: Bool)
        case category
        case custom(id: Int, kind: RuleAttribute.Kind)
    }

    func keySources(_ node: RuleCondition) -> [KeySource] {
        var result: [KeySource] = []
        func walk(_ node: RuleCondition) {
            switch node {
            case .combine(_, _, let children): children.forEach(walk)
            case .condition(let comparison):
                guard comparison.value.isRelative, let attribute = catalog.attribute(comparison.attribute) else { return }
                let source: KeySource = switch attribute.source {
                case .column(let column): .column(column, date: attribute.kind == .date)
                case .category: .category
                case .custom(let id): .custom(id: id, kind: attribute.kind)
                }
                if !result.contains(source) { result.append(source) }
            }
        }
        walk(node)
        return result
    }

    /// `json_array(…)` of the key sources for product `p`; '[]' when there are none.
    func key(_ sources: [KeySource], _ builder: inout SQLBuilder) -> String {
        guard !sources.isEmpty else { return "'[]'" }
        let parts = sources.map { source -> String in
            switch source {
            case .column(let column, let date): return date ? "substr(p.\(column), 1, 10)" : "p.\(column)"
            case .category:
                return "(SELECT json_group_array(category_id) FROM (SELECT kc.category_id FROM product_categories AS kc WHERE kc.product_id = p.product_id ORDER BY 1))"
            case .custom(let id, let kind):
                let attribute = builder.bind(.integer(Int64(id)))
                if kind == .boolean {
                    return "EXISTS (SELECT 1 FROM product_attributes AS ka WHERE ka.product_id = p.product_id AND ka.attribute_id = \(attribute) AND (ka.number = 1 OR lower(ka.value) IN ('yes', 'true')))"
                }
                let column = kind == .number ? "ka.number" : kind == .date ? "substr(ka.value, 1, 10)" : "ka.value"
                return "(SELECT json_group_array(v) FROM (SELECT \(column) AS v FROM product_attributes AS ka WHERE ka.product_id = p.product_id AND ka.attribute_id = \(attribute) ORDER BY 1))"
            }
        }
        return "json_array(" + parts.joined(separator: ", ") + ")"
    }
}

/// SQL text under construction and its constants, numbered after the reserved parameters.
struct SQLBuilder {
    let reserved: Int
    private(set) var constants: [DatabaseValue] = []

    init(reserved: Int) { self.reserved = reserved }

    /// A new parameter holding `value`; returns its placeholder (`?5`).
    mutating func bind(_ value: DatabaseValue) -> String {
        constants.append(value)
        return "?\(reserved + constants.count)"
    }

    func query(_ sql: String) -> CompiledQuery { CompiledQuery(sql: sql, constants: constants, reserved: reserved) }
}

/// Compiled rules shared by all connections of the process, keyed by database file, the
/// database's rule generation (which moves whenever rules or attribute definitions change)
/// and rule id — so a placement never recompiles, and never uses SQL of an older rule.
enum CompiledRuleCache {
    private static let entries = Mutex<[String: CompiledRule]>([:])

    static func rule(path: String, generation: Int, ruleID: Int, compile: () throws -> CompiledRule) rethrows -> CompiledRule {
        let key = "\(path)\u{0}\(generation)\u{0}\(ruleID)"
        if let hit = entries.withLock({ $0[key] }) { return hit }
        let compiled = try compile()
        entries.withLock { entries in
            if entries.count > 4_096 { entries.removeAll() }   // bounded; entries of old generations go too
            entries[key] = compiled
        }
        return compiled
    }
}
