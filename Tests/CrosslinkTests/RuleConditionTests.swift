import Foundation
import Testing
@testable import Crosslink

/// The shipped Magento sample for the rule tests, imported once. Bags get fixed creation dates
/// (24-MB* 2023-03-15, 24-WB* 2024-06-01) and three of them a `weight` number attribute, so
/// that date and number conditions have something to find. Tests that write copy the file.
enum RuleSample {
    static let template: Result<String, any Error> = Result {
        let dir = try TemporaryDirectory()
        let path = dir.path("rule-sample.sqlite")
        do {
            let store = try CrosslinkStore(path: path)
            _ = try MagentoSampleImporter(store: store).importSample()
            try store.write { db in
                try db.execute("UPDATE products SET created_at = '2023-03-15T08:00:00Z' WHERE sku LIKE '24-MB%'")
                try db.execute("UPDATE products SET created_at = '2024-06-01T23:30:00Z' WHERE sku LIKE '24-WB%'")
                let attributes = AttributeRepository(db)
                try attributes.define(code: "weight", type: .number)
                for (sku, weight) in [("24-MB01", "1.5"), ("24-MB02", "2"), ("24-WB04", "0.75")] {
                    try attributes.set(productID: try ProductRepository(db).requireID(sku: sku), code: "weight", values: [weight])
                }
            }
            try store.pool.writeWithoutTransaction { db in try db.execute(script: "PRAGMA wal_checkpoint(TRUNCATE)") }
        }
        return path
    }

    /// One store on a copy of the template, shared by tests that only read, and the path of
    /// another copy for the sqlite3 CLI — in rollback-journal mode, so that CLI processes
    /// reading it at once never meet a WAL recovery lock.
    static let shared: Result<(store: CrosslinkStore, path: String), any Error> = Result {
        let (dir, store, _) = try copy()
        let path = dir.path("expectations.sqlite")
        try FileManager.default.copyItem(atPath: try template.get(), toPath: path)
        _ = try sqlite3Rows(path, "PRAGMA journal_mode = DELETE")
        return (store, path)
    }

    /// A private copy of the sample database.
    static func copy() throws -> (dir: TemporaryDirectory, store: CrosslinkStore, path: String) {
        let dir = try TemporaryDirectory()
        let path = dir.path("sample.sqlite")
        try FileManager.default.copyItem(atPath: try template.get(), toPath: path)
        return (dir, try CrosslinkStore(path: path), path)
    }

    /// Every displayable candidate of `display` for the matched product, by product id —
    /// through the validator and the compiled SQL, as a stored rule runs.
    static func candidates(_ display: RuleCondition, matched: String, store: CrosslinkStore) throws -> [String] {
        try store.read { db in
            let rule = Rule(name: "test", appliesTo: .related, display: display)
            try RuleValidator(db).validate(rule)
            let compiled = try RuleCompiler(db).compile(rule)
            let id = try ProductRepository(db).requireID(sku: matched)
            return try RuleEngine(db).candidates(compiled, matched: id, storeID: 1, excluded: [], limit: 10_000).map(\.sku)
        }
    }

    /// Whether "products to match" `tree` holds for `sku`.
    static func matches(_ tree: RuleCondition, sku: String, store: CrosslinkStore) throws -> Bool {
        try store.read { db in
            let rule = Rule(name: "test", appliesTo: .related, match: tree, display: .all([]))
            try RuleValidator(db).validate(rule)
            return try RuleEngine(db).matches(try RuleCompiler(db).compile(rule), productID: try ProductRepository(db).requireID(sku: sku))
        }
    }

    /// SKUs of the products displayable in store 'default' that satisfy hand-written `condition`
    /// on `p` (products), by product id — run by the sqlite3 CLI.
    static func expected(_ condition: String, path: String) throws -> [String] {
        try sqlite3Rows(path, """
            SELECT d.sku FROM displayable_products AS d JOIN products AS p ON p.product_id = d.product_id
            WHERE d.store = 'default' AND (\(condition)) ORDER BY d.product_id
            """).map { $0[0] }
    }

    /// Hand-written SQL pieces for the expectations.
    static func attribute(_ code: String, _ condition: String, product: String = "p.product_id") -> String {
        "EXISTS (SELECT 1 FROM product_attributes AS x JOIN attributes AS xa ON xa.attribute_id = x.attribute_id WHERE x.product_id = \(product) AND xa.code = '\(code)' AND \(condition))"
    }
    static func inCategory(_ namePath: String) -> String {
        "p.product_id IN (SELECT pc.product_id FROM product_categories AS pc JOIN categories AS c ON c.category_id = pc.category_id WHERE c.name_path = 'Default Category/\(namePath)' OR c.name_path LIKE 'Default Category/\(namePath)/%')"
    }
    static func matchedID(_ sku: String) -> String { "(SELECT product_id FROM products WHERE sku = '\(sku)')" }
}

/// Every condition type, operator and value type, on the shipped sample: the compiled rule's
/// candidates against hand-written SQL run by the sqlite3 CLI.
@Suite struct RuleConditionTests {
    struct Case: CustomStringConvertible {
        var name: String
        var display: RuleCondition
        var matched = "24-MB01"
        var expected: String
        var description: String { name }
    }

    static let constantCases: [Case] = [
        // Text columns: sku compares case-insensitively (Magento SKUs); contains is a substring, any case.
        Case(name: "sku ==", display: .all([.condition("sku", .equal, "24-mb02")]), expected: "p.sku = '24-MB02'"),
        Case(name: "name contains", display: .all([.condition("name", .contains, "backpack")]), expected: "lower(p.name) LIKE '%backpack%'"),
        Case(name: "name does not contain", display: .all([.condition("name", .doesNotContain, "Watch")]), expected: "lower(p.name) NOT LIKE '%watch%'"),
        Case(name: "name is one of", display: .all([.condition("name", .isOneOf, ["Fusion Backpack", "Driven Backpack"])]),
             expected: "p.name IN ('Fusion Backpack', 'Driven Backpack')"),
        Case(name: "name is not one of", display: .all([.condition("name", .isNotOneOf, ["Fusion Backpack"])]), expected: "p.name <> 'Fusion Backpack'"),
        Case(name: "name !=", display: .all([.condition("name", .notEqual, "Fusion Backpack")]), expected: "p.name <> 'Fusion Backpack'"),
        // Product type and attribute set.
        Case(name: "type ==", display: .all([.condition("type", .equal, "bundle")]), expected: "p.type = 'bundle'"),
        Case(name: "type is not one of", display: .all([.condition("type", .isNotOneOf, ["simple", "configurable"])]),
             expected: "p.type IN ('bundle', 'grouped', 'downloadable', 'virtual')"),
        Case(name: "attribute_set ==", display: .all([.condition("attribute_set", .equal, "Bag")]), expected: "p.attribute_set = 'Bag'"),
        Case(name: "attribute_set !=", display: .all([.condition("attribute_set", .notEqual, "Top")]), expected: "p.attribute_set <> 'Top'"),
        // Prices: a missing price (bundle, grouped) satisfies only the negative operators.
        Case(name: "price >", display: .all([.condition("price", .greater, 50)]), expected: "p.price > 50"),
        Case(name: "price >=", display: .all([.condition("price", .greaterOrEqual, 45)]), expected: "p.price >= 45"),
        Case(name: "price <", display: .all([.condition("price", .less, 20)]), expected: "p.price < 20"),
        Case(name: "price <=", display: .all([.condition("price", .lessOrEqual, 19)]), expected: "p.price <= 19"),
        Case(name: "price ==", display: .all([.condition("price", .equal, 45)]), expected: "p.price = 45"),
        Case(name: "price !=", display: .all([.condition("price", .notEqual, 45)]), expected: "p.price IS NULL OR p.price <> 45"),
        Case(name: "price is one of", display: .all([.condition("price", .isOneOf, [45, 92])]), expected: "p.price IN (45, 92)"),
        Case(name: "price is not one of", display: .all([.condition("price", .isNotOneOf, [45, 92])]), expected: "p.price IS NULL OR p.price NOT IN (45, 92)"),
        Case(name: "final_price < (special prices count)", display: .all([.condition("final_price", .less, 33)]),
             expected: "coalesce(CASE WHEN p.special_price < p.price THEN p.special_price ELSE p.price END, p.special_price) < 33"),
        Case(name: "special_price >=", display: .all([.condition("special_price", .greaterOrEqual, 30)]), expected: "p.special_price >= 30"),
        // Stock, status, visibility, quantity.
        Case(name: "qty >=", display: .all([.condition("qty", .greaterOrEqual, 100)]), expected: "p.qty >= 100"),
        Case(name: "in_stock ==", display: .all([.condition("in_stock", .equal, true)]), expected: "p.in_stock = 1"),
        Case(name: "enabled == false", display: .all([.condition("enabled", .equal, false)]), expected: "p.enabled = 0"),
        Case(name: "visibility is one of", display: .all([.condition("visibility", .isOneOf, [2])]), expected: "p.visibility = 2"),
        Case(name: "visibility ==", display: .all([.condition("visibility", .equal, 4)]), expected: "p.visibility = 4"),
        // Dates compare by day.
        Case(name: "created_at <", display: .all([.condition("created_at", .less, "2024-01-01")]), expected: "p.created_at < '2024'"),
        Case(name: "created_at ==", display: .all([.condition("created_at", .equal, "2024-06-01")]), expected: "p.sku LIKE '24-WB%'"),
        Case(name: "created_at >=", display: .all([.condition("created_at", .greaterOrEqual, "2024-01-01")]), expected: "p.sku NOT LIKE '24-MB%'"),
        Case(name: "created_at !=", display: .all([.condition("created_at", .notEqual, "2023-03-15")]), expected: "p.sku NOT LIKE '24-MB%'"),
        // Categories: a category includes the categories below it.
        Case(name: "category == path", display: .all([.condition("category", .equal, "Gear")]), expected: RuleSample.inCategory("Gear")),
        Case(name: "category == id", display: .all([.condition("category", .equal, 3)]), expected: RuleSample.inCategory("Gear/Bags")),
        Case(name: "category == full path", display: .all([.condition("category", .equal, "Default Category/Gear/Watches")]), expected: RuleSample.inCategory("Gear/Watches")),
        Case(name: "category == parent without own products", display: .all([.condition("category", .equal, "Men/Tops")]), expected: RuleSample.inCategory("Men/Tops")),
        Case(name: "category is one of", display: .all([.condition("category", .isOneOf, ["Gear/Watches", "Gear/Fitness Equipment"])]),
             expected: "\(RuleSample.inCategory("Gear/Watches")) OR \(RuleSample.inCategory("Gear/Fitness Equipment"))"),
        Case(name: "category !=", display: .all([.condition("category", .notEqual, "Gear")]), expected: "NOT \(RuleSample.inCategory("Gear"))"),
        Case(name: "category is not one of", display: .all([.condition("category", .isNotOneOf, ["Gear", "Men"])]),
             expected: "NOT \(RuleSample.inCategory("Gear")) AND NOT \(RuleSample.inCategory("Men"))"),
        // Multiselect attributes: contains = has the option.
        Case(name: "multiselect contains", display: .all([.condition("material", .contains, "Leather")]), expected: RuleSample.attribute("material", "x.value = 'Leather'")),
        Case(name: "multiselect does not contain", display: .all([.condition("material", .doesNotContain, "Nylon")]),
             expected: "NOT " + RuleSample.attribute("material", "x.value = 'Nylon'")),
        Case(name: "multiselect is one of", display: .all([.condition("material", .isOneOf, ["Leather", "Canvas"])]),
             expected: RuleSample.attribute("material", "x.value IN ('Leather', 'Canvas')")),
        Case(name: "multiselect is not one of", display: .all([.condition("material", .isNotOneOf, ["Nylon", "Polyester"])]),
             expected: "NOT " + RuleSample.attribute("material", "x.value IN ('Nylon', 'Polyester')")),
        Case(name: "multiselect contains (activity)", display: .all([.condition("activity", .contains, "Yoga")]), expected: RuleSample.attribute("activity", "x.value = 'Yoga'")),
        // Select and text attributes.
        Case(name: "select ==", display: .all([.condition("format", .equal, "Download")]), expected: RuleSample.attribute("format", "x.value = 'Download'")),
        Case(name: "select !=", display: .all([.condition("format", .notEqual, "Download")]), expected: "NOT " + RuleSample.attribute("format", "x.value = 'Download'")),
        Case(name: "select is one of", display: .all([.condition("format", .isOneOf, ["Download", "DVD"])]), expected: RuleSample.attribute("format", "x.value = 'Download'")),
        Case(name: "text ==", display: .all([.condition("has_options", .equal, "1")]), expected: RuleSample.attribute("has_options", "x.value = '1'")),
        Case(name: "text contains", display: .all([.condition("has_options", .contains, "1")]), expected: RuleSample.attribute("has_options", "x.value LIKE '%1%'")),
        Case(name: "text does not contain", display: .all([.condition("has_options", .doesNotContain, "1")]),
             expected: "NOT " + RuleSample.attribute("has_options", "x.value LIKE '%1%'")),
        // Yes/no attributes: "Yes", "true" and 1 are yes; a product without the attribute is no.
        Case(name: "boolean == true", display: .all([.condition("new", .equal, true)]), expected: RuleSample.attribute("new", "x.value IN ('Yes', '1')")),
        Case(name: "boolean == false", display: .all([.condition("eco_collection", .equal, false)]), expected: "NOT " + RuleSample.attribute("eco_collection", "x.value = 'Yes'")),
        Case(name: "boolean != true", display: .all([.condition("sale", .notEqual, true)]), expected: "NOT " + RuleSample.attribute("sale", "x.value IN ('Yes', '1')")),
        // Number attributes compare numerically.
        Case(name: "number >=", display: .all([.condition("weight", .greaterOrEqual, 1)]), expected: "p.sku IN ('24-MB01', '24-MB02')"),
        Case(name: "number <", display: .all([.condition("weight", .less, 1)]), expected: "p.sku = '24-WB04'"),
        Case(name: "number is one of", display: .all([.condition("weight", .isOneOf, [2, 3])]), expected: "p.sku = '24-MB02'"),
        Case(name: "number !=", display: .all([.condition("weight", .notEqual, 2)]), expected: "p.sku <> '24-MB02'"),
        // Combinations.
        Case(name: "any", display: .any([.condition("category", .equal, "Gear/Watches"), .condition("price", .greater, 70)]),
             expected: "\(RuleSample.inCategory("Gear/Watches")) OR p.price > 70"),
        Case(name: "all false (none holds)", display: .combine(.all, expected: false, [.condition("category", .equal, "Gear"), .condition("price", .less, 20)]),
             expected: "NOT \(RuleSample.inCategory("Gear")) AND NOT coalesce(p.price < 20, 0)"),
        Case(name: "any false (one fails)", display: .combine(.any, expected: false, [.condition("category", .equal, "Gear"), .condition("price", .greater, 40)]),
             expected: "NOT (\(RuleSample.inCategory("Gear")) AND coalesce(p.price > 40, 0))"),
        Case(name: "nested", display: .all([.condition("category", .equal, "Gear"), .any([.condition("name", .contains, "watch"), .condition("price", .less, 10)])]),
             expected: "\(RuleSample.inCategory("Gear")) AND (lower(p.name) LIKE '%watch%' OR p.price < 10)"),
        Case(name: "empty all holds", display: .all([]), expected: "1"),
        Case(name: "empty any holds", display: .any([]), expected: "1"),
    ]

    static let relativeCases: [Case] = [
        // 24-MB01: Gear + Gear/Bags, attribute set Bag, price 34, created 2023-03-15,
        // material Nylon, Polyester; activity Gym, Travel, Trail, Overnight.
        // Same category: 24-MB01's deepest category, Gear/Bags; sharing only Gear (the watches) is not enough.
        Case(name: "category same as matched (its deepest category)", display: .all([.condition("category", .equal, .sameAsMatched)]),
             expected: "EXISTS (SELECT 1 FROM product_categories AS a JOIN categories AS c ON c.category_id = a.category_id WHERE a.product_id = p.product_id AND c.name_path = 'Default Category/Gear/Bags')"),
        Case(name: "category not same as matched", display: .all([.condition("category", .notEqual, .sameAsMatched)]),
             expected: "NOT EXISTS (SELECT 1 FROM product_categories AS a JOIN categories AS c ON c.category_id = a.category_id WHERE a.product_id = p.product_id AND c.name_path = 'Default Category/Gear/Bags')"),
        // 24-MB05 is also in Collections/New Luma Yoga Collection: a deepest category too.
        Case(name: "category same as matched, two branches", display: .all([.condition("category", .equal, .sameAsMatched)]), matched: "24-MB05",
             expected: "EXISTS (SELECT 1 FROM product_categories AS a JOIN categories AS c ON c.category_id = a.category_id WHERE a.product_id = p.product_id AND c.name_path IN ('Default Category/Gear/Bags', 'Default Category/Collections/New Luma Yoga Collection'))"),
        // 24-UG06 is in Gear and Gear/Fitness Equipment: children of those are Bags, Fitness Equipment, Watches.
        Case(name: "category child of matched", display: .all([.condition("category", .equal, .childOfMatched)]), matched: "24-UG06",
             expected: "p.product_id IN (SELECT pc.product_id FROM product_categories AS pc JOIN categories AS c ON c.category_id = pc.category_id WHERE c.name_path LIKE 'Default Category/Gear/%')"),
        Case(name: "category not child of matched", display: .all([.condition("category", .notEqual, .childOfMatched)]), matched: "24-UG06",
             expected: "p.product_id NOT IN (SELECT pc.product_id FROM product_categories AS pc JOIN categories AS c ON c.category_id = pc.category_id WHERE c.name_path LIKE 'Default Category/Gear/%')"),
        Case(name: "attribute_set same as matched", display: .all([.condition("attribute_set", .equal, .sameAsMatched)]), expected: "p.attribute_set = 'Bag'"),
        Case(name: "name same as matched", display: .all([.condition("name", .equal, .sameAsMatched)]), expected: "p.sku = '24-MB01'"),
        Case(name: "price > same as matched", display: .all([.condition("price", .greater, .sameAsMatched)]), expected: "p.price > 34"),
        Case(name: "created_at same day as matched", display: .all([.condition("created_at", .equal, .sameAsMatched)]), expected: "p.sku LIKE '24-MB%'"),
        Case(name: "price >= 100 % of matched", display: .all([.condition("price", .greaterOrEqual, .percentOfMatched(100))]), expected: "p.price >= 34"),
        Case(name: "price <= 50 % of matched", display: .all([.condition("price", .lessOrEqual, .percentOfMatched(50))]), expected: "p.price <= 17"),
        Case(name: "price == 120 % of matched", display: .all([.condition("price", .equal, .percentOfMatched(120))]), matched: "24-MG04",
             expected: "p.price = 54"),
        Case(name: "final_price > matched + 10", display: .all([.condition("final_price", .greater, .amountFromMatched(10))]),
             expected: "coalesce(CASE WHEN p.special_price < p.price THEN p.special_price ELSE p.price END, p.special_price) > 44"),
        Case(name: "price < matched - 2", display: .all([.condition("price", .less, .amountFromMatched(-2))]), expected: "p.price < 32"),
        Case(name: "multiselect same as matched (a value in common)", display: .all([.condition("material", .equal, .sameAsMatched)]),
             expected: RuleSample.attribute("material", "x.value IN ('Nylon', 'Polyester')")),
        Case(name: "multiselect not same as matched", display: .all([.condition("material", .notEqual, .sameAsMatched)]),
             expected: "NOT " + RuleSample.attribute("material", "x.value IN ('Nylon', 'Polyester')")),
        Case(name: "activity same as matched", display: .all([.condition("activity", .equal, .sameAsMatched)]),
             expected: RuleSample.attribute("activity", "x.value IN ('Gym', 'Travel', 'Trail', 'Overnight')")),
        Case(name: "select same as matched", display: .all([.condition("format", .equal, .sameAsMatched)]), matched: "240-LV04",
             expected: RuleSample.attribute("format", "x.value = 'Download'")),
        Case(name: "number > same as matched", display: .all([.condition("weight", .greater, .sameAsMatched)]), expected: "p.sku = '24-MB02'"),
        Case(name: "boolean same as matched", display: .all([.condition("new", .equal, .sameAsMatched)]), matched: "24-MB05",
             expected: RuleSample.attribute("new", "x.value IN ('Yes', '1')")),
        Case(name: "up-sell shape: same category, same set, pricier", display: .all([
            .condition("category", .equal, .sameAsMatched), .condition("attribute_set", .equal, .sameAsMatched),
            .condition("final_price", .greaterOrEqual, .percentOfMatched(100))]),
             expected: "p.attribute_set = 'Bag' AND coalesce(CASE WHEN p.special_price < p.price THEN p.special_price ELSE p.price END, p.special_price) >= 34"),
    ]

    @Test(arguments: constantCases + relativeCases)
    func candidatesMatchHandWrittenSQL(_ testCase: Case) throws {
        let (store, path) = try RuleSample.shared.get()
        let actual = try RuleSample.candidates(testCase.display, matched: testCase.matched, store: store)
        let expected = try RuleSample.expected(testCase.expected, path: path)
        #expect(actual == expected, "\(testCase.name)")
    }

    @Test func casesAreNotVacuous() throws {
        // Cases find something (but the two that cannot), so an operator that matches nothing shows.
        let (_, path) = try RuleSample.shared.get()
        let all = try RuleSample.expected("1", path: path).count
        #expect(all == 187)
        var empty: [String] = []
        for testCase in Self.constantCases + Self.relativeCases {
            let count = try RuleSample.expected(testCase.expected, path: path).count
            if count == 0 { empty.append(testCase.name) }
        }
        #expect(empty == ["enabled == false", "visibility is one of"])
    }

    /// "Products to match" on single products, including ones not displayable (a configurable child).
    @Test func matchTreesOnSingleProducts() throws {
        let (store, path) = try RuleSample.shared.get()
        let cases: [(RuleCondition, String, String)] = [
            (.all([.condition("color", .equal, "Black")]), "MH01-XS-Black", RuleSample.attribute("color", "x.value = 'Black'")),
            (.all([.condition("color", .equal, "Red")]), "MH01-XS-Black", RuleSample.attribute("color", "x.value = 'Red'")),
            (.all([.condition("size", .isOneOf, ["XS", "M"])]), "MH01-XS-Black", RuleSample.attribute("size", "x.value IN ('XS', 'M')")),
            (.all([.condition("visibility", .equal, 1)]), "MH01-XS-Black", "p.visibility = 1"),
            (.all([.condition("sku", .contains, "-xs-")]), "MH01-XS-Black", "p.sku LIKE '%-XS-%'"),
            (.all([.condition("type", .equal, "configurable")]), "MH01-XS-Black", "p.type = 'configurable'"),
            (.all([.condition("category", .equal, "Men/Tops")]), "MH01-XS-Black", RuleSample.inCategory("Men/Tops")),
            (.all([.condition("category", .equal, "Women")]), "MH01-XS-Black", RuleSample.inCategory("Women")),
            (.any([.condition("price", .less, 50), .condition("attribute_set", .equal, "Top")]), "MH01", "p.price < 50 OR p.attribute_set = 'Top'"),
            (.combine(.all, expected: false, [.condition("material", .contains, "Nylon")]), "24-MB01", "NOT " + RuleSample.attribute("material", "x.value = 'Nylon'")),
            (.all([.condition("activity", .isNotOneOf, ["Yoga"]), .condition("price", .greaterOrEqual, 34)]), "24-MB01",
             "NOT " + RuleSample.attribute("activity", "x.value = 'Yoga'") + " AND p.price >= 34"),
        ]
        for (tree, sku, condition) in cases {
            let expected = try sqlite3Rows(path, "SELECT count(*) FROM products AS p WHERE p.sku = '\(sku)' AND (\(condition))") == [["1"]]
            #expect(try RuleSample.matches(tree, sku: sku, store: store) == expected, "\(tree) on \(sku)")
        }
    }
}
