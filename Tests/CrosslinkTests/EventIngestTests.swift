import Foundation
import Testing
@testable import Crosslink

/// A store with a tiny catalog: P1, P2, a configurable CFG with child CFG-S, category Gear/Bags,
/// and a second store view `fr`.
func eventTestStore() throws -> (TemporaryDirectory, CrosslinkStore) {
    let dir = try TemporaryDirectory()
    let store = try makeStore(dir)
    try store.write { db in
        let products = ProductRepository(db)
        for sku in ["P1", "P2", "CFG", "CFG-S"] {
            try products.upsert(Product(sku: sku, name: "Product \(sku)", type: sku == "CFG" ? .configurable : .simple, price: 10))
        }
        try ChildRepository(db).setChildren(parentID: try products.requireID(sku: "CFG"), children: [(try products.requireID(sku: "CFG-S"), nil)])
        try CategoryRepository(db).ensure(path: ["Default Category", "Gear", "Bags"])
        try StoreRepository(db).upsertStore(code: "fr", website: "base")
    }
    return (dir, store)
}

/// 2024-05-01T10:00:00Z plus `seconds`.
func at(_ seconds: Double) -> Date { Date(timeIntervalSince1970: 1_714_557_600 + seconds) }

/// One event of every type, in one session of visitor v1 (customer c1 from the cart on).
func everyTypeEvents() -> [Event] {
    [
        Event(id: "e01", type: .pageView, time: at(0), visitorID: "v1", sessionID: "s1"),
        Event(id: "e02", type: .categoryView, time: at(1), visitorID: "v1", sessionID: "s1", category: "Gear/Bags"),
        Event(id: "e03", type: .productView, time: at(2), visitorID: "v1", sessionID: "s1", sku: "P1"),
        Event(id: "e04", type: .addToCart, time: at(3), visitorID: "v1", customerID: "c1", sessionID: "s1", sku: "P1", quantity: 2, price: 10),
        Event(id: "e05", type: .removeFromCart, time: at(4), visitorID: "v1", customerID: "c1", sessionID: "s1", sku: "P1", quantity: 1),
        Event(id: "e06", type: .recsUnitRender, time: at(5), visitorID: "v1", customerID: "c1", sessionID: "s1", unitID: "u-home"),
        Event(id: "e07", type: .recsUnitView, time: at(6), visitorID: "v1", customerID: "c1", sessionID: "s1", unitID: "u-home"),
        Event(id: "e08", type: .recsItemClick, time: at(7), visitorID: "v1", customerID: "c1", sessionID: "s1", sku: "P2", unitID: "u-home"),
        Event(id: "e09", type: .recsAddToCartClick, time: at(8), visitorID: "v1", customerID: "c1", sessionID: "s1", sku: "P2", unitID: "u-home"),
        Event(id: "e10", type: .placeOrder, time: at(9.5), store: "fr", visitorID: "v1", customerID: "c1", sessionID: "s1", orderID: "o1",
              lines: [OrderLine(sku: "P1", quantity: 1, price: 10), OrderLine(sku: "CFG-S", parentSKU: "CFG", quantity: 3, price: 4.5)]),
        Event(id: "e11", type: .cancelOrder, time: at(60), store: "fr", visitorID: "v1", customerID: "c1", sessionID: "s2", orderID: "o1",
              lines: [OrderLine(sku: "CFG-S", parentSKU: "CFG", quantity: 1, price: 4.5)]),
    ]
}

@Suite struct EventIngestTests {
    @Test func everyTypeIsStoredWithResolvedIds() throws {
        let (dir, store) = try eventTestStore()
        let report = try EventStore(store: store).append(everyTypeEvents())
        #expect(report.stored == 11 && report.duplicates == 0 && report.rejected.isEmpty && report.unknownSKUs == 0)
        // Read back with the sqlite3 CLI through the documented views.
        let rows = try sqlite3Rows(dir.path("test.sqlite"), """
            SELECT event_key, type, occurred, store, visitor_id, customer_id, session_id, sku, category, order_id, unit_id, quantity, price, known
            FROM event_list ORDER BY event_seq
            """)
        #expect(rows == [
            ["e01", "page-view", "2024-05-01T10:00:00.000Z", "default", "v1", "NULL", "s1", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "1"],
            ["e02", "category-view", "2024-05-01T10:00:01.000Z", "default", "v1", "NULL", "s1", "NULL", "Default Category/Gear/Bags", "NULL", "NULL", "NULL", "NULL", "1"],
            ["e03", "product-view", "2024-05-01T10:00:02.000Z", "default", "v1", "NULL", "s1", "P1", "NULL", "NULL", "NULL", "NULL", "NULL", "1"],
            ["e04", "add-to-cart", "2024-05-01T10:00:03.000Z", "default", "v1", "c1", "s1", "P1", "NULL", "NULL", "NULL", "2.0", "10.0", "1"],
            ["e05", "remove-from-cart", "2024-05-01T10:00:04.000Z", "default", "v1", "c1", "s1", "P1", "NULL", "NULL", "NULL", "1.0", "NULL", "1"],
            ["e06", "recs-unit-render", "2024-05-01T10:00:05.000Z", "default", "v1", "c1", "s1", "NULL", "NULL", "NULL", "u-home", "NULL", "NULL", "1"],
            ["e07", "recs-unit-view", "2024-05-01T10:00:06.000Z", "default", "v1", "c1", "s1", "NULL", "NULL", "NULL", "u-home", "NULL", "NULL", "1"],
            ["e08", "recs-item-click", "2024-05-01T10:00:07.000Z", "default", "v1", "c1", "s1", "P2", "NULL", "NULL", "u-home", "NULL", "NULL", "1"],
            ["e09", "recs-add-to-cart-click", "2024-05-01T10:00:08.000Z", "default", "v1", "c1", "s1", "P2", "NULL", "NULL", "u-home", "NULL", "NULL", "1"],
            ["e10", "place-order", "2024-05-01T10:00:09.500Z", "fr", "v1", "c1", "s1", "NULL", "NULL", "o1", "NULL", "NULL", "NULL", "1"],
            ["e11", "cancel-order", "2024-05-01T10:01:00.000Z", "fr", "v1", "c1", "s2", "NULL", "NULL", "o1", "NULL", "NULL", "NULL", "1"],
        ])
        let lines = try sqlite3Rows(dir.path("test.sqlite"), """
            SELECT event_key, line, sku, parent_sku, quantity, price, known FROM event_line_list ORDER BY event_seq, line
            """)
        #expect(lines == [
            ["e10", "1", "P1", "NULL", "1.0", "10.0", "1"],
            ["e10", "2", "CFG-S", "CFG", "3.0", "4.5", "1"],
            ["e11", "1", "CFG-S", "CFG", "1.0", "4.5", "1"],
        ])
        // Product and category ids point at the catalog rows.
        let ids = try store.read { db in
            try db.rows("""
                SELECT count(*) FROM events AS e JOIN products AS p ON p.product_id = e.product_id AND p.sku = e.sku
                UNION ALL SELECT count(*) FROM event_lines AS l JOIN products AS p ON p.product_id = l.product_id AND p.sku = l.sku
                UNION ALL SELECT count(*) FROM events AS e JOIN categories AS c ON c.category_id = e.category_id AND c.name_path = 'Default Category/Gear/Bags'
                """)
        }
        #expect(ids == [[.integer(5)], [.integer(3)], [.integer(1)]])
    }

    @Test func theWriterHandsExactlyTheNewEventsToTheAggregates() throws {
        let (_, store) = try eventTestStore()
        let (p1, cfgS, fr) = try store.read { db in
            (try ProductRepository(db).requireID(sku: "P1"), try ProductRepository(db).requireID(sku: "CFG-S"),
             try StoreRepository(db).store(code: "fr").id)
        }
        let events = everyTypeEvents()
        let first = try store.write { db in try EventWriter(db).append(Array(events[0..<3])) }
        #expect(first.stored == [
            StoredEvent(seq: 1, type: .pageView, occurredAt: 1_714_557_600_000, storeID: 1, visitorID: "v1", customerID: nil,
                        sessionID: "s1", productID: nil, orderID: nil, lines: [], unitID: nil),
            StoredEvent(seq: 2, type: .categoryView, occurredAt: 1_714_557_601_000, storeID: 1, visitorID: "v1", customerID: nil,
                        sessionID: "s1", productID: nil, orderID: nil, lines: [], unitID: nil),
            StoredEvent(seq: 3, type: .productView, occurredAt: 1_714_557_602_000, storeID: 1, visitorID: "v1", customerID: nil,
                        sessionID: "s1", productID: p1, orderID: nil, lines: [], unitID: nil),
        ])
        // A second batch repeating e03: only the new order reaches the aggregates.
        let second = try store.write { db in try EventWriter(db).append([events[2], events[9]]) }
        #expect(second.report.duplicates == 1)
        #expect(second.stored == [
            StoredEvent(seq: 4, type: .placeOrder, occurredAt: 1_714_557_609_500, storeID: fr, visitorID: "v1", customerID: "c1",
                        sessionID: "s1", productID: nil, orderID: "o1", lines: [(p1, 1, 10), (cfgS, 3, 4.5)], unitID: nil),
        ])
    }

    @Test func duplicateIdsAreIgnoredWithinAndAcrossBatches() throws {
        let (dir, store) = try eventTestStore()
        let events = EventStore(store: store)
        let view = Event(id: "dup", type: .productView, time: at(0), visitorID: "v1", sessionID: "s1", sku: "P1")
        var again = view
        again.sku = "P2"  // a second delivery with other content: the first one wins
        let first = try events.append([view, again, Event(id: "x", type: .pageView, time: at(1), visitorID: "v1", sessionID: "s1")])
        #expect(first.received == 3 && first.stored == 2 && first.duplicates == 1)
        let second = try events.append([again, Event(id: "y", type: .pageView, time: at(2), visitorID: "v1", sessionID: "s1")])
        #expect(second.stored == 1 && second.duplicates == 1)
        #expect(try events.append(view) == false)
        #expect(try events.append(Event(id: "z", type: .pageView, time: at(3), visitorID: "v1", sessionID: "s1")) == true)
        #expect(try sqlite3Rows(dir.path("test.sqlite"), "SELECT event_key, sku FROM event_list ORDER BY event_seq")
                == [["dup", "P1"], ["x", "NULL"], ["y", "NULL"], ["z", "NULL"]])
    }

    /// One valid event then one broken event of each kind, at known positions.
    static func mixedBatch() -> [Event] {
        var events = [Event(id: "ok-1", type: .productView, time: at(0), visitorID: "v1", sessionID: "s1", sku: "P1")]
        func add(_ event: Event) { events.append(event) }
        add(Event(id: "", type: .pageView, time: at(1), visitorID: "v1", sessionID: "s1"))                           // 2
        add(Event(id: "b-3", type: .pageView, time: at(1), visitorID: "", sessionID: "s1"))                          // 3
        add(Event(id: "b-4", type: .pageView, time: at(1), visitorID: "v1", sessionID: " "))                         // 4
        add(Event(id: "b-5", type: .pageView, time: at(1), store: "de", visitorID: "v1", sessionID: "s1"))           // 5
        add(Event(id: "b-6", type: .addToCart, time: at(1), visitorID: "v1", sessionID: "s1", sku: "P1", quantity: -2))  // 6
        add(Event(id: "b-7", type: .placeOrder, time: at(1), visitorID: "v1", sessionID: "s1", orderID: "o",
                  lines: [OrderLine(sku: "P1", quantity: 1, price: 1), OrderLine(sku: "P2", quantity: -1, price: 1)]))  // 7
        add(Event(id: "b-8", type: .productView, time: at(1), visitorID: "v1", sessionID: "s1"))                     // 8
        add(Event(id: "b-9", type: .pageView, time: Date(timeIntervalSince1970: -1), visitorID: "v1", sessionID: "s1"))  // 9
        add(Event(id: "b-10", type: .placeOrder, time: at(1), visitorID: "v1", sessionID: "s1", orderID: "o"))       // 10
        add(Event(id: "b-11", type: .pageView, time: at(1), visitorID: "v1", sessionID: "s1",
                  lines: [OrderLine(sku: "P1", quantity: 1, price: 1)]))                                               // 11
        add(Event(id: "b-12", type: .categoryView, time: at(1), visitorID: "v1", sessionID: "s1"))                   // 12
        add(Event(id: "b-13", type: .recsUnitView, time: at(1), visitorID: "v1", sessionID: "s1"))                   // 13
        add(Event(id: "b-14", type: .addToCart, time: at(1), visitorID: "v1", sessionID: "s1", sku: "P1", price: -0.5))  // 14
        add(Event(id: "b-15", type: .cancelOrder, time: at(1), visitorID: "v1", sessionID: "s1",
                  lines: [OrderLine(sku: "P1", quantity: 1, price: 1)]))                                               // 15
        add(Event(id: "ok-16", type: .pageView, time: at(2), visitorID: "v1", sessionID: "s1"))
        return events
    }

    static let mixedBatchIssues = [
        InputError(file: "batch", line: 2, field: "id", message: "missing or empty"),
        InputError(file: "batch", line: 3, field: "visitor_id", message: "missing or empty (event b-3)"),
        InputError(file: "batch", line: 4, field: "session_id", message: "missing or empty (event b-4)"),
        InputError(file: "batch", line: 5, field: "store", message: "unknown store \"de\" (event b-5)"),
        InputError(file: "batch", line: 6, field: "quantity", message: "must be a number > 0, got -2 (event b-6)"),
        InputError(file: "batch", line: 7, field: "lines[2].quantity", message: "must be a number > 0, got -1 (event b-7)"),
        InputError(file: "batch", line: 8, field: "sku", message: "a product-view event needs a SKU (event b-8)"),
        InputError(file: "batch", line: 9, field: "time", message: "outside 1970-01-01T00:00:00Z … 9999-12-31T23:59:59Z (event b-9)"),
        InputError(file: "batch", line: 10, field: "lines", message: "a place-order event needs at least one line (event b-10)"),
        InputError(file: "batch", line: 11, field: "lines", message: "only place-order and cancel-order events have lines (event b-11)"),
        InputError(file: "batch", line: 12, field: "category", message: "a category-view event needs a category (event b-12)"),
        InputError(file: "batch", line: 13, field: "unit_id", message: "a recs-unit-view event needs a unit id (event b-13)"),
        InputError(file: "batch", line: 14, field: "price", message: "must be a number ≥ 0, got -0.5 (event b-14)"),
        InputError(file: "batch", line: 15, field: "order_id", message: "a cancel-order event needs an order id (event b-15)"),
    ]

    @Test func invalidEventsRejectTheWholeBatchByDefault() throws {
        let (dir, store) = try eventTestStore()
        let before = try sqlite3Rows(dir.path("test.sqlite"), "SELECT count(*) FROM events UNION ALL SELECT count(*) FROM event_lines")
        #expect(throws: InputError.invalidEvents(Self.mixedBatchIssues)) { try EventStore(store: store).append(Self.mixedBatch()) }
        #expect(try sqlite3Rows(dir.path("test.sqlite"), "SELECT count(*) FROM events UNION ALL SELECT count(*) FROM event_lines") == before)
        // One invalid event alone throws too, whatever the policy.
        var options = EventIngestOptions()
        options.invalidEvents = .skipInvalid
        #expect(throws: InputError.invalidEvents([InputError(file: "event", line: 1, field: "sku", message: "a product-view event needs a SKU (event b-8)")])) {
            try EventStore(store: store, options: options).append(Self.mixedBatch()[7])
        }
    }

    @Test func skipInvalidStoresTheRestAndListsEachRejectedEvent() throws {
        let (dir, store) = try eventTestStore()
        var options = EventIngestOptions()
        options.invalidEvents = .skipInvalid
        let report = try EventStore(store: store, options: options).append(Self.mixedBatch())
        #expect(report.received == 16 && report.stored == 2 && report.rejected == Self.mixedBatchIssues)
        #expect(try sqlite3Rows(dir.path("test.sqlite"), "SELECT event_key FROM events ORDER BY event_seq") == [["ok-1"], ["ok-16"]])
        #expect(try sqlite3Rows(dir.path("test.sqlite"), "SELECT count(*) FROM event_lines") == [["0"]])
    }

    @Test func unknownSKUsAndCategoriesAreKeptAndCounted() throws {
        let (dir, store) = try eventTestStore()
        let events = EventStore(store: store)
        let report = try events.append([
            Event(id: "u1", type: .productView, time: at(0), visitorID: "v1", sessionID: "s1", sku: "GONE"),
            Event(id: "u2", type: .productView, time: at(1), visitorID: "v1", sessionID: "s1", sku: "p1"),  // case-insensitive: P1
            Event(id: "u3", type: .placeOrder, time: at(2), visitorID: "v1", sessionID: "s1", orderID: "o9",
                  lines: [OrderLine(sku: "gone", quantity: 1, price: 3), OrderLine(sku: "P2", quantity: 1, price: 3), OrderLine(sku: "NEW", quantity: 2, price: 1)]),
            Event(id: "u4", type: .categoryView, time: at(3), visitorID: "v1", sessionID: "s1", category: "Gear/Shoes"),
            Event(id: "u5", type: .categoryView, time: at(4), visitorID: "v1", sessionID: "s1", category: "3"),  // id of Gear/Bags
        ])
        #expect(report.stored == 5 && report.unknownSKUs == 3 && report.unknownCategories == 1)
        #expect(try sqlite3Rows(dir.path("test.sqlite"), "SELECT event_key, sku, category, known FROM event_list ORDER BY event_seq") == [
            ["u1", "GONE", "NULL", "0"], ["u2", "P1", "NULL", "1"], ["u3", "NULL", "NULL", "1"],
            ["u4", "NULL", "Gear/Shoes", "0"], ["u5", "NULL", "Default Category/Gear/Bags", "1"],
        ])
        let stats = try events.stats()
        #expect(stats.unknownSKUs == 2 && stats.unknownSKURows == 3 && stats.unknownCategories == 1)
        #expect(stats.topUnknownSKUs == [EventStats.SKUCount(sku: "GONE", count: 2), EventStats.SKUCount(sku: "NEW", count: 1)])
    }

    @Test func statsCountTypesRangeVisitorsAndSessions() throws {
        let (_, store) = try eventTestStore()
        let events = EventStore(store: store)
        #expect(try events.stats().first == nil)
        try events.append(everyTypeEvents() + [Event(id: "other", type: .pageView, time: at(-30), visitorID: "v2", sessionID: "s3")])
        let stats = try events.stats()
        #expect(stats.events == 12 && stats.orderLines == 3)
        #expect(stats.byType == [
            "page-view": 2, "category-view": 1, "product-view": 1, "add-to-cart": 1, "remove-from-cart": 1, "place-order": 1,
            "cancel-order": 1, "recs-unit-render": 1, "recs-unit-view": 1, "recs-item-click": 1, "recs-add-to-cart-click": 1,
        ])
        #expect(stats.first == "2024-05-01T09:59:30.000Z" && stats.last == "2024-05-01T10:01:00.000Z")
        #expect(stats.visitors == 2 && stats.sessions == 3 && stats.customers == 1 && stats.orders == 1 && stats.unknownSKUs == 0)
    }

    @Test func anAcknowledgedEventIsCommittedBeforeTheCallReturns() throws {
        let (dir, store) = try eventTestStore()
        try EventStore(store: store).append(Event(id: "ack", type: .pageView, time: at(0), visitorID: "v1", sessionID: "s1"))
        // Another process sees it at once: the transaction is committed to the WAL.
        #expect(try sqlite3Rows(dir.path("test.sqlite"), "SELECT event_key FROM events") == [["ack"]])
        // A store opened with synchronous = FULL syncs each commit (the durable setting).
        var configuration = Configuration()
        configuration.synchronous = .full
        let durable = try CrosslinkStore(path: dir.path("full.sqlite"), configuration: configuration)
        #expect(try durable.write { db in try db.scalarInt("PRAGMA synchronous") } == 2)
        #expect(try EventStore(store: durable).append(Event(id: "ack", type: .pageView, time: at(0), visitorID: "v1", sessionID: "s1")))
    }
}

@Suite struct EventTimeTests {
    @Test func parsesISO8601WithZonesAndUnixMilliseconds() {
        #expect(EventTime.parse("2024-05-01T10:00:00Z") == 1_714_557_600_000)
        #expect(EventTime.parse("2024-05-01T10:00:00.25Z") == 1_714_557_600_250)
        #expect(EventTime.parse("2024-05-01T10:00:00.123456Z") == 1_714_557_600_123)  // truncated to the millisecond
        #expect(EventTime.parse("2024-05-01 12:00:00+02:00") == 1_714_557_600_000)
        #expect(EventTime.parse("2024-05-01T05:30:00-0430") == 1_714_557_600_000)
        #expect(EventTime.parse("1714557600250") == 1_714_557_600_250)
        #expect(EventTime.parse("1970-01-01T00:00:00Z") == 0)
        #expect(EventTime.parse("2024-02-29T00:00:00Z") == 1_709_164_800_000)
        for bad in ["", "yesterday", "2024-05-01T10:00:00", "2024-05-01", "2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z",
                    "2024-05-01T24:00:00Z", "2024-05-01T10:00:00.Z", "2024-05-01T10:00:00+25:00", "1969-12-31T23:59:59Z",
                    "2024-05-01T10:00:00Zjunk", "-5", "1e12"] {
            #expect(EventTime.parse(bad) == nil, "\(bad)")
        }
    }

    @Test func formatsUTCWithMillisecondsAndRoundTrips() {
        #expect(EventTime.format(1_714_557_600_250) == "2024-05-01T10:00:00.250Z")
        #expect(EventTime.format(0) == "1970-01-01T00:00:00.000Z")
        #expect(EventTime.format(951_782_400_007) == "2000-02-29T00:00:00.007Z")
        for ms: Int64 in [0, 1, 999, 951_782_400_007, 1_714_557_600_250, 253_402_300_799_999] {
            #expect(EventTime.parse(EventTime.format(ms)) == ms)
            #expect(EventTime.milliseconds(EventTime.date(ms)) == ms)
        }
    }
}
