import ArgumentParser
import Crosslink
import Foundation

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create the database (or upgrade an existing one) with the current schema.",
        discussion: """
            Examples:
              crosslink --database shop.sqlite init
              crosslink --database postgresql://app@db.internal:5432/shop init   # the database must exist (createdb shop)
            """)

    @ParentCommand var root: CrosslinkCommand
    var global: GlobalOptions { root.global }

    func run() throws {
        let store = try global.openStore(.create)
        let version = try store.read { db in try DatabaseMigrator().appliedVersions(db).last ?? 0 }
        print("\(store.path): Crosslink database, schema version \(version)")
    }
}

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply pending schema migrations, or list them with --status.",
        discussion: """
            Migrations are the plain SQL files of Migrations/, embedded in the library. Each is applied \
            in its own transaction and recorded (version, name, SHA-256, time) in crosslink_migrations.
            Examples:
              crosslink migrate --status
              crosslink --database shop.sqlite migrate
            """)

    @ParentCommand var root: CrosslinkCommand
    var global: GlobalOptions { root.global }
    @Flag(help: "List applied and pending migrations without applying anything.")
    var status = false

    func run() throws {
        let migrator = DatabaseMigrator()
        if status {
            let pool = try global.openPool(.read)
            let applied = try pool.read { db in
                try migrator.validate(db)
                return try migrator.appliedVersions(db)
            }
            print(Output.table(["version", "file", "sha256", "state"], migrator.migrations.map {
                [String($0.version), $0.fileName, String($0.checksum.prefix(16)), applied.contains($0.version) ? "applied" : "pending"]
            }))
            return
        }
        let pool = try global.openPool(.create)
        let done = try pool.writeWithoutTransaction { db in try migrator.migrate(db) }
        print(done.isEmpty ? "\(global.displayName): up to date" : "\(global.displayName): applied \(done.joined(separator: ", "))")
    }
}
