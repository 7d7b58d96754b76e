import Foundation
import Testing
@testable import Crosslink

/// Most viewed / added to cart / purchased, conversion and trending on hand-built logs. Day d
/// starts at hour 24·d; the last event fixes the live windows (7 days: days 0…6 when it is on day 6).
@Suite struct RecommendationPopularityTests {
    typealias F = RecommendationFixtures

    /// Views: A in s1 (twice) and s2, B in s1 and s3, C in s2 and s4 (day −1: outside), the
    /// configurable's child and parent in s5 (one session for CFG), D in s6 at the first hour of
    /// the window, HIDDEN (not displayable) in s3.
    func viewLog() -> HandLog {
        var log = HandLog()
        log.view("C", session: "s4", at: -1)                 // day −1, 23:00: just outside the live window
        log.view("D", session: "s6", at: 0)                  // day 0, 00:00: the window's first hour
        log.view("CFG-S", session: "s5", at: 4 * 24)
        log.view("CFG", session: "s5", at: 4 * 24 + 1)
        log.view("B", session: "s3", at: 5 * 24)
        log.view("HIDDEN", session: "s3", at: 5 * 24 + 1)
        log.view("A", session: "s1", at: 6 * 24 + 10)
        log.view("A", session: "s1", at: 6 * 24 + 10.1)      // same session: counted once
        log.view("B", session: "s1", at: 6 * 24 + 10.2)
        log.view("A", session: "s2", at: 6 * 24 + 12)
        log.view("C", session: "s2", at: 6 * 24 + 12.5)      // the last event
        return log
    }

    @Test func mostViewedCountsDistinctSessionsInTheWindow() throws {
        let dir = try TemporaryDirectory()
        let store = try F.store(dir)
        try F.ingest(viewLog(), into: store)
        // A: s1, s2 = 2; B: s1, s3 = 2; C: s2 = 1 (s4 is on day −1); CFG: 1; D: 1; HIDDEN not displayable.
        let list = try F.recommend(store, .mostViewed)
        #expect(list.map(\.sku) == ["A", "B", "C", "CFG", "D"])
        #expect(list.map(\.score) == [2, 2, 1, 1, 1])
        #expect(list[0].reason.description == "viewed in 2 sessions in the last 7 days")
        // Never the context product; a cart excludes all its items (and CFG-S brings its parent).
        #expect(try F.skus(store, .mostViewed, .product("A")) == ["B", "C", "CFG", "D"])
        #expect(try F.skus(store, .mostViewed, .cart(["CFG-S", "B"])) == ["A", "C", "D"])
        #expect(try F.skus(store, .mostViewed, limit: 2) == ["A", "B"])
    }

    @Test func mostViewedAsOfUsesWholeDaysBeforeThatInstant() throws {
        let dir = try TemporaryDirectory()
        let store = try F.store(dir)
        try F.ingest(viewLog(), into: store)
        // As of day 6 00:00: days −1…5 → C (s4, now inside), B (s3), CFG (s5), D (s6); all 1 session.
        #expect(try F.skus(store, .mostViewed, asOf: HandLog.time(6 * 24)) == ["B", "C", "CFG", "D"])
        // As of day 5 00:00: days −2…4 → C (s4), CFG, D.
        #expect(try F.skus(store, .mostViewed, asOf: HandLog.time(5 * 24)) == ["C", "CFG", "D"])
        // A mid-day instant counts whole days only: day 6 10:30 answers as of day 6 00:00.
        #expect(try F.skus(store, .mostViewed, asOf: HandLog.time(6 * 24 + 10.5)) == ["B", "C", "CFG", "D"])
        // The day after the last event: the same window as the live one.
        #expect(try F.skus(store, .mostViewed, asOf: HandLog.time(7 * 24)) == ["A", "B", "C", "CFG", "D"])
        // Before any event: nothing.
        #expect(try F.skus(store, .mostViewed, asOf: HandLog.time(-48)).isEmpty)
    }

    @Test func mostPurchasedNetsCancellationsThenUnits() throws {
        let dir = try TemporaryDirectory()
        let store = try F.store(dir)
        var log = HandLog()
        log.order([("C", 5)], session: "s12", at: 5 * 24)
        log.order([("A", 2), ("B", 1)], session: "s10", at: 6 * 24)
        log.order([("A", 1)], session: "s11", at: 6 * 24 + 1)
        log.cancel([("A", 1)], session: "s13", at: 6 * 24 + 2)
        try F.ingest(log, into: store)
        // Buying sessions − cancelling sessions: A 2 − 1 = 1 (units 2 + 1 − 1 = 2), B 1 (1 unit), C 1 (5 units).
        let list = try F.recommend(store, .mostPurchased)
        #expect(list.map(\.sku) == ["C", "A", "B"])
        #expect(list[1].reason.description == "bought in 1 session (2 units) in the last 7 days")
        // As of day 6 00:00 (days −1…5): only C's order.
        #expect(try F.skus(store, .mostPurchased, asOf: HandLog.time(6 * 24)) == ["C"])
    }

    @Test func mostAddedToCart() throws {
        let dir = try TemporaryDirectory()
        let store = try F.store(dir)
        var log = HandLog()
        log.cart("B", session: "s1", at: 10)
        log.cart("B", session: "s1", at: 11)   // same session
        log.cart("A", session: "s2", at: 12)
        log.cart("B", session: "s3", at: 13)
        log.cart("OFF", session: "s3", at: 14)  // disabled: never shown
        try F.ingest(log, into: store)
        let list = try F.recommend(store, .mostAddedToCart)
        #expect(list.map(\.sku) == ["B", "A"])
        #expect(list.map(\.score) == [2, 1])
        #expect(list[0].reason.description == "added to cart in 2 sessions in the last 7 days")
    }

    /// One view and one purchase must not beat a product that converts 16 of 40 viewers.
    @Test func conversionIsSmoothedTowardsTheStoreRate() throws {
        let dir = try TemporaryDirectory()
        let store = try F.store(dir)
        var log = HandLog()
        // A: 1 viewing session that bought. B: 40 viewing sessions, 16 bought after viewing,
        // 10 added to cart after viewing. C: 40 viewing sessions, none converted.
        log.view("A", session: "a", at: 1)
        log.order(["A"], session: "a", at: 1.5)
        for i in 0..<40 {
            log.view("B", session: "b\(i)", at: 2 + Double(i) / 100)
            if i < 16 { log.order(["B"], session: "b\(i)", at: 3 + Double(i) / 100) }
            if i < 10 { log.cart("B", session: "b\(i)", at: 2.5 + Double(i) / 100) }
            log.view("C", session: "c\(i)", at: 4 + Double(i) / 100)
        }
        // A purchase before the view does not convert.
        log.order(["C"], session: "c0", at: 3.9)
        try F.ingest(log, into: store)
        // Store rate: 17 converted / 81 viewing sessions. k = 20:
        // A = (1 + 20·17/81) / (1 + 20) = 0.24750…, B = (16 + 20·17/81) / (40 + 20) = 0.33663…
        let list = try F.recommend(store, .viewToPurchase)
        #expect(list.map(\.sku) == ["B", "A"])
        #expect(abs(list[0].score - (16 + 20.0 * 17 / 81) / 60) < 1e-12)
        #expect(abs(list[1].score - (1 + 20.0 * 17 / 81) / 21) < 1e-12)
        #expect(list[0].reason.description == "bought in 16 of 40 viewing sessions, smoothed rate 33.7 %")
        // View → cart: only B converts (10 of 40); store rate 10/81.
        let carts = try F.recommend(store, .viewToCart)
        #expect(carts.map(\.sku) == ["B"])
        #expect(abs(carts[0].score - (10 + 20.0 * 10 / 81) / 60) < 1e-12)
    }

    /// Foreground = the last 24 h, background = the 72 h before; the last event is at hour 200.
    @Test func trendingComparesTheLastDayWithTheProductsOwnBackground() throws {
        let dir = try TemporaryDirectory()
        let store = try F.store(dir)
        var log = HandLog()
        let end = 200.0
        log.view("E", session: "first", at: end - 100)             // the log covers the background window
        for i in 0..<6 { log.view("A", session: "a\(i)", at: end - 1 - Double(i)) }      // 6 recent
        log.view("A", session: "a-old", at: end - 30)                                     // 1 background
        for i in 0..<4 { log.view("B", session: "b\(i)", at: end - 2 - Double(i)) }      // 4 recent
        for i in 0..<10 { log.view("B", session: "b-old\(i)", at: end - 40 - Double(i)) } // 10 background
        for i in 0..<20 { log.view("B", session: "b-older\(i)", at: end - 96 - Double(i) / 10) } // before the background: ignored
        for i in 0..<2 { log.view("C", session: "c\(i)", at: end - 3 - Double(i)) }      // 2 recent: below the minimum (3)
        for i in 0..<3 { log.view("D", session: "d\(i)", at: end - 4 - Double(i)) }      // 3 recent
        for i in 0..<20 { log.view("D", session: "d-old\(i)", at: end - 50 - Double(i)) } // 20 background: not growing
        log.view("X", session: "last", at: end)
        try F.ingest(log, into: store)
        // Hour 200 is the last: foreground hours 177…200, background 105…176.
        // A: (6/24) / ((1+1)/72) = 9.0; B: (4/24) / ((10+1)/72) = 1.0909…; D: (3/24) / (21/72) < 1.
        let list = try F.recommend(store, .trending)
        #expect(list.map(\.sku) == ["A", "B"])
        #expect(abs(list[0].score - 9) < 1e-12)
        #expect(abs(list[1].score - (4.0 / 24) / (11.0 / 72)) < 1e-12)
        #expect(list[0].reason.description == "viewed in 6 sessions in the last 24 h vs 1 in the 72 h before (9.0× its usual rate)")
        // As of hour 200 (whole hours before it): foreground 176…199, background 104…175. A is
        // unchanged; B's background gains the session at hour 104: (4/24) / (12/72) = 1, not growing.
        #expect(try F.skus(store, .trending, asOf: HandLog.time(end)) == ["A"])
    }

    @Test func trendingNeedsTheBackgroundWindowCovered() throws {
        let dir = try TemporaryDirectory()
        let store = try F.store(dir)
        var log = HandLog()
        for i in 0..<6 { log.view("A", session: "a\(i)", at: 100 - Double(i)) }
        log.view("E", session: "first", at: 100 - 94)   // 94 h of log: the background (from hour 5) is not covered
        try F.ingest(log, into: store)
        #expect(try F.skus(store, .trending).isEmpty)
    }
}
