import Crosslink
import Foundation

/// A new, migrated, empty database `name` in `directory` (schema only; not measured).
func freshDatabase(_ name: String, in directory: String) throws -> String {
    let path = directory + "/" + name
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    _ = try CrosslinkStore(path: path)
    return path
}

/// The `p` quantile of sorted nanoseconds, in µs.
func percentile(_ sorted: [Int64], _ p: Double) -> Double {
    Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1000
}

/// The message a C baseline function left in its error buffer.
func cError(_ buffer: [CChar]) -> String { String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) }

/// CPU seconds of this process: on a shared machine wall time also counts waiting for a core.
func cpuSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// One line of a results table: work, crosslink, raw C, ratio, target.
func row(_ cells: [String]) -> String {
    zip(cells, [34, 14, 14, 8, 10]).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined()
}

/// A benchmark step that could not run (a C baseline that failed), with what went wrong.
struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
