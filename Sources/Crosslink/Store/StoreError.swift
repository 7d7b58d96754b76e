import Foundation

/// Why the store refuses a file or its content, beside what SQLite itself reports
/// (``DatabaseError``): a file that is missing, empty or not a Crosslink database, a schema
/// too old or too new, an edited or failed migration, stored lists damaged by hand, a closed
/// store, a backup target or a check that cannot run. Each message names the database path
/// (or the table and row) and, where there is one, the command that repairs it.
///
/// ```swift
/// var configuration = Configuration()
/// configuration.readOnly = true
/// do { _ = try CrosslinkStore(path: "typo.sqlite", configuration: configuration) }
/// catch StoreError.missingFile(let path) { print("no database at \(path)") }
/// ```
public enum StoreError: CrosslinkError, Equatable {
    /// Opening read-only or without ``Configuration/createIfMissing``: nothing at `path`.
    case missingFile(path: String)
    /// Opening read-only or without ``Configuration/createIfMissing``: a 0-byte file, which
    /// SQLite would silently turn into a new database.
    case emptyFile(path: String)
    /// `path` names a directory, device, fifo or socket.
    case notRegularFile(path: String, kind: String)
    /// Opening read-only a Crosslink database whose schema misses migrations (read-only opens
    /// cannot apply them), or an SQLite file with no Crosslink schema at all (`applied` 0).
    case schemaNotCurrent(path: String, applied: Int, latest: Int)
    /// The store was closed (``CrosslinkStore/close()``).
    case closed(path: String)
    /// ``CrosslinkStore/backup(to:pagesPerStep:progress:)`` refused its target.
    case backupTarget(path: String, reason: String)
    /// ``CrosslinkStore/check(path:level:)`` cannot read the file at all.
    case uncheckable(path: String, reason: String)
    /// A migration file not named `NNNN_name.sql`.
    case badMigrationFileName(String)
    /// An SQLite file that is not a Crosslink database: it is left untouched.
    case notCrosslinkDatabase(path: String, detail: String)
    /// The database was migrated by a newer Crosslink.
    case newerSchema(path: String, databaseVersion: Int, libraryVersion: Int)
    /// An applied migration's file was edited afterwards.
    case checksumMismatch(path: String, fileName: String, recorded: String, expected: String)
    /// A migration's SQL failed; its transaction was rolled back.
    case migrationFailed(fileName: String, error: DatabaseError)
    /// A `pair_lists` or `pair_day_lists` row that is not an object of integer counts.
    /// `key` is e.g. "store_id 1, kind_id 3, product_id 42".
    case malformedPairList(table: String, key: String, reason: String)
    /// An `item_neighbours` row that is not the JSON a refresh writes (bad from byte `offset`).
    case malformedNeighbourList(storeID: Int, productID: Int, offset: Int)
    /// `item_neighbour_state` lost its row.
    case missingNeighbourState
    /// ``CrosslinkStore/copy(from:to:sampleSize:)``: the destination holds data of its own
    /// (`table` has `rows` rows); nothing was written.
    case copyDestinationNotEmpty(destination: String, table: String, rows: Int)
    /// ``CrosslinkStore/copy(from:to:sampleSize:)``: a source table with rows has no counterpart in the destination.
    case copyMissingTable(destination: String, table: String)
    /// ``CrosslinkStore/copy(from:to:sampleSize:)`` from a store to itself.
    case copyOntoItself(String)

    public var description: String {
        switch self {
        case .missingFile(let path): "no database at \(path)"
        case .emptyFile(let path): "\(path) is an empty file (0 bytes), not a database"
        case .notRegularFile(let path, let kind): "\(path) is a \(kind), not a database file"
        case .schemaNotCurrent(let path, let applied, let latest) where applied == 0:
            "\(path) holds no Crosslink schema (latest schema version \(latest))"
        case .schemaNotCurrent(let path, let applied, let latest):
            "\(path) has schema version \(applied), older than this library's \(latest); a read-only open cannot migrate it"
        case .closed(let path): "the store \(path) is closed"
        case .backupTarget(let path, let reason): "cannot back up to \(path): \(reason)"
        case .uncheckable(let path, let reason): "cannot check \(path): \(reason)"
        case .badMigrationFileName(let name):
            "migration file \(name) is not named NNNN_name.sql"
        case .notCrosslinkDatabase(let path, let detail):
            "\(path) is not a Crosslink database (\(detail)); refusing to modify it"
        case .newerSchema(let path, let databaseVersion, let libraryVersion):
            "\(path) has schema version \(databaseVersion), newer than this library knows (\(libraryVersion)); upgrade Crosslink to open it"
        case .checksumMismatch(let path, let fileName, let recorded, let expected):
            "\(path): migration \(fileName) was changed after it was applied (recorded checksum \(recorded.prefix(12))…, file now \(expected.prefix(12))…); write a new migration instead of editing an applied one"
        case .migrationFailed(let fileName, let error):
            "migration \(fileName) failed: \(error)"
        case .malformedPairList(let table, let key, let reason):
            "\(table) row (\(key)): \(reason); a list is {\"other_id\":count,…}: `crosslink aggregates rebuild` recomputes them"
        case .malformedNeighbourList(let store, let product, let offset):
            "item_neighbours row (store_id \(store), product_id \(product)) is not a list of [other_id, similarity, best, kind_id, together] "
                + "(at byte \(offset)); run `crosslink aggregates neighbours --refresh`"
        case .copyDestinationNotEmpty(let destination, let table, let rows):
            "cannot copy into \(destination): it is not empty (table \(table) has \(rows) rows); copy into a new file or an empty database"
        case .copyMissingTable(let destination, let table):
            "cannot copy into \(destination): its schema has no table \(table); upgrade it with `crosslink migrate`"
        case .copyOntoItself(let location):
            "cannot copy \(location) onto itself"
        case .missingNeighbourState:
            "item_neighbour_state has no row (state_id 1): the lists are not served; `crosslink aggregates neighbours --refresh` restores it"
        }
    }
}
