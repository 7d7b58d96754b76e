import Foundation
import Testing
@testable import Crosslink

/// The stale-aggregates mark (migration 0011): written with events stored without aggregation,
/// cleared by a rebuild's commit, finished by the next aggregating ingest, and reported by
/// `aggregates status`, `recommend` and `check`. On slices of the shipped Online Retail log.
@Suite struct StaleAggregatesTests {
    /// A store holding the log's first 1,500 rows (aggregated), and rows 2,001–2,600 as a file
    /// (rows 1,501–2,000 are mostly one 1,100-line invoice that begins in the first slice).
    static func store() throws -> (dir: TemporaryDirectory, store: CrosslinkStore, next: URL) {
        let dir = try TemporaryDirectory()
        let lines = try StaleAggregatesCrashTests.shippedLogLines(2_600)
        try StaleAggregatesCrashTests.slice(lines, 1..<1_501, to: dir.path("base.csv"))
        try StaleAggregatesCrashTests.slice(lines, 2_001..<2_601, to: dir.path("next.csv"))
        let store = try makeStore(dir)
        var options = OnlineRetailImporter.Options()
        options.createCatalog = true
        _ = try OnlineRetailImporter(store: store, options: options).importFile(at: dir.url.appending(path: "base.csv"))
        return (dir, store, dir.url.appending(path: "next.csv"))
    }

    /// Imports `file` without aggregation, as `events import --rebuild-aggregates` does before its rebuild.
    static func importWithoutAggregation(_ store: CrosslinkStore, _ file: URL) throws -> OnlineRetailReport {
        var options = OnlineRetailImporter.Options()
        options.createCatalog = true
        options.ingest.aggregate = false
        return try OnlineRetailImporter(store: store, options: options).importFile(at: file)
    }

    @Test func eventsStoredWithoutAggregationMarkTheAggregatesStaleUntilARebuild() throws {
        let (_, store, next) = try Self.store()
        #expect(try store.read { db in try Aggregates(db).staleness() } == nil)
        #expect(try DerivedDataVerifier(store).aggregatesMismatch() == nil)

        let report = try Self.importWithoutAggregation(store, next)
        #expect(report.ingest.stored > 10)
        let stale = try store.read { db in try Aggregates(db).staleness() }
        #expect(stale?.events == report.ingest.stored)
        #expect(stale?.source == "next.csv")
        #expect(try DerivedDataVerifier(store).aggregatesMismatch() != nil)
        #expect(try store.read { db in try Aggregates(db).status() }.stale == stale)

        try store.write { db in try Aggregates(db).rebuild() }
        #expect(try store.read { db in try Aggregates(db).staleness() } == nil)
        #expect(try DerivedDataVerifier(store).aggregatesMismatch() == nil)
    }

    @Test func aRolledBackIngestLeavesNoMark() throws {
        let (_, store, _) = try Self.store()
        var options = EventIngestOptions()
        options.aggregate = false
        let valid = Event(id: "x-1", type: .productView, time: Date(timeIntervalSince1970: 1_300_000_000), visitorID: "v", sessionID: "s", sku: "85123A")
        let invalid = Event(id: "x-2", type: .productView, time: Date(timeIntervalSince1970: 1_300_000_000), visitorID: "", sessionID: "s", sku: "85123A")
        #expect(throws: InputError.self) { try EventStore(store: store, options: options).append([valid, invalid]) }
        #expect(try store.read { db in try Aggregates(db).staleness() } == nil)
        #expect(try store.read { db in try db.scalarInt("SELECT count(*) FROM events WHERE event_key = 'x-1'") } == 0)
    }

    @Test func theNextAggregatingIngestRebuildsInsteadOfFolding() throws {
        let (_, store, next) = try Self.store()
        #expect(try Self.importWithoutAggregation(store, next).ingest.stored > 10)
        // One new event, aggregated: folding it alone would leave the file's events out.
        let event = Event(id: "late-1", type: .productView, time: Date(timeIntervalSince1970: 1_400_000_000), visitorID: "v-9",
                          sessionID: "s-9", sku: "85123A")
        #expect(try EventStore(store: store).append(event))
        #expect(try store.read { db in try Aggregates(db).staleness() } == nil)
        #expect(try DerivedDataVerifier(store).aggregatesMismatch() == nil)
    }

    @Test func aRetriedImportThatStoresNothingNewStillFinishesTheWork() throws {
        let (_, store, next) = try Self.store()
        _ = try Self.importWithoutAggregation(store, next)
        var options = OnlineRetailImporter.Options()
        options.createCatalog = true
        #expect(try DerivedDataVerifier(store).aggregatesMismatch() != nil)
        let again = try OnlineRetailImporter(store: store, options: options).importFile(at: next)
        #expect(again.ingest.stored == 0)
        #expect(try store.read { db in try Aggregates(db).staleness() } == nil)
        #expect(try DerivedDataVerifier(store).aggregatesMismatch() == nil)
    }

    @Test func statusRecommendAndCheckReportTheMarkUntilTheRebuild() throws {
        let (_, store, next) = try Self.store()
        _ = try Self.importWithoutAggregation(store, next)
        let path = store.path
        func crosslink(_ arguments: [String]) throws -> ProcessResult { try run(CLITests.executable, ["--database", path] + arguments) }

        let status = try crosslink(["aggregates", "status"])
        #expect(status.status == 0)
        #expect(status.stdout.hasPrefix("Stale: the aggregates miss "), "\(status.stdout)")
        #expect(status.stdout.contains("latest from next.csv") && status.stdout.contains("crosslink aggregates rebuild"))
        let json = try crosslink(["aggregates", "status", "--json"])
        let decoded = try JSONDecoder().decode(AggregateStatus.self, from: Data(json.stdout.utf8))
        #expect(decoded.stale?.source == "next.csv")

        let recommend = try crosslink(["recommend", "--type", "most-purchased", "--json"])
        #expect(recommend.status == 0)
        #expect(recommend.stderr.hasPrefix("warning: the aggregates miss "), "\(recommend.stderr)")
        #expect(recommend.stdout.contains("\"aggregatesStale\" : true"), "\(recommend.stdout)")

        let check = try crosslink(["check"])
        #expect(check.status == 1)
        #expect(RuleCLITests.line(in: check.stdout, with: ["stale aggregates", "FAILED", "the aggregates miss"]), "\(check.stdout)")
        #expect(RuleCLITests.line(in: check.stdout, with: ["aggregates equal a rebuild", "FAILED"]), "\(check.stdout)")

        #expect(try crosslink(["aggregates", "rebuild"]).status == 0)
        #expect(try crosslink(["aggregates", "status"]).stdout.hasPrefix("Up to date: every stored event is aggregated."))
        let fresh = try crosslink(["recommend", "--type", "most-purchased", "--json"])
        #expect(fresh.stderr.isEmpty && !fresh.stdout.contains("aggregatesStale"))
        let sound = try crosslink(["check"])
        #expect(sound.status == 0, "\(sound.stdout)")
    }
}
