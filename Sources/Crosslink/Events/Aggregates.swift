/// The behavioural aggregates (0004_aggregates), kept current as events arrive.
///
/// PLACEHOLDER until the aggregates engineer lands the real implementation: `apply` does nothing.
public struct Aggregates {
    let db: Database
    public init(_ db: Database) { self.db = db }

    /// Folds newly stored events into the aggregate tables (called by ingest, same transaction).
    public func apply(_ events: [StoredEvent]) throws {}
}
