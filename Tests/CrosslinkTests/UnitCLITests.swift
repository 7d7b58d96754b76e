import Foundation
import Testing
@testable import Crosslink

/// `crosslink units …` and `crosslink page …` as a user runs them, on a copy of the Luma sample.
///
/// Expectations come from the sample's link files (ProductLinksSampleData, read by hand):
/// upsell.csv 24-MB01 → 24-MB02, 24-MB03, 24-MB05, 24-MB06, 24-UB02, 24-WB03, 24-WB04, 24-WB07;
/// crosssell.csv 24-MB02 → 24-UG02, 24-UG03, 24-UG04, 24-UG05 and 24-MB05 → 24-UG04, 24-WG088,
/// 24-WG087, 24-WG081-gray. 24-WG087 and 24-WG081-gray are not visible individually (visibility 1,
/// no configurable parent), so no page shows them.
@Suite struct UnitCLITests {
    static let unitsFile = """
        {"units": [
          {"name": "Up-sells", "label": "You may also like", "page_type": "product", "placement": "top", "position": 1,
           "status": "active", "type": "upsell", "count": 3},
          {"name": "More up-sells", "label": "More \\"premium\\" picks", "page_type": "product", "position": 1,
           "status": "active", "type": "upsell", "count": 3, "filters": {"exclude": [{"sku": ["24-WB03"]}]}},
          {"name": "Cart cross-sells", "page_type": "cart", "position": 1, "status": "active", "type": "crosssell", "count": 5},
          {"name": "Home test", "page_type": "home", "status": "draft",
           "variants": [{"variant": "A", "traffic": 30, "type": "most-viewed", "count": 4, "max_per_category": 2},
                        {"variant": "B", "traffic": 70, "type": "trending", "backups": ["most-purchased"]}]}
        ]}
        """

    func crosslink(_ path: String, _ arguments: [String]) throws -> ProcessResult {
        try run(CLITests.executable, ["--database", path] + arguments)
    }

    /// A copy of the sample with `unitsFile` imported through the CLI.
    func sampleWithUnits() throws -> (dir: TemporaryDirectory, path: String) {
        let (dir, _, path) = try RuleSample.copy()
        let file = dir.path("units.json")
        try Data(Self.unitsFile.utf8).write(to: URL(fileURLWithPath: file))
        let imported = try crosslink(path, ["units", "import", file])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout == "Imported 4 unit(s): Up-sells, More up-sells, Cart cross-sells, Home test\n")
        return (dir, path)
    }

    @Test func importListShowExportRoundTrip() throws {
        let (dir, path) = try sampleWithUnits()

        // Page order: page type, top before bottom, position; one line per variant.
        let list = try crosslink(path, ["units", "list"])
        #expect(list.status == 0, "\(list.stderr)")
        let lines = list.stdout.split(separator: "\n").dropFirst(2).map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        #expect(lines == ["3 Cart cross-sells default cart bottom 1 active A 100 % crosssell 5",
                          "4 Home test default home bottom 1 draft A 30 % most-viewed 4",
                          "4 Home test default home bottom 1 draft B 70 % trending 5 most-purchased",
                          "1 Up-sells default product top 1 active A 100 % upsell 3",
                          "2 More up-sells default product bottom 1 active A 100 % upsell 3 yes"])
        let productOnly = try crosslink(path, ["units", "list", "--page-type", "cart"])
        #expect(productOnly.stdout.split(separator: "\n").count == 3)

        let show = try crosslink(path, ["units", "show", "More up-sells"])
        #expect(show.status == 0, "\(show.stderr)")
        let shown = try UnitFile.parse(show.stdout).entries.map(\.unit)
        #expect(shown.count == 1)
        #expect(shown[0].label == #"More "premium" picks"#)
        #expect(shown[0].variants[0].filters == UnitFilters(exclude: [.products(["24-WB03"])]))
        let missing = try crosslink(path, ["units", "show", "Nope"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains(#"no unit named "Nope""#))

        // Export, import into another copy, export again: the same text, and the same units as the file.
        let export = try crosslink(path, ["units", "export"])
        #expect(export.status == 0)
        let exported = dir.path("exported.json")
        try Data(export.stdout.utf8).write(to: URL(fileURLWithPath: exported))
        let (_, _, other) = try RuleSample.copy()
        #expect(try crosslink(other, ["units", "import", exported]).status == 0)
        #expect(try crosslink(other, ["units", "export"]).stdout == export.stdout)
        let original = try UnitFile.parse(Self.unitsFile).entries.map(\.unit)
        let roundTripped = try UnitFile.parse(export.stdout).entries.map(\.unit)
        #expect(Set(roundTripped.map(\.name)) == Set(original.map(\.name)))
        for unit in original { #expect(roundTripped.first { $0.name == unit.name } == unit) }
        // `list --json` writes the same format.
        #expect(try crosslink(path, ["units", "list", "--json"]).stdout == export.stdout)

        // A dry run validates and changes nothing; a bad file names file, line, column, unit and path.
        let extra = dir.path("extra.json")
        try Data(#"{"name": "Extra", "page_type": "cart", "type": "bought-bought"}"#.utf8).write(to: URL(fileURLWithPath: extra))
        let dry = try crosslink(path, ["units", "import", "--dry-run", extra])
        #expect(dry.stdout == "Would import 1 unit(s): Extra\n")
        #expect(try crosslink(path, ["units", "export"]).stdout == export.stdout)
        let bad = dir.path("bad.json")
        try Data("{\"units\": [\n  {\"name\": \"Bad\", \"page_type\": \"home\",\n   \"type\": \"related\"}]}".utf8).write(to: URL(fileURLWithPath: bad))
        let refused = try crosslink(path, ["units", "import", bad])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("\(bad):3:12: unit \"Bad\": type: type related is not allowed on a home page; allowed: most-viewed,"))
        #expect(try crosslink(path, ["units", "export"]).stdout == export.stdout)
    }

    @Test func aSixthActiveUnitOfAPageTypeIsRefused() throws {
        let (dir, _, path) = try RuleSample.copy()
        let units = (1...6).map { i in
            #"{"name": "P\#(i)", "page_type": "product", "position": \#(i), "status": "\#(i == 6 ? "draft" : "active")", "type": "most-viewed"}"#
        }
        let file = dir.path("six.json")
        try Data(("[" + units.joined(separator: ",\n") + "]").utf8).write(to: URL(fileURLWithPath: file))
        #expect(try crosslink(path, ["units", "import", file]).status == 0)

        let activate = try crosslink(path, ["units", "activate", "P6"])
        #expect(activate.status == 1)
        #expect(activate.stdout.isEmpty)
        #expect(activate.stderr == """
            Error: unit "P6": status: at most 5 active units per page type: the product page of store default has \
            "P1", "P2", "P3", "P4", "P5" active already

            """)
        #expect(try sqlite3Rows(path, "SELECT status FROM units WHERE name = 'P6'") == [["draft"]])
        // Another page type has its own five; deactivating one makes room.
        #expect(try crosslink(path, ["units", "deactivate", "P1"]).stdout == "Deactivated P1.\n")
        #expect(try crosslink(path, ["units", "activate", "P6"]).stdout == "Activated P6.\n")
        #expect(try sqlite3Rows(path, "SELECT name FROM units WHERE status = 'active' ORDER BY name") == [["P2"], ["P3"], ["P4"], ["P5"], ["P6"]])
        #expect(try crosslink(path, ["units", "delete", "P1"]).stdout == "Deleted P1.\n")
        #expect(try crosslink(path, ["units", "delete", "P1"]).stderr.contains(#"no unit named "P1""#))
    }

    @Test func pagesPrintEachUnitWithReasons() throws {
        let (_, path) = try sampleWithUnits()

        // Product page: the top unit takes the first three up-sells, the bottom unit the next
        // three not shown yet, except 24-WB03 (its filter).
        let product = try crosslink(path, ["page", "product", "24-MB01"])
        #expect(product.status == 0, "\(product.stderr)")
        let sections = product.stdout.components(separatedBy: "\n\n")
        #expect(sections.count == 2)
        #expect(sections[0].hasPrefix(#"[top 1] Up-sells — "You may also like" (unit 1, variant A, upsell)"#))
        #expect(sections[1].hasPrefix(#"[bottom 1] More up-sells — "More "premium" picks" (unit 2, variant A, upsell)"#))
        for (section, expected) in [(0, [("24-MB02", 1), ("24-MB03", 2), ("24-MB05", 3)]),
                                    (1, [("24-MB06", 4), ("24-UB02", 5), ("24-WB04", 7)])] {
            for (row, (sku, position)) in expected.enumerated() {
                #expect(RuleCLITests.line(in: sections[section], with: ["\(row + 1)", sku, "upsell", "manual upsell link of 24-MB01 at position \(position)"]),
                        "\(sku) in \(sections[section])")
            }
            #expect(sections[section].split(separator: "\n").count == 3 + 3)  // title, header, rule, rows
        }
        #expect(!product.stdout.contains("24-WB03"))

        // Cart page: the last added item's cross-sells first, then the other item's new ones.
        let cart = try crosslink(path, ["page", "cart", "24-MB05", "24-MB02"])
        #expect(cart.status == 0, "\(cart.stderr)")
        #expect(cart.stdout.hasPrefix("[bottom 1] Cart cross-sells (unit 3, variant A, crosssell)\n"))
        let expected = [("24-UG02", "24-MB02", 1), ("24-UG03", "24-MB02", 2), ("24-UG04", "24-MB02", 3), ("24-UG05", "24-MB02", 4),
                        ("24-WG088", "24-MB05", 2)]
        for (row, (sku, source, position)) in expected.enumerated() {
            #expect(RuleCLITests.line(in: cart.stdout, with: ["\(row + 1)", sku, "crosssell", "manual crosssell link of \(source) at position \(position)"]))
        }
        #expect(cart.stdout.split(separator: "\n").count == 3 + 5)

        // A page type without active units, and input the command refuses.
        #expect(try crosslink(path, ["page", "home"]).stdout == "(no active units on the home page)\n")
        let noSKU = try crosslink(path, ["page", "product"])
        #expect(noSKU.status == 64)
        #expect(noSKU.stderr.contains("give one SKU: crosslink page product 24-MB01"))
        let unknown = try crosslink(path, ["page", "product", "NOPE-1"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("NOPE-1"))
    }

    @Test func pageJSONHasTheUnitsProductsAndReasons() throws {
        let (_, path) = try sampleWithUnits()
        let result = try crosslink(path, ["page", "cart", "24-MB05", "24-MB02", "--visitor", "v-1", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let page = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(Set(page.keys) == ["pageType", "store", "visitor", "units"])
        #expect(page["pageType"] as? String == "cart")
        #expect(page["visitor"] as? String == "v-1")
        let units = try #require(page["units"] as? [[String: Any]])
        #expect(units.count == 1)
        #expect(Set(units[0].keys) == ["unitID", "name", "label", "placement", "position", "variant", "type", "products"])
        #expect(units[0]["unitID"] as? Int == 3)
        #expect(units[0]["type"] as? String == "crosssell")
        let products = try #require(units[0]["products"] as? [[String: Any]])
        #expect(products.map { $0["sku"] as? String } == ["24-UG02", "24-UG03", "24-UG04", "24-UG05", "24-WG088"])
        let first = products[0]
        #expect(Set(first.keys) == ["productID", "sku", "name", "finalPrice", "source", "isBackup", "reason", "why"])
        #expect(first["isBackup"] as? Bool == false)
        #expect(first["why"] as? String == "manual crosssell link of 24-MB02 at position 1")
        let reason = try #require(first["reason"] as? [String: Any])
        #expect(reason.keys.first == "placement")
        let link = try #require((reason["placement"] as? [String: Any])?["manualLink"] as? [String: Any])
        #expect(link["sourceSKU"] as? String == "24-MB02")
        #expect(link["position"] as? Int == 1)
        // And it decodes back into the library's type.
        let decoded = try JSONDecoder().decode(ResolvedPage.self, from: Data(result.stdout.utf8))
        #expect(decoded.units[0].products[4].reason == .placement(.manualLink(type: .crosssell, sourceSKU: "24-MB05", position: 2)))
    }
}
