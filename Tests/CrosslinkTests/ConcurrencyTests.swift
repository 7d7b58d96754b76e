import CSQLite
import Foundation
import Synchronization
import Testing
@testable import Crosslink

/// One writer, a pool of readers, and two stores on one file (as two processes would be):
/// readers see whole transactions only, a read is one snapshot, and locks wait instead of failing.
@Suite struct ConcurrencyTests {
    /// Observations shared between threads.
    final class Log: Sendable {
        let counts = Mutex<[Int]>([])
        let problems = Mutex<[String]>([])
        let errors = Mutex<[String]>([])
        func problem(_ text: String) { problems.withLock { $0.append(text) } }
        func error(_ error: any Error) { errors.withLock { $0.append(String(describing: error)) } }
    }

    static func insertProducts(_ db: Database, from first: Int, count: Int) throws {
        for index in first..<(first + count) {
            try db.execute("INSERT INTO products(sku, name, price) VALUES (?, ?, ?)", [String(format: "P-%05d", index), "Product \(index)", 1.0])
        }
    }

    static func productCount(_ db: Database) throws -> Int {
        try db.scalarInt("SELECT count(*) FROM products") ?? -1
    }

    /// Starts `body` on a new thread; the returned semaphore is signalled when it ends.
    static func thread(_ body: @escaping @Sendable () -> Void) -> DispatchSemaphore {
        let done = DispatchSemaphore(value: 0)
        Thread { body(); done.signal() }.start()
        return done
    }

    @Test func readersSeeEitherNoneOrAllOfAWriteTransaction() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        try store.write { db in try Self.insertProducts(db, from: 0, count: 25) }
        let before = 25, after = 25 + 2_000
        let log = Log()
        let writerMidway = Atomic(false)
        let writerResumed = Atomic(false)  // set before the rest of the inserts and the commit
        let writerDone = Atomic(false)
        let readsWhileMidway = Atomic(0)

        let readers = (0..<4).map { reader in
            Self.thread {
                var iterations = 0
                // Until the writer is done, plus a few reads after it.
                var readsAfterDone = 0
                while readsAfterDone < 3 && iterations < 100_000 {
                    iterations += 1
                    let doneBeforeRead = writerDone.load(ordering: .acquiring)
                    let midwayBeforeRead = writerMidway.load(ordering: .acquiring)
                    do {
                        let (first, second) = try store.read { db in
                            let first = try Self.productCount(db)
                            Thread.sleep(forTimeInterval: 0.000_2)
                            return (first, try Self.productCount(db))
                        }
                        log.counts.withLock { $0.append(first) }
                        if first != before && first != after { log.problem("reader \(reader) saw \(first) products") }
                        if first != second { log.problem("reader \(reader): \(first) then \(second) in one read") }
                        if doneBeforeRead && first != after { log.problem("reader \(reader) saw \(first) after the commit") }
                        // Midway and not yet committed (the writer waits for these reads): must be the old state.
                        if midwayBeforeRead && !writerResumed.load(ordering: .acquiring) {
                            if first != before { log.problem("reader \(reader) saw \(first) mid-transaction") }
                            readsWhileMidway.add(1, ordering: .releasing)
                        }
                    } catch {
                        log.error(error)
                    }
                    if doneBeforeRead { readsAfterDone += 1 }
                }
            }
        }

        let writer = Self.thread {
            do {
                try store.write { db in
                    try Self.insertProducts(db, from: 1_000, count: 1_000)
                    // Halfway: let every reader read at least once while 1000 rows are uncommitted.
                    writerMidway.store(true, ordering: .releasing)
                    let deadline = Date().addingTimeInterval(1)
                    while readsWhileMidway.load(ordering: .acquiring) < 8 && Date() < deadline {
                        Thread.sleep(forTimeInterval: 0.001)
                    }
                    writerResumed.store(true, ordering: .releasing)
                    try Self.insertProducts(db, from: 2_000, count: 1_000)
                }
            } catch {
                log.error(error)
            }
            writerDone.store(true, ordering: .releasing)
        }

        #expect(writer.wait(timeout: .now() + 5) == .success)
        for reader in readers { #expect(reader.wait(timeout: .now() + 5) == .success) }

        #expect(log.errors.withLock { $0 } == [])  // no SQLITE_BUSY (or anything else) reached a caller
        #expect(log.problems.withLock { $0 } == [])
        #expect(readsWhileMidway.load(ordering: .acquiring) >= 8)
        let counts = log.counts.withLock { $0 }
        #expect(Set(counts) == [before, after])
        #expect(try store.read { db in try Self.productCount(db) } == after)
    }

    @Test func oneReadIsOneSnapshotWhileTheWriterCommits() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        try store.write { db in try Self.insertProducts(db, from: 0, count: 10) }
        let readerHasRead = DispatchSemaphore(value: 0)
        let writerCommitted = DispatchSemaphore(value: 0)
        let seen = Mutex<[Int]>([])
        let log = Log()

        let reader = Self.thread {
            do {
                let counts = try store.read { db in
                    let first = try Self.productCount(db)
                    readerHasRead.signal()
                    // The writer commits now; this read must not see it.
                    if writerCommitted.wait(timeout: .now() + 2) == .timedOut { log.problem("writer did not commit") }
                    return [first, try Self.productCount(db),
                            try db.scalarInt("SELECT count(*) FROM products WHERE sku = 'P-00500'") ?? -1]
                }
                seen.withLock { $0 = counts }
            } catch {
                log.error(error)
            }
        }
        #expect(readerHasRead.wait(timeout: .now() + 2) == .success)
        // The open read does not block the writer (WAL): this commits at once.
        let start = Date()
        try store.write { db in try Self.insertProducts(db, from: 500, count: 5) }
        #expect(Date().timeIntervalSince(start) < 0.5)
        writerCommitted.signal()
        #expect(reader.wait(timeout: .now() + 2) == .success)

        #expect(seen.withLock { $0 } == [10, 10, 0])
        #expect(log.problems.withLock { $0 } == [])
        #expect(log.errors.withLock { $0 } == [])
        // The next read, on the same reader connection, sees the commit.
        #expect(try store.read { db in try Self.productCount(db) } == 15)
    }

    @Test func aStatementLeftMidRowsDoesNotPinAnOldSnapshot() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        try store.write { db in try Self.insertProducts(db, from: 0, count: 3) }
        // Read the first row of a cached statement and leave it un-reset, as a "first match" lookup does.
        let first = try store.read { db in
            let statement = try db.cachedStatement("SELECT sku FROM products ORDER BY sku")
            try statement.bind([])
            return try statement.step() ? statement.text(at: 0) : nil
        }
        #expect(first == "P-00000")
        try store.write { db in try Self.insertProducts(db, from: 3, count: 2) }
        // Sequential reads reuse the same reader connection: it must start a new snapshot.
        #expect(try store.read { db in try Self.productCount(db) } == 5)
        // The writer too: a statement left mid-rows must not make COMMIT fail.
        try store.write { db in
            let statement = try db.cachedStatement("SELECT sku FROM products ORDER BY sku")
            try statement.bind([])
            _ = try statement.step()
            try Self.insertProducts(db, from: 5, count: 1)
        }
        #expect(try store.read { db in try Self.productCount(db) } == 6)
    }

    @Test func twoStoresOnOneFileWaitForEachOthersWrites() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("shared.sqlite")
        let a = try CrosslinkStore(path: path)
        let b = try CrosslinkStore(path: path)
        let aInTransaction = DispatchSemaphore(value: 0)
        let log = Log()

        let writerA = Self.thread {
            do {
                try a.write { db in
                    try Self.insertProducts(db, from: 0, count: 100)
                    aInTransaction.signal()
                    Thread.sleep(forTimeInterval: 0.3)
                    try Self.insertProducts(db, from: 100, count: 100)
                }
            } catch {
                log.error(error)
            }
        }
        #expect(aInTransaction.wait(timeout: .now() + 2) == .success)
        // B reads while A's transaction is open: the last committed state, at once.
        let readStart = Date()
        #expect(try b.read { db in try Self.productCount(db) } == 0)
        #expect(Date().timeIntervalSince(readStart) < 0.2)

        // B writes: BEGIN IMMEDIATE waits (busy timeout) until A commits, then sees all of A's rows.
        let writeStart = Date()
        let countSeenByB = try b.write { db in
            let count = try Self.productCount(db)
            try Self.insertProducts(db, from: 200, count: 1)
            return count
        }
        let waited = Date().timeIntervalSince(writeStart)
        #expect(countSeenByB == 200)
        #expect(waited > 0.1 && waited < 2, "B waited \(waited) s")
        #expect(writerA.wait(timeout: .now() + 2) == .success)
        #expect(log.errors.withLock { $0 } == [])
        #expect(try a.read { db in try Self.productCount(db) } == 201)
        #expect(try b.read { db in try Self.productCount(db) } == 201)
    }

    @Test func busyTimeoutShorterThanTheOtherWriterGivesAClearBusyError() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("busy.sqlite")
        let a = try CrosslinkStore(path: path)
        var impatient = Configuration()
        impatient.busyTimeoutMilliseconds = 50
        let b = try CrosslinkStore(path: path, configuration: impatient)
        let aInTransaction = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)

        let writerA = Self.thread {
            _ = try? a.write { db in
                try Self.insertProducts(db, from: 0, count: 1)
                aInTransaction.signal()
                _ = release.wait(timeout: .now() + 2)
            }
        }
        #expect(aInTransaction.wait(timeout: .now() + 2) == .success)
        let start = Date()
        let error = #expect(throws: DatabaseError.self) { try b.write { db in try Self.insertProducts(db, from: 10, count: 1) } }
        let waited = Date().timeIntervalSince(start)
        release.signal()
        #expect(writerA.wait(timeout: .now() + 2) == .success)

        #expect(error?.isBusy == true)
        #expect(error?.resultCode == SQLITE_BUSY)
        #expect(error?.message == "database is locked (another connection held the lock for the whole busy timeout of 50 ms)")
        #expect(error?.sql?.hasPrefix("BEGIN IMMEDIATE") == true)
        #expect(error?.description.contains(path) == true)
        #expect(waited >= 0.04 && waited < 1, "waited \(waited) s")
        // B's failed write left nothing behind; A's committed.
        #expect(try b.read { db in try Self.productCount(db) } == 1)
        #expect(try b.write { db in try Self.productCount(db) } == 1)
    }

    @Test func twoStoresCreatingTheSameNewFileAtOnceBothSucceed() throws {
        // Two processes starting on a new file race to migrate it; the loser must wait and find it done.
        for attempt in 0..<5 {
            let dir = try TemporaryDirectory()
            let path = dir.path("race.sqlite")
            let start = DispatchSemaphore(value: 0)
            let log = Log()
            let openers = (0..<2).map { _ in
                Self.thread {
                    start.wait()
                    do { _ = try CrosslinkStore(path: path) } catch { log.error(error) }
                }
            }
            start.signal()
            start.signal()
            for opener in openers { #expect(opener.wait(timeout: .now() + 5) == .success) }
            #expect(log.errors.withLock { $0 } == [], "attempt \(attempt)")
            let store = try CrosslinkStore(path: path)
            #expect(try store.read { db in try db.scalarInt("SELECT count(*) FROM crosslink_migrations") } == Migration.crosslink.count)
        }
    }
}

/// The issue's own case: readers resolving placements while a real import writes.
@Suite struct ImportConcurrencyTests {
    @Test func readersNeverSeeHalfAnImport() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        let file = Fixtures.magentoSample.appending(path: "ConfigurableSampleData/products.csv")
        let log = ConcurrencyTests.Log()
        let importDone = Atomic(false)
        let readers = (0..<4).map { reader in
            ConcurrencyTests.thread {
                var readsAfterDone = 0
                while readsAfterDone < 2 {
                    let done = importDone.load(ordering: .acquiring)
                    do {
                        let (products, children, categories) = try store.read { db in
                            (try db.scalarInt("SELECT count(*) FROM products") ?? -1,
                             try db.scalarInt("SELECT count(*) FROM product_children") ?? -1,
                             try db.scalarInt("SELECT count(*) FROM product_categories") ?? -1)
                        }
                        log.counts.withLock { $0.append(products) }
                        // The sample: 1994 products, 1847 children, 5052 category assignments (python3 csv).
                        let whole = (products, children, categories) == (0, 0, 0) || (products, children, categories) == (1994, 1847, 5052)
                        if !whole { log.problem("reader \(reader) saw \(products) products, \(children) children, \(categories) assignments") }
                        if done && products != 1994 { log.problem("reader \(reader) saw \(products) after the import") }
                    } catch {
                        log.error(error)
                    }
                    if done { readsAfterDone += 1 }
                }
            }
        }
        // The sample's attribute sets, as its installer creates them before importing products.
        var options = ImportOptions()
        options.attributeSets = MagentoCSVTestSupport.sampleAttributeSets
        let report = try MagentoCSVImporter(store: store, options: options).importFile(at: file)
        importDone.store(true, ordering: .releasing)
        for reader in readers { reader.wait() }
        #expect(report.productsCreated == 1994)
        #expect(log.problems.withLock { $0 } == [])
        #expect(log.errors.withLock { $0 } == [])
        #expect(log.counts.withLock { $0.count } >= 8)
    }
}
