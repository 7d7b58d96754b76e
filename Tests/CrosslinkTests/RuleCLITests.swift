import Foundation
import Testing
@testable import Crosslink

/// `crosslink rules …` as a user runs it, on a copy of the sample database.
@Suite struct RuleCLITests {
    static let upsellFile = """
        {"rules": [{
          "name": "Bags: same category, pricier",
          "applies_to": "upsell",
          "limit": 4,
          "match": {"aggregator": "all", "value": true, "conditions": [
            {"attribute": "category", "operator": "==", "value": "Gear/Bags"}]},
          "display": {"aggregator": "all", "value": true, "conditions": [
            {"attribute": "category", "operator": "==", "value_type": "same_as_matched"},
            {"attribute": "attribute_set", "operator": "==", "value_type": "same_as_matched"},
            {"attribute": "price", "operator": ">=", "value_type": "percent_of_matched", "value": 100}]}
        }, {
          "name": "Cart: bags for men's tops",
          "applies_to": "crosssell",
          "limit": 3,
          "match": {"aggregator": "all", "value": true, "conditions": [
            {"attribute": "category", "operator": "==", "value": "Men/Tops"}]},
          "display": {"aggregator": "all", "value": true, "conditions": [
            {"attribute": "category", "operator": "==", "value": "Gear/Bags"},
            {"attribute": "in_stock", "operator": "==", "value": true}]}
        }]}
        """

    /// Whether one line of `text` holds all of `parts`, in order (tables pad with spaces).
    static func line(in text: String, with parts: [String]) -> Bool {
        text.split(separator: "\n").contains { line in
            var rest = Substring(line)
            for part in parts {
                guard let range = rest.range(of: part) else { return false }
                rest = rest[range.upperBound...]
            }
            return true
        }
    }

    func crosslink(_ path: String, _ arguments: [String]) throws -> ProcessResult {
        try run(CLITests.executable, ["--database", path] + arguments)
    }

    @Test func addListShowExplainExportAndSwitch() throws {
        let (dir, _, path) = try RuleSample.copy()
        let file = dir.path("rules.json")
        try Data(Self.upsellFile.utf8).write(to: URL(fileURLWithPath: file))

        let add = try crosslink(path, ["rules", "add", file])
        #expect(add.status == 0, "\(add.stderr)")
        #expect(add.stdout == "\(file): 2 rules added\n")
        #expect(add.stderr.hasPrefix("rule cache: 0 products changed: 2 rules built"))
        // Adding again: names exist, nothing changes.
        let again = try crosslink(path, ["rules", "add", file])
        #expect(again.status != 0)
        #expect(again.stderr.contains(#"a rule named "Bags: same category, pricier" exists already"#))

        let list = try crosslink(path, ["rules", "list"])
        #expect(list.status == 0)
        #expect(Self.line(in: list.stdout, with: ["Cart: bags for men's tops", "yes", "crosssell", #"all(category == "Men/Tops")"#]))
        #expect(list.stdout.contains(#"all(category == same as matched, attribute_set == same as matched, price >= 100% of matched)"#))

        let show = try crosslink(path, ["rules", "show", "Bags: same category, pricier"])
        #expect(Self.line(in: show.stdout, with: ["match.conditions[0]", #"category == "Gear/Bags""#]))
        #expect(Self.line(in: show.stdout, with: ["display.conditions[2]", "price >= 100% of matched"]))

        // 24-MB05 (45): manual up-sells 24-MB02, 24-UB02 first; the rule adds the other bags of 45 or more.
        let explain = try crosslink(path, ["rules", "explain", "--sku", "24-MB05", "--type", "upsell"])
        #expect(explain.status == 0, "\(explain.stderr)")
        #expect(explain.stdout.contains("Products to match, for 24-MB05: MATCHED"))
        #expect(explain.stdout.contains(#"Compared with 24-MB05's values: category "Gear/Bags", "Collections/New Luma Yoga Collection" (also in "Gear", "Collections"); attribute_set "Bag"; price 45.0"#))
        for sku in ["24-MB06", "24-WB07", "24-WB04"] { #expect(explain.stdout.contains(sku)) }
        #expect(!explain.stdout.contains("24-MB02"))   // a manual up-sell of 24-MB05: the block shows it first, the rule not again
        #expect(explain.stdout.contains("Cache: cached and up to date"))
        let json = try crosslink(path, ["rules", "explain", "--sku", "MH01-XS-Black", "--json"])
        let explained = try JSONDecoder().decode([RuleExplanation].self, from: Data(json.stdout.utf8))
        #expect(explained.map(\.matched) == [true, false])
        #expect(explained[0].selected.map(\.sku) == ["24-MB01", "24-MB04", "24-MB03"])

        let placement = try crosslink(path, ["placement", "product", "24-MB05"])
        #expect(placement.stdout.contains(#"rule "Bags: same category, pricier""#))

        // Export → import into a fresh database → the same export.
        let exported = try crosslink(path, ["rules", "export"])
        #expect(exported.status == 0)
        let (otherDir, _, other) = try RuleSample.copy()
        let exportFile = otherDir.path("export.json")
        try Data(exported.stdout.utf8).write(to: URL(fileURLWithPath: exportFile))
        #expect(try crosslink(other, ["rules", "import", exportFile, "--no-refresh"]).status == 0)
        #expect(try crosslink(other, ["rules", "export"]).stdout == exported.stdout)

        #expect(try crosslink(path, ["rules", "disable", "Cart: bags for men's tops"]).stdout == "Cart: bags for men's tops: inactive\n")
        #expect(try sqlite3Rows(path, "SELECT active FROM rules WHERE name = 'Cart: bags for men''s tops'") == [["0"]])
        #expect(try crosslink(path, ["rules", "enable", "Cart: bags for men's tops"]).status == 0)
        #expect(try crosslink(path, ["rules", "delete", "Cart: bags for men's tops"]).status == 0)
        #expect(try sqlite3Rows(path, "SELECT name FROM rule_list") == [["Bags: same category, pricier"]])
        let missing = try crosslink(path, ["rules", "delete", "Nope"])
        #expect(missing.status != 0 && missing.stderr.contains(#"no rule named "Nope""#))
    }

    @Test func badFilesAreRefusedWithTheirLocation() throws {
        let (dir, _, path) = try RuleSample.copy()
        let file = dir.path("bad.json")
        try Data(#"[{"name": "Bad", "applies_to": "upsell", "display": {"conditions": [{"attribute": "brnad", "operator": "==", "value_type": "same_as_matched"}]}}]"#.utf8)
            .write(to: URL(fileURLWithPath: file))
        let result = try crosslink(path, ["rules", "add", file])
        #expect(result.status != 0)
        #expect(result.stderr.contains("\(file):1:69: rule \"Bad\": display.conditions[0]: unknown attribute \"brnad\""))
        #expect(try sqlite3Rows(path, "SELECT count(*) FROM rules") == [["0"]])
    }

    /// `placement product` with the visitor's segments, the day (rule dates) and the rotation seed.
    @Test func placementTakesSegmentsDateAndSeed() throws {
        let (dir, _, path) = try RuleSample.copy()
        let file = dir.path("vip.json")
        try Data("""
            {"name": "VIP bags at Christmas", "applies_to": "related", "limit": 3, "segments": ["vip"],
             "from": "2025-12-20", "to": "2025-12-26",
             "match": {"conditions": [{"attribute": "category", "operator": "==", "value": "Gear/Bags"}]},
             "display": {"conditions": [{"attribute": "category", "operator": "==", "value": "Gear/Bags"}]}}
            """.utf8).write(to: URL(fileURLWithPath: file))
        #expect(try crosslink(path, ["rules", "add", file]).status == 0)
        struct Page: Decodable { var related: [PlacedProduct] }
        func related(_ options: [String]) throws -> [String] {
            let result = try crosslink(path, ["placement", "product", "24-MB05", "--json"] + options)
            #expect(result.status == 0, "\(result.stderr)")
            return try JSONDecoder().decode(Page.self, from: Data(result.stdout.utf8)).related.map(\.sku)
        }
        // 24-MB05 has no related links; the rule takes the first 3 other bags by product id
        // (24-MB01, 24-MB04, 24-MB03: the sample's order) for "vip" visitors from 20 to 26 December.
        let christmas = try related(["--segments", "vip,gold", "--date", "2025-12-24", "--seed", "7"])
        #expect(Set(christmas) == ["24-MB01", "24-MB04", "24-MB03"])
        #expect(try related(["--segments", "vip", "--date", "2025-12-24", "--seed", "7"]) == christmas)   // same seed, same order
        #expect(try related(["--segments", "vip", "--date", "2025-12-26"]).count == 3)                   // the last day is in
        #expect(try related(["--segments", "vip", "--date", "2025-12-27"]).isEmpty)
        #expect(try related(["--segments", "gold", "--date", "2025-12-24"]).isEmpty)
        #expect(try related(["--date", "2025-12-24"]).isEmpty)
        let bad = try crosslink(path, ["placement", "product", "24-MB05", "--date", "24/12/2025"])
        #expect(bad.status != 0 && bad.stderr.contains("--date takes a day as YYYY-MM-DD"))
    }

    @Test func settingsAndRefresh() throws {
        let (_, _, path) = try RuleSample.copy()
        let set = try crosslink(path, ["rules", "settings", "--block", "upsell", "--display-mode", "rules", "--max", "4", "--rotation", "id",
                                       "--time-zone", "Europe/Paris"])
        #expect(set.status == 0, "\(set.stderr)")
        #expect(set.stdout.contains("Store default, rule dates in Europe/Paris:"))
        #expect(Self.line(in: set.stdout, with: ["upsell", "rules only", "4", "by priority then id"]))
        #expect(try sqlite3Rows(path, "SELECT block, display, max_products, rotation, time_zone FROM effective_block_settings ORDER BY block")
                == [["crosssell", "both", "5", "by priority then random", "Europe/Paris"],
                    ["related", "both", "6", "by priority then random", "Europe/Paris"],
                    ["upsell", "rules only", "4", "by priority then id", "Europe/Paris"]])
        let refresh = try crosslink(path, ["rules", "refresh", "--full"])
        #expect(refresh.stdout.hasPrefix("rule cache: full rebuild: 0 rules built"))
        let bad = try crosslink(path, ["rules", "settings", "--max", "3"])
        #expect(bad.status != 0 && bad.stderr.contains("--display-mode, --max and --rotation need --block"))
    }
}
