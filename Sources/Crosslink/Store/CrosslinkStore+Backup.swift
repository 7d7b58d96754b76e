import CSQLite
import Foundation

extension CrosslinkStore {
    /// How far a ``backup(to:pagesPerStep:progress:)`` is.
    public struct BackupProgress: Sendable, Equatable {
        public var pagesCopied: Int
        public var pageCount: Int
    }

    /// A finished backup.
    public struct BackupReport: Sendable, Equatable {
        /// The backup file.
        public var path: String
        public var pageCount: Int
        public var bytes: Int
    }

    /// Copies the database to `target` while other connections and processes keep writing: the
    /// copy is the database as of one commit, checked with `PRAGMA quick_check`, and appears at
    /// `target` only when complete (a temporary file in the target's directory, renamed).
    ///
    /// ```swift
    /// try store.backup(to: "/backups/shop.sqlite") { print("\($0.pagesCopied)/\($0.pageCount) pages") }
    /// ```
    ///
    /// SQLite's online backup API rather than `VACUUM INTO`: it copies pages as they are (the
    /// copy's b-trees and freelist are the source's, no index is rebuilt) and `pagesPerStep` at a
    /// time, which gives progress. The backup runs inside one read transaction on a reader
    /// connection, held across all steps: `sqlite3_backup_step` then copies that snapshot and
    /// never restarts (it restarts from page 1 only when its source connection starts a new
    /// read transaction after another connection wrote). In WAL mode writers do not wait for a
    /// reader, so they commit throughout; only checkpoints cannot pass the snapshot, so the WAL
    /// grows during the copy.
    ///
    /// - A target that exists must be a regular file (never a symlink, device or fifo: renaming
    ///   over `/dev/null` would replace the device), not this database, and without a `-wal` or
    ///   `-journal` (SQLite would apply it to the new file).
    /// - A backup killed midway leaves the target as it was and a temporary
    ///   `.NAME.crosslink-backup-PID` file, removed by the next backup to the same target.
    @discardableResult
    public func backup(to target: String, pagesPerStep: Int = 1_024,
                       progress: ((BackupProgress) -> Void)? = nil) throws -> BackupReport {
        try Self.checkBackupTarget(target, source: path)
        let directory = StoreFile.directory(of: target)
        let prefix = "." + (target as NSString).lastPathComponent + ".crosslink-backup-"
        Self.removeAbandonedBackups(in: directory, prefix: prefix)
        let temporary = (directory as NSString).appendingPathComponent(prefix + String(getpid()))
        var renamed = false
        defer { if !renamed { Self.removeBackupFiles(temporary) } }
        Self.removeBackupFiles(temporary)

        var configuration = Configuration()
        configuration.mmapSizeBytes = 0
        configuration.busyTimeoutMilliseconds = pool.configuration.busyTimeoutMilliseconds
        let destination = try Database(path: temporary, configuration: configuration, readOnly: false, writerSettings: false)
        defer { destination.close() }
        let pageCount = try pool.read { source -> Int in
            // Starts the read transaction that pins the snapshot for every step below.
            _ = try source.scalarInt("SELECT count(*) FROM sqlite_schema")
            guard let backup = sqlite3_backup_init(destination.handle, "main", source.handle, "main") else {
                throw destination.error(sqlite3_errcode(destination.handle), sql: nil)
            }
            var code = SQLITE_OK
            while code == SQLITE_OK {
                code = sqlite3_backup_step(backup, Int32(clamping: max(1, pagesPerStep)))
                let total = Int(sqlite3_backup_pagecount(backup))
                progress?(BackupProgress(pagesCopied: total - Int(sqlite3_backup_remaining(backup)), pageCount: total))
            }
            let total = Int(sqlite3_backup_pagecount(backup))
            let finish = sqlite3_backup_finish(backup)
            guard code == SQLITE_DONE, finish == SQLITE_OK else {
                throw destination.error(code == SQLITE_DONE ? finish : code, sql: nil)
            }
            return total
        }
        let problems = try destination.prepare("PRAGMA quick_check").map([]) { $0.text(at: 0) }
        guard problems == ["ok"] else {
            throw DatabaseError(extendedResultCode: SQLITE_CORRUPT, message: "the copy failed quick_check: \(problems.prefix(5).joined(separator: "; "))",
                                sql: "PRAGMA quick_check", path: temporary)
        }
        destination.close()
        try Self.syncFile(temporary)
        // Checked again: the target may have been replaced while the copy ran.
        try Self.checkBackupTarget(target, source: path)
        guard rename(temporary, target) == 0 else {
            throw StoreError.backupTarget(path: target, reason: String(cString: strerror(errno)))
        }
        renamed = true
        try? Self.syncFile(directory)  // the rename itself durable; not every filesystem allows it
        var info = stat()
        let bytes = stat(target, &info) == 0 ? Int(info.st_size) : 0
        return BackupReport(path: target, pageCount: pageCount, bytes: bytes)
    }

    private static func checkBackupTarget(_ target: String, source: String) throws {
        guard !target.isEmpty else { throw StoreError.backupTarget(path: target, reason: "no file name") }
        if let kind = StoreFile.nonRegularKind(target, followingLinks: false) {
            throw StoreError.backupTarget(path: target, reason: "it is a \(kind); a backup only creates or replaces a regular file")
        }
        var targetInfo = stat(), sourceInfo = stat()
        if stat(target, &targetInfo) == 0, stat(source, &sourceInfo) == 0,
           targetInfo.st_dev == sourceInfo.st_dev, targetInfo.st_ino == sourceInfo.st_ino {
            throw StoreError.backupTarget(path: target, reason: "it is the database being backed up")
        }
        for suffix in ["-wal", "-journal"] where StoreFile.exists(target + suffix) {
            throw StoreError.backupTarget(path: target, reason: "\(target)\(suffix) exists: that database is open or was not closed "
                + "cleanly, and SQLite would apply it to the new file; open and close it, or remove it, first")
        }
    }

    /// Temporary files of backups whose process is gone.
    private static func removeAbandonedBackups(in directory: String, prefix: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where name.hasPrefix(prefix) {
            let rest = name.dropFirst(prefix.count)
            guard let pid = Int32(rest.prefix { $0.isNumber }), pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                unlink((directory as NSString).appendingPathComponent(name))
            }
        }
    }

    private static func removeBackupFiles(_ temporary: String) {
        for suffix in ["", "-journal", "-wal", "-shm"] { unlink(temporary + suffix) }
    }

    private static func syncFile(_ path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw StoreError.backupTarget(path: path, reason: "cannot open \(path) to sync it")
        }
        defer { try? handle.close() }
        try handle.synchronize()
    }
}
