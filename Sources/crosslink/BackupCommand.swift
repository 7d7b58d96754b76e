import ArgumentParser
import Crosslink
import Foundation

struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the database to a file while other processes keep writing.",
        discussion: """
            The copy is the database as of one commit (SQLite's online backup API in one read \
            transaction), passes PRAGMA quick_check, and appears at FILE only when complete: a backup \
            that is killed leaves FILE as it was. FILE may be a new path or a regular file to replace; \
            a symlink, device or fifo is refused.
            Examples:
              crosslink --database shop.sqlite backup /backups/shop-$(date +%F).sqlite
              crosslink backup --quiet copy.sqlite && sqlite3 copy.sqlite 'PRAGMA integrity_check'
            On PostgreSQL the server backs up its databases: pg_dump (one database) or pg_basebackup \
            (the cluster, for point-in-time recovery); `crosslink copy --from URI --to FILE` makes a \
            SQLite file of the store.
            """)

    @ParentCommand var root: CrosslinkCommand
    @Argument(help: ArgumentHelp("The backup file to write.", valueName: "file"))
    var file: String
    @Flag(help: "No progress on stderr.")
    var quiet = false
    @Option(help: ArgumentHelp("Pages copied per step (progress is reported after each step).", valueName: "n"))
    var pagesPerStep = 1_024

    func validate() throws {
        guard pagesPerStep > 0 else { throw ValidationError("--pages-per-step must be 1 or more") }
    }

    func run() throws {
        if case .postgresql = root.global.location {
            throw StoreErrorText.Explained(description: """
                backup copies a SQLite file; \(root.global.displayName) is a PostgreSQL database. Back it up with \
                pg_dump (pg_dump -Fc -f shop.dump 'URI') or pg_basebackup (the whole cluster), or make a SQLite \
                copy of the store with `crosslink copy --from 'URI' --to \(file)`.
                """)
        }
        let store = try root.global.openStore(.read)
        var lastPercent = -1
        let report = try store.backup(to: file, pagesPerStep: pagesPerStep) { progress in
            guard !quiet else { return }
            // One line per whole percent at most, however small the steps.
            let percent = progress.pageCount == 0 ? 100 : progress.pagesCopied * 100 / progress.pageCount
            guard percent != lastPercent else { return }
            lastPercent = percent
            Output.error("backup: \(progress.pagesCopied)/\(progress.pageCount) pages (\(percent) %)")
        }
        print("\(store.path) backed up to \(report.path): \(report.pageCount) pages, \(report.bytes) bytes, quick_check ok")
    }
}
