// PostgreSQL benchmark (issue 17, "Speed"): the same data in a PostgreSQL store and a SQLite
// store, measured through Crosslink on both and through raw libpq (pg_baseline.c: prepared
// statements running the SQL Crosslink runs, over the same Unix socket) in the same run.
//
//   crosslink-bench postgresql [--postgresql URI] [--pg-products N] [--pg-lookups N] [--pg-events N]
//                              [--pg-pages N] [--pg-runs R]
//
// - Magento catalog import (rows/s: products + website assignments + links): the catalog
//   area's generated CSV through MagentoCSVImporter; libpq sends the same rows as the importer
//   does on PostgreSQL (ids drawn in one query, then INSERT … SELECT FROM unnest of array
//   parameters, 5,000 rows a statement), in one transaction;
// - related placement p50/p99 on the imported catalog (store, SKU, block settings, linked
//   products in one REPEATABLE READ transaction, as Crosslink runs it);
// - a product page of three units (the units area's shop) p50/p99; raw libpq is one related
//   placement on the same database, for scale;
// - event ingest (events/s, aggregation off: the COPY path) in batches of --pg-event-batch;
//   and with incremental aggregation (--pg-aggregated-events of them, no libpq side).
//   --pg-ingest-only measures only the round trips and ingest.
// Every measurement runs --pg-runs times; the table shows the median of the runs and, in the
// last column, the spread of the Crosslink PostgreSQL figure (min–max), to read the noise of a
// shared machine.
import ArgumentParser
import CrosslinkBaseline
import Crosslink
import Foundation

struct PostgreSQLBenchOptions: ParsableArguments {
    @Option(name: .customLong("postgresql"),
            help: ArgumentHelp("A server to use instead of a throwaway cluster: its user must be allowed to CREATE DATABASE "
                               + "(the databases crosslink_bench_* are dropped and made again).", valueName: "uri"))
    var uri: String?
    @Option(name: .customLong("pg-products"), help: "Products of the imported catalog.") var products = 10_000
    @Option(name: .customLong("pg-lookups"), help: "Related placements timed per run and side.") var lookups = 2_000
    @Option(name: .customLong("pg-events"), help: "Generated events appended per run and side.") var events = 100_000
    @Option(name: .customLong("pg-event-batch"), help: "Events per batch (one transaction each).") var batch = 1_000
    @Option(name: .customLong("pg-pages"), help: "Product pages resolved per run and side.") var pages = 300
    @Option(name: .customLong("pg-runs"), help: "Runs of every measurement (the table shows their median).") var runs = 3
    @Option(name: .customLong("pg-aggregated-events"), help: "Generated events appended with aggregation per run and side.")
    var aggregatedEvents = 20_000
    @Flag(name: .customLong("pg-ingest-only"), help: "Measure only round trips and event ingest.") var ingestOnly = false

    func validate() throws {
        guard products >= 100, lookups >= 10, events >= 1_000, batch >= 1, pages >= 10, runs >= 1 else {
            throw ValidationError("--pg-products ≥ 100, --pg-lookups ≥ 10, --pg-events ≥ 1000, --pg-pages ≥ 10, --pg-event-batch and --pg-runs ≥ 1")
        }
    }
}

/// The server and a way to make fresh databases on it.
private final class BenchServer {
    let cluster: BenchCluster?
    let baseURI: String
    private let admin: OpaquePointer

    init(uri: String?) throws {
        if let uri {
            cluster = nil
            baseURI = uri
        } else {
            cluster = try BenchCluster()
            baseURI = cluster!.socketURI("postgres")
        }
        admin = try pgConnect(baseURI)
    }

    deinit {
        pg_baseline_close(admin)
        cluster?.stop()
    }

    /// The URI of a new, empty database `crosslink_bench_<name>` (dropped first if it exists).
    func freshDatabase(_ name: String) throws -> String {
        let database = "crosslink_bench_" + name  // letters, digits and _ of ours: never user text
        try pgExecute(admin, "DROP DATABASE IF EXISTS \(database) WITH (FORCE)")  // FORCE: an earlier run's store may still be connected
        try pgExecute(admin, "CREATE DATABASE \(database)")
        return try replacingDatabase(of: baseURI, with: database)
    }

    /// A fresh, migrated Crosslink store in database `name`.
    func freshStore(_ name: String) throws -> CrosslinkStore {
        try CrosslinkStore(location: try freshDatabase(name))
    }

    var version: String { (try? pgScalar(admin, "SHOW server_version")) ?? "?" }
}

private func pgConnect(_ uri: String) throws -> OpaquePointer {
    var error = [CChar](repeating: 0, count: 512)
    guard let handle = pg_baseline_connect(uri, &error, 512) else { throw BenchFailure("libpq: \(cError(error))") }
    return handle
}

private func pgExecute(_ handle: OpaquePointer, _ sql: String) throws {
    guard pg_baseline_execute(handle, sql) == 0 else { throw BenchFailure(String(cString: pg_baseline_error(handle))) }
}

private func pgScalar(_ handle: OpaquePointer, _ sql: String) throws -> String {
    guard let value = pg_baseline_scalar(handle, sql) else { throw BenchFailure(String(cString: pg_baseline_error(handle))) }
    defer { free(value) }
    return String(cString: value)
}

/// The median of `values` (the mean of the middle two for an even count).
func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

/// One measured figure: per run, Crosslink on PostgreSQL, raw libpq, Crosslink on SQLite.
private struct Figure {
    var label: String
    var format = "%.1f"
    var target: String
    var postgreSQL: [Double] = []
    var libpq: [Double] = []
    var sqlite: [Double] = []

    func line() -> String {
        func cell(_ values: [Double]) -> String { values.isEmpty ? "-" : String(format: format, median(values)) }
        func ratio(_ a: [Double], _ b: [Double]) -> String {
            a.isEmpty || b.isEmpty ? "-" : String(format: "%.2f×", median(a) / median(b))
        }
        let spread = postgreSQL.count > 1 ? String(format: "\(format)–\(format)", postgreSQL.min()!, postgreSQL.max()!) : ""
        return zip([label, cell(postgreSQL), cell(libpq), ratio(postgreSQL, libpq), cell(sqlite), ratio(postgreSQL, sqlite), target, spread],
                   [31, 14, 11, 8, 18, 11, 22, 0]).map { $1 == 0 ? $0 : $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined()
    }
}

func runPostgreSQLBenchmark(_ options: PostgreSQLBenchOptions, directory: String) throws {
    let server = try BenchServer(uri: options.uri)
    let runs = options.runs
    print("\nPostgreSQL \(server.version) (\(server.cluster == nil ? "server given by --postgresql" : "throwaway cluster, " + BenchCluster.settings.joined(separator: ", "))) "
          + "against SQLite \(String(cString: sqlite3_libversion_for_bench())); \(runs) runs of each measurement, medians shown")
    print("Crosslink on PostgreSQL and raw libpq over \(server.cluster == nil ? "the given URI" : "the same Unix socket"); SQLite files in \(directory)\n")

    var figures: [Figure] = []
    var notes: [String] = []

    // 1. Round trips: what every statement pays on the server before any work.
    if let cluster = server.cluster {
        var socket = Figure(label: "round trip, Unix socket (µs)", target: "")
        var tcp = Figure(label: "round trip, TCP 127.0.0.1 (µs)", target: "")
        for _ in 0..<runs {
            socket.libpq.append(try roundTripP50(cluster.socketURI("postgres")))
            tcp.libpq.append(try roundTripP50(cluster.tcpURI("postgres")))
        }
        figures += [socket, tcp]
    }

    if options.ingestOnly {
        let (ingestFigures, ingestNotes) = try ingestBenchmark(options, server: server, directory: directory)
        return printTable(figures + ingestFigures, notes: notes + ingestNotes)
    }

    // 2. Magento catalog import, then the related placement on what it imported.
    let catalog = try CatalogBenchOptions.sized(products: options.products, lookups: options.lookups)
    let csv = catalogCSV(catalog)
    var importFigure = Figure(label: "Magento import (rows/s)", format: "%.0f", target: "≥ 50,000 rows/s")
    var pgCatalog: CrosslinkStore!
    var sqliteCatalog: CrosslinkStore!
    for run in 0..<runs {
        pgCatalog = try server.freshStore("catalog")
        importFigure.postgreSQL.append(try importRate(csv, into: pgCatalog))
        sqliteCatalog = try CrosslinkStore(path: try freshDatabase("pg-bench-catalog.sqlite", in: directory))
        importFigure.sqlite.append(try importRate(csv, into: sqliteCatalog))
        let rawURI = try server.freshDatabase("catalog_libpq")
        _ = try CrosslinkStore(location: rawURI)  // migrated, empty
        let raw = try pgConnect(rawURI)
        defer { pg_baseline_close(raw) }
        let nanoseconds = pg_baseline_insert_catalog(raw, baseline_catalog(products: Int32(options.products), links_per_type: Int32(catalog.linksPerType)))
        guard nanoseconds > 0 else { throw BenchFailure("libpq catalog insert: \(String(cString: pg_baseline_error(raw)))") }
        let rows = try catalogRows(pgCatalog)
        guard rows == (try catalogRows(CrosslinkStore(location: rawURI))) else { throw BenchFailure("libpq and Crosslink imported different rows") }
        importFigure.libpq.append(Double(rows) / (Double(nanoseconds) / 1e9))
        if run == 0 { notes.append("import: \(rows) rows (\(options.products) products, their website, \(catalog.linksPerType) links of each type)") }
    }
    figures.append(importFigure)

    var random = SplitMix64(seed: 42)
    let skus = (0..<options.lookups).map { _ in benchSKU(Int(random.next() % UInt64(options.products))) }
    var placement50 = Figure(label: "related placement p50 (µs)", target: "≤ 500 µs, ≤ 3× libpq")
    var placement99 = Figure(label: "related placement p99 (µs)", target: "")
    let placementRaw = try pgConnect(try catalogURI(server))
    defer { pg_baseline_close(placementRaw) }
    for pass in 0...runs {
        let pg = try placementTimes(pgCatalog, skus: skus)
        let raw = try libpqPlacementTimes(placementRaw, skus: skus)
        let lite = try placementTimes(sqliteCatalog, skus: skus)
        guard pass > 0 else { continue }  // the first pass warms caches and prepares statements
        placement50.postgreSQL.append(percentile(pg, 0.5)); placement99.postgreSQL.append(percentile(pg, 0.99))
        placement50.libpq.append(percentile(raw, 0.5)); placement99.libpq.append(percentile(raw, 0.99))
        placement50.sqlite.append(percentile(lite, 0.5)); placement99.sqlite.append(percentile(lite, 0.99))
    }
    figures += [placement50, placement99]

    // 3. A product page of three units on the units area's shop, built the same on both engines.
    let shopProducts = 2_000, shopSessions = 6_000
    let pgShop = try server.freshStore("units")
    let pgSetup = try UnitsBenchShop.build(products: shopProducts, sessions: shopSessions, into: pgShop)
    let sqliteShop = try CrosslinkStore(path: try freshDatabase("pg-bench-units.sqlite", in: directory))
    let sqliteSetup = try UnitsBenchShop.build(products: shopProducts, sessions: shopSessions, into: sqliteShop)
    // The statistics autovacuum would have gathered a minute after the shop was filled: the
    // measurement is of a store in service, not of one planned as if its tables were empty.
    try pgShop.write { db in try db.execute(script: "ANALYZE") }
    notes.append(String(format: "page: a shop of %d products, %d events (setup %.1f s on PostgreSQL, %.1f s on SQLite); "
                        + "raw libpq = one related placement on it", shopProducts, pgSetup.events, pgSetup.seconds, sqliteSetup.seconds))
    var pageRandom = SplitMix64(seed: 99)
    let pageSKUs = (0..<options.pages).map { _ in GeneratedShop.sku(Int(pageRandom.next() % UInt64(shopProducts))) }
    var page50 = Figure(label: "page, 3 units p50 (µs)", target: "≤ 1,500 µs")
    var page99 = Figure(label: "page, 3 units p99 (µs)", target: "")
    let pageRaw = try pgConnect(try replacingDatabase(of: server.baseURI, with: "crosslink_bench_units"))
    defer { pg_baseline_close(pageRaw) }
    for _ in 0..<runs {
        let (pg, _, pgPages) = try UnitsBenchShop.measure(pgShop, skus: pageSKUs)
        let (lite, _, litePages) = try UnitsBenchShop.measure(sqliteShop, skus: pageSKUs)
        let raw = try libpqPlacementTimes(pageRaw, skus: pageSKUs, warm: true)
        guard pgPages.map({ $0.units.map(\.products.count) }) == litePages.map({ $0.units.map(\.products.count) }) else {
            throw BenchFailure("the pages differ between PostgreSQL and SQLite")
        }
        page50.postgreSQL.append(percentile(pg, 0.5)); page99.postgreSQL.append(percentile(pg, 0.99))
        page50.sqlite.append(percentile(lite, 0.5)); page99.sqlite.append(percentile(lite, 0.99))
        page50.libpq.append(percentile(raw, 0.5)); page99.libpq.append(percentile(raw, 0.99))
    }
    figures += [page50, page99]
    // Each unit alone (the others inactive), once: where a page's time goes on each engine.
    var alone: [String] = []
    for (name, short) in zip(UnitsBenchShop.unitNames, ["related", "viewed-viewed", "more-like-this"]) {
        let subset = Array(pageSKUs.prefix(max(10, pageSKUs.count / 2)))
        let pg = try UnitsBenchShop.measure(pgShop, skus: subset, only: name).0
        let lite = try UnitsBenchShop.measure(sqliteShop, skus: subset, only: name).0
        alone.append(String(format: "%@ %.0f / %.0f", short, percentile(pg, 0.5), percentile(lite, 0.5)))
    }
    notes.append("page units alone, p50 µs PostgreSQL / SQLite: " + alone.joined(separator: ", "))

    let (ingestFigures, ingestNotes) = try ingestBenchmark(options, server: server, directory: directory)
    printTable(figures + ingestFigures, notes: notes + ingestNotes)
}

private func printTable(_ figures: [Figure], notes: [String]) {
    print(zip(["work", "Crosslink PG", "raw libpq", "ratio", "Crosslink SQLite", "PG/SQLite", "target", "PG runs min–max"],
              [31, 14, 11, 8, 18, 11, 22, 0]).map { $1 == 0 ? $0 : $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined())
    print(String(repeating: "-", count: 120))
    for figure in figures { print(figure.line()) }
    print("")
    for note in notes { print("  " + note) }
    print("  load average \(UnitsBenchShop.loadAverage()) on \(ProcessInfo.processInfo.activeProcessorCount) cores")
}

/// 4. and 5.: event ingest, by COPY without aggregation and with incremental aggregation.
private func ingestBenchmark(_ options: PostgreSQLBenchOptions, server: BenchServer, directory: String) throws -> ([Figure], [String]) {
    let runs = options.runs
    var figures: [Figure] = []
    var notes: [String] = []
    // 4. Event ingest without aggregation: the COPY path on PostgreSQL.
    var ingest = Figure(label: "event ingest (events/s)", format: "%.0f", target: "≥ 100,000 events/s")
    let categoryPaths = (0..<20).map { ["Default Category", "Cat \($0)"] }
    let eventProducts = (0..<10_000).map { Product(sku: String(format: "GEN-%05d", $0), name: "Generated \($0)", price: Double(5 + $0 % 90)) }
    let events = generatedEvents(count: options.events, products: eventProducts.count, categories: categoryPaths.map { $0.joined(separator: "/") })
    for _ in 0..<runs {
        let pg = try server.freshStore("events")
        try fillEventCatalog(pg, products: eventProducts, categories: categoryPaths)
        ingest.postgreSQL.append(try ingestRate(events, batch: options.batch, into: pg))
        let lite = try eventDatabase("pg-bench-events.sqlite", in: directory, products: eventProducts, categories: categoryPaths)
        ingest.sqlite.append(try ingestRate(events, batch: options.batch, into: lite))
        let rawURI = try server.freshDatabase("events_libpq")
        let rawStore = try CrosslinkStore(location: rawURI)
        try fillEventCatalog(rawStore, products: eventProducts, categories: categoryPaths)
        ingest.libpq.append(try libpqIngestRate(events, batch: options.batch, store: rawStore, uri: rawURI))
        let (a, b) = (try eventCounts(pg), try eventCounts(rawStore))
        guard a == b else { throw BenchFailure("event ingest: Crosslink stored \(a), libpq \(b) (events, with product, with category, lines)") }
    }
    notes.append("ingest: \(options.events) generated events (1 % re-deliveries, 1 % unknown SKUs), batches of \(options.batch), aggregation off")
    figures.append(ingest)

    // 5. The same with incremental aggregation, as `events import` stores events by default.
    var aggregated = Figure(label: "ingest, aggregated (events/s)", format: "%.0f", target: "≥ 20,000 events/s")
    let aggregatedEvents = Array(events.prefix(options.aggregatedEvents))
    for _ in 0..<runs {
        let pg = try server.freshStore("events")
        try fillEventCatalog(pg, products: eventProducts, categories: categoryPaths)
        aggregated.postgreSQL.append(try ingestRate(aggregatedEvents, batch: options.batch, into: pg, aggregate: true))
        let lite = try eventDatabase("pg-bench-events.sqlite", in: directory, products: eventProducts, categories: categoryPaths)
        aggregated.sqlite.append(try ingestRate(aggregatedEvents, batch: options.batch, into: lite, aggregate: true))
    }
    notes.append("ingest, aggregated: the first \(aggregatedEvents.count) of those events, batches of \(options.batch)")
    figures.append(aggregated)

    return (figures, notes)
}

private func catalogURI(_ server: BenchServer) throws -> String { try replacingDatabase(of: server.baseURI, with: "crosslink_bench_catalog") }

extension CatalogBenchOptions {
    /// The catalog area's options with these sizes (parsed: a ParsableArguments has its defaults only then).
    static func sized(products: Int, lookups: Int) throws -> CatalogBenchOptions {
        try CatalogBenchOptions.parse(["--products", String(products), "--lookups", String(lookups)])
    }
}

/// p50 of 2,000 prepared `SELECT 1` round trips, in µs (after 200 to warm up).
private func roundTripP50(_ uri: String) throws -> Double {
    let handle = try pgConnect(uri)
    defer { pg_baseline_close(handle) }
    var times = [Int64](repeating: 0, count: 2_000)
    guard pg_baseline_round_trips(handle, 200, &times) == 0, pg_baseline_round_trips(handle, Int32(times.count), &times) == 0 else {
        throw BenchFailure("round trips: \(String(cString: pg_baseline_error(handle)))")
    }
    return percentile(times.sorted(), 0.5)
}

private func importRate(_ csv: Data, into store: CrosslinkStore) throws -> Double {
    let start = ContinuousClock.now
    _ = try MagentoCSVImporter(store: store, options: ImportOptions()).importData(csv, file: "bench.csv")
    let elapsed = seconds(ContinuousClock.now - start)
    return Double(try catalogRows(store)) / elapsed
}

private func catalogRows(_ store: CrosslinkStore) throws -> Int {
    try store.read { db in
        (try db.scalarInt("SELECT count(*) FROM products") ?? 0) + (try db.scalarInt("SELECT count(*) FROM product_websites") ?? 0)
            + (try db.scalarInt("SELECT count(*) FROM product_links") ?? 0)
    }
}

/// Sorted nanoseconds of one related placement per SKU through Crosslink.
private func placementTimes(_ store: CrosslinkStore, skus: [String]) throws -> [Int64] {
    var times: [Int64] = []
    times.reserveCapacity(skus.count)
    for sku in skus {
        let start = DispatchTime.now().uptimeNanoseconds
        let related = try store.read { db in try Placements(db).related(for: sku) }
        times.append(Int64(DispatchTime.now().uptimeNanoseconds - start))
        guard !related.isEmpty else { throw BenchFailure("no related products for \(sku)") }
    }
    return times.sorted()
}

/// Sorted nanoseconds of the same placements through raw libpq (`warm`: one untimed pass first).
private func libpqPlacementTimes(_ handle: OpaquePointer, skus: [String], warm: Bool = false) throws -> [Int64] {
    var times = [Int64](repeating: 0, count: skus.count)
    let block = RuleEngine.blockContextSQL.replacingOccurrences(of: "?1", with: "$1").replacingOccurrences(of: "?2", with: "$2")
    let linked = Placements.linkedSQL(for: .postgresql)
    let pointers = skus.map { strdup($0)! }
    defer { pointers.forEach { free($0) } }
    for _ in 0..<(warm ? 2 : 1) {
        let found = pointers.map { UnsafePointer($0) }.withUnsafeBufferPointer { buffer in
            pg_baseline_related_lookups(handle, buffer.baseAddress, Int32(skus.count), &times, block, linked)
        }
        guard found > 0 else { throw BenchFailure("libpq placements: \(String(cString: pg_baseline_error(handle)))") }
    }
    return times.sorted()
}

/// Events per second appending `events` in batches through EventStore (aggregation off unless `aggregate`).
private func ingestRate(_ events: [Event], batch: Int, into store: CrosslinkStore, aggregate: Bool = false) throws -> Double {
    var options = EventIngestOptions()
    options.aggregate = aggregate
    let ingest = EventStore(store: store, options: options)
    let start = ContinuousClock.now
    for first in stride(from: 0, to: events.count, by: batch) {
        try ingest.append(Array(events[first..<min(events.count, first + batch)]))
    }
    return Double(events.count) / seconds(ContinuousClock.now - start)
}

/// The same through raw libpq, its SKUs and categories resolved beforehand (not timed).
private func libpqIngestRate(_ events: [Event], batch: Int, store: CrosslinkStore, uri: String) throws -> Double {
    let (products, categories, storeID) = try store.read { db in
        (Dictionary(uniqueKeysWithValues: try db.rows("SELECT sku, product_id FROM products").map { row -> (String, Int64) in
            guard case .text(let sku) = row[0], case .integer(let id) = row[1] else { return ("", 0) }
            return (sku.lowercased(), id)
        }), Dictionary(uniqueKeysWithValues: try db.rows("SELECT name_path, category_id FROM categories").map { row -> (String, Int64) in
            guard case .text(let path) = row[0], case .integer(let id) = row[1] else { return ("", 0) }
            return (path, id)
        }), try StoreRepository(db).store(code: "default").id)
    }
    let cEvents = CEvents(events, storeID: Int64(storeID))
    let lineProducts = events.flatMap { $0.lines.map { products[$0.sku.lowercased()] ?? 0 } }
    let handle = try pgConnect(uri)
    defer { pg_baseline_close(handle) }
    let nanoseconds = cEvents.events.withUnsafeBufferPointer { cBuffer in
        let resolved = (0..<events.count).map { index in
            pg_baseline_event(event: cBuffer.baseAddress! + index, product_id: events[index].sku.flatMap { products[$0.lowercased()] } ?? 0,
                              category_id: events[index].category.flatMap { categories[$0] } ?? 0)
        }
        return cEvents.lines.withUnsafeBufferPointer { lines in
            pg_baseline_events_append(handle, resolved, Int32(resolved.count), lines.baseAddress, lineProducts, Int32(batch))
        }
    }
    guard nanoseconds > 0 else { throw BenchFailure("libpq event ingest: \(String(cString: pg_baseline_error(handle)))") }
    return Double(events.count) / (Double(nanoseconds) / 1e9)
}

/// Events, events with a product, with a category, order lines: equal on both sides.
private func eventCounts(_ store: CrosslinkStore) throws -> [Int] {
    try store.read { db in
        [try db.scalarInt("SELECT count(*) FROM events") ?? -1, try db.scalarInt("SELECT count(product_id) FROM events") ?? -1,
         try db.scalarInt("SELECT count(category_id) FROM events") ?? -1, try db.scalarInt("SELECT count(*) FROM event_lines") ?? -1]
    }
}
