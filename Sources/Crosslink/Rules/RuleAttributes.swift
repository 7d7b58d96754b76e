/// What a rule condition may name: the whitelist of product columns, `category`, and the custom
/// attributes defined in the `attributes` table. The compiler writes SQL identifiers only from
/// here — never from rule text.
struct RuleAttribute: Sendable, Equatable {
    enum Kind: String, Sendable {
        case text, select, multiselect, number, boolean, date, category

        /// Readable for messages: "a number", "a multiselect attribute".
        var article: String {
            switch self {
            case .text: "text"
            case .select: "a select attribute"
            case .multiselect: "a multiselect attribute"
            case .number: "a number"
            case .boolean: "a yes/no value"
            case .date: "a date"
            case .category: "categories"
            }
        }

        /// Operators that fit a constant value of this kind.
        var constantOperators: [RuleOperator] {
            switch self {
            case .text: [.equal, .notEqual, .contains, .doesNotContain, .isOneOf, .isNotOneOf]
            case .select: [.equal, .notEqual, .isOneOf, .isNotOneOf]
            case .multiselect: [.contains, .doesNotContain, .isOneOf, .isNotOneOf]
            case .number: [.equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual, .isOneOf, .isNotOneOf]
            case .boolean: [.equal, .notEqual]
            case .date: [.equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual]
            case .category: [.equal, .notEqual, .isOneOf, .isNotOneOf]
            }
        }

        /// Operators that fit "same as the matched product's value".
        var sameAsOperators: [RuleOperator] {
            switch self {
            case .number, .date: [.equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual]
            default: [.equal, .notEqual]
            }
        }
    }

    enum Source: Sendable, Equatable {
        /// A `products` column; the name is one of `RuleAttributeCatalog.columns`' constants.
        case column(String)
        case category
        case custom(id: Int)
    }

    let name: String
    let kind: Kind
    let source: Source
    /// Prices take percent_of_matched / amount_from_matched.
    var isPrice = false
    /// Values a select column accepts (product `type`), nil for any.
    var allowedValues: [String]? = nil
    /// Allowed numbers (visibility 1–4).
    var allowedRange: ClosedRange<Double>? = nil
}

/// The attributes rules can use, loaded from the database's `attributes` table.
struct RuleAttributeCatalog: Sendable {
    /// The product columns rules can compare (columns, attribute set, type, stock).
    static let columns: [RuleAttribute] = [
        RuleAttribute(name: "sku", kind: .text, source: .column("sku")),
        RuleAttribute(name: "name", kind: .text, source: .column("name")),
        RuleAttribute(name: "type", kind: .select, source: .column("type"), allowedValues: ProductType.allCases.map(\.rawValue)),
        RuleAttribute(name: "attribute_set", kind: .select, source: .column("attribute_set")),
        RuleAttribute(name: "price", kind: .number, source: .column("price"), isPrice: true),
        RuleAttribute(name: "special_price", kind: .number, source: .column("special_price"), isPrice: true),
        RuleAttribute(name: "final_price", kind: .number, source: .column("final_price"), isPrice: true),
        RuleAttribute(name: "qty", kind: .number, source: .column("qty")),
        RuleAttribute(name: "in_stock", kind: .boolean, source: .column("in_stock")),
        RuleAttribute(name: "enabled", kind: .boolean, source: .column("enabled")),
        RuleAttribute(name: "visibility", kind: .number, source: .column("visibility"), allowedRange: 1...4),
        RuleAttribute(name: "created_at", kind: .date, source: .column("created_at")),
        RuleAttribute(name: "updated_at", kind: .date, source: .column("updated_at")),
        RuleAttribute(name: "category", kind: .category, source: .category),
    ]

    static var priceNames: String { columns.filter(\.isPrice).map(\.name).joined(separator: ", ") }

    private var custom: [String: RuleAttribute] = [:]

    /// Loads the custom attribute definitions. A custom attribute named like a column is shadowed by it.
    init(_ db: Database) throws {
        try db.cachedStatement("SELECT attribute_id, code, type FROM attributes").forEachRow { row in
            let code = row.text(at: 1)
            let kind: RuleAttribute.Kind = switch AttributeType(rawValue: row.text(at: 2)) ?? .text {
            case .text: .text
            case .select: .select
            case .multiselect: .multiselect
            case .number: .number
            case .boolean: .boolean
            case .date: .date
            }
            custom[code] = RuleAttribute(name: code, kind: kind, source: .custom(id: row.int(at: 0)))
        }
    }

    func attribute(_ name: String) -> RuleAttribute? {
        Self.columns.first { $0.name == name } ?? custom[name]
    }
}
