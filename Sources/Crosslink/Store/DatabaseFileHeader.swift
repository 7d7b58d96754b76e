import CSQLite
import Foundation

/// The size fields of a SQLite file's 100-byte header (https://sqlite.org/fileformat.html#the_database_header),
/// read through SQLite's own file handle before any page is used, to refuse a truncated or extended file before
/// anything is served from it or written to it.
///
/// SQLite itself opens a file cut short by a few KiB and answers from the pages that are left;
/// a later write can then make the damage permanent. The header records the database size in
/// pages (bytes 28–31, valid when the file change counter at 24–27 equals the version-valid-for
/// number at 92–95, as SQLite 3.7.0 and later write it), so a mismatch with the file's size is damage — unless a write-ahead log or
/// rollback journal holds pages not yet in the file: then the file's size legitimately differs
/// until the next checkpoint, and the check is skipped.
///
/// ```swift
/// let db = try Database(path: "shop.sqlite", readOnly: true)
/// try DatabaseFileHeader.verifySize(db)   // DatabaseError SQLITE_CORRUPT naming both sizes
/// ```
public struct DatabaseFileHeader: Sendable, Equatable {
    /// Page size in bytes (the header's 1 means 65536).
    public var pageSize: Int
    /// The in-header database size in pages; nil when the header does not vouch for it.
    public var pageCount: Int?

    /// Parses the first 100 bytes; nil when they are not a SQLite header.
    public init?(_ bytes: Data) {
        let magic = Data("SQLite format 3\u{0}".utf8)
        guard bytes.count >= 100, bytes.prefix(16) == magic else { return nil }
        func u32(_ offset: Int) -> Int {
            let start = bytes.startIndex + offset
            return bytes[start..<start + 4].reduce(0) { $0 << 8 | Int($1) }
        }
        let start = bytes.startIndex
        let rawPageSize = Int(bytes[start + 16]) << 8 | Int(bytes[start + 17])
        pageSize = rawPageSize == 1 ? 65_536 : rawPageSize
        guard pageSize >= 512, pageSize & (pageSize - 1) == 0 else { return nil }
        let count = u32(28)
        pageCount = count > 0 && u32(24) == u32(92) ? count : nil
    }

    /// The file's size does not match its header: what a user is told, thrown as a
    /// ``DatabaseError`` (``verifySize(_:)``) or listed by ``CrosslinkStore/check(path:level:)``.
    struct SizeMismatch: Sendable, Equatable, CustomStringConvertible {
        var path: String
        var expectedBytes: Int
        var actualBytes: Int
        var pageSize: Int

        var description: String { "\(path): \(message)" }

        /// The finding, without the path.
        var message: String {
            let how = actualBytes < expectedBytes ? "\(expectedBytes - actualBytes) bytes short" : "\(actualBytes - expectedBytes) bytes too long"
            return "database disk image is malformed: its header records \(expectedBytes / pageSize) pages of \(pageSize) bytes "
                + "(\(expectedBytes) bytes) but the file has \(actualBytes) bytes (\(how)); it was truncated or damaged, so it is "
                + "neither served nor written to. Run `crosslink --database \(path) check --full` for details, and restore a backup"
        }
    }

    /// The size mismatch of the file `db` has open, or nil when its size matches its header, or
    /// the check does not apply: an empty or non-SQLite file (opening reports those), a header
    /// that does not vouch for its size, or a non-empty `-wal` / `-journal` beside it.
    ///
    /// The bytes are read through the connection's own file handle, never by opening the file
    /// again: closing a second descriptor would drop the POSIX locks SQLite holds on the file in
    /// this process (see `csqlite_main_file_read`).
    static func sizeDamage(_ db: Database) -> SizeMismatch? {
        let path = db.path
        // Read twice, with the side files looked at before and after: a writer in another
        // process may checkpoint meanwhile (the file then grows while the WAL is non-empty).
        guard !hasPendingSideFile(path), let first = sizes(db), first.expected != first.actual else { return nil }
        guard let second = sizes(db), second.expected != second.actual, !hasPendingSideFile(path) else { return nil }
        return SizeMismatch(path: path, expectedBytes: second.expected, actualBytes: second.actual, pageSize: second.pageSize)
    }

    /// Throws a ``DatabaseError`` with SQLITE_CORRUPT ("database disk image is malformed", as
    /// SQLite reports damage it finds itself) naming the path and both sizes, when the file
    /// `db` has open is shorter or longer than its header says (and no `-wal` or `-journal` explains it).
    public static func verifySize(_ db: Database) throws {
        if let damage = sizeDamage(db) {
            throw DatabaseError(extendedResultCode: SQLITE_CORRUPT, message: damage.message, path: db.path)
        }
    }

    private static func sizes(_ db: Database) -> (expected: Int, actual: Int, pageSize: Int)? {
        var bytes = [UInt8](repeating: 0, count: 100)
        var size: sqlite3_int64 = 0
        let code = bytes.withUnsafeMutableBytes { csqlite_main_file_read(db.handle, $0.baseAddress, 100, 0, &size) }
        guard code == SQLITE_OK, let header = DatabaseFileHeader(Data(bytes)), let pages = header.pageCount else { return nil }
        return (pages * header.pageSize, Int(size), header.pageSize)
    }

    /// A WAL or rollback journal that may hold pages the file does not have yet.
    static func hasPendingSideFile(_ path: String) -> Bool {
        ["-wal", "-journal"].contains { suffix in
            ((try? FileManager.default.attributesOfItem(atPath: path + suffix)[.size] as? Int) ?? 0) > 0
        }
    }
}
