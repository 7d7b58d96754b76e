import Foundation

/// The model of an evaluation: a copy of the database that holds only the events before the
/// split T, with its aggregates rebuilt from them, asked with `asOf: T`.
///
/// The copy is a temporary SQLite file whatever the source's engine: a PostgreSQL source is
/// copied table by table from one snapshot (as `crosslink copy` does), so an evaluation needs no
/// right to create databases and never deletes events or rebuilds aggregates on a server that
/// serves the shop. Given a `path` that is a PostgreSQL URI of an empty database, the model is
/// built there instead (and kept), so the recommender answers from PostgreSQL.
///
/// Nothing from T on can leak into it, whatever the aggregates do with sessions or orders that
/// straddle T: those events are not in the file. (`Recommender.recommend(asOf:)` on the full
/// database reads only whole days before T, but a session's eligibility for co-occurrence —
/// at most `maxBasketProducts` products — counts its products after T too; the copy avoids
/// depending on such details.) The catalog is the source's, or only the products sold before
/// T (``EvaluationCatalog/soldBeforeSplit``).
///
/// ```swift
/// let snapshot = try EvaluationSnapshot(source: store, split: t)      // a temporary file
/// let list = try snapshot.recommend(.boughtBought, context: .product("85123A"), limit: 10)
/// ```
public final class EvaluationSnapshot: Sendable {
    /// The training database.
    public let store: CrosslinkStore
    /// T, Unix milliseconds.
    public let split: Int64
    /// Events and order lines the copy kept (before T).
    public let events: Int
    /// The directory to delete with the snapshot (nil: the caller's path is kept).
    private let temporaryDirectory: URL?

    /// Copies `source` (a consistent snapshot: `VACUUM INTO` from SQLite to SQLite, else every
    /// table) to `path` — a new SQLite file or a PostgreSQL URI of an empty database (``StoreLocation``);
    /// by default a new temporary file, deleted with this object — deletes the events from `split`
    /// on, narrows the catalog as asked and rebuilds the aggregates.
    public init(source: CrosslinkStore, split: Int64, catalog: EvaluationCatalog = .asIs, path: String? = nil) throws {
        let directory: URL?
        let target: String
        if let path {
            directory = nil
            target = path
        } else {
            let url = FileManager.default.temporaryDirectory.appending(path: "crosslink-eval-\(UUID().uuidString)", directoryHint: .isDirectory)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            directory = url
            target = url.appending(path: "training.sqlite").path
        }
        do {
            let location = StoreLocation(target)
            if source.engine == .sqlite && location.engine == .sqlite {
                // VACUUM cannot run inside a transaction: the writer's connection, without one.
                try source.pool.writeWithoutTransaction { db in try db.execute("VACUUM INTO ?", [target]) }
                store = try CrosslinkStore(path: target)
            } else {
                // The copy refuses a destination holding data (StoreError.copyDestinationNotEmpty).
                store = try CrosslinkStore(location: target)
                _ = try CrosslinkStore.copyTables(from: source, to: store, destinationName: location.description)
            }
            events = try store.write { db in
                try db.execute("DELETE FROM events WHERE occurred_at >= ?", [Int(split)])
                if catalog == .soldBeforeSplit { try db.execute(Self.deleteUnsoldProducts) }
                try Aggregates(db).rebuild()
                return try db.scalarInt("SELECT count(*) FROM events") ?? 0
            }
        } catch {
            if let directory { try? FileManager.default.removeItem(at: directory) }
            throw error
        }
        self.split = split
        temporaryDirectory = directory
    }

    deinit {
        if let temporaryDirectory { try? FileManager.default.removeItem(at: temporaryDirectory) }
    }

    /// Products with no event left, unless a configurable child of theirs has one.
    static let deleteUnsoldProducts = """
        WITH sold(product_id) AS (
            SELECT product_id FROM events WHERE product_id IS NOT NULL
            UNION SELECT product_id FROM event_lines WHERE product_id IS NOT NULL)
        DELETE FROM products WHERE product_id NOT IN (
            SELECT product_id FROM sold
            UNION SELECT parent_id FROM product_children WHERE child_id IN (SELECT product_id FROM sold))
        """

    /// What `type` recommended as of T (the model's answer to one test case).
    public func recommend(_ type: RecommendationType, context: RecommendationContext = .none, store code: String = "default",
                          limit: Int = 10) throws -> [Recommendation] {
        try store.read { db in try Recommender(db).recommend(type, context: context, store: code, limit: limit, asOf: splitDate) }
    }

    var splitDate: Date { EventTime.date(split) }
}
