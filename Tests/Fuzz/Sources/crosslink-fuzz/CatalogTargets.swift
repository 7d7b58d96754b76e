import Crosslink
import Foundation

/// `csv`: the RFC 4180 reader. Any bytes either parse or throw an `InputError` with a line; what
/// parses, written back with `CSVWriter`, reads back as the same fields.
final class CSVTarget: FuzzTarget {
    let name = "csv"

    func run(_ data: Data) {
        let records: [CSVRecord]
        do {
            records = try CSVReader(data: data, file: "fuzz.csv").records()
        } catch let error as InputError {
            if (error.location?.line ?? -1) < 0 { fuzzFailure("unplaced or negative line in \(error)") }
            return
        } catch {
            fuzzFailure("CSVReader threw \(type(of: error)): \(error)")
        }
        let lines = records.map(\.line)
        if lines != lines.sorted() { fuzzFailure("record lines not increasing: \(lines)") }
        let written = records.map { CSVWriter.line($0.fields) }.joined()
        do {
            let again = try CSVReader(data: Data(written.utf8), file: "again.csv").records()
            if again.map(\.fields) != records.map(\.fields) {
                fuzzFailure("round trip changed the records:\n\(records.map(\.fields))\n\(again.map(\.fields))")
            }
        } catch {
            fuzzFailure("written CSV does not read back: \(error)")
        }
        // The header-aware table accepts or refuses with an InputError, never anything else.
        do { _ = try CSVTable(reader: CSVReader(data: data, file: "fuzz.csv")) } catch is InputError {} catch {
            fuzzFailure("CSVTable threw \(type(of: error)): \(error)")
        }
    }

    func seeds() throws -> [Data] {
        var seeds: [Data] = []
        for url in FuzzData.csvFiles(under: FuzzData.magentoSample) + FuzzData.csvFiles(under: FuzzData.magentoImportFixtures) {
            let data = try Data(contentsOf: url)
            if data.count <= 16_384 {
                seeds.append(data)
            } else {
                seeds += try FuzzData.slices(of: url, recordsPerSlice: 2, maximumSlices: 20)
            }
        }
        return seeds
    }
}

/// `magento-fields`: the cell syntaxes (additional_attributes, multiselect options,
/// configurable_variations, lists, decimals, visibility, category paths). No trap; what parses
/// and can be written formats back to text that parses the same; decimals are finite.
final class MagentoFieldsTarget: FuzzTarget {
    let name = "magento-fields"

    func run(_ data: Data) {
        let cell = String(decoding: data, as: UTF8.self)
        if let pairs = try? MagentoFields.parseAdditionalAttributes(cell) {
            for pair in pairs {
                _ = MagentoFields.splitMultiselect(pair.value)
                if pair.code.isEmpty { fuzzFailure("empty attribute code from \(String(reflecting: cell))") }
            }
            // Codes that hold `=` or `,` cannot be written (formatAdditionalAttributes documents it).
            if pairs.allSatisfy({ !$0.code.contains("=") && !$0.code.contains(",") }) {
                let text = MagentoFields.formatAdditionalAttributes(pairs)
                guard let again = try? MagentoFields.parseAdditionalAttributes(text),
                      again.map(\.code) == pairs.map(\.code), again.map(\.value) == pairs.map(\.value) else {
                    fuzzFailure("additional_attributes round trip: \(String(reflecting: cell)) → \(pairs) → \(String(reflecting: text))")
                }
            }
        }
        if let variations = try? MagentoFields.parseConfigurableVariations(cell),
           let text = try? MagentoFields.formatConfigurableVariations(variations) {
            guard let again = try? MagentoFields.parseConfigurableVariations(text),
                  again.map({ $0.map(\.key) }) == variations.map({ $0.map(\.key) }),
                  again.map({ $0.map(\.value) }) == variations.map({ $0.map(\.value) }) else {
                fuzzFailure("configurable_variations round trip: \(String(reflecting: cell)) → \(String(reflecting: text))")
            }
        }
        for separator: Character in [",", "|"] {
            for item in MagentoFields.splitList(cell, separator: separator) where item.isEmpty || item.contains(separator) {
                fuzzFailure("splitList item \(String(reflecting: item)) from \(String(reflecting: cell))")
            }
            _ = MagentoFields.parseCategoryPaths(cell, separator: separator)
        }
        if let number = MagentoFields.parseDecimal(cell) {
            if !number.isFinite { fuzzFailure("parseDecimal(\(String(reflecting: cell))) = \(number)") }
            if MagentoFields.parseDecimal(MagentoFields.formatDecimal(number)) != number {
                fuzzFailure("formatDecimal(\(number)) = \(MagentoFields.formatDecimal(number)) does not read back")
            }
        }
        if let visibility = MagentoFields.parseVisibility(cell), !(1...4).contains(visibility) {
            fuzzFailure("visibility \(visibility) from \(String(reflecting: cell))")
        }
        _ = MagentoFields.parseBool(cell)
    }

    func seeds() throws -> [Data] {
        let columns = ["additional_attributes", "configurable_variations", "categories", "price", "special_price", "qty",
                       "visibility", "product_online", "is_in_stock", "related_skus", "related_position", "created_at"]
        var seen = Set<String>()
        var seeds: [Data] = []
        let files = [FuzzData.magentoSample.appending(path: "ConfigurableSampleData/products.csv")]
            + FuzzData.csvFiles(under: FuzzData.magentoImportFixtures)
        for url in files {
            let table = try CSVTable(reader: CSVReader(contentsOf: url))
            for column in columns {
                for record in table.rows.prefix(400) {
                    guard let value = table.value(record, column), !value.isEmpty, seen.insert(value).inserted else { continue }
                    seeds.append(Data(value.utf8))
                }
            }
        }
        return Array(seeds.prefix(400))
    }
}

/// `magento-import`: the product-CSV importer, as a dry run, against the imported Luma sample.
/// Any input either imports (and is rolled back) or throws an `InputError`, never another
/// error; the database is unchanged afterwards.
final class MagentoImportTarget: FuzzTarget {
    let name = "magento-import"
    private var store: CrosslinkStore?
    private var fingerprint: [DatabaseValue] = []

    static let fingerprintSQL = """
        SELECT (SELECT count(*) FROM products), (SELECT total(price) + total(qty) FROM products),
               (SELECT count(*) FROM product_links), (SELECT count(*) FROM product_attributes),
               (SELECT count(*) FROM attributes), (SELECT count(*) FROM categories),
               (SELECT count(*) FROM product_categories), (SELECT count(*) FROM product_websites),
               (SELECT count(*) FROM product_children)
        """

    func setUp() throws {
        let store = try CrosslinkStore(path: try FuzzData.scratchDirectory(name).appending(path: "catalog.sqlite").path)
        _ = try MagentoSampleImporter(store: store).importSample(at: FuzzData.magentoSample)
        self.store = store
        fingerprint = try store.read { db in try db.rows(Self.fingerprintSQL)[0] }
    }

    func run(_ data: Data) {
        guard let store else { fuzzFailure("setUp did not run") }
        var options = ImportOptions()
        options.dryRun = true
        do {
            _ = try MagentoCSVImporter(store: store, options: options).importData(data, file: "fuzz.csv")
        } catch let issue as InputError {
            if issue.location?.file != "fuzz.csv" || (issue.location?.line ?? -1) < 0 || issue.message.isEmpty { fuzzFailure("badly placed issue: \(issue)") }
        } catch {
            fuzzFailure("importer threw \(type(of: error)) instead of an InputError: \(error)")
        }
        let now = (try? store.read { db in try db.rows(Self.fingerprintSQL)[0] }) ?? []
        if now != fingerprint { fuzzFailure("a dry run changed the database: \(fingerprint) → \(now)") }
    }

    func seeds() throws -> [Data] {
        let products = FuzzData.magentoSample.appending(path: "ConfigurableSampleData/products.csv")
        var seeds = try FuzzData.csvFiles(under: FuzzData.magentoImportFixtures).map { try Data(contentsOf: $0) }
        seeds += try FuzzData.slices(of: products, recordsPerSlice: 1, maximumSlices: 8)
        // The columns the importer reads, a few rows at a time across the whole file.
        let read: Set<String> = [
            "sku", "store_view_code", "attribute_set_code", "product_type", "categories", "product_websites", "name",
            "price", "special_price", "qty", "is_in_stock", "visibility", "product_online", "created_at", "updated_at",
            "additional_attributes", "configurable_variations", "related_skus", "related_position", "upsell_skus",
            "upsell_position", "crosssell_skus", "crosssell_position", "weight",
        ]
        seeds += try FuzzData.slices(of: products, recordsPerSlice: 4, maximumSlices: 120, columns: read)
        return seeds
    }
}
