/// The behavioural aggregates (`Migrations/0004_aggregates.sql`): distinct-session counts per
/// product and day/hour, co-occurrence counts, per-visitor history, and the live windows that
/// the recommendation types read.
///
/// Ingest calls ``apply(_:)`` with the events it has just stored, in its write transaction, so
/// the aggregates never lag the log. ``rebuild()`` recomputes everything from the log (repair,
/// a changed window, a bulk load without aggregation): on SQLite counted in Swift
/// (`FastRebuild`), on PostgreSQL with the set-based SQL that defines the tables; it leaves
/// the same rows as the incremental path.
///
/// ```swift
/// try store.write { db in try Aggregates(db).rebuild() }
/// let settings = try store.read { db in try Aggregates(db).settings() }
/// print(settings.popularityDays)  // 14
/// ```
///
/// What is counted (rolled up: a configurable child counts as its parent):
/// - a session counts once per product for each of view, add-to-cart, purchase and
///   cancellation, on the day (and hour) of its first one;
/// - place-order lines add units and revenue, cancel-order lines subtract them; an order
///   counts for bought-together, and a cancel-order of several products subtracts their pairs;
/// - viewed-viewed: sessions that viewed both; viewed-bought: sessions whose first view of A
///   precedes their first purchase of B; sessions and orders of more than
///   ``RecommendationSettings/maxBasketProducts`` products give no co-occurrence evidence.
public struct Aggregates {
    let db: Database
    public init(_ db: Database) { self.db = db }

    /// Folds newly stored events (never duplicates) into the aggregates. Inside a transaction
    /// (ingest's) it writes in it, and an error means the caller must roll it back (as
    /// ``CrosslinkStore/write(_:)`` does); outside one it opens its own. No savepoint: one would
    /// copy every page the aggregates touch into a sub-journal.
    ///
    /// While the aggregates are stale (``staleness()``: events were stored without them) folding
    /// would leave them short of those events, so this rebuilds from the log instead (which
    /// holds `events` already) and clears the mark.
    public func apply(_ events: [StoredEvent]) throws {
        guard !events.isEmpty else { return }
        try inTransaction {
            if try AggregateStaleness.load(db) != nil { return try rebuild() }
            let settings = try RecommendationSettings.load(db)
            let old = try AggregateState.load(db)
            var new = old
            for event in events { new.include(event.occurredAt) }
            let tables = AggregateTables(db: db)
            var moved = false
            if let oldFirst = old.firstAt, let oldLast = old.lastAt, let newLast = new.lastAt, newLast > oldLast {
                let (from, to) = (AggregateWindows.live(lastAt: oldLast, settings: settings), AggregateWindows.live(lastAt: newLast, settings: settings))
                moved = from.popularity != to.popularity
                try tables.move(from: from, to: to, span: oldFirst...oldLast)
            }
            var collector = try AggregateCollector(db: db, maxBasketProducts: settings.maxBasketProducts)
            try collector.collect(events)
            let changed = try tables.write(collector.deltas, live: .live(lastAt: new.lastAt!, settings: settings))
            try collector.save()
            try new.save(db)
            // The lists depend only on the popularity window's viewer and conversion counts.
            if moved || changed { try ConversionRanks(db: db).refresh() }
        }
    }

    /// Recomputes every aggregate from the event log and the catalog, in the
    /// caller's transaction or its own (see ``apply(_:)``), and clears the stale mark
    /// (``staleness()``) in it.
    public func rebuild() throws {
        try rebuild(method: db.engine == .sqlite ? .counted : .sql)
    }

    /// How ``rebuild()`` computes the tables. Both leave the same rows; `sql` is the definition.
    public enum RebuildMethod: Sendable {
        /// Set-based SQL (`rebuildSQL(_:)`, then `AggregateTables.fill(_:)`).
        case sql
        /// Counted in Swift from one read of the log, written in bulk (`FastRebuild`). Used on
        /// SQLite; on PostgreSQL the SQL runs in the server next to the data.
        case counted
    }

    /// Rebuilds with `method` (``rebuild()`` picks the engine's); see ``rebuild()``. The counted
    /// rebuild writes SQLite's text pair lists and is refused on PostgreSQL (jsonb lists there).
    public func rebuild(method: RebuildMethod) throws {
        if method == .counted && db.engine == .postgresql {
            throw RequestError(.invalidOption, "the counted aggregate rebuild runs on SQLite only; PostgreSQL rebuilds with the SQL definition")
        }
        // The counted rebuild writes every table in key order: SQLite's default cache suffices.
        try inTransaction(raisingCache: method == .sql) {
            try AggregateStaleness.clear(db)
            switch method {
            case .sql:
                try db.execute(script: Self.rebuildSQL(db.engine))
                let state = try AggregateState.load(db)
                if let lastAt = state.lastAt {
                    try AggregateTables(db: db).fill(.live(lastAt: lastAt, settings: try RecommendationSettings.load(db)))
                }
                try db.execute(script: Self.dropRebuildTables(db.engine))
            case .counted:
                try withoutMemoryMap { try FastRebuild.run(db) }
            }
            try ConversionRanks(db: db).refresh()
            try refreshNeighbourLists()
        }
    }

    /// A rebuild reads the log and the old aggregates once, in order: mapped pages would add
    /// the whole file to the process's resident memory for no gain (a rebuild of the Online
    /// Retail database had 148 MB of it file-backed).
    private func withoutMemoryMap(_ body: () throws -> Void) throws {
        guard db.engine == .sqlite, let size = try db.scalarInt("PRAGMA mmap_size"), size > 0 else { return try body() }
        try db.execute(script: "PRAGMA mmap_size = 0")
        defer { try? db.execute(script: "PRAGMA mmap_size = \(size)") }
        try body()
    }

    private func inTransaction(raisingCache: Bool = true, _ body: () throws -> Void) throws {
        if raisingCache { try ensurePageCache() }
        if db.isInTransaction { try body() } else { try db.inTransaction(.immediate, body) }
    }

    /// The co-occurrence tables take random writes all over their B-trees: with SQLite's
    /// default 2 MiB page cache a batch rereads and spills the same pages again and again.
    /// The writer keeps at least ``pageCacheKiB`` of cache from its first aggregation on.
    static let pageCacheKiB = 65_536

    private func ensurePageCache() throws {
        guard db.engine == .sqlite else { return }  // PostgreSQL's shared buffers are the server's
        let size = try db.scalarInt("PRAGMA cache_size") ?? 0
        let kib = size < 0 ? -size : size * (try db.scalarInt("PRAGMA page_size") ?? 4_096) / 1_024
        if kib < Self.pageCacheKiB { try db.execute(script: "PRAGMA cache_size = -\(Self.pageCacheKiB)") }
    }

    /// Neighbour lists that exist follow a rebuild or a change of what counts as a pair.
    private func refreshNeighbourLists() throws {
        if try ItemNeighbours(db).isBuilt { try ItemNeighbours(db).refresh() }
    }

    /// The stored settings.
    public func settings() throws -> RecommendationSettings { try RecommendationSettings.load(db) }

    /// Stores `settings`; rebuilds the aggregates when a window or the basket cap changed.
    public func configure(_ settings: RecommendationSettings) throws {
        try db.inTransaction {
            let old = try RecommendationSettings.load(db)
            try settings.save(db)
            if settings.aggregatesDiffer(from: old) {
                try rebuild()
            } else {
                try ConversionRanks(db: db).refresh()
                if settings.minimumSupport != old.minimumSupport || settings.minimumViewSupport != old.minimumViewSupport {
                    try refreshNeighbourLists()
                }
            }
        }
    }

    /// Row counts of the aggregate tables and the span of the log (for `crosslink aggregates status`).
    public func status() throws -> AggregateStatus {
        let state = try AggregateState.load(db)
        var tables: [String: Int] = [:]
        for table in AggregateStatus.tables {
            tables[table] = try db.scalarInt("SELECT count(*) FROM \(table)") ?? 0
        }
        return AggregateStatus(firstEventAt: state.firstAt, lastEventAt: state.lastAt, rows: tables, settings: try settings(),
                               stale: try staleness())
    }
}

/// What `crosslink aggregates status` prints.
public struct AggregateStatus: Sendable, Codable {
    public var firstEventAt: Int64?
    public var lastEventAt: Int64?
    /// Rows per aggregate table.
    public var rows: [String: Int]
    public var settings: RecommendationSettings
    /// Set while stored events are missing from the aggregates (see ``AggregateStaleness``).
    public var stale: AggregateStaleness?

    static let tables = ["session_products", "visitor_products", "product_days", "product_hours", "store_days", "pair_day_rows",
                         "pair_day_lists", "product_windows", "store_windows", "pair_window_rows", "pair_lists", "trend_windows"]
}

/// The span of the aggregated log (`aggregate_state`).
struct AggregateState: Equatable {
    var firstAt: Int64?
    var lastAt: Int64?

    mutating func include(_ time: Int64) {
        firstAt = firstAt.map { min($0, time) } ?? time
        lastAt = lastAt.map { max($0, time) } ?? time
    }

    static func load(_ db: Database) throws -> AggregateState {
        let statement = try db.cachedStatement("SELECT first_at, last_at FROM aggregate_state WHERE state_id = 1")
        statement.reset()
        defer { statement.reset() }
        guard try statement.step() else { return AggregateState() }
        return AggregateState(firstAt: statement.optionalInt(at: 0).map(Int64.init), lastAt: statement.optionalInt(at: 1).map(Int64.init))
    }

    func save(_ db: Database) throws {
        try db.execute("UPDATE aggregate_state SET first_at = ?, last_at = ? WHERE state_id = 1",
                       [firstAt.map(Int.init), lastAt.map(Int.init)])
    }
}
