// Catalog benchmark: bulk import of a generated catalog with its links, and product-page
// related-placement lookups, through Crosslink and through raw C (Sources/CrosslinkBaseline/baseline.c).
import ArgumentParser
import CrosslinkBaseline
import Crosslink
import Foundation

struct CatalogBenchOptions: ParsableArguments {
    @Option(help: "Products in the generated catalog.") var products = 20_000
    @Option(help: "Links of each type (related, upsell, crosssell) per product.") var linksPerType = 4
    @Option(help: "Product-page placements timed on each side (also the rules area's lookups).") var lookups = 20_000

    func validate() throws {
        guard products >= 2, linksPerType >= 1, lookups >= 1 else {
            throw ValidationError("--products must be at least 2, --links-per-type and --lookups at least 1")
        }
    }
}

/// The benchmark catalog as a Magento product CSV (the same rows baseline.c inserts).
func catalogCSV(_ options: CatalogBenchOptions) -> Data {
    let steps = [1, 7, 13]  // related, upsell, crosssell — must match baseline.c
    var text = "sku,product_type,attribute_set_code,product_websites,name,price,qty,is_in_stock,visibility,product_online,"
        + "related_skus,related_position,upsell_skus,upsell_position,crosssell_skus,crosssell_position\n"
    let n = options.products
    for i in 0..<n {
        var line = "\(benchSKU(i)),simple,Default,base,Bench product \(i),\(10 + i % 90),100,1,\"Catalog, Search\",1"
        for step in steps {
            let targets = (1...options.linksPerType).map { k in (k, (i + k * step) % n) }.filter { $0.1 != i }
            line += ",\"" + targets.map { benchSKU($0.1) }.joined(separator: ",") + "\",\"" + targets.map { String($0.0) }.joined(separator: ",") + "\""
        }
        text += line + "\n"
    }
    return Data(text.utf8)
}

func benchSKU(_ i: Int) -> String { "BENCH-" + String(repeating: "0", count: max(0, 6 - String(i).count)) + String(i) }

/// Runs the catalog benchmark and prints its table; returns the raw C related lookup (p50, p99
/// µs), the reference of the rules benchmark's cached target.
func runCatalogBenchmark(_ options: CatalogBenchOptions, directory: String) throws -> (p50: Double, p99: Double) {
    // 1. Bulk catalog + links: Crosslink imports the CSV (parsing included); C inserts the rows.
    let csv = catalogCSV(options)
    let crosslinkPath = try freshDatabase("crosslink.sqlite", in: directory)
    let store = try CrosslinkStore(path: crosslinkPath)
    let importStart = ContinuousClock.now
    let importCPUStart = cpuSeconds()
    let report = try MagentoCSVImporter(store: store, options: ImportOptions()).importData(csv, file: "bench.csv")
    let importSeconds = (ContinuousClock.now - importStart) / .seconds(1)
    let importCPU = cpuSeconds() - importCPUStart
    let rowsWritten = try store.read { db in
        (try db.scalarInt("SELECT count(*) FROM products") ?? 0) + (try db.scalarInt("SELECT count(*) FROM product_websites") ?? 0)
            + (try db.scalarInt("SELECT count(*) FROM product_links") ?? 0)
    }

    let baselinePath = try freshDatabase("baseline.sqlite", in: directory)
    var errorBuffer = [CChar](repeating: 0, count: 512)
    let baselineCPUStart = cpuSeconds()
    let baselineNanoseconds = baseline_insert_catalog(baselinePath, baseline_catalog(products: Int32(options.products), links_per_type: Int32(options.linksPerType)), &errorBuffer, 512)
    let baselineCPU = cpuSeconds() - baselineCPUStart
    guard baselineNanoseconds > 0 else { fatalError("C baseline insert failed: \(cError(errorBuffer))") }
    let baselineRows = try CrosslinkStore(path: baselinePath).read { db in
        (try db.scalarInt("SELECT count(*) FROM products") ?? 0) + (try db.scalarInt("SELECT count(*) FROM product_websites") ?? 0)
            + (try db.scalarInt("SELECT count(*) FROM product_links") ?? 0)
    }
    guard baselineRows == rowsWritten else { fatalError("the two sides wrote different rows: Crosslink \(rowsWritten), C \(baselineRows)") }
    // Both import in bulk mode (per-row triggers skipped): the name index must come out complete on both sides.
    for path in [crosslinkPath, baselinePath] {
        let missing = try CrosslinkStore(path: path).read { db in
            try db.scalarInt("SELECT count(*) FROM (SELECT word, product_id FROM product_name_words EXCEPT SELECT word, product_id FROM product_words)") ?? 0
        }
        guard missing == 0 else { fatalError("\(path): \(missing) name words missing from product_words after the import") }
    }
    let crosslinkRate = Double(rowsWritten) / importSeconds
    let baselineRate = Double(baselineRows) / (Double(baselineNanoseconds) / 1e9)

    // 2. Product-page placement lookups on the same file, same SKU sequence.
    var generator = SplitMix64(seed: 42)
    let indexes = (0..<options.lookups).map { _ in Int32(generator.next() % UInt64(options.products)) }
    func crosslinkLookups() throws -> [Int64] {
        var times: [Int64] = []
        times.reserveCapacity(indexes.count)
        for index in indexes {
            let sku = benchSKU(Int(index))
            let start = DispatchTime.now().uptimeNanoseconds
            let related = try store.read { db in try Placements(db).related(for: sku) }
            times.append(Int64(DispatchTime.now().uptimeNanoseconds - start))
            precondition(!related.isEmpty)
        }
        return times
    }
    func baselineLookups() -> [Int64] {
        var times = [Int64](repeating: 0, count: indexes.count)
        var errorBuffer = [CChar](repeating: 0, count: 512)
        let found = Placements.linkedSQL.withCString { sql in
            baseline_related_lookups(crosslinkPath, indexes, Int32(indexes.count), &times, sql, &errorBuffer, 512)
        }
        guard found > 0 else { fatalError("C baseline lookups failed: \(cError(errorBuffer))") }
        return times
    }
    _ = try crosslinkLookups(); _ = baselineLookups()  // warm caches and statement caches
    let swiftTimes = try crosslinkLookups().sorted()
    let cTimes = baselineLookups().sorted()

    print("Crosslink benchmark — \(options.products) products, \(options.linksPerType) links per type, \(options.lookups) lookups")
    print("SQLite \(String(cString: sqlite3_libversion_for_bench())), files in \(directory)\n")
    print(row(["work", "crosslink", "raw C", "ratio", "target"]))
    print(row(["----", "---------", "-----", "-----", "------"]))
    print(row(["import catalog+links (rows/s)", String(format: "%.0f", crosslinkRate), String(format: "%.0f", baselineRate),
               String(format: "%.2f×", crosslinkRate / baselineRate), "≥ 0.5×"]))
    let p50 = (percentile(swiftTimes, 0.5), percentile(cTimes, 0.5))
    let p99 = (percentile(swiftTimes, 0.99), percentile(cTimes, 0.99))
    print(row(["related placement p50 (µs)", String(format: "%.1f", p50.0), String(format: "%.1f", p50.1),
               String(format: "%.2f×", p50.0 / p50.1), "≤ 2×"]))
    print(row(["related placement p99 (µs)", String(format: "%.1f", p99.0), String(format: "%.1f", p99.1),
               String(format: "%.2f×", p99.0 / p99.1), ""]))
    print("\nimport: \(rowsWritten) rows (\(report.rows) CSV rows) in \(String(format: "%.3f", importSeconds)) s (CPU \(String(format: "%.3f", importCPU)) s, "
          + "\(String(format: "%.0f", Double(rowsWritten) / importCPU)) rows per CPU second); C: \(String(format: "%.3f", Double(baselineNanoseconds) / 1e9)) s "
          + "(CPU \(String(format: "%.3f", baselineCPU)) s, \(String(format: "%.0f", Double(baselineRows) / baselineCPU)) rows per CPU second)")
    return (p50.1, p99.1)
}
