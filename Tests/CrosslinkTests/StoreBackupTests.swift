import Foundation
import Synchronization
import Testing
@testable import Crosslink

/// `CrosslinkStore.backup(to:)` and `crosslink backup`: a copy of one commit while writers run,
/// complete and sound at the target or absent, never written over a non-regular file.
@Suite(.serialized) struct StoreBackupTests {
    final class Counter: Sendable {
        let committed = Atomic<Int>(0)
        let stop = Atomic<Bool>(false)
    }

    static func pageViews(batch: Int, size: Int) -> [Event] {
        (0..<size).map { index in
            Event(id: "b\(batch)-\(index)", type: .pageView, time: Date(timeIntervalSince1970: 1_717_200_000 + Double(batch)),
                  visitorID: "v\(index % 7)", sessionID: "s\(batch)")
        }
    }

    static func eventKeys(_ path: String) throws -> [String] {
        try sqlite3Rows(path, "SELECT event_key FROM events ORDER BY event_seq").map { $0[0] }
    }

    /// A writer thread appends batches of 20 events the whole time. The first progress callback
    /// (the snapshot is taken, the copy has begun) waits until the writer committed three more
    /// batches: the backup must not block it, and must not contain them.
    @Test func backupWhileWritingHoldsAConsistentPrefix() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("live.sqlite")
        let store = try CrosslinkStore(path: path)
        let events = EventStore(store: store)
        _ = try events.append(Self.pageViews(batch: -1, size: 2_000))  // enough pages for many steps
        let counter = Counter()
        let writer = Thread {
            var batch = 0
            while !counter.stop.load(ordering: .acquiring) {
                do { _ = try events.append(Self.pageViews(batch: batch, size: 20)) } catch { break }
                batch += 1
                counter.committed.store(batch, ordering: .releasing)
            }
        }
        writer.start()
        defer { counter.stop.store(true, ordering: .releasing) }
        while counter.committed.load(ordering: .acquiring) < 3 { Thread.sleep(forTimeInterval: 0.005) }

        var calls: [CrosslinkStore.BackupProgress] = []
        var committedAtStart = 0
        var writerProgressed = false
        let target = dir.path("backup.sqlite")
        let report = try store.backup(to: target, pagesPerStep: 4) { progress in
            if calls.isEmpty {
                committedAtStart = counter.committed.load(ordering: .acquiring)
                let deadline = Date().addingTimeInterval(60)
                while counter.committed.load(ordering: .acquiring) < committedAtStart + 3 && Date() < deadline {
                    Thread.sleep(forTimeInterval: 0.002)
                }
                writerProgressed = counter.committed.load(ordering: .acquiring) >= committedAtStart + 3
            }
            calls.append(progress)
        }
        counter.stop.store(true, ordering: .releasing)
        while !writer.isFinished { Thread.sleep(forTimeInterval: 0.005) }
        store.close()

        #expect(writerProgressed, "the writer could not commit while the backup held its snapshot")
        #expect(calls.count > 10)
        #expect(calls.map(\.pagesCopied) == calls.map(\.pagesCopied).sorted())
        #expect(calls.last == CrosslinkStore.BackupProgress(pagesCopied: report.pageCount, pageCount: report.pageCount))
        #expect(try sqlite3Rows(target, "PRAGMA integrity_check") == [["ok"]])
        let copied = try Self.eventKeys(target)
        let source = try Self.eventKeys(path)
        // One commit's state: the 2,000 first events and whole batches, in the source's order.
        #expect(Array(source.prefix(copied.count)) == copied)
        #expect((copied.count - 2_000) % 20 == 0, "\(copied.count) events")
        #expect(copied.count - 2_000 <= (committedAtStart + 1) * 20, "\(copied.count) events, \(committedAtStart) batches at the first step")
        #expect(copied.count < source.count)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).sorted() == ["backup.sqlite", "live.sqlite"])
    }

    @Test func backupRefusesNonRegularTargetsAndLeavesThemAlone() throws {
        let demo = try CLITests.demo.get()
        let dir = try TemporaryDirectory()
        var configuration = Configuration()
        configuration.readOnly = true
        let store = try CrosslinkStore(path: demo, configuration: configuration)
        defer { store.close() }

        let fifo = dir.path("fifo")
        #expect(mkfifo(fifo, 0o644) == 0)
        #expect(throws: StoreError.backupTarget(path: fifo, reason: "it is a fifo; a backup only creates or replaces a regular file")) {
            try store.backup(to: fifo)
        }
        let referent = dir.path("referent.sqlite")
        try Data("keep".utf8).write(to: URL(fileURLWithPath: referent))
        let link = dir.path("link.sqlite")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: referent)
        #expect(throws: StoreError.self) { try store.backup(to: link) }
        #expect(throws: StoreError.self) { try store.backup(to: dir.url.path) }
        #expect(throws: StoreError.backupTarget(path: demo, reason: "it is the database being backed up")) { try store.backup(to: demo) }
        let busy = dir.path("busy.sqlite")
        try Data("old".utf8).write(to: URL(fileURLWithPath: busy))
        try Data("wal".utf8).write(to: URL(fileURLWithPath: busy + "-wal"))
        #expect(throws: StoreError.self) { try store.backup(to: busy) }

        var info = stat()
        #expect(lstat(fifo, &info) == 0 && (info.st_mode & S_IFMT) == S_IFIFO)
        #expect(lstat(link, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK)
        #expect(try String(contentsOfFile: referent, encoding: .utf8) == "keep")
        #expect(try String(contentsOfFile: busy, encoding: .utf8) == "old")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).sorted() == ["busy.sqlite", "busy.sqlite-wal", "fifo", "link.sqlite", "referent.sqlite"])

        // The CLI on /dev/null: refused, the device is still a device.
        let result = try run(CLITests.executable, ["--database", demo, "backup", "/dev/null"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("cannot back up to /dev/null: it is a character device"), "\(result.stderr)")
        #expect(stat("/dev/null", &info) == 0 && (info.st_mode & S_IFMT) == S_IFCHR)

        // A regular file is replaced by a complete copy.
        let report = try store.backup(to: referent)
        #expect(report.bytes > 1_000_000)
        #expect(try sqlite3Rows(referent, "SELECT count(*) FROM products") == [["2046"]])
    }

    @Test func backupCommandReportsProgressUnlessQuiet() throws {
        let demo = try CLITests.demo.get()
        let dir = try TemporaryDirectory()
        let target = dir.path("copy.sqlite")
        let result = try run(CLITests.executable, ["--database", demo, "backup", target, "--pages-per-step", "100"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count > 5)
        #expect(lines.allSatisfy { $0.hasPrefix("backup: ") && $0.hasSuffix(" %)") })
        #expect(lines.last?.contains("(100 %)") == true)
        #expect(result.stdout.contains("backed up to \(target)"))
        #expect(result.stdout.contains("quick_check ok"))
        #expect(try sqlite3Rows(target, "PRAGMA integrity_check") == [["ok"]])
        #expect(try sqlite3Rows(target, "SELECT count(*) FROM events") == sqlite3Rows(demo, "SELECT count(*) FROM events"))
        let quiet = try run(CLITests.executable, ["--database", demo, "backup", "--quiet", target])
        #expect(quiet.status == 0)
        #expect(quiet.stderr.isEmpty, "\(quiet.stderr)")
    }

    /// `crosslink backup` children killed (SIGKILL) at seeded random moments: after each kill the
    /// target is absent or a complete, sound copy; a killed run's temporary file is removed by
    /// the next run.
    @Test func killedBackupsLeaveNothingOrACompleteCopy() throws {
        try Self.killLoop(kills: 200, seed: 2026)
    }

    static func killLoop(kills: Int, seed: UInt64) throws {
        let demo = try CLITests.demo.get()
        let expected = try sqlite3Rows(demo, "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM products), (SELECT count(*) FROM units)")
        let dir = try TemporaryDirectory()
        let target = dir.path("backup.sqlite")
        let arguments = ["--database", demo, "backup", "--quiet", "--pages-per-step", "16", target]

        func start() throws -> Process { try startQuietly(CLITests.executable, arguments) }
        // How long an undisturbed run takes: kills are spread over that span and a bit more.
        let began = Date()
        let calibration = try start()
        calibration.waitUntilExit()
        #expect(calibration.terminationStatus == 0)
        let span = max(0.02, Date().timeIntervalSince(began) * 1.2)
        try FileManager.default.removeItem(atPath: target)

        var random = SplitMix64(seed: seed)
        var (absent, complete) = (0, 0)
        for kill in 0..<kills {
            let process = try start()
            usleep(UInt32(Double(random.next() % 1_000_000) / 1_000_000 * span * 1_000_000))
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.url.path).filter { $0 != "backup.sqlite" }
            // Only killed runs' temporary files (a run killed before its cleanup leaves older ones too).
            #expect(leftovers.allSatisfy { $0.hasPrefix(".backup.sqlite.crosslink-backup-") }, "kill \(kill): \(leftovers)")
            #expect(leftovers.count <= 8, "kill \(kill): \(leftovers)")
            guard FileManager.default.fileExists(atPath: target) else { absent += 1; continue }
            complete += 1
            #expect(try sqlite3Rows(target, "PRAGMA integrity_check") == [["ok"]], "kill \(kill)")
            #expect(try sqlite3Rows(target, "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM products), (SELECT count(*) FROM units)") == expected,
                    "kill \(kill)")
            try FileManager.default.removeItem(atPath: target)
        }
        #expect(absent + complete == kills)
        #expect(absent > 0, "no kill landed before the rename: \(complete) complete")
        // A last, undisturbed run cleans what the killed ones left.
        let last = try start()
        last.waitUntilExit()
        #expect(last.terminationStatus == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == ["backup.sqlite"])
    }
}
