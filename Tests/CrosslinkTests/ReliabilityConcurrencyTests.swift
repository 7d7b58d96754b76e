import Foundation
import Synchronization
import Testing
@testable import Crosslink

/// Concurrency under load: 4 reader threads resolving placements while 1 writer ingests event
/// batches and imports catalogs, each side a fixed number of operations; then two processes
/// writing and reading one file. No SQLITE_BUSY/LOCKED error may reach a caller, and no reader
/// may see half an import or half a batch. Throughput of both sides is printed.
@Suite(.serialized) struct ReliabilityConcurrencyTests {
    struct Summary: Decodable {
        var readers: Int, readsPerReader: Int, writerOperations: Int, eventBatches: Int, imports: Int
        var eventsStored: Int, readsDuringWrites: Int
        var writerOperationsPerSecond: Double, snapshotsPerSecond: Double
        var errors: [String], halfWritesSeen: [String]
    }

    /// `crosslink-torture concurrency` (4 reader threads, 1 writer, in one process): every reader
    /// snapshot checks that the viewed product and the products it shows are of one catalog
    /// generation, that prices are of one generation and that the event log holds whole batches.
    @Test func fourReadersAndOneWriterNeverFailAndNeverSeeHalfAWrite() throws {
        let dir = try TemporaryDirectory()
        let result = try run(try TortureDrills.executable(), ["--database", dir.path("concurrency.sqlite"), "concurrency",
                                                   "--readers", "4", "--reads", "150", "--writes", "40"])
        #expect(result.status == 0, "\(result.stderr)")
        let summary = try JSONDecoder().decode(Summary.self, from: Data(result.stdout.utf8))
        #expect(summary.errors == [])
        #expect(summary.halfWritesSeen == [])
        #expect(summary.readers == 4 && summary.readsPerReader == 150)
        #expect(summary.eventBatches == 20 && summary.imports == 20)
        #expect(summary.eventsStored == 20 * 50)
        #expect(summary.readsDuringWrites > 100, "only \(summary.readsDuringWrites) reads overlapped the writer")
        print("concurrency: writer \(Int(summary.writerOperationsPerSecond)) operations/s, readers \(Int(summary.snapshotsPerSecond)) snapshots/s, "
              + "\(summary.readsDuringWrites) of \(4 * 150) snapshots during writes, 0 errors")
    }

    /// Two `crosslink-torture hammer` processes on one file, each writing event batches and reading placements,
    /// and this process reading meanwhile: every write waits for the other writer (busy
    /// timeout), nothing fails, and every event of both is stored once.
    @Test func twoProcessesWriteAndReadOneFile() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("shared.sqlite")
        _ = try MagentoSampleImporter(store: try CrosslinkStore(path: path)).importSample()
        let batches = 60, batchSize = 10
        let outputs = Mutex<[ProcessResult]>([])
        let children = [0, 1].map { child in
            ConcurrencyTests.thread {
                let result = try? run(try TortureDrills.executable(), ["--database", path, "hammer", "--from", String(child * 100_000),
                                                            "--batches", String(batches), "--batch-size", String(batchSize)])
                if let result { outputs.withLock { $0.append(result) } }
            }
        }
        let store = try CrosslinkStore(path: path)
        var reads = 0
        var readErrors: [String] = []
        while outputs.withLock({ $0.count }) < 2 && reads < 100_000 {
            do {
                _ = try store.read { db in try Placements(db).related(for: "MH01") }
                reads += 1
            } catch {
                readErrors.append("\(error)")
            }
        }
        for child in children { child.wait() }
        struct Summary: Decodable { var batches: Int; var events: Int; var reads: Int; var errors: [String]; var seconds: Double }
        let results = outputs.withLock { $0 }
        #expect(results.count == 2)
        for result in results {
            #expect(result.status == 0, "\(result.stderr)")
            let summary = try JSONDecoder().decode(Summary.self, from: Data(result.stdout.utf8))
            #expect(summary.errors == [])
            #expect(summary.batches == batches)
            #expect(summary.reads == batches * 5)
        }
        #expect(readErrors == [])
        #expect(reads > 0)
        #expect(try store.read { db in try db.scalarInt("SELECT count(*) FROM events") } == 2 * batches * batchSize)
        #expect(try sqlite3Rows(path, "PRAGMA integrity_check") == [["ok"]])
    }
}
