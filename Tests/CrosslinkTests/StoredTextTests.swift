import Foundation
import Testing
@testable import Crosslink

/// NUL (and, in codes, control characters) is refused with the same wording by every writer
/// of identifiers (``StoredText``), and nothing is stored.
@Suite struct StoredTextTests {
    @Test func ruleNamesRefuseNULAsSKUsAndUnitNamesDo() throws {
        let (_, store, path) = try RuleSample.copy()
        let rule = Rule(name: "Bags\u{0}hidden", appliesTo: .related, display: .all([.condition("price", .less, "100")]))
        let error = #expect(throws: InputError.self) { try store.write { db in _ = try RuleRepository(db).add(rule) } }
        #expect("\(error.map { "\($0)" } ?? "")".contains("name: must not contain NUL"))
        #expect(try sqlite3Rows(path, "SELECT count(*) FROM rules") == [["0"]])
        let sku = #expect(throws: InputError.self) { try store.write { db in _ = try ProductRepository(db).upsert(Product(sku: "A\u{0}B", name: "x")) } }
        #expect("\(sku.map { "\($0)" } ?? "")".contains("must not contain NUL"))
    }

    @Test func storeCodesRefuseControlCharacters() throws {
        let (_, store) = try eventTestStore()
        #expect(throws: InputError.invalidValue(field: "store code", value: "de\u{1B}", reason: "must not contain control characters (U+001B)")) {
            try store.write { db in _ = try StoreRepository(db).upsertStore(code: "de\u{1B}", website: "base") }
        }
        #expect(throws: InputError.invalidValue(field: "store code", value: "d\u{0}e", reason: "must not contain NUL")) {
            try store.write { db in _ = try StoreRepository(db).upsertStore(code: "d\u{0}e", website: "base") }
        }
        #expect(try store.read { db in try db.scalarInt("SELECT count(*) FROM stores WHERE code NOT IN ('default', 'fr', 'admin')") } == 0)
    }
}
