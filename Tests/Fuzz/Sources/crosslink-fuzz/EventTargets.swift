import Crosslink
import Foundation

extension FuzzTargets {
    /// Event parsers (JSON Lines, CSV) and the Online Retail reader, each followed by ingest.
    static var eventTargets: [any FuzzTarget] {
        [EventFileTarget(format: .jsonLines), EventFileTarget(format: .csv), OnlineRetailTarget()]
    }
}

/// A store with the Magento sample in a scratch directory, and ingest that is always rolled back
/// (the database is the same for every input, so a crash replays).
final class IngestSandbox {
    private(set) var store: CrosslinkStore?

    func setUp(_ name: String) throws {
        let store = try CrosslinkStore(path: try FuzzData.scratchDirectory(name).appending(path: "events.sqlite").path)
        _ = try MagentoSampleImporter(store: store).importSample(at: FuzzData.magentoSample)
        self.store = store
    }

    /// Validates, stores and aggregates `events` (invalid ones skipped), then rolls back. Ingest
    /// may refuse an event (an InputError); any other error is a bug, such as
    /// SQL that a validated event makes fail.
    func ingest(_ events: [Event], target: String) {
        struct Rollback: Error {}
        guard let store else { fuzzFailure("setUp did not run") }
        var options = EventIngestOptions()
        options.invalidEvents = .skipInvalid
        do {
            _ = try store.write { db -> Int in
                _ = try EventWriter(db, options: options).append(events)
                throw Rollback()
            }
        } catch is Rollback {
        } catch is InputError {
        } catch {
            fuzzFailure("\(target): ingest threw \(type(of: error)): \(error)\nevents: \(events)")
        }
    }
}

/// `events-jsonl` / `events-csv`: an event file either reads or yields line-precise issues;
/// what reads, written back by the format's writer, reads back as the same events; ingest of
/// what reads never fails with anything but an ingest issue.
final class EventFileTarget: FuzzTarget {
    let format: EventFileFormat
    let sandbox = IngestSandbox()
    var name: String { format == .jsonLines ? "events-jsonl" : "events-csv" }
    var file: String { format == .jsonLines ? "fuzz.jsonl" : "fuzz.csv" }

    init(format: EventFileFormat) { self.format = format }

    func setUp() throws { try sandbox.setUp(name) }

    func run(_ data: Data) {
        let events: [Event]
        do {
            events = try EventFileReader(data: data, file: file, format: format).events()
        } catch let error as InputError {
            for issue in error.additionalIssues ?? [] where issue.location?.file != file || (issue.location?.line ?? -1) < 0 {
                fuzzFailure("badly placed issue \(issue)")
            }
            return
        } catch {
            fuzzFailure("\(name): reader threw \(type(of: error)): \(error)")
        }
        let written = format == .jsonLines
            ? events.map(JSONLinesEventParser.line).joined(separator: "\n") + "\n"
            : CSVEventParser.text(events)
        do {
            let again = try EventFileReader(data: Data(written.utf8), file: file, format: format).events()
            if again != events { fuzzFailure("\(name) round trip changed the events:\n\(events)\n\(again)\nwritten:\n\(written)") }
        } catch {
            fuzzFailure("\(name): written events do not read back: \(error)\nwritten:\n\(written)")
        }
        sandbox.ingest(events, target: name)
    }

    func seeds() throws -> [Data] {
        let directory = FuzzData.packageRoot.appending(path: "Tests/Fuzz/Seeds/\(name)", directoryHint: .isDirectory)
        let files = (try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? []
        var seeds = try files.sorted { $0.path < $1.path }.map { try Data(contentsOf: $0) }
        // The real purchase log, as events in this format, a few invoices at a time.
        let log = try OnlineRetailImporter.read(try EventFileFormat.contents(of: FuzzData.onlineRetailLog), file: "online-retail.csv")
        var start = 0
        while start < log.events.count && seeds.count < 150 {
            let chunk = Array(log.events[start..<min(log.events.count, start + 3)])
            let text = format == .jsonLines ? chunk.map(JSONLinesEventParser.line).joined(separator: "\n") + "\n" : CSVEventParser.text(chunk)
            seeds.append(Data(text.utf8))
            start += 997  // spread over the whole log
        }
        return seeds
    }
}

/// `online-retail`: the UCI Online Retail reader (invoices, cancellations, non-product codes,
/// guest lines) and ingest of the events it makes.
final class OnlineRetailTarget: FuzzTarget {
    let name = "online-retail"
    let sandbox = IngestSandbox()

    func setUp() throws { try sandbox.setUp(name) }

    func run(_ data: Data) {
        let log: OnlineRetailImporter.Log
        do {
            log = try OnlineRetailImporter.read(data, file: "fuzz.csv")
        } catch is InputError {
            return
        } catch {
            fuzzFailure("online-retail reader threw \(type(of: error)): \(error)")
        }
        if log.events.count != log.eventLines.count { fuzzFailure("\(log.events.count) events, \(log.eventLines.count) lines") }
        sandbox.ingest(log.events, target: name)
    }

    func seeds() throws -> [Data] {
        let text = String(decoding: try EventFileFormat.contents(of: FuzzData.onlineRetailLog), as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let header = lines.first else { return [] }
        var seeds: [Data] = []
        var start = 1
        while start < lines.count && seeds.count < 150 {
            seeds.append(Data(([header] + lines[start..<min(lines.count, start + 12)]).joined(separator: "\n").utf8 + [0x0A]))
            start += 1_733
        }
        return seeds
    }
}
