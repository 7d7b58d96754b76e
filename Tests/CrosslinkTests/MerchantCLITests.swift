import Foundation
import Testing
@testable import Crosslink

/// What a merchant meets first on the command line: the version, help that explains every
/// option, a missing database, units named by id.
@Suite struct MerchantCLITests {
    func crosslink(_ arguments: [String]) throws -> ProcessResult { try run(CLITests.executable, arguments) }

    @Test func versionNamesTheLibraryTheSchemaAndSQLite() throws {
        let result = try crosslink(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout == "\(CrosslinkVersion.current) (schema \(DatabaseMigrator().migrations.last!.version), SQLite \(CrosslinkVersion.sqlite))\n")
        #expect(CrosslinkVersion.current.split(separator: ".").count == 3)
        #expect(CrosslinkVersion.sqlite.hasPrefix("3."))
    }

    /// Every option and argument of every command says what it does in --help (ArgumentParser's
    /// `--experimental-dump-help` is the help as data).
    @Test func everyOptionOfEveryCommandHasADescription() throws {
        struct Command: Decodable {
            struct Argument: Decodable {
                struct Names: Decodable { var name: String }
                var names: [Names]?
                var valueName: String?
                var abstract: String?
                var shouldDisplay: Bool
            }
            var commandName: String
            var arguments: [Argument]?
            var subcommands: [Command]?
        }
        struct ToolInfo: Decodable { var command: Command }
        let dump = try crosslink(["--experimental-dump-help"])
        #expect(dump.status == 0, "\(dump.stderr)")
        let info = try JSONDecoder().decode(ToolInfo.self, from: Data(dump.stdout.utf8))
        var undescribed: [String] = []
        func walk(_ command: Command, _ path: String) {
            for argument in command.arguments ?? [] where argument.shouldDisplay && (argument.abstract ?? "").isEmpty {
                undescribed.append("\(path) \(argument.names?.first.map { "--" + $0.name } ?? argument.valueName ?? "?")")
            }
            for sub in command.subcommands ?? [] where sub.commandName != "help" { walk(sub, path + " " + sub.commandName) }
        }
        walk(info.command, "crosslink")
        #expect(undescribed == [], "options without help: \(undescribed)")
        let configure = try crosslink(["aggregates", "configure", "--help"]).stdout
        #expect(configure.contains("--popularity-days <days>"))
        #expect(configure.contains("[\(RecommendationSettings().popularityDays)]"))
    }

    /// A command run where no database is says so, where it looked, and how to make one.
    @Test func aMissingDefaultDatabaseIsExplained() throws {
        let dir = try TemporaryDirectory()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLITests.executable)
        process.arguments = ["stores", "list"]
        process.currentDirectoryURL = dir.url
        process.environment = ProcessInfo.processInfo.environment.filter { $0.key != "CROSSLINK_DATABASE" }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        #expect(text.contains("no database at crosslink.sqlite (the default when neither --database nor CROSSLINK_DATABASE names one, looked for in \(dir.url.path)"), "\(text)")
        #expect(text.contains("crosslink --database crosslink.sqlite init"))
        #expect(text.contains("crosslink --database crosslink.sqlite demo"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == [])
        // A path given explicitly is not called the default.
        let named = try crosslink(["--database", dir.path("shop.sqlite"), "stores", "list"])
        #expect(named.stderr.hasPrefix("Error: no database at \(dir.path("shop.sqlite")). Create one"), "\(named.stderr)")
    }

    /// `page home --as-of T` on an initialised store at `location`: a most-viewed unit answers from
    /// the views before T. Returns the live and the as-of page.
    static func pageAsOf(_ location: String, dir: TemporaryDirectory) throws -> (live: String, asOf: String) {
        func crosslink(_ arguments: [String]) throws -> ProcessResult {
            let result = try run(CLITests.executable, ["--database", location] + arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            return result
        }
        _ = try crosslink(["import", "--quiet", Fixtures.magentoImport("products_to_import.csv").path])
        let events = dir.url.appending(path: "views.jsonl")
        let views = [("simple1", "2024-05-01", "v1"), ("simple1", "2024-05-01", "v2"),
                     ("simple2", "2024-05-10", "v3"), ("simple2", "2024-05-10", "v4"), ("simple2", "2024-05-10", "v5")]
        try Data(views.enumerated().map { index, view in
            #"{"id":"e\#(index)","type":"product-view","time":"\#(view.1)T10:00:00Z","visitor_id":"\#(view.2)","session_id":"s\#(index)","sku":"\#(view.0)"}"#
        }.joined(separator: "\n").utf8).write(to: events)
        _ = try crosslink(["events", "import", "--quiet", events.path])
        let units = dir.url.appending(path: "home.json")
        try Data(#"{"units": [{"name": "Popular", "page_type": "home", "status": "active", "type": "most-viewed", "count": 3}]}"#.utf8).write(to: units)
        _ = try crosslink(["units", "import", units.path])
        return (try crosslink(["page", "home"]).stdout, try crosslink(["page", "home", "--as-of", "2024-05-05"]).stdout)
    }

    @Test func pageAsOfAnswersFromTheEventsBeforeThen() throws {
        let dir = try TemporaryDirectory()
        let (live, asOf) = try Self.pageAsOf(dir.path("asof.sqlite"), dir: dir)
        let liveSKUs = live.split(separator: "\n").compactMap { line in ["simple1", "simple2"].first { line.contains($0) } }
        #expect(liveSKUs == ["simple2", "simple1"], "\(live)")
        #expect(asOf.contains("simple1") && !asOf.contains("simple2"), "\(asOf)")
        let bad = try crosslink(["--database", dir.path("asof.sqlite"), "page", "home", "--as-of", "yesterday"])
        #expect(bad.status != 0 && bad.stderr.contains("--as-of yesterday: not a time"))
    }

    /// A gzip copy of `fixture` in `dir`, made by the gzip tool.
    static func gzipped(_ fixture: URL, in dir: TemporaryDirectory) throws -> String {
        let copy = dir.path(fixture.lastPathComponent)
        try FileManager.default.copyItem(atPath: fixture.path, toPath: copy)
        let result = try run("/usr/bin/gzip", ["-9", copy])
        #expect(result.status == 0, "\(result.stderr)")
        return copy + ".gz"
    }

    @Test func catalogImportReadsGzipFiles() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("gz.sqlite")
        let plain = Fixtures.magentoImport("products_to_import_with_product_links.csv")
        let compressed = try Self.gzipped(plain, in: dir)
        let imported = try crosslink(["--database", path, "import", "--quiet", compressed])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.hasPrefix("products_to_import_with_product_links.csv.gz: "), "\(imported.stdout)")
        // The same catalog as the plain file gives.
        let other = dir.path("plain.sqlite")
        #expect(try crosslink(["--database", other, "import", "--quiet", plain.path]).status == 0)
        let catalog = "SELECT sku, name, price, qty FROM products ORDER BY sku"
        #expect(try sqlite3Rows(path, catalog) == (try sqlite3Rows(other, catalog)))
        #expect(try sqlite3Rows(path, catalog).count == 4)
        let links = ["links", "show", "simple4", "--json"]
        #expect(try crosslink(["--database", path] + links).stdout == (try crosslink(["--database", other] + links).stdout))

        // A damaged file is refused by name, storing nothing.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: compressed))
        bytes = bytes.prefix(bytes.count / 2)
        let truncated = dir.path("truncated.csv.gz")
        try bytes.write(to: URL(fileURLWithPath: truncated))
        let refused = try crosslink(["--database", path, "import", "--quiet", truncated])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("truncated.csv.gz"), "\(refused.stderr)")
        #expect(refused.stderr.contains("truncated gzip data"), "\(refused.stderr)")
    }

    @Test func aCompressedFileThatInflatesPastTheLimitIsRefused() throws {
        let dir = try TemporaryDirectory()
        let url = dir.url.appending(path: "big.csv")
        try Data(("sku,name\n" + String(repeating: "a,b\n", count: 10_000)).utf8).write(to: url)
        let compressed = URL(fileURLWithPath: try Self.gzipped(url, in: try TemporaryDirectory()))
        var limits = CSVLimits()
        limits.maximumDecompressedBytes = 1_000
        let error = #expect(throws: InputError.self) { _ = try CSVReader(contentsOf: compressed, limits: limits) }
        #expect(error?.description.contains("big.csv.gz") == true)
        #expect(error?.description.contains("more than 1000 bytes") == true)
        #expect(try CSVReader(contentsOf: compressed).records().count == 10_001)
    }
}

@Suite(.requiresPostgreSQL) struct MerchantPostgreSQLCLITests {
    /// A PostgreSQL database without the schema: a reading command says how to create it.
    @Test func aDatabaseWithoutTheSchemaIsExplained() throws {
        let cluster = try #require(try PostgreSQLCluster.shared())
        let uri = cluster.uri(database: try cluster.makeDatabase("no_schema"))
        let result = try run(CLITests.executable, ["--database", uri, "stores", "list"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("init"), "\(result.stderr)")
        #expect(result.stderr.contains("no_schema"), "\(result.stderr)")
    }

    @Test func pageAsOfPrintsTheSameOnPostgreSQL() throws {
        let cluster = try #require(try PostgreSQLCluster.shared())
        let uri = cluster.uri(database: try cluster.makeDatabase("page_as_of"))
        #expect(try run(CLITests.executable, ["--database", uri, "init"]).status == 0)
        let (dir, other) = (try TemporaryDirectory(), try TemporaryDirectory())
        let onServer = try MerchantCLITests.pageAsOf(uri, dir: dir)
        let onFile = try MerchantCLITests.pageAsOf(other.path("asof.sqlite"), dir: other)
        #expect(onServer.live == onFile.live)
        #expect(onServer.asOf == onFile.asOf)
        #expect(onServer.asOf.contains("simple1") && !onServer.asOf.contains("simple2"), "\(onServer.asOf)")
    }

    @Test func catalogImportReadsGzipFilesOnPostgreSQL() throws {
        let cluster = try #require(try PostgreSQLCluster.shared())
        let dir = try TemporaryDirectory()
        let uri = cluster.uri(database: try cluster.makeDatabase("gzip_import"))
        let compressed = try MerchantCLITests.gzipped(Fixtures.magentoImport("products_to_import_with_product_links.csv"), in: dir)
        #expect(try run(CLITests.executable, ["--database", uri, "init"]).status == 0)
        let imported = try run(CLITests.executable, ["--database", uri, "import", "--quiet", compressed])
        #expect(imported.status == 0, "\(imported.stderr)")
        let path = dir.path("plain.sqlite")
        #expect(try run(CLITests.executable, ["--database", path, "import", "--quiet", compressed]).status == 0)
        let links = ["links", "show", "simple4", "--json"]
        let onServer = try run(CLITests.executable, ["--database", uri] + links).stdout
        #expect(onServer == (try run(CLITests.executable, ["--database", path] + links).stdout))
        #expect(onServer.contains("simple3"))
    }
}
