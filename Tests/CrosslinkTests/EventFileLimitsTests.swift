import Foundation
import Testing
@testable import Crosslink
#if canImport(Glibc)
import Glibc
#endif

/// Event files are read as a stream: a gzip bomb costs bounded memory (measured: the CLI
/// child's peak RSS), limits on line length and decompressed size refuse a file with its
/// name and line and store nothing of it, and line numbers stay right across chunks.
@Suite(.serialized) struct EventFileLimitsTests {
    static let mebibyte = 1 << 20
    static let view = #"{"id":"e-1","type":"product-view","time":1714557660000,"visitor_id":"v","session_id":"s","sku":"P1"}"#

    /// A gzip file of `members` concatenated members, each of one MiB of `byte` (so the test
    /// writes 1 MiB, not the whole inflated size), between `head` and `tail` members.
    static func bomb(_ dir: TemporaryDirectory, name: String, byte: UInt8, members: Int, head: String = "", tail: String = "") throws -> String {
        func gzip(_ data: Data) throws -> Data {
            let plain = dir.url.appending(path: "member-\(UUID().uuidString)")
            try data.write(to: plain)
            _ = try run("/bin/gzip", ["-9", "-f", plain.path])
            return try Data(contentsOf: URL(fileURLWithPath: plain.path + ".gz"))
        }
        let member = try gzip(Data(repeating: byte, count: mebibyte))
        var file = head.isEmpty ? Data() : try gzip(Data(head.utf8))
        for _ in 0..<members { file.append(member) }
        if !tail.isEmpty { file.append(try gzip(Data(tail.utf8))) }
        let path = dir.path(name)
        try file.write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Runs `executable` and returns its exit status, stderr and peak resident memory in KiB
    /// (the child's VmHWM, polled every 5 ms until it exits).
    static func runMeasuringPeakRSS(_ executable: String, _ arguments: [String], in dir: TemporaryDirectory) throws -> (status: Int32, stderr: String, peakKiB: Int) {
        let errPath = dir.path("stderr-\(UUID().uuidString)")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else { throw TestFailure("posix_spawn \(executable): error \(spawned)") }
        // VmHWM of /proc/PID/status, read while the child runs: its own high-water mark after
        // exec. (wait4's ru_maxrss is not used: Linux folds in the mm that posix_spawn's vfork
        // shared with this test process, so it reports the test's own size.)
        var status: Int32 = 0
        var peak = 0
        while true {
            let done = waitpid(pid, &status, WNOHANG)
            if done == pid { break }
            if done == -1 && errno != EINTR { break }
            if let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
               let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
               let kib = Int(line.dropFirst(6).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "") {
                peak = max(peak, kib)
            }
            usleep(5_000)
        }
        let exited = status & 0x7F == 0
        return (exited ? (status >> 8) & 0xFF : -1, try String(contentsOfFile: errPath, encoding: .utf8), peak)
    }

    static func newStore(_ dir: TemporaryDirectory) throws -> String {
        let path = dir.path("events.sqlite")
        let store = try makeStore(dir, name: "events.sqlite")
        try store.write { db in _ = try ProductRepository(db).upsert(Product(sku: "P1", name: "P1", price: 1)) }
        return path
    }

    /// 256 MiB of newlines in 256 KB of gzip, then one event: read through to the event (line
    /// 268 435 458) in bounded memory. Before streaming, the whole inflated file was held.
    @Test(arguments: ["jsonl", "csv"])
    func aGzipOfNewlinesImportsInBoundedMemory(format: String) throws {
        let dir = try TemporaryDirectory()
        let db = try Self.newStore(dir)
        let head = format == "jsonl" ? "\n" : "id,type,time,visitor_id,session_id,sku\n"
        let tail = format == "jsonl" ? Self.view + "\n" : "e-1,product-view,1714557660000,v,s,P1\n"
        let file = try Self.bomb(dir, name: "newlines.\(format).gz", byte: 0x0A, members: 256, head: head, tail: tail)
        let size = try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int ?? 0
        #expect(size < 400_000)
        let result = try Self.runMeasuringPeakRSS(CLITests.executable, ["--database", db, "events", "import", "--quiet", file], in: dir)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.peakKiB < 150 * 1024, "peak RSS \(result.peakKiB) KiB")
        #expect(try sqlite3Rows(db, "SELECT event_key, sku FROM events") == [["e-1", "P1"]])

        // With a limit on the decompressed size: refused, naming file and line, nothing stored.
        let limited = try run(CLITests.executable, ["--database", db, "events", "import", "--quiet", "--max-decompressed-bytes", "1000000", file])
        #expect(limited.status != 0)
        #expect(limited.stderr.contains("newlines.\(format).gz:"), "\(limited.stderr)")
        #expect(limited.stderr.contains("more than 1000000 bytes after decompression"), "\(limited.stderr)")
    }

    /// One endless line (256 MiB of `x` after a valid event): refused at the 1 MiB line limit
    /// with its line number, in bounded memory, and the event before it is not stored.
    @Test func aGzipOfOneGiantLineIsRefusedInBoundedMemory() throws {
        let dir = try TemporaryDirectory()
        let db = try Self.newStore(dir)
        let file = try Self.bomb(dir, name: "giant.jsonl.gz", byte: UInt8(ascii: "x"), members: 256, head: Self.view + "\n")
        let result = try Self.runMeasuringPeakRSS(CLITests.executable, ["--database", db, "events", "import", "--quiet", file], in: dir)
        #expect(result.status != 0)
        #expect(result.stderr.contains("giant.jsonl.gz:2: line longer than the 1048576-byte limit"), "\(result.stderr)")
        #expect(result.peakKiB < 150 * 1024, "peak RSS \(result.peakKiB) KiB")
        #expect(try sqlite3Rows(db, "SELECT count(*) FROM events") == [["0"]])
    }

    /// Line numbers across 256 KiB chunks: blank runs, CRLF, a BOM, a line split by a chunk end.
    @Test func lineNumbersStayRightAcrossChunks() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        try store.write { db in _ = try ProductRepository(db).upsert(Product(sku: "P1", name: "P1", price: 1)) }
        func event(_ id: Int) -> String { Self.view.replacingOccurrences(of: "\"e-1\"", with: "\"e-\(id)\"") }
        var text = "\u{FEFF}" + event(1) + "\r\n"                               // line 1
        text += String(repeating: "\n", count: 300_000)                          // lines 2…300 001
        text += String(repeating: " ", count: 262_100) + event(2) + "\n"         // line 300 002, across a chunk end
        text += " \t\r\n" + "{bad json}\n"                                       // 300 003 blank, 300 004 bad
        var options = EventIngestOptions()
        options.invalidEvents = .skipInvalid
        let report = try EventStore(store: store, options: options).importData(Data(text.utf8), file: "x.jsonl")
        #expect(report.stored == 2)
        #expect(report.rejected.map(\.line) == [300_004])

        // The same through gzip, and a line limit set in the library.
        let gz = dir.path("x.jsonl")
        try Data(text.utf8).write(to: URL(fileURLWithPath: gz))
        _ = try run("/bin/gzip", ["-f", gz])
        options.fileLimits.maximumLineBytes = 200_000
        let error = #expect(throws: InputError.self) { try EventStore(store: store, options: options).importFile(at: URL(fileURLWithPath: gz + ".gz")) }
        #expect(error?.line == 300_002)
        #expect(error?.file == "x.jsonl.gz")
    }

    /// CSV: a quoted cell with newlines across a block boundary, blank lines, and the line of
    /// an issue after them.
    @Test func csvRecordsAcrossBlocksKeepTheirLines() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        var csv = "id,type,time,visitor_id,session_id,category\n"                               // line 1
        for k in 0..<5_000 { csv += "v-\(k),page-view,1714557660000,v,s,\n" }                    // 2…5 001
        csv += "c-1,category-view,1714557660000,v,s,\"Gear\n" + String(repeating: "x", count: 300_000) + "\n/Bags\"\n"  // 5 002…5 004
        csv += "\n\n\n"                                                                          // 5 005…5 007
        csv += "bad,no-such-type,1714557660000,v,s,\n"                                           // 5 008
        var options = EventIngestOptions()
        options.invalidEvents = .skipInvalid
        let report = try EventStore(store: store, options: options).importData(Data(csv.utf8), file: "x.csv")
        #expect(report.stored == 5_001)
        #expect(report.rejected.map(\.line) == [5_008])
        let category = try store.read { db in try db.scalarText("SELECT category FROM events WHERE event_key = 'c-1'") }
        let expected = "Gear\n" + String(repeating: "x", count: 300_000) + "\n/Bags"
        #expect(category == expected)
    }
}
