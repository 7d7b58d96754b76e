import Foundation
import Testing
@testable import Crosslink

/// NUL (and, in codes, control characters) is refused with the same wording by every writer
/// of names, codes and ids (``StoredText``), and nothing is stored.
@Suite struct StoredTextTests {
    @Test func ruleNamesRefuseNULAsSKUsAndUnitNamesDo() throws {
        let (_, store, path) = try RuleSample.copy()
        let rule = Rule(name: "Bags\u{0}hidden", appliesTo: .related, display: .all([.condition("price", .less, "100")]))
        let error = #expect(throws: RuleError.self) { try store.write { db in _ = try RuleRepository(db).add(rule) } }
        #expect("\(error.map { "\($0)" } ?? "")".contains("name: must not contain NUL"))
        #expect(try sqlite3Rows(path, "SELECT count(*) FROM rules") == [["0"]])
        let sku = #expect(throws: CatalogError.self) { try store.write { db in _ = try ProductRepository(db).upsert(Product(sku: "A\u{0}B", name: "x")) } }
        #expect("\(sku.map { "\($0)" } ?? "")".contains("must not contain NUL"))
    }

    @Test func codesNamesAndEventFieldsRefuseNUL() throws {
        let (dir, store) = try eventTestStore()
        #expect(throws: CatalogError.invalidValue(field: "store code", value: "de\u{1B}", reason: "must not contain control characters (U+001B)")) {
            try store.write { db in _ = try StoreRepository(db).upsertStore(code: "de\u{1B}", website: "base") }
        }
        #expect(throws: CatalogError.invalidValue(field: "attribute code", value: "co\u{0}lor", reason: "must not contain NUL")) {
            try store.write { db in _ = try AttributeRepository(db).define(code: "co\u{0}lor") }
        }
        #expect(throws: CatalogError.invalidValue(field: "category", value: "Ba\u{0}gs", reason: "must not contain NUL")) {
            try store.write { db in _ = try CategoryRepository(db).ensure(path: ["Gear", "Ba\u{0}gs"]) }
        }
        let event = Event(id: "e-1", type: .productView, time: at(0), visitorID: "v\u{0}1", sessionID: "s", sku: "P1")
        let error = #expect(throws: InvalidEventsError.self) { try EventStore(store: store).append(event) }
        #expect(error?.issues == [ImportIssue(file: "event", line: 1, column: "visitor_id", message: "must not contain NUL (event e-1)")])
        #expect(try sqlite3Rows(dir.path("test.sqlite"), "SELECT count(*) FROM events") == [["0"]])
    }
}
