import ArgumentParser
import Crosslink
import Foundation

@main
struct CrosslinkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crosslink",
        abstract: "Store a catalog's product relations in SQLite and answer \"what do we show next to this product?\"",
        discussion: """
            Crosslink keeps products, categories and the merchant's related / up-sell / cross-sell links \
            in one SQLite file, and resolves the product-page and cart blocks from it.

            Start with the shipped Magento sample:
              crosslink demo
            Or with your own Magento export:
              crosslink --database shop.sqlite import export_catalog_product.csv
              crosslink --database shop.sqlite placement product 24-MB01
              crosslink --database shop.sqlite placement cart 24-MB01 24-WB04

            The database defaults to $CROSSLINK_DATABASE, else ./crosslink.sqlite. Only init, migrate, \
            import, events import and demo create it; every other command needs an existing database, and \
            commands that only read open it read-only. \
            Inspect it with the sqlite3 CLI: sqlite3 crosslink.sqlite 'SELECT * FROM displayable_links LIMIT 5'

            --database (or $CROSSLINK_DATABASE) may instead be a PostgreSQL 15 URI; the database must exist \
            (createdb shop), and init creates the schema in it. Every command works the same on it:
              crosslink --database postgresql://app@db.internal:5432/shop init
              crosslink --database 'postgresql://app@/shop?host=/run/postgresql' placement product 24-MB01
            Move a store between the two with `crosslink copy --from shop.sqlite --to postgresql://…`.
            On PostgreSQL, reads can go to streaming hot standbys (--replica, repeatable, or $CROSSLINK_REPLICAS) \
            while writes go to --database; --read-your-writes makes reads wait for what was written before:
              crosslink --database postgresql://app@db-primary/shop \\
                --replica postgresql://app@db-replica/shop --read-your-writes page product 24-MB01
            """,
        version: CrosslinkVersion.description,
        subcommands: [Init.self, Migrate.self, CopyCommand.self, Import.self, Export.self, Links.self, Placement.self, Demo.self, Rules.self, Events.self, Eval.self, Recommend.self, AggregatesCommand.self, SimilarCommand.self, MetricsCommand.self, ReportCommand.self, Units.self, PageCommand.self, Stores.self, Websites.self, BackupCommand.self, CheckCommand.self]
    )

    @OptionGroup var global: GlobalOptions

    /// ArgumentParser's `main()`, plus:
    /// - every store the command opened is closed on every path (success, error, `--help`), so
    ///   a database closed by its last process is one file with no `-wal` beside it;
    /// - errors about the store are explained for a shell user (which file, which command fixes it);
    /// - the message of an error is escaped like printed lines: an error often quotes the value
    ///   it refuses (a SKU, a rule name, a file's line).
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
            OpenStores.closeAll()
        } catch {
            OpenStores.closeAll()
            let error = StoreErrorText.explained(error)
            let code = exitCode(for: error)
            let message = TerminalText.escaped(fullMessage(for: error), keepingNewlines: true)
            if !message.isEmpty {
                if code == .success { Swift.print(message) } else { Output.error(message) }
            }
            exit(withError: code == .success ? nil : code)
        }
    }
}

/// Options every command shares.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The Crosslink database: a SQLite file path, or a PostgreSQL URI (postgresql://user@host:5432/db).",
        valueName: "path-or-uri"))
    var database: String = ProcessInfo.processInfo.environment["CROSSLINK_DATABASE"] ?? Self.defaultDatabase

    /// The database a command uses when neither --database nor $CROSSLINK_DATABASE names one.
    static let defaultDatabase = "crosslink.sqlite"

    @Option(name: .long, help: ArgumentHelp(
        "How long to wait for another process's lock on the database before failing (default $CROSSLINK_BUSY_TIMEOUT, else 5000).",
        valueName: "ms"))
    var busyTimeout: Int32?

    @Option(name: .customLong("replica"), help: ArgumentHelp(
        "A PostgreSQL hot standby of --database that commands read from; writes still go to --database. Repeat it for "
            + "several (reads take them in turn). Default: $CROSSLINK_REPLICAS, URIs separated by commas or spaces.",
        valueName: "uri"))
    var replicaOptions: [String] = []

    @Flag(help: ArgumentHelp(
        "With --replica: reads see everything committed on --database before this command started (by any process) and "
            + "its own writes, waiting up to 1 s for the replica to replay them, else reading --database. Without it a read "
            + "may be a moment behind."))
    var readYourWrites = false

    /// `--replica`, else `$CROSSLINK_REPLICAS`.
    var replicas: [String] {
        guard replicaOptions.isEmpty else { return replicaOptions }
        return Self.replicaList(ProcessInfo.processInfo.environment["CROSSLINK_REPLICAS"] ?? "")
    }

    /// URIs separated by spaces or commas; a comma inside a URI (libpq's `host1,host2` multi-host
    /// form) is kept: only a comma before the next `postgresql://` or `postgres://` separates.
    static func replicaList(_ text: String) -> [String] {
        text.split(whereSeparator: \.isWhitespace).flatMap { word in
            var uris: [String] = []
            for piece in word.split(separator: ",", omittingEmptySubsequences: true) {
                if let last = uris.last, !piece.hasPrefix("postgresql://") && !piece.hasPrefix("postgres://") {
                    uris[uris.count - 1] = last + "," + piece
                } else {
                    uris.append(String(piece))
                }
            }
            return uris
        }
    }

    func validate() throws {
        if readYourWrites && replicas.isEmpty { throw ValidationError("--read-your-writes needs --replica (or $CROSSLINK_REPLICAS)") }
        if let busyTimeout, busyTimeout < 0 { throw ValidationError("--busy-timeout must be 0 or more milliseconds") }
        _ = try busyTimeoutMilliseconds()
    }

    /// `--busy-timeout`, else `$CROSSLINK_BUSY_TIMEOUT`, else the library's default.
    func busyTimeoutMilliseconds() throws -> Int32 {
        if let busyTimeout { return busyTimeout }
        guard let text = ProcessInfo.processInfo.environment["CROSSLINK_BUSY_TIMEOUT"], !text.isEmpty else {
            return Configuration().busyTimeoutMilliseconds
        }
        guard let value = Int32(text), value >= 0 else {
            throw ValidationError("CROSSLINK_BUSY_TIMEOUT must be 0 or more milliseconds, not \"\(text)\"")
        }
        return value
    }

    /// What a command does with the database file.
    enum Access {
        /// Only reads: opened read-only (`SQLITE_OPEN_READONLY`); a missing or empty file is an error.
        case read
        /// Changes an existing store: read-write, migrated, never created.
        case readWrite
        /// May create the file (init, migrate, import, events import, demo).
        case create
    }

    func configuration(_ access: Access) throws -> Configuration {
        var configuration = Configuration()
        configuration.busyTimeoutMilliseconds = try busyTimeoutMilliseconds()
        configuration.readOnly = access == .read
        configuration.createIfMissing = access == .create
        return configuration
    }

    /// Opens the store for `access` (the schema is created or upgraded unless `.read`). The
    /// store is closed when the command ends, on every path (``CrosslinkCommand/main()``).
    /// Where `--database` points: a SQLite file or a PostgreSQL URI.
    var location: StoreLocation { StoreLocation(database) }

    /// `--database` as it may be printed: a PostgreSQL URI without its password.
    var displayName: String { location.description }

    func openStore(_ access: Access = .readWrite) throws -> CrosslinkStore {
        let replicas = replicas
        guard !replicas.isEmpty else {
            let store = try CrosslinkStore(location: database, configuration: configuration(access))
            OpenStores.register(store.pool)
            return store
        }
        let store = try CrosslinkStore(primary: database, replicas: replicas, readYourWrites: readYourWrites,
                                       configuration: configuration(access))
        OpenStores.register(store)
        // Another process's write just before this command counts as one's own.
        if readYourWrites { try store.syncReadsWithPrimary() }
        return store
    }

    /// A bare pool for `access`: no migration (`migrate` applies them itself).
    func openPool(_ access: Access) throws -> DatabasePool {
        let pool = switch location {
        case .sqlite(let path): try DatabasePool(path: path, configuration: configuration(access))
        case .postgresql(let uri): try DatabasePool(postgreSQL: uri, configuration: configuration(access))
        }
        OpenStores.register(pool)
        return pool
    }
}

/// Options of commands that read and print.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print JSON instead of a table.")
    var json = false
}
