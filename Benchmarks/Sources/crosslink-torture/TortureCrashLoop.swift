import ArgumentParser
import Crosslink
import Foundation
import SampleFiles
import Synchronization

struct TortureCrashLoop: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crash-loop",
        abstract: "Kill a writing child with SIGKILL at random moments and check what survived.")

    enum Mode: String, ExpressibleByArgument, CaseIterable { case events, `import`, rules }

    @ParentCommand var root: CrosslinkTorture
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
        guard kills >= 0, killsPerFile > 0, maxDelay > 0, products > 0 else { throw ValidationError("counts must be positive (kills may be 0)") }
        if ackLog != nil && kills > killsPerFile { throw ValidationError("--ack-log needs --kills ≤ --kills-per-file") }
    }

    func run() throws {
        let executable = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        var loop = CrashLoop(executable: executable, database: root.database, seed: seed)
        let summary: CrashLoop.Summary
        switch mode {
        case .events:
            var total = CrashLoop.Summary(mode: "events")
            var file = 1
            while total.kills < kills {
                loop.database = file == 1 ? root.database : "\(root.database).\(file)"
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
        guard pipe(&fds) == 0 else { throw SpawnFailure("pipe: \(String(cString: strerror(errno)))") }
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
            throw SpawnFailure("posix_spawn \(executable.path): \(String(cString: strerror(code)))")
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
            _ = try MagentoSampleImporter(store: store).importSample(at: SampleFiles.magentoSample)
        }
    }


    mutating func runEvents(kills: Int, maxDelayMilliseconds: Int, ackLog: String?) throws -> Summary {
        let started = Date()
        var summary = Summary(mode: "events")
        try prepareCatalog()
        let log = try ackLog.map(OutputFile.openForStreaming)
        // Events stored before this loop (a reused file) are checked too.
        var stored = try CrosslinkStore(path: database).read { db in try db.scalarInt("SELECT count(*) FROM events") ?? 0 }
        var acknowledgedEnd = stored
        var verifiedEnd = 0
        // Where the stored log may end: a batch end some child sent (committed, maybe unacknowledged).
        var batchEnds: Set<Int> = [stored]
        while summary.kills < kills {
            let child = try ChildProcess(executable: executable, arguments: [
                "--database", database, "events", "--from", String(acknowledgedEnd),
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
            _ = try MagentoSampleImporter(store: store).importSample(at: SampleFiles.magentoSample)
            try store.write { db in
                try RuleRepository(db).importFile(text: Self.tortureRules, file: "torture-rules.json")
                _ = try RuleCache(db).rebuild()
            }
        }
        try killGenerations(kills, into: &summary, arguments: { ["rules", "--generation", String($0)] },
                            finished: { "rebuilt \($0)" }) { generation, lines, store, summary in
            if lines.contains("rebuilt \(generation)") { summary.importsCommitted += 1 } else { summary.importsRolledBack += 1 }
            if lines.contains("changed \(generation)") && !lines.contains("rebuilt \(generation)") { summary.staleCacheKills += 1 }
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
        var committed = 1
        try killGenerations(kills, into: &summary, arguments: { ["import", "--generation", String($0), "--products", String(products)] },
                            finished: { "committed \($0)" }) { generation, lines, store, summary in
            let acknowledged = lines.contains("committed \(generation)")
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
        if summary.failures.isEmpty { summary.importsCommitted += 1 }  // generation 1
        summary.seconds = Date().timeIntervalSince(started)
        return summary
    }

    /// Runs generation 1 of a child (`arguments(1)`) to its end (`finished(1)`) to measure the
    /// work, then generations 2, 3, …, each killed at a random moment within 1.15× that time (so
    /// most kills land inside the work, some after it); after each kill the file is reopened,
    /// integrity-checked, and handed to `check` with the lines the child wrote.
    private mutating func killGenerations(
        _ kills: Int, into summary: inout Summary, arguments: (Int) -> [String], finished: (Int) -> String,
        check: (_ generation: Int, _ lines: [String], _ store: CrosslinkStore, _ summary: inout Summary) throws -> Void
    ) throws {
        let first = try ChildProcess(executable: executable, arguments: ["--database", database] + arguments(1))
        _ = first.wait(timeout: 60, for: { $0 == "ready" })
        let clock = Date()
        let result = first.finish()
        let duration = Date().timeIntervalSince(clock)
        guard result.lines.contains(finished(1)) else {
            summary.failures.append("the uninterrupted first run did not finish (status \(result.status))")
            return
        }
        summary.importMilliseconds = Int(duration * 1_000)
        var generation = 1
        while summary.kills < kills {
            generation += 1
            let child = try ChildProcess(executable: executable, arguments: ["--database", database] + arguments(generation))
            summary.childRuns += 1
            guard child.wait(timeout: 60, for: { $0 == "ready" }) else {
                summary.failures.append("child \(arguments(generation)) did not start")
                break
            }
            Thread.sleep(forTimeInterval: delay(maximum: Int(duration * 1_150)))
            let (lines, _) = child.kill()
            summary.kills += 1
            summary.killsMidWrite += 1
            let store = try CrosslinkStore(path: database)
            let integrity = try TortureCheck.integrity(store)
            if integrity != "ok" {
                summary.integrityFailures += 1
                summary.failures.append("integrity_check after kill \(summary.kills): \(integrity)")
            }
            try check(generation, lines, store, &summary)
        }
    }
}

/// A system call the drill needs (pipe, posix_spawn) that failed, with why.
struct SpawnFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
