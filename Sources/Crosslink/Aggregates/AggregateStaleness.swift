import Foundation

/// The durable mark that stored events are missing from the aggregates (table
/// `aggregate_staleness`, `Migrations/0011_aggregate_staleness.sql`).
///
/// An ingest that stores events without aggregating them (``EventIngestOptions/aggregate`` off:
/// `crosslink events import --rebuild-aggregates`) writes it in the transaction that stores the
/// events; ``Aggregates/rebuild()`` deletes it in its own. So it is set exactly while the
/// aggregates are not a rebuild of the log, even after a crash between the two commits. While
/// it is set, the next ``Aggregates/apply(_:)`` (any aggregating ingest) rebuilds instead of
/// folding its events into aggregates that miss others.
///
/// ```swift
/// if let stale = try store.read({ db in try Aggregates(db).staleness() }) {
///     print("\(stale.events) events since \(stale.since) are not aggregated")
///     try store.write { db in try Aggregates(db).rebuild() }   // clears it
/// }
/// ```
public struct AggregateStaleness: Sendable, Codable, Equatable {
    /// Wall-clock time (ISO 8601, UTC) of the first ingest that left the aggregates behind.
    public var since: String
    /// The file or batch name of the latest such ingest.
    public var source: String
    /// Events stored without aggregation since `since`.
    public var events: Int

    /// What a user is told: where the events came from and how to finish the work.
    public var description: String {
        "the aggregates miss \(events) event\(events == 1 ? "" : "s") stored without aggregation (latest from \(source), since \(since)); "
            + "recommendations do not count them until `crosslink aggregates rebuild` (or the next aggregating import) rebuilds them"
    }

    static func load(_ db: Database) throws -> AggregateStaleness? {
        let statement = try db.cachedStatement("SELECT since, source, events FROM aggregate_staleness WHERE staleness_id = 1")
        statement.reset()
        defer { statement.reset() }
        guard try statement.step() else { return nil }
        return AggregateStaleness(since: statement.text(at: 0), source: statement.text(at: 1), events: statement.int(at: 2))
    }

    /// Records `events` stored by `source` without aggregation, in the caller's transaction.
    static func mark(_ db: Database, source: String, events: Int) throws {
        let sql: SQL = """
            INSERT INTO aggregate_staleness(staleness_id, since, source, events)
            VALUES (1, \(sql: .utcNow), ?1, ?2)
            ON CONFLICT(staleness_id) DO UPDATE SET source = ?1, events = aggregate_staleness.events + ?2
            """
        try db.execute(sql.rendered(engine: db.engine).text, [source, events])
    }

    /// Deletes the mark, in the caller's transaction (the rebuild's).
    static func clear(_ db: Database) throws {
        try db.execute("DELETE FROM aggregate_staleness")
    }
}

extension Aggregates {
    /// The stale mark, or nil when the aggregates hold every stored event.
    public func staleness() throws -> AggregateStaleness? { try AggregateStaleness.load(db) }
}
