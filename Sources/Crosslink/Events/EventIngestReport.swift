import Foundation

/// How event ingest treats invalid events and aggregates.
///
/// ```swift
/// var options = EventIngestOptions()
/// options.invalidEvents = .skipInvalid     // store the valid events, list the others in the report
/// let report = try EventStore(store: store, options: options).importFile(at: url)
/// for issue in report.rejected { print(issue) }  // events.jsonl:17: column time: bad time "yesterday"
/// ```
public struct EventIngestOptions: Sendable {
    /// What happens to the rest of a batch or file when one event is invalid.
    public enum InvalidEvents: String, Sendable, Codable, CaseIterable {
        /// Nothing of the batch/file is stored; the thrown ``InputError/invalidEvents(_:)`` lists
        /// every invalid event (up to ``EventIngestOptions/maximumIssues``). The default: a sender
        /// bug is seen at once.
        case rejectBatch = "reject-batch"
        /// Valid events are stored; each invalid one is listed in ``EventIngestReport/rejected``.
        case skipInvalid = "skip-invalid"
    }

    public var invalidEvents: InvalidEvents = .rejectBatch
    /// Fold the new events into the aggregates in the same transaction (``Aggregates/apply(_:)``).
    /// Turn off only for a bulk load followed by a full aggregate rebuild: until then the
    /// aggregates miss these events, and are marked stale (``AggregateStaleness``) in the
    /// transaction that stores them; the next aggregating ingest or ``Aggregates/rebuild()`` catches up.
    public var aggregate = true
    /// Bounds on reading event files: line length, decompressed size (``EventFileLimits``).
    public var fileLimits = EventFileLimits()
    /// Issues listed before reading stops (a wholly wrong file would otherwise list every line).
    public var maximumIssues = 1_000
    /// Called about every 10 000 events and once at the end of a file, on the importing thread.
    public var progress: (@Sendable (ImportProgress) -> Void)? = nil

    public init() {}
}

/// What an ingest call did.
///
/// ```swift
/// let report = try EventStore(store: store).append(events)
/// print("\(report.stored) stored, \(report.duplicates) duplicates, \(report.unknownSKUs) unknown SKUs")
/// ```
public struct EventIngestReport: Sendable, Equatable, Codable {
    /// The file name, or `batch` / `event` for events handed over in memory.
    public var file: String
    /// Events read or handed over (valid or not; an order spread over several CSV rows is one event).
    public var received = 0
    /// Events newly stored.
    public var stored = 0
    /// Valid events ignored because their id was already stored (earlier, or earlier in the same batch).
    public var duplicates = 0
    /// Invalid events, each with its line (file) or 1-based position (batch) and reason.
    /// With ``EventIngestOptions/InvalidEvents/skipInvalid`` they were skipped; with
    /// `rejectBatch` the call threw ``InputError/invalidEvents(_:)`` instead of returning.
    public var rejected: [InputError] = []
    /// Stored events and order lines whose SKU is not in the catalog: kept with `product_id`
    /// NULL and the SKU as sent (see the ingest policy in README).
    public var unknownSKUs = 0
    /// Stored category views whose category is not in the catalog (kept the same way).
    public var unknownCategories = 0
    /// Non-fatal remarks about the file (e.g. CSV columns that are not read).
    public var warnings: [InputError] = []

    public init(file: String) { self.file = file }

    /// Adds another call's counts (e.g. the batches of one import).
    public mutating func merge(_ other: EventIngestReport) {
        received += other.received
        stored += other.stored
        duplicates += other.duplicates
        rejected += other.rejected
        unknownSKUs += other.unknownSKUs
        unknownCategories += other.unknownCategories
        warnings += other.warnings
    }
}
