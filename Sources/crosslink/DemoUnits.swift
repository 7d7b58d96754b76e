import Crosslink
import Foundation

/// The data part of `crosslink demo` beyond the catalog: a seeded browsing log over the Luma
/// gear, a few units on the product, cart and home pages (two of them A/B tests) and a week of
/// traffic on those units (``DemoTraffic``).
enum DemoUnits {
    /// Three groups of gear a shopper browses: bags, fitness, watches and bottles.
    static let groups = [["24-MB01", "24-MB02", "24-MB03", "24-MB04", "24-MB05", "24-MB06", "24-WB01", "24-WB04"],
                      ["24-UG01", "24-UG02", "24-UG03", "24-UG04", "24-UG05", "24-UG06", "24-UG07", "24-WG080"],
                      ["24-MG01", "24-MG02", "24-MG03", "24-MG04", "24-MG05", "24-WB02", "24-WB03", "24-WB05"]]

    /// Shoppers browse one group of gear; some add to cart and buy. Seeded: every run writes
    /// the same log.
    static func events() -> [Event] {
        var random = SplitMix64(seed: 2024)
        let start = Date(timeIntervalSince1970: 1_717_200_000)  // 2024-06-01T00:00:00Z
        var events: [Event] = []
        for session in 0..<600 {
            let group = groups[Int(random.next() % 3)]
            let visitor = "v-\(session % 200)"
            var time = start.addingTimeInterval(Double(session) * 600)
            var viewed: [String] = []
            for _ in 0..<(2 + Int(random.next() % 3)) {
                let sku = group[Int(random.next() % UInt64(group.count))]
                if viewed.contains(sku) { continue }
                viewed.append(sku)
                events.append(Event(id: "demo-\(events.count)", type: .productView, time: time, visitorID: visitor, sessionID: "s\(session)", sku: sku))
                time += 30
            }
            if random.next() % 3 == 0 {
                let bought = Array(viewed.prefix(2))
                events.append(Event(id: "demo-\(events.count)", type: .placeOrder, time: time, visitorID: visitor, sessionID: "s\(session)",
                                    orderID: "o\(session)", lines: bought.map { OrderLine(sku: $0, quantity: 1, price: 30) }))
            }
        }
        return events
    }

    static let units = """
        {"units": [
          {"name": "Demo: up-sells", "label": "You may also like", "page_type": "product", "placement": "top", "position": 1,
           "status": "active", "type": "upsell", "count": 4, "backups": ["more-like-this"]},
          {"name": "Demo: also viewed", "label": "Customers also liked", "page_type": "product", "position": 1, "status": "active",
           "variants": [{"variant": "A", "traffic": 50, "type": "viewed-viewed", "count": 4},
                        {"variant": "B", "traffic": 50, "type": "viewed-bought", "count": 4}]},
          {"name": "Demo: more like this", "label": "More like this", "page_type": "product", "position": 2, "status": "active",
           "type": "more-like-this", "count": 3, "filters": {"include": [{"price": {"min_percent": 50}}]}},
          {"name": "Demo: cart cross-sells", "label": "Complete your order", "page_type": "cart", "position": 1, "status": "active",
           "type": "crosssell", "count": 3, "backups": ["bought-bought"]},
          {"name": "Demo: bought together", "label": "Bought together", "page_type": "cart", "position": 2, "status": "active",
           "type": "bought-bought", "count": 3},
          {"name": "Demo: popular", "label": "Popular right now", "page_type": "home", "placement": "top", "position": 1, "status": "active",
           "type": "most-viewed", "count": 4, "max_per_category": 2},
          {"name": "Demo: for you", "label": "Recommended for you", "page_type": "home", "position": 1, "status": "active",
           "variants": [{"variant": "A", "traffic": 50, "type": "recommended-for-you", "count": 3},
                        {"variant": "B", "traffic": 50, "type": "recently-viewed", "count": 3}]}
        ]}
        """

    /// Ingests the browsing log (into an empty log), imports the units and, when the log has no
    /// unit events yet, a week of traffic on them (``DemoTraffic``). Returns the events written.
    static func seed(_ store: CrosslinkStore) throws -> (browsing: Int, traffic: Int) {
        var written = (browsing: 0, traffic: 0)
        if try store.read({ db in try db.scalarInt("SELECT count(*) FROM events") }) == 0 {
            let events = events()
            _ = try store.write { db in try EventWriter(db).append(events, file: "demo") }
            written.browsing = events.count
        }
        let file = try UnitFile.parse(units, file: "demo-units.json")
        try store.write { db in _ = try UnitRepository(db).importFile(file) }
        if try store.read({ db in try db.scalarInt("SELECT count(*) FROM events WHERE unit_id IS NOT NULL") }) == 0 {
            let events = try DemoTraffic.events(store)
            _ = try store.write { db in try EventWriter(db).append(events, file: "demo-week") }
            written.traffic = events.count
        }
        return written
    }
}
