/// A request that cannot be answered as asked: an option or limit out of range, a
/// recommendation type missing the product or visitor it needs, an evaluation with nothing to
/// evaluate, a name that matches nothing. The message names the value and what was expected.
///
/// ```swift
/// do { _ = try recommender.recommend(.mostViewed, context: context, limit: 0) }
/// catch let error as RequestError where error.kind == .invalidLimit {
///     print(error)  // invalid limit 0: must be 1 to 100
/// }
/// ```
public struct RequestError: CrosslinkError, Equatable {
    public enum Kind: Sendable, Hashable {
        /// An option is out of range or malformed (evaluation options, a day, a lag).
        case invalidOption
        /// A result or list length is out of range.
        case invalidLimit
        /// The recommendation type needs a product/cart or a visitor that the context lacks.
        case missingContext
        /// A store or other name matches nothing.
        case unknownName
        /// The evaluation has no events on one side of its split.
        case nothingToEvaluate
    }

    public var kind: Kind
    /// The whole sentence, e.g. `invalid limit 0: must be 1 to 100`.
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
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
}
