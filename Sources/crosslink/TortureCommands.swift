import ArgumentParser
import Crosslink
import Foundation
import Synchronization

/// Reliability drills, hidden from `crosslink --help`: the crash loop of `scripts/crash-loop`
/// and of the tests (a parent that SIGKILLs a writing child at random moments and checks what
/// survived), and the writers used for the two-process concurrency test.
struct Torture: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "torture",
        abstract: "Reliability drills: crash loops and concurrent writers (used by scripts/crash-loop and the tests).",
        discussion: """
            crosslink --database DIR/x.sqlite torture crash-loop --mode events --kills 1000
              runs a child that writes and acknowledges each commit on stdout, kills it with SIGKILL at \
            random moments, reopens the database and checks every acknowledged write, PRAGMA \
            integrity_check, and (events) that the aggregates equal a rebuild; (import) that an \
            interrupted import left nothing or everything.
            The children (events, import, hammer) are what the crash loop and the tests start.
            """,
        shouldDisplay: false,
        subcommands: [TortureCrashLoop.self, TortureVerify.self, TortureConcurrency.self, TortureEvents.self, TortureImport.self,
                      TortureRules.self, TortureHammer.self])
}

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

    @ParentCommand var root: CrosslinkCommand
    @Option(help: "First event index.") var from = 0
    @Option(help: "Stop after this many events (default: run until killed).") var count: Int?
    @Option(help: "Largest batch.") var batchMax = 40
    @Option(help: "Seed of the batch sizes and redeliveries.") var seed: UInt64 = 1
    @Flag(help: "Commit with synchronous=FULL.") var full = false

    func run() throws {
        var configuration = Configuration()
        if full { configuration.synchronous = .full }
        let store = try CrosslinkStore(path: root.global.database, configuration: configuration)
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

    @ParentCommand var root: CrosslinkCommand
    @Option(help: "Generation number written into every product.") var generation: Int
    @Option(help: "Number of products.") var products = 3_000

    func run() throws {
        let store = try root.global.openStore()
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

    @ParentCommand var root: CrosslinkCommand
    @Option(help: "events or rules.") var mode: TortureCrashLoop.Mode = .events
    @Flag(help: "Print the summary as JSON.") var json = false

    func run() throws {
        var summary = CrashLoop.Summary(mode: mode.rawValue)
        let store = try CrosslinkStore(path: root.global.database)
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

    @ParentCommand var root: CrosslinkCommand
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
        let store = try root.global.openStore()
        if try store.read({ db in try ProductRepository(db).count() }) == 0 { _ = try MagentoSampleImporter(store: store).importSample() }
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

    @ParentCommand var root: CrosslinkCommand
    @Option(help: "Generation number: decides the price changes.") var generation: Int

    func run() throws {
        let store = try root.global.openStore()
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

    @ParentCommand var root: CrosslinkCommand
    @Option(help: "First event index (give each process its own range).") var from = 0
    @Option(help: "Number of batches.") var batches = 200
    @Option(help: "Events per batch.") var batchSize = 10
    @Option(help: "Placement reads per batch.") var reads = 5

    struct Summary: Codable {
        var batches = 0, events = 0, reads = 0, errors: [String] = [], seconds = 0.0
    }

    func run() throws {
        let store = try root.global.openStore()
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

// MARK: - The parent

struct TortureCrashLoop: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crash-loop",
        abstract: "Kill a writing child with SIGKILL at random moments and check what survived.")

    enum Mode: String, ExpressibleByArgument, CaseIterable { case events, `import`, rules }

    @ParentCommand var root: CrosslinkCommand
    @Option(help: "events, import or rules.") var mode: Mode = .events
    @Option(help: "Number of kills.") var kills = 50
    @Option(help: "Seed of the kill times.") var seed: UInt64 = 42
    @Option(help: "Longest wait before a kill, in milliseconds (events mode).") var maxDelay = 250
    @Option(help: "Products per import generation (import mode).") var products = 3_000
    @Option(help: "Events mode: start a new database file (PATH.2, PATH.3, …) after this many kills, so that the check after each kill stays quick.")
    var killsPerFile = 100
    @Option(help: "Events mode: write every acknowledged event index range to this file, for independent checks (one database file only).")
    var ackLog: String?
    @Flag(help: "Print the summary as JSON.") var json = false

    func validate() throws {
        guard kills > 0, killsPerFile > 0, maxDelay > 0, products > 0 else { throw ValidationError("counts must be positive") }
        if ackLog != nil && kills > killsPerFile { throw ValidationError("--ack-log needs --kills ≤ --kills-per-file") }
    }

    func run() throws {
        let executable = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        var loop = CrashLoop(executable: executable, database: root.global.database, seed: seed)
        let summary: CrashLoop.Summary
        switch mode {
        case .events:
            var total = CrashLoop.Summary(mode: "events")
            var file = 1
            while total.kills < kills {
                loop.database = file == 1 ? root.global.database : "\(root.global.database).\(file)"
                let part = try loop.runEvents(kills: min(killsPerFile, kills - total.kills), maxDelayMilliseconds: maxDelay,
                                              ackLog: file == 1 ? ackLog : nil)
                total.add(part)
                file += 1
            }
            summary = total
        case .import: summary = try loop.runImports(kills: kills, products: products)
        case .rules: summary = try loop.runRules(kills: kills)
        }
        if json {
            print(try Output.json(summary))
        } else {
            print(Output.table(["measure", "value"], summary.rows))
        }
        if !summary.failures.isEmpty {
            for failure in summary.failures.prefix(20) { Output.error("FAILURE: \(failure)") }
            throw ExitCode(1)
        }
    }
}

/// A child process whose stdout lines are collected by a background reader.
final class ChildProcess: Sendable {
    let pid: pid_t
    private let state = Mutex<(lines: [String], partial: String, closed: Bool)>(([], "", false))
    private let done = DispatchSemaphore(value: 0)

    /// Spawned with posix_spawn and reaped with waitpid (Foundation's Process polls for the
    /// exit every 50 ms, a third of a crash-loop iteration).
    init(executable: URL, arguments: [String]) throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw CatalogError.invalidValue(field: "pipe", value: "", reason: String(cString: strerror(errno))) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        posix_spawn_file_actions_addclose(&actions, fds[1])
        let argv = ([executable.path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let code = posix_spawn(&pid, executable.path, &actions, nil, argv, environ)
        close(fds[1])
        guard code == 0 else {
            close(fds[0])
            throw CatalogError.invalidValue(field: "posix_spawn", value: executable.path, reason: String(cString: strerror(code)))
        }
        self.pid = pid
        let reading = fds[0]
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(reading, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                state.withLock { s in
                    s.partial += String(decoding: buffer[..<count], as: UTF8.self)
                    while let newline = s.partial.firstIndex(of: "\n") {
                        s.lines.append(String(s.partial[..<newline]))
                        s.partial = String(s.partial[s.partial.index(after: newline)...])
                    }
                }
            }
            close(reading)
            state.withLock { $0.closed = true }
            done.signal()
        }
    }

    var lines: [String] { state.withLock { $0.lines } }

    /// Waits until a line satisfies `predicate` or the output ends; false on timeout.
    func wait(timeout: TimeInterval, for predicate: (String) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let (found, closed) = state.withLock { s in (s.lines.contains(where: predicate), s.closed) }
            if found { return true }
            if closed { return false }
            Thread.sleep(forTimeInterval: 0.001)
        }
        return false
    }

    /// SIGKILL, then every complete line the child wrote before dying.
    func kill() -> (lines: [String], status: Int32) {
        Glibc.kill(pid, SIGKILL)
        return finish()
    }

    /// Waits for the exit; the status is the exit code, or 128 + the signal.
    func finish() -> (lines: [String], status: Int32) {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        done.wait()
        let signal = status & 0x7F
        return (lines, signal == 0 ? (status >> 8) & 0xFF : 128 + signal)
    }
}

struct CrashLoop {
    let executable: URL
    var database: String
    var random: SplitMix64

    init(executable: URL, database: String, seed: UInt64) {
        self.executable = executable
        self.database = database
        self.random = SplitMix64(seed: seed)
    }

    struct Summary: Codable {
        var mode = ""
        var kills = 0
        /// Kills that landed after the child had started its work (not during start-up).
        var killsMidWrite = 0
        var childRuns = 0
        var acknowledgedEvents = 0
        var eventsChecked = 0
        var storedEvents = 0
        var redeliveredBatches = 0
        var lostAcknowledged = 0
        var eventMismatches = 0
        var duplicates = 0
        var partialBatches = 0
        var integrityFailures = 0
        var aggregateMismatches = 0
        var importsCommitted = 0
        var importsRolledBack = 0
        var mixedImports = 0
        /// Rules mode: kills between the price change and the cache rebuild (the cache is stale).
        var staleCacheKills = 0
        var staleResultsServed = 0
        /// Rules mode: checks made while placements read the cache (the others read the rules' SQL).
        var checksWithCacheInUse = 0
        /// How long the first, uninterrupted import took; kills land uniformly in 0…1.15× this.
        var importMilliseconds = 0
        var seconds = 0.0
        var files = 1
        var failures: [String] = []

        /// Adds the counts of another database file's loop.
        mutating func add(_ other: Summary) {
            if childRuns > 0 { files += 1 }
            kills += other.kills; killsMidWrite += other.killsMidWrite; childRuns += other.childRuns
            acknowledgedEvents += other.acknowledgedEvents; eventsChecked += other.eventsChecked
            storedEvents += other.storedEvents; redeliveredBatches += other.redeliveredBatches
            lostAcknowledged += other.lostAcknowledged; duplicates += other.duplicates; eventMismatches += other.eventMismatches
            partialBatches += other.partialBatches; integrityFailures += other.integrityFailures
            aggregateMismatches += other.aggregateMismatches; importsCommitted += other.importsCommitted
            importsRolledBack += other.importsRolledBack; mixedImports += other.mixedImports
            staleCacheKills += other.staleCacheKills; staleResultsServed += other.staleResultsServed
            checksWithCacheInUse += other.checksWithCacheInUse
            seconds += other.seconds; failures += other.failures
        }

        var rows: [[String]] {
            var rows = [["mode", mode], ["kills", String(kills)], ["kills mid-write", String(killsMidWrite)],
                        ["child runs", String(childRuns)]]
            if mode == "events" {
                rows += [["database files", String(files)],
                         ["acknowledged events", String(acknowledgedEvents)], ["events checked", String(eventsChecked)],
                         ["stored events", String(storedEvents)],
                         ["lost acknowledged events", String(lostAcknowledged)], ["events differing from what was sent", String(eventMismatches)],
                         ["duplicates", String(duplicates)],
                         ["committed, unacknowledged batches (sent again)", String(redeliveredBatches)],
                         ["partial batches", String(partialBatches)], ["aggregate mismatches", String(aggregateMismatches)]]
            } else if mode == "rules" {
                rows += [["uninterrupted price change + rule rebuild (ms)", String(importMilliseconds)],
                         ["rebuilds committed", String(importsCommitted)], ["rebuilds interrupted", String(importsRolledBack)],
                         ["kills with prices changed, cache not rebuilt", String(staleCacheKills)],
                         ["checks while placements read the cache", String(checksWithCacheInUse)],
                         ["stale rule results served", String(staleResultsServed)]]
            } else {
                rows += [["uninterrupted import (ms)", String(importMilliseconds)],
                         ["imports committed", String(importsCommitted)], ["imports rolled back", String(importsRolledBack)],
                         ["mixed (half) imports", String(mixedImports)]]
            }
            rows += [["integrity failures", String(integrityFailures)], ["seconds", String(format: "%.1f", seconds)]]
            return rows
        }
    }

    private mutating func delay(maximum milliseconds: Int) -> TimeInterval {
        Double(random.next() % UInt64(max(1, milliseconds) * 1_000)) / 1_000_000
    }

    /// The database must already hold the Magento sample (the events name its SKUs); a new file
    /// gets it here.
    private func prepareCatalog() throws {
        let store = try CrosslinkStore(path: database)
        if try store.read({ db in try ProductRepository(db).count() }) == 0 {
            _ = try MagentoSampleImporter(store: store).importSample()
        }
    }


    mutating func runEvents(kills: Int, maxDelayMilliseconds: Int, ackLog: String?) throws -> Summary {
        let started = Date()
        var summary = Summary(mode: "events")
        try prepareCatalog()
        let log = try ackLog.map { path -> FileHandle in
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            return try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        }
        // Events stored before this loop (a reused file) are checked too.
        var stored = try CrosslinkStore(path: database).read { db in try db.scalarInt("SELECT count(*) FROM events") ?? 0 }
        var acknowledgedEnd = stored
        var verifiedEnd = 0
        // Where the stored log may end: a batch end some child sent (committed, maybe unacknowledged).
        var batchEnds: Set<Int> = [stored]
        while summary.kills < kills {
            let child = try ChildProcess(executable: executable, arguments: [
                "--database", database, "torture", "events", "--from", String(acknowledgedEnd),
                "--seed", String(random.next() % 1_000_000)])
            summary.childRuns += 1
            guard child.wait(timeout: 30, for: { $0 == "ready" }) else {
                let result = child.finish()
                summary.failures.append("child did not start (status \(result.status))")
                break
            }
            Thread.sleep(forTimeInterval: delay(maximum: maxDelayMilliseconds))
            let (lines, _) = child.kill()
            summary.kills += 1
            var sent: [Range<Int>] = []
            for line in lines {
                let parts = line.split(separator: " ")
                guard parts.count == 3, let first = Int(parts[1]), let end = Int(parts[2]) else { continue }
                if parts[0] == "send" { sent.append(first..<end); batchEnds.insert(end) }
                if parts[0] == "ack" {
                    guard first == acknowledgedEnd else {
                        summary.failures.append("acks out of order: \(first) after \(acknowledgedEnd)")
                        continue
                    }
                    acknowledgedEnd = end
                    summary.acknowledgedEvents += end - first
                    log?.write(Data("\(first) \(end)\n".utf8))
                }
            }
            if !sent.isEmpty { summary.killsMidWrite += 1 }

            // Reopen (WAL recovery happens here) and check.
            let store = try CrosslinkStore(path: database)
            stored = try TortureCheck.checkEventLog(store, acknowledgedEnd: acknowledgedEnd, batchEnds: batchEnds,
                                                    verifiedEnd: verifiedEnd, after: "kill \(summary.kills)", into: &summary)
            verifiedEnd = stored
        }
        summary.storedEvents = stored
        try log?.close()
        summary.seconds = Date().timeIntervalSince(started)
        return summary
    }

    /// The rules the rule crash loop installs: one per block, with price-relative display
    /// conditions, so every price change changes their results.
    static let tortureRules = """
        {"rules": [
          {"name": "torture upsell", "applies_to": "upsell", "priority": 1, "limit": 6,
           "match": {"aggregator": "all", "value": true, "conditions": [{"attribute": "category", "operator": "==", "value": "Gear"}]},
           "display": {"aggregator": "all", "value": true, "conditions": [
              {"attribute": "category", "operator": "==", "value_type": "same_as_matched"},
              {"attribute": "price", "operator": ">=", "value_type": "percent_of_matched", "value": 100}]}},
          {"name": "torture related", "applies_to": "related", "priority": 1, "limit": 5,
           "match": {"aggregator": "all", "value": true, "conditions": [{"attribute": "category", "operator": "==", "value": "Gear/Bags"}]},
           "display": {"aggregator": "all", "value": true, "conditions": [
              {"attribute": "category", "operator": "==", "value_type": "same_as_matched"},
              {"attribute": "price", "operator": "<", "value_type": "percent_of_matched", "value": 90}]}},
          {"name": "torture crosssell", "applies_to": "crosssell", "priority": 1, "limit": 3,
           "match": {"aggregator": "all", "value": true, "conditions": [{"attribute": "category", "operator": "==", "value": "Gear/Bags"}]},
           "display": {"aggregator": "all", "value": true, "conditions": [
              {"attribute": "price", "operator": "<=", "value_type": "percent_of_matched", "value": 30},
              {"attribute": "in_stock", "operator": "==", "value": true}]}}
        ]}
        """

    mutating func runRules(kills: Int) throws -> Summary {
        let started = Date()
        var summary = Summary(mode: "rules")
        let store = try CrosslinkStore(path: database)
        if try store.read({ db in try ProductRepository(db).count() }) == 0 {
            _ = try MagentoSampleImporter(store: store).importSample()
            try store.write { db in
                try RuleRepository(db).importFile(text: Self.tortureRules, file: "torture-rules.json")
                _ = try RuleCache(db).rebuild()
            }
        }
        // An uninterrupted generation measures the work.
        let first = try ChildProcess(executable: executable, arguments: ["--database", database, "torture", "rules", "--generation", "1"])
        _ = first.wait(timeout: 60, for: { $0 == "ready" })
        let clock = Date()
        guard first.finish().lines.contains("rebuilt 1") else {
            summary.failures.append("the first rule rebuild did not finish")
            return summary
        }
        let duration = Date().timeIntervalSince(clock)
        summary.importMilliseconds = Int(duration * 1_000)
        var generation = 1
        while summary.kills < kills {
            generation += 1
            let child = try ChildProcess(executable: executable, arguments: ["--database", database, "torture", "rules",
                                                                              "--generation", String(generation)])
            summary.childRuns += 1
            guard child.wait(timeout: 60, for: { $0 == "ready" }) else {
                summary.failures.append("rules child did not start")
                break
            }
            Thread.sleep(forTimeInterval: delay(maximum: Int(duration * 1_150)))
            let (lines, _) = child.kill()
            summary.kills += 1
            summary.killsMidWrite += 1
            if lines.contains("rebuilt \(generation)") { summary.importsCommitted += 1 } else { summary.importsRolledBack += 1 }
            if lines.contains("changed \(generation)") && !lines.contains("rebuilt \(generation)") { summary.staleCacheKills += 1 }

            let store = try CrosslinkStore(path: database)
            let integrity = try TortureCheck.integrity(store)
            if integrity != "ok" {
                summary.integrityFailures += 1
                summary.failures.append("integrity_check after kill \(summary.kills): \(integrity)")
            }
            if try TortureCheck.ruleCacheInUse(store) { summary.checksWithCacheInUse += 1 }
            if let mismatch = try TortureCheck.ruleCacheMismatch(store) {
                summary.staleResultsServed += 1
                summary.failures.append("after kill \(summary.kills): \(mismatch)")
            }
        }
        summary.seconds = Date().timeIntervalSince(started)
        return summary
    }

    mutating func runImports(kills: Int, products: Int) throws -> Summary {
        let started = Date()
        var summary = Summary(mode: "import")
        _ = try CrosslinkStore(path: database)
        // An uninterrupted first generation measures how long an import takes.
        var generation = 1
        let first = try ChildProcess(executable: executable, arguments: [
            "--database", database, "torture", "import", "--generation", "1", "--products", String(products)])
        _ = first.wait(timeout: 60, for: { $0 == "ready" })
        let clock = Date()
        let firstResult = first.finish()
        let duration = Date().timeIntervalSince(clock)
        guard firstResult.lines.contains("committed 1") else {
            summary.failures.append("the first import did not commit (status \(firstResult.status))")
            return summary
        }
        summary.importsCommitted += 1
        summary.importMilliseconds = Int(duration * 1_000)
        var committed = 1
        while summary.kills < kills {
            generation += 1
            let child = try ChildProcess(executable: executable, arguments: [
                "--database", database, "torture", "import", "--generation", String(generation), "--products", String(products)])
            summary.childRuns += 1
            guard child.wait(timeout: 60, for: { $0 == "ready" }) else {
                summary.failures.append("import child did not start")
                break
            }
            // Most kills land inside the transaction; some after the commit.
            Thread.sleep(forTimeInterval: delay(maximum: Int(duration * 1_150)))
            let (lines, _) = child.kill()
            summary.kills += 1
            summary.killsMidWrite += 1
            let acknowledged = lines.contains("committed \(generation)")

            let store = try CrosslinkStore(path: database)
            let integrity = try TortureCheck.integrity(store)
            if integrity != "ok" {
                summary.integrityFailures += 1
                summary.failures.append("integrity_check after kill \(summary.kills): \(integrity)")
            }
            let state = try TortureCheck.importState(store, products: products)
            switch state {
            case .generation(let g) where g == generation:
                summary.importsCommitted += 1
                committed = generation
            case .generation(let g) where g == committed && !acknowledged:
                summary.importsRolledBack += 1
            default:
                summary.mixedImports += 1
                summary.failures.append("after kill \(summary.kills) (generation \(generation), last committed \(committed), acknowledged \(acknowledged)): \(state)")
            }
        }
        summary.seconds = Date().timeIntervalSince(started)
        return summary
    }
}

/// Checks the crash loop runs after each kill.
enum TortureCheck {
    /// The products and carts whose blocks the rule check compares.
    static let ruleCheckSKUs = ["24-MB01", "24-MB04", "24-WB04", "24-UG06", "MH01", "MJ12", "WS03", "24-WG085_Group", "MSH02", "WJ01"]

    /// Whether placements read the rule cache now: no full rebuild due and no product changed
    /// since the last refresh (the rules engineer's `rule_cache_state` and `rule_cache_dirty`).
    static func ruleCacheInUse(_ store: CrosslinkStore) throws -> Bool {
        try store.read { db in
            try db.scalarInt("SELECT full_rebuild = 0 AND NOT EXISTS (SELECT 1 FROM rule_cache_dirty) FROM rule_cache_state") == 1
        }
    }

    /// nil when every block served now (from the rule cache where it is up to date) equals the
    /// same block computed with the cache cleared, i.e. from the rules' SQL; else the first
    /// difference. Runs in a write transaction that is rolled back.
    static func ruleCacheMismatch(_ store: CrosslinkStore) throws -> String? {
        struct Rollback: Error { let mismatch: String? }
        let date = Date(timeIntervalSince1970: 1_700_000_000)
        do {
            _ = try store.write { db -> Int in
                let skus = try ruleCheckSKUs.filter { try ProductRepository(db).id(sku: $0) != nil }
                func blocks() throws -> [String] {
                    let placements = Placements(db)
                    return try skus.flatMap { sku in
                        [try placements.related(for: sku, date: date, seed: 1), try placements.upsells(for: sku, date: date, seed: 1),
                         try placements.crossSells(cart: [sku], date: date, seed: 1)]
                            .map { "\(sku): " + $0.map { "\($0.sku) (\($0.reason))" }.joined(separator: ", ") }
                    }
                }
                let served = try blocks()
                try RuleCache(db).clear()
                let computed = try blocks()
                throw Rollback(mismatch: zip(served, computed).first { $0 != $1 }.map { "served \($0.0), rules give \($0.1)" })
            }
        } catch let rollback as Rollback {
            return rollback.mismatch
        }
        return nil
    }

    /// `PRAGMA integrity_check`'s answer: "ok", or its findings joined.
    static func integrity(_ store: CrosslinkStore) throws -> String {
        try store.read { db in try db.prepare("PRAGMA integrity_check").map { $0.text(at: 0) }.joined(separator: "; ") }
    }

    /// Checks an events database the `events` children wrote, adding what it finds to `summary`;
    /// returns the number of stored events. Batches are atomic and sequential, so the stored ids
    /// must be exactly ev-0 … ev-(count-1), with count the acknowledged end or (`batchEnds`) the
    /// end of a batch sent but not acknowledged. Events from `verifiedEnd` on are compared field
    /// by field; integrity_check and the aggregates (against a rebuild) are checked every time.
    static func checkEventLog(_ store: CrosslinkStore, acknowledgedEnd: Int, batchEnds: Set<Int>?, verifiedEnd: Int,
                              after moment: String, into summary: inout CrashLoop.Summary) throws -> Int {
        let integrity = try integrity(store)
        if integrity != "ok" {
            summary.integrityFailures += 1
            summary.failures.append("integrity_check after \(moment): \(integrity)")
        }
        let (count, maxKey, distinct) = try store.read { db in
            let row = try db.rows("SELECT count(*), max(CAST(substr(event_key, 4) AS INTEGER)), count(DISTINCT event_key) FROM events")[0]
            func int(_ value: DatabaseValue) -> Int { if case .integer(let v) = value { Int(v) } else { -1 } }
            return (int(row[0]), int(row[1]), int(row[2]))
        }
        if distinct != count { summary.duplicates += count - distinct }
        if count > 0 && maxKey != count - 1 {
            summary.partialBatches += 1
            summary.failures.append("stored ids are not ev-0…ev-\(count - 1) (highest ev-\(maxKey)) after \(moment)")
        }
        if count < acknowledgedEnd {
            summary.lostAcknowledged += acknowledgedEnd - count
            summary.failures.append("\(acknowledgedEnd - count) acknowledged events lost after \(moment)")
        } else if count > acknowledgedEnd, let batchEnds {
            if batchEnds.contains(count) {
                summary.redeliveredBatches += 1  // committed, not acknowledged: the next child sends it again
            } else {
                summary.partialBatches += 1
                summary.failures.append("\(count) events stored, acknowledged up to \(acknowledgedEnd), not a batch end, after \(moment)")
            }
        }
        let from = min(verifiedEnd, count)
        let mismatches = try compareEvents(store, range: from..<count)
        summary.eventsChecked += count - from
        summary.eventMismatches += mismatches.count
        summary.failures += mismatches
        if let mismatch = try aggregatesMismatch(store) {
            summary.aggregateMismatches += 1
            summary.failures.append("aggregates after \(moment): \(mismatch)")
        }
        return count
    }

    /// Stored events in `range` compared with ``TortureWorkload/event(_:)``, field by field.
    static func compareEvents(_ store: CrosslinkStore, range: Range<Int>) throws -> [String] {
        guard !range.isEmpty else { return [] }
        return try store.read { db in
            var failures: [String] = []
            let statement = try db.prepare("""
                SELECT e.event_key, e.type, e.occurred_at, e.visitor_id, e.session_id, e.sku, e.order_id, e.quantity, e.price,
                       (SELECT group_concat(l.sku || '×' || l.quantity || '@' || l.price, ';') FROM
                           (SELECT * FROM event_lines WHERE event_seq = e.event_seq ORDER BY line) AS l)
                FROM events AS e WHERE e.event_key = ?
                """)
            for i in range {
                let event = TortureWorkload.event(i)
                try statement.bind([event.id])
                guard try statement.step() else {
                    failures.append("event \(event.id) missing")
                    continue
                }
                let lines = event.lines.map { "\($0.sku)×\($0.quantity)@\($0.price)" }.joined(separator: ";")
                let time = String(TortureWorkload.baseMilliseconds + Int64(i) * 1_000)
                let quantity: String? = event.quantity.map { "\($0)" }
                let price: String? = event.price.map { "\($0)" }
                let expected: [String?] = [event.id, event.type.rawValue, time, event.visitorID, event.sessionID, event.sku,
                                           event.orderID, quantity, price, lines.isEmpty ? nil : lines]
                var actual: [String?] = []
                for column in Int32(0)..<10 {
                    if statement.isNull(at: column) {
                        actual.append(nil)
                    } else if column == 7 || column == 8 {
                        actual.append("\(statement.double(at: column))")
                    } else {
                        actual.append(statement.text(at: column))
                    }
                }
                if actual != expected { failures.append("event \(event.id): stored \(actual), expected \(expected)") }
            }
            return failures
        }
    }

    /// The aggregate tables: those the aggregates migration creates, minus its constant tables.
    static let aggregateTables: [String] = {
        guard let migration = Migration.crosslink.first(where: { $0.name == "aggregates" }) else { return [] }
        let constant: Set<String> = ["recommendation_settings", "cooccurrence_kinds"]
        return migration.sql.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("CREATE TABLE ") else { return nil }
            let name = line.dropFirst("CREATE TABLE ".count).prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            return constant.contains(String(name)) ? nil : String(name)
        }
    }()

    /// nil when the aggregate tables (kept incrementally by ingest) equal a full rebuild from the
    /// log, else the first table that differs. Runs in a write transaction that is rolled back.
    static func aggregatesMismatch(_ store: CrosslinkStore) throws -> String? {
        struct Rollback: Error { let mismatch: String? }
        let tables = aggregateTables
        guard !tables.isEmpty else { return nil }
        do {
            _ = try store.write { db -> Int in
                // Table names come from the embedded migration, never from input.
                func snapshot() throws -> [[[DatabaseValue]]] {
                    try tables.map { table in
                        let columns = try db.prepare("SELECT count(*) FROM pragma_table_info(?)").map([table]) { $0.int(at: 0) }[0]
                        return try db.rows("SELECT * FROM \(table) ORDER BY " + (1...max(1, columns)).map(String.init).joined(separator: ", "))
                    }
                }
                let incremental = try snapshot()
                try Aggregates(db).rebuild()
                let rebuilt = try snapshot()
                let differing = tables.indices.first { incremental[$0] != rebuilt[$0] }
                throw Rollback(mismatch: differing.map { index in
                    let extra = Set(incremental[index]).subtracting(rebuilt[index]).prefix(2)
                    let missing = Set(rebuilt[index]).subtracting(incremental[index]).prefix(2)
                    return "\(tables[index]): \(incremental[index].count) rows kept incrementally, \(rebuilt[index].count) after a rebuild; "
                        + "only incremental \(Array(extra)), only rebuilt \(Array(missing))"
                })
            }
        } catch let rollback as Rollback {
            return rollback.mismatch
        }
        return nil
    }

    enum ImportState: Equatable, CustomStringConvertible {
        case generation(Int)
        case mixed(String)
        var description: String {
            switch self {
            case .generation(let g): "every product at generation \(g)"
            case .mixed(let detail): detail
            }
        }
    }

    /// Which generation the IMP-* products hold, if one whole generation; `.generation(0)` = none.
    static func importState(_ store: CrosslinkStore, products: Int) throws -> ImportState {
        try store.read { db in
            let count = try db.scalarInt("SELECT count(*) FROM products WHERE sku LIKE 'IMP-%'") ?? 0
            if count == 0 { return .generation(0) }
            guard count == products else { return .mixed("\(count) of \(products) products") }
            let names = try db.rows("""
                SELECT DISTINCT CAST(substr(name, 12, instr(substr(name, 12), ' ') - 1) AS INTEGER) FROM products WHERE sku LIKE 'IMP-%'
                """)
            let attributes = try db.rows("""
                SELECT DISTINCT pa.value FROM product_attributes AS pa JOIN attributes AS a USING (attribute_id)
                JOIN products AS p USING (product_id) WHERE a.code = 'torture_generation' AND p.sku LIKE 'IMP-%'
                """)
            let prices = try db.rows("SELECT DISTINCT CAST(price AS INTEGER) FROM products WHERE sku LIKE 'IMP-%'")
            let links = try db.scalarInt("""
                SELECT count(*) FROM product_links AS l JOIN products AS p USING (product_id) WHERE p.sku LIKE 'IMP-%' AND l.link_type_id = 1
                """) ?? 0
            guard names.count == 1, case .integer(let g) = names[0][0] else { return .mixed("names of several generations: \(names)") }
            guard attributes == [[.text(String(g))]] else { return .mixed("generation \(g) names, attributes \(attributes)") }
            guard prices == [[.integer(g)]] else { return .mixed("generation \(g) names, prices \(prices)") }
            guard links == 3 * products else { return .mixed("generation \(g), \(links) related links") }
            return .generation(Int(g))
        }
    }
}
