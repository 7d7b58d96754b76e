import ArgumentParser
import Crosslink
import Foundation

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Replay a time split of the event log and score every recommendation type against popularity.",
        discussion: """
            The model learns from the events before the split T (a copy of the database without the later events, \
            asked "as of T"); each test case is what a visitor did from T on: the next products of a session for \
            the product-page types, a visitor's products for the others. Metrics at K: hit rate, precision, recall, \
            NDCG, MRR, catalog coverage, novelty (mean popularity rank) and cold starts (fewer than K products), each \
            type beside the popularity baseline asked the same questions. See README "Offline evaluation".
            Examples:
              crosslink eval                                   # the database's events, T at 80 % of their period
              crosslink eval --split 2011-07-28 --k 5 --types bought-bought,most-purchased
              crosslink eval --online-retail --sample 2000 --seed 7 --html report.html
              crosslink eval --log online_retail.csv.gz --create-catalog --json
              crosslink eval --log 2019-Oct.csv.gz --map rees46 --create-catalog
              crosslink eval --online-retail --grid --sample 1000
            """)

    @ParentCommand var root: CrosslinkCommand
    var global: GlobalOptions { root.global }
    @OptionGroup var output: OutputOptions

    @Flag(help: "Evaluate the shipped Online Retail log (purchases only) with a catalog created from it, instead of the database.")
    var onlineRetail = false
    @Option(help: ArgumentHelp("Evaluate this event file (Online Retail, JSON Lines or CSV) instead of the database: "
                               + "it is imported into a temporary database.", valueName: "file"))
    var log: String?
    @Option(help: ArgumentHelp("Read the --log file through this event mapping: a JSON file or a built-in name ("
                               + EventMapping.builtInNames.joined(separator: ", ") + ").", valueName: "mapping"))
    var map: String?
    @Flag(help: "Online Retail log or --map: create the catalog from it (the model sees only the products with events before T).")
    var createCatalog = false
    @Flag(help: "The database's catalog was created from its log: the model sees only the products with events before T.")
    var catalogSoldBeforeSplit = false
    @Option(help: ArgumentHelp("The split time: 2011-07-28 (UTC midnight) or ISO 8601 with a zone.", valueName: "time"))
    var split: String?
    @Option(help: ArgumentHelp("Split at this fraction of the log's period, rounded up to UTC midnight (default 0.8).", valueName: "fraction"))
    var splitFraction: Double?
    @Option(help: "The list length the metrics are measured at.") var k = 10
    @Option(help: ArgumentHelp("Recommendation types, comma-separated (default: all).", valueName: "types"))
    var types: [String] = []
    @Option(help: ArgumentHelp("At most N test cases per type, drawn with --seed.", valueName: "N")) var sample: Int?
    @Option(help: "The seed of --sample.") var seed: UInt64 = 1
    @Option(help: ArgumentHelp("Only this store's events (default: every store).", valueName: "code")) var store: String?
    @Flag(help: "Keep the products a visitor had interacted with before T in their relevant set.") var includeSeen = false
    @Option(help: "Threads asking the recommender.") var workers = 2
    @Option(help: ArgumentHelp("Keep the model — the database as it was before T, aggregates rebuilt — in this new file "
                               + "(or build it in the empty PostgreSQL database of this URI).", valueName: "file|uri"))
    var keepModel: String?
    @Flag(help: "Also try the settings grid per type and print the best setting per metric.") var grid = false
    @Option(help: ArgumentHelp("Write a self-contained HTML report (bar charts) to this file.", valueName: "file")) var html: String?
    @Flag(help: "Print the results as Markdown tables.") var markdown = false
    @Flag(help: "No progress on stderr.") var quiet = false

    func validate() throws {
        if split != nil && splitFraction != nil { throw ValidationError("give --split or --split-fraction, not both") }
        if onlineRetail && log != nil { throw ValidationError("give --online-retail or --log, not both") }
        if createCatalog && log == nil { throw ValidationError("--create-catalog applies to --log") }
        if map != nil && log == nil { throw ValidationError("--map applies to --log") }
    }

    func run() throws {
        var options = EvaluationOptions()
        if let split {
            let text = split.count == 10 ? split + "T00:00:00Z" : split
            guard let milliseconds = EventTime.parse(text) else {
                throw ValidationError("--split \(split): expected 2011-07-28 or ISO 8601 with a zone, e.g. 2011-07-28T00:00:00Z")
            }
            options.split = .time(EventTime.date(milliseconds))
        } else if let splitFraction {
            options.split = .fraction(splitFraction)
        }
        options.k = k
        if !types.isEmpty {
            options.types = try types.flatMap { $0.split(separator: ",") }.map { name in
                guard let type = RecommendationType(rawValue: String(name).trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("unknown recommendation type \(name); one of: "
                                          + RecommendationType.allCases.map(\.rawValue).joined(separator: ", "))
                }
                return type
            }
        }
        options.sample = sample
        options.seed = seed
        options.store = store
        options.excludeSeen = !includeSeen
        options.workers = workers
        options.modelPath = keepModel
        let progress: ((String) -> Void)? = quiet ? nil : { Output.error($0) }

        let mapping = try map.map(EventMappingOption.resolve)
        let temporary = try TemporaryStore(onlineRetail: onlineRetail, log: log, mapping: mapping, createCatalog: createCatalog, progress: progress)
        let source = try temporary?.store ?? global.openStore(.readWrite)
        options.catalog = catalogSoldBeforeSplit || onlineRetail || createCatalog ? .soldBeforeSplit : .asIs

        let session = try Evaluator(source: source, options: options).prepare(progress: progress)
        let report = try session.run(progress: progress)
        if quiet { for warning in session.warnings { Output.error("warning: " + warning) } }
        let gridReport = grid ? try session.grid(progress: progress) : nil

        if let html {
            try OutputFile.write(EvaluationHTML.document(report, grid: gridReport), to: html)
            progress?("wrote \(html)")
        }
        if output.json {
            struct Both: Encodable { var evaluation: EvaluationReport; var grid: EvaluationGridReport? }
            return print(try Output.json(Both(evaluation: report, grid: gridReport)))
        }
        print("split \(report.split): \(report.trainingEvents) events before, \(report.testEvents) after; K = \(report.k); "
              + "\(report.catalogSize) displayable products; prepared in \(String(format: "%.1f", report.preparationSeconds)) s")
        print(markdown ? EvalTables.markdown(report) : EvalTables.table(report))
        if let gridReport {
            print("")
            print(markdown ? EvalTables.markdown(gridReport) : EvalTables.table(gridReport))
        }
    }
}

/// The evaluation source when it is a log file: a temporary database, deleted afterwards.
private final class TemporaryStore {
    let store: CrosslinkStore
    let directory: URL

    deinit { try? FileManager.default.removeItem(at: directory) }

    init?(onlineRetail: Bool, log: String?, mapping: EventMapping?, createCatalog: Bool, progress: ((String) -> Void)?) throws {
        guard onlineRetail || log != nil else { return nil }
        let url = try onlineRetail ? SampleData.onlineRetailLog : URL(fileURLWithPath: log!)
        guard FileManager.default.fileExists(atPath: url.path) else { throw ValidationError("no such file: \(url.path)") }
        directory = FileManager.default.temporaryDirectory.appending(path: "crosslink-eval-log-\(UUID().uuidString)", directoryHint: .isDirectory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try CrosslinkStore(path: directory.appending(path: "log.sqlite").path)
        let started = ContinuousClock.now
        progress?("importing \(url.lastPathComponent) into a temporary database")
        if let mapping {
            var options = MappedEventImporter.Options()
            options.createCatalog = createCatalog
            let report = try MappedEventImporter(store: store, mapping: mapping, options: options).importFile(at: url)
            for warning in report.ingest.warnings { progress?("warning: \(warning)") }
            progress?("imported \(report.ingest.stored) events in \(String(format: "%.1f", (ContinuousClock.now - started) / .seconds(1))) s")
            return
        }
        let data = try EventFileFormat.contents(of: url)
        let format = EventFileFormat.detect(file: url.lastPathComponent, data: data)
        if format == .onlineRetail {
            var options = OnlineRetailImporter.Options()
            options.createCatalog = onlineRetail || createCatalog
            _ = try OnlineRetailImporter(store: store, options: options).importData(data, file: url.lastPathComponent)
        } else {
            if createCatalog { throw ValidationError("--create-catalog applies to an Online Retail log or --map only") }
            _ = try EventStore(store: store).importData(data, file: url.lastPathComponent, format: format)
        }
        progress?("imported in \(String(format: "%.1f", (ContinuousClock.now - started) / .seconds(1))) s")
    }
}

/// The evaluation's text and Markdown tables.
enum EvalTables {
    static let header = ["hit", "precision", "recall", "ndcg", "mrr", "coverage", "novelty", "cold"]

    static func cells(_ m: EvaluationMetrics) -> [String] { m.printedValues }

    static func cases(_ row: EvaluationRow) -> String {
        row.availableCases == row.metrics.cases ? String(row.metrics.cases) : "\(row.metrics.cases) of \(row.availableCases)"
    }

    static func seconds(_ value: Double) -> String { String(format: "%.2f", value) }

    static func noCases(_ row: EvaluationRow) -> String {
        "no test cases (no \(row.target == .any ? "" : row.target.rawValue + " ")interactions after the split)"
    }

    /// Each type's row, then its popularity baseline's.
    static func table(_ report: EvaluationReport) -> String {
        var rows: [[String]] = []
        for row in report.rows {
            guard row.metrics.cases > 0 else { rows.append([row.type.rawValue, "0", noCases(row)]); continue }
            rows.append([row.type.rawValue, cases(row)] + cells(row.metrics) + [String(row.queries), seconds(row.seconds)])
            rows.append(["  baseline " + row.baselineType.rawValue, ""] + cells(row.baseline))
        }
        return Output.table(["type", "cases"] + header + ["queries", "seconds"], rows) + intervals(report)
    }

    /// The 95 % intervals over cases and the warnings on types with few cases, under the table.
    static func intervals(_ report: EvaluationReport) -> String {
        let rows = report.rows.compactMap { row in row.metrics.intervals.map { [row.type.rawValue, String(row.metrics.cases)] + $0.printedValues } }
        guard !rows.isEmpty else { return "" }
        var text = "\n\n95 % intervals over the cases (hit: Wilson score; the others: t interval of the mean):\n"
            + Output.table(["type", "cases", "hit", "precision", "recall", "ndcg", "mrr"], rows)
        let differences = report.rows.compactMap { row in
            row.versusBaseline.map { [row.type.rawValue, row.baselineType.rawValue] + $0.printedValues + [$0.verdict] }
        }
        if !differences.isEmpty {
            text += "\n\nAgainst the baseline on the same cases (type − baseline, 95 % paired t interval; verdict on NDCG):\n"
                + Output.table(["type", "baseline", "hit", "ndcg", "mrr", "verdict"], differences)
        }
        for row in report.rows { if let warning = row.warning { text += "\nwarning: \(row.type.rawValue): \(warning)" } }
        return text
    }

    static func markdown(_ report: EvaluationReport) -> String {
        var lines = ["| type | cases | hit@\(report.k) | precision | recall | NDCG | MRR | coverage | novelty | cold | queries | seconds |",
                     "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for row in report.rows {
            guard row.metrics.cases > 0 else { lines.append("| \(row.type.rawValue) | 0 | \(noCases(row)) |"); continue }
            lines.append("| \(row.type.rawValue) | \(cases(row)) | " + cells(row.metrics).joined(separator: " | ")
                         + " | \(row.queries) | \(seconds(row.seconds)) |")
            lines.append("| ↳ baseline \(row.baselineType.rawValue) | | " + cells(row.baseline).joined(separator: " | ") + " | | |")
        }
        let intervals = report.rows.compactMap { row in row.metrics.intervals.map { (row, $0) } }
        if !intervals.isEmpty {
            lines += ["", "95 % intervals over the cases (hit: Wilson score; the others: t interval of the mean):", "",
                      "| type | cases | hit | precision | recall | NDCG | MRR |", "|---|---:|---:|---:|---:|---:|---:|"]
            lines += intervals.map { "| \($0.0.type.rawValue) | \($0.0.metrics.cases) | " + $0.1.printedValues.joined(separator: " | ") + " |" }
        }
        let differences = report.rows.compactMap { row in row.versusBaseline.map { (row, $0) } }
        if !differences.isEmpty {
            lines += ["", "Against the baseline on the same cases (type − baseline, 95 % paired t interval; verdict on NDCG):", "",
                      "| type | baseline | hit | NDCG | MRR | verdict |", "|---|---|---:|---:|---:|---|"]
            lines += differences.map { row, d in
                "| \(row.type.rawValue) | \(row.baselineType.rawValue) | " + d.printedValues.joined(separator: " | ") + " | \(d.verdict) |"
            }
        }
        for row in report.rows { if let warning = row.warning { lines += ["", "**Warning**: \(row.type.rawValue): \(warning)"] } }
        return lines.joined(separator: "\n")
    }

    static func table(_ grid: EvaluationGridReport) -> String {
        let rows = grid.rows.map { row in
            [row.type.rawValue, row.label + (row.isLibraryDefault ? " *" : "")] + cells(row.metrics) + [seconds(row.seconds)]
        }
        let best = grid.best.map { best in
            [best.type.rawValue, best.metric, best.label + (best.defaultIsBest ? " *" : ""), String(format: "%.4f", best.value),
             best.defaultValue.map { String(format: "%.4f", $0) } ?? "-"]
        }
        return Output.table(["type", "setting (* = library default)"] + header + ["seconds"], rows) + "\n\n"
            + Output.table(["type", "metric", "best setting", "value", "default's value"], best)
    }

    static func markdown(_ grid: EvaluationGridReport) -> String {
        var lines = ["| type | setting | hit@\(grid.k) | precision | recall | NDCG | MRR | coverage | novelty | cold | seconds |",
                     "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for row in grid.rows {
            lines.append("| \(row.type.rawValue) | \(row.label)\(row.isLibraryDefault ? " **(default)**" : "") | "
                         + cells(row.metrics).joined(separator: " | ") + " | \(seconds(row.seconds)) |")
        }
        lines += ["", "| type | metric | best setting | value | default's value |", "|---|---|---|---:|---:|"]
        for best in grid.best {
            lines.append("| \(best.type.rawValue) | \(best.metric) | \(best.label)\(best.defaultIsBest ? " **(default)**" : "") | "
                         + "\(String(format: "%.4f", best.value)) | \(best.defaultValue.map { String(format: "%.4f", $0) } ?? "-") |")
        }
        return lines.joined(separator: "\n")
    }
}
