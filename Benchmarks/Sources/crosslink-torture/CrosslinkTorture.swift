import ArgumentParser
import Crosslink
import Foundation

/// Reliability drills: the crash loop of `scripts/crash-loop` and of the tests (a parent that
/// SIGKILLs a writing child at random moments and checks what survived), and the writers used
/// for the concurrency tests. Not part of the shipped `crosslink` CLI.
@main struct CrosslinkTorture: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crosslink-torture",
        abstract: "Reliability drills for Crosslink: crash loops and concurrent writers (used by scripts/crash-loop and the tests).",
        discussion: """
            crosslink-torture --database DIR/x.sqlite crash-loop --mode events --kills 1000
              starts a child that writes and acknowledges each commit on stdout, kills it with SIGKILL at \
            random moments, reopens the database and checks it: every acknowledged event stored once with \
            its fields and aggregates equal to a rebuild (events), an import wholly there or wholly absent \
            (import), no stale rule result served (rules), and PRAGMA integrity_check every time.
            crosslink-torture --database DIR/x.sqlite concurrency --reads 5000 --writes 400
              4 reader threads and 1 writer on one store; no error and no half write may be seen.
            The children (events, import, rules, hammer) are what the crash loop, scripts and tests start.
            """,
        subcommands: [TortureCrashLoop.self, TortureVerify.self, TortureConcurrency.self, TortureEvents.self, TortureImport.self,
                      TortureRules.self, TortureHammer.self])

    @Option(help: ArgumentHelp("The Crosslink database file (created when missing).", valueName: "path"))
    var database = "crosslink.sqlite"

    /// Opens the store, creating or upgrading the schema.
    func openStore() throws -> CrosslinkStore {
        try CrosslinkStore(path: database)
    }
}

/// The drills' output: aligned tables, JSON summaries, messages on stderr.
enum Output {
    /// Columns padded to the widest cell, each cell escaped (``TerminalText/table(_:_:)``).
    static func table(_ header: [String], _ rows: [[String]]) -> String { TerminalText.table(header, rows) }

    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func error(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}
