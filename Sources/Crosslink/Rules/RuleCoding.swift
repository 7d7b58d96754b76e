/// Rules as JSON: the shape stored in the `rules` table's condition columns and the rule files
/// that `crosslink rules add/import/export` read and write (README, "Related-product rules").
///
/// ```json
/// {"rules": [{
///   "name": "Bags: pricier bags", "active": true, "applies_to": "upsell", "priority": 1, "limit": 4,
///   "from": null, "to": null, "segments": [],
///   "match":   {"aggregator": "all", "value": true, "conditions": [
///                 {"attribute": "category", "operator": "==", "value": "Gear/Bags"}]},
///   "display": {"aggregator": "all", "value": true, "conditions": [
///                 {"attribute": "category", "operator": "==", "value_type": "same_as_matched"},
///                 {"attribute": "final_price", "operator": ">=", "value_type": "percent_of_matched", "value": 100}]}
/// }]}
/// ```
///
/// ```swift
/// let file = try RuleFile(text: try String(contentsOfFile: "rules.json", encoding: .utf8), file: "rules.json")
/// for entry in file.rules { print(entry.rule.name) }
/// print(RuleFile.export(rules))   // the same shape, one condition per line
/// ```
public struct RuleFile: Sendable {
    /// A rule read from a file, with where each of its parts starts (keyed by path: `display.conditions[0]`).
    public typealias Entry = JSONFileEntry<Rule>

    public var rules: [Entry]

    /// Reads a file holding one rule object, a list of rules, or `{"rules": [...]}`.
    /// Errors name the file, line, column, rule and path.
    public init(text: String, file: String? = nil) throws {
        rules = try JSONEntryFile.entries(of: text, file: file, key: "rules", entry: "rule", subject: "rule file",
                                          decoder: { RuleDecoder(file: file, index: $0) }, decode: { try $0.rule($1) })
    }

    /// `{"rules": [ … ]}`, indented, one condition per line; reads back to the same rules.
    public static func export(_ rules: [Rule]) -> String {
        RuleJSON(.object([("rules", RuleJSON(.array(rules.map(\.json))))])).prettyText + "\n"
    }
}

extension Rule {
    /// The rule as a JSON object (without its database id).
    public var json: RuleJSON {
        func string(_ value: String?) -> RuleJSON { value.map { RuleJSON(.string($0)) } ?? RuleJSON(.null) }
        return RuleJSON(.object([
            ("name", RuleJSON(.string(name))),
            ("active", RuleJSON(.bool(isActive))),
            ("applies_to", RuleJSON(.string(appliesTo.rawValue))),
            ("priority", RuleJSON(.number(Double(priority), text: String(priority)))),
            ("limit", RuleJSON(.number(Double(effectiveLimit), text: String(effectiveLimit)))),
            ("from", string(fromDate)),
            ("to", string(toDate)),
            ("segments", RuleJSON(.array(segments.map { RuleJSON(.string($0)) }))),
            ("match", match.json),
            ("display", display.json),
        ]))
    }

    /// Decodes one rule object (as `RuleFile` does, without a file name).
    public init(json: RuleJSON) throws {
        var decoder = RuleDecoder(file: nil, index: nil)
        self = try decoder.rule(json)
    }
}

extension RuleCondition {
    /// The tree as stored in `rules.match_conditions` / `display_conditions`.
    public var json: RuleJSON {
        switch self {
        case .combine(let aggregator, let expected, let children):
            return RuleJSON(.object([
                ("aggregator", RuleJSON(.string(aggregator.rawValue))),
                ("value", RuleJSON(.bool(expected))),
                ("conditions", RuleJSON(.array(children.map(\.json)))),
            ]))
        case .condition(let comparison):
            var members: [(key: String, value: RuleJSON)] = [
                ("attribute", RuleJSON(.string(comparison.attribute))),
                ("operator", RuleJSON(.string(comparison.op.rawValue))),
            ]
            switch comparison.value {
            case .constant(let constant): members.append(("value", constant.json))
            case .sameAsMatched, .childOfMatched: members.append(("value_type", RuleJSON(.string(comparison.value.typeName))))
            case .percentOfMatched(let n), .amountFromMatched(let n):
                members.append(("value_type", RuleJSON(.string(comparison.value.typeName))))
                members.append(("value", RuleConstant.number(n).json))
            }
            return RuleJSON(.object(members))
        }
    }

    /// Decodes a stored tree; `path` names it in errors (`match`, `display`).
    init(json: RuleJSON, subject: String, path: String) throws {
        var decoder = RuleDecoder(file: nil, index: nil)
        decoder.subject = subject
        self = try decoder.condition(json, path: path)
    }
}

extension RuleConstant {
    var json: RuleJSON {
        switch self {
        case .string(let value): RuleJSON(.string(value))
        case .number(let value): RuleJSON(.number(value, text: RuleJSON.numberText(value)))
        case .bool(let value): RuleJSON(.bool(value))
        case .list(let values): RuleJSON(.array(values.map(\.json)))
        }
    }
}

/// JSON → `Rule`, remembering where each part starts, with errors naming rule and path.
struct RuleDecoder: JSONEntryDecoder {
    var entry: JSONEntryState

    init(file: String?, index: Int?) {
        entry = JSONEntryState(kind: "rule", file: file, index: index)
    }

    func members(_ value: RuleJSON, path: String, allowed: [String], what: String) throws -> [(key: String, value: RuleJSON)] {
        guard case .object(let members) = value.kind else {
            throw fail(path, "expected \(what) (an object), found \(value.typeName)", at: value)
        }
        for member in members where !allowed.contains(member.key) {
            throw fail(path, "unknown member \"\(member.key)\"; \(what) has \(allowed.joined(separator: ", "))", at: member.value)
        }
        return members
    }

    static let ruleKeys = ["name", "active", "applies_to", "priority", "limit", "from", "to", "segments", "match", "display"]

    mutating func rule(_ value: RuleJSON) throws -> Rule {
        locations[""] = location(value)
        guard case .object = value.kind else { throw fail("", "expected a rule (an object), found \(value.typeName)", at: value) }
        // The name first, so that every later error names the rule.
        if case .string(let name)? = value["name"]?.kind { entry.name(name) }
        _ = try members(value, path: "", allowed: Self.ruleKeys, what: "a rule")
        for key in Self.ruleKeys { if let member = value[key] { locations[key] = location(member) } }

        guard let nameValue = value["name"] else { throw fail("name", "missing; every rule needs a unique name", at: value) }
        guard case .string(let name) = nameValue.kind else { throw fail("name", "expected a string, found \(nameValue.typeName)", at: nameValue) }

        var isActive = true
        if let active = value["active"] {
            switch active.kind {
            case .bool(let flag): isActive = flag
            case .number(let n, _) where n == 0 || n == 1: isActive = n == 1
            default: throw fail("active", "expected true or false, found \(active.typeName)", at: active)
            }
        }

        guard let appliesValue = value["applies_to"] else {
            throw fail("applies_to", "missing; use \"related\", \"upsell\" or \"crosssell\"", at: value)
        }
        let appliesTo: LinkType
        switch appliesValue.kind {
        case .string(let text) where LinkType(rawValue: text) != nil: appliesTo = LinkType(rawValue: text)!
        case .number(let n, _) where [1, 2, 3].contains(n): appliesTo = [.related, .upsell, .crosssell][Int(n) - 1]  // Magento's apply_to
        default: throw fail("applies_to", "expected \"related\", \"upsell\" or \"crosssell\" (or Magento's 1, 2, 3), found \(describe(appliesValue))", at: appliesValue)
        }

        let priority = try integer(value["priority"], path: "priority", default: 1)
        let limit = try integer(value["limit"], path: "limit", default: 0)
        let fromDate = try optionalString(value["from"], path: "from")
        let toDate = try optionalString(value["to"], path: "to")

        var segments: [String] = []
        if let segmentsValue = value["segments"] {
            switch segmentsValue.kind {
            case .null: break
            case .array(let items):
                for (offset, item) in items.enumerated() {
                    guard case .string(let segment) = item.kind else {
                        throw fail("segments[\(offset)]", "expected a segment code (a string), found \(item.typeName)", at: item)
                    }
                    segments.append(segment)
                }
            default: throw fail("segments", "expected a list of segment codes, found \(segmentsValue.typeName)", at: segmentsValue)
            }
        }

        let match = try value["match"].map { try condition($0, path: "match") } ?? .all([])
        guard let displayValue = value["display"] else {
            throw fail("display", "missing; a rule needs \"products to display\" conditions", at: value)
        }
        let display = try condition(displayValue, path: "display")
        return Rule(name: name, isActive: isActive, appliesTo: appliesTo, priority: priority, limit: limit,
                    fromDate: fromDate, toDate: toDate, segments: segments, match: match, display: display)
    }

    func describe(_ value: RuleJSON) -> String {
        switch value.kind {
        case .string(let text): RuleText.quoted(text)
        case .number(_, let text): text
        default: value.typeName
        }
    }

    func integer(_ value: RuleJSON?, path: String, default defaultValue: Int) throws -> Int {
        guard let value else { return defaultValue }
        switch value.kind {
        case .null: return defaultValue
        case .string(let text) where text.isEmpty: return defaultValue   // Magento's "empty"
        case .number(let n, _) where n == n.rounded() && abs(n) < 1e9:
            return Int(n)
        default: throw fail(path, "expected a whole number, found \(describe(value))", at: value)
        }
    }

    func optionalString(_ value: RuleJSON?, path: String) throws -> String? {
        guard let value else { return nil }
        switch value.kind {
        case .null: return nil
        case .string(let text): return text.isEmpty ? nil : text
        default: throw fail(path, "expected a date \"YYYY-MM-DD\" or null, found \(value.typeName)", at: value)
        }
    }

    static let combinationKeys = ["aggregator", "value", "conditions"]
    static let comparisonKeys = ["attribute", "operator", "value_type", "value"]

    mutating func condition(_ value: RuleJSON, path: String) throws -> RuleCondition {
        locations[path] = location(value)
        guard case .object = value.kind else {
            throw fail(path, "expected a combination {aggregator, value, conditions} or a condition {attribute, operator, value}, found \(value.typeName)", at: value)
        }
        // A condition names an attribute, an operator or a value type; anything else is a combination ({} = ALL of nothing).
        if value["attribute"] == nil && value["operator"] == nil && value["value_type"] == nil {
            _ = try members(value, path: path, allowed: Self.combinationKeys, what: "a combination")
            var aggregator = RuleAggregator.all
            if let aggregatorValue = value["aggregator"] {
                guard case .string(let text) = aggregatorValue.kind, let parsed = RuleAggregator(rawValue: text) else {
                    throw fail(path + ".aggregator", "expected \"all\" or \"any\", found \(describe(aggregatorValue))", at: aggregatorValue)
                }
                aggregator = parsed
            }
            var expected = true
            if let expectedValue = value["value"] {
                switch expectedValue.kind {
                case .bool(let flag): expected = flag
                case .number(let n, _) where n == 0 || n == 1: expected = n == 1   // Magento stores "1"/"0"
                case .string(let text) where text == "1" || text == "0": expected = text == "1"
                default: throw fail(path + ".value", "expected true or false, found \(describe(expectedValue))", at: expectedValue)
                }
            }
            var children: [RuleCondition] = []
            if let conditionsValue = value["conditions"] {
                guard case .array(let items) = conditionsValue.kind else {
                    throw fail(path + ".conditions", "expected a list of conditions, found \(conditionsValue.typeName)", at: conditionsValue)
                }
                for (offset, item) in items.enumerated() {
                    children.append(try condition(item, path: "\(path).conditions[\(offset)]"))
                }
            }
            return .combine(aggregator, expected: expected, children)
        }
        _ = try members(value, path: path, allowed: Self.comparisonKeys, what: "a condition")
        guard let attributeValue = value["attribute"] else { throw fail(path, "missing attribute", at: value) }
        guard case .string(let attribute) = attributeValue.kind, !attribute.isEmpty else {
            throw fail(path + ".attribute", "expected an attribute name, found \(describe(attributeValue))", at: attributeValue)
        }
        guard let operatorValue = value["operator"] else { throw fail(path, "missing operator", at: value) }
        guard case .string(let operatorText) = operatorValue.kind, let op = RuleOperator(text: operatorText) else {
            throw fail(path + ".operator", "unknown operator \(describe(operatorValue)); use one of "
                       + RuleOperator.allCases.map(\.rawValue).joined(separator: ", "), at: operatorValue)
        }
        var valueType = "constant"
        if let typeValue = value["value_type"] {
            guard case .string(let text) = typeValue.kind else {
                throw fail(path + ".value_type", "expected a string, found \(typeValue.typeName)", at: typeValue)
            }
            valueType = text
        }
        let raw = value["value"]
        let ruleValue: RuleValue
        switch valueType {
        case "constant":
            guard let raw, raw.kind != .null else { throw fail(path, "missing value", at: value) }
            ruleValue = .constant(try constant(raw, path: path + ".value", depth: 0))
        case "same_as_matched", "child_of_matched":
            if let raw, raw.kind != .null {
                throw fail(path + ".value", "\(valueType) takes no value (it is the matched product's)", at: raw)
            }
            ruleValue = valueType == "same_as_matched" ? .sameAsMatched : .childOfMatched
        case "percent_of_matched", "amount_from_matched":
            var number = valueType == "percent_of_matched" ? 100.0 : Double.nan   // Adobe: N defaults to 100
            if let raw, raw.kind != .null {
                guard case .number(let n, _) = raw.kind else {
                    throw fail(path + ".value", "expected a number, found \(describe(raw))", at: raw)
                }
                number = n
            }
            guard !number.isNaN else { throw fail(path, "missing value: the amount to add to the matched product's price", at: value) }
            ruleValue = valueType == "percent_of_matched" ? .percentOfMatched(number) : .amountFromMatched(number)
        default:
            throw fail(path + ".value_type", "unknown value type \(RuleText.quoted(valueType)); use constant, same_as_matched, "
                       + "child_of_matched, percent_of_matched or amount_from_matched", at: value["value_type"] ?? value)
        }
        return .condition(attribute, op, ruleValue)
    }

    func constant(_ value: RuleJSON, path: String, depth: Int) throws -> RuleConstant {
        switch value.kind {
        case .string(let text): return .string(text)
        case .number(let n, _): return .number(n)
        case .bool(let flag): return .bool(flag)
        case .array(let items) where depth == 0:
            return .list(try items.enumerated().map { offset, item in try constant(item, path: "\(path)[\(offset)]", depth: 1) })
        default: throw fail(path, "expected \(depth == 0 ? "a string, number, boolean or list of them" : "a string, number or boolean"), found \(value.typeName)", at: value)
        }
    }
}
