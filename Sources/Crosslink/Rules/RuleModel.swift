import Foundation

/// A related-product rule (Adobe Commerce "TargetRule"): when the viewed product (for
/// cross-sells: any cart item) satisfies `match`, show the products that satisfy `display`.
///
/// ```swift
/// let rule = Rule(name: "Bags: pricier bags", appliesTo: .upsell, priority: 1, limit: 4,
///                 match: .all([.condition("category", .equal, "Gear/Bags")]),
///                 display: .all([.condition("category", .equal, .sameAsMatched),
///                                .condition("final_price", .greaterOrEqual, .percentOfMatched(100))]))
/// try store.write { db in try RuleRepository(db).add(rule) }
/// ```
public struct Rule: Sendable, Equatable {
    /// `rules.rule_id`; nil for a rule not yet stored.
    public var id: Int?
    /// Unique; errors and placement reasons name the rule by it.
    public var name: String
    public var isActive: Bool
    /// The block the rule fills: related, upsell (product page) or crosssell (cart).
    public var appliesTo: LinkType
    /// Rules run by priority, 1 first (ties: by id).
    public var priority: Int
    /// Most products this rule contributes: 1–20; 0 means 20 (Adobe's "empty").
    public var limit: Int
    /// Inclusive dates (`YYYY-MM-DD`) in the store's time zone; nil = open.
    public var fromDate: String?
    public var toDate: String?
    /// Customer segments the rule is shown to; empty = everyone.
    public var segments: [String]
    /// "Products to match": conditions on the viewed product (cross-sells: on any cart item).
    public var match: RuleCondition
    /// "Products to display": conditions on candidate products, possibly relative to the matched one.
    public var display: RuleCondition

    public init(id: Int? = nil, name: String, isActive: Bool = true, appliesTo: LinkType, priority: Int = 1, limit: Int = 0,
                fromDate: String? = nil, toDate: String? = nil, segments: [String] = [],
                match: RuleCondition = .all([]), display: RuleCondition) {
        self.id = id; self.name = name; self.isActive = isActive; self.appliesTo = appliesTo; self.priority = priority
        self.limit = limit; self.fromDate = fromDate; self.toDate = toDate; self.segments = segments
        self.match = match; self.display = display
    }

    /// The limit as stored and applied: 0 means 20.
    public var effectiveLimit: Int { limit == 0 ? Rule.maximumLimit : limit }

    public static let maximumLimit = 20
    /// Deepest allowed tree: the root combination is level 1.
    public static let maximumDepth = 10
    /// Most nodes (combinations + conditions) in one tree.
    public static let maximumConditions = 200
    /// Most values in one "is one of" list.
    public static let maximumListValues = 1_000
}

/// "If ALL / ANY of these conditions are TRUE / FALSE" — Magento's combination.
public enum RuleAggregator: String, Sendable, CaseIterable {
    case all, any
}

/// A condition tree: combinations of conditions.
public indirect enum RuleCondition: Sendable, Equatable {
    /// `expected: false` inverts each condition: ALL FALSE = none holds, ANY FALSE = one fails.
    /// An empty combination holds (Magento).
    case combine(RuleAggregator, expected: Bool, [RuleCondition])
    case condition(RuleComparison)

    /// ALL of `conditions` are TRUE.
    public static func all(_ conditions: [RuleCondition]) -> RuleCondition { .combine(.all, expected: true, conditions) }
    /// ANY of `conditions` is TRUE.
    public static func any(_ conditions: [RuleCondition]) -> RuleCondition { .combine(.any, expected: true, conditions) }

    /// One comparison: `attribute operator value`.
    public static func condition(_ attribute: String, _ op: RuleOperator, _ value: RuleValue) -> RuleCondition {
        .condition(RuleComparison(attribute: attribute, op: op, value: value))
    }

    /// Number of nodes (combinations and conditions) in the tree.
    public var nodeCount: Int {
        switch self {
        case .condition: 1
        case .combine(_, _, let children): 1 + children.reduce(0) { $0 + $1.nodeCount }
        }
    }
}

/// A leaf of a condition tree.
public struct RuleComparison: Sendable, Equatable {
    /// A product column (`price`, `sku`, …), `category`, or a custom attribute code.
    public var attribute: String
    public var op: RuleOperator
    public var value: RuleValue
    public init(attribute: String, op: RuleOperator, value: RuleValue) {
        self.attribute = attribute; self.op = op; self.value = value
    }
}

/// Condition operators, with Magento's codes as accepted aliases.
public enum RuleOperator: String, Sendable, CaseIterable {
    case equal = "=="
    case notEqual = "!="
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="
    case contains = "contains"
    case doesNotContain = "does not contain"
    case isOneOf = "is one of"
    case isNotOneOf = "is not one of"

    /// Reads an operator as written in a rule file: the names above, or Magento's codes
    /// (`{}` contains, `!{}` does not contain, `()` is one of, `!()` is not one of) and `=`.
    public init?(text: String) {
        switch text {
        case "=": self = .equal
        case "{}": self = .contains
        case "!{}": self = .doesNotContain
        case "()": self = .isOneOf
        case "!()": self = .isNotOneOf
        default: self.init(rawValue: text)
        }
    }

    /// Operators that hold for a product lacking the value (`!=`, does not contain, is not one of).
    public var isNegative: Bool { self == .notEqual || self == .doesNotContain || self == .isNotOneOf }
    /// Operators whose value is a list.
    public var takesList: Bool { self == .isOneOf || self == .isNotOneOf }
    var isOrdering: Bool { self == .less || self == .lessOrEqual || self == .greater || self == .greaterOrEqual }
}

/// A scalar or a list of scalars in a condition.
public enum RuleConstant: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
                          ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral {
    case string(String)
    case number(Double)
    case bool(Bool)
    case list([RuleConstant])

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: RuleConstant...) { self = .list(elements) }
}

/// What a condition compares with.
public enum RuleValue: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
                       ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral {
    /// A fixed value: `color == "Red"`, `price < 100`, `category is one of [3, "Gear/Watches"]`.
    case constant(RuleConstant)
    /// The matched product's own value (categories, multiselects: at least one in common).
    case sameAsMatched
    /// Categories: strictly below one of the matched product's categories.
    case childOfMatched
    /// Prices: N % of the matched product's same price (Adobe: "price is ≥ 100 % of matched").
    case percentOfMatched(Double)
    /// Prices: the matched product's same price plus N (negative: minus).
    case amountFromMatched(Double)

    public init(stringLiteral value: String) { self = .constant(.string(value)) }
    public init(integerLiteral value: Int) { self = .constant(.number(Double(value))) }
    public init(floatLiteral value: Double) { self = .constant(.number(value)) }
    public init(booleanLiteral value: Bool) { self = .constant(.bool(value)) }
    public init(arrayLiteral elements: RuleConstant...) { self = .constant(.list(elements)) }

    /// The `value_type` written in rule files.
    public var typeName: String {
        switch self {
        case .constant: "constant"
        case .sameAsMatched: "same_as_matched"
        case .childOfMatched: "child_of_matched"
        case .percentOfMatched: "percent_of_matched"
        case .amountFromMatched: "amount_from_matched"
        }
    }

    public var isRelative: Bool {
        if case .constant = self { return false }
        return true
    }
}

/// Which sources a block shows (Magento's "position behaviour").
public enum BlockDisplayMode: Int, Sendable, Codable, CaseIterable {
    /// Manual links first, then rule results (default).
    case both = 0
    case manualOnly = 1
    case rulesOnly = 2

    public var name: String {
        switch self {
        case .both: "both"
        case .manualOnly: "manual only"
        case .rulesOnly: "rules only"
        }
    }
}

/// How rule results are ordered before the block is cut to its maximum.
public enum RotationMode: Int, Sendable, Codable, CaseIterable {
    /// By the rule's priority, then product id: deterministic.
    case byPriorityThenID = 0
    /// By priority; products of equal priority shuffled with the seed (default).
    case byPriorityThenRandom = 1
    /// Shuffled with the seed, higher-priority rules' products more likely first.
    case weightedRandom = 2

    public var name: String {
        switch self {
        case .byPriorityThenID: "by priority then id"
        case .byPriorityThenRandom: "by priority then random"
        case .weightedRandom: "weighted random"
        }
    }
}

/// Text helpers for rule messages.
enum RuleText {
    /// `"name"`, with `"` and `\` escaped as in JSON (unlike `String(reflecting:)`, apostrophes stay as they are).
    static func quoted(_ text: String) -> String {
        RuleJSON(.string(text)).compactText
    }
}
