import Foundation
import Synchronization
import Testing
@testable import Crosslink

/// Many instances on one PostgreSQL database: four `crosslink events import` processes of 50,000
/// events each at once, some event ids in every file, while four readers (each a store of its
/// own, as another app instance would be) resolve pages until the writers end.
///
/// The issue's size is 50,000 events per process: `CROSSLINK_MANY_WRITERS_EVENTS=50000 swift test
/// --filter PostgreSQLManyWritersTests`. By default each file holds 5,000: incremental
/// aggregation on PostgreSQL runs about six statements per stored event, which makes the full
/// size minutes long on a debug build.
///
/// The same runs on a SQLite file (WAL: the writers wait for its lock by their busy timeout).
@Suite(.serialized) struct PostgreSQLManyWritersTests {
    static let writers = 4
    static let eventsPerFile = ProcessInfo.processInfo.environment["CROSSLINK_MANY_WRITERS_EVENTS"].flatMap { Int($0) } ?? 5_000
    /// Every `sharedEvery`-th line of each file is an event of the shared set, the same in all files.
    static let sharedEvery = 10
    static let skus = ["24-MB01", "24-MB02", "24-MB03", "24-MB04", "24-MB05", "24-MB06", "24-WB01", "24-WB04",
                       "24-UG01", "24-UG02", "24-UG03", "24-UG04", "24-UG05", "24-UG06", "24-UG07", "24-WG080",
                       "24-MG01", "24-MG02", "24-MG03", "24-MG04", "24-MG05", "24-WB02", "24-WB03", "24-WB05"]

    static let units = """
        {"units": [
          {"name": "up-sells", "page_type": "product", "placement": "top", "position": 1, "status": "active", "type": "upsell", "count": 4},
          {"name": "also viewed", "page_type": "product", "position": 1, "status": "active", "type": "viewed-viewed", "count": 4},
          {"name": "most viewed", "page_type": "product", "position": 2, "status": "active", "type": "most-viewed", "count": 4},
          {"name": "cross-sells", "page_type": "cart", "position": 1, "status": "active", "type": "crosssell", "count": 3,
           "backups": ["bought-bought"]},
          {"name": "bought together", "page_type": "cart", "position": 2, "status": "active", "type": "bought-bought", "count": 3}
        ]}
        """

    /// Writes writer `writer`'s file: views, cart adds and orders of `skus`; line `i` with
    /// `i % sharedEvery == 0` is the shared event `shared-(i / sharedEvery)`, byte for byte
    /// the same in every file, any other line an event of this writer only.
    static func writeEvents(writer: Int, to path: String) throws {
        let start = 1_780_000_000_000  // 2026-05-28, Unix ms
        var text = ""
        text.reserveCapacity(eventsPerFile * 170)
        for index in 0..<eventsPerFile {
            let shared = index % sharedEvery == 0
            let id = shared ? "shared-\(index / sharedEvery)" : "w\(writer)-\(index)"
            var random = SplitMix64(seed: UInt64(shared ? index : writer * 1_000_000 + index))
            let sku = skus[Int(random.next() % UInt64(skus.count))]
            let visitor = "v-\(random.next() % 2_000)"
            let session = "\(visitor)-s\(random.next() % 5)"
            let time = start + (shared ? index : writer * eventsPerFile + index) * 1_000
            let head = #"{"id":"\#(id)","time":\#(time),"visitor_id":"\#(visitor)","session_id":"\#(session)""#
            switch random.next() % 20 {
            case 0:
                let other = skus[Int(random.next() % UInt64(skus.count))]
                text += head + #","type":"place-order","order_id":"o-\#(id)","lines":[{"sku":"\#(sku)","quantity":1,"price":30},{"sku":"\#(other)","quantity":2,"price":12.5}]}"# + "\n"
            case 1, 2:
                text += head + #","type":"add-to-cart","sku":"\#(sku)","quantity":1,"price":30}"# + "\n"
            default:
                text += head + #","type":"product-view","sku":"\#(sku)"}"# + "\n"
            }
        }
        try text.write(toFile: path, atomically: false, encoding: .utf8)
    }

    /// A child process whose output goes to files (no pipe to fill up).
    struct Child {
        let process: Process
        let stdout: URL, stderr: URL

        init(_ executable: String, _ arguments: [String], outputIn directory: TemporaryDirectory, name: String) throws {
            process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            process.standardInput = FileHandle.nullDevice
            stdout = directory.url.appending(path: name + ".out")
            stderr = directory.url.appending(path: name + ".err")
            try Data().write(to: stdout)
            try Data().write(to: stderr)
            process.standardOutput = try FileHandle(forWritingTo: stdout)
            process.standardError = try FileHandle(forWritingTo: stderr)
            try process.run()
        }

        func finish() throws -> ProcessResult {
            process.waitUntilExit()
            return ProcessResult(status: process.terminationStatus, stdout: try String(contentsOf: stdout, encoding: .utf8),
                                 stderr: try String(contentsOf: stderr, encoding: .utf8))
        }
    }

    @Test(.requiresPostgreSQL) func fourImportProcessesAndFourPageReadersLoseAndDoubleNothing() throws {
        let cluster = try #require(try PostgreSQLCluster.shared())
        try Self.fourWritersAndFourReaders(on: cluster.uri(database: try cluster.makeDatabase("many_writers")), in: TemporaryDirectory())
    }

    @Test func fourImportProcessesAndFourPageReadersOnASQLiteFile() throws {
        let directory = try TemporaryDirectory()
        try Self.fourWritersAndFourReaders(on: directory.path("many-writers.sqlite"), in: directory)
    }

    static func fourWritersAndFourReaders(on uri: String, in directory: TemporaryDirectory) throws {
        // The Luma sample and units on product and cart pages that read the links and the
        // aggregates the writers change.
        let setup = try CrosslinkStore(location: uri)
        _ = try MagentoSampleImporter(store: setup).importSample()
        try setup.write { db in _ = try UnitRepository(db).importFile(try UnitFile.parse(Self.units, file: "units.json")) }
        setup.close()
        for writer in 0..<Self.writers {
            try Self.writeEvents(writer: writer, to: directory.path("events-\(writer).jsonl"))
        }

        let started = ContinuousClock.now
        // A writer waits for the others' transactions (one writer at a time): a busy timeout
        // longer than all of them together.
        let children = try (0..<Self.writers).map { writer in
            try Child(CLITests.executable, ["--database", uri, "--busy-timeout", "300000", "events", "import", "--quiet",
                                            directory.path("events-\(writer).jsonl")], outputIn: directory, name: "writer-\(writer)")
        }
        let writing = Atomic<Bool>(true)
        let readerErrors = Mutex<[String]>([])
        let pages = Mutex<[Int]>([])
        var readOnly = Configuration()
        readOnly.readOnly = true
        let configuration = readOnly
        let readers = (0..<4).map { reader in
            ConcurrencyTests.thread {
                var resolved = 0, withUnits = 0
                do {
                    let store = try CrosslinkStore(location: uri, configuration: configuration)
                    defer { store.close() }
                    repeat {
                        let sku = Self.skus[(reader * 7 + resolved) % Self.skus.count]
                        let page: Page = resolved % 3 == 2 ? .cart([sku]) : .product(sku)
                        let result = try store.resolvePage(page, visitor: "v-\(resolved % 2_000)")
                        resolved += 1
                        if !result.units.isEmpty { withUnits += 1 }
                    } while writing.load(ordering: .relaxed)
                } catch {
                    readerErrors.withLock { $0.append("reader \(reader) after \(resolved) pages: \(error)") }
                }
                pages.withLock { $0.append(withUnits) }
            }
        }
        let results = try children.map { try $0.finish() }
        let elapsed = ContinuousClock.now - started
        writing.store(false, ordering: .relaxed)
        for reader in readers { reader.wait() }

        for (writer, result) in results.enumerated() {
            #expect(result.status == 0, "writer \(writer): \(result.stderr)")
            #expect(result.stderr.isEmpty, "writer \(writer): \(result.stderr)")
        }
        #expect(readerErrors.withLock { $0 } == [])
        #expect(pages.withLock { $0 }.count == 4)
        #expect(pages.withLock { $0 }.allSatisfy { $0 > 0 }, "pages with units per reader: \(pages.withLock { $0 })")

        // Each shared id is stored by the first writer that got to it and a duplicate for the others.
        let shared = Self.eventsPerFile / Self.sharedEvery
        let distinct = Self.writers * (Self.eventsPerFile - shared) + shared
        let stored = results.compactMap { Self.number(before: " stored", in: $0.stdout) }
        let duplicates = results.compactMap { Self.number(before: " duplicates ignored", in: $0.stdout) }
        #expect(stored.reduce(0, +) == distinct, "stored per writer: \(stored)")
        #expect(duplicates.reduce(0, +) == (Self.writers - 1) * shared, "duplicates per writer: \(duplicates)")

        let store = try CrosslinkStore(location: uri)
        defer { store.close() }
        let engine = store.engine
        let (events, keys, sharedStored, lines) = try store.read { db in
            ((try db.scalarInt("SELECT count(*) FROM events") ?? -1), (try db.scalarInt("SELECT count(DISTINCT event_key) FROM events") ?? -1),
             (try db.scalarInt("SELECT count(*) FROM events WHERE event_key LIKE 'shared-%'") ?? -1),
             (try db.scalarInt("SELECT count(*) FROM event_lines JOIN events USING (event_seq) WHERE event_key LIKE 'shared-%'") ?? -1))
        }
        #expect(events == distinct)
        #expect(keys == events)
        #expect(sharedStored == shared)
        // An order's lines are stored with the one event that won, never once per writer.
        let sharedOrders = try store.read { db in
            (try db.scalarInt("SELECT count(*) FROM events WHERE event_key LIKE 'shared-%' AND type = 'place-order'") ?? -1)
        }
        #expect(lines == 2 * sharedOrders)
        let report = try store.check()
        #expect(report.items.first { $0.name == "aggregates equal a rebuild" }?.outcome == .ok,
                "\(report.items.map { "\($0.name): \($0.outcome) \($0.detail)" })")
        #expect(report.isSound)
        print("many writers: \(Self.writers) processes × \(Self.eventsPerFile) events into \(engine.rawValue) in \(elapsed) "
              + "(\(Int(Double(Self.writers * Self.eventsPerFile) / (elapsed / .seconds(1)))) events/s), readers resolved pages with units: \(pages.withLock { $0 })")
    }

    /// The integer just before `suffix` in an import's summary line ("… 45000 stored, …").
    static func number(before suffix: String, in text: String) -> Int? {
        guard let range = text.range(of: suffix) else { return nil }
        return Int(text[..<range.lowerBound].split(separator: " ").last ?? "")
    }
}
