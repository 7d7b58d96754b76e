import Foundation
import Testing
@testable import Crosslink

/// A second writer process waits `--busy-timeout` (or `$CROSSLINK_BUSY_TIMEOUT`) for the lock of
/// the first, then fails naming the database, the wait and the option.
@Suite(.serialized) struct StoreBusyTimeoutTests {
    /// The sqlite3 CLI as the first writer, holding `BEGIN IMMEDIATE` until `release()`.
    final class LockHolder {
        let process = Process()
        let input = Pipe()

        init(path: String) throws {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
            process.arguments = [path]
            process.standardInput = input
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            input.fileHandleForWriting.write(Data("BEGIN IMMEDIATE;\n".utf8))
            // Held once a connection that does not wait cannot take it.
            var configuration = Configuration()
            configuration.busyTimeoutMilliseconds = 0
            let probe = try Database(path: path, configuration: configuration)
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline {
                do {
                    try probe.execute(script: "BEGIN IMMEDIATE; ROLLBACK")
                    Thread.sleep(forTimeInterval: 0.01)
                } catch let error as DatabaseError where error.isBusy {
                    return
                }
            }
            Issue.record("sqlite3 did not take the lock")
        }

        func release() {
            input.fileHandleForWriting.write(Data("COMMIT;\n.quit\n".utf8))
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
        }
    }

    static func crosslink(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
        try run(CLITests.executable, arguments, environment: ProcessInfo.processInfo.environment.merging(environment) { $1 })
    }

    @Test func aSecondWriterGivesUpAfterTheBusyTimeoutAndSaysHowToWaitLonger() throws {
        let demo = try CLITests.demo.get()
        let dir = try TemporaryDirectory()
        let path = dir.path("locked.sqlite")
        try FileManager.default.copyItem(atPath: demo, toPath: path)
        let set = ["links", "set", "MH01", "--type", "related", "24-MB01"]

        let holder = try LockHolder(path: path)
        let option = try Self.crosslink(["--database", path, "--busy-timeout", "300"] + set)
        #expect(option.status != 0)
        #expect(option.stderr.contains("database \(path) is locked"), "\(option.stderr)")
        #expect(option.stderr.contains("the whole 300 ms this command waits"), "\(option.stderr)")
        #expect(option.stderr.contains("--busy-timeout MS (or CROSSLINK_BUSY_TIMEOUT=MS)"), "\(option.stderr)")

        let environment = try Self.crosslink(["--database", path] + set, environment: ["CROSSLINK_BUSY_TIMEOUT": "200"])
        #expect(environment.status != 0)
        #expect(environment.stderr.contains("the whole 200 ms this command waits"), "\(environment.stderr)")
        // Reads do not wait for a writer (WAL).
        #expect(try Self.crosslink(["--database", path, "--busy-timeout", "0", "links", "show", "MH01"]).status == 0)
        holder.release()

        let after = try Self.crosslink(["--database", path, "--busy-timeout", "300"] + set)
        #expect(after.status == 0, "\(after.stderr)")
        let links = try Self.crosslink(["--database", path, "links", "show", "MH01", "--type", "related", "--json"])
        #expect(try JSONDecoder().decode([String: [ProductLink]].self, from: Data(links.stdout.utf8))["related"] == [ProductLink(sku: "24-MB01", position: 1)])
    }

    @Test func aLongerBusyTimeoutOutwaitsTheFirstWriter() throws {
        let demo = try CLITests.demo.get()
        let dir = try TemporaryDirectory()
        let path = dir.path("wait.sqlite")
        try FileManager.default.copyItem(atPath: demo, toPath: path)
        let holder = try LockHolder(path: path)
        let waiter = Process()
        waiter.executableURL = URL(fileURLWithPath: CLITests.executable)
        waiter.arguments = ["--database", path, "--busy-timeout", "60000", "links", "set", "MH01", "--type", "related", "24-MB01"]
        waiter.standardInput = FileHandle.nullDevice
        waiter.standardOutput = FileHandle.nullDevice
        waiter.standardError = FileHandle.nullDevice
        try waiter.run()
        Thread.sleep(forTimeInterval: 0.5)  // the waiter is usually blocked on the lock by now; either way it must succeed
        holder.release()
        waiter.waitUntilExit()
        #expect(waiter.terminationStatus == 0)
    }

    @Test func badBusyTimeoutsAreRefused() throws {
        let dir = try TemporaryDirectory()
        let negative = try Self.crosslink(["--database", dir.path("a.sqlite"), "--busy-timeout=-1", "init"])
        #expect(negative.status != 0)
        #expect(negative.stderr.contains("--busy-timeout must be 0 or more milliseconds"), "\(negative.stderr)")
        let environment = try Self.crosslink(["--database", dir.path("a.sqlite"), "init"], environment: ["CROSSLINK_BUSY_TIMEOUT": "soon"])
        #expect(environment.status != 0)
        #expect(environment.stderr.contains("CROSSLINK_BUSY_TIMEOUT must be 0 or more milliseconds, not \"soon\""), "\(environment.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == [])
    }
}
