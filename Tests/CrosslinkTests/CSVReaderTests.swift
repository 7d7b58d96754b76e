import Foundation
import Testing

@testable import Crosslink

/// The project's copies of the shared data: magento-sample/ ships with the CLI,
/// magento-import/ is a test fixture (a user's clone has no ../shared).
private func csvDataFolder(_ folder: String) -> URL {
    folder == "magento-sample" ? Fixtures.magentoSample : Fixtures.magentoImport
}

private func csvSharedFile(_ relative: String) -> URL {
    let folder = String(relative.prefix { $0 != "/" })
    return csvDataFolder(folder).appendingPathComponent(String(relative.dropFirst(folder.count + 1)))
}

private func csvTable(_ relative: String) throws -> CSVTable {
    try CSVTable(reader: CSVReader(contentsOf: csvSharedFile(relative)))
}

private func csvTextReader(_ text: String, file: String = "t.csv") -> CSVReader {
    CSVReader(data: Data(text.utf8), file: file)
}

private func csvFields(_ text: String) throws -> [[String]] {
    try csvTextReader(text).records().map(\.fields)
}

/// Runs `body`, expecting an InputError (a CSV reader's, or a Magento cell's), and returns it.
private func expectInputError(_ body: () throws -> Void) -> InputError? {
    do {
        try body()
    } catch let error as InputError {
        return error
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
    Issue.record("expected an InputError")
    return nil
}

/// A CSV reader's error: `column` is the 1-based field number.
private func csvError(file: String, line: Int, column: Int? = nil, reason: String) -> InputError {
    InputError(file: file, line: line, field: column.map(String.init), message: reason)
}

private func flatPairs(_ list: [(code: String, value: String)]) -> [[String]] {
    list.map { [$0.code, $0.value] }
}

private func flatPairs(_ list: [(key: String, value: String)]) -> [[String]] {
    list.map { [$0.key, $0.value] }
}

// MARK: - Shared data files

/// Data rows (header excluded) and columns per file, counted independently with Python's csv module.
private let expectedCSVShapes: [String: (rows: Int, columns: Int)] = [
    "magento-import/disable_product.csv": (1, 2),
    "magento-import/import_configurable_product_multistore.csv": (4, 27),
    "magento-import/import_new_categories_custom_separator.csv": (1, 8),
    "magento-import/product_import_qty_wrong_sku.csv": (2, 2),
    "magento-import/product_to_import_invalid_weight.csv": (4, 7),
    "magento-import/products_multiple_stores.csv": (4, 80),
    "magento-import/products_to_check_duplicated_url_keys.csv": (3, 7),
    "magento-import/products_to_import.csv": (3, 7),
    "magento-import/products_to_import_with_additional_attributes.csv": (2, 7),
    "magento-import/products_to_import_with_category.csv": (1, 5),
    "magento-import/products_to_import_with_custom_attributes.csv": (1, 8),
    "magento-import/products_to_import_with_product_links.csv": (4, 13),
    "magento-import/products_to_import_with_product_links_with_empty_data.csv": (1, 5),
    "magento-import/products_to_import_with_qty.csv": (1, 8),
    "magento-sample/BundleSampleData/Links/crosssell.csv": (1, 2),
    "magento-sample/BundleSampleData/Links/related.csv": (1, 2),
    "magento-sample/BundleSampleData/images_yoga_bundle.csv": (1, 2),
    "magento-sample/BundleSampleData/yoga_bundle.csv": (1, 12),
    "magento-sample/CatalogSampleData/Links/crosssell.csv": (29, 2),
    "magento-sample/CatalogSampleData/Links/related.csv": (21, 2),
    "magento-sample/CatalogSampleData/Links/upsell.csv": (13, 2),
    "magento-sample/CatalogSampleData/SimpleProduct/images_gear_bags.csv": (18, 2),
    "magento-sample/CatalogSampleData/SimpleProduct/images_gear_fitness_equipment.csv": (22, 2),
    "magento-sample/CatalogSampleData/SimpleProduct/images_gear_watches.csv": (10, 2),
    "magento-sample/CatalogSampleData/SimpleProduct/products_gear_bags.csv": (14, 19),
    "magento-sample/CatalogSampleData/SimpleProduct/products_gear_fitness_equipment.csv": (9, 17),
    "magento-sample/CatalogSampleData/SimpleProduct/products_gear_fitness_equipment_ball.csv": (9, 15),
    "magento-sample/CatalogSampleData/SimpleProduct/products_gear_fitness_equipment_strap.csv": (3, 13),
    "magento-sample/CatalogSampleData/SimpleProduct/products_gear_watches.csv": (9, 17),
    "magento-sample/CatalogSampleData/attributes.csv": (14, 24),
    "magento-sample/CatalogSampleData/categories.csv": (6, 9),
    "magento-sample/ConfigurableSampleData/Links/crosssell.csv": (147, 2),
    "magento-sample/ConfigurableSampleData/Links/related.csv": (98, 2),
    "magento-sample/ConfigurableSampleData/Links/upsell.csv": (43, 2),
    "magento-sample/ConfigurableSampleData/attributes.csv": (8, 24),
    "magento-sample/ConfigurableSampleData/categories.csv": (28, 9),
    "magento-sample/ConfigurableSampleData/products.csv": (1994, 70),
    "magento-sample/DownloadableSampleData/Links/crosssell.csv": (6, 2),
    "magento-sample/DownloadableSampleData/Links/related.csv": (6, 2),
    "magento-sample/DownloadableSampleData/attributes.csv": (1, 24),
    "magento-sample/DownloadableSampleData/categories.csv": (2, 10),
    "magento-sample/DownloadableSampleData/downloadable_data_training_video_download.csv": (8, 4),
    "magento-sample/DownloadableSampleData/images_products_training_video.csv": (6, 2),
    "magento-sample/DownloadableSampleData/products_training_video_download.csv": (6, 13),
    "magento-sample/GroupedProductSampleData/Link/crosssell.csv": (1, 2),
    "magento-sample/GroupedProductSampleData/Link/related.csv": (1, 2),
    "magento-sample/GroupedProductSampleData/images_yoga_grouped.csv": (1, 2),
    "magento-sample/GroupedProductSampleData/yoga_grouped.csv": (1, 12),
    "magento-sample/MsrpSampleData/products_msrp.csv": (12, 2),
    "magento-sample/ProductLinksSampleData/crosssell.csv": (29, 2),
    "magento-sample/ProductLinksSampleData/related.csv": (21, 2),
    "magento-sample/ProductLinksSampleData/upsell.csv": (13, 2),
    "magento-sample/SalesSampleData/orders.csv": (2, 6),
    "magento-sample/WishlistSampleData/wishlist.csv": (1, 3),
]

/// Every *.csv below the two Magento folders, as paths relative to the shared data folder.
private func sharedCSVFiles() -> [String] {
    var found: [String] = []
    for folder in ["magento-sample", "magento-import"] {
        let root = csvDataFolder(folder).resolvingSymlinksInPath()
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { continue }
        for case let file as URL in walker where file.pathExtension == "csv" {
            found.append(folder + "/" + file.path.dropFirst(root.path.count + 1))
        }
    }
    return found.sorted()
}

@Suite struct CSVSharedDataTests {
    @Test func everyFileParsesWithTheExpectedShape() throws {
        let files = sharedCSVFiles()
        // Files added later (Magento's holdout fixtures) only have to parse.
        #expect(Set(expectedCSVShapes.keys).isSubset(of: Set(files)), "missing: \(Set(expectedCSVShapes.keys).subtracting(files))")
        for file in files {
            let records = try CSVReader(contentsOf: csvSharedFile(file)).records()
            guard let shape = expectedCSVShapes[file] else { continue }
            let table = try csvTable(file)
            #expect(table.rows.count == shape.rows, "\(file)")
            #expect(table.header.count == shape.columns, "\(file)")
            #expect(records.count == shape.rows + 1, "\(file): no blank lines in the data")
        }
    }

    @Test func configurableProductsMultilineDescription() throws {
        let t = try csvTable("magento-sample/ConfigurableSampleData/products.csv")
        #expect(t.rows.count == 1994)
        let first = try #require(t.rows.first)
        #expect(t.value(first, "sku") == "MH01-XS-Black")
        #expect(first.line == 2)
        let description = try #require(t.value(first, "description"))
        #expect(description.hasPrefix("<p>Ideal for cold-weather training or work outdoors, the Chaz Hoodie"))
        #expect(description.contains("</p>\n<p>&bull; Two-tone gray heather hoodie."))
        #expect(description.hasSuffix("Machine wash/dry.</p>"))
        // The description spans two lines, so the next record starts on line 4.
        #expect(t.rows[1].line == 4)
        #expect(t.value(t.rows[1], "sku") == "MH01-XS-Gray")
        let parent = try #require(t.rows.first { t.value($0, "sku") == "MH01" })
        #expect(parent.line == 32)
        #expect(t.value(parent, "product_type") == "configurable")
        let last = try #require(t.rows.last)
        #expect(t.value(last, "sku") == "WSH12")
        #expect(last.line == 3940)
        // `""` inside a quoted HTML cell (an inseam in inches).
        let pant = try #require(t.rows.first { $0.line == 1358 })
        #expect(t.value(pant, "description")?.contains("Inseam: 32\". <br />") == true)
    }

    @Test func linkFileMultilineCellsAndStartLines() throws {
        let t = try csvTable("magento-sample/CatalogSampleData/Links/related.csv")
        #expect(t.header == ["sku", "linked_sku"])
        #expect(t.rows.count == 21)
        #expect(t.rows[0] == CSVRecord(line: 2, fields: ["24-UG01", "24-WG086\n24-UG04\n24-WG082-pink\n24-UG05"]))
        #expect(t.rows[1].line == 6)
        #expect(t.rows[20] == CSVRecord(line: 82, fields: ["243-MB06", "24-UG05\n24-WG084\n24-WB06\n24-MB03"]))
        #expect(MagentoFields.splitList(t.rows[0].fields[1], separator: "\n") == ["24-WG086", "24-UG04", "24-WG082-pink", "24-UG05"])
    }

    @Test func doubledQuotesInJSONCell() throws {
        let t = try csvTable("magento-sample/SalesSampleData/orders.csv")
        #expect(t.value(t.rows[0], "product") == #"{"sku":"WS03","qty":"1","configurable_options":{"size":"XS","color":"Red"}}"#)
        #expect(t.value(t.rows[1], "refund") == "yes")
        let categories = try csvTable("magento-sample/CatalogSampleData/categories.csv")
        #expect(categories.value(categories.rows[0], "custom_layout_update") == #"<referenceContainer name="catalog.leftnav" remove="true"/>"#)
    }

    @Test func filesWithoutFinalNewline() throws {
        let category = try csvTable("magento-import/products_to_import_with_category.csv")
        #expect(category.rows == [CSVRecord(line: 2, fields: ["simple", "default", "Default", "simple", "Default Category/Men/Tops"])])

        let custom = try csvTable("magento-import/products_to_import_with_custom_attributes.csv")
        #expect(custom.value(custom.rows[0], "additional_attributes") == #"text_attribute=!@#$%^&*()_+1234567890-=:;"'>.?/<,|\"#)

        let links = try csvTable("magento-import/products_to_import_with_product_links.csv")
        #expect(links.rows.last == CSVRecord(line: 5, fields: [
            "simple4", "simple", "", "simple 4", "67", "10", "Default",
            "simple1,simple2", "2,1", "simple2,simple3", "1,2", "simple1,simple3", "3,1",
        ]))

        let catalog = try csvTable("magento-sample/CatalogSampleData/categories.csv")
        #expect(catalog.rows.last == CSVRecord(line: 7, fields: ["New Luma Yoga Collection", "yoga-new", "Collections", "1", "1", "0", "", "", ""]))

        #expect(try csvFields("a,b\n1,\"2\"") == [["a", "b"], ["1", "2"]])
        #expect(try csvFields("a,b\n1,") == [["a", "b"], ["1", ""]])
    }

    @Test func spaceAfterCommaBeforeQuotedField() throws {
        let t = try csvTable("magento-import/disable_product.csv")
        #expect(t.header == ["sku", "product_online"])
        #expect(t.rows == [CSVRecord(line: 2, fields: ["simple", "0"])])
        #expect(t.value(t.rows[0], "product_online") == "0")
        #expect(t.index(of: "product_online") == 1)
    }

    @Test func everyFieldQuotedWithEmptyUnquotedCells() throws {
        let t = try csvTable("magento-import/import_configurable_product_multistore.csv")
        let parent = t.rows[2]
        #expect(t.value(parent, "visibility") == "Catalog, Search")
        #expect(t.value(parent, "qty") == "")
        #expect(t.value(parent, "configurable_variation_labels") == "test_configurable=test_configurable=test_configurable")
        #expect(t.value(t.rows[3], "store_view_code") == "fixturestore")
    }
}

// MARK: - Reader rules

@Suite struct CSVReaderRuleTests {
    @Test func lineEndingsBlankLinesAndBOM() throws {
        #expect(try csvFields("a,b\r\n1,2\r\n") == [["a", "b"], ["1", "2"]])
        #expect(try csvFields("\u{FEFF}\"sku\",x\n") == [["sku", "x"]])
        let records = try csvTextReader("a\n\n\"x\ny\"\n\r\nb").records()
        #expect(records == [
            CSVRecord(line: 1, fields: ["a"]),
            CSVRecord(line: 2, fields: []),
            CSVRecord(line: 3, fields: ["x\ny"]),
            CSVRecord(line: 5, fields: []),
            CSVRecord(line: 6, fields: ["b"]),
        ])
        #expect(try csvFields("") == [])
    }

    @Test func quotingRules() throws {
        // Lenient: a quote inside an unquoted field is literal; unquoted blanks are kept.
        #expect(try csvFields("a\"b,c\"\n") == [["a\"b", "c\""]])
        #expect(try csvFields(" x , \"y\" \t,z") == [[" x ", "y", "z"]])
        #expect(try csvFields("\"\",\"a\"\"\",\"\"\"\"") == [["", "a\"", "\""]])
        #expect(try csvFields("a,,\n,") == [["a", "", ""], ["", ""]])
        #expect(try csvFields("\"a,\r\nb\",\"c\"\r\n") == [["a,\r\nb", "c"]])
        #expect(try csvFields("é,\"ü\"\"ß\"") == [["é", "ü\"ß"]])
    }

    @Test func tabDelimiterIsNotSkippedAsBlank() throws {
        let tsv = CSVReader(data: Data("a\t\t\"b\"\t c\n".utf8), file: "t.tsv", delimiter: UInt8(ascii: "\t"))
        #expect(try tsv.records().map(\.fields) == [["a", "", "b", " c"]])
    }

    @Test func bodyCanStopEarly() {
        struct Stop: Error {}
        var seen = 0
        #expect(throws: Stop.self) {
            try csvTextReader("a\nb\nc\n").forEachRecord { _ in
                seen += 1
                if seen == 2 { throw Stop() }
            }
        }
        #expect(seen == 2)
    }
}

// MARK: - Errors

@Suite struct CSVReaderErrorTests {
    @Test func unterminatedQuote() {
        let error = expectInputError { _ = try csvTextReader("sku,name\n1,\"open\nstill open\n", file: "products.csv").records() }
        #expect(error == csvError(file: "products.csv", line: 2, column: 2, reason: "unterminated quoted field (opened on line 2)"))
        #expect(error?.description == "products.csv:2: column 2: unterminated quoted field (opened on line 2)")
    }

    @Test func junkAfterClosingQuote() {
        let error = expectInputError { _ = try csvTextReader("a,b\n\"x\"y,2\n").records() }
        #expect(error == csvError(file: "t.csv", line: 2, column: 1, reason: "unexpected character after closing quote"))
        // Reported on the line of the junk, after a cell spanning lines.
        let later = expectInputError { _ = try csvTextReader("a,b\n1,\"x\ny\" z\n").records() }
        #expect(later == csvError(file: "t.csv", line: 3, column: 2, reason: "unexpected character after closing quote"))
    }

    @Test func wrongFieldCount() {
        let error = expectInputError { _ = try CSVTable(reader: csvTextReader("a,b,c\n1,2,3\n\n4,5\n")) }
        #expect(error == csvError(file: "t.csv", line: 4, column: nil, reason: "expected 3 fields, got 2"))
        #expect(error?.description == "t.csv:4: expected 3 fields, got 2")
    }

    @Test func invalidUTF8() {
        let unquoted = expectInputError {
            _ = try CSVReader(data: Data("a,b\nok,".utf8) + Data([0xC3, 0x28]) + Data("\n".utf8), file: "t.csv").records()
        }
        #expect(unquoted == csvError(file: "t.csv", line: 2, column: 2, reason: "invalid UTF-8"))
        // In a quoted cell the error points at the physical line of the bad byte.
        let quoted = expectInputError {
            _ = try CSVReader(data: Data("a,b\n1,\"fine\nbad ".utf8) + Data([0xFF]) + Data("\"\n".utf8), file: "t.csv").records()
        }
        #expect(quoted == csvError(file: "t.csv", line: 3, column: 2, reason: "invalid UTF-8"))
        // Overlong encoding of "/" must not slip through.
        let overlong = expectInputError { _ = try CSVReader(data: Data([0xC0, 0xAF]), file: "t.csv").records() }
        #expect(overlong == csvError(file: "t.csv", line: 1, column: 1, reason: "invalid UTF-8"))
    }

    @Test func duplicateHeader() {
        let error = expectInputError { _ = try CSVTable(reader: csvTextReader("sku,name, sku \n1,2,3\n")) }
        #expect(error == csvError(file: "t.csv", line: 1, column: 3, reason: "duplicate column name \"sku\" (first at column 1)"))
    }

    @Test func emptyFileAndUnreadableFile() {
        #expect(expectInputError { _ = try CSVTable(reader: csvTextReader("")) } == csvError(file: "t.csv", line: 0, reason: "empty file: no header row"))
        #expect(expectInputError { _ = try CSVTable(reader: csvTextReader("\u{FEFF}\n\n")) }?.message == "empty file: no header row")
        let missing = expectInputError { _ = try CSVReader(contentsOf: csvSharedFile("magento-import/no_such_file.csv")) }
        #expect(missing?.file == "no_such_file.csv")
        #expect(missing?.location?.line == 0)
        #expect(missing?.message.hasPrefix("cannot read file") == true)
    }

    @Test func tableHeaderTrimmedAndLookups() throws {
        let t = try CSVTable(reader: csvTextReader("\u{FEFF} sku ,name\n\n1,one\n"))
        #expect(t.header == ["sku", "name"])
        #expect(t.rows == [CSVRecord(line: 3, fields: ["1", "one"])])
        #expect(t.value(t.rows[0], "name") == "one")
        #expect(t.value(t.rows[0], "price") == nil)
        #expect(t.index(of: "price") == nil)
    }
}

// MARK: - Writer

@Suite struct CSVWriterTests {
    @Test func quotingDecisions() {
        #expect(CSVWriter.field("plain") == "plain")
        #expect(CSVWriter.field("") == "")
        #expect(CSVWriter.field("a,b") == "\"a,b\"")
        #expect(CSVWriter.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSVWriter.field(" lead") == "\" lead\"")
        #expect(CSVWriter.field("trail ") == "\"trail \"")
        #expect(CSVWriter.field("cr\r") == "\"cr\r\"")
        #expect(CSVWriter.line(["a", "b c", "d,e"]) == "a,b c,\"d,e\"\n")
    }

    @Test func roundTripsTrickyStrings() throws {
        let tricky = [
            "", "plain", "a,b", "say \"hi\"", "\"", "\"\"", "line1\nline2", "cr\rlf", "\r\n", " lead", "trail ",
            "  ", "\t tab", "ünïcødé €", "=|\",", "\"quoted\"", "x\"", " \"a\" ", "<p>a</p>\n<p>b</p>",
        ]
        var text = CSVWriter.line(["id", "value"])
        for (i, s) in tricky.enumerated() { text += CSVWriter.line([String(i), s]) }
        text += CSVWriter.line([""])
        let records = try csvTextReader(text).records().map(\.fields)
        #expect(records.first == ["id", "value"])
        #expect(Array(records.dropFirst().dropLast()) == tricky.enumerated().map { [String($0.offset), $0.element] })
        #expect(records.last == [""])
        #expect(try csvTextReader(tricky.map(CSVWriter.field).joined(separator: ",")).records().map(\.fields) == [tricky])
    }
}

// MARK: - Magento cell syntaxes

@Suite struct MagentoFieldsTests {
    @Test func splitListWithPositions() throws {
        #expect(MagentoFields.splitList("simple1,simple2") == ["simple1", "simple2"])
        #expect(MagentoFields.splitList(" a , ,b ,") == ["a", "b"])
        #expect(MagentoFields.splitList("") == [])
        #expect(MagentoFields.splitList("x\r\ny\n\nz", separator: "\n") == ["x", "y", "z"])
        #expect(MagentoFields.splitList("a|b", separator: "|") == ["a", "b"])

        let t = try csvTable("magento-import/products_to_import_with_product_links.csv")
        let row = try #require(t.rows.first { t.value($0, "sku") == "simple4" })
        #expect(MagentoFields.splitList(t.value(row, "related_skus")!) == ["simple1", "simple2"])
        #expect(MagentoFields.splitList(t.value(row, "related_position")!) == ["2", "1"])
        #expect(MagentoFields.splitList(t.value(row, "upsell_skus")!) == ["simple1", "simple3"])
        #expect(MagentoFields.splitList(t.value(row, "upsell_position")!) == ["3", "1"])

        let empty = try csvTable("magento-import/products_to_import_with_product_links_with_empty_data.csv")
        #expect(empty.value(empty.rows[0], "upsell_skus") == MagentoFields.emptyValueMarker)
        #expect(empty.value(empty.rows[0], "crosssell_skus") == "")
        #expect(MagentoFields.emptyValueMarker == "__EMPTY__VALUE__")
    }

    /// Wrapped values with `,` `=` `|` `"`, and multiselect options wrapped one by one.
    @Test func additionalAttributesFixtureWithWrappedValues() throws {
        let t = try csvTable("magento-import/products_to_import_with_additional_attributes.csv")
        let cell1 = try #require(t.value(t.rows[0], "additional_attributes"))
        #expect(cell1 == #"text_attribute="'"", =|",multiselect_attribute="Option 3 ""!@#$%^&*, ""|"""|"Opt||,ion 2""#)
        let parsed1 = try MagentoFields.parseAdditionalAttributes(cell1)
        #expect(flatPairs(parsed1) == [
            ["text_attribute", #"'", =|"#],
            ["multiselect_attribute", #""Option 3 ""!@#$%^&*, ""|"""|"Opt||,ion 2""#],
        ])
        #expect(MagentoFields.splitMultiselect(parsed1[1].value) == [#"Option 3 "!@#$%^&*, "|""#, "Opt||,ion 2"])

        let cell2 = try #require(t.value(t.rows[1], "additional_attributes"))
        let parsed2 = try MagentoFields.parseAdditionalAttributes(cell2)
        #expect(flatPairs(parsed2) == [
            ["multiselect_attribute", #""Opt|,=ion 1"|"Opt||,ion 2""#],
            ["text_attribute", ""],
        ])
        #expect(MagentoFields.splitMultiselect(parsed2[0].value) == ["Opt|,=ion 1", "Opt||,ion 2"])
    }

    /// Unwrapped value holding `=` `,` `|` `"` and a final backslash.
    @Test func additionalAttributesFixtureWithCustomCharacters() throws {
        let t = try csvTable("magento-import/products_to_import_with_custom_attributes.csv")
        let parsed = try MagentoFields.parseAdditionalAttributes(t.value(t.rows[0], "additional_attributes")!)
        #expect(flatPairs(parsed) == [["text_attribute", #"!@#$%^&*()_+1234567890-=:;"'>.?/<,|\"#]])
    }

    @Test func additionalAttributesPlainAndSampleData() throws {
        let stores = try csvTable("magento-import/products_multiple_stores.csv")
        let parsed = try MagentoFields.parseAdditionalAttributes(stores.value(stores.rows[0], "additional_attributes")!)
        #expect(flatPairs(parsed) == [
            ["attribute_with_option", "Option Label"], ["has_options", "0"],
            ["quantity_and_stock_status", "In Stock"], ["required_options", "0"], ["test_configurable", "Option 1"],
        ])
        #expect(try MagentoFields.parseAdditionalAttributes(stores.value(stores.rows[1], "additional_attributes")!).isEmpty)

        let products = try csvTable("magento-sample/ConfigurableSampleData/products.csv")
        let mh01 = try #require(products.rows.first { products.value($0, "sku") == "MH01" })
        let attributes = try MagentoFields.parseAdditionalAttributes(products.value(mh01, "additional_attributes")!)
        #expect(attributes.count == 10)
        let climate = try #require(attributes.first { $0.code == "climate" })
        #expect(MagentoFields.splitMultiselect(climate.value) == ["All-weather", "Cool", "Indoor", "Spring", "Windy"])
        for row in products.rows {
            _ = try MagentoFields.parseAdditionalAttributes(products.value(row, "additional_attributes")!)
        }

        #expect(flatPairs(try MagentoFields.parseAdditionalAttributes(" a=1 , b = x ")) == [["a", "1 "], ["b", " x "]])
        #expect(flatPairs(try MagentoFields.parseAdditionalAttributes("a=1,")) == [["a", "1,"]])
        #expect(flatPairs(try MagentoFields.parseAdditionalAttributes("a=\"x\",")) == [["a", "x"]])
        #expect(MagentoFields.splitMultiselect("a||b|") == ["a", "b"])
        #expect(MagentoFields.splitMultiselect(#""x"y|z"#) == [#""x"y"#, "z"])
    }

    @Test func additionalAttributesErrors() {
        #expect(expectInputError { _ = try MagentoFields.parseAdditionalAttributes("a=1,=2") }?.message
            == "empty attribute code in \"=2\"")
        #expect(expectInputError { _ = try MagentoFields.parseAdditionalAttributes(" =\"x\"") }?.message
            == "empty attribute code in \" =\"x\"\"")
        #expect(expectInputError { _ = try MagentoFields.parseAdditionalAttributes("junk,a=1") }?.message
            == "missing '=' in additional attribute \"junk\"")
        #expect(expectInputError { _ = try MagentoFields.parseAdditionalAttributes("a=\"x\",junk") }?.message
            == "missing '=' in additional attribute \"junk\"")
        #expect(expectInputError { _ = try MagentoFields.parseAdditionalAttributes("a=1,b=\"open") }?.message
            == "unterminated quoted value in additional attribute \"b=\"open\"")
        #expect(expectInputError { _ = try MagentoFields.parseAdditionalAttributes("a=\"x\"y\",b=1") }?.message
            == "malformed quoted value in additional attribute \"a=\"x\"y\"\"")
    }

    @Test func formatAdditionalAttributes() {
        let text = MagentoFields.formatAdditionalAttributes([
            (code: "text_attribute", value: #"'", =|"#), (code: "plain", value: "x y"), (code: "empty", value: ""),
        ])
        #expect(text == #"text_attribute="'"", =|",plain=x y,empty="#)
        #expect(MagentoFields.formatAdditionalAttributes([]) == "")
    }

    @Test func additionalAttributesRoundTripProperty() throws {
        var rng = SplitMix64(seed: 0x5EED)
        let alphabet: [Character] = [",", "=", "|", "\"", "a", "b", " ", "é", "\n", "\\"]
        for _ in 0..<3000 {
            let count = Int.random(in: 0...4, using: &rng)
            let original: [(code: String, value: String)] = (0..<count).map { i in
                let length = Int.random(in: 0...8, using: &rng)
                return (code: "attr_\(i)", value: String((0..<length).map { _ in alphabet.randomElement(using: &rng)! }))
            }
            let text = MagentoFields.formatAdditionalAttributes(original)
            let parsed = try MagentoFields.parseAdditionalAttributes(text)
            #expect(flatPairs(parsed) == flatPairs(original), "\(text)")
        }
    }

    @Test func configurableVariations() throws {
        let products = try csvTable("magento-sample/ConfigurableSampleData/products.csv")
        let mh01 = try #require(products.rows.first { products.value($0, "sku") == "MH01" })
        let cell = try #require(products.value(mh01, "configurable_variations"))
        let variations = try MagentoFields.parseConfigurableVariations(cell)
        #expect(variations.count == 15)
        #expect(flatPairs(variations[0]) == [["sku", "MH01-XS-Black"], ["size", "XS"], ["color", "Black"]])
        #expect(flatPairs(variations[14]) == [["sku", "MH01-XL-Orange"], ["size", "XL"], ["color", "Orange"]])
        #expect(try MagentoFields.formatConfigurableVariations(variations) == cell)

        let multistore = try csvTable("magento-import/import_configurable_product_multistore.csv")
        let parsed = try MagentoFields.parseConfigurableVariations(multistore.value(multistore.rows[2], "configurable_variations")!)
        #expect(parsed.map { flatPairs($0) } == [
            [["sku", "import-configurable-option-1"], ["test_configurable", "Option 1"]],
            [["sku", "import-configurable-option-2"], ["test_configurable", "Option 2"]],
        ])
        #expect(try MagentoFields.parseConfigurableVariations("").isEmpty)
        #expect(try MagentoFields.parseConfigurableVariations(" sku = a , size= S |").map { flatPairs($0) } == [[["sku", "a"], ["size", "S"]]])
    }

    @Test func configurableVariationErrors() {
        #expect(expectInputError { _ = try MagentoFields.parseConfigurableVariations("sku=a|size=XS,color=Black") }?.message
            == "variation without sku: \"size=XS,color=Black\"")
        #expect(expectInputError { _ = try MagentoFields.parseConfigurableVariations("sku=a,size") }?.message
            == "missing '=' in \"size\" of variation \"sku=a,size\"")
        #expect(expectInputError { _ = try MagentoFields.parseConfigurableVariations("sku=a,=S") }?.message
            == "empty key in \"=S\" of variation \"sku=a,=S\"")
        #expect(expectInputError { _ = try MagentoFields.formatConfigurableVariations([[(key: "sku", value: "a,b")]]) } != nil)
        #expect(expectInputError { _ = try MagentoFields.formatConfigurableVariations([[(key: "size", value: "S")]]) }?.message
            == "variation without sku: \"size=S\"")
    }

    @Test func categoryPaths() throws {
        #expect(MagentoFields.parseCategoryPaths("Default Category/Men/Tops/Hoodies & Sweatshirts,Default Category/Collections/Eco Friendly") == [
            ["Default Category", "Men", "Tops", "Hoodies & Sweatshirts"], ["Default Category", "Collections", "Eco Friendly"],
        ])
        #expect(MagentoFields.parseCategoryPaths(" A / B ,, /,C//D/") == [["A", "B"], ["C", "D"]])
        #expect(MagentoFields.parseCategoryPaths("") == [])

        let custom = try csvTable("magento-import/import_new_categories_custom_separator.csv")
        #expect(MagentoFields.parseCategoryPaths(custom.value(custom.rows[0], "categories")!, separator: "|") == [
            ["Default Category", "Category 1"], ["Default Category", "Category 2"],
        ])
    }

    @Test func visibility() throws {
        let labels = [(1, "Not Visible Individually"), (2, "Catalog"), (3, "Search"), (4, "Catalog, Search")]
        for (value, label) in labels {
            #expect(MagentoFields.parseVisibility(label) == value)
            #expect(MagentoFields.parseVisibility(String(value)) == value)
            #expect(MagentoFields.visibilityLabel(value) == label)
        }
        #expect(MagentoFields.parseVisibility("  catalog,SEARCH ") == 4)
        #expect(MagentoFields.parseVisibility("not visible individually") == 1)
        #expect(MagentoFields.parseVisibility("5") == nil)
        #expect(MagentoFields.parseVisibility("") == nil)
        #expect(MagentoFields.parseVisibility("Catalog, Search, Catalog") == nil)

        let products = try csvTable("magento-sample/ConfigurableSampleData/products.csv")
        let counts = Dictionary(grouping: products.rows) { MagentoFields.parseVisibility(products.value($0, "visibility")!) }
            .mapValues(\.count)
        #expect(counts == [1: 1847, 4: 147])
    }

    @Test func booleans() {
        for text in ["1", "yes", "true", "enabled", "YES", " Enabled "] { #expect(MagentoFields.parseBool(text) == true) }
        for text in ["0", "no", "false", "disabled", "False"] { #expect(MagentoFields.parseBool(text) == false) }
        for text in ["", "2", "y", "on"] { #expect(MagentoFields.parseBool(text) == nil) }
    }

    @Test func decimals() {
        #expect(MagentoFields.parseDecimal("52") == 52)
        #expect(MagentoFields.parseDecimal("0.0000") == 0)
        #expect(MagentoFields.parseDecimal("14.99") == 14.99)
        #expect(MagentoFields.parseDecimal("-5") == -5)
        #expect(MagentoFields.parseDecimal(" 99999.0000 ") == 99999)
        for bad in ["", " ", "abc", "1,5", "nan", "inf", "-inf", "1e5", "-", ".", "1.2.3", "5-", "0x10"] {
            #expect(MagentoFields.parseDecimal(bad) == nil, "\(bad)")
        }

        #expect(MagentoFields.formatDecimal(52) == "52")
        #expect(MagentoFields.formatDecimal(14.99) == "14.99")
        #expect(MagentoFields.formatDecimal(0) == "0")
        #expect(MagentoFields.formatDecimal(-0.0) == "0")
        #expect(MagentoFields.formatDecimal(-5) == "-5")
        #expect(MagentoFields.formatDecimal(0.5) == "0.5")
        #expect(MagentoFields.formatDecimal(1e-7) == "0.0000001")
        #expect(MagentoFields.formatDecimal(-1.25e-5) == "-0.0000125")
        #expect(MagentoFields.formatDecimal(1e20) == "100000000000000000000")
        #expect(MagentoFields.formatDecimal(1.5e19) == "15000000000000000000")
        #expect(MagentoFields.formatDecimal(0.1 + 0.2) == "0.30000000000000004")

        var rng = SplitMix64(seed: 42)
        for _ in 0..<2000 {
            let v = Double(bitPattern: rng.next())
            guard v.isFinite else { continue }
            #expect(MagentoFields.parseDecimal(MagentoFields.formatDecimal(v)) == v, "\(v)")
        }
    }
}

