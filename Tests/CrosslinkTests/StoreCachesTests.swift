import Foundation
import Testing
@testable import Crosslink

/// What connections derive from a store's data is the store's: shared by its connections,
/// never by two stores, bounded.
@Suite struct StoreCachesTests {
    @Test func theConnectionsOfAStoreShareItsCachesAndTwoStoresDoNot() throws {
        let dir = try TemporaryDirectory()
        let a = try CrosslinkStore(path: dir.path("a.sqlite"))
        let b = try CrosslinkStore(path: dir.path("b.sqlite"))
        let reader = try a.read { db in ObjectIdentifier(db.caches) }
        let writer = try a.write { db in ObjectIdentifier(db.caches) }
        #expect(reader == writer && reader == ObjectIdentifier(a.pool.caches))
        #expect(ObjectIdentifier(b.pool.caches) != reader)
        _ = try a.read { db in StoreCalendar.day(Date(timeIntervalSince1970: 0), timeZone: "Pacific/Kiritimati", caches: db.caches) }
        #expect(a.pool.caches.count(.timeZones) == 1)
        #expect(b.pool.caches.count(.timeZones) == 0)
        // A lone connection has caches of its own.
        let lone = try Database(path: dir.path("a.sqlite"))
        #expect(ObjectIdentifier(lone.caches) != reader)
    }

    @Test func aNamespaceIsBoundedAndKeepsItsValues() {
        let caches = StoreCaches()
        let namespace = StoreCaches.Namespace("test", limit: 2)
        var made = 0
        for key in ["x", "y", "x"] { _ = caches.value(namespace, key) { made += 1; return key.uppercased() } }
        #expect(made == 2)
        #expect(caches.value(namespace, "y") { "other" } == "Y")
        _ = caches.value(namespace, "z") { "Z" }  // the third key empties the namespace first
        #expect(caches.count(namespace) == 1)
        #expect(caches.count(.timeZones) == 0)
    }
}
