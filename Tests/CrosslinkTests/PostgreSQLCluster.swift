import Foundation
import Testing
@testable import Crosslink

/// A throwaway PostgreSQL 15 cluster for tests: `initdb` in a fresh temporary directory and a
/// server on a private Unix socket in that directory (no TCP, no system service). Every
/// PostgreSQL test uses the one cluster of the test process (``shared()``) and makes its own
/// database in it (``makeDatabase(_:)``); a test that needs a server of its own (one to stop)
/// starts another with ``start()``.
///
/// When PostgreSQL is not installed, ``start()`` and ``shared()`` return nil and
/// ``Trait/requiresPostgreSQL`` skips the test, saying why. A cluster left behind by a crashed
/// run is stopped and removed by the next run (``sweepAbandoned()``); it cannot get in the way
/// anyway, as each cluster has its own directory and socket.
///
/// ```swift
/// @Test(.requiresPostgreSQL) func roundTrip() throws {
///     let cluster = try #require(try PostgreSQLCluster.shared())
///     let name = try cluster.makeDatabase("round_trip")
///     let connection = try PostgreSQLConnection(uri: cluster.uri(database: name))
///     …
/// }
/// ```
final class PostgreSQLCluster: @unchecked Sendable {
    static let binDirectory = "/usr/lib/postgresql/15/bin"
    /// A role of every cluster that must log in with ``passwordRolePassword`` (scram-sha-256),
    /// while every other role is trusted: for tests of refused authentication.
    static let passwordRole = "crosslink_password_user"
    static let passwordRolePassword = "crosslink-secret"
    private static let directoryPrefix = "crosslink-pg-"

    /// The cluster's directory: the Unix socket's directory, with the data in `data/`.
    let directory: String
    let port: Int
    var dataDirectory: String { directory + "/data" }

    private let lock = NSLock()
    private var stopped = false
    private var databaseCounter = 0

    private init(directory: String, port: Int) {
        self.directory = directory
        self.port = port
    }

    deinit { stop() }

    // MARK: Availability

    /// Why PostgreSQL tests cannot run here, or nil when they can.
    static let unavailableReason: String? = {
        for tool in ["initdb", "pg_ctl", "psql"] where !FileManager.default.isExecutableFile(atPath: "\(binDirectory)/\(tool)") {
            return "PostgreSQL 15 is not installed (no \(binDirectory)/\(tool); Debian: apt-get install postgresql-15)"
        }
        if getuid() == 0 && getpwnam("postgres") == nil {
            return "running as root and there is no postgres user to run initdb as"
        }
        return nil
    }()

    static var isAvailable: Bool { unavailableReason == nil }

    // MARK: Starting and stopping

    /// The test process's cluster, started on first use and stopped when the process exits.
    /// Nil when PostgreSQL is not installed; a cluster that fails to start throws (every call).
    static func shared() throws -> PostgreSQLCluster? {
        try sharedCluster.get()
    }

    private static let sharedCluster: Result<PostgreSQLCluster?, any Error> = {
        let result = Result { try start() }
        atexit { try? PostgreSQLCluster.sharedCluster.get()?.stop() }
        return result
    }()

    /// Starts a new cluster: initdb (as the postgres user when running as root), then pg_ctl
    /// start on a random port, listening only on a socket in its own directory. Nil when
    /// PostgreSQL is not installed (``unavailableReason``).
    static func start() throws -> PostgreSQLCluster? {
        guard isAvailable else { return nil }
        let cluster = try PostgreSQLCluster(directory: makeDirectory(), port: Int.random(in: 20_000..<60_000))
        try cluster.initialize()
        try cluster.startServer()
        try cluster.psql("CREATE ROLE \(passwordRole) LOGIN PASSWORD '\(passwordRolePassword)'")
        return cluster
    }

    /// Starts a streaming hot standby of `primary`: `pg_basebackup -R` over the primary's
    /// socket (the primary's roles, databases and pg_hba come along), then its own server on
    /// its own socket. It replays what the primary writes and refuses writes (25006
    /// read_only_sql_transaction). ``waitForReplay(of:)`` waits until it has caught up.
    static func startStandby(of primary: PostgreSQLCluster) throws -> PostgreSQLCluster? {
        guard isAvailable else { return nil }
        let cluster = try PostgreSQLCluster(directory: makeDirectory(), port: Int.random(in: 20_000..<60_000))
        try cluster.runTool("pg_basebackup", ["-D", cluster.dataDirectory, "-h", primary.directory, "-p", "\(primary.port)",
                                              "-U", "postgres", "-R", "-X", "stream", "-c", "fast", "--no-sync"])
        try cluster.startServer()
        return cluster
    }

    /// Waits until this standby has replayed everything `primary` had written when called;
    /// throws after `timeout` seconds (a standby that does not follow is a failure, not a wait).
    func waitForReplay(of primary: PostgreSQLCluster, timeout: TimeInterval = 60) throws {
        let target = try primary.psql("SELECT pg_current_wal_lsn()")[0][0]
        let deadline = Date().addingTimeInterval(timeout)
        while try psql("SELECT pg_last_wal_replay_lsn() >= '\(target)'::pg_lsn") != [["t"]] {
            guard Date() < deadline else {
                throw ClusterError("the standby on port \(port) did not replay up to \(target) within \(Int(timeout)) s:\n\(serverLog)")
            }
            Thread.sleep(forTimeInterval: 0.01)
        }
    }

    /// A fresh cluster directory, recording the owning process for ``sweepAbandoned()`` and,
    /// as root, handed to the postgres user (the server writes its socket and lock file there;
    /// initdb and pg_basebackup make data/ themselves).
    private static func makeDirectory() throws -> String {
        sweepAbandoned()
        let directory = FileManager.default.temporaryDirectory.path + "/\(directoryPrefix)\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        try "\(getpid())".write(toFile: directory + "/owner.pid", atomically: false, encoding: .utf8)
        if getuid() == 0, let postgres = getpwnam("postgres") {
            guard chown(directory, postgres.pointee.pw_uid, postgres.pointee.pw_gid) == 0 else {
                throw ClusterError("cannot hand \(directory) to the postgres user: \(String(cString: strerror(errno)))")
            }
        }
        return directory
    }

    private func initialize() throws {
        try runTool("initdb", ["-D", dataDirectory, "-A", "trust", "-U", "postgres", "-E", "UTF8",
                               "--locale=C", "--no-sync"])
        // First match wins: only the password role needs a password.
        let hbaPath = dataDirectory + "/pg_hba.conf"
        let hba = try String(contentsOfFile: hbaPath, encoding: .utf8)
        let line = "local all \(Self.passwordRole) scram-sha-256\n"
        // Written in place (the file keeps its owner): never a temp file renamed over it.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: hbaPath))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: Data((line + hba).utf8))
        try handle.close()
    }

    private func startServer() throws {
        let options = "-p \(port) -k \(directory) -c listen_addresses='' -c fsync=off -c full_page_writes=off"
        var arguments = [Self.binDirectory + "/pg_ctl", "-D", dataDirectory, "-l", directory + "/server.log", "-o", options, "-w", "-t", "60", "start"]
        if getuid() == 0 { arguments = ["/usr/sbin/runuser", "-u", "postgres", "--"] + arguments }
        let status = try Self.spawnDetachingDescriptors(arguments)
        guard status == 0 else {
            throw ClusterError("pg_ctl start failed (status \(status)):\n\(serverLog)")
        }
    }

    /// Runs `arguments` and waits for it, passing on no descriptor but /dev/null as 0, 1 and 2.
    /// Foundation's `Process` learns that a child ended when a socket the child inherited
    /// closes; the server that pg_ctl leaves running would inherit it too and keep it open,
    /// so `waitUntilExit()` would never return. Likewise the server must not hold any other
    /// descriptor of the test process (another test's `Process` socket). Swift cannot import
    /// glibc's `posix_spawn_file_actions_addclosefrom_np`, so bash closes what it inherited
    /// before it execs: no race with descriptors other threads open meanwhile.
    private static func spawnDetachingDescriptors(_ arguments: [String]) throws -> Int32 {
        let closeAll = #"for fd in /proc/self/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && { eval "exec $n>&-"; } 2>/dev/null; done; exec "$@""#
        let command = ["/bin/bash", "-c", closeAll, "bash"] + arguments
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for descriptor: Int32 in 0...2 {
            posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        let argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, command[0], &actions, nil, argv, environ)
        guard spawned == 0 else {
            throw ClusterError("cannot start \(arguments[0]): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        // WIFEXITED / WEXITSTATUS are macros: exited normally when the low 7 bits are 0.
        return status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }

    /// Stops the server at once (no checkpoint: it is thrown away) and removes its directory.
    /// Idempotent; also run on deinit and, for the shared cluster, at exit.
    func stop() {
        lock.lock()
        let wasStopped = stopped
        stopped = true
        lock.unlock()
        guard !wasStopped else { return }
        Self.stopAndRemove(directory: directory)
    }

    /// Starts the server again after ``killServer()``, on the same port and data.
    func restartServer() throws {
        try startServer()
    }

    /// Kills the server the way a crash would (`pg_ctl stop -m immediate`), keeping the
    /// directory: for tests of a server that goes away mid-use.
    func killServer() throws {
        try runTool("pg_ctl", ["-D", dataDirectory, "-m", "immediate", "-w", "stop"])
    }

    private static func stopAndRemove(directory: String) {
        if FileManager.default.fileExists(atPath: directory + "/data/postmaster.pid") {
            _ = try? runAsServerUser(binDirectory + "/pg_ctl", ["-D", directory + "/data", "-m", "immediate", "-w", "stop"])
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Stops and removes the clusters of test processes that are gone (a crashed run).
    static func sweepAbandoned() {
        let temporary = FileManager.default.temporaryDirectory.path
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: temporary) else { return }
        for name in names where name.hasPrefix(directoryPrefix) {
            let directory = temporary + "/" + name
            guard let owner = try? String(contentsOfFile: directory + "/owner.pid", encoding: .utf8),
                  let pid = pid_t(owner.trimmingCharacters(in: .whitespacesAndNewlines)) else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                stopAndRemove(directory: directory)
            }
        }
    }

    // MARK: Databases and URIs

    /// A connection URI over the cluster's socket: `postgresql://postgres@/DB?host=DIR&port=PORT`.
    func uri(database: String, user: String = "postgres", password: String? = nil) -> String {
        "postgresql://\(user)\(password.map { ":" + $0 } ?? "")@/\(database)?host=\(directory)&port=\(port)"
    }

    /// The issue's form, host and port in the authority and the socket directory as a
    /// parameter (which takes precedence): `postgresql://postgres@localhost:PORT/DB?host=DIR`.
    func localhostURI(database: String) -> String {
        "postgresql://postgres@localhost:\(port)/\(database)?host=\(directory)"
    }

    /// Creates database `name` (an identifier of letters, digits and underscores).
    func createDatabase(_ name: String) throws {
        try psql("CREATE DATABASE \(name)")
    }

    /// Creates a database whose name starts with `prefix` and is unique in this cluster.
    func makeDatabase(_ prefix: String = "test") throws -> String {
        lock.lock()
        databaseCounter += 1
        let name = "\(prefix)_\(databaseCounter)"
        lock.unlock()
        try createDatabase(name)
        return name
    }

    /// Rows of `sql` run by the real psql (-X, ON_ERROR_STOP): strings, NULL as "NULL".
    @discardableResult
    func psql(_ sql: String, database: String = "postgres") throws -> [[String]] {
        let result = try Self.runProcess(Self.binDirectory + "/psql",
                                         ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", directory, "-p", "\(port)",
                                          "-U", "postgres", "-d", database, "-A", "-t", "-P", "null=NULL",
                                          "-F", "\u{1F}", "-R", "\u{1E}", "-c", sql])
        guard result.status == 0 else {
            throw ClusterError("psql failed (status \(result.status)) on `\(sql)`: \(result.stderr)")
        }
        var output = result.stdout
        if output.hasSuffix("\n") { output.removeLast() }
        guard !output.isEmpty else { return [] }
        return output.split(separator: "\u{1E}", omittingEmptySubsequences: false).map { record in
            record.split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init)
        }
    }

    /// The server's log so far, for failure messages.
    var serverLog: String {
        (try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? ""
    }

    // MARK: Processes

    private func runTool(_ tool: String, _ arguments: [String]) throws {
        let result = try Self.runAsServerUser(Self.binDirectory + "/" + tool, arguments)
        guard result.status == 0 else {
            throw ClusterError("\(tool) \(arguments.joined(separator: " ")) failed (status \(result.status)): \(result.stderr)\(result.stdout)\n\(serverLog)")
        }
    }

    /// initdb and pg_ctl refuse to run as root: as root they run as the postgres user.
    private static func runAsServerUser(_ executable: String, _ arguments: [String]) throws -> ProcessResult {
        if getuid() == 0 {
            return try runProcess("/usr/sbin/runuser", ["-u", "postgres", "--", executable] + arguments)
        }
        return try runProcess(executable, arguments)
    }

    /// In a directory anyone can read: the postgres user's tools inherit the working directory.
    private static func runProcess(_ executable: String, _ arguments: [String]) throws -> ProcessResult {
        try run(executable, arguments, directory: URL(fileURLWithPath: "/"))
    }
}

struct ClusterError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension Trait where Self == ConditionTrait {
    /// Skips the test, saying why, when PostgreSQL is not installed here.
    static var requiresPostgreSQL: Self {
        .enabled(if: PostgreSQLCluster.isAvailable,
                 Comment(rawValue: "skipped: \(PostgreSQLCluster.unavailableReason ?? "PostgreSQL is not available")"))
    }
}
