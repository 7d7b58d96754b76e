import Foundation
import Testing
@testable import Crosslink

/// The CLI on a primary and a streaming hot standby (`--replica`, `$CROSSLINK_REPLICAS`,
/// `--read-your-writes`): writes go to the primary, reads to the replica, and read-your-writes
/// sees what was committed before the command started. The standby's replay is paused to make
/// it visibly behind.
@Suite(.requiresPostgreSQL, .serialized) struct PostgreSQLReplicaCLITests {
    func crosslink(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
        try run(CLITests.executable, arguments, environment: ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("CROSSLINK_") }.merging(environment) { $1 })
    }

    /// `events stats --json`'s event count, or nil (with the output recorded) when it failed.
    func eventCount(_ arguments: [String], environment: [String: String] = [:]) throws -> Int? {
        let result = try crosslink(arguments + ["events", "stats", "--json"], environment: environment)
        #expect(result.status == 0, "\(arguments): \(result.stderr)")
        return try? JSONDecoder().decode(EventStats.self, from: Data(result.stdout.utf8)).events
    }

    @Test func readsGoToTheReplicaAndReadYourWritesSeesThePrimarysCommits() throws {
        let primary = try #require(try PostgreSQLCluster.start())
        defer { primary.stop() }
        try primary.createDatabase("shop")
        let primaryURI = primary.uri(database: "shop")
        #expect(try crosslink(["--database", primaryURI, "init"]).status == 0)
        let standby = try #require(try PostgreSQLCluster.startStandby(of: primary))
        defer { standby.stop() }
        let replicaURI = standby.uri(database: "shop")
        let directory = try TemporaryDirectory()
        try PostgreSQLServerGoneTests.eventFile(directory.path("first.jsonl"), count: 100, prefix: "first")
        try PostgreSQLServerGoneTests.eventFile(directory.path("second.jsonl"), count: 50, prefix: "second")

        // A write command given a replica writes to the primary (the standby would refuse it).
        let first = try crosslink(["--database", primaryURI, "--replica", replicaURI, "events", "import", "--quiet", directory.path("first.jsonl")])
        #expect(first.status == 0, "\(first.stderr)")
        try standby.waitForReplay(of: primary)
        #expect(try eventCount(["--database", primaryURI, "--replica", replicaURI]) == 100)

        // The standby stops replaying: it keeps 100 events while the primary gets 150.
        try standby.psql("SELECT pg_wal_replay_pause()")
        let second = try crosslink(["--database", primaryURI, "--replica", replicaURI, "events", "import", "--quiet", directory.path("second.jsonl")])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try eventCount(["--database", primaryURI]) == 150)
        #expect(try eventCount(["--database", primaryURI, "--replica", replicaURI]) == 100)
        #expect(try eventCount(["--database", primaryURI], environment: ["CROSSLINK_REPLICAS": replicaURI]) == 100)
        #expect(try eventCount(["--database", primaryURI], environment: ["CROSSLINK_REPLICAS": "\(replicaURI), \(replicaURI)"]) == 100)
        // Read-your-writes waits for the replica (1 s), then reads the primary.
        #expect(try eventCount(["--database", primaryURI, "--replica", replicaURI, "--read-your-writes"]) == 150)

        try standby.psql("SELECT pg_wal_replay_resume()")
        #expect(try eventCount(["--database", primaryURI, "--replica", replicaURI, "--read-your-writes"]) == 150)
        try standby.waitForReplay(of: primary)
        #expect(try eventCount(["--database", primaryURI, "--replica", replicaURI]) == 150)
    }

    @Test func replicaOptionsThatCannotWorkAreRefusedClearly() throws {
        let cluster = try #require(try PostgreSQLCluster.shared())
        let uri = cluster.uri(database: try cluster.makeDatabase("replica_options"))
        #expect(try crosslink(["--database", uri, "init"]).status == 0)
        let directory = try TemporaryDirectory()
        let file = directory.path("shop.sqlite")
        #expect(try crosslink(["--database", file, "init"]).status == 0)

        let sqlitePrimary = try crosslink(["--database", file, "--replica", uri, "events", "stats"])
        #expect(sqlitePrimary.status != 0)
        #expect(sqlitePrimary.stderr.contains("replicas need a PostgreSQL primary"), "\(sqlitePrimary.stderr)")
        let notAURI = try crosslink(["--database", uri, "--replica", directory.path("replica.sqlite"), "events", "stats"])
        #expect(notAURI.status != 0)
        #expect(notAURI.stderr.contains("a replica is a PostgreSQL hot standby"), "\(notAURI.stderr)")
        let alone = try crosslink(["--database", uri, "--read-your-writes", "events", "stats"])
        #expect(alone.status != 0)
        #expect(alone.stderr.contains("--read-your-writes needs --replica"), "\(alone.stderr)")
    }

    /// A replica that is down does not take the reads down: they run on the primary.
    @Test func aReplicaThatIsDownIsReadAround() throws {
        let cluster = try #require(try PostgreSQLCluster.shared())
        let uri = cluster.uri(database: try cluster.makeDatabase("replica_down"))
        let directory = try TemporaryDirectory()
        try PostgreSQLServerGoneTests.eventFile(directory.path("events.jsonl"), count: 20, prefix: "down")
        #expect(try crosslink(["--database", uri, "events", "import", "--quiet", directory.path("events.jsonl")]).status == 0)
        let down = "postgresql://postgres@/shop?host=\(cluster.directory)&port=1"
        #expect(try eventCount(["--database", uri, "--replica", down]) == 20)
        #expect(try eventCount(["--database", uri, "--replica", down, "--read-your-writes"]) == 20)
    }

    @Test func helpTeachesTheReplicaOptions() throws {
        let help = try crosslink(["--help"]).stdout
        for text in ["--replica <uri>", "--read-your-writes", "CROSSLINK_REPLICAS", "hot standby", "  --replica postgresql://app@db-replica/shop --read-your-writes page"] {
            #expect(help.contains(text), "\(text)")
        }
    }
}
