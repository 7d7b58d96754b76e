import Crosslink
import Foundation
import Synchronization

/// The pools the running command opened, closed by ``CrosslinkCommand/main()`` after the
/// command, whether it succeeded or threw.
enum OpenStores {
    private static let pools = Mutex<[DatabasePool]>([])
    /// Stores with replicas: closing one closes its replicas' pools too.
    private static let stores = Mutex<[CrosslinkStore]>([])

    static func register(_ pool: DatabasePool) {
        pools.withLock { $0.append(pool) }
    }

    static func register(_ store: CrosslinkStore) {
        register(store.pool)
        stores.withLock { $0.append(store) }
    }

    /// Closes every pool (readers, then writer: see `DatabasePool.close()`).
    static func closeAll() {
        for store in stores.withLock({ $0 }) { store.close() }
        for pool in pools.withLock({ $0 }) { pool.close() }
    }

    /// The busy timeout the command opened `path` with; nil `path` (a PostgreSQL error names
    /// no file): its PostgreSQL store's.
    static func busyTimeout(path: String?) -> Int32? {
        pools.withLock { pools in
            pools.first { path == nil ? $0.engine == .postgresql : $0.path == path }?.configuration.busyTimeoutMilliseconds
        }
    }
}

/// Store errors said for a shell user: which file, and the command that fixes it.
enum StoreErrorText {
    struct Explained: Error, CustomStringConvertible {
        let description: String
    }

    static func explained(_ error: any Error) -> any Error {
        switch error {
        case let error as DatabaseError where error.sqlState == "08001":
            return Explained(description: "\(error)\n" + connectionHint(error))
        case let error as DatabaseError where error.resultCode == 5 /* SQLITE_BUSY */:
            return Explained(description: locked(error))
        case StoreError.migrationFailed(_, let error) where error.resultCode == 5 /* SQLITE_BUSY */:
            return Explained(description: locked(error))
        case StoreError.missingFile(let path):
            return Explained(description: "no database at \(path)\(defaultNote(path)). Create one with `crosslink --database \(path) init` "
                + "(or `crosslink --database \(path) demo` for the Magento sample), or name an existing one with --database or CROSSLINK_DATABASE.")
        case StoreError.emptyFile(let path):
            return Explained(description: "\(path) is an empty file (0 bytes), not a Crosslink database; only "
                + "`crosslink --database \(path) init` (or import, demo) turns it into one.")
        case StoreError.schemaNotCurrent(let path, let applied, _) where applied == 0:
            return Explained(description: "\(error). Create the schema with `crosslink --database \(path) init`.")
        case StoreError.schemaNotCurrent(let path, _, _):
            return Explained(description: "\(error). Upgrade it with `crosslink --database \(path) migrate`.")
        default:
            return error
        }
    }

    /// Where the default database was looked for, when `path` is it: a first command run without
    /// --database in another folder than the demo's is the usual way to meet a missing database.
    private static func defaultNote(_ path: String) -> String {
        guard path == GlobalOptions.defaultDatabase, ProcessInfo.processInfo.environment["CROSSLINK_DATABASE"] == nil else { return "" }
        return " (the default when neither --database nor CROSSLINK_DATABASE names one, looked for in \(FileManager.default.currentDirectoryPath))"
    }

    /// What to do about a PostgreSQL connection that failed (the error already names the host,
    /// port and database, never the password).
    private static func connectionHint(_ error: DatabaseError) -> String {
        let database = error.database ?? "the database"
        let message = error.message.lowercased()
        if message.contains("does not exist") && message.contains("database") {
            return "Create it first (createdb \(database), or CREATE DATABASE \(database)), then `crosslink --database URI init`."
        }
        if message.contains("password") || message.contains("authentication") {
            return "The server refused the login: check the user and password in the URI (or ~/.pgpass, PGPASSWORD)."
        }
        if message.contains("invalid") && message.contains("uri") {
            return "A PostgreSQL URI looks like postgresql://user@host:5432/database (or ?host=/socket/directory)."
        }
        return "Check that the server runs and accepts connections at that host and port (pg_isready -h HOST -p PORT)."
    }

    private static func locked(_ error: DatabaseError) -> String {
        let path = error.path ?? error.database.map { "\($0) on host \(error.host ?? "localhost") port \(error.port ?? "5432")" } ?? "the database"
        let waited = OpenStores.busyTimeout(path: error.path) ?? Configuration().busyTimeoutMilliseconds
        var text = "database \(path) is locked: another process held its write lock for the whole \(waited) ms this command waits. "
            + "Wait longer with --busy-timeout MS (or CROSSLINK_BUSY_TIMEOUT=MS), or retry when the other writer is done."
        if let sql = error.sql { text += " (while executing `\(sql.trimmingCharacters(in: .whitespacesAndNewlines))`)" }
        return text
    }
}
