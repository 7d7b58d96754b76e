import CZlib
import Foundation

/// gzip decompression through the system zlib, for compressed event logs (`.jsonl.gz`,
/// the shipped Online Retail `.csv.gz`) and catalog files (`catalog_product.csv.gz`).
///
/// ```swift
/// let data = try Data(contentsOf: url)
/// let text = Gzip.isCompressed(data) ? try Gzip.decompress(data, file: url.lastPathComponent) : data
/// ```
///
/// ``decompress(_:file:maximumBytes:)`` holds the whole output; event imports stream instead, a chunk at a
/// time (``EventFileLimits``), so a small file of gigabytes of newlines costs no memory.
public enum Gzip {
    /// Whether `data` starts with the gzip magic bytes `1f 8b`.
    public static func isCompressed(_ data: Data) -> Bool {
        data.count >= 2 && data[data.startIndex] == 0x1F && data[data.startIndex + 1] == 0x8B
    }

    /// Inflates every gzip member of `data` (concatenated members, as `cat a.gz b.gz` makes,
    /// read as one stream, like `zcat`). Throws an ``InputError`` naming `file` when the
    /// data is damaged or truncated, or inflates to more than `maximumBytes` (a "zip bomb").
    public static func decompress(_ data: Data, file: String, maximumBytes: Int? = nil) throws -> Data {
        var output = Data()
        output.reserveCapacity(min(data.count * 6, maximumBytes ?? .max))
        let inflater = try GzipInflater(file: file)
        var input = data[...]
        while true {
            let (chunk, consumed) = try inflater.inflate(input, final: true)
            input = input.dropFirst(consumed)
            guard let chunk else { return output }
            output.append(chunk)
            if let maximumBytes, output.count > maximumBytes {
                throw InputError(file: file, line: 0, message: "inflates to more than \(maximumBytes) bytes (the decompressed size limit)")
            }
        }
    }
}

/// A streaming gzip decoder: input goes in as it is read, output comes out at most
/// ``chunkSize`` bytes at a time, so memory does not grow with the decompressed size.
final class GzipInflater {
    static let chunkSize = 1 << 18
    let file: String
    private var stream = z_stream()
    private var buffer = [UInt8](repeating: 0, count: GzipInflater.chunkSize)
    private var ended = false
    /// A member ended: only another member (or the end of the input) may follow.
    private var betweenMembers = false

    init(file: String) throws {
        self.file = file
        // 15 + 16: a gzip wrapper (not raw deflate or zlib), full window.
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw InputError(file: file, line: 0, message: "cannot start gzip decompression")
        }
    }

    deinit { inflateEnd(&stream) }

    /// Inflates from `input`: returns the next output chunk (nil once the stream is complete)
    /// and how many input bytes were used. `final`: no input follows `input` (the file's end),
    /// so running out of it inside a member means a truncated file. The chunk may be empty
    /// (a member ended, or the input was used up without output): call again, with more
    /// input when all of it was used.
    func inflate(_ input: Data.SubSequence, final: Bool) throws -> (chunk: Data?, consumed: Int) {
        if ended { return (nil, 0) }
        if betweenMembers {
            guard !input.isEmpty else {
                if final { ended = true; return (nil, 0) }
                return (Data(), 0)
            }
            guard inflateReset(&stream) == Z_OK else {
                throw InputError(file: file, line: 0, message: "damaged gzip data (cannot read the next member)")
            }
            betweenMembers = false
        }
        let chunkSize = Self.chunkSize
        return try input.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> (Data?, Int) in
            stream.next_in = raw.baseAddress.map { UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: Bytef.self)) }
            stream.avail_in = uInt(raw.count)
            defer { stream.next_in = nil; stream.avail_in = 0 }
            while true {
                let (code, produced) = buffer.withUnsafeMutableBufferPointer { out -> (Int32, Int) in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(chunkSize)
                    let code = CZlib.inflate(&stream, Z_NO_FLUSH)
                    return (code, chunkSize - Int(stream.avail_out))
                }
                let consumed = raw.count - Int(stream.avail_in)
                switch code {
                case Z_STREAM_END:
                    // Another member may follow (concatenated gzip files).
                    betweenMembers = true
                    return (Data(buffer[0..<produced]), consumed)
                case Z_OK, Z_BUF_ERROR:
                    if produced > 0 { return (Data(buffer[0..<produced]), consumed) }
                    if stream.avail_in == 0 {
                        if final { throw InputError(file: file, line: 0, message: "truncated gzip data (the file ends inside a compressed stream)") }
                        return (Data(), consumed)
                    }
                default:
                    let reason = stream.msg.map { String(cString: $0) } ?? "zlib error \(code)"
                    throw InputError(file: file, line: 0, message: "damaged gzip data: \(reason)")
                }
            }
        }
    }
}
