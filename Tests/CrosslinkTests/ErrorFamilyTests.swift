import Foundation
import Testing
@testable import Crosslink

/// The library's errors are one small family: every public error type conforms to
/// `CrosslinkError`, there are five of them, and each kind of failure says where it happened.
@Suite struct ErrorFamilyTests {
    static let family: [any CrosslinkError.Type] = [
        DatabaseError.self, StoreError.self, InputError.self, RequestError.self, OutputFileError.self,
    ]

    /// Reads every public type declared in Sources/Crosslink whose inheritance list names an
    /// error protocol; each must be `CrosslinkError`, and they must be exactly the family.
    @Test func everyPublicErrorTypeIsACrosslinkErrorOfTheFamily() throws {
        let sources = Fixtures.packageRoot.appending(path: "Sources/Crosslink")
        let declaration = try Regex(#"public\s+(?:final\s+)?(?:struct|enum|class|actor)\s+(\w+)(?:<[^>]*>)?\s*:\s*([^{]+)\{"#)
        let conformance = try Regex(#"extension\s+(\w+)\s*:\s*([^{]+)\{"#)
        var errorTypes: [String: String] = [:]
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)!
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }
        #expect(files.count > 50)
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in text.matches(of: declaration) + text.matches(of: conformance) {
                guard let name = match.output[1].substring, let inherited = match.output[2].substring else { continue }
                let protocols = inherited.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                if protocols.contains(where: { $0 == "Error" || $0.hasSuffix("Error") }) {
                    errorTypes[String(name), default: ""] += protocols.joined(separator: ", ") + " (\(file.lastPathComponent)) "
                }
            }
        }
        #expect(Set(errorTypes.keys) == Set(Self.family.map { "\($0)" }), "\(errorTypes)")
        for (name, protocols) in errorTypes {
            #expect(protocols.contains("CrosslinkError"), "\(name) is a public error but not a CrosslinkError: \(protocols)")
        }
    }

    @Test func aCSVErrorNamesFileLineAndColumn() throws {
        let reader = CSVReader(data: Data("sku,name\nA,\"open\n".utf8), file: "products.csv")
        let error = #expect(throws: InputError.self) { try reader.records() }
        #expect(error?.location == InputLocation(file: "products.csv", line: 2, field: "2"))
        #expect(error?.description == "products.csv:2: column 2: unterminated quoted field (opened on line 2)")

        // An importer knows the header: the column is named.
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        let imported = #expect(throws: InputError.self) {
            try MagentoCSVImporter(store: store).importData(Data("sku,name\nA,\"open\n".utf8), file: "products.csv")
        }
        #expect(imported?.location == InputLocation(file: "products.csv", line: 2, field: "name"))
        #expect(imported?.description == "products.csv:2: column name: unterminated quoted field (opened on line 2)")
    }

    @Test func aRuleOrUnitFileErrorNamesFileLineColumnEntryAndPath() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        let rules = """
            {"rules": [
              {"name": "Bags", "applies_to": "related",
               "display": {"aggregator": "all", "value": true, "conditions": [
                 {"attribute": "brnad", "operator": "==", "value": "x"}]}}
            ]}
            """
        let error = #expect(throws: InputError.self) {
            try store.write { db in try RuleRepository(db).importFile(text: rules, file: "rules.json") }
        }
        #expect(error?.location?.file == "rules.json")
        #expect(error?.location?.line == 4)
        #expect(error?.subject == #"rule "Bags""#)
        #expect(error?.path == "display.conditions[0]")
        #expect(error?.description == #"rules.json:4:6: rule "Bags": display.conditions[0]: unknown attribute "brnad""#)

        let malformed = #expect(throws: InputError.self) { try UnitFile.parse("{\"units\": [\n  {\"name\": }]}", file: "units.json") }
        #expect(malformed?.location == InputLocation(file: "units.json", line: 2, column: 12))
        #expect(malformed?.description.hasPrefix("units.json:2:12: malformed JSON: ") == true, "\(String(describing: malformed))")

        let unit = #expect(throws: InputError.self) {
            try UnitFile.parse(#"{"units": [{"name": "Home", "page_type": "home", "type": "most-viewed", "count": "four"}]}"#, file: "units.json")
        }
        #expect(unit?.description == #"units.json:1:82: unit "Home": count: expected a number, found a string"#)
        #expect(try store.read { db in try db.scalarInt("SELECT count(*) FROM rules") } == 0)
    }

    @Test func invalidEventsListEachEventsLineAndField() throws {
        let lines = """
            {"id": "a1", "type": "product-view", "time": "2024-05-01T10:00:00Z", "visitor": "v1", "sku": "A"}
            not json
            {"id": "a3", "type": "page-visit", "time": "2024-05-01T10:00:00Z", "visitor": "v1"}

            """
        let error = #expect(throws: InputError.self) { try EventFileReader(data: Data(lines.utf8), file: "bad.jsonl").events() }
        #expect(error?.location == nil)
        #expect(error?.additionalIssues?.map(\.location) == [
            InputLocation(file: "bad.jsonl", line: 2), InputLocation(file: "bad.jsonl", line: 3, field: "type"),
        ])
        #expect(error?.description == """
            2 invalid events, nothing stored:
            bad.jsonl:2: malformed JSON
            bad.jsonl:3: column type: unknown event type "page-visit" (event a3)
            """)

        // A long list is cut in the message, never in the error.
        let many = InputError.invalidEvents((1...(InputError.listedIssueLimit + 3)).map { InputError(file: "e.csv", line: $0 + 1, message: "bad") })
        #expect(many.additionalIssues?.count == InputError.listedIssueLimit + 3)
        #expect(many.description.hasSuffix("e.csv:\(InputError.listedIssueLimit + 1): bad\n… and 3 more"))
    }

    /// A refusal thrown by ingest while a file is read (the batch reached `maximumIssues`) is the
    /// import's error, never taken for one more invalid line of the file.
    @Test(arguments: [EventFileFormat.jsonLines, .csv])
    func aBatchRefusedAtItsIssueLimitListsOnlyTheFilesLines(format: EventFileFormat) throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        var options = EventIngestOptions()
        options.maximumIssues = 2
        let text = format == .jsonLines
            ? (1...4).map { #"{"id": "e\#($0)", "type": "product-view", "time": "2024-05-01T10:00:00Z", "visitor_id": "v1", "session_id": "s1"}"# + "\n" }.joined()
            : "id,type,time,visitor_id,session_id,sku\n" + (1...4).map { "e\($0),product-view,2024-05-01T10:00:00Z,v1,s1,\n" }.joined()
        let file = format == .jsonLines ? "e.jsonl" : "e.csv"
        let error = #expect(throws: InputError.self) {
            try EventStore(store: store, options: options).importData(Data(text.utf8), file: file, format: format)
        }
        let first = format == .jsonLines ? 1 : 2
        #expect(error?.additionalIssues?.map(\.location) == [
            InputLocation(file: file, line: first, field: "sku"), InputLocation(file: file, line: first + 1, field: "sku"),
        ], "\(String(describing: error))")
        #expect(error?.description.hasPrefix("2 invalid events, nothing stored:\n\(file):\(first): column sku: ") == true)
    }

    @Test func aValueRefusedBeforeItIsStoredGetsTheImportsLocation() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        // Through the API: no file, the value and why.
        let api = #expect(throws: InputError.self) {
            try store.write { db in _ = try ProductRepository(db).upsert(Product(sku: "A\u{0}B", name: "x")) }
        }
        #expect(api?.location == nil)
        #expect(api?.description == #"invalid sku "A\0B": must not contain NUL"#)

        // Through an import: the same refusal at the row.
        let csv = "sku,name,related_skus\nA,a,A\n"
        let imported = #expect(throws: InputError.self) { try MagentoCSVImporter(store: store).importData(Data(csv.utf8), file: "links.csv") }
        #expect(imported?.location?.file == "links.csv")
        #expect(imported?.location?.line == 2)
        #expect(imported?.description.hasPrefix("links.csv:2: ") == true, "\(String(describing: imported))")

        // JSON keeps the flat shape of import reports.
        let json = try JSONEncoder().encode(InputError(file: "p.csv", line: 3, field: "sku", message: "blank"))
        #expect(try JSONSerialization.jsonObject(with: json) as? NSDictionary == ["file": "p.csv", "line": 3, "column": "sku", "message": "blank"])
        let rule = InputError("unknown attribute", at: InputLocation(file: "r.json", line: 2, column: 7), subject: #"rule "x""#, path: "display")
        #expect(try JSONDecoder().decode(InputError.self, from: JSONEncoder().encode(rule)) == rule)
    }

    @Test func aRequestErrorNamesWhatMatchedNothing() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        let sku = #expect(throws: RequestError.self) { try store.read { db in try Placements(db).related(for: "NOPE") } }
        #expect(sku?.kind == .unknownSKU && sku?.names == ["NOPE"] && sku?.description == #"unknown SKU "NOPE""#)
        let cart = #expect(throws: RequestError.self) { try store.read { db in try Placements(db).crossSells(cart: ["N1", "N2"]) } }
        #expect(cart?.kind == .unknownSKU && cart?.names == ["N1", "N2"])
        let storeCode = #expect(throws: RequestError.self) { try store.read { db in try StoreRepository(db).store(code: "fr") } }
        #expect(storeCode == .unknownStore("fr") && storeCode?.description == #"unknown store "fr""#)
        let rule = #expect(throws: RequestError.self) { try store.write { db in try RuleRepository(db).delete(name: "Never") } }
        #expect(rule?.kind == .unknownRule && rule?.description == #"no rule named "Never""#)
        let unit = #expect(throws: RequestError.self) { try store.write { db in try UnitRepository(db).setStatus(.active, name: "Nope") } }
        #expect(unit?.kind == .unknownUnit && unit?.names == ["Nope"] && unit?.description == #"no unit named "Nope""#)
        let limit = #expect(throws: RequestError.self) { try store.write { db in try SimilarProducts(db).refresh(listLength: 0) } }
        #expect(limit?.kind == .invalidLimit && limit?.description == "invalid list length 0: must be 1 to 1000")
    }

    @Test func storeDatabaseAndOutputErrorsNameTheirPath() throws {
        let dir = try TemporaryDirectory()
        var configuration = Configuration()
        configuration.readOnly = true
        let missing = dir.path("typo.sqlite")
        let store = #expect(throws: StoreError.self) { _ = try CrosslinkStore(path: missing, configuration: configuration) }
        #expect(store == .missingFile(path: missing) && store?.description == "no database at \(missing)")

        let path = dir.path("shop.sqlite")
        let opened = try CrosslinkStore(path: path)
        let sql = #expect(throws: DatabaseError.self) { try opened.read { db in _ = try db.scalarInt("SELECT nope FROM products") } }
        #expect(sql?.sql == "SELECT nope FROM products" && sql?.path == path)
        #expect(sql?.description.contains("database \(path)") == true && sql?.description.contains("`SELECT nope FROM products`") == true)

        let output = #expect(throws: OutputFileError.self) { try OutputFile.write("x", to: dir.url.path) }
        #expect(output == OutputFileError(path: dir.url.path, reason: "is a directory"))
        #expect(output?.description == "cannot write \(dir.url.path): is a directory")
    }
}
