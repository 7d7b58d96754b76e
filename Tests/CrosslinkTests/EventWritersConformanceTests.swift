import Foundation
import Synchronization
import Testing
@testable import Crosslink

/// Many writers on one PostgreSQL store: each its own ``CrosslinkStore`` (as separate service
/// instances would be), sending disjoint and overlapping events at once. Every event is stored
/// once, the aggregates are a rebuild's, and no writer sees an error.
@Suite(.requiresPostgreSQL) struct EventWritersConformanceTests {
    final class Outcome: Sendable {
        let stored = Atomic(0)
        let duplicates = Atomic(0)
        let errors = Mutex<[String]>([])
    }

    @Test func concurrentWritersStoreEachEventOnceAndAggregateAsARebuild() throws {
        let cluster = try #require(try PostgreSQLCluster.shared())
        let uri = cluster.uri(database: try cluster.makeDatabase("events_writers"))
        let setup = try CrosslinkStore(location: uri)
        try EventConformanceTests.catalog(setup)
        let events = AggregateRebuildTests.randomLog(seed: 23, events: 2_000)
        let writers = 4
        // Writer w sends the events of its residue and every fifth event (sent by all of them).
        let shares = (0..<writers).map { writer in
            events.enumerated().filter { $0.offset % writers == writer || $0.offset % 5 == 0 }.map(\.element)
        }
        let outcome = Outcome()
        let done = try (0..<writers).map { writer in
            let store = try CrosslinkStore(location: uri)
            let share = shares[writer]
            return ConcurrencyTests.thread {
                let events = EventStore(store: store)
                for start in stride(from: 0, to: share.count, by: 20) {
                    do {
                        var first = start
                        if start % 100 == 0 {
                            // Some single events too.
                            for event in share[start..<min(start + 5, share.count)] {
                                if try events.append(event) { outcome.stored.add(1, ordering: .relaxed) } else { outcome.duplicates.add(1, ordering: .relaxed) }
                            }
                            first = min(start + 5, share.count)
                        }
                        let report = try events.append(Array(share[first..<min(start + 20, share.count)]))
                        outcome.stored.add(report.stored, ordering: .relaxed)
                        outcome.duplicates.add(report.duplicates, ordering: .relaxed)
                    } catch {
                        outcome.errors.withLock { $0.append("writer \(writer): \(error)") }
                    }
                }
            }
        }
        for semaphore in done { semaphore.wait() }
        #expect(outcome.errors.withLock { $0 } == [])

        // Each distinct id stored once (the log itself repeats some), every other delivery a duplicate.
        let sent = shares.reduce(0) { $0 + $1.count }
        let distinct = Set(events.map(\.id)).count
        #expect(try EventStore(store: setup).stats().events == distinct)
        #expect(outcome.stored.load(ordering: .relaxed) == distinct)
        #expect(outcome.stored.load(ordering: .relaxed) + outcome.duplicates.load(ordering: .relaxed) == sent)
        let incremental = try EventConformanceTests.dump(setup)
        for table in AggregateStatus.tables { #expect(!(incremental[table] ?? []).isEmpty, "\(table) is empty") }
        try setup.write { db in try Aggregates(db).rebuild() }
        let rebuilt = try EventConformanceTests.dump(setup)
        for table in incremental.keys.sorted() {
            #expect(incremental[table] == rebuilt[table], "\(table): concurrent incremental differs from a rebuild")
        }
    }
}
