import Foundation

/// Checks on a database path made before SQLite opens it.
enum StoreFile {
    /// Paths SQLite treats specially (in-memory, temporary, URI): not checked.
    static func isPlainPath(_ path: String) -> Bool {
        !path.isEmpty && path != ":memory:" && !path.hasPrefix("file:")
    }

    /// The kind of a non-regular file (`stat`, following symlinks: a link to a database is fine),
    /// nil for a regular file or nothing at `path`.
    static func nonRegularKind(_ path: String, followingLinks: Bool = true) -> String? {
        var info = stat()
        guard (followingLinks ? stat(path, &info) : lstat(path, &info)) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return "directory"
        case S_IFCHR: return "character device"
        case S_IFBLK: return "block device"
        case S_IFIFO: return "fifo"
        case S_IFSOCK: return "socket"
        case S_IFLNK: return "symbolic link"
        default: return "special file"
        }
    }

    /// Refuses what `configuration` must not open: a non-regular file always; a missing or
    /// empty file unless the open may create one.
    static func check(_ path: String, _ configuration: Configuration) throws {
        guard isPlainPath(path) else { return }
        if let kind = nonRegularKind(path) { throw StoreError.notRegularFile(path: path, kind: kind) }
        guard configuration.readOnly || !configuration.createIfMissing else { return }
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { throw StoreError.missingFile(path: path) }
            return  // let SQLite report permission and other errors with its own words
        }
        if info.st_size == 0 { throw StoreError.emptyFile(path: path) }
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// The directory holding `path`.
    static func directory(of path: String) -> String {
        let directory = (path as NSString).deletingLastPathComponent
        return directory.isEmpty ? "." : directory
    }

    static func isWritable(_ path: String) -> Bool { access(path, W_OK) == 0 }
}
