import Foundation

/// One parsed record. `line` is the 1-based physical line number where the record starts
/// (so error messages can point at the file line even when quoted cells span lines).
/// A zero-length physical line yields a record with no fields (as Python's `csv` does).
public struct CSVRecord: Sendable, Equatable {
    public var line: Int
    public var fields: [String]

    public init(line: Int, fields: [String]) {
        self.line = line
        self.fields = fields
    }
}

/// Bounds on what one CSV record may hold, so a damaged or hostile file fails with a clear
/// error instead of exhausting memory (a file of a billion commas is one record of a billion
/// fields). The defaults fit real catalogs with room to spare: Magento itself caps text
/// attributes at 64 KiB, and its widest exports have a few hundred columns.
///
/// ```swift
/// var limits = CSVLimits()
/// limits.maximumFieldBytes = 8 << 20          // HTML descriptions of up to 8 MiB
/// let reader = CSVReader(data: data, file: "products.csv", limits: limits)
/// ```
public struct CSVLimits: Sendable, Equatable {
    /// Largest field, in UTF-8 bytes (quotes excluded). Default 1 MiB.
    public var maximumFieldBytes = 1 << 20
    /// Most fields in one record, header included. Default 10 000.
    public var maximumFieldsPerRecord = 10_000
    /// Largest size a gzip-compressed file may inflate to, in bytes. Default 4 GiB: far above
    /// any catalog export, far below what a small hostile file could claim.
    public var maximumDecompressedBytes = 4 << 30

    public init() {}
}

/// RFC 4180 reader tuned for Magento CSV files.
///
/// - Records end at `\n` or `\r\n` outside quotes; a missing final newline is fine.
/// - A field whose first non-blank character is `"` is quoted (the `, "x"` style of some
///   Magento fixtures); blanks before the opening quote are dropped, `""` is a literal quote,
///   and after the closing quote only blanks then a delimiter or record end may follow.
/// - A `"` inside an unquoted field is kept literally (lenient, like Python's `csv`).
/// - A leading UTF-8 BOM is skipped. Invalid UTF-8 is an error, never silently replaced.
/// - A field longer than ``CSVLimits/maximumFieldBytes`` or a record with more than
///   ``CSVLimits/maximumFieldsPerRecord`` fields is an error naming its line and column.
public struct CSVReader: Sendable {
    public let data: Data
    public let file: String
    public let delimiter: UInt8
    public let limits: CSVLimits

    public init(data: Data, file: String, delimiter: UInt8 = UInt8(ascii: ","), limits: CSVLimits = CSVLimits()) {
        precondition(
            delimiter != UInt8(ascii: "\"") && delimiter != UInt8(ascii: "\n") && delimiter != UInt8(ascii: "\r"),
            "CSV delimiter cannot be a quote or a line break")
        self.data = data
        self.file = file
        self.delimiter = delimiter
        self.limits = limits
    }

    /// Reads the file; a gzip-compressed one (`.csv.gz`, recognised by its first bytes, not its
    /// name) is inflated first, within ``CSVLimits/maximumDecompressedBytes``.
    public init(contentsOf url: URL, limits: CSVLimits = CSVLimits()) throws {
        let name = url.lastPathComponent
        var data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw InputError.csv(file: name, line: 0, reason: "cannot read file: \(error.localizedDescription)")
        }
        if Gzip.isCompressed(data) { data = try Gzip.decompress(data, file: name, maximumBytes: limits.maximumDecompressedBytes) }
        self.init(data: data, file: name, limits: limits)
    }

    /// Calls body for each record (header included, it is simply the first record). Throwing from body stops.
    public func forEachRecord(_ body: (CSVRecord) throws -> Void) throws {
        try data.withUnsafeBytes { raw in
            var parser = CSVByteParser(
                bytes: raw.assumingMemoryBound(to: UInt8.self), file: file, delimiter: delimiter, limits: limits)
            try parser.run(body)
        }
    }

    public func records() throws -> [CSVRecord] {
        var all: [CSVRecord] = []
        try forEachRecord { all.append($0) }
        return all
    }
}

private let quote = UInt8(ascii: "\"")
private let lf = UInt8(ascii: "\n")
private let cr = UInt8(ascii: "\r")
private let space = UInt8(ascii: " ")
private let tab = UInt8(ascii: "\t")

/// The byte-level state machine. Lives only inside `withUnsafeBytes`.
private struct CSVByteParser {
    let bytes: UnsafeBufferPointer<UInt8>
    let file: String
    let delimiter: UInt8
    let limits: CSVLimits
    /// Reused buffer for quoted fields that contain `""`.
    var scratch: [UInt8] = []

    init(bytes: UnsafeBufferPointer<UInt8>, file: String, delimiter: UInt8, limits: CSVLimits) {
        self.bytes = bytes
        self.file = file
        self.delimiter = delimiter
        self.limits = limits
    }

    /// Blanks tolerated around quoted fields; never the delimiter itself (TSV).
    @inline(__always)
    func isBlank(_ b: UInt8) -> Bool {
        (b == space || b == tab) && b != delimiter
    }

    mutating func run(_ body: (CSVRecord) throws -> Void) throws {
        let n = bytes.count
        var i = 0
        if n >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { i = 3 }
        var line = 1
        var fields: [String] = []

        while i < n {
            let recordLine = line
            // A zero-length line (`\n` or `\r\n`) is a record without fields.
            if bytes[i] == lf || (bytes[i] == cr && i + 1 < n && bytes[i + 1] == lf) {
                i += bytes[i] == lf ? 1 : 2
                line += 1
                try body(CSVRecord(line: recordLine, fields: []))
                continue
            }
            fields.removeAll(keepingCapacity: true)

            fieldLoop: while true {
                let column = fields.count + 1
                if column > limits.maximumFieldsPerRecord {
                    throw InputError.csv(file: file, line: recordLine, column: column,
                                   reason: "more than \(limits.maximumFieldsPerRecord) fields in one record (CSVLimits.maximumFieldsPerRecord)")
                }
                var j = i
                while j < n && isBlank(bytes[j]) { j += 1 }

                if j < n && bytes[j] == quote {
                    let openLine = line
                    let start = j + 1
                    var k = start
                    var hasEscapes = false
                    var orBits: UInt8 = 0
                    while true {
                        while k < n {
                            let b = bytes[k]
                            if b == quote { break }
                            if b == lf { line += 1 }
                            orBits |= b
                            k += 1
                        }
                        if k >= n {
                            throw InputError.csv(
                                file: file, line: openLine, column: column,
                                reason: "unterminated quoted field (opened on line \(openLine))")
                        }
                        if k + 1 < n && bytes[k + 1] == quote {
                            hasEscapes = true
                            k += 2
                            continue
                        }
                        break
                    }
                    fields.append(
                        try makeString(start, k, unescape: hasEscapes, ascii: orBits < 0x80,
                                       line: openLine, column: column))
                    k += 1
                    while k < n && isBlank(bytes[k]) { k += 1 }
                    if k >= n {
                        i = n
                        break fieldLoop
                    }
                    let b = bytes[k]
                    if b == delimiter {
                        i = k + 1
                        continue fieldLoop
                    }
                    if b == lf || (b == cr && (k + 1 == n || bytes[k + 1] == lf)) {
                        i = k + (b == lf ? 1 : 2)
                        line += 1
                        break fieldLoop
                    }
                    throw InputError.csv(
                        file: file, line: line, column: column,
                        reason: "unexpected character after closing quote")
                } else {
                    var k = i
                    var orBits: UInt8 = 0
                    while k < n {
                        let b = bytes[k]
                        if b == delimiter || b == lf { break }
                        orBits |= b
                        k += 1
                    }
                    if k < n && bytes[k] == delimiter {
                        fields.append(
                            try makeString(i, k, unescape: false, ascii: orBits < 0x80, line: line, column: column))
                        i = k + 1
                        continue fieldLoop
                    }
                    // Drop the `\r` of `\r\n`, or of a lone `\r` ending the file.
                    var end = k
                    if end > i && bytes[end - 1] == cr { end -= 1 }
                    fields.append(
                        try makeString(i, end, unescape: false, ascii: orBits < 0x80, line: line, column: column))
                    if k < n { line += 1 }
                    i = k + 1
                    break fieldLoop
                }
            }
            try body(CSVRecord(line: recordLine, fields: fields))
        }
    }

    /// Builds the field text from `bytes[start..<end]`; `line` is where the field starts.
    private mutating func makeString(
        _ start: Int, _ end: Int, unescape: Bool, ascii: Bool, line: Int, column: Int
    ) throws -> String {
        // Checked on the raw bytes (`""` counted twice): the limit bounds memory, not meaning.
        if end - start > limits.maximumFieldBytes {
            throw InputError.csv(file: file, line: line, column: column,
                           reason: "field of \(end - start) bytes is longer than the \(limits.maximumFieldBytes)-byte limit (CSVLimits.maximumFieldBytes)")
        }
        let slice = UnsafeBufferPointer(rebasing: bytes[start..<end])
        guard unescape else {
            return try decode(slice, ascii: ascii, line: line, column: column)
        }
        // Collapse each `""` (already verified as pairs by the scanner) to one `"`.
        scratch.removeAll(keepingCapacity: true)
        var k = 0
        var segment = 0
        while k < slice.count {
            if slice[k] == quote {
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: slice[segment...k]))
                k += 2
                segment = k
            } else {
                k += 1
            }
        }
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: slice[segment..<slice.count]))
        return try scratch.withUnsafeBufferPointer {
            try decode($0, ascii: ascii, line: line, column: column)
        }
    }

    private func decode(_ p: UnsafeBufferPointer<UInt8>, ascii: Bool, line: Int, column: Int) throws -> String {
        if ascii {
            return String(decoding: p, as: UTF8.self)
        }
        if let s = String(validating: p, as: UTF8.self) {
            return s
        }
        // Rare path: point at the physical line of the first bad byte (quoted cells span lines).
        var badLine = line
        if let bad = firstInvalidUTF8Offset(p) {
            for b in p[..<bad] where b == lf { badLine += 1 }
        }
        throw InputError.csv(file: file, line: badLine, column: column, reason: "invalid UTF-8")
    }
}

/// Offset of the first byte that does not start a well-formed UTF-8 sequence (RFC 3629).
private func firstInvalidUTF8Offset(_ p: UnsafeBufferPointer<UInt8>) -> Int? {
    var i = 0
    while i < p.count {
        let b = p[i]
        if b < 0x80 {
            i += 1
            continue
        }
        var length = 0
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch b {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: return i
        }
        if i + length > p.count || p[i + 1] < low || p[i + 1] > high { return i }
        for k in 2..<length where p[i + k] & 0xC0 != 0x80 { return i }
        i += length
    }
    return nil
}

/// Header-aware access: maps column names to indices; reports wrong column counts.
public struct CSVTable: Sendable {
    public let file: String
    public let header: [String]
    public let rows: [CSVRecord]
    private let columnIndex: [String: Int]

    /// Trims blanks around header names (the reader already dropped a BOM) and skips
    /// zero-length lines. Throws for an empty file, duplicate header names and any row
    /// whose field count differs from the header's.
    public init(reader: CSVReader) throws {
        let file = reader.file
        var header: [String]?
        var index: [String: Int] = [:]
        var rows: [CSVRecord] = []
        try reader.forEachRecord { record in
            if record.fields.isEmpty { return }
            guard let header else {
                let names = record.fields.map { $0.trimmingCharacters(in: .whitespaces) }
                for (i, name) in names.enumerated() {
                    if let first = index[name] {
                        throw InputError.csv(
                            file: file, line: record.line, column: i + 1,
                            reason: "duplicate column name \"\(name)\" (first at column \(first + 1))")
                    }
                    index[name] = i
                }
                header = names
                return
            }
            guard record.fields.count == header.count else {
                throw InputError.csv(
                    file: file, line: record.line,
                    reason: "expected \(header.count) fields, got \(record.fields.count)")
            }
            rows.append(record)
        }
        guard let header else {
            throw InputError.csv(file: file, line: 0, reason: "empty file: no header row")
        }
        self.file = file
        self.header = header
        self.rows = rows
        self.columnIndex = index
    }

    public func index(of column: String) -> Int? {
        columnIndex[column]
    }

    /// nil when the column is absent.
    public func value(_ record: CSVRecord, _ column: String) -> String? {
        guard let i = columnIndex[column], i < record.fields.count else { return nil }
        return record.fields[i]
    }
}

public enum CSVWriter {
    /// Quotes when the text contains `,` `"` `\n` `\r`, has leading/trailing blanks, or starts
    /// with a byte-order mark (which a reader drops at the start of a file).
    public static func field(_ s: String) -> String {
        var needsQuotes = false
        for b in s.utf8 where b == UInt8(ascii: ",") || b == quote || b == lf || b == cr {
            needsQuotes = true
            break
        }
        if let first = s.utf8.first, first == space || first == tab || s.utf8.starts(with: [0xEF, 0xBB, 0xBF]) { needsQuotes = true }
        if let last = s.utf8.last, last == space || last == tab { needsQuotes = true }
        guard needsQuotes else { return s }
        return "\"" + doublingQuotes(s) + "\""
    }

    /// `s` with every `"` byte doubled. Byte-wise on purpose: a `"` followed by a combining mark
    /// is one Character, which `replacingOccurrences(of: "\"", …)` would leave alone, while CSV
    /// readers (and Magento's) see the quote byte.
    static func doublingQuotes(_ s: String) -> String {
        guard s.utf8.contains(quote) else { return s }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.utf8.count + 8)
        for b in s.utf8 {
            bytes.append(b)
            if b == quote { bytes.append(quote) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Fields joined with `,` and terminated by `\n`.
    public static func line(_ fields: [String]) -> String {
        // A lone empty field must not become a zero-length line, which reads back as no fields.
        if fields.count == 1 && fields[0].isEmpty { return "\"\"\n" }
        return fields.map(field).joined(separator: ",") + "\n"
    }
}

extension CSVReader {
    /// The header's names when the header itself parses, so a later CSV error can name its column.
    static func headerNames(_ reader: CSVReader) -> [String]? {
        struct Stop: Error {}
        var header: [String]?
        try? reader.forEachRecord { record in
            if record.fields.isEmpty { return }
            header = record.fields.map { $0.trimmingCharacters(in: .whitespaces) }
            throw Stop()
        }
        return header
    }
}

extension InputError {
    /// A CSV reader's error at `line` and the 1-based field number `column`; an importer that
    /// knows the header names the column instead (``naming(header:)``).
    static func csv(file: String, line: Int, column: Int? = nil, reason: String) -> InputError {
        InputError(file: file, line: line, field: column.map(String.init), message: reason)
    }
}
