import ArgumentParser
import Crosslink
import Foundation
import SampleFiles
import Synchronization

// MARK: - The deterministic workloads (the tests re-derive them independently)

/// The events the `events` child writes: event `i` is a pure function of `i`, so the parent
/// (and a test) can check any stored event field by field.
enum TortureWorkload {
    static let skus = ["24-MB01", "24-MB04", "24-WB04", "MH01", "24-UG06", "24-WG085_Group", "MJ12", "WS03"]
    static let baseMilliseconds: Int64 = 1_700_000_000_000

    static func event(_ i: Int) -> Event {
        let time = Date(timeIntervalSince1970: Double(baseMilliseconds + Int64(i) * 1_000) / 1_000)
        let sku = skus[i % skus.count]
        let visitor = "v-\(i % 37)", session = "s-\(i / 20)"
        switch i % 10 {
        case 9:
            return Event(id: "ev-\(i)", type: .placeOrder, time: time, visitorID: visitor, sessionID: session,
                         orderID: "o-\(i)", lines: [OrderLine(sku: sku, quantity: 1, price: Double(i % 50) + 0.5),
                                                    OrderLine(sku: skus[(i + 3) % skus.count], quantity: 2, price: 9.25)])
        case 5, 7:
            return Event(id: "ev-\(i)", type: .addToCart, time: time, visitorID: visitor, sessionID: session, sku: sku,
                         quantity: 1, price: Double(i % 50) + 0.5)
        default:
            return Event(id: "ev-\(i)", type: .productView, time: time, visitorID: visitor, sessionID: session, sku: sku)
        }
    }

    /// The product CSV of one import generation: `products` simple products `IMP-00001…`, each
    /// named and tagged with the generation, each related to the next three.
    static func importCSV(generation: Int, products: Int) -> Data {
        var text = "sku,product_type,attribute_set_code,name,price,qty,related_skus,additional_attributes\n"
        func sku(_ k: Int) -> String { "IMP-" + String(format: "%05d", k) }
        for k in 1...products {
            let related = (1...3).map { (k + $0 - 1) % products + 1 }.map(sku).joined(separator: ",")
            text += "\(sku(k)),simple,Default,generation \(generation) item \(k),\(generation).\(k % 100),\(k),\"\(related)\",torture_generation=\(generation)\n"
        }
        return Data(text.utf8)
    }
}

/// Writes to stdout with one write(2) per line: an acknowledgement is on the pipe completely or
/// not at all when the process dies (print() buffers).
private func emit(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
        if written <= 0 { return }
        offset += written
    }
}

// MARK: - Children

struct TortureEvents: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Child: append TortureWorkload events from --from in batches; print `ack FIRST END` after each commit.")

    @ParentCommand var root: CrosslinkTorture
    @Option(help: "First event index.") var from = 0
    @Option(help: "Stop after this many events (default: run until killed).") var count: Int?
    @Option(help: "Largest batch.") var batchMax = 40
    @Option(help: "Seed of the batch sizes and redeliveries.") var seed: UInt64 = 1
    @Flag(help: "Commit with synchronous=FULL.") var full = false

    func run() throws {
        var configuration = Configuration()
        if full { configuration.synchronous = .full }
        let store = try CrosslinkStore(path: root.database, configuration: configuration)
        var random = SplitMix64(seed: seed &+ UInt64(from))
        emit("ready")
        var next = from
        let end = count.map { from + $0 } ?? Int.max
        while next < end {
            let size = min(end - next, 1 + Int(random.next() % UInt64(max(1, batchMax))))
            var batch = (next..<(next + size)).map(TortureWorkload.event)
            // A sender that retries delivers some earlier events again: they must be ignored.
            if next > 0 && random.next() % 4 == 0 {
                batch.insert(TortureWorkload.event(Int(random.next() % UInt64(next))), at: Int(random.next() % UInt64(batch.count + 1)))
            }
            emit("send \(next) \(next + size)")
            try EventStore(store: store).append(batch)  // one transaction, committed when it returns
            emit("ack \(next) \(next + size)")
            next += size
        }
    }
}

struct TortureImport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Child: import generation G of the generated catalog in one transaction; print `committed G`.")

    @ParentCommand var root: CrosslinkTorture
    @Option(help: "Generation number written into every product.") var generation: Int
    @Option(help: "Number of products.") var products = 3_000

    func run() throws {
        let store = try root.openStore()
        let data = TortureWorkload.importCSV(generation: generation, products: products)
        emit("ready")
        _ = try MagentoCSVImporter(store: store).importData(data, file: "generation-\(generation).csv")
        emit("committed \(generation)")
    }
}

struct TortureVerify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Run a crash loop's checks once: events (every event, integrity, aggregates) or rules (cache against the rules' SQL).")

    @ParentCommand var root: CrosslinkTorture
    @Option(help: "events or rules.") var mode: TortureCrashLoop.Mode = .events
    @Flag(help: "Print the summary as JSON.") var json = false

    func run() throws {
        var summary = CrashLoop.Summary(mode: mode.rawValue)
        let store = try CrosslinkStore(path: root.database)
        switch mode {
        case .rules:
            let integrity = try TortureCheck.integrity(store)
            if integrity != "ok" { summary.integrityFailures += 1; summary.failures.append("integrity_check: \(integrity)") }
            if try TortureCheck.ruleCacheInUse(store) { summary.checksWithCacheInUse += 1 }
            if let mismatch = try TortureCheck.ruleCacheMismatch(store) {
                summary.staleResultsServed += 1
                summary.failures.append(mismatch)
            }
        default:
            summary.storedEvents = try TortureCheck.checkEventLog(store, acknowledgedEnd: 0, batchEnds: nil, verifiedEnd: 0,
                                                                  after: "opening", into: &summary)
        }
        print(json ? try Output.json(summary) : Output.table(["measure", "value"], summary.rows))
        if !summary.failures.isEmpty {
            for failure in summary.failures.prefix(20) { Output.error("FAILURE: \(failure)") }
            throw ExitCode(1)
        }
    }
}

struct TortureConcurrency: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "concurrency",
        abstract: "Readers resolving placements while one writer ingests event batches and imports catalogs; prints a JSON summary.",
        discussion: """
            In one process, on one store: --readers threads each take --reads snapshots (a placement and \
            its generation check, the event count, a cart), while one writer does --writes operations, \
            alternating a batch of --batch-size events and an import of a --products catalog generation. \
            Counts every error that reaches a caller (SQLITE_BUSY included) and every half-applied write a \
            reader saw; exits 1 if there is any.
            """)

    @ParentCommand var root: CrosslinkTorture
    @Option(help: "Reader threads.") var readers = 4
    @Option(help: "Snapshots per reader.") var reads = 150
    @Option(help: "Writer operations (event batches and imports alternate).") var writes = 40
    @Option(help: "Events per batch.") var batchSize = 50
    @Option(help: "Products per catalog generation.") var products = 200

    struct Summary: Codable {
        var readers = 0, readsPerReader = 0, writerOperations = 0, eventBatches = 0, imports = 0
        var eventsStored = 0, readsDuringWrites = 0
        var writerSeconds = 0.0, totalSeconds = 0.0, writerOperationsPerSecond = 0.0, snapshotsPerSecond = 0.0
        var errors: [String] = [], halfWritesSeen: [String] = []
    }

    static func sku(_ k: Int) -> String { "CC-" + String(format: "%05d", k) }

    /// Generation `g`: products CC-00001…, named "gen g item k" and priced g, each related to the next two.
    func catalog(generation g: Int) -> Data {
        var csv = "sku,product_type,attribute_set_code,name,price,related_skus\n"
        for k in 1...products {
            csv += "\(Self.sku(k)),simple,Default,gen \(g) item \(k),\(g),\"\(Self.sku(k % products + 1)),\(Self.sku((k + 1) % products + 1))\"\n"
        }
        return Data(csv.utf8)
    }

    func run() throws {
        let store = try root.openStore()
        if try store.read({ db in try ProductRepository(db).count() }) == 0 { _ = try MagentoSampleImporter(store: store).importSample(at: SampleFiles.magentoSample) }
        _ = try MagentoCSVImporter(store: store).importData(catalog(generation: 0), file: "generation-0.csv")
        let eventsBefore = try store.read { db in try db.scalarInt("SELECT count(*) FROM events") ?? 0 }
        let (readers, reads, writes, batchSize, products) = (self.readers, self.reads, self.writes, self.batchSize, self.products)
        let errors = Mutex<[String]>([]), halfWrites = Mutex<[String]>([])
        let writing = Atomic(true), readsDuringWrites = Atomic(0)
        let generations = (0..<writes).map { $0 % 2 == 1 ? catalog(generation: $0) : Data() }

        let started = Date()
        let writer = Self.thread {
            for operation in 0..<writes {
                do {
                    if operation % 2 == 0 {
                        let start = eventsBefore + operation / 2 * batchSize  // ids not yet used by this workload
                        try EventStore(store: store).append((start..<(start + batchSize)).map(TortureWorkload.event))
                    } else {
                        _ = try MagentoCSVImporter(store: store).importData(generations[operation], file: "generation-\(operation).csv")
                    }
                } catch {
                    errors.withLock { $0.append("writer operation \(operation): \(error)") }
                }
            }
            writing.store(false, ordering: .releasing)
        }
        let readerThreads = (0..<readers).map { reader in
            Self.thread {
                for index in 0..<reads {
                    let duringWrite = writing.load(ordering: .acquiring)
                    do {
                        let problem = try store.read { db in try Self.halfWrite(db, sku: Self.sku(1 + (reader * 37 + index) % products),
                                                                                eventsBefore: eventsBefore, batchSize: batchSize) }
                        if let problem { halfWrites.withLock { $0.append(problem) } }
                        if duringWrite { readsDuringWrites.add(1, ordering: .relaxed) }
                    } catch {
                        errors.withLock { $0.append("reader \(reader): \(error)") }
                    }
                }
            }
        }
        writer.wait()
        let writerSeconds = Date().timeIntervalSince(started)
        for thread in readerThreads { thread.wait() }
        let totalSeconds = Date().timeIntervalSince(started)

        var summary = Summary(readers: readers, readsPerReader: reads, writerOperations: writes, eventBatches: (writes + 1) / 2,
                              imports: writes / 2)
        summary.eventsStored = try store.read { db in try db.scalarInt("SELECT count(*) FROM events") ?? 0 } - eventsBefore
        summary.readsDuringWrites = readsDuringWrites.load(ordering: .relaxed)
        summary.writerSeconds = writerSeconds
        summary.totalSeconds = totalSeconds
        summary.writerOperationsPerSecond = Double(writes) / writerSeconds
        summary.snapshotsPerSecond = Double(readers * reads) / totalSeconds
        summary.errors = errors.withLock { Array($0.prefix(20)) }
        summary.halfWritesSeen = halfWrites.withLock { Array($0.prefix(20)) }
        if summary.eventsStored != summary.eventBatches * batchSize {
            summary.errors.append("\(summary.eventsStored) events stored, \(summary.eventBatches * batchSize) sent (run it on a new file)")
        }
        print(try Output.json(summary))
        if !summary.errors.isEmpty || !summary.halfWritesSeen.isEmpty { throw ExitCode(1) }
    }

    /// What a reader checks in one snapshot; nil when it saw only whole writes: the viewed product
    /// and the products it shows are of one catalog generation, all prices are of one generation,
    /// the event log holds whole batches; and a cart resolves.
    static func halfWrite(_ db: Database, sku: String, eventsBefore: Int, batchSize: Int) throws -> String? {
        guard let viewed = try ProductRepository(db).product(sku: sku) else { return "\(sku) missing" }
        let generation = viewed.name.split(separator: " ")[1]
        let related = try Placements(db).related(for: sku)
        if related.count != 2 || related.contains(where: { $0.name.split(separator: " ")[1] != generation }) {
            return "\(sku) of generation \(generation) shows \(related.map(\.name))"
        }
        if try db.scalarInt("SELECT count(DISTINCT price) FROM products WHERE sku LIKE 'CC-%'") != 1 {
            return "two generations of prices in one snapshot"
        }
        let events = (try db.scalarInt("SELECT count(*) FROM events") ?? 0) - eventsBefore
        if events % batchSize != 0 { return "\(events) new events: half a batch" }
        _ = try Placements(db).crossSells(cart: ["24-MB01", "MH01-XS-Black"])
        return nil
    }

    /// Runs `body` on a new thread; the semaphore is signalled when it ends.
    static func thread(_ body: @escaping @Sendable () -> Void) -> DispatchSemaphore {
        let done = DispatchSemaphore(value: 0)
        Thread { body(); done.signal() }.start()
        return done
    }
}

struct TortureRules: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Child: change prices (one transaction), then rebuild the rule cache (another); print `changed G`, `rebuilt G`.")

    @ParentCommand var root: CrosslinkTorture
    @Option(help: "Generation number: decides the price changes.") var generation: Int

    func run() throws {
        let store = try root.openStore()
        emit("ready")
        // Every priced product moves by -3…+3 %, differently each generation: rule results change.
        try store.write { db in
            try db.execute("UPDATE products SET price = round(price * (1 + ((product_id * ?) % 7 - 3) / 100.0), 2) WHERE price IS NOT NULL",
                           [generation])
        }
        emit("changed \(generation)")
        try store.write { db in _ = try RuleCache(db).rebuild() }
        emit("rebuilt \(generation)")
    }
}

struct TortureHammer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hammer",
        abstract: "Child for the two-process test: N event batches interleaved with placement reads; prints a JSON summary.")

    @ParentCommand var root: CrosslinkTorture
    @Option(help: "First event index (give each process its own range).") var from = 0
    @Option(help: "Number of batches.") var batches = 200
    @Option(help: "Events per batch.") var batchSize = 10
    @Option(help: "Placement reads per batch.") var reads = 5

    struct Summary: Codable {
        var batches = 0, events = 0, reads = 0, errors: [String] = [], seconds = 0.0
    }

    func run() throws {
        let store = try root.openStore()
        var summary = Summary()
        let started = Date()
        for b in 0..<batches {
            let first = from + b * batchSize
            let events = (first..<(first + batchSize)).map(TortureWorkload.event)
            do {
                try EventStore(store: store).append(events)
                summary.batches += 1
                summary.events += events.count
            } catch {
                summary.errors.append("write \(first): \(error)")
            }
            for r in 0..<reads {
                let sku = TortureWorkload.skus[(b + r) % TortureWorkload.skus.count]
                do {
                    _ = try store.read { db in try Placements(db).related(for: sku).count }
                    summary.reads += 1
                } catch {
                    summary.errors.append("read \(sku): \(error)")
                }
            }
        }
        summary.seconds = Date().timeIntervalSince(started)
        print(try Output.json(summary))
        if !summary.errors.isEmpty { throw ExitCode(1) }
    }
}
