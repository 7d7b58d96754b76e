import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one way Crosslink writes a file the user named (`--out`, `--html`, an export): an
/// output path may be `/dev/null`, a fifo or a terminal, and writing a temporary file and
/// renaming it over such a path replaces the device with a regular file (as root, the
/// machine's `/dev/null`).
///
/// What happens by what the path is:
/// - absent, or a regular file: the bytes go to a new file in the same folder, which is
///   flushed to disk and renamed over the path — readers see the old file or the whole new
///   one, never a part. An existing file's permission bits are kept.
/// - a character or block device, or a fifo: written in place, opened `O_WRONLY` without
///   `O_CREAT` or `O_TRUNC` (a fifo's open waits for a reader, as the shell's `>` does).
/// - a symbolic link: followed, as the shell's `>` follows it, and the rules above apply to
///   what it points to, so the link stays a link: a regular target is replaced atomically in
///   its own folder, a device or fifo is written in place. A dangling link is refused (writing
///   through it would create a file wherever the link says), and the path is first opened
///   through the link so the kernel's own refusals (`fs.protected_symlinks`) apply.
/// - a directory, a socket or anything else: refused with an ``OutputFileError``.
///
/// ```swift
/// try OutputFile.write("<html>…</html>", to: "report.html")
/// ```
public enum OutputFile {
    /// Writes `text` as UTF-8 to `path` by the rules above.
    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }

    /// Writes `data` to `path` by the rules above.
    public static func write(_ data: Data, to path: String) throws {
        switch try target(path) {
        case .replace(let resolved, let mode):
            try replaceAtomically(resolved, with: data, mode: mode, named: path)
        case .inPlace:
            let handle = try openInPlace(path)
            defer { try? handle.close() }
            do { try handle.write(contentsOf: data) } catch { throw OutputFileError(path: path, reason: "\(error)") }
        }
    }

    /// A handle for writing a stream to `path` (a log appended to as work goes on): a regular
    /// file (or none) is created or truncated in place — a stream cannot be renamed into place —
    /// and devices, fifos and links are treated as by ``write(_:to:)-(Data,_)``.
    public static func openForStreaming(_ path: String) throws -> FileHandle {
        switch try target(path) {
        case .replace(let resolved, _):
            let fd = open(resolved, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o666)
            guard fd >= 0 else { throw OutputFileError(path: path, errno: errno) }
            return FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        case .inPlace:
            return try openInPlace(path)
        }
    }

    private enum Target {
        /// Replace (or create) the regular file at this path (a link already resolved).
        case replace(String, mode: mode_t?)
        /// Write into the existing device or fifo.
        case inPlace
    }

    private static func target(_ path: String) throws -> Target {
        guard !path.isEmpty else { throw OutputFileError(path: path, reason: "the path is empty") }
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return .replace(path, mode: nil) }
            throw OutputFileError(path: path, errno: errno)
        }
        if isType(info, S_IFLNK) { return try linkTarget(path) }
        return try target(of: info, path: path, resolved: path)
    }

    private static func target(of info: stat, path: String, resolved: String) throws -> Target {
        if isType(info, S_IFREG) { return .replace(resolved, mode: info.st_mode & 0o7777) }
        if isType(info, S_IFCHR) || isType(info, S_IFBLK) || isType(info, S_IFIFO) { return .inPlace }
        if isType(info, S_IFDIR) { throw OutputFileError(path: path, reason: "is a directory") }
        throw OutputFileError(path: path, reason: "is not a regular file, device or fifo")
    }

    private static func linkTarget(_ path: String) throws -> Target {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            throw OutputFileError(path: path, reason: code == ENOENT
                ? "is a symbolic link to nothing; refusing to create a file through it" : String(cString: strerror(code)))
        }
        guard isType(info, S_IFREG) else { return try target(of: info, path: path, resolved: path) }
        // Opened through the link so the kernel's link protections apply, and compared with the
        // resolved path so a link changed in between is not followed somewhere else.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
        guard fd >= 0 else { throw OutputFileError(path: path, errno: errno) }
        defer { close(fd) }
        var opened = stat()
        guard fstat(fd, &opened) == 0, let resolved = realpath(path, nil) else { throw OutputFileError(path: path, errno: errno) }
        defer { free(resolved) }
        let resolvedPath = String(cString: resolved)
        var now = stat()
        guard lstat(resolvedPath, &now) == 0, now.st_dev == opened.st_dev, now.st_ino == opened.st_ino else {
            throw OutputFileError(path: path, reason: "changed while being resolved")
        }
        return .replace(resolvedPath, mode: opened.st_mode & 0o7777)
    }

    private static func openInPlace(_ path: String) throws -> FileHandle {
        let fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else { throw OutputFileError(path: path, errno: errno) }
        var info = stat()
        // Checked again on the open file: a regular file put there since must not be overwritten in place.
        guard fstat(fd, &info) == 0, !isType(info, S_IFREG), !isType(info, S_IFDIR) else {
            close(fd)
            throw OutputFileError(path: path, reason: "changed while being opened")
        }
        return FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    }

    private static func replaceAtomically(_ path: String, with data: Data, mode: mode_t?, named: String) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        var temporary = "", fd: Int32 = -1
        for _ in 0..<8 {
            temporary = folder + "/." + url.lastPathComponent + ".crosslink-" + String(UInt32.random(in: .min ... .max), radix: 36)
            fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o666)
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else { throw OutputFileError(path: named, errno: errno) }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        do {
            if let mode, fchmod(fd, mode) != 0 { throw OutputFileError(path: named, errno: errno) }
            try handle.write(contentsOf: data)
            guard fsync(fd) == 0 else { throw OutputFileError(path: named, errno: errno) }
            try handle.close()
            guard rename(temporary, path) == 0 else { throw OutputFileError(path: named, errno: errno) }
        } catch {
            try? handle.close()
            unlink(temporary)
            throw error as? OutputFileError ?? OutputFileError(path: named, reason: "\(error)")
        }
    }

    private static func isType(_ info: stat, _ type: mode_t) -> Bool { info.st_mode & S_IFMT == type }
}

/// An output file that could not be written (an export, a report, a rule file written with
/// `--out`), naming the path and why: the one failure on the output side, apart from bad input
/// and bad requests because what is wrong is the destination, not what was asked or read.
public struct OutputFileError: CrosslinkError, Equatable {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    init(path: String, errno code: Int32) {
        self.init(path: path, reason: String(cString: strerror(code)))
    }

    public var description: String { "cannot write \(path): \(reason)" }
}
