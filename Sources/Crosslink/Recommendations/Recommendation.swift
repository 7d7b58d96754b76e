import Foundation

/// The behavioural and content-based recommendation types.
public enum RecommendationType: String, Sendable, Codable, CaseIterable {
    /// Sessions viewing the product in the popularity window (`popularityDays`: 14 days by default).
    case mostViewed = "most-viewed"
    /// Sessions buying it, minus sessions cancelling it, in the popularity window; then units.
    case mostPurchased = "most-purchased"
    /// Sessions adding it to the cart in the popularity window.
    case mostAddedToCart = "most-added-to-cart"
    /// Growth of viewing sessions in the last 24 h over the product's own 72 h before.
    case trending
    /// Sessions that viewed, then added to cart, over sessions viewing — smoothed.
    case viewToCart = "view-to-cart"
    /// Sessions that viewed, then bought, over sessions viewing — smoothed.
    case viewToPurchase = "view-to-purchase"
    /// Viewed in the same sessions as the context product(s), by lift.
    case viewedViewed = "viewed-viewed"
    /// Bought in sessions after viewing the context product(s), by lift.
    case viewedBought = "viewed-bought"
    /// Bought in the same orders as the context product(s), by lift.
    case boughtBought = "bought-bought"
    /// The visitor's history expanded through item–item similarity, recency-weighted, without
    /// what the visitor bought.
    case recommendedForYou = "recommended-for-you"
    /// Shared categories, attribute values and name words (catalog only).
    case moreLikeThis = "more-like-this"
    /// The visitor's viewed products, most recent first.
    case recentlyViewed = "recently-viewed"

    /// What the type needs from the context.
    public enum Requirement: Sendable { case nothing, products, visitor }
    public var requirement: Requirement { RecommendationTypeDescriptor.of(self).requirement }

    /// What a score is, for showing it.
    public enum ScoreKind: Sendable {
        /// A number of sessions (popularity).
        case count
        /// A time, Unix milliseconds (recently viewed).
        case time
        /// A real number: lift, growth, a rate, a similarity.
        case real
    }
    public var scoreKind: ScoreKind { RecommendationTypeDescriptor.of(self).scoreKind }
}

/// The three co-occurrence kinds (`cooccurrence_kinds`).
public enum CooccurrenceKind: String, Sendable, Codable, CaseIterable {
    case viewedViewed = "viewed-viewed", viewedBought = "viewed-bought", boughtBought = "bought-bought"

    /// `cooccurrence_kinds.kind_id`.
    public var id: Int {
        switch self {
        case .viewedViewed: 1
        case .viewedBought: 2
        case .boughtBought: 3
        }
    }

    init?(id: Int) {
        guard let kind = Self.allCases.first(where: { $0.id == id }) else { return nil }
        self = kind
    }
}

/// What a recommendation is about: the current product or the cart's products, and the visitor.
///
/// ```swift
/// let page = RecommendationContext.product("24-MB01")
/// let cart = RecommendationContext.cart(["24-MB01", "24-WB04"], visitor: "v-42")
/// let home = RecommendationContext.visitor("v-42")
/// ```
public struct RecommendationContext: Sendable, Equatable, Codable {
    /// The viewed product, or the cart's products. Never recommended themselves (nor their
    /// children and configurable parents).
    public var skus: [String]
    /// The anonymous visitor id of the events (recommended for you, recently viewed).
    public var visitorID: String?

    public init(skus: [String] = [], visitorID: String? = nil) {
        self.skus = skus
        self.visitorID = visitorID
    }

    public static func product(_ sku: String, visitor: String? = nil) -> Self { Self(skus: [sku], visitorID: visitor) }
    public static func cart(_ skus: [String], visitor: String? = nil) -> Self { Self(skus: skus, visitorID: visitor) }
    public static func visitor(_ id: String) -> Self { Self(visitorID: id) }
    /// No context: the popularity types for a home page.
    public static let none = Self()
}

/// One recommended product, with its score and why it is there.
public struct Recommendation: Sendable, Equatable, Codable {
    public var type: RecommendationType
    public var productID: Int
    public var sku: String
    public var name: String
    public var finalPrice: Double?
    /// Higher is better; comparable within one list (sessions, lift, growth, …; see the type).
    public var score: Double
    public var reason: RecommendationReason
}

/// Why a product was recommended, readable by a person (``description``).
public enum RecommendationReason: Sendable, Equatable, Codable, CustomStringConvertible {
    /// `sessions` sessions viewed / added to cart / bought (net of cancellations) in the last `days` days.
    case popular(metric: PopularityMetric, sessions: Int, units: Double?, days: Int)
    /// `recent` viewing sessions in the last `recentHours` against `background` in the `backgroundHours` before.
    case trending(recent: Int, recentHours: Int, background: Int, backgroundHours: Int, growth: Double)
    /// `converted` of `viewers` viewing sessions went on to the cart / a purchase; `smoothedRate` the score.
    case conversion(metric: PopularityMetric, converted: Int, viewers: Int, smoothedRate: Double)
    /// Together with `sku` in `together` sessions / orders, `lift` times the base rate.
    case together(kind: CooccurrenceKind, sku: String, together: Int, lift: Double)
    /// Similar to `sku` from the visitor's history (`interaction`: viewed, added to cart, bought).
    case history(sku: String, interaction: String, kind: CooccurrenceKind, together: Int)
    /// Catalog features shared with the context product(s).
    case similar(shared: [String])
    /// Viewed by the visitor at `at` (Unix milliseconds).
    case recentlyViewed(at: Int64)

    /// A recommended-for-you reason from the codes the queries carry: the history product's
    /// strongest interaction (3 bought, 2 added to cart, else viewed) and the pair's `kind_id`.
    static func history(sku: String, interaction: Int, kind: Int, together: Int) -> RecommendationReason {
        .history(sku: sku, interaction: interaction == 3 ? "bought" : interaction == 2 ? "added to cart" : "viewed",
                 kind: CooccurrenceKind(id: kind) ?? .viewedViewed, together: together)
    }

    public enum PopularityMetric: String, Sendable, Codable { case views, carts, purchases }

    public var description: String {
        switch self {
        case .popular(let metric, let sessions, let units, let days):
            let verb = switch metric { case .views: "viewed"; case .carts: "added to cart"; case .purchases: "bought" }
            let unitText = units.map { " (\(Self.number($0)) unit\($0 == 1 ? "" : "s"))" } ?? ""
            return "\(verb) in \(Self.count(sessions, "session"))\(unitText) in the last \(Self.count(days, "day"))"
        case .trending(let recent, let recentHours, let background, let backgroundHours, let growth):
            return "viewed in \(Self.count(recent, "session")) in the last \(recentHours) h vs \(background) in the \(backgroundHours) h before "
                + "(\(String(format: "%.1f", growth))× its usual rate)"
        case .conversion(let metric, let converted, let viewers, let rate):
            let verb = metric == .carts ? "added to cart" : "bought"
            return "\(verb) in \(converted) of \(Self.count(viewers, "viewing session")), smoothed rate \(String(format: "%.1f", rate * 100)) %"
        case .together(let kind, let sku, let together, let lift):
            let liftText = String(format: "%.1f", lift)
            return switch kind {
            case .viewedViewed: "viewed together with \(sku) in \(Self.count(together, "session")), lift \(liftText)"
            case .viewedBought: "bought after viewing \(sku) in \(Self.count(together, "session")), lift \(liftText)"
            case .boughtBought: "bought together with \(sku) in \(Self.count(together, "order")), lift \(liftText)"
            }
        case .history(let sku, let interaction, let kind, let together):
            let evidence = switch kind {
            case .viewedViewed: "viewed together in \(Self.count(together, "session"))"
            case .viewedBought: "bought after viewing it in \(Self.count(together, "session"))"
            case .boughtBought: "bought together in \(Self.count(together, "order"))"
            }
            return "because you \(interaction) \(sku) (\(evidence))"
        case .similar(let shared):
            return "shares " + shared.joined(separator: ", ")
        case .recentlyViewed(let at):
            return "viewed " + Self.time(at)
        }
    }

    /// "1 order", "2 orders".
    static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(format: "%.2f", value)
    }

    static func time(_ milliseconds: Int64) -> String {
        var style = Date.ISO8601FormatStyle()
        style.timeZone = TimeZone(identifier: "UTC")!
        return style.format(Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }
}
