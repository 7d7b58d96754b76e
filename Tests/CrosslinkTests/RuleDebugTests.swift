import Testing
import Foundation
@testable import Crosslink

@Suite struct RuleDebugTests {
    @Test func fk() throws {
        let dir = try TemporaryDirectory()
        let store = try CrosslinkStore(path: dir.path("x.sqlite"))
        try store.write { db in
            let id = try ProductRepository(db).upsert(Product(sku: "A", name: "Joust Duffle Bag", price: 3))
            print("id", id, try db.rows("SELECT product_id, sku FROM products"))
            let id2 = try ProductRepository(db).upsert(Product(sku: "A", name: "Joust Duffle Bag 2", price: 3))
            print("id2", id2, try db.rows("SELECT product_id, sku FROM products"))
        }
    }
}
