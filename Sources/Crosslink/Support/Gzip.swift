import CZlib
import Foundation

/// gzip decompression through the system zlib, for compressed event logs (`.jsonl.gz`,
/// the shipped Online Retail `.csv.gz`).
///
/// ```swift
/// let data = try Data(contentsOf: url)
/// let text = Gzip.isCompressed(data) ? try Gzip.decompress(data, file: url.lastPathComponent) : data
/// ```
public enum Gzip {
    /// Whether `data` starts with the gzip magic bytes `1f 8b`.
    public static func isCompressed(_ data: Data) -> Bool {
        data.count >= 2 && data[data.startIndex] == 0x1F && data[data.startIndex + 1] == 0x8B
    }

    /// Inflates every gzip member of `data` (concatenated members, as `cat a.gz b.gz` makes,
    /// read as one stream, like `zcat`). Throws an ``ImportIssue`` naming `file` when the
    /// data is damaged or truncated.
    public static func decompress(_ data: Data, file: String) throws -> Data {
        var output = Data()
        output.reserveCapacity(data.count * 6)
        var stream = z_stream()
        // 15 + 16: a gzip wrapper (not raw deflate or zlib), full window.
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw ImportIssue(file: file, line: 0, message: "cannot start gzip decompression")
        }
        defer { inflateEnd(&stream) }
        let chunkSize = 1 << 18
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        try data.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
            guard let base = input.baseAddress else { return }
            stream.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
            stream.avail_in = uInt(input.count)
            while true {
                let (code, produced) = chunk.withUnsafeMutableBufferPointer { buffer -> (Int32, Int) in
                    stream.next_out = buffer.baseAddress
                    stream.avail_out = uInt(chunkSize)
                    let code = inflate(&stream, Z_NO_FLUSH)
                    return (code, chunkSize - Int(stream.avail_out))
                }
                output.append(contentsOf: chunk[0..<produced])
                switch code {
                case Z_STREAM_END:
                    // Another member may follow.
                    guard stream.avail_in > 0 else { return }
                    guard inflateReset(&stream) == Z_OK else {
                        throw ImportIssue(file: file, line: 0, message: "damaged gzip data (cannot read the next member)")
                    }
                case Z_OK:
                    if stream.avail_in == 0 && produced < chunkSize {
                        throw ImportIssue(file: file, line: 0, message: "truncated gzip data (the file ends inside a compressed stream)")
                    }
                case Z_BUF_ERROR where stream.avail_in == 0:
                    throw ImportIssue(file: file, line: 0, message: "truncated gzip data (the file ends inside a compressed stream)")
                default:
                    let reason = stream.msg.map { String(cString: $0) } ?? "zlib error \(code)"
                    throw ImportIssue(file: file, line: 0, message: "damaged gzip data: \(reason)")
                }
            }
        }
        return output
    }
}
