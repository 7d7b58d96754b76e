import Foundation
import Testing
@testable import Crosslink

/// Stored texts holding terminal control sequences (ESC [2J, an OSC 8 hyperlink, C1 CSI, DEL)
/// and bidi overrides (U+202E, U+2066) reach the terminal only escaped (`\u{1B}`), through every
/// command that prints them — tables, plain lines, errors — and JSON keeps the exact values
/// with JSON escapes; run through the real `crosslink` binary.
@Suite struct TerminalOutputTests {
    static let clear = "Clear\u{1B}[2Jscreen"
    static let hyperlink = "\u{1B}]8;;http://evil.example\u{1B}\\click\u{1B}]8;;\u{1B}\\"
    static let reversed = "abc\u{202E}dcb"
    static let mixed = "csi\u{9B}31m del\u{7F} iso\u{2066}x\u{2069} bell\u{07} cr\rtab\t"
    static let names = ["B": clear, "C": hyperlink, "D": reversed, "F": mixed]

    /// How the tables show each name.
    static let shown = [
        "B": #"Clear\u{1B}[2Jscreen"#,
        "C": #"\u{1B}]8;;http://evil.example\u{1B}\click\u{1B}]8;;\u{1B}\"#,
        "D": #"abc\u{202E}dcb"#,
        "F": #"csi\u{9B}31m del\u{7F} iso\u{2066}x\u{2069} bell\u{7} cr\u{D}tab\u{9}"#,
    ]

    func crosslink(_ path: String, _ arguments: [String]) throws -> ProcessResult {
        try run(CLITests.executable, ["--database", path] + arguments)
    }

    /// A catalog of A (plain) and B, C, D, F (hostile names) linked both ways, views of each,
    /// a rule and a unit with hostile names.
    func hostileStore() throws -> (dir: TemporaryDirectory, path: String) {
        let dir = try TemporaryDirectory()
        let path = dir.path("hostile.sqlite")
        var csv = CSVWriter.line(["sku", "name", "product_type", "attribute_set_code", "product_websites", "price", "visibility",
                                  "product_online", "qty", "is_in_stock", "related_skus", "upsell_skus", "crosssell_skus"])
        csv += CSVWriter.line(["A", "Plain bag", "simple", "Default", "base", "10", "Catalog, Search", "1", "5", "1", "B,C,D,F", "B,C,D,F", "B,C,D,F"])
        for (index, sku) in ["B", "C", "D", "F"].enumerated() {
            csv += CSVWriter.line([sku, Self.names[sku]!, "simple", "Default", "base", String(11 + index), "Catalog, Search", "1", "5", "1", "A", "A", "A"])
        }
        try Data(csv.utf8).write(to: dir.url.appending(path: "products.csv"))
        let imported = try crosslink(path, ["import", "--quiet", dir.path("products.csv")])
        #expect(imported.status == 0, "\(imported.stderr)")

        var events = ""
        for (index, sku) in ["B", "C", "D", "F", "B", "C"].enumerated() {
            events += #"{"id":"e\#(index)","type":"product-view","time":"2024-05-01T10:00:0\#(index)Z","visitor_id":"v\#(index)","session_id":"s\#(index)","sku":"\#(sku)"}"# + "\n"
        }
        try Data(events.utf8).write(to: dir.url.appending(path: "events.jsonl"))
        let ingested = try crosslink(path, ["events", "import", "--quiet", dir.path("events.jsonl")])
        #expect(ingested.status == 0, "\(ingested.stderr)")

        let rules = #"""
            {"rules": [{"name": "Rule \u001b[31mred\u202e", "applies_to": "upsell", "limit": 4,
              "match": {"aggregator": "all", "value": true, "conditions": [{"attribute": "price", "operator": ">=", "value": 0}]},
              "display": {"aggregator": "all", "value": true, "conditions": [{"attribute": "price", "operator": ">=", "value": 0}]}}]}
            """#
        try Data(rules.utf8).write(to: dir.url.appending(path: "rules.json"))
        let added = try crosslink(path, ["rules", "add", dir.path("rules.json")])
        #expect(added.status == 0, "\(added.stderr)")

        let units = #"""
            {"units": [{"name": "Unit \u001b]8;;http://x\u001b\\\u202e", "label": "Label \u001b[2J", "page_type": "product",
              "position": 1, "status": "active", "type": "related", "count": 5}]}
            """#
        try Data(units.utf8).write(to: dir.url.appending(path: "units.json"))
        let unitsImported = try crosslink(path, ["units", "import", dir.path("units.json")])
        #expect(unitsImported.status == 0, "\(unitsImported.stderr)")
        return (dir, path)
    }

    /// The scalars that must never reach a terminal raw, with the line breaks the output itself uses allowed.
    static func rawControls(_ text: String) -> [String] {
        text.unicodeScalars.filter { TerminalText.isEscaped($0) && $0 != "\n" }.map { "U+" + String($0.value, radix: 16, uppercase: true) }
    }

    @Test func tablesLinesAndErrorsShowControlAndBidiCharactersEscaped() throws {
        let (_, path) = try hostileStore()
        let commands: [(arguments: [String], shows: [String])] = [
            (["placement", "product", "A"], ["B", "C", "D", "F"]),
            (["placement", "cart", "A"], ["B", "C", "D", "F"]),
            (["recommend", "--type", "most-viewed"], ["B", "C", "D", "F"]),
            // B's manual up-sell is A; the rule adds the others.
            (["rules", "explain", "--sku", "B", "--type", "upsell"], ["C", "D", "F"]),
            (["rules", "list"], []),
            (["units", "list"], []),
            (["page", "product", "A"], ["B", "C", "D", "F"]),
        ]
        for command in commands {
            let result = try crosslink(path, command.arguments)
            #expect(result.status == 0, "\(command.arguments): \(result.stderr)")
            #expect(Self.rawControls(result.stdout).isEmpty, "\(command.arguments) printed \(Self.rawControls(result.stdout)) raw")
            #expect(Self.rawControls(result.stderr).isEmpty, "\(command.arguments) wrote \(Self.rawControls(result.stderr)) raw to stderr")
            for sku in command.shows { #expect(result.stdout.contains(Self.shown[sku]!), "\(command.arguments) shows \(sku)'s name escaped") }
        }
        let explain = try crosslink(path, ["rules", "explain", "--sku", "B", "--type", "upsell"])
        #expect(explain.stdout.contains(#"rule "Rule \u{1B}[31mred\u{202E}""#))
        let units = try crosslink(path, ["units", "list"])
        #expect(units.stdout.contains(#"Unit \u{1B}]8;;http://x\u{1B}\\u{202E}"#))
        let page = try crosslink(path, ["page", "product", "A"])
        #expect(page.stdout.contains(#"Label \u{1B}[2J"#))

        // An error quoting the value it refuses.
        let unknown = try crosslink(path, ["placement", "product", "X\u{1B}[2J\u{202E}"])
        #expect(unknown.status != 0)
        #expect(Self.rawControls(unknown.stderr).isEmpty)
        #expect(unknown.stderr.contains(#"X\u{1B}[2J\u{202E}"#), "\(unknown.stderr)")
    }

    @Test func tableColumnsAlignOnTheEscapedForm() throws {
        let (_, path) = try hostileStore()
        let result = try crosslink(path, ["placement", "product", "A"])
        // In each table the price column starts at the same column on every line.
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let headers = lines.indices.filter { lines[$0].hasPrefix("#  sku") }
        #expect(headers.count == 2)
        for header in headers {
            let column = lines[header].range(of: "price")!.lowerBound.utf16Offset(in: lines[header])
            for row in lines[(header + 2)...(header + 5)] {
                let price = row.range(of: #"1\d\.00"#, options: .regularExpression)
                #expect(price?.lowerBound.utf16Offset(in: row) == column, "\(row)")
            }
        }
    }

    @Test func jsonKeepsTheValuesWithJSONEscapes() throws {
        let (_, path) = try hostileStore()
        for arguments in [["placement", "product", "A", "--json"], ["recommend", "--type", "most-viewed", "--json"],
                          ["units", "list", "--json"], ["rules", "list", "--json"], ["events", "export"]] {
            let result = try crosslink(path, arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            #expect(Self.rawControls(result.stdout).isEmpty, "\(arguments) printed \(Self.rawControls(result.stdout)) raw")
        }
        let placement = try crosslink(path, ["placement", "product", "A", "--json"])
        #expect(placement.stdout.contains(#"abc\u202edcb"#))
        #expect(placement.stdout.contains(#"Clear\u001b[2Jscreen"#))
        let decoded = try JSONSerialization.jsonObject(with: Data(placement.stdout.utf8)) as? [String: Any]
        let related = decoded?["related"] as? [[String: Any]]
        #expect(related?.compactMap { $0["name"] as? String } == ["B", "C", "D", "F"].map { Self.names[$0]! })

        // The exported rule and unit files still import to the same values.
        let rules = try crosslink(path, ["rules", "export"])
        #expect(rules.stdout.contains(#"\u202e"#))
        let ruleNames = try crosslink(path, ["rules", "list", "--json"])
        #expect(ruleNames.stdout == rules.stdout)
    }

    @Test func recommendSQLWritesControlCharactersAsCharCalls() throws {
        let (_, path) = try hostileStore()
        let sql = try crosslink(path, ["recommend", "--type", "recommended-for-you", "--visitor", "B\u{1B}x'y", "--sql"])
        #expect(sql.status == 0, "\(sql.stderr)")
        #expect(sql.stdout.contains(#""'B'||char(27)||'x''y'""#), "\(sql.stdout)")
        #expect(Self.rawControls(sql.stdout).isEmpty)
    }

    @Test func escapeNotation() {
        #expect(TerminalText.escaped("a\u{1B}[2Jb") == #"a\u{1B}[2Jb"#)
        #expect(TerminalText.escaped("l1\nl2") == #"l1\u{A}l2"#)
        #expect(TerminalText.escaped("l1\nl2", keepingNewlines: true) == "l1\nl2")
        #expect(TerminalText.escaped("\u{200E}\u{200F}\u{202A}\u{2069}\u{61C}\u{2028}\u{0}") == #"\u{200E}\u{200F}\u{202A}\u{2069}\u{61C}\u{2028}\u{0}"#)
        // Letters, emoji, combining marks and joiners are shown as they are.
        #expect(TerminalText.escaped("é e\u{301} 🙂 👩‍💻 Ω \u{200D}") == "é e\u{301} 🙂 👩‍💻 Ω \u{200D}")
        #expect(TerminalText.jsonEscaped("{\n  \"a\" : \"x\u{7F}\u{85}\u{202E}\"\n}") == "{\n  \"a\" : \"x\\u007f\\u0085\\u202e\"\n}")
    }
}
