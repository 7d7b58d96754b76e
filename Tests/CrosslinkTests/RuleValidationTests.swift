import Foundation
import Testing
@testable import Crosslink

/// Bad rules are refused at save time with the exact reason — rule name and the condition's
/// path, and for files the line and column — and nothing is stored; rules that try to smuggle
/// SQL in have no effect beyond their literal meaning.
@Suite struct RuleValidationTests {
    static let bags: RuleCondition = .all([.condition("category", .equal, "Gear/Bags")])

    /// `rule` is refused with `message` and the rules table stays empty (read by the sqlite3 CLI).
    func expectRefused(_ rule: Rule, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (_, store, path) = try RuleSample.copy()
        #expect(throws: (any Error).self, sourceLocation: sourceLocation) {
            do { try store.write { db in _ = try RuleRepository(db).add(rule) } }
            catch { #expect("\(error)" == message, sourceLocation: sourceLocation); throw error }
        }
        #expect(try sqlite3Rows(path, "SELECT count(*) FROM rules") == [["0"]], sourceLocation: sourceLocation)
    }

    /// The file is refused with `message` and nothing of it is stored.
    func expectFileRefused(_ text: String, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (_, store, path) = try RuleSample.copy()
        #expect(throws: (any Error).self, sourceLocation: sourceLocation) {
            do { try store.write { db in _ = try RuleRepository(db).importFile(text: text, file: "rules.json") } }
            catch { #expect("\(error)" == message, sourceLocation: sourceLocation); throw error }
        }
        #expect(try sqlite3Rows(path, "SELECT count(*) FROM rules") == [["0"]], sourceLocation: sourceLocation)
    }

    @Test func unknownAttributeNamesRuleAndPath() throws {
        try expectRefused(Rule(name: "Bags: same brand", appliesTo: .upsell, match: Self.bags, display: .all([
            .condition("category", .equal, .sameAsMatched),
            .any([.condition("brnad", .equal, .sameAsMatched), .condition("price", .greater, 10)]),
        ])), #"rule "Bags: same brand": display.conditions[1].conditions[0]: unknown attribute "brnad""#)
    }

    @Test func operatorsThatDoNotFitTheType() throws {
        try expectRefused(Rule(name: "P", appliesTo: .related, display: .all([.condition("price", .contains, "9")])),
                          #"rule "P": display.conditions[0]: operator "contains" does not fit price (a number); use ==, !=, <, <=, >, >=, is one of, is not one of"#)
        try expectRefused(Rule(name: "M", appliesTo: .related, display: .all([.condition("material", .less, "Nylon")])),
                          #"rule "M": display.conditions[0]: operator "<" does not fit material (a multiselect attribute); use contains, does not contain, is one of, is not one of"#)
        try expectRefused(Rule(name: "B", appliesTo: .related, match: .all([.condition("in_stock", .greater, 0)]), display: .all([])),
                          #"rule "B": match.conditions[0]: operator ">" does not fit in_stock (a yes/no value); use ==, !="#)
        try expectRefused(Rule(name: "C", appliesTo: .related, display: .all([.condition("category", .contains, "Gear")])),
                          #"rule "C": display.conditions[0]: operator "contains" does not fit category (categories); use ==, !=, is one of, is not one of"#)
        try expectRefused(Rule(name: "S", appliesTo: .related, display: .all([.condition("category", .less, .sameAsMatched)])),
                          #"rule "S": display.conditions[0]: operator "<" does not fit same_as_matched on category (categories); use ==, !="#)
    }

    @Test func relativeValuesWhereThereIsNone() throws {
        // No matched product in "products to match".
        try expectRefused(Rule(name: "R", appliesTo: .related, match: .all([.any([.condition("price", .greater, .percentOfMatched(100))])]),
                               display: .all([])),
                          #"rule "R": match.conditions[0].conditions[0]: percent_of_matched needs a matched product, and "products to match" conditions have none; compare with a constant"#)
        try expectRefused(Rule(name: "R", appliesTo: .related, display: .all([.condition("color", .equal, .percentOfMatched(100))])),
                          #"rule "R": display.conditions[0]: percent_of_matched does not apply to color (a select attribute); it applies to price, special_price, final_price"#)
        try expectRefused(Rule(name: "R", appliesTo: .related, display: .all([.condition("attribute_set", .equal, .childOfMatched)])),
                          #"rule "R": display.conditions[0]: child_of_matched does not apply to attribute_set (a select attribute); it applies to category only"#)
        try expectRefused(Rule(name: "R", appliesTo: .related, display: .all([.condition("qty", .less, .amountFromMatched(5))])),
                          #"rule "R": display.conditions[0]: amount_from_matched does not apply to qty (a number); it applies to price, special_price, final_price"#)
    }

    @Test func limitsDatesAndPriority() throws {
        try expectRefused(Rule(name: "L", appliesTo: .related, limit: 25, display: .all([])),
                          #"rule "L": limit: 25 is out of range: use 1–20 (0 or empty means 20)"#)
        try expectRefused(Rule(name: "L", appliesTo: .related, limit: -1, display: .all([])),
                          #"rule "L": limit: -1 is out of range: use 1–20 (0 or empty means 20)"#)
        try expectRefused(Rule(name: "D", appliesTo: .related, fromDate: "2025-03-01", toDate: "2025-02-01", display: .all([])),
                          #"rule "D": from 2025-03-01 is after to 2025-02-01"#)
        try expectRefused(Rule(name: "D", appliesTo: .related, fromDate: "2025-02-30", display: .all([])),
                          #"rule "D": from: "2025-02-30" is not a date; write YYYY-MM-DD"#)
        try expectRefused(Rule(name: "Q", appliesTo: .related, priority: 0, display: .all([])),
                          #"rule "Q": priority: 0 is out of range: use 1 or more (1 runs first)"#)
        // 0 is Adobe's "empty": 20.
        let (_, store, _) = try RuleSample.copy()
        let stored = try store.write { db in
            _ = try RuleRepository(db).add(Rule(name: "zero", appliesTo: .related, limit: 0, display: .all([])))
            return try RuleRepository(db).rule(named: "zero")
        }
        #expect(stored?.limit == 20)
    }

    @Test func valuesOfTheWrongType() throws {
        try expectRefused(Rule(name: "V", appliesTo: .related, display: .all([.condition("price", .equal, "cheap")])),
                          #"rule "V": display.conditions[0]: price takes a number, found "cheap""#)
        try expectRefused(Rule(name: "V", appliesTo: .related, display: .all([.condition("price", .equal, [1, 2])])),
                          #"rule "V": display.conditions[0]: operator "==" takes one value, found a list; use "is one of" for several"#)
        try expectRefused(Rule(name: "V", appliesTo: .related, display: .all([.condition("type", .equal, "shoe")])),
                          #"rule "V": display.conditions[0]: type takes one of simple, configurable, grouped, bundle, virtual, downloadable, found "shoe""#)
        try expectRefused(Rule(name: "V", appliesTo: .related, display: .all([.condition("category", .equal, "Gear/Bgas")])),
                          #"rule "V": display.conditions[0]: unknown category "Gear/Bgas"; give its id or its path such as "Gear/Bags""#)
        try expectRefused(Rule(name: "V", appliesTo: .related, display: .all([.condition("created_at", .less, "yesterday")])),
                          #"rule "V": display.conditions[0]: created_at takes a date "YYYY-MM-DD", found "yesterday""#)
        try expectRefused(Rule(name: "V", appliesTo: .related, display: .all([.condition("material", .isOneOf, [])])),
                          #"rule "V": display.conditions[0]: "is one of" needs at least one value"#)
    }

    @Test func treesTooDeepOrTooLarge() throws {
        var deep: RuleCondition = .condition("price", .greater, 1)
        for _ in 0..<10 { deep = .all([deep]) }   // 10 combinations + the condition: 11 levels
        let path = "display" + String(repeating: ".conditions[0]", count: 10)
        try expectRefused(Rule(name: "Deep", appliesTo: .related, display: deep), "rule \"Deep\": \(path): nesting deeper than 10 levels")
        var fine: RuleCondition = .condition("price", .greater, 1)
        for _ in 0..<9 { fine = .all([fine]) }
        let (_, store, _) = try RuleSample.copy()
        try store.write { db in _ = try RuleRepository(db).add(Rule(name: "Ten levels", appliesTo: .related, display: fine)) }

        let large: RuleCondition = .any((0..<200).map { .condition("price", .greater, .constant(.number(Double($0)))) })
        try expectRefused(Rule(name: "Large", appliesTo: .related, display: large),
                          #"rule "Large": display: 201 conditions and combinations; at most 200 are allowed in one tree"#)
        try store.write { db in
            _ = try RuleRepository(db).add(Rule(name: "200 nodes", appliesTo: .related,
                                               display: .any((0..<199).map { .condition("price", .greater, .constant(.number(Double($0)))) })))
        }
    }

    @Test func duplicateNamesAndUnknownRules() throws {
        let (_, store, _) = try RuleSample.copy()
        let rule = Rule(name: "Once", appliesTo: .related, display: .all([]))
        try store.write { db in _ = try RuleRepository(db).add(rule) }
        #expect(throws: RequestError.duplicateRule("Once")) { try store.write { db in _ = try RuleRepository(db).add(rule) } }
        #expect("\(RequestError.duplicateRule("Once"))" == #"a rule named "Once" exists already"#)
        #expect(throws: RequestError.unknownRule("Never")) { try store.write { db in try RuleRepository(db).setActive(false, name: "Never") } }
        #expect(throws: RequestError.unknownRule("Never")) { try store.write { db in try RuleRepository(db).delete(name: "Never") } }
    }

    // MARK: Files

    @Test func malformedJSONNamesLineAndColumn() throws {
        try expectFileRefused("{\"rules\": [\n  {\"name\": \"x\",}\n]}",
                              "rules.json:2:16: malformed JSON: expected a member name in double quotes, found '}'")
        try expectFileRefused("{\"name\": \"x", "rules.json:1:12: malformed JSON: unterminated string (opened at line 1, column 10)")
        try expectFileRefused("[{\"name\": \"a\"} {\"name\": \"b\"}]", "rules.json:1:16: malformed JSON: expected ',' or ']' after a list item, found '{'")
        try expectFileRefused("{\"name\": \"a\", \"name\": \"b\"}", "rules.json:1:15: malformed JSON: duplicate member \"name\"")
        try expectFileRefused("", "rules.json:1:1: malformed JSON: the file holds no JSON value")
        try expectFileRefused(String(repeating: "[", count: 70), "rules.json:1:65: malformed JSON: nesting deeper than 64 levels")
    }

    @Test func fileErrorsPointAtTheCondition() throws {
        let text = """
            {"rules": [
              {"name": "Bags: same brand", "applies_to": "upsell",
               "display": {"aggregator": "all", "value": true, "conditions": [
                 {"attribute": "category", "operator": "==", "value_type": "same_as_matched"},
                 {"aggregator": "any", "value": true, "conditions": [
                   {"attribute": "brnad", "operator": "==", "value_type": "same_as_matched"}]}]}}
            ]}
            """
        try expectFileRefused(text, #"rules.json:6:8: rule "Bags: same brand": display.conditions[1].conditions[0]: unknown attribute "brnad""#)
        try expectFileRefused("""
            [{"name": "Typo", "applies_to": "related",
              "display": {"conditions": [{"attribute": "price", "operater": ">", "value": 3}]}}]
            """, #"rules.json:2:65: rule "Typo": display.conditions[0]: unknown member "operater"; a condition has attribute, operator, value_type, value"#)
        try expectFileRefused("""
            [{"name": "Op", "applies_to": "related",
              "display": {"conditions": [{"attribute": "price", "operator": "=~", "value": 3}]}}]
            """, #"rules.json:2:65: rule "Op": display.conditions[0].operator: unknown operator "=~"; use one of ==, !=, <, <=, >, >=, contains, does not contain, is one of, is not one of"#)
        try expectFileRefused("""
            [{"name": "Lim", "applies_to": "crosssell", "limit": 21, "display": {"conditions": []}}]
            """, #"rules.json:1:54: rule "Lim": limit: 21 is out of range: use 1–20 (0 or empty means 20)"#)
        try expectFileRefused("""
            [{"name": "NoBlock", "display": {"conditions": []}}]
            """, #"rules.json:1:2: rule "NoBlock": applies_to: missing; use "related", "upsell" or "crosssell""#)
    }

    @Test func oneBadRuleKeepsTheWholeFileOut() throws {
        let text = """
            [{"name": "Good", "applies_to": "related", "display": {"conditions": [{"attribute": "price", "operator": ">", "value": 3}]}},
             {"name": "Bad", "applies_to": "related", "display": {"conditions": [{"attribute": "colour", "operator": "==", "value": "Red"}]}}]
            """
        try expectFileRefused(text, #"rules.json:2:70: rule "Bad": display.conditions[0]: unknown attribute "colour""#)
        try expectFileRefused("""
            [{"name": "Twice", "applies_to": "related", "display": {}}, {"name": "Twice", "applies_to": "upsell", "display": {}}]
            """, #"rules.json:1:70: rule "Twice": name: the file holds two rules of this name"#)
    }

    // MARK: Injection

    @Test func sqlInAttributeNamesIsAnUnknownAttribute() throws {
        try expectRefused(Rule(name: "X", appliesTo: .related, display: .all([.condition("price; DROP TABLE products; --", .equal, 1)])),
                          #"rule "X": display.conditions[0]: unknown attribute "price; DROP TABLE products; --""#)
        try expectRefused(Rule(name: "X", appliesTo: .related, display: .all([.condition("category", .equal, "Gear/Bags' OR '1'='1")])),
                          #"rule "X": display.conditions[0]: unknown category "Gear/Bags' OR '1'='1"; give its id or its path such as "Gear/Bags""#)
    }

    @Test func sqlInValuesNamesAndSegmentsIsTakenLiterally() throws {
        let (_, store, path) = try RuleSample.copy()
        let evil = #"Bag "Deluxe" '; DROP TABLE rules; --"#
        let strange = #"x"; DROP TABLE products; --"#
        try store.write { db in
            let id = try ProductRepository(db).upsert(Product(sku: "EVIL-1", name: evil, attributeSet: "Bag", price: 10, qty: 5))
            try StoreRepository(db).assign(productID: id, websiteIDs: [1])
            // A custom attribute whose code and value carry SQL, too.
            try AttributeRepository(db).define(code: strange, type: .text)
            try AttributeRepository(db).set(productID: id, code: strange, values: ["1); DELETE FROM products; --"])
            let rules = RuleRepository(db)
            _ = try rules.add(Rule(name: "'; DROP TABLE rules; --", appliesTo: .related, segments: ["vip'); DELETE FROM rules; --"],
                               display: .all([.condition("name", .equal, .constant(.string(evil)))])))
            _ = try rules.add(Rule(name: "contains", appliesTo: .upsell, display: .all([.condition("name", .contains, "'; DROP TABLE products; --")])))
            _ = try rules.add(Rule(name: "attribute", appliesTo: .upsell, display: .all([
                .condition(strange, .equal, "1); DELETE FROM products; --"), .condition("sku", .isOneOf, ["EVIL-1", "' OR 1=1 --"])])))
        }
        let products = try sqlite3Rows(path, "SELECT count(*) FROM products")
        #expect(products == [["2047"]])
        let (literal, none, attribute) = try store.read { db in
            let engine = RuleEngine(db)
            let compiler = try RuleCompiler(db)
            func run(_ name: String) throws -> [String] {
                let compiled = try compiler.compile(try RuleRepository(db).rule(named: name)!)
                return try engine.candidates(compiled, matched: 1, storeID: 1, excluded: [], limit: 100).map(\.sku)
            }
            return (try run("'; DROP TABLE rules; --"), try run("contains"), try run("attribute"))
        }
        #expect(literal == ["EVIL-1"])
        #expect(none == [])
        #expect(attribute == ["EVIL-1"])
        // Stored as written, readable through the views.
        #expect(try sqlite3Rows(path, "SELECT name, segments FROM rule_list WHERE rule_id = 1")
                == [["'; DROP TABLE rules; --", #"["vip'); DELETE FROM rules; --"]"#]])
        #expect(try sqlite3Rows(path, "SELECT value FROM rule_conditions WHERE rule_id = 1 AND kind = 'condition'") == [[evil]])
        #expect(try sqlite3Rows(path, "SELECT count(*) FROM rules") == [["3"]])
        #expect(try sqlite3Rows(path, "SELECT count(*) FROM products") == [["2047"]])
        // The segment is a literal code too: only a visitor in exactly that segment sees the rule.
        let served = try store.read { db in
            try Placements(db).related(for: "24-MB01", segments: ["vip'); DELETE FROM rules; --"]).map(\.sku)
        }
        #expect(served.contains("EVIL-1"))
        #expect(try store.read { db in try Placements(db).related(for: "24-MB01", segments: ["vip"]).map(\.sku) }.contains("EVIL-1") == false)
    }

    @Test func exportedRulesReadBackTheSame() throws {
        let (_, store, _) = try RuleSample.copy()
        let rules = [
            Rule(name: "Bags: pricier bags", appliesTo: .upsell, priority: 2, limit: 4, fromDate: "2025-01-01", toDate: "2025-12-31",
                 segments: ["vip", "new"], match: Self.bags,
                 display: .all([.condition("category", .equal, .sameAsMatched), .condition("final_price", .greaterOrEqual, .percentOfMatched(100)),
                                .combine(.any, expected: false, [.condition("material", .contains, "Leather"), .condition("price", .less, .amountFromMatched(-5.5))])])),
            Rule(name: "Cart \"quotes\" and \\ slashes", isActive: false, appliesTo: .crosssell, limit: 3,
                 match: .all([.condition("category", .equal, "Men/Tops")]),
                 display: .all([.condition("category", .isOneOf, [3, "Gear/Watches"]), .condition("in_stock", .equal, true)])),
        ]
        try store.write { db in for rule in rules { _ = try RuleRepository(db).add(rule) } }
        let text = try store.read { db in try RuleRepository(db).exportFile() }
        let read = try RuleFile(text: text).rules.map(\.rule)
        #expect(read == rules.sorted { $0.appliesTo.rawValue < $1.appliesTo.rawValue })
        // Importing the export into a fresh database gives the same export, byte for byte.
        let (_, other, _) = try RuleSample.copy()
        try other.write { db in _ = try RuleRepository(db).importFile(text: text, file: "export.json", replaceExisting: false) }
        #expect(try other.read { db in try RuleRepository(db).exportFile() } == text)
    }
}
