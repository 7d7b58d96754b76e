/// A rule's trees compiled to SQL (spec: "compile, don't interpret row by row"). Identifiers come
/// from ``RuleAttributeCatalog`` only; every value from the rule is a bound parameter.
///
/// Each is an ``SQLTemplate`` with the rule's constants bound and named parameters for the run:
/// - `match`: `:product` id → a row when "products to match" holds for it.
/// - `candidates`: `:matched` product id, `:store` id, `:excluded` JSON array of ids, `:limit`
///   → the displayable products satisfying "products to display", by product id (with a
///   condition slot for a unit's filter).
/// - `keys` / `keysOf`: every matching product (or those in the JSON array `:ids`) with the
///   values of it that the display tree refers to — products with equal keys share one list.
/// - `affectedLists`: `:rule` id, `:ids` JSON array of product ids → the cached lists (by their
///   representative) that one of those products could now enter.
struct CompiledRule: Sendable {
    let match: SQLTemplate
    let candidates: SQLTemplate
    let keys: SQLTemplate
    let keysOf: SQLTemplate
    let affectedLists: SQLTemplate
    /// False when the display tree has no relative value: one list serves every matched product.
    let isRelative: Bool
}

/// Turns validated rules into SQL.
///
/// ```swift
/// let compiled = try RuleCompiler(db).compile(rule)
/// print(compiled.candidates.plain.text)
/// ```
struct RuleCompiler {
    let db: Database
    let catalog: RuleAttributeCatalog

    init(_ db: Database) throws {
        self.db = db
        self.catalog = try RuleAttributeCatalog(db)
    }

    /// Categories named by a JSON array of ids and name paths ("Gear/Bags" or "Default Category/Gear/Bags").
    /// SQLite's json_each gives each item's type and value; PostgreSQL's jsonb items are read
    /// with jsonb_typeof and `#>> '{}'` (the CASE keeps a name from ever being cast to a number).
    static func resolveCategoriesSQL(_ names: SQL) -> SQL {
        """
        SELECT rc.path FROM categories AS rc JOIN \(sqlite: "json_each(", postgreSQL: "jsonb_array_elements(CAST(")\(sql: names)\(
            sqlite: """
            ) AS v
                ON (v.type = 'integer' AND rc.category_id = v.value)
                OR (v.type = 'text' AND (rc.name_path = v.value
                    OR (rc.parent_id IS NOT NULL AND substr(rc.name_path, instr(rc.name_path, '/') + 1) = v.value)))
            """,
            postgreSQL: """
             AS jsonb)) AS v(item)
                ON CASE jsonb_typeof(v.item)
                    WHEN 'number' THEN rc.category_id = CAST(v.item #>> '{}' AS numeric)
                    WHEN 'string' THEN rc.name_path = v.item #>> '{}'
                        OR (rc.parent_id IS NOT NULL AND substr(rc.name_path, strpos(rc.name_path, '/') + 1) = v.item #>> '{}')
                    ELSE false END
            """)
        """
    }

    /// How many categories the JSON array `names` names.
    static func categoryCount(_ names: String) -> SQL { "SELECT count(*) FROM (\(sql: resolveCategoriesSQL("\(names)"))) AS named" }

    func compile(_ rule: Rule) throws -> CompiledRule {
        let sources = keySources(rule.display)
        let product: SQL = "\(parameter: "product")"
        let matched: SQL = "\(parameter: "matched")"
        let matchSQL: SQL = "SELECT 1 FROM products AS p WHERE p.product_id = \(sql: product) AND \(sql: try predicate(rule.match, path: "match", matched: nil))"

        let plan = try driver(rule.display, limit: rule.effectiveLimit)
        let displaySQL = try predicate(rule.display, path: "display", driver: plan.listed, matched: matched)
        // Streaming one category's products in id order (its primary key) stops at the limit
        // without listing them all first; otherwise products are read in id order.
        let source: SQL = plan.category.map { id in
            "product_categories AS drv \(sql: SQL.orderedJoin) products AS p ON p.product_id = drv.product_id AND drv.category_id = \(id)"
        } ?? "products AS p"
        let candidatesSQL: SQL = """
            SELECT p.product_id, p.sku, p.name, p.final_price
            FROM \(sql: source)
            WHERE \(sql: displaySQL)
              AND EXISTS (SELECT 1 FROM displayable_products AS d WHERE d.product_id = p.product_id AND d.store_id = \(parameter: "store"))
              AND p.product_id NOT IN \(idList: "excluded") \(condition: "p.product_id")
            ORDER BY \(literal: plan.category == nil ? "p" : "drv").product_id
            LIMIT \(parameter: "limit")
            """

        let keysSQL: SQL = "SELECT p.product_id, \(sql: key(sources)) FROM products AS p WHERE \(sql: try predicate(rule.match, path: "match", matched: nil))"
        let keysOfSQL: SQL = """
            SELECT p.product_id, \(sql: key(sources))
            FROM \(idList: "ids") AS k \(sql: SQL.orderedJoin) products AS p ON p.product_id = k.value
            WHERE \(sql: try predicate(rule.match, path: "match", matched: nil))
            """

        let affectedSQL: SQL = """
            SELECT DISTINCT l.list_id
            FROM rule_lists AS l CROSS JOIN \(idList: "ids") AS k \(sql: SQL.orderedJoin) products AS p ON p.product_id = k.value
            WHERE l.rule_id = \(parameter: "rule") AND l.representative_id IS NOT NULL
              AND \(sql: try predicate(rule.display, path: "display", matched: "l.representative_id"))
            """
        return CompiledRule(match: SQLTemplate(matchSQL), candidates: SQLTemplate(candidatesSQL),
                            keys: SQLTemplate(keysSQL), keysOf: SQLTemplate(keysOfSQL),
                            affectedLists: SQLTemplate(affectedSQL), isRelative: !sources.isEmpty)
    }

    /// For `explain`: one column per node of `tree` (0/1 for the `:product`, relative values
    /// read from the `:matched` product), in tree order, with their paths.
    func conditionColumns(_ tree: RuleCondition, path: String) throws -> (query: SQLTemplate, paths: [String]) {
        var columns: [SQL] = []
        var paths: [String] = []
        func walk(_ node: RuleCondition, _ path: String) throws {
            columns.append("CASE WHEN \(sql: try predicate(node, path: path, matched: "\(parameter: "matched")")) THEN 1 ELSE 0 END")
            paths.append(path)
            if case .combine(_, _, let children) = node {
                for (offset, child) in children.enumerated() { try walk(child, "\(path).conditions[\(offset)]") }
            }
        }
        try walk(tree, path)
        return (SQLTemplate("SELECT \(sql: columns.joined(separator: ", ")) FROM products AS p WHERE p.product_id = \(parameter: "product")"), paths)
    }

    // MARK: Predicates

    /// Builds the SQL of a tree for the product `p`. Every condition is a test of `p` (cheap when
    /// `p` is one known product, and, scanning products in id order, stops at the limit) except the
    /// `driver`: a category condition written `p.product_id IN (…)`, which SQLite uses to visit
    /// only that category's products (see `driver(_:limit:)`).
    func predicate(_ node: RuleCondition, path: String, driver: String? = nil, matched: SQL?) throws -> SQL {
        switch node {
        case .combine(let aggregator, let expected, let children):
            guard !children.isEmpty else { return "TRUE" }
            let parts = try children.enumerated().map { offset, child in
                try predicate(child, path: "\(path).conditions[\(offset)]", driver: driver, matched: matched)
            }
            switch (aggregator, expected) {
            case (.all, true): return "(\(sql: parts.joined(separator: " AND ")))"
            case (.any, true): return "(\(sql: parts.joined(separator: " OR ")))"
            case (.all, false): return "NOT (\(sql: parts.joined(separator: " OR ")))"     // none holds
            case (.any, false): return "NOT (\(sql: parts.joined(separator: " AND ")))"    // one fails
            }
        case .condition(let comparison):
            guard let attribute = catalog.attribute(comparison.attribute) else {
                throw InputError("unknown attribute \(RuleText.quoted(comparison.attribute))", subject: "rule")
            }
            switch attribute.source {
            case .column(let column): return columnPredicate(column, attribute.kind, comparison, matched: matched)
            case .category: return try categoryPredicate(comparison, drive: path == driver, matched: matched)
            case .custom(let id): return customPredicate(id, attribute.kind, comparison, drive: path == driver, matched: matched)
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

    private func bindScalar(_ value: RuleConstant, kind: RuleAttribute.Kind) -> SQL {
        switch (value, kind) {
        case (.bool(let flag), _): "\(flag ? 1 : 0)"
        case (.number(let n), .boolean): "\(n == 0 ? 0 : 1)"
        case (.number(let n), .text), (.number(let n), .select), (.number(let n), .multiselect): "\(RuleJSON.numberText(n))"
        // A whole number binds as an integer: PostgreSQL reads "4.0" as no bigint (visibility = 4).
        case (.number(let n), _): n == n.rounded() && abs(n) < 1e15 ? "\(Int(n))" : "\(n)"
        case (.string(let text), _): "\(text)"
        case (.list, _): "\(DatabaseValue.null)"
        }
    }

    /// The product columns that compare ignoring ASCII case: `COLLATE NOCASE` on SQLite, citext
    /// on PostgreSQL (Migrations/0001 and Migrations/postgresql/0001).
    static let caseInsensitiveColumns: Set<String> = ["sku"]

    /// A list value as `(SELECT value FROM json_each(?))`: one parameter, however long the list.
    /// PostgreSQL reads the items as text: numbers (and yes/no as 1/0) are cast back to compare
    /// with number columns, and texts to citext for a case-insensitive column — `citext IN (text)`
    /// compares as text there, case-sensitively, where SQLite's `IN` takes the column's NOCASE.
    private func bindList(_ value: RuleConstant, kind: RuleAttribute.Kind, caseInsensitive: Bool = false) -> SQL {
        let items: [RuleConstant] = if case .list(let items) = value { items } else { [value] }
        let json = RuleJSON(.array(items.map { item -> RuleJSON in
            switch (item, kind) {
            case (.number(let n), .text), (.number(let n), .select), (.number(let n), .multiselect): RuleJSON(.string(RuleJSON.numberText(n)))
            case (.bool(let flag), _): RuleJSON(.number(flag ? 1 : 0, text: flag ? "1" : "0"))
            default: item.json
            }
        })).compactText
        if caseInsensitive && kind == .text { return SQL.list(.value(.text(json)), postgreSQLValue: "CAST(value AS citext) AS value") }
        return Self.list(json, numeric: kind == .number || kind == .boolean)
    }

    /// The items of the JSON array `json` as a one-column subquery `value`.
    static func list(_ json: String, numeric: Bool) -> SQL {
        SQL.list(.value(.text(json)), postgreSQLValue: numeric ? "CAST(value AS double precision) AS value" : "value")
    }

    /// `instr(a, b) > 0`: whether `b` occurs in `a`.
    static func contains(_ text: SQL, _ part: SQL) -> SQL {
        "\(sqlite: "instr(", postgreSQL: "strpos(")\(sql: text), \(sql: part)) > 0"
    }

    private func columnPredicate(_ column: String, _ kind: RuleAttribute.Kind, _ comparison: RuleComparison,
                                 matched: SQL?) -> SQL {
        // `column` comes from the attribute catalog's whitelist.
        let expression: SQL = kind == .date ? "substr(p.\(literal: column), 1, 10)" : "p.\(literal: column)"
        let matchedID = matched ?? "NULL"
        let matchedValue: SQL = kind == .date ? "(SELECT substr(mp.\(literal: column), 1, 10) FROM products AS mp WHERE mp.product_id = \(sql: matchedID))"
            : "(SELECT mp.\(literal: column) FROM products AS mp WHERE mp.product_id = \(sql: matchedID))"
        let operand: SQL
        switch comparison.value {
        case .constant(let value):
            operand = comparison.op.takesList ? bindList(value, kind: kind, caseInsensitive: Self.caseInsensitiveColumns.contains(column))
                : bindScalar(value, kind: kind)
        case .sameAsMatched, .childOfMatched: operand = matchedValue
        case .percentOfMatched(let n): operand = "(\(sql: matchedValue) * \(n) / 100.0)"
        case .amountFromMatched(let n): operand = "(\(sql: matchedValue) + \(n))"
        }
        switch comparison.op {
        case .equal, .less, .lessOrEqual, .greater, .greaterOrEqual:
            return "coalesce(\(sql: expression) \(literal: Self.sqlOperator(comparison.op)) \(sql: operand), FALSE)"
        case .notEqual:   // a missing value differs
            return "(\(sql: expression) \(sqlite: "IS NOT", postgreSQL: "IS DISTINCT FROM") \(sql: operand))"
        case .contains: return "coalesce(\(sql: Self.contains("lower(\(sql: expression))", "lower(\(sql: operand))")), FALSE)"
        case .doesNotContain: return "NOT coalesce(\(sql: Self.contains("lower(\(sql: expression))", "lower(\(sql: operand))")), FALSE)"
        case .isOneOf: return "coalesce(\(sql: expression) IN \(sql: operand), FALSE)"
        case .isNotOneOf: return "NOT coalesce(\(sql: expression) IN \(sql: operand), FALSE)"
        }
    }

    /// The ids of the categories `value` names and of every category below them (Magento's
    /// anchor categories), resolved when the rule is compiled (a category change recompiles).
    func categoryIDs(_ value: RuleConstant) throws -> [Int] {
        let items: [RuleConstant] = if case .list(let items) = value { items } else { [value] }
        let names = RuleJSON(.array(items.map(\.json))).compactText
        return try db.map("""
            SELECT DISTINCT c.category_id FROM (\(sql: Self.resolveCategoriesSQL("\(names)"))) AS t
            \(sql: SQL.orderedJoin) categories AS c ON c.path = t.path OR c.path LIKE t.path || '/%'
            ORDER BY 1
            """) { $0.int(at: 0) }
    }

    /// `(?5, ?6)`: a short list as parameters (SQLite builds a small index from them), a long one as one JSON parameter.
    private func bindIDs(_ ids: [Int]) -> SQL {
        if ids.count > 32 { return "\(list: ids)" }
        return "(\(sql: ids.map { "\($0)" as SQL }.joined(separator: ", ")))"
    }

    /// How the candidate query finds its rows: by scanning products in id order (both nil), by
    /// streaming one category's products in id order (`category`), or by first listing the
    /// products of one condition through an index (`listed`: that condition's path).
    struct Plan { var category: Int?; var listed: String? }

    /// Picks the cheapest way to find `limit` candidates. The conditions that can drive are the
    /// positive ones directly under an ALL-TRUE root that an index lists — a constant category,
    /// a custom attribute `==` / `is one of` / multiselect `contains` a constant or the matched
    /// product's value — each listing n products (estimated now). With N products, s = n / N
    /// for each and S their product (independence assumed), the rows to test are about
    /// - scanning in id order: min(N, limit / S);
    /// - streaming a single category j (no listing first): min(n_j, limit · s_j / S);
    /// - listing condition j first: n_j / 3 (listing a row costs about a third of testing one)
    ///   + min(n_j, limit · s_j / S).
    func driver(_ display: RuleCondition, limit: Int) throws -> Plan {
        guard case .combine(.all, true, let children) = display else { return Plan() }
        var listed: [(path: String, products: Double, category: Int?)] = []
        for (offset, child) in children.enumerated() {
            guard case .condition(let comparison) = child, let attribute = catalog.attribute(comparison.attribute),
                  let products = try listedProducts(comparison, attribute) else { continue }
            var single: Int?
            if attribute.source == .category, case .constant(let value) = comparison.value {
                let ids = try categoryIDs(value)
                if ids.count == 1 { single = ids[0] }
            }
            listed.append(("display.conditions[\(offset)]", products, single))
        }
        guard !listed.isEmpty else { return Plan() }
        let catalogSize = max(1, Double(try db.scalarInt("SELECT count(*) FROM products") ?? 0))
        let wanted = Double(limit)
        let selectivity = listed.reduce(1.0) { $0 * min(1, max($1.products, 0.5) / catalogSize) }
        var best = (plan: Plan(), cost: min(catalogSize, wanted / selectivity))
        for candidate in listed {
            let own = min(1, max(candidate.products, 0.5) / catalogSize)
            let tested = min(candidate.products, wanted * own / selectivity)
            let cost = candidate.category == nil ? candidate.products / 3 + tested : tested
            if cost < best.cost {
                best = (candidate.category.map { Plan(category: $0, listed: nil) } ?? Plan(category: nil, listed: candidate.path), cost)
            }
        }
        return best.plan
    }

    /// How many products an index would list for the condition, or nil when it cannot drive.
    private func listedProducts(_ comparison: RuleComparison, _ attribute: RuleAttribute) throws -> Double? {
        switch (attribute.source, comparison.value) {
        case (.category, .constant(let value)) where !comparison.op.isNegative:
            return Double(try db.scalarInt("SELECT count(*) FROM product_categories WHERE category_id IN \(list: try categoryIDs(value))" as SQL) ?? 0)
        case (.custom(let id), .constant(let value)) where attribute.kind != .boolean
                && (comparison.op == .equal || comparison.op == .isOneOf || (comparison.op == .contains && attribute.kind == .multiselect)):
            let items: [RuleConstant] = if case .list(let items) = value { items } else { [value] }
            let texts = items.map { item -> RuleJSON in
                if case .number(let n) = item, attribute.kind != .number { return RuleJSON(.string(RuleJSON.numberText(n))) }
                return item.json
            }
            let column = attribute.kind == .number ? "number" : "value"
            let values = Self.list(RuleJSON(.array(texts)).compactText, numeric: attribute.kind == .number)
            return Double(try db.scalarInt("""
                SELECT count(*) FROM product_attributes WHERE attribute_id = \(id) AND \(literal: column) IN \(sql: values)
                """ as SQL) ?? 0)
        case (.custom(let id), .sameAsMatched) where attribute.kind != .boolean && comparison.op == .equal:
            // Products per value, on average.
            let statement = try db.cachedStatement("SELECT count(*), count(DISTINCT value) FROM product_attributes WHERE attribute_id = ?")
            return try statement.map([id]) { row in Double(row.int(at: 0)) / Double(max(1, row.int(at: 1))) }.first
        default:
            return nil
        }
    }

    private func categoryPredicate(_ comparison: RuleComparison, drive: Bool, matched: SQL?) throws -> SQL {
        let matchedID = matched ?? "NULL"
        // The set of category ids the condition is about, as `IN` operand.
        let categories: SQL
        switch comparison.value {
        case .constant(let value):
            categories = bindIDs(try categoryIDs(value))
        case .childOfMatched:
            categories = """
                (SELECT c.category_id FROM product_categories AS mc
                 \(sql: SQL.orderedJoin) categories AS mcat ON mcat.category_id = mc.category_id
                 \(sql: SQL.orderedJoin) categories AS c ON c.path LIKE mcat.path || '/%'
                 WHERE mc.product_id = \(sql: matchedID))
                """
        default:
            // Same as matched: in one of the matched product's deepest categories (none of its
            // other categories is below them). A category in common is not enough: Magento puts a
            // product in every level of its branch, so every bag and watch share "Gear".
            categories = """
                (SELECT mc.category_id FROM product_categories AS mc
                 JOIN categories AS mcat ON mcat.category_id = mc.category_id
                 WHERE mc.product_id = \(sql: matchedID) AND NOT EXISTS (
                     SELECT 1 FROM product_categories AS dc JOIN categories AS dcat ON dcat.category_id = dc.category_id
                     WHERE dc.product_id = mc.product_id AND dcat.path LIKE mcat.path || '/%'))
                """
        }
        let holds: SQL = drive
            ? "p.product_id IN (SELECT pc.product_id FROM product_categories AS pc WHERE pc.category_id IN \(sql: categories))"
            : "EXISTS (SELECT 1 FROM product_categories AS pc WHERE pc.product_id = p.product_id AND pc.category_id IN \(sql: categories))"
        return comparison.op.isNegative ? "NOT \(sql: holds)" : holds
    }

    private func customPredicate(_ id: Int, _ kind: RuleAttribute.Kind, _ comparison: RuleComparison, drive: Bool,
                                 matched: SQL?) -> SQL {
        let attribute: SQL = "\(id)"
        let (column, matchedColumn): (SQL, SQL) = switch kind {
        case .number: ("a.number", "ma.number")
        case .date: ("substr(a.value, 1, 10)", "substr(ma.value, 1, 10)")
        default: ("a.value", "ma.value")
        }
        let matchedID = matched ?? "NULL"
        func exists(_ condition: SQL, product: SQL? = nil) -> SQL {
            if drive && product == nil {
                // Through the index on (attribute_id, value): the products having the value(s).
                return "p.product_id IN (SELECT a.product_id FROM product_attributes AS a WHERE a.attribute_id = \(sql: attribute) AND \(sql: condition))"
            }
            return "EXISTS (SELECT 1 FROM product_attributes AS a WHERE a.product_id = \(sql: product ?? "p.product_id") AND a.attribute_id = \(sql: attribute) AND \(sql: condition))"
        }
        if kind == .boolean {
            let truthy = exists("(a.number = 1 OR lower(a.value) IN ('yes', 'true'))")
            switch comparison.value {
            case .constant(let value):
                let wanted: Bool = switch value {
                case .bool(let flag): flag
                case .number(let n): n != 0
                default: true
                }
                return (wanted == (comparison.op == .equal)) ? truthy : "NOT \(sql: truthy)"
            default:
                let matchedTruthy = exists("(a.number = 1 OR lower(a.value) IN ('yes', 'true'))", product: matchedID)
                return "(\(sql: truthy) \(literal: comparison.op == .equal ? "=" : "<>") \(sql: matchedTruthy))"
            }
        }
        let matchedValues: SQL = "(SELECT \(sql: matchedColumn) FROM product_attributes AS ma WHERE ma.product_id = \(sql: matchedID) AND ma.attribute_id = \(sql: attribute))"
        switch comparison.value {
        case .constant(let value):
            switch comparison.op {
            case .equal: return exists("\(sql: column) = \(sql: bindScalar(value, kind: kind))")
            case .notEqual: return "NOT \(sql: exists("\(sql: column) = \(sql: bindScalar(value, kind: kind))"))"
            case .less, .lessOrEqual, .greater, .greaterOrEqual:
                return exists("\(sql: column) \(literal: Self.sqlOperator(comparison.op)) \(sql: bindScalar(value, kind: kind))")
            case .contains, .doesNotContain:
                // Text: a substring (ASCII case-insensitive); multiselect: has that option.
                let test: SQL = kind == .multiselect ? "\(sql: column) = \(sql: bindScalar(value, kind: kind))"
                    : Self.contains("lower(\(sql: column))", "lower(\(sql: bindScalar(value, kind: kind)))")
                return comparison.op == .contains ? exists(test) : "NOT \(sql: exists(test))"
            case .isOneOf: return exists("\(sql: column) IN \(sql: bindList(value, kind: kind))")
            case .isNotOneOf: return "NOT \(sql: exists("\(sql: column) IN \(sql: bindList(value, kind: kind))"))"
            }
        default:
            switch comparison.op {
            case .equal: return exists("\(sql: column) IN \(sql: matchedValues)")          // at least one value in common
            case .notEqual: return "NOT \(sql: exists("\(sql: column) IN \(sql: matchedValues)"))"
            default:
                let first: SQL = "(SELECT \(sql: matchedColumn) FROM product_attributes AS ma WHERE ma.product_id = \(sql: matchedID) AND ma.attribute_id = \(sql: attribute) ORDER BY ma.ordinal LIMIT 1)"
                return exists("\(sql: column) \(literal: Self.sqlOperator(comparison.op)) \(sql: first)")
            }
        }
    }

    // MARK: Keys

    /// A value of the matched product that the display tree reads.
    enum KeySource: Hashable {
        case column(String, date: Bool)
        case category
        case custom(id: Int, code: String, kind: RuleAttribute.Kind)

        var attributeName: String {
            switch self {
            case .column(let name, _): name
            case .category: "category"
            case .custom(_, let code, _): code
            }
        }
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
                case .custom(let id): .custom(id: id, code: attribute.name, kind: attribute.kind)
                }
                if !result.contains(source) { result.append(source) }
            }
        }
        walk(node)
        return result
    }

    /// `json_array(…)` of the key sources for product `p`; '[]' when there are none. Only equal
    /// keys matter, so each engine writes them with its own JSON functions.
    func key(_ sources: [KeySource]) -> SQL {
        guard !sources.isEmpty else { return "'[]'" }
        let parts = sources.map { source -> SQL in
            switch source {
            case .column(let column, let date): return date ? "substr(p.\(literal: column), 1, 10)" : "p.\(literal: column)"
            case .category:
                return """
                    \(sqlite: "(SELECT json_group_array(category_id) FROM (SELECT kc.category_id FROM product_categories AS kc WHERE kc.product_id = p.product_id ORDER BY 1))",
                       postgreSQL: "(SELECT json_agg(kc.category_id ORDER BY kc.category_id) FROM product_categories AS kc WHERE kc.product_id = p.product_id)")
                    """
            case .custom(let id, _, let kind):
                if kind == .boolean {
                    return "EXISTS (SELECT 1 FROM product_attributes AS ka WHERE ka.product_id = p.product_id AND ka.attribute_id = \(id) AND (ka.number = 1 OR lower(ka.value) IN ('yes', 'true')))"
                }
                let column = kind == .number ? "ka.number" : kind == .date ? "substr(ka.value, 1, 10)" : "ka.value"
                // `+`: look the product up by primary key, not by the (attribute_id, value) index.
                return """
                    \(sqlite: "(SELECT json_group_array(v) FROM (SELECT \(column) AS v FROM product_attributes AS ka WHERE ka.product_id = p.product_id AND +ka.attribute_id = \(id) ORDER BY 1))",
                       postgreSQL: "(SELECT json_agg(\(column) ORDER BY \(column)) FROM product_attributes AS ka WHERE ka.product_id = p.product_id AND ka.attribute_id = \(id))")
                    """
            }
        }
        return "\(sqlite: "json_array(", postgreSQL: "CAST(json_build_array(")\(sql: parts.joined(separator: ", "))\(sqlite: ")", postgreSQL: ") AS text)")"
    }
}

extension StoreCaches.Namespace {
    /// Compiled rules, keyed by the database's rule generation (which moves whenever rules or
    /// attribute definitions change) and rule id — so a placement never recompiles, and never
    /// uses SQL of an older rule. Bounded: entries of old generations go too.
    static let compiledRules = StoreCaches.Namespace("compiled rules", limit: 4_096)
}
