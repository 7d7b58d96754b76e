import ArgumentParser
import Crosslink
import Foundation

/// The same work through Crosslink and through raw C SQLite calls (CrosslinkBaseline), in one
/// run, with the ratio. Build in release: the numbers mean nothing in a debug build.
@main struct CrosslinkBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crosslink-bench",
        abstract: "Crosslink against raw C SQLite: the same work on both sides, with the ratio.",
        discussion: """
            Build once in release (debug numbers mean nothing), from the repository root:
              swift build -c release --package-path Benchmarks
            then run one area, or all of them (the default):
              Benchmarks/.build/release/crosslink-bench catalog --products 2000
              Benchmarks/.build/release/crosslink-bench units --help
              Benchmarks/.build/release/crosslink-bench postgresql
              Benchmarks/.build/release/crosslink-bench --database online-retail.sqlite
            Each area prints a table: work, Crosslink, raw C, ratio, target. The databases \
            stay in --directory for inspection.
            """,
        subcommands: [All.self, Catalog.self, Rules.self, Events.self, Recommend.self, Metrics.self, Units.self, PostgreSQL.self],
        defaultSubcommand: All.self)
}

/// Where the benchmark databases go.
struct BenchDirectory: ParsableArguments {
    @Option(help: ArgumentHelp("Folder for the benchmark databases (default: a new folder under the temp directory).", valueName: "dir"))
    var directory: String?

    /// The folder, created when missing.
    func prepared() throws -> String {
        let path = directory ?? FileManager.default.temporaryDirectory.appending(path: "crosslink-bench-\(getpid())").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

extension CrosslinkBench {
    struct All: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every area in turn: catalog, rules, events, recommend, metrics, units (the default).",
            discussion: "Takes every area's options; see each area's --help for what they mean.")

        @OptionGroup var directory: BenchDirectory
        @OptionGroup(title: "Catalog and rules") var catalog: CatalogBenchOptions
        @OptionGroup(title: "Events") var events: EventBenchOptions
        @OptionGroup(title: "Recommendations") var recommend: RecommendBenchOptions
        @OptionGroup(title: "Metrics") var metrics: MetricsBenchOptions
        @OptionGroup(title: "Units") var units: UnitsBenchOptions
        @OptionGroup(title: "An existing database") var database: DatabaseBenchOptions

        func run() throws {
            if let path = database.database { return try runDatabaseBenchmark(database, path: path) }
            let directory = try self.directory.prepared()
            let raw = try runCatalogBenchmark(catalog, directory: directory)
            try runRulesBenchmark(products: catalog.products, lookups: catalog.lookups, directory: directory, rawLinkLookup: raw)
            try runEventIngestBenchmark(events, directory: directory)
            try runRecommendBenchmark(recommend, directory: directory)
            try runMetricsBenchmark(metrics, directory: directory)
            try runUnitsBenchmark(units, directory: directory)
        }
    }

    struct Catalog: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Bulk import of a generated catalog with its links, and related-placement lookups.",
            discussion: """
                Crosslink imports the catalog as a Magento product CSV (parsing included); C inserts the same rows \
                with prepared statements. Then --lookups product-page related placements on the same file, the same \
                SKU sequence on both sides: p50 and p99 in µs. Targets: import ≥ 0.5× C, lookup p50 ≤ 2× C.
                """)

        @OptionGroup var directory: BenchDirectory
        @OptionGroup var catalog: CatalogBenchOptions

        func run() throws {
            _ = try runCatalogBenchmark(catalog, directory: try directory.prepared())
        }
    }

    struct Rules: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Placements with 50 active rules: uncached, cached, and the rule-cache rebuild.",
            discussion: """
                Runs the catalog area first: the raw C related lookup it measures is the reference of the \
                cached-placement target. The rule catalog is generated from the Magento sample's shapes, \
                sized by --products; --lookups placements are timed.
                """)

        @OptionGroup var directory: BenchDirectory
        @OptionGroup var catalog: CatalogBenchOptions

        func run() throws {
            let directory = try self.directory.prepared()
            let raw = try runCatalogBenchmark(catalog, directory: directory)
            try runRulesBenchmark(products: catalog.products, lookups: catalog.lookups, directory: directory, rawLinkLookup: raw)
        }
    }

    struct Events: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Event ingest: generated events and the Online Retail log, batched and one at a time.",
            discussion: """
                Appends --events generated events in batches of --event-batch (one transaction each) through \
                EventStore and through C prepared statements, then the Online Retail log's order events, then \
                --single-appends one-event transactions with synchronous NORMAL and FULL (the latency a storefront \
                waits for an acknowledged event). Aggregation is off (target ≥ 0.9× C) unless --event-aggregates \
                (target ≥ 0.3×).
                """)

        @OptionGroup var directory: BenchDirectory
        @OptionGroup var events: EventBenchOptions

        func run() throws {
            try runEventIngestBenchmark(events, directory: try directory.prepared())
        }
    }

    struct Recommend: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Aggregates on the Online Retail log and the latency of every recommendation type.",
            discussion: """
                The first --rec-log-months of the Online Retail log imported with aggregation off, then rebuilt, \
                then imported with incremental aggregation (both must agree). Then a generated shop of \
                --rec-products products and --rec-sessions sessions, and p50/p99 of each recommendation type \
                against C running the same SQL.
                """)

        @OptionGroup var directory: BenchDirectory
        @OptionGroup var recommend: RecommendBenchOptions

        func run() throws {
            try runRecommendBenchmark(recommend, directory: try directory.prepared())
        }
    }

    struct Metrics: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Unit metrics over a generated log, against the views a sqlite3 user would query.",
            discussion: "A log of --metrics-events events (40 % unit events) read through UnitMetrics and, in C, through the metrics views.")

        @OptionGroup var directory: BenchDirectory
        @OptionGroup var metrics: MetricsBenchOptions

        func run() throws {
            try runMetricsBenchmark(metrics, directory: try directory.prepared())
        }
    }

    struct Units: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Page resolution: a product page of three units, against a raw C single lookup.",
            discussion: """
                The default run is small (a few seconds); the issue's size is \
                --units-products 100000 --units-sessions 330000 (≈ 2 M events, ~20 minutes to set up: \
                keep --directory and pass --units-reuse on later runs).
                """)

        @OptionGroup var directory: BenchDirectory
        @OptionGroup var units: UnitsBenchOptions

        func run() throws {
            try runUnitsBenchmark(units, directory: try directory.prepared())
        }
    }

    struct PostgreSQL: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "postgresql",
            abstract: "The same data on PostgreSQL and SQLite, through Crosslink and through raw libpq (not part of `all`).",
            discussion: """
                Starts a throwaway PostgreSQL 15 cluster (initdb in a temporary directory, a private Unix socket; as root \
                through the postgres user) unless --postgresql names a server. Measures the Magento catalog import, \
                related placements, a product page of three units and event ingest (the COPY path) on both engines, \
                with raw libpq running the same SQL over the same socket, and the round trip over the socket and \
                over TCP. Every measurement runs --pg-runs times: the table shows medians and the PostgreSQL spread.
                """)

        @OptionGroup var directory: BenchDirectory
        @OptionGroup var postgreSQL: PostgreSQLBenchOptions

        func run() throws {
            try runPostgreSQLBenchmark(postgreSQL, directory: try directory.prepared())
        }
    }
}
