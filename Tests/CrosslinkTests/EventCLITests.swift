import Foundation
import Testing
@testable import Crosslink

/// `crosslink events import | stats | export` as a user runs them.
@Suite struct EventCLITests {
    func crosslink(_ arguments: [String]) throws -> ProcessResult { try run(CLITests.executable, arguments) }

    @Test func importStatsAndExportAJSONLinesFile() throws {
        let dir = try TemporaryDirectory()
        let (database, file) = (dir.path("cli.sqlite"), dir.url.appending(path: "events.jsonl"))
        try Data(EventFileTests.jsonLines.utf8).write(to: file)
        try crosslink(["--database", database, "init"]).expectSuccess()
        // No catalog: the SKUs are kept as unknown. The events use a second store view.
        try run("/usr/bin/sqlite3", [database, "INSERT INTO stores(code, website_id, name) VALUES ('fr', 1, 'French')"]).expectSuccess()
        let imported = try crosslink(["--database", database, "events", "import", "--quiet", file.path])
        try imported.expectSuccess()
        #expect(imported.stdout.hasPrefix("events.jsonl: 11 events read, 11 stored, 0 duplicates ignored, 0 rejected; 8 with SKUs not in the catalog, 1 with unknown categories"))
        let again = try crosslink(["--database", database, "events", "import", "--json", file.path])
        let report = try JSONDecoder().decode(EventIngestReport.self, from: Data(again.stdout.utf8))
        #expect(report.received == 11 && report.stored == 0 && report.duplicates == 11)

        let stats = try JSONDecoder().decode(EventStats.self, from: Data(try crosslink(["--database", database, "events", "stats", "--json"]).stdout.utf8))
        #expect(stats.events == 11 && stats.byType["place-order"] == 1 && stats.unknownSKUs == 3 && stats.unknownSKURows == 8)
        let table = try crosslink(["--database", database, "events", "stats"])
        #expect(table.stdout.contains("product-view            1") && table.stdout.contains("3 SKUs not in the catalog, in 8 events and order lines"))

        let exported = try crosslink(["--database", database, "events", "export"])
        #expect(exported.stdout == everyTypeEvents().map { JSONLinesEventParser.line($0) + "\n" }.joined())
        try crosslink(["--database", database, "events", "export", "--format", "csv", "--out", dir.path("out.csv")]).expectSuccess()
        #expect(try EventFileReader(contentsOf: dir.url.appending(path: "out.csv")).events() == everyTypeEvents())
    }

    @Test func invalidLinesFailTheImportUnlessSkipped() throws {
        let dir = try TemporaryDirectory()
        let (database, file) = (dir.path("cli.sqlite"), dir.url.appending(path: "bad.jsonl"))
        try Data(EventFileTests.badJSONLines.utf8).write(to: file)
        let failed = try crosslink(["--database", database, "events", "import", "--quiet", file.path])
        #expect(failed.status != 0)
        #expect(failed.stderr.contains("9 invalid events, nothing stored:\nbad.jsonl:2: malformed JSON\nbad.jsonl:3: column type: unknown event type \"page-visit\" (event b3)"))
        #expect(try sqlite3Rows(database, "SELECT count(*) FROM events") == [["0"]])
        let skipped = try crosslink(["--database", database, "events", "import", "--quiet", "--skip-invalid", file.path])
        try skipped.expectSuccess()
        #expect(skipped.stdout.contains("11 events read, 2 stored, 0 duplicates ignored, 9 rejected"))
        #expect(skipped.stderr.contains("rejected: bad.jsonl:8: column store: unknown store \"de\" (event b8)"))
    }

    @Test func anOnlineRetailLogWithItsCatalog() throws {
        let dir = try TemporaryDirectory()
        let (database, file) = (dir.path("cli.sqlite"), dir.url.appending(path: "retail.csv"))
        try Data(OnlineRetailImportTests.handBuilt.utf8).write(to: file)
        let result = try crosslink(["--database", database, "events", "import", "--create-catalog", file.path])
        try result.expectSuccess()
        #expect(result.stdout.contains("retail.csv: 13 rows, 8 invoices → 3 orders, 1 cancellations (6 lines); skipped: 1 adjustment invoices, 2 non-product rows, 2 zero-price rows, 2 wrong-sign rows, 3 invoices left empty; 1 guest invoices, 2 customers; 3 products created"))
        #expect(result.stdout.contains("retail.csv: 4 events read, 4 stored, 0 duplicates ignored, 0 rejected; 0 with SKUs not in the catalog"))
        // A bulk load: no incremental aggregation, one rebuild at the end.
        let bulk = try crosslink(["--database", dir.path("bulk.sqlite"), "events", "import", "--create-catalog", "--rebuild-aggregates", file.path])
        try bulk.expectSuccess()
        #expect(bulk.stdout.contains("4 events read, 4 stored") && bulk.stderr.contains("rebuilding the aggregates…"))
        let misuse = try crosslink(["--database", database, "events", "import", "--create-catalog", "--format", "jsonl", file.path])
        #expect(misuse.status != 0 && misuse.stderr.contains("--create-catalog and --store apply to --format online-retail or --map only"))
    }
}

fileprivate extension ProcessResult {
    func expectSuccess(sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        #expect(status == 0, "exit \(status): \(stderr)", sourceLocation: sourceLocation)
    }
}
