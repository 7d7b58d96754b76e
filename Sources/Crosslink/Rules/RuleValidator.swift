import Foundation

/// Checks a rule before it is stored: every attribute known, every operator fitting the
/// attribute's type, relative values only where there is a matched product and a value to be
/// relative to, values of the right type, limit 0–20, from ≤ to, trees within the size limits.
/// The first problem throws an ``InputError`` naming the rule and the condition's path.
///
/// ```swift
/// try RuleValidator(db).validate(rule)
/// // rule "Bags: same brand": display.conditions[1].conditions[0]: unknown attribute "brnad"
/// ```
public struct RuleValidator {
    let db: Database
    let catalog: RuleAttributeCatalog

    public init(_ db: Database) throws {
        self.db = db
        self.catalog = try RuleAttributeCatalog(db)
    }

    /// Throws the first problem of `rule`; `locate` maps a path to its place in a file.
    public func validate(_ rule: Rule, index: Int? = nil, locate: (String) -> InputLocation? = { _ in nil }) throws {
        let subject = JSONEntryFile.subject("rule", name: rule.name, index: index)
        func fail(_ path: String, _ message: String) -> InputError {
            InputError(message, at: locate(path), subject: subject, path: path)
        }
        let name = rule.name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, rule.name.count <= 255 else { throw fail("name", "must be 1 to 255 characters, not blank") }
        if let problem = StoredText.problem(rule.name) { throw fail("name", problem) }
        guard rule.priority >= 1 else { throw fail("priority", "\(rule.priority) is out of range: use 1 or more (1 runs first)") }
        guard (0...Rule.maximumLimit).contains(rule.limit) else {
            throw fail("limit", "\(rule.limit) is out of range: use 1–\(Rule.maximumLimit) (0 or empty means \(Rule.maximumLimit))")
        }
        for (path, date) in [("from", rule.fromDate), ("to", rule.toDate)] {
            if let date, !Self.isDate(date) { throw fail(path, "\(RuleText.quoted(date)) is not a date; write YYYY-MM-DD") }
        }
        if let from = rule.fromDate, let to = rule.toDate, from > to {
            throw fail("", "from \(from) is after to \(to)")
        }
        for (offset, segment) in rule.segments.enumerated() where segment.trimmingCharacters(in: .whitespaces).isEmpty {
            throw fail("segments[\(offset)]", "a segment code cannot be blank")
        }
        for (offset, segment) in rule.segments.enumerated() {
            if let problem = StoredText.codeProblem(segment) { throw fail("segments[\(offset)]", problem) }
        }
        for (tree, root) in [("match", rule.match), ("display", rule.display)] {
            let count = root.nodeCount
            if count > Rule.maximumConditions {
                throw fail(tree, "\(count) conditions and combinations; at most \(Rule.maximumConditions) are allowed in one tree")
            }
            try check(root, path: tree, depth: 1, relativeAllowed: tree == "display", fail: fail)
        }
    }

    private func check(_ node: RuleCondition, path: String, depth: Int, relativeAllowed: Bool,
                       fail: (String, String) -> InputError) throws {
        guard depth <= Rule.maximumDepth else {
            throw fail(path, "nesting deeper than \(Rule.maximumDepth) levels")
        }
        switch node {
        case .combine(_, _, let children):
            for (offset, child) in children.enumerated() {
                try check(child, path: "\(path).conditions[\(offset)]", depth: depth + 1, relativeAllowed: relativeAllowed, fail: fail)
            }
        case .condition(let comparison):
            if let message = try problem(comparison, relativeAllowed: relativeAllowed) { throw fail(path, message) }
        }
    }

    static func operatorList(_ operators: [RuleOperator]) -> String {
        operators.map(\.rawValue).joined(separator: ", ")
    }

    /// What is wrong with one condition, or nil.
    private func problem(_ comparison: RuleComparison, relativeAllowed: Bool) throws -> String? {
        guard let attribute = catalog.attribute(comparison.attribute) else {
            return "unknown attribute \(RuleText.quoted(comparison.attribute))"
        }
        let op = comparison.op
        let kind = attribute.kind
        switch comparison.value {
        case .constant(let constant):
            guard kind.constantOperators.contains(op) else {
                return "operator \"\(op.rawValue)\" does not fit \(attribute.name) (\(kind.article)); use \(Self.operatorList(kind.constantOperators))"
            }
            return try constantProblem(constant, attribute: attribute, op: op)
        case .sameAsMatched, .childOfMatched, .percentOfMatched, .amountFromMatched:
            let valueType = comparison.value.typeName
            guard relativeAllowed else {
                return "\(valueType) needs a matched product, and \"products to match\" conditions have none; compare with a constant"
            }
            let operators: [RuleOperator]
            switch comparison.value {
            case .sameAsMatched:
                operators = kind.sameAsOperators
            case .childOfMatched:
                guard kind == .category else { return "child_of_matched does not apply to \(attribute.name) (\(kind.article)); it applies to category only" }
                operators = [.equal, .notEqual]
            case .percentOfMatched(let n), .amountFromMatched(let n):
                guard attribute.isPrice else {
                    return "\(valueType) does not apply to \(attribute.name) (\(kind.article)); it applies to \(RuleAttributeCatalog.priceNames)"
                }
                guard n.isFinite else { return "\(valueType) needs a finite number" }
                if case .percentOfMatched = comparison.value, n < 0 { return "percent_of_matched takes a percentage ≥ 0, not \(RuleJSON.numberText(n))" }
                operators = [.equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual]
            case .constant:
                operators = []
            }
            guard operators.contains(op) else {
                return "operator \"\(op.rawValue)\" does not fit \(valueType) on \(attribute.name) (\(kind.article)); use \(Self.operatorList(operators))"
            }
            return nil
        }
    }

    private func constantProblem(_ constant: RuleConstant, attribute: RuleAttribute, op: RuleOperator) throws -> String? {
        let values: [RuleConstant]
        if op.takesList {
            if case .list(let items) = constant { values = items } else { values = [constant] }
            if values.isEmpty { return "\"\(op.rawValue)\" needs at least one value" }
            if values.count > Rule.maximumListValues {
                return "\"\(op.rawValue)\" takes at most \(Rule.maximumListValues) values, found \(values.count)"
            }
        } else {
            if case .list = constant { return "operator \"\(op.rawValue)\" takes one value, found a list; use \"is one of\" for several" }
            values = [constant]
        }
        for value in values {
            if let message = try valueProblem(value, attribute: attribute, op: op) { return message }
        }
        return nil
    }

    private func describe(_ value: RuleConstant) -> String {
        switch value {
        case .string(let text): RuleText.quoted(text)
        case .number(let n): RuleJSON.numberText(n)
        case .bool(let flag): String(flag)
        case .list: "a list"
        }
    }

    private func valueProblem(_ value: RuleConstant, attribute: RuleAttribute, op: RuleOperator) throws -> String? {
        let name = attribute.name
        switch attribute.kind {
        case .number:
            guard case .number(let n) = value, n.isFinite else { return "\(name) takes a number, found \(describe(value))" }
            if let range = attribute.allowedRange, !range.contains(n) || n != n.rounded() {
                return "\(name) takes a whole number from \(Int(range.lowerBound)) to \(Int(range.upperBound)), found \(describe(value))"
            }
        case .boolean:
            switch value {
            case .bool: break
            case .number(let n) where n == 0 || n == 1: break
            default: return "\(name) takes true or false, found \(describe(value))"
            }
        case .date:
            guard case .string(let text) = value, Self.isDate(text) else { return "\(name) takes a date \"YYYY-MM-DD\", found \(describe(value))" }
        case .text, .select, .multiselect:
            switch value {
            case .string(let text):
                if (op == .contains || op == .doesNotContain) && text.isEmpty { return "\"\(op.rawValue)\" needs a non-empty text" }
                if let allowed = attribute.allowedValues, !allowed.contains(text) {
                    return "\(name) takes one of \(allowed.joined(separator: ", ")), found \(describe(value))"
                }
            case .number(let n):
                if let allowed = attribute.allowedValues, !allowed.contains(RuleJSON.numberText(n)) {
                    return "\(name) takes one of \(allowed.joined(separator: ", ")), found \(describe(value))"
                }
            default: return "\(name) takes text, found \(describe(value))"
            }
        case .category:
            switch value {
            case .number(let n) where n == n.rounded():
                // An id past Int64 is no category (and `Int(n)` would trap).
                let known = abs(n) < 9.0e15 ? try db.scalarInt("SELECT count(*) FROM categories WHERE category_id = ?", [Int(n)]) ?? 0 : 0
                if known == 0 {
                    return "unknown category \(RuleJSON.numberText(n))"
                }
            case .string(let path):
                if try db.scalarInt(RuleCompiler.categoryCount("[\(RuleJSON(.string(path)).compactText)]")) == 0 {
                    return "unknown category \(RuleText.quoted(path)); give its id or its path such as \"Gear/Bags\""
                }
            default: return "category takes a category id or path such as \"Gear/Bags\", found \(describe(value))"
            }
        }
        return nil
    }

    /// A real calendar date written YYYY-MM-DD.
    static func isDate(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.utf8.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]), (1...12).contains(month), day >= 1 else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return day <= days
    }
}
