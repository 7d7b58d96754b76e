import ArgumentParser
import Crosslink
import Foundation

extension EventFileFormat: ExpressibleByArgument {}

struct Events: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import visitor events and look at the event log.",
        discussion: """
            Event files are JSON Lines (.jsonl) or CSV (.csv), optionally gzip-compressed, or the UCI Online \
            Retail purchase log. A shop's own CSV log is read through a mapping (--map: a JSON file or a built-in \
            name, rees46 or online-retail; see mappings/ and docs/notes/mapping.md). See README "Events" for the \
            formats and the ingest policy.
            Examples:
              crosslink events import events.jsonl.gz
              crosslink events import --create-catalog Sources/crosslink/SampleData/online-retail/online_retail_2010-12-01_2011-09-25.csv.gz
              crosslink events import --map rees46 --create-catalog 2019-Oct.csv.gz
              crosslink events stats
              crosslink events export --format csv --out events.csv
            """,
        subcommands: [ImportEvents.self, Stats.self, ExportEvents.self])

    struct ImportEvents: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Import an event file in one transaction; ids already stored are skipped.",
            discussion: """
                The format follows the file name (.jsonl, .csv, .gz ignored) or the Online Retail header; \
                --format overrides it. An invalid event stops the import with every bad line listed and \
                nothing stored, unless --skip-invalid (then the valid events are stored and the bad lines listed).
                SKUs not in the catalog are kept and counted (see `crosslink events stats`).
                The new events are folded into the recommendation aggregates as they are stored; for a large \
                file into a small log, --rebuild-aggregates is faster: import without, then rebuild them all. \
                Neighbour lists that exist (`crosslink aggregates neighbours`) are refreshed at the end.
                The file is read as a stream (gzip too): a line longer than --max-line-bytes (default 1 MiB) \
                or more than --max-decompressed-bytes refuses the whole file, nothing stored.
                Until the rebuild of --rebuild-aggregates commits, the aggregates are marked stale in the \
                database (also after a crash): `aggregates status`, `recommend` and `check` say so, and \
                `crosslink aggregates rebuild` or the next import (with or without the flag) rebuilds them.
                Examples:
                  crosslink events import events.jsonl
                  crosslink events import --skip-invalid --json events.csv.gz
                  crosslink events import --format online-retail --create-catalog --rebuild-aggregates online_retail.csv.gz
                  crosslink events import --map mappings/rees46.json --create-catalog 2019-Oct.csv.gz
                """)

        @ParentCommand var root: CrosslinkCommand
        var global: GlobalOptions { root.global }
        @OptionGroup var output: OutputOptions
        @Argument(help: ArgumentHelp("The event file.", valueName: "file")) var file: String
        @Option(help: "jsonl, csv or online-retail (default: from the file name and header).") var format: EventFileFormat?
        @Option(help: ArgumentHelp("Read a CSV log in its own columns through this mapping: a JSON file or a built-in name ("
                                   + EventMapping.builtInNames.joined(separator: ", ") + ").", valueName: "mapping"))
        var map: String?
        @Flag(help: "Online Retail or --map: create the products the catalog lacks (names, latest price; with --map also categories and brands).")
        var createCatalog = false
        @Flag(help: "Store the valid events and list the invalid ones, instead of importing nothing.")
        var skipInvalid = false
        @Option(help: "Online Retail or --map: the store view the events happen in.") var store: String = "default"
        @Flag(help: "Skip incremental aggregation, then rebuild every aggregate in a second transaction (bulk loads).")
        var rebuildAggregates = false
        @Flag(help: "No progress on stderr.") var quiet = false
        @Option(help: ArgumentHelp("Refuse the file if a line (CSV: a record) is longer, in bytes after decompression.",
                                   valueName: "bytes"))
        var maxLineBytes: Int = EventFileLimits().maximumLineBytes
        @Option(help: ArgumentHelp("Refuse the file if it holds more bytes after decompression (default: no limit).",
                                   valueName: "bytes"))
        var maxDecompressedBytes: Int?

        func validate() throws {
            guard maxLineBytes > 0 else { throw ValidationError("--max-line-bytes must be at least 1") }
            if let maxDecompressedBytes, maxDecompressedBytes < 0 { throw ValidationError("--max-decompressed-bytes must be 0 or more") }
        }

        func run() throws {
            let url = URL(fileURLWithPath: file)
            guard FileManager.default.fileExists(atPath: file) else { throw ValidationError("no such file: \(file)") }
            var limits = EventFileLimits()
            limits.maximumLineBytes = maxLineBytes
            limits.maximumDecompressedBytes = maxDecompressedBytes
            if let map {
                if format != nil { throw ValidationError("give --map or --format, not both") }
                return try importMapped(url, mapping: try EventMappingOption.resolve(map), limits: limits)
            }
            guard let format = try format ?? EventFileFormat.detect(at: url, limits: limits) else {
                throw ValidationError("cannot tell the format of \(file): name it .jsonl or .csv, or give --format")
            }
            if format != .onlineRetail && (createCatalog || store != "default") {
                throw ValidationError("--create-catalog and --store apply to --format online-retail or --map only")
            }
            let crosslink = try global.openStore(.create)
            let ingest = ingestOptions(limits)
            let started = ContinuousClock.now
            let report: EventIngestReport
            if format == .onlineRetail {
                var options = OnlineRetailImporter.Options()
                options.ingest = ingest
                options.createCatalog = createCatalog
                options.store = store
                let retail = try OnlineRetailImporter(store: crosslink, options: options).importFile(at: url)
                // Until the rebuild commits, readers see the new events without their aggregates,
                // and the aggregates are marked stale (AggregateStaleness).
                if rebuildAggregates { try rebuild(crosslink) } else { try refreshNeighbours(crosslink) }
                if output.json { return print(try Output.json(retail)) }
                report = retail.ingest
                print("\(retail.file): \(retail.lines) rows, \(retail.invoices) invoices → \(retail.orders) orders, \(retail.cancellations) cancellations "
                      + "(\(retail.orderLines) lines); skipped: \(retail.adjustmentInvoices) adjustment invoices, \(retail.nonProductLines) non-product rows, "
                      + "\(retail.zeroPriceLines) zero-price rows, \(retail.wrongSignLines) wrong-sign rows, \(retail.emptyInvoices) invoices left empty; "
                      + "\(retail.guestInvoices) guest invoices, \(retail.customers) customers; \(retail.productsCreated) products created")
            } else {
                report = try EventStore(store: crosslink, options: ingest).importFile(at: url, format: format)
                if rebuildAggregates { try rebuild(crosslink) } else { try refreshNeighbours(crosslink) }
                if output.json { return print(try Output.json(report)) }
            }
            summarize(report, started: started)
        }

        func ingestOptions(_ limits: EventFileLimits) -> EventIngestOptions {
            var ingest = EventIngestOptions()
            ingest.invalidEvents = skipInvalid ? .skipInvalid : .rejectBatch
            ingest.aggregate = !rebuildAggregates
            ingest.fileLimits = limits
            if !quiet {
                ingest.progress = { progress in
                    Output.error("\(progress.file): \(progress.rows) rows" + (progress.rowsPerSecond > 0 ? ", \(Int(progress.rowsPerSecond)) rows/s" : ""))
                }
            }
            return ingest
        }

        /// A shop's own log through a mapping.
        func importMapped(_ url: URL, mapping: EventMapping, limits: EventFileLimits) throws {
            let crosslink = try global.openStore(.create)
            var options = MappedEventImporter.Options()
            options.ingest = ingestOptions(limits)
            options.createCatalog = createCatalog
            options.store = store
            let started = ContinuousClock.now
            let mapped = try MappedEventImporter(store: crosslink, mapping: mapping, options: options).importFile(at: url)
            if rebuildAggregates { try rebuild(crosslink) } else { try refreshNeighbours(crosslink) }
            if output.json { return print(try Output.json(mapped)) }
            let types = mapped.eventsByType.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            let skipped = (mapped.skippedTypes.merging(mapped.skippedRows) { $0 + $1 }).sorted { $0.key < $1.key }
                .map { "\($0.value) \($0.key)" } + (mapped.wrongSignLines > 0 ? ["\(mapped.wrongSignLines) wrong-sign order lines"] : [])
                + (mapped.emptyOrders > 0 ? ["\(mapped.emptyOrders) orders left empty"] : [])
            print("\(mapped.file) (mapping \(mapped.mapping)): \(mapped.rows) rows → \(types) (\(mapped.orderLines) order lines), "
                  + "\(mapped.sessions) sessions" + (skipped.isEmpty ? "" : "; skipped: " + skipped.joined(separator: ", "))
                  + (createCatalog ? "; \(mapped.productsCreated) products and \(mapped.categoriesCreated) categories created" : ""))
            summarize(mapped.ingest, started: started)
        }

        func summarize(_ report: EventIngestReport, started: ContinuousClock.Instant) {
            for warning in report.warnings { Output.error("warning: \(warning)") }
            for issue in report.rejected { Output.error("rejected: \(issue)") }
            let seconds = (ContinuousClock.now - started) / .seconds(1)
            print("\(report.file): \(report.received) events read, \(report.stored) stored, \(report.duplicates) duplicates ignored, "
                  + "\(report.rejected.count) rejected; \(report.unknownSKUs) with SKUs not in the catalog, "
                  + "\(report.unknownCategories) with unknown categories (\(String(format: "%.2f", seconds)) s)")
        }

        /// Neighbour lists that exist follow the import (a rebuild refreshes them itself).
        func refreshNeighbours(_ crosslink: CrosslinkStore) throws {
            try crosslink.write { db in if try ItemNeighbours(db).isBuilt { _ = try ItemNeighbours(db).refresh() } }
        }

        /// Rebuilds the aggregates after a `--rebuild-aggregates` import.
        func rebuild(_ crosslink: CrosslinkStore) throws {
            if !quiet { Output.error("rebuilding the aggregates…") }
            do {
                try crosslink.write { db in try Aggregates(db).rebuild() }
            } catch {
                Output.error("the events are stored but the aggregates could not be rebuilt: run `crosslink aggregates rebuild`")
                throw error
            }
        }
    }

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Counts over the event log: by type, time range, visitors, sessions, unknown SKUs.",
            discussion: """
                Examples:
                  crosslink events stats
                  crosslink events stats --json
                """)

        @ParentCommand var root: CrosslinkCommand
        var global: GlobalOptions { root.global }
        @OptionGroup var output: OutputOptions

        func run() throws {
            let stats = try EventStore(store: try global.openStore(.read)).stats()
            if output.json { return print(try Output.json(stats)) }
            print(Output.table(["type", "events"], EventType.allCases.map { [$0.rawValue, String(stats.byType[$0.rawValue] ?? 0)] }
                               + [["all", String(stats.events)]]))
            print("""

                from \(stats.first ?? "-") to \(stats.last ?? "-")
                \(stats.visitors) visitors, \(stats.sessions) sessions, \(stats.customers) customers, \(stats.orders) orders with \(stats.orderLines) lines
                \(stats.unknownSKUs) SKUs not in the catalog, in \(stats.unknownSKURows) events and order lines; \(stats.unknownCategories) unknown categories
                """)
            if !stats.topUnknownSKUs.isEmpty {
                print("most frequent unknown SKUs: " + stats.topUnknownSKUs.map { "\($0.sku) (\($0.count))" }.joined(separator: ", "))
            }
        }
    }

    struct ExportEvents: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Write the stored events as JSON Lines or CSV (the formats `events import` reads).",
            discussion: """
                Examples:
                  crosslink events export > events.jsonl
                  crosslink events export --format csv --out events.csv
                """)

        @ParentCommand var root: CrosslinkCommand
        var global: GlobalOptions { root.global }
        @Option(help: "jsonl or csv.") var format: EventFileFormat = .jsonLines
        @Option(help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file")) var out: String?

        func validate() throws {
            if format == .onlineRetail { throw ValidationError("events are exported as jsonl or csv") }
        }

        func run() throws {
            let events = try EventStore(store: try global.openStore(.read)).events()
            if format == .csv {
                try Output.data(CSVEventParser.text(events), out: out)
            } else {
                try Output.jsonText(events.map { JSONLinesEventParser.line($0) + "\n" }.joined(), out: out)
            }
        }
    }
}

/// `--map NAME|FILE`: a mapping file when one exists at the path, else a built-in mapping.
enum EventMappingOption {
    static func resolve(_ text: String) throws -> EventMapping {
        if FileManager.default.fileExists(atPath: text) { return try EventMapping.load(at: URL(fileURLWithPath: text)) }
        if let mapping = EventMapping.builtIn(text) { return mapping }
        throw ValidationError("--map \(text): no such file, and not a built-in mapping (\(EventMapping.builtInNames.joined(separator: ", ")))")
    }
}
