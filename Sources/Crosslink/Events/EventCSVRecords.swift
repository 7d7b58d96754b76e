import Foundation

/// The CSV records of an ``EventFileInput`` (CSV events, the Online Retail log), read as a
/// stream: complete records are gathered into blocks of about 256 KiB, each parsed by
/// ``CSVReader`` with its line numbers moved to the file's. Memory follows the block and
/// the longest record (``EventFileLimits/maximumLineBytes``), not the file.
///
/// Record ends are found with CSVReader's own quoting rules (a field whose first non-blank
/// byte is `"` is quoted, `""` inside it is a quote, a newline inside it continues the
/// record). Zero-length lines between records — which the event readers skip anyway — are
/// dropped without being copied, so a file of newlines costs a scan of its bytes.
struct EventCSVRecords {
    let input: EventFileInput
    var limits = CSVLimits()
    /// The field delimiter (an event mapping may name another than the comma).
    var delimiter = UInt8(ascii: ",")
    static let blockSize = 1 << 18

    private enum State { case fieldStart, unquoted, quoted, afterQuote }

    /// A CSV syntax error (unterminated quote, bad UTF-8) at the file's line, kept apart from the
    /// errors `body` throws and from the input's own: it leaves the rest of the file unreadable.
    struct SyntaxError: Error { var issue: InputError }

    /// Calls `body` for each record in file order (header included). A CSV syntax error is
    /// thrown as ``SyntaxError`` with the file's line; a record over the line limit, a damaged
    /// gzip stream or a file over its decompressed-size limit as ``InputError``.
    func forEachRecord(_ body: (CSVRecord) throws -> Void) throws {
        let maximum = input.limits.maximumLineBytes
        var block = Data()
        var blockFirstLine = 1
        var line = 0                     // physical lines finished
        var recordFirstLine = 1
        var recordBytes = 0
        var state = State.fieldStart
        var atRecordStart = true
        var first = true

        func flush() throws {
            guard !block.isEmpty else { return }
            let offset = blockFirstLine - 1
            struct BodyError: Error { let error: any Error }
            do {
                try CSVReader(data: block, file: input.file, delimiter: delimiter, limits: limits).forEachRecord { record in
                    var record = record
                    record.line += offset
                    do { try body(record) } catch { throw BodyError(error: error) }
                }
            } catch let failure as BodyError {
                throw failure.error
            } catch var issue as InputError {
                if let line = issue.location?.line, line > 0 { issue.location?.line = line + offset }
                throw SyntaxError(issue: issue)
            }
            block.removeAll(keepingCapacity: true)
        }

        while true {
            let chunk: Data?
            do { chunk = try input.next() } catch let issue as InputError { throw EventFileInput.placed(issue, at: line + 1) }
            guard let chunk else { break }
            try chunk.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                let bytes = raw.bindMemory(to: UInt8.self)
                let count = bytes.count
                var i = 0
                if first {
                    first = false
                    if chunk.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 }
                }
                var segment = i              // first byte of this chunk not yet in `block`
                let newlines: UInt64 = 0x0A0A_0A0A_0A0A_0A0A
                while i < count {
                    let byte = bytes[i]
                    if atRecordStart && byte == 0x0A {
                        // A zero-length line: leave it out of the blocks (their line numbers
                        // restart after it).
                        block.append(bytes.baseAddress! + segment, count: i - segment)
                        try flush()
                        let runStart = i
                        while i + 8 <= count && raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) == newlines { i += 8 }
                        while i < count && bytes[i] == 0x0A { i += 1 }
                        line += i - runStart
                        segment = i
                        blockFirstLine = line + 1
                        recordFirstLine = line + 1
                        continue
                    }
                    atRecordStart = false
                    recordBytes += 1
                    if recordBytes > maximum { throw input.lineTooLong(at: recordFirstLine) }
                    i += 1
                    switch state {
                    case .fieldStart:
                        if byte == 0x22 { state = .quoted } else if byte == delimiter || byte == 0x20 || byte == 0x09 { } else if byte != 0x0A { state = .unquoted }
                    case .unquoted:
                        if byte == delimiter { state = .fieldStart }
                    case .quoted:
                        if byte == 0x22 { state = .afterQuote }
                    case .afterQuote:
                        if byte == 0x22 { state = .quoted } else if byte == delimiter { state = .fieldStart } else if byte != 0x0A { state = .unquoted }
                    }
                    guard byte == 0x0A else { continue }
                    line += 1
                    guard state != .quoted else { continue }
                    // The record ends here.
                    state = .fieldStart
                    atRecordStart = true
                    recordBytes = 0
                    recordFirstLine = line + 1
                    if block.count + (i - segment) >= Self.blockSize {
                        block.append(bytes.baseAddress! + segment, count: i - segment)
                        segment = i
                        try flush()
                        blockFirstLine = line + 1
                    }
                }
                block.append(bytes.baseAddress! + segment, count: count - segment)
            }
        }
        try flush()
    }
}
