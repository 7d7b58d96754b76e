import Foundation

/// The visitor event types, as stored in `events.type`.
public enum EventType: String, Sendable, Codable, CaseIterable {
    case pageView = "page-view"
    case productView = "product-view"
    case categoryView = "category-view"
    case addToCart = "add-to-cart"
    case removeFromCart = "remove-from-cart"
    case placeOrder = "place-order"
    /// A cancelled order (Online Retail's `C…` invoices): its lines reduce purchase evidence.
    case cancelOrder = "cancel-order"
    case recsUnitRender = "recs-unit-render"
    case recsUnitView = "recs-unit-view"
    case recsItemClick = "recs-item-click"
    case recsAddToCartClick = "recs-add-to-cart-click"
}

/// One line of a `place-order` / `cancel-order` event.
public struct OrderLine: Sendable, Equatable, Codable {
    public var sku: String
    /// The configurable/bundle parent's SKU, when the storefront sends it.
    public var parentSKU: String?
    public var quantity: Double
    public var price: Double
    public init(sku: String, parentSKU: String? = nil, quantity: Double, price: Double) {
        self.sku = sku; self.parentSKU = parentSKU; self.quantity = quantity; self.price = price
    }
}

/// A visitor event as a storefront sends it.
///
/// ```swift
/// let view = Event(id: "e-1", type: .productView, time: Date(), store: "default",
///                  visitorID: "v-42", sessionID: "s-7", sku: "24-MB01")
/// ```
public struct Event: Sendable, Equatable, Codable {
    /// The sender's id: a second delivery with the same id is ignored.
    public var id: String
    public var type: EventType
    /// When it happened (stored as Unix milliseconds, UTC).
    public var time: Date
    /// Store view code.
    public var store: String
    public var visitorID: String
    public var customerID: String?
    public var sessionID: String
    /// Product events, recommendation clicks.
    public var sku: String?
    /// Category views (Magento name path or id as text).
    public var category: String?
    /// place-order / cancel-order.
    public var orderID: String?
    public var lines: [OrderLine]
    /// recs-* events: the recommendation unit.
    public var unitID: String?
    /// recs-* events: the unit's variant the visitor was assigned (an experiment); absent = `A`.
    public var variant: String?
    /// add-to-cart / remove-from-cart.
    public var quantity: Double?
    public var price: Double?

    public init(id: String, type: EventType, time: Date, store: String = "default", visitorID: String,
                customerID: String? = nil, sessionID: String, sku: String? = nil, category: String? = nil,
                orderID: String? = nil, lines: [OrderLine] = [], unitID: String? = nil, variant: String? = nil,
                quantity: Double? = nil, price: Double? = nil) {
        self.id = id; self.type = type; self.time = time; self.store = store; self.visitorID = visitorID
        self.customerID = customerID; self.sessionID = sessionID; self.sku = sku; self.category = category
        self.orderID = orderID; self.lines = lines; self.unitID = unitID; self.variant = variant
        self.quantity = quantity; self.price = price
    }
}

/// An event as stored: its sequence number and the ids it resolved to. Ingest hands the newly
/// stored events of a batch (never duplicates) to ``Aggregates/apply(_:)`` inside the same
/// write transaction, so aggregates and the log never disagree.
public struct StoredEvent: Sendable, Equatable {
    public var seq: Int
    public var type: EventType
    /// Unix milliseconds, UTC.
    public var occurredAt: Int64
    public var storeID: Int
    public var visitorID: String
    public var customerID: String?
    public var sessionID: String
    public var productID: Int?
    public var orderID: String?
    /// Order lines with resolved product ids (nil: unknown SKU, kept per the ingest policy).
    public var lines: [(productID: Int?, quantity: Double, price: Double)]
    public var unitID: String?

    public static func == (a: StoredEvent, b: StoredEvent) -> Bool {
        a.seq == b.seq && a.type == b.type && a.occurredAt == b.occurredAt && a.storeID == b.storeID
            && a.visitorID == b.visitorID && a.customerID == b.customerID && a.sessionID == b.sessionID
            && a.productID == b.productID && a.orderID == b.orderID && a.unitID == b.unitID
            && a.lines.count == b.lines.count
            && zip(a.lines, b.lines).allSatisfy { $0.productID == $1.productID && $0.quantity == $1.quantity && $0.price == $1.price }
    }

    public init(seq: Int, type: EventType, occurredAt: Int64, storeID: Int, visitorID: String, customerID: String?,
                sessionID: String, productID: Int?, orderID: String?, lines: [(productID: Int?, quantity: Double, price: Double)],
                unitID: String?) {
        self.seq = seq; self.type = type; self.occurredAt = occurredAt; self.storeID = storeID; self.visitorID = visitorID
        self.customerID = customerID; self.sessionID = sessionID; self.productID = productID; self.orderID = orderID
        self.lines = lines; self.unitID = unitID
    }
}
