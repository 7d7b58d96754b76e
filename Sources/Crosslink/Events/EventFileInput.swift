import Foundation

/// Bounds on reading one event file, so that a small hostile file (a gzip "bomb" of gigabytes
/// of newlines, or of one endless line) fails fast with a clear error instead of exhausting
/// memory or time. Event files are read as a stream: memory follows the longest line and the
/// batch, never the file's size. Set them in ``EventIngestOptions/fileLimits``.
///
/// ```swift
/// var options = EventIngestOptions()
/// options.fileLimits.maximumLineBytes = 8 << 20             // orders of up to 8 MiB per line
/// options.fileLimits.maximumDecompressedBytes = 10 << 30    // refuse files over 10 GiB unpacked
/// let report = try EventStore(store: store, options: options).importFile(at: url)
/// ```
///
/// Past a limit the import throws an ``InputError`` naming the file and line, and nothing of
/// the file is stored (the import's transaction is rolled back).
public struct EventFileLimits: Sendable, Equatable {
    /// Longest line (JSON Lines) or record (CSV, Online Retail), in bytes after
    /// decompression. Default 1 MiB. Blank lines are skipped whatever their length.
    public var maximumLineBytes = 1 << 20
    /// Most bytes a file may hold after decompression (a plain file: its size). Default nil:
    /// no limit, since memory does not grow with the file.
    public var maximumDecompressedBytes: Int? = nil

    public init() {}
}

/// The bytes of an event file, decompressed when gzip (detected by content), a chunk of at
/// most 256 KiB at a time: the reading side of ``EventFileLimits``.
final class EventFileInput {
    let file: String
    let limits: EventFileLimits
    private enum Source {
        case handle(FileHandle)
        case data(Data.SubSequence)
    }
    private var source: Source
    private var inflater: GzipInflater?
    /// Compressed bytes read but not yet inflated.
    private var pending = Data()[...]
    private var sourceEnded = false
    /// Decompressed chunks read ahead (``prefix(_:)``), handed out first.
    private var readAhead: [Data] = []
    /// Decompressed bytes produced so far.
    private(set) var produced = 0
    static let readSize = 1 << 18

    /// Opens the file at `url`; issues name `file` (default: the last path component).
    init(url: URL, file: String? = nil, limits: EventFileLimits) throws {
        self.file = file ?? url.lastPathComponent
        self.limits = limits
        do {
            source = .handle(try FileHandle(forReadingFrom: url))
        } catch {
            throw InputError(file: self.file, line: 0, message: "cannot read file: \(error.localizedDescription)")
        }
        try start()
    }

    /// Reads `data` (maybe gzip) without copying it.
    init(data: Data, file: String, limits: EventFileLimits) throws {
        self.file = file
        self.limits = limits
        source = .data(data[...])
        try start()
    }

    deinit {
        if case .handle(let handle) = source { try? handle.close() }
    }

    private func start() throws {
        pending = try readRaw() ?? Data()[...]
        // gzip by its magic bytes; a file of one byte cannot be gzip.
        while pending.count < 2, !sourceEnded, let more = try readRaw() { pending += more }
        if pending.count >= 2 && pending[pending.startIndex] == 0x1F && pending[pending.startIndex + 1] == 0x8B {
            inflater = try GzipInflater(file: file)
        }
    }

    private func readRaw() throws -> Data.SubSequence? {
        if sourceEnded { return nil }
        switch source {
        case .data(let rest):
            guard !rest.isEmpty else { sourceEnded = true; return nil }
            let chunk = rest.prefix(Self.readSize)
            source = .data(rest.dropFirst(chunk.count))
            return chunk
        case .handle(let handle):
            let chunk: Data?
            do {
                chunk = try handle.read(upToCount: Self.readSize)
            } catch {
                throw InputError(file: file, line: 0, message: "cannot read file: \(error.localizedDescription)")
            }
            guard let chunk, !chunk.isEmpty else { sourceEnded = true; return nil }
            return chunk[...]
        }
    }

    /// The next decompressed chunk (never empty), nil at the end. Issues have line 0: the
    /// readers above put the line they were at.
    func next() throws -> Data? {
        if !readAhead.isEmpty { return readAhead.removeFirst() }
        return try produce()
    }

    /// At least the first `count` decompressed bytes (fewer when the file is shorter), kept
    /// for ``next()`` (format detection reads the head of the file).
    func prefix(_ count: Int) throws -> Data {
        var head = Data(readAhead.joined())
        while head.count < count, let chunk = try produce() {
            readAhead.append(chunk)
            head.append(chunk)
        }
        return head.prefix(count)
    }

    private func produce() throws -> Data? {
        guard let inflater else {
            let chunk: Data.SubSequence?
            if !pending.isEmpty { chunk = pending; pending = Data()[...] } else { chunk = try readRaw() }
            guard let chunk else { return nil }
            try count(chunk.count)
            return Data(chunk)
        }
        while true {
            if pending.isEmpty && !sourceEnded { pending = try readRaw() ?? Data()[...] }
            let (chunk, used) = try inflater.inflate(pending, final: sourceEnded)
            pending = pending.dropFirst(used)
            guard let chunk else { return nil }
            if chunk.isEmpty { continue }
            try count(chunk.count)
            return chunk
        }
    }

    private func count(_ bytes: Int) throws {
        produced += bytes
        if let maximum = limits.maximumDecompressedBytes, produced > maximum {
            throw InputError(file: file, line: 0, message: "more than \(maximum) bytes after decompression "
                             + "(the limit EventFileLimits.maximumDecompressedBytes, --max-decompressed-bytes)")
        }
    }

    /// `issue` from ``next()`` placed at `line` (the reader's position), when it names none.
    static func placed(_ issue: InputError, at line: Int) -> InputError {
        guard issue.location?.line == 0 else { return issue }
        var placed = issue
        placed.location?.line = line
        return placed
    }

    func lineTooLong(at line: Int) -> InputError {
        InputError(file: file, line: line, message: "line longer than the \(limits.maximumLineBytes)-byte limit "
                   + "(EventFileLimits.maximumLineBytes, --max-line-bytes)")
    }
}

/// The non-blank lines of an ``EventFileInput`` with their 1-based numbers (JSON Lines): a
/// leading UTF-8 BOM, a `\r` before `\n` and lines of only spaces, tabs and `\r` are skipped
/// without copying — a run of newlines costs a scan of its bytes, no allocation per line.
struct EventLineReader {
    let input: EventFileInput
    private var chunk = Data()
    private var position = 0
    /// Lines finished so far.
    private(set) var lineNumber = 0
    /// The current line has only blanks so far.
    private var blank = true
    /// Bytes of the current line so far (blanks included).
    private var lineBytes = 0
    /// The current line's text so far, from its first non-blank byte.
    private var carry = Data()
    private var started = false

    init(_ input: EventFileInput) { self.input = input }

    /// The next non-blank line: its number and its bytes (without the line break).
    mutating func next() throws -> (line: Int, text: Data)? {
        while true {
            if position >= chunk.count {
                let more: Data?
                do { more = try input.next() } catch let issue as InputError { throw EventFileInput.placed(issue, at: lineNumber + 1) }
                guard let more else {
                    defer { carry = Data(); blank = true; lineBytes = 0 }
                    guard !blank else { return nil }
                    lineNumber += 1
                    return (lineNumber, Self.trimmed(carry))
                }
                chunk = more
                position = 0
                if !started {
                    started = true
                    if chunk.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
                }
                continue
            }
            if let line = try scan() { return line }
        }
    }

    /// Scans the current chunk from `position`: returns a finished non-blank line, or nil
    /// when the chunk is used up.
    private mutating func scan() throws -> (line: Int, text: Data)? {
        let maximum = input.limits.maximumLineBytes
        let chunk = self.chunk
        return try chunk.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> (line: Int, text: Data)? in
            let bytes = raw.bindMemory(to: UInt8.self)
            let count = bytes.count
            var i = position
            defer { position = i }
            if blank {
                // Skip blank bytes; eight newlines at a time in a run of them.
                let newlines: UInt64 = 0x0A0A_0A0A_0A0A_0A0A
                while i < count {
                    let byte = bytes[i]
                    if byte == 0x0A {
                        let runStart = i
                        while i + 8 <= count && raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) == newlines { i += 8 }
                        if i > runStart {
                            lineNumber += i - runStart
                            lineBytes = 0
                            continue
                        }
                        lineNumber += 1
                        lineBytes = 0
                        i += 1
                    } else if byte == 0x20 || byte == 0x09 || byte == 0x0D {
                        lineBytes += 1
                        i += 1
                    } else {
                        break
                    }
                }
                if i == count { return nil }
                blank = false
            }
            let start = i
            let found = memchr(raw.baseAddress! + start, 0x0A, count - start)
            let end = found.map { raw.baseAddress!.distance(to: UnsafeRawPointer($0)) } ?? count
            lineBytes += end - start
            if lineBytes > maximum { throw input.lineTooLong(at: lineNumber + 1) }
            carry.append(bytes.baseAddress! + start, count: end - start)
            guard found != nil else {
                i = count
                return nil
            }
            i = end + 1
            lineNumber += 1
            let text = Self.trimmed(carry)
            carry = Data()
            blank = true
            lineBytes = 0
            return (lineNumber, text)
        }
    }

    /// Without a final `\r`.
    private static func trimmed(_ line: Data) -> Data {
        line.last == 0x0D ? line.dropLast() : line
    }
}
