// The PostgreSQL server of `crosslink-bench postgresql`: a throwaway cluster (initdb in a new
// temporary directory, a server on a private Unix socket there and on 127.0.0.1 for the TCP
// round trip), as the tests' PostgreSQLCluster starts one; or a server the caller names.
import Foundation

/// A throwaway PostgreSQL 15 cluster, stopped and removed by ``stop()``.
final class BenchCluster {
    static let binDirectory = "/usr/lib/postgresql/15/bin"
    let directory: String
    let port: Int
    private var stopped = false

    /// Settings beside the defaults. synchronous_commit = off is what SQLite's WAL with
    /// synchronous = NORMAL (Crosslink's default) promises: a commit survives a crash of the
    /// process, a power loss may take the last commits back, nothing is ever corrupted.
    static let settings = ["synchronous_commit=off"]

    /// initdb (as the postgres user when running as root: initdb refuses root), then pg_ctl start.
    init() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binDirectory + "/initdb") else {
            throw BenchFailure("PostgreSQL 15 is not installed (no \(Self.binDirectory)/initdb; Debian: apt-get install postgresql-15), "
                               + "or pass --postgresql URI")
        }
        directory = FileManager.default.temporaryDirectory.path + "/crosslink-bench-pg-\(getpid())-\(UUID().uuidString.prefix(6))"
        port = Int.random(in: 20_000..<60_000)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        if getuid() == 0 {
            guard let postgres = getpwnam("postgres") else { throw BenchFailure("running as root and there is no postgres user to run initdb as") }
            guard chown(directory, postgres.pointee.pw_uid, postgres.pointee.pw_gid) == 0 else {
                throw BenchFailure("cannot hand \(directory) to the postgres user: \(String(cString: strerror(errno)))")
            }
        }
        try Self.run(["initdb", "-D", directory + "/data", "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"])
        let options = "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 " + Self.settings.map { "-c " + $0 }.joined(separator: " ")
        try Self.run(["pg_ctl", "-D", directory + "/data", "-l", directory + "/server.log", "-o", options, "-w", "-t", "60", "start"])
    }

    deinit { stop() }

    /// Stops the server at once (it is thrown away) and removes its directory.
    func stop() {
        guard !stopped else { return }
        stopped = true
        try? Self.run(["pg_ctl", "-D", directory + "/data", "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Database `name` over the Unix socket.
    func socketURI(_ name: String) -> String { "postgresql://postgres@/\(name)?host=\(directory)&port=\(port)" }
    /// Database `name` over TCP on 127.0.0.1.
    func tcpURI(_ name: String) -> String { "postgresql://postgres@127.0.0.1:\(port)/\(name)" }

    /// Runs a server tool and waits for it, its output into a log file. Through bash, which
    /// closes every inherited descriptor above 2 first: Foundation's `Process` learns that a
    /// child ended when a socket the child inherited closes, and the server pg_ctl leaves
    /// running would inherit it too and keep it open (as the tests' PostgreSQLCluster explains).
    private static func run(_ tool: [String]) throws {
        var arguments = [binDirectory + "/" + tool[0]] + tool.dropFirst()
        if getuid() == 0 { arguments = ["/usr/sbin/runuser", "-u", "postgres", "--"] + arguments }
        let log = FileManager.default.temporaryDirectory.path + "/crosslink-bench-pgtool-\(getpid()).log"
        defer { try? FileManager.default.removeItem(atPath: log) }
        // From / : the postgres user must be able to read the working directory.
        let script = #"cd / && log=$1 && shift; for fd in /proc/self/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && { eval "exec $n>&-"; } 2>/dev/null; done; exec "$@" >"$log" 2>&1"#
        let command = ["/bin/bash", "-c", script, "bash", log] + arguments
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
        guard spawned == 0 else { throw BenchFailure("cannot start \(tool[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        guard status == 0 else {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw BenchFailure("\(tool.joined(separator: " ")) failed (wait status \(status)): \(text)")
        }
    }
}

/// The database `name` on the server of `uri` (its path replaced; host, port, user and
/// parameters kept).
func replacingDatabase(of uri: String, with name: String) throws -> String {
    guard var components = URLComponents(string: uri), components.scheme == "postgresql" || components.scheme == "postgres" else {
        throw BenchFailure("--postgresql takes a postgresql:// URI, not \(uri)")
    }
    components.path = "/" + name
    guard let result = components.string else { throw BenchFailure("cannot build a URI for database \(name) from \(uri)") }
    return result
}
