import Foundation
import Testing
@testable import Crosslink

/// The references of events on both engines: SQLite keeps its foreign keys, PostgreSQL checks
/// them per statement (Migrations/postgresql/0012_lean_events.sql). Either way an event naming
/// a store, product or category that does not exist is refused with a foreign-key error and
/// nothing of its statement stays, a store with events cannot be deleted, and a deleted
/// product's or category's events keep their text and lose the id.
@Suite(.requiresPostgreSQL) struct EventReferenceTests {
    static func insert(_ db: Database, key: String, store: Int = 1, product: Int? = nil, category: Int? = nil) throws {
        try db.execute("""
            INSERT INTO events(event_key, type, occurred_at, store_id, visitor_id, session_id, product_id, sku, category_id, category)
            VALUES (?, 'product-view', 1, ?, 'v', 's', ?, 'SKU', ?, 'Cat')
            """, [key, store, product, category])
    }

    static func expectForeignKeyError(_ store: CrosslinkStore, _ body: (Database) throws -> Void) {
        do {
            try store.write { db in try body(db) }
            Issue.record("no error on \(store.engine)")
        } catch let error as DatabaseError {
            #expect(error.extendedResultCode == 787, "\(store.engine): \(error)")  // SQLITE_CONSTRAINT_FOREIGNKEY / 23503
        } catch {
            Issue.record("\(store.engine): \(error)")
        }
    }

    @Test func bothEnginesRefuseMissingReferencesAndFollowDeletes() throws {
        let stores = try EngineConformanceTests.pair("event_references") { store in
            try store.write { db in
                let products = ProductRepository(db)
                for sku in ["A", "B"] { _ = try products.upsert(Product(sku: sku, name: sku, price: 1)) }
            }
        }
        for store in stores.both {
            let (a, b) = try store.read { db in
                (try ProductRepository(db).requireID(sku: "A"), try ProductRepository(db).requireID(sku: "B"))
            }
            let category = try store.write { db in try CategoryRepository(db).ensure(path: ["Shop", "Bags"]) }
            try store.write { db in
                try Self.insert(db, key: "e1", product: a, category: category)
                try Self.insert(db, key: "e2", product: b)
            }
            // A whole statement of several rows fails when one of them names a missing id.
            Self.expectForeignKeyError(store) { db in
                try db.execute("""
                    INSERT INTO events(event_key, type, occurred_at, store_id, visitor_id, session_id, product_id)
                    VALUES ('e3', 'product-view', 1, 1, 'v', 's', ?), ('e4', 'product-view', 1, 1, 'v', 's', 999999)
                    """, [a])
            }
            Self.expectForeignKeyError(store) { db in try Self.insert(db, key: "e5", store: 4_242) }
            Self.expectForeignKeyError(store) { db in try Self.insert(db, key: "e6", category: 999_999) }
            Self.expectForeignKeyError(store) { db in try db.execute("UPDATE events SET product_id = 999999 WHERE event_key = 'e2'") }
            Self.expectForeignKeyError(store) { db in try db.execute("DELETE FROM stores WHERE store_id = 1") }
            #expect(try store.read { db in try db.scalarInt("SELECT count(*) FROM events") } == 2)

            try store.write { db in
                try db.execute("DELETE FROM products WHERE product_id = ?", [a])
                try db.execute("DELETE FROM categories WHERE category_id = ?", [category])
            }
            let rows = try store.read { db in
                try db.prepare("SELECT event_key, product_id, sku, category_id, category FROM events ORDER BY event_key").map { row in
                    [row.text(at: 0), row.optionalInt(at: 1).map(String.init) ?? "NULL", row.text(at: 2),
                     row.optionalInt(at: 3).map(String.init) ?? "NULL", row.optionalText(at: 4) ?? "NULL"]
                }
            }
            #expect(rows == [["e1", "NULL", "SKU", "NULL", "Cat"], ["e2", String(b), "SKU", "NULL", "Cat"]], "\(store.engine)")
        }
    }
}
