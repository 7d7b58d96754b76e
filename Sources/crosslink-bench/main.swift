// crosslink-bench: the same work through Crosslink and through raw C SQLite calls, in one
// run, with the ratio. Build in release: `swift run -c release crosslink-bench`.
//
//   crosslink-bench [--products N] [--links-per-type K] [--lookups M] [--directory DIR]
import CrosslinkBaseline
import Crosslink
import Foundation

struct Options {
    var products = 20_000
    var linksPerType = 4
    var lookups = 20_000
    var directory = FileManager.default.temporaryDirectory.appending(path: "crosslink-bench-\(getpid())").path
    /// Stop after the import and placement table (profiling the import).
    var importOnly = false
    /// Run only the page (units) benchmark.
    var unitsOnly = false
    /// Run only the recommendation benchmark.
    var recsOnly = false
    var eventsOnly = false

    init(arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            func value() -> String {
                guard let value = iterator.next() else { fatalError("\(argument) needs a value") }
                return value
            }
            switch argument {
            case "--products": products = Int(value()) ?? products
            case "--links-per-type": linksPerType = Int(value()) ?? linksPerType
            case "--lookups": lookups = Int(value()) ?? lookups
            case "--directory": directory = value()
            case "--import-only": importOnly = true
            case "--events", "--event-batch", "--single-appends": _ = value(); case "--event-aggregates": break  // EventIngestBench.swift
            case "--rec-sessions", "--rec-products", "--rec-lookups", "--rec-log-months": _ = value()  // read by RecommendBench.swift
            case "--units-products", "--units-sessions", "--units-lookups": _ = value()  // read by UnitsBench.swift
            case "--metrics-events": _ = value()  // read by MetricsBench.swift
            case "--units-reuse": break  // read by UnitsBench.swift
            case "--units-only": unitsOnly = true
            case "--recs-only": recsOnly = true
            case "--events-only": eventsOnly = true
            case "-h", "--help":
                print("usage: crosslink-bench [--products N] [--links-per-type K] [--lookups M] [--directory DIR] [--import-only] [--units-only] [--recs-only] [--events-only]")
                exit(0)
            default: fatalError("unknown argument \(argument)")
            }
        }
    }
}

let options = Options(arguments: CommandLine.arguments)
try FileManager.default.createDirectory(atPath: options.directory, withIntermediateDirectories: true)
if options.unitsOnly {
    try runUnitsBenchmark(arguments: CommandLine.arguments, directory: options.directory)
    exit(0)
}
if options.recsOnly {
    try runRecommendBenchmark(arguments: CommandLine.arguments, directory: options.directory)
    exit(0)
}
if options.eventsOnly {
    try runEventIngestBenchmark(arguments: CommandLine.arguments)
    exit(0)
}
let steps = [1, 7, 13]  // related, upsell, crosssell — must match baseline.c

/// The benchmark catalog as a Magento product CSV (the same rows baseline.c inserts).
func catalogCSV() -> Data {
    var text = "sku,product_type,attribute_set_code,product_websites,name,price,qty,is_in_stock,visibility,product_online,"
        + "related_skus,related_position,upsell_skus,upsell_position,crosssell_skus,crosssell_position\n"
    let n = options.products
    func sku(_ i: Int) -> String { "BENCH-" + String(repeating: "0", count: max(0, 6 - String(i).count)) + String(i) }
    for i in 0..<n {
        var line = "\(sku(i)),simple,Default,base,Bench product \(i),\(10 + i % 90),100,1,\"Catalog, Search\",1"
        for step in steps {
            let targets = (1...options.linksPerType).map { k in (k, (i + k * step) % n) }.filter { $0.1 != i }
            line += ",\"" + targets.map { sku($0.1) }.joined(separator: ",") + "\",\"" + targets.map { String($0.0) }.joined(separator: ",") + "\""
        }
        text += line + "\n"
    }
    return Data(text.utf8)
}

func freshDatabase(_ name: String) throws -> String {
    let path = options.directory + "/" + name
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    _ = try CrosslinkStore(path: path)  // schema only; not measured
    return path
}

func percentile(_ sorted: [Int64], _ p: Double) -> Double {
    Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1000
}

func cError(_ buffer: [CChar]) -> String { String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) }

// 1. Bulk catalog + links: Crosslink imports the CSV (parsing included); C inserts the rows.
let csv = catalogCSV()
let crosslinkPath = try freshDatabase("crosslink.sqlite")
let store = try CrosslinkStore(path: crosslinkPath)
var importOptions = ImportOptions()
/// CPU seconds of this process: on a shared machine wall time also counts waiting for a core.
func cpuSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}
let importStart = ContinuousClock.now
let importCPUStart = cpuSeconds()
let report = try MagentoCSVImporter(store: store, options: importOptions).importData(csv, file: "bench.csv")
let importSeconds = (ContinuousClock.now - importStart) / .seconds(1)
let importCPU = cpuSeconds() - importCPUStart
let rowsWritten = try store.read { db in
    (try db.scalarInt("SELECT count(*) FROM products") ?? 0) + (try db.scalarInt("SELECT count(*) FROM product_websites") ?? 0)
        + (try db.scalarInt("SELECT count(*) FROM product_links") ?? 0)
}

let baselinePath = try freshDatabase("baseline.sqlite")
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
        let sku = "BENCH-" + String(repeating: "0", count: max(0, 6 - String(index).count)) + String(index)
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

func row(_ cells: [String]) -> String {
    zip(cells, [34, 14, 14, 8, 10]).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined()
}
print("Crosslink benchmark — \(options.products) products, \(options.linksPerType) links per type, \(options.lookups) lookups")
print("SQLite \(String(cString: sqlite3_libversion_for_bench())), files in \(options.directory)\n")
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
if options.importOnly { exit(0) }

try runRulesBenchmark(products: options.products, lookups: options.lookups, directory: options.directory, rawLinkLookup: (p50.1, p99.1))
try runEventIngestBenchmark(arguments: CommandLine.arguments)
try runRecommendBenchmark(arguments: CommandLine.arguments, directory: options.directory)
try runMetricsBenchmark(arguments: CommandLine.arguments, directory: options.directory)
try runUnitsBenchmark(arguments: CommandLine.arguments, directory: options.directory)
