import Foundation

/// Why a store could not be opened or used, before SQLite was asked anything.
///
/// ```swift
/// var configuration = Configuration()
/// configuration.readOnly = true
/// do { _ = try CrosslinkStore(path: "typo.sqlite", configuration: configuration) }
/// catch StoreError.missingFile(let path) { print("no database at \(path)") }
/// ```
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
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
        }
    }
}
