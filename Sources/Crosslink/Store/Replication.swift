import Foundation
import Synchronization

/// The read replicas of a ``CrosslinkStore`` on a PostgreSQL primary: reads in turn, and the
/// primary's WAL position after this store's last write, which a read-your-writes read waits
/// for on its replica.
final class Replication: Sendable {
    let replicas: [DatabasePool]
    let readYourWrites: Bool
    let maximumWait: Duration
    private let nextReplica = Atomic<Int>(0)
    /// `pg_current_wal_lsn()` on the primary after this store's last write (text, e.g. "0/3000148").
    private let lastWriteLSN = Mutex<String?>(nil)

    init(replicas: [DatabasePool], readYourWrites: Bool, maximumWait: Duration) {
        self.replicas = replicas
        self.readYourWrites = readYourWrites
        self.maximumWait = maximumWait
    }

    func close() {
        for replica in replicas { replica.close() }
    }

    /// Records the primary's WAL position after a committed write: everything the write did
    /// lies before it.
    func recordWrite(on primary: DatabasePool) throws {
        guard readYourWrites, !replicas.isEmpty else { return }
        let lsn = try primary.writeWithoutTransaction { db in try db.scalarText("SELECT CAST(pg_current_wal_lsn() AS text)") }
        lastWriteLSN.withLock { $0 = lsn }
    }

    /// Records the primary's current WAL position as if this store had just written: for
    /// ``CrosslinkStore/syncReadsWithPrimary()``. A read transaction, so that it works on a
    /// store opened read-only (`pg_current_wal_lsn()` is not of the snapshot).
    func recordPosition(of primary: DatabasePool) throws {
        guard readYourWrites, !replicas.isEmpty else { return }
        let lsn = try primary.read { db in try db.scalarText("SELECT CAST(pg_current_wal_lsn() AS text)") }
        lastWriteLSN.withLock { $0 = lsn }
    }

    /// Runs `body` on the next replica; with read-your-writes, once that replica has replayed
    /// this store's last write, else (waited `maximumWait`, or the replica unreachable) on the primary.
    func read<T: Sendable>(primary: DatabasePool, _ body: (Database) throws -> T) throws -> T {
        guard !replicas.isEmpty else { return try primary.read(body) }
        let index = nextReplica.wrappingAdd(1, ordering: .relaxed).oldValue
        let replica = replicas[(index % replicas.count + replicas.count) % replicas.count]
        guard readYourWrites, let lsn = lastWriteLSN.withLock({ $0 }) else { return try primary.readOrReplica(replica, body) }
        do {
            guard try hasReplayed(lsn, on: replica) else { return try primary.read(body) }
        } catch let error as DatabaseError where error.sqlState?.hasPrefix("08") == true {
            return try primary.read(body)
        }
        // The replay position only grows: a snapshot taken from now on holds the write.
        return try replica.read(body)
    }

    /// Polls the replica's replay position (in transactions of their own, so that the read
    /// that follows takes its snapshot after the position was reached) until it reaches `lsn`
    /// or `maximumWait` has passed.
    private func hasReplayed(_ lsn: String, on replica: DatabasePool) throws -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: maximumWait)
        while true {
            let replayed = try replica.read { db in
                try db.scalarInt("SELECT CASE WHEN pg_last_wal_replay_lsn() >= CAST(? AS pg_lsn) THEN 1 ELSE 0 END", [lsn])
            }
            if replayed == 1 { return true }
            if clock.now >= deadline { return false }
            Thread.sleep(forTimeInterval: 0.002)
        }
    }
}

private extension DatabasePool {
    /// `body` on `replica`; on this pool when the replica cannot be reached.
    func readOrReplica<T: Sendable>(_ replica: DatabasePool, _ body: (Database) throws -> T) throws -> T {
        do {
            return try replica.read(body)
        } catch let error as DatabaseError where error.sqlState?.hasPrefix("08") == true {
            return try read(body)
        }
    }
}

extension CrosslinkStore {
    /// Makes this store's later reads see every transaction committed on the primary so far,
    /// by any instance or process, as if they were this store's own writes: with
    /// read-your-writes, a read waits (at most `replicaWait`) until its replica has replayed the
    /// primary's current WAL position, else runs on the primary. For a process that reads right
    /// after another's write (the CLI's `--read-your-writes`). Nothing happens on a store
    /// without replicas or without read-your-writes.
    public func syncReadsWithPrimary() throws {
        try replication?.recordPosition(of: pool)
    }
}
