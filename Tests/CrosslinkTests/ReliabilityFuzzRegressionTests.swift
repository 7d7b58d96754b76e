import Foundation
import Testing
@testable import Crosslink

/// Every input a fuzzer (Tests/Fuzz, `scripts/fuzz`) crashed on, kept in
/// Fixtures/fuzz/TARGET/ and replayed here with the property that failed, plus the bug each one
/// exposed written out as a readable case.
@Suite struct ReliabilityFuzzRegressionTests {
    static func inputs(_ target: String) -> [String] {
        let directory = Bundle.module.resourceURL!.appending(path: "Fixtures/fuzz/\(target)", directoryHint: .isDirectory)
        return ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
    }

    static func input(_ target: String, _ name: String) throws -> Data {
        try Data(contentsOf: Bundle.module.resourceURL!.appending(path: "Fixtures/fuzz/\(target)/\(name)"))
    }

    /// A `crosslink` child that read a hostile file ended normally: success, or one `Error:` line
    /// and status 1 — never a trap (which prints "Fatal error" and a crash report).
    static func expectErrorNotTrap(_ result: ProcessResult, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("crashed"), "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.status == 0 || (result.status == 1 && result.stderr.hasPrefix("Error: ")),
                "status \(result.status): \(result.stderr)", sourceLocation: sourceLocation)
    }

    // MARK: csv

    @Test(arguments: inputs("csv"))
    func csvInputReadsBackAfterWriting(_ name: String) throws {
        let data = try Self.input("csv", name)
        guard let records = try? CSVReader(data: data, file: name).records() else { return }
        let written = records.map { CSVWriter.line($0.fields) }.joined()
        #expect(try CSVReader(data: Data(written.utf8), file: "again").records().map(\.fields) == records.map(\.fields))
    }

    /// Found by `csv`: a first field starting with U+FEFF was written bare and read back without it
    /// (a reader drops a byte-order mark at the start of a file).
    @Test func fieldStartingWithAByteOrderMarkIsQuoted() throws {
        let field = "\u{FEFF}::"
        #expect(CSVWriter.field(field) == "\"\u{FEFF}::\"")
        let written = CSVWriter.line([field, "x"])
        #expect(try CSVReader(data: Data(written.utf8), file: "bom.csv").records().map(\.fields) == [[field, "x"]])
    }

    // MARK: magento-fields

    @Test(arguments: inputs("magento-fields"))
    func additionalAttributesInputRoundTrips(_ name: String) throws {
        let cell = String(decoding: try Self.input("magento-fields", name), as: UTF8.self)
        guard let pairs = try? MagentoFields.parseAdditionalAttributes(cell) else { return }
        let again = try MagentoFields.parseAdditionalAttributes(MagentoFields.formatAdditionalAttributes(pairs))
        #expect(again.map(\.code) == pairs.map(\.code))
        #expect(again.map(\.value) == pairs.map(\.value))
    }

    /// Found by `magento-fields`: `"` followed by a combining mark is one Swift Character, so
    /// `replacingOccurrences(of: "\"", …)` did not double it, and the written cell (CSV field,
    /// wrapped attribute value, exported multiselect option) no longer parsed back.
    @Test func quoteBeforeACombiningMarkIsDoubled() throws {
        let value = "0\"\u{0322}o"  // 0, quote, U+0322 COMBINING RETROFLEX HOOK BELOW, o
        #expect(CSVWriter.field(value) == "\"0\"\"\u{0322}o\"")
        #expect(try CSVReader(data: Data(CSVWriter.line([value]).utf8), file: "q.csv").records().map(\.fields) == [[value]])

        let cell = MagentoFields.formatAdditionalAttributes([(code: "note", value: value)])
        #expect(cell == "note=\"0\"\"\u{0322}o\"")
        #expect(try MagentoFields.parseAdditionalAttributes(cell).map(\.value) == [value])

        // Through the importer and the exporter: stored verbatim, exported so that it reads back.
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        try store.write { db in _ = try AttributeRepository(db).define(code: "finish", type: .multiselect) }
        let csv = "sku,product_type,attribute_set_code,name,additional_attributes\n"
            + CSVWriter.line(["Q-1", "simple", "Default", value, MagentoFields.formatAdditionalAttributes([(code: "note", value: value)])])
        _ = try MagentoCSVImporter(store: store).importData(Data(csv.utf8), file: "q.csv")
        try store.write { db in
            let id = try ProductRepository(db).requireID(sku: "Q-1")
            try db.execute("INSERT INTO product_attributes(product_id, attribute_id, ordinal, value) SELECT ?, attribute_id, 0, ? FROM attributes WHERE code = 'finish'", [id, value])
            try db.execute("INSERT INTO product_attributes(product_id, attribute_id, ordinal, value) SELECT ?, attribute_id, 1, 'matte' FROM attributes WHERE code = 'finish'", [id])
        }
        let exported = try MagentoCSVExporter(store: store).export()
        let other = try makeStore(dir, name: "other.sqlite")
        try other.write { db in _ = try AttributeRepository(db).define(code: "finish", type: .multiselect) }
        _ = try MagentoCSVImporter(store: other).importData(Data(exported.utf8), file: "exported.csv")
        for candidate in [store, other] {
            let stored = try candidate.read { db in
                try db.rows("""
                    SELECT p.name, a.code, pa.value FROM products AS p JOIN product_attributes AS pa USING (product_id)
                    JOIN attributes AS a USING (attribute_id) WHERE p.sku = 'Q-1' ORDER BY a.code, pa.ordinal
                    """)
            }
            #expect(stored == [[.text(value), .text("finish"), .text(value)], [.text(value), .text("finish"), .text("matte")],
                               [.text(value), .text("note"), .text(value)]])
        }
    }

    /// Found while writing the `magento-fields` properties: 400 digits parsed as +infinity, so a
    /// price or quantity could be stored as Inf. Now it is "not a number".
    @Test func decimalsBeyondDoubleAreRefused() throws {
        let huge = String(repeating: "9", count: 400)
        #expect(MagentoFields.parseDecimal(huge) == nil)
        #expect(MagentoFields.parseDecimal("-" + huge) == nil)
        #expect(MagentoFields.parseDecimal("1" + String(repeating: "0", count: 308)) == 1e308)

        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        let csv = "sku,product_type,attribute_set_code,name,price\nINF-1,simple,Default,Infinite,\(huge)\n"
        let issue = #expect(throws: InputError.self) { try MagentoCSVImporter(store: store).importData(Data(csv.utf8), file: "inf.csv") }
        #expect(issue?.description == "inf.csv:2: column price: Value for 'price' attribute contains incorrect value: \"\(huge)\" is not a number")
        #expect(try store.read { db in try ProductRepository(db).count() } == 0)
    }

    // MARK: rule-file

    /// Found by `rule-file`: a category id beyond Int's range (`"value": 1e110`) trapped the
    /// validator (`Int(n)` of a huge Double) instead of being refused as an
    /// unknown category. Replayed, on the Luma sample as the fuzzer ran it (its other conditions
    /// must resolve to reach the id), in a `crosslink rules import` child, so a trap fails this test.
    @Test(arguments: inputs("rule-file"))
    func ruleFileInputIsAnErrorNotATrap(_ name: String) throws {
        let dir = try TemporaryDirectory()
        _ = try MagentoSampleImporter(store: try makeStore(dir, name: "rules.sqlite")).importSample()
        let file = Bundle.module.resourceURL!.appending(path: "Fixtures/fuzz/rule-file/\(name)").path
        let result = try run(CLITests.executable, ["--database", dir.path("rules.sqlite"), "rules", "import", file])
        Self.expectErrorNotTrap(result)
    }

    // MARK: online-retail

    /// Found by `online-retail`: a header with more columns than its rows (here the header
    /// repeated on one line, so UnitPrice, CustomerID and Country sit past the eighth field) made
    /// the reader index a row past its end and trap. Replayed in a `crosslink` child, so a trap
    /// fails this test instead of killing the test run: a bad file must be an error message.
    @Test(arguments: inputs("online-retail"))
    func onlineRetailInputIsAnErrorNotATrap(_ name: String) throws {
        let dir = try TemporaryDirectory()
        let file = Bundle.module.resourceURL!.appending(path: "Fixtures/fuzz/online-retail/\(name)").path
        let result = try run(CLITests.executable, ["--database", dir.path("retail.sqlite"), "events", "import", file,
                                                   "--format", "online-retail", "--quiet"])
        Self.expectErrorNotTrap(result)
    }

    // MARK: unit-file

    /// Found by `unit-file`: a unit of an unknown store made `UnitRepository.save` look the store up
    /// before validating, so the import failed with a bare "unknown store" instead of an error
    /// naming the file's line, the unit and `store`. Replayed as the fuzzer ran it: on the Luma
    /// sample, every input either imports (and its pages resolve) or is such an `InputError`.
    @Test(arguments: inputs("unit-file"))
    func unitFileInputIsAUnitErrorOrWorks(_ name: String) throws {
        struct Rollback: Error {}
        let text = String(decoding: try Self.input("unit-file", name), as: UTF8.self)
        let (_, store, _) = try RuleSample.copy()
        do {
            let file = try UnitFile.parse(text, file: name)
            try store.write { db in
                _ = try UnitRepository(db).importFile(file)
                for page in [Page.product("24-MB01"), .cart(["24-MB01", "MH01-XS-Black"]), .home] {
                    _ = try PageResolver(db).resolve(page, options: PageOptions(seed: 3))
                }
                throw Rollback()
            }
        } catch is Rollback {
        } catch let error as InputError {
            if name.hasPrefix("crash-8633f319") {
                #expect(error.description.hasPrefix(#"\#(name):2:68: unit "Every filter": store: unknown store ""#), "\(error)")
            }
        }
    }
}
