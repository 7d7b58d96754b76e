import ArgumentParser
import Crosslink
import Foundation

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check the database file: SQLite's integrity, foreign keys, migrations and Crosslink's invariants.",
        discussion: """
            Checks, in order: the file's size against its header; PRAGMA quick_check (--full: \
            integrity_check, which also verifies every index); PRAGMA foreign_key_check; the applied \
            migrations' checksums; that no stored events are missing from the aggregates (the stale mark \
            an interrupted `events import --rebuild-aggregates` leaves); that the aggregates and the lists \
            computed from them equal a rebuild from the event log, and every rule block served equals the \
            rules' SQL (on a sample of products; --full: all); that the neighbour lists' version is consistent.
            The file is not changed (the comparisons recompute in transactions that are rolled back).
            Exit status: 0 when every check passes, 1 when one fails or the file cannot be read.
            Examples:
              crosslink check
              crosslink --database shop.sqlite check --full --json
            On PostgreSQL (--database postgresql://…) the file checks are skipped (the server keeps its \
            files: use pg_amcheck; it enforces foreign keys itself); the migrations and the invariants run.
            """)

    @ParentCommand var root: CrosslinkCommand
    @OptionGroup var output: OutputOptions
    @Flag(help: "quick_check and a sample of products (default), or integrity_check and every product.")
    var level: CheckLevel = .quick

    func run() throws {
        let report = try CrosslinkStore.check(path: root.global.database, level: level)
        if output.json {
            print(try Output.json(report))
        } else {
            print(Output.table(["check", "result", "detail"], report.items.map { item in
                [item.name, item.outcome == .failed ? "FAILED" : item.outcome.rawValue, item.detail]
            }))
            print(report.isSound ? "\(report.path): sound" : "\(report.path): damaged or inconsistent (see FAILED above)")
        }
        if !report.isSound { throw ExitCode.failure }
    }
}

extension CheckLevel: EnumerableFlag {}
