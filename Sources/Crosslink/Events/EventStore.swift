import Foundation

/// Event ingest: append one event, a batch, or a file, each in one write transaction that is
/// committed before the call returns (so a returned call's events survive a crash of the
/// process; with `Configuration.synchronous = .full` also a power loss — see README).
///
/// ```swift
/// let events = EventStore(store: store)
/// try events.append(Event(id: "e-1", type: .productView, time: Date(), visitorID: "v-42",
///                         sessionID: "s-7", sku: "24-MB01"))                     // true: stored
/// let report = try events.append(batch)            // one transaction; duplicates ignored
/// let file = try events.importFile(at: URL(fileURLWithPath: "events.jsonl.gz"))
/// print(file.stored, file.duplicates, file.rejected.count)
/// ```
///
/// Ingest policy (README "Ingest policy"):
/// - An event id already stored is a duplicate: ignored (the first delivery wins), counted.
/// - An invalid event (missing id/visitor/session, a field its type needs, a quantity ≤ 0,
///   a negative price, a time outside 1970…9999, an unknown store, lines on a non-order
///   event) is an issue naming its line or position and field; the rest of the batch or file
///   follows ``EventIngestOptions/invalidEvents``.
/// - A SKU (or category) the catalog does not have is **kept**: stored as sent with a NULL
///   product (category) id and counted in the report and `crosslink events stats`.
public struct EventStore: Sendable {
    public let store: CrosslinkStore
    public let options: EventIngestOptions

    public init(store: CrosslinkStore, options: EventIngestOptions = EventIngestOptions()) {
        self.store = store
        self.options = options
    }

    /// Appends one event in its own transaction. Returns false when its id was already stored;
    /// throws ``InputError/invalidEvents(_:)`` when it is invalid (whatever the policy).
    @discardableResult
    public func append(_ event: Event) throws -> Bool {
        var options = self.options
        options.invalidEvents = .rejectBatch
        let report = try store.write { db in try EventWriter(db, options: options).ingest([event], file: "event") }
        return report.stored == 1
    }

    /// Appends a batch in one transaction. Issues name `batch` and the event's 1-based position.
    @discardableResult
    public func append(_ events: [Event]) throws -> EventIngestReport {
        try store.writeBatch { db in try EventWriter(db, options: options).ingest(events, file: "batch") }
    }

    /// Imports an event file — JSON Lines, CSV or the Online Retail log, gzip or not, format
    /// detected when not given — in one transaction. Issues name the file and line. An Online
    /// Retail log is imported with ``OnlineRetailImporter``'s defaults (no catalog creation).
    /// The file is read as a stream within ``EventIngestOptions/fileLimits``.
    public func importFile(at url: URL, format: EventFileFormat? = nil) throws -> EventIngestReport {
        try importInput(EventFileInput(url: url, limits: options.fileLimits), format: format)
    }

    /// Imports event file bytes (maybe gzip); `file` names them in the report and issues.
    public func importData(_ data: Data, file: String, format: EventFileFormat? = nil) throws -> EventIngestReport {
        try importInput(EventFileInput(data: data, file: file, limits: options.fileLimits), format: format)
    }

    private func importInput(_ input: EventFileInput, format: EventFileFormat?) throws -> EventIngestReport {
        let file = input.file
        guard let format = try format ?? EventFileFormat.detect(file: file, data: input.prefix(EventFileFormat.detectionBytes)) else {
            throw InputError(file: file, line: 0, message: "unknown event file format (name it .jsonl or .csv, or give the format)")
        }
        if format == .onlineRetail {
            var retail = OnlineRetailImporter.Options()
            retail.ingest = options
            return try OnlineRetailImporter(store: store, options: retail).importInput(input).ingest
        }
        return try store.writeBatch { db in
            let session = try EventIngestSession(db: db, file: file, options: options)
            func add(_ item: EventFileReader.Item) throws {
                switch item {
                case .event(let event, let line, let rowLines): try session.add(event, line: line, rowLines: rowLines)
                case .invalid(let issue): try session.reject(issue)
                }
            }
            var warnings: [InputError] = []
            switch format {
            case .jsonLines:
                var lines = EventLineReader(input)
                try JSONLinesEventParser.forEach(&lines, add)
            case .csv:
                warnings = try CSVEventParser.forEach(EventCSVRecords(input: input), add)
            case .onlineRetail:
                preconditionFailure("imported above")
            }
            var report = try session.finish()
            report.warnings = warnings
            return report
        }
    }

    /// The stored events in ingest order, as they were sent (SKUs and categories as given,
    /// times to the millisecond), e.g. to write them back out with ``JSONLinesEventParser/line(_:)``.
    public func events() throws -> [Event] {
        try store.read { db in try EventLog(db).events() }
    }

    /// Counts over the stored events (`crosslink events stats`).
    public func stats() throws -> EventStats {
        try store.read { db in try EventLog(db).stats() }
    }
}

extension EventWriter {
    /// Appends without keeping the stored events (only the aggregates need them).
    func ingest(_ events: [Event], file: String) throws -> EventIngestReport {
        let session = try EventIngestSession(db: db, file: file, options: options)
        for (index, event) in events.enumerated() { try session.add(event, line: index + 1) }
        return try session.finish()
    }
}
