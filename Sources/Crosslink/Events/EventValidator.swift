/// The rules an event must meet to be stored (README "Ingest policy"). Pure: no database.
enum EventValidator {
    struct Problem: Equatable {
        /// The field as named in event files (`visitor_id`, `lines[2].quantity`, …).
        var field: String
        var reason: String
        /// 0-based index of the order line at fault, so a CSV row can be named.
        var orderLine: Int? = nil
    }

    static func isOrder(_ type: EventType) -> Bool { type == .placeOrder || type == .cancelOrder }

    /// Whether the type names a product (`sku` required).
    static func needsSKU(_ type: EventType) -> Bool {
        switch type {
        case .productView, .addToCart, .removeFromCart, .recsItemClick, .recsAddToCartClick: true
        default: false
        }
    }

    static func needsUnit(_ type: EventType) -> Bool {
        switch type {
        case .recsUnitRender, .recsUnitView, .recsItemClick, .recsAddToCartClick: true
        default: false
        }
    }

    /// As `unit_variants.variant` allows (0005_units).
    static let maximumVariantLength = 32

    /// The first rule `event` breaks, or nil.
    static func problem(_ event: Event) -> Problem? {
        func missing(_ value: String?) -> Bool { value.map(isBlank) ?? true }
        if missing(event.id) { return Problem(field: "id", reason: "missing or empty") }
        if let problem = textProblem(event) { return problem }
        if EventTime.milliseconds(event.time) == nil {
            return Problem(field: "time", reason: "outside 1970-01-01T00:00:00Z … 9999-12-31T23:59:59Z")
        }
        if missing(event.store) { return Problem(field: "store", reason: "missing or empty") }
        if missing(event.visitorID) { return Problem(field: "visitor_id", reason: "missing or empty") }
        if missing(event.sessionID) { return Problem(field: "session_id", reason: "missing or empty") }
        let type = event.type
        if needsSKU(type), missing(event.sku) { return Problem(field: "sku", reason: "a \(type.rawValue) event needs a SKU") }
        if type == .categoryView, missing(event.category) {
            return Problem(field: "category", reason: "a category-view event needs a category")
        }
        if needsUnit(type), missing(event.unitID) {
            return Problem(field: "unit_id", reason: "a \(type.rawValue) event needs a unit id")
        }
        if let variant = event.variant {
            if !needsUnit(type) { return Problem(field: "variant", reason: "only recs-* events have a variant") }
            if isBlank(variant) { return Problem(field: "variant", reason: "empty: leave it out for variant A") }
            if variant.count > maximumVariantLength {
                return Problem(field: "variant", reason: "longer than \(maximumVariantLength) characters")
            }
        }
        if let quantity = event.quantity, let reason = positive(quantity) { return Problem(field: "quantity", reason: reason) }
        if let price = event.price, let reason = nonNegative(price) { return Problem(field: "price", reason: reason) }
        if let quantity = event.quantity, let price = event.price, let reason = amount(quantity, price) {
            return Problem(field: "price", reason: reason)
        }
        guard isOrder(type) else {
            if !event.lines.isEmpty {
                return Problem(field: "lines", reason: "only place-order and cancel-order events have lines")
            }
            return nil
        }
        if missing(event.orderID) { return Problem(field: "order_id", reason: "a \(type.rawValue) event needs an order id") }
        if event.quantity != nil || event.price != nil {
            return Problem(field: event.quantity != nil ? "quantity" : "price",
                           reason: "an order's quantities and prices go on its lines")
        }
        if event.lines.isEmpty { return Problem(field: "lines", reason: "a \(type.rawValue) event needs at least one line") }
        for (index, line) in event.lines.enumerated() {
            let field = "lines[\(index + 1)]."
            if isBlank(line.sku) { return Problem(field: field + "sku", reason: "missing or empty", orderLine: index) }
            if let reason = positive(line.quantity) { return Problem(field: field + "quantity", reason: reason, orderLine: index) }
            if let reason = nonNegative(line.price) { return Problem(field: field + "price", reason: reason, orderLine: index) }
            if let reason = amount(line.quantity, line.price) { return Problem(field: field + "price", reason: reason, orderLine: index) }
        }
        return nil
    }

    /// The first text field holding what no stored text may (``StoredText``).
    private static func textProblem(_ event: Event) -> Problem? {
        let fields: [(String, String?)] = [
            ("id", event.id), ("store", event.store), ("visitor_id", event.visitorID), ("customer_id", event.customerID),
            ("session_id", event.sessionID), ("sku", event.sku), ("category", event.category), ("order_id", event.orderID),
            ("unit_id", event.unitID), ("variant", event.variant),
        ]
        for case let (field, text?) in fields {
            if let reason = StoredText.problem(text) { return Problem(field: field, reason: reason) }
        }
        for (index, line) in event.lines.enumerated() {
            for case let (field, text?) in [("sku", line.sku), ("parent_sku", line.parentSKU)] {
                if let reason = StoredText.problem(text) { return Problem(field: "lines[\(index + 1)].\(field)", reason: reason, orderLine: index) }
            }
        }
        return nil
    }

    static func isBlank(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
    }

    /// A number for a message: plain decimals, an exponent for huge ones (`1e+308`).
    private static func show(_ value: Double) -> String {
        abs(value) < 1e15 ? MagentoFields.formatDecimal(value) : value.description
    }

    /// A quantity: > 0 and at most ``EventBounds/maximumQuantity``.
    private static func positive(_ value: Double) -> String? {
        guard value.isFinite && value > 0 else { return "must be a number > 0, got \(show(value))" }
        guard value <= EventBounds.maximumQuantity else {
            return "must be at most \(show(EventBounds.maximumQuantity)), got \(show(value))"
        }
        return nil
    }

    /// A price: ≥ 0 and at most ``EventBounds/maximumPrice``.
    private static func nonNegative(_ value: Double) -> String? {
        guard value.isFinite && value >= 0 else { return "must be a number ≥ 0, got \(show(value))" }
        guard value <= EventBounds.maximumPrice else {
            return "must be at most \(show(EventBounds.maximumPrice)), got \(show(value))"
        }
        return nil
    }

    /// quantity × price within ``EventBounds/maximumLineAmount`` (both already in bounds).
    private static func amount(_ quantity: Double, _ price: Double) -> String? {
        let amount = quantity * price
        guard amount > EventBounds.maximumLineAmount else { return nil }
        return "quantity × price must be at most \(show(EventBounds.maximumLineAmount)), got "
            + "\(show(quantity)) × \(show(price)) = \(show(amount))"
    }
}
