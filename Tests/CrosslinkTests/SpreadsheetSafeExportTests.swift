import Foundation
import Testing
@testable import Crosslink

/// CSV (formula) injection: `crosslink export` stays byte-exact by default, and
/// `--spreadsheet-safe` prefixes with `'` every cell a spreadsheet would run as a formula.
@Suite struct SpreadsheetSafeExportTests {
    /// SKU → name; each name (and the SKUs `+1`, `@X`, `-D`) starts with a formula trigger.
    static let names = [
        "P-EQ": "=HYPERLINK(\"http://evil.example\",\"Bag\")", "P-PLUS": "+1+cmd|' /C calc'!A0", "P-MINUS": "-2+3",
        "P-AT": "@SUM(1+1)*cmd|' /C calc'!A0", "P-TAB": "\t=1+1", "P-CR": "\r=1+1", "+1": "plain", "@X": "plain too", "-D": "-D",
    ]

    func crosslink(_ path: String, _ arguments: [String]) throws -> ProcessResult {
        try run(CLITests.executable, ["--database", path] + arguments)
    }

    func rows(_ data: Data) throws -> [String: [String: String]] {
        let table = try CSVTable(reader: CSVReader(data: data, file: "export.csv"))
        var result: [String: [String: String]] = [:]
        for record in table.rows { result[record.fields[0]] = Dictionary(uniqueKeysWithValues: zip(table.header, record.fields).map { ($0, $1) }) }
        return result
    }

    func store(_ dir: TemporaryDirectory) throws -> String {
        var csv = CSVWriter.line(["sku", "name", "product_type", "attribute_set_code", "product_websites", "price", "qty", "related_skus"])
        for (sku, name) in Self.names.sorted(by: { $0.key < $1.key }) {
            csv += CSVWriter.line([sku, name, "simple", "Default", "base", "12.5", "-3", sku == "P-EQ" ? "@X,+1" : ""])
        }
        try Data(csv.utf8).write(to: dir.url.appending(path: "hostile.csv"))
        let path = dir.path("source.sqlite")
        let imported = try crosslink(path, ["import", "--quiet", dir.path("hostile.csv")])
        #expect(imported.status == 0, "\(imported.stderr)")
        return path
    }

    @Test func defaultExportRoundTripsFormulaTextsByteForByte() throws {
        let dir = try TemporaryDirectory()
        let source = try store(dir)
        #expect(try crosslink(source, ["export", "--out", dir.path("first.csv")]).status == 0)
        let first = try Data(contentsOf: dir.url.appending(path: "first.csv"))
        let copy = dir.path("copy.sqlite")
        let imported = try crosslink(copy, ["import", "--quiet", dir.path("first.csv")])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(try crosslink(copy, ["export", "--out", dir.path("second.csv")]).status == 0)
        #expect(try Data(contentsOf: dir.url.appending(path: "second.csv")) == first)
        // The names are stored and exported as they are.
        let rows = try rows(first)
        for (sku, name) in Self.names { #expect(rows[sku]?["name"] == name, "\(sku)") }
        #expect(try sqlite3Rows(copy, "SELECT name FROM products WHERE sku = 'P-EQ'") == [[Self.names["P-EQ"]!]])
    }

    @Test func spreadsheetSafeExportPrefixesFormulaCellsWithAQuote() throws {
        let dir = try TemporaryDirectory()
        let source = try store(dir)
        let result = try crosslink(source, ["export", "--spreadsheet-safe"])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = try rows(Data(result.stdout.utf8))
        for (sku, name) in Self.names where sku.hasPrefix("P-") { #expect(rows[sku]?["name"] == "'" + name, "\(sku)") }
        #expect(rows["P-EQ"]?["related_skus"] == "'@X,+1")
        // SKU cells are neutralised too; a plain number (+1, -3, 12.5) and plain text are not.
        #expect(Set(rows.keys) == Set(Self.names.keys.map { $0.hasPrefix("P-") || $0 == "+1" ? $0 : "'" + $0 }))
        #expect(rows["'-D"]?["name"] == "'-D")
        #expect(rows["'@X"]?["name"] == "plain too")
        #expect(rows["+1"]?["name"] == "plain")
        for row in rows.values { #expect(row["qty"] == "-3" && row["price"] == "12.5") }
        // --help documents the option.
        let help = try crosslink(source, ["export", "--help"])
        #expect(help.stdout.contains("--spreadsheet-safe") && help.stdout.contains("OWASP"))
    }

    @Test func neutralisedCells() {
        #expect(SpreadsheetCell.neutralised("=1+1") == "'=1+1")
        #expect(SpreadsheetCell.neutralised("+cmd") == "'+cmd")
        #expect(SpreadsheetCell.neutralised("-cmd") == "'-cmd")
        #expect(SpreadsheetCell.neutralised("@SUM(A1)") == "'@SUM(A1)")
        #expect(SpreadsheetCell.neutralised("\t=1") == "'\t=1")
        #expect(SpreadsheetCell.neutralised("\r=1") == "'\r=1")
        #expect(SpreadsheetCell.neutralised("-3") == "-3")
        #expect(SpreadsheetCell.neutralised("+2.5") == "+2.5")
        #expect(SpreadsheetCell.neutralised("-") == "'-")
        #expect(SpreadsheetCell.neutralised("-1.2.3") == "'-1.2.3")
        #expect(SpreadsheetCell.neutralised("Bag = good") == "Bag = good")
        #expect(SpreadsheetCell.neutralised("") == "")
    }
}
