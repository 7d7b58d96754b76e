import Crosslink
import Foundation

/// A week of shoppers on the demo's pages, recorded as a storefront records them: each page is
/// resolved with ``CrosslinkStore/resolvePage(_:store:visitor:options:)``, each unit with
/// products sends `recs-unit-render` with the unit id and the visitor's variant, then maybe
/// `recs-unit-view`, `recs-item-click` (the shopper opens that product) or
/// `recs-add-to-cart-click`; carts end in `place-order` events with the catalog's prices. So
/// `crosslink metrics` and `crosslink report` have real numbers on the first run.
///
/// Seeded: every run writes the same events. How likely a viewed unit is clicked depends on the
/// unit and variant (``appeal``), so the A/B tests show a difference.
struct DemoTraffic {
    /// 2024-06-06T00:00:00Z: the day after the demo's browsing log.
    static let start = Date(timeIntervalSince1970: 1_717_632_000)
    static let sessions = 700
    /// Seconds between session starts: 700 sessions over 7 days.
    static let spacing = 864.0

    /// Click likelihood of a viewed unit, relative to the base (unit name / variant).
    static let appeal: [String: Double] = [
        "Demo: up-sells/A": 0.9, "Demo: also viewed/A": 1.0, "Demo: also viewed/B": 1.3, "Demo: more like this/A": 0.8,
        "Demo: cart cross-sells/A": 1.2, "Demo: bought together/A": 1.0, "Demo: popular/A": 0.9,
        "Demo: for you/A": 1.4, "Demo: for you/B": 1.0,
    ]
    static let baseClick = 0.16

    let store: CrosslinkStore
    private var random = SplitMix64(seed: 2025)
    private(set) var events: [Event] = []
    /// Pages already resolved, per page and visitor: a page depends on the visitor (variants,
    /// what they bought, their history), and the events are written after the week, so the
    /// same visitor on the same page sees the same products all week.
    private var pages: [String: ResolvedPage] = [:]
    private var prices: [String: Double] = [:]

    init(store: CrosslinkStore) { self.store = store }

    /// The whole week's events, in time order.
    static func events(_ store: CrosslinkStore) throws -> [Event] {
        var traffic = DemoTraffic(store: store)
        for session in 0..<sessions { try traffic.session(session) }
        return traffic.events
    }

    private mutating func chance(_ probability: Double) -> Bool {
        Double(random.next() % 1_000_000) / 1_000_000 < probability
    }

    private mutating func pick(_ count: Int) -> Int { Int(random.next() % UInt64(count)) }

    private mutating func session(_ number: Int) throws {
        let visitor = "v-\(number % 200)", session = "s-week-\(number)"
        var time = Self.start.addingTimeInterval(Double(number) * Self.spacing)
        var cart: [String] = []
        func add(_ type: EventType, sku: String? = nil, unit: ResolvedUnit? = nil, price: Double? = nil,
                 lines: [OrderLine] = [], order: String? = nil) {
            events.append(Event(id: "demo-week-\(events.count)", type: type, time: time, visitorID: visitor, sessionID: session,
                                sku: sku, orderID: order, lines: lines, unitID: unit.map { String($0.unitID) }, variant: unit?.variant,
                                quantity: type == .addToCart ? 1 : nil, price: price))
            time += 15 + Double(random.next() % 60)
        }
        // What the shopper does on a page: renders of every unit with products, views of the
        // visible ones, at most one click. Returns the product an item click opens.
        func visit(_ page: ResolvedPage) throws -> String? {
            var opened: String?
            var clicked = false
            for unit in page.units where !unit.products.isEmpty {
                for product in unit.products { if let price = product.finalPrice { prices[product.sku] = price } }
                add(.recsUnitRender, unit: unit)
                guard chance(unit.placement == .top ? 0.9 : 0.6) else { continue }
                add(.recsUnitView, unit: unit)
                let appeal = Self.appeal["\(unit.name)/\(unit.variant)"] ?? 1
                guard !clicked, chance(Self.baseClick * appeal) else { continue }
                clicked = true
                // The first places are clicked most: position i has weight 1/(i+1).
                let weights = unit.products.indices.map { 1 / Double($0 + 1) }
                var roll = Double(random.next() % 1_000_000) / 1_000_000 * weights.reduce(0, +)
                let index = weights.firstIndex { roll -= $0; return roll < 0 } ?? 0
                let sku = unit.products[index].sku
                if chance(0.25) {
                    add(.recsAddToCartClick, sku: sku, unit: unit)
                    add(.addToCart, sku: sku, price: try price(sku))
                    cart.append(sku)
                } else {
                    add(.recsItemClick, sku: sku, unit: unit)
                    opened = sku
                }
            }
            return opened
        }

        let group = DemoUnits.groups[pick(DemoUnits.groups.count)]
        var next: String?
        if chance(0.35) { next = try visit(try page(.home, visitor: visitor)) }
        for _ in 0..<(1 + pick(4)) {
            let fromClick = next != nil
            let sku = next ?? group[pick(group.count)]
            add(.productView, sku: sku)
            if chance(fromClick ? 0.3 : 0.1), !cart.contains(sku) {
                add(.addToCart, sku: sku, price: try price(sku))
                cart.append(sku)
            }
            next = try visit(try page(.product(sku), visitor: visitor))
        }
        guard !cart.isEmpty else { return }
        if chance(0.7) { _ = try visit(try page(.cart(cart), visitor: visitor)) }
        guard chance(0.6) else { return }
        let lines = try cart.compactMap { sku in try price(sku).map { OrderLine(sku: sku, quantity: 1, price: $0) } }
        if !lines.isEmpty { add(.placeOrder, lines: lines, order: "week-o\(number)") }
    }

    /// The product's final price in the catalog (nil: none, like a bundle's).
    private mutating func price(_ sku: String) throws -> Double? {
        if let known = prices[sku] { return known }
        let price = try store.read { db in try ProductRepository(db).product(sku: sku)?.finalPrice }
        if let price { prices[sku] = price }
        return price
    }

    private mutating func page(_ page: Page, visitor: String) throws -> ResolvedPage {
        let key: String
        switch page {
        case .product(let sku): key = "product \(sku) \(visitor)"
        case .cart(let skus): key = "cart \(skus.joined(separator: ",")) \(visitor)"
        default: key = "\(page.type.rawValue) \(visitor)"
        }
        if let known = pages[key] { return known }
        let resolved = try store.resolvePage(page, visitor: visitor, options: PageOptions(date: Self.start))
        pages[key] = resolved
        return resolved
    }
}
