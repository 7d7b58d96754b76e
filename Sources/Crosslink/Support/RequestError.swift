/// A request that cannot be answered as asked: it names something that does not exist (a SKU,
/// store, website, category, rule or unit), or an option or limit is out of range, a
/// recommendation type misses the product or visitor it needs, an evaluation has nothing to
/// evaluate. The message names the value and what was expected; ``names`` holds the names that
/// matched nothing.
///
/// ```swift
/// do { _ = try recommender.recommend(.mostViewed, context: context, limit: 0) }
/// catch let error as RequestError where error.kind == .invalidLimit {
///     print(error)  // invalid limit 0: must be 1 to 100
/// }
/// catch let error as RequestError where error.kind == .unknownSKU {
///     print("not in the catalog: \(error.names)")
/// }
/// ```
public struct RequestError: CrosslinkError, Equatable {
    public enum Kind: Sendable, Hashable {
        /// An option or setting is out of range or malformed (evaluation options, a day, a lag,
        /// a block's maximum, a time zone).
        case invalidOption
        /// A result or list length is out of range.
        case invalidLimit
        /// The recommendation type needs a product/cart or a visitor that the context lacks.
        case missingContext
        /// No product has the SKU(s) in ``RequestError/names``.
        case unknownSKU
        /// No store has the code in ``RequestError/names``.
        case unknownStore
        /// No rule has the name in ``RequestError/names``.
        case unknownRule
        /// No recommendation unit has the name in ``RequestError/names``.
        case unknownUnit
        /// Another name (a website, a category) matches nothing.
        case unknownName
        /// The name in ``RequestError/names`` is taken already.
        case duplicateName
        /// The evaluation has no events on one side of its split.
        case nothingToEvaluate
        /// The store or website in ``RequestError/names`` still holds data that the request would
        /// delete or orphan (events, units, settings, stores, product assignments).
        case inUse
    }

    public var kind: Kind
    /// The whole sentence, e.g. `invalid limit 0: must be 1 to 100`.
    public var message: String
    /// For the `unknown…` kinds and ``Kind/duplicateName``: the names as given; empty otherwise.
    public var names: [String]

    public init(_ kind: Kind, _ message: String, names: [String] = []) {
        self.kind = kind
        self.message = message
        self.names = names
    }

    public var description: String { message }

    /// A recommendation limit outside 1…100.
    public static func invalidLimit(_ limit: Int) -> RequestError {
        RequestError(.invalidLimit, "invalid limit \(limit): must be 1 to 100")
    }

    /// `type` needs `needs` ("a product or a cart", "a visitor").
    public static func missingContext(type: RecommendationType, needs: String) -> RequestError {
        RequestError(.missingContext, "recommendation type \(type.rawValue) needs \(needs)")
    }

    /// An evaluation option out of range; `message` names the option and its bounds.
    public static func invalidEvaluationOption(_ message: String) -> RequestError {
        RequestError(.invalidOption, "invalid evaluation option: " + message)
    }

    /// `invalid field "value": reason`, for an option or setting out of range.
    public static func invalidValue(field: String, value: String, reason: String) -> RequestError {
        RequestError(.invalidOption, "invalid \(field) \(String(reflecting: value)): \(reason)")
    }

    /// `unknown SKU "X"`.
    public static func unknownSKU(_ sku: String) -> RequestError {
        RequestError(.unknownSKU, "unknown SKU \(String(reflecting: sku))", names: [sku])
    }

    /// `unknown SKUs "X", "Y" in the cart`: the SKUs of `context` that match no product.
    public static func unknownSKUs(_ skus: [String], context: String) -> RequestError {
        RequestError(.unknownSKU, "unknown SKU\(skus.count == 1 ? "" : "s") \(skus.map { String(reflecting: $0) }.joined(separator: ", ")) in \(context)",
                     names: skus)
    }

    /// `unknown store "fr"`.
    public static func unknownStore(_ code: String) -> RequestError {
        RequestError(.unknownStore, "unknown store \(String(reflecting: code))", names: [code])
    }

    /// `unknown website "eu"`.
    public static func unknownWebsite(_ code: String) -> RequestError {
        RequestError(.unknownName, "unknown website \(String(reflecting: code))", names: [code])
    }

    /// `a website with code "eu" exists already`, `a store with code "fr" exists already`.
    public static func duplicateCode(_ what: String, _ code: String) -> RequestError {
        RequestError(.duplicateName, "a \(what) with code \(String(reflecting: code)) exists already", names: [code])
    }

    /// `no rule named "Bags"`.
    public static func unknownRule(_ name: String) -> RequestError {
        RequestError(.unknownRule, "no rule named \(RuleText.quoted(name))", names: [name])
    }

    /// `a rule named "Bags" exists already`.
    public static func duplicateRule(_ name: String) -> RequestError {
        RequestError(.duplicateName, "a rule named \(RuleText.quoted(name)) exists already", names: [name])
    }

    /// `no unit named "Home"`.
    public static func unknownUnit(_ name: String) -> RequestError {
        RequestError(.unknownUnit, "no unit named \(RuleText.quoted(name))", names: [name])
    }
}
