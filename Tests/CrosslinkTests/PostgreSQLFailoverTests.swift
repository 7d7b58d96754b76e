import Foundation
import Testing
@testable import Crosslink

/// scripts/pg-failover, run by CI through this test: a primary with a synchronous streaming
/// replica, the primary killed (SIGKILL) while `crosslink events import` acknowledges batches,
/// the replica promoted, every acknowledged event on it (the script's own PASS/FAIL verdict).
@Suite(.requiresPostgreSQL) struct PostgreSQLFailoverTests {
    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appending(path: "scripts/pg-failover").path
    }

    @Test func everyAcknowledgedEventIsOnThePromotedReplica() throws {
        let result = try run("/bin/bash", [Self.script, "20", "100"],
                             environment: ProcessInfo.processInfo.environment.merging(["CROSSLINK": CLITests.executable]) { $1 })
        let (stdout, stderr) = (result.stdout, result.stderr)
        #expect(result.status == 0, "\(stdout)\n\(stderr)")
        #expect(stdout.contains("PASS: every acknowledged event survived"), "\(stdout)\n\(stderr)")
        let acknowledged = stdout.split(separator: "\n").first { $0.hasPrefix("acknowledged: ") }.flatMap { Int($0.split(separator: " ")[1]) }
        #expect((acknowledged ?? 0) >= 2_000, "\(stdout)")
        #expect(stdout.contains(", 0 acknowledged missing, 0 doubled"), "\(stdout)")
        #expect(stderr.contains("killed the primary"), "\(stderr)")
    }
}
