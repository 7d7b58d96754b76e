import ArgumentParser
import Crosslink
import Foundation

struct CopyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy a store to another store, SQLite or PostgreSQL, and verify the copy.",
        discussion: """
            Copies every table of the store from one snapshot of SRC, in one transaction on DST, with \
            the ids kept; then compares the row count of every table and the related, up-sell and \
            cross-sell blocks of a sample of products on both, and prints the comparison. SRC and DST \
            are each a SQLite file or a PostgreSQL URI. DST must be a new file or an empty database \
            (createdb shop): a store with data of its own is refused and left as it was.
            Exit status: 0 when the copy is verified, 1 otherwise.
            Examples:
              crosslink copy --from shop.sqlite --to postgresql://app@db.internal:5432/shop
              crosslink copy --from 'postgresql://app@/shop?host=/run/postgresql' --to shop-$(date +%F).sqlite
            """)

    @OptionGroup var output: OutputOptions
    @Option(help: ArgumentHelp("The store to copy: a SQLite file or a PostgreSQL URI.", valueName: "path-or-uri"))
    var from: String
    @Option(help: ArgumentHelp("The new store: a new SQLite file or an empty PostgreSQL database.", valueName: "path-or-uri"))
    var to: String
    @Option(help: ArgumentHelp("Products whose placements are compared after the copy.", valueName: "n"))
    var sample = 50

    func validate() throws {
        guard sample >= 0 else { throw ValidationError("--sample must be 0 or more") }
    }

    func run() throws {
        let report = try CrosslinkStore.copy(from: from, to: to, sampleSize: sample)
        if output.json {
            print(try Output.json(report))
        } else {
            print(Output.table(["table", "source rows", "copied rows", "result"], report.tables.map { table in
                [table.name, String(table.sourceRows), String(table.destinationRows), table.sourceRows == table.destinationRows ? "ok" : "DIFFERENT"]
            }))
            let blocks = report.blockMismatches.isEmpty
                ? "identical"
                : "\(report.blockMismatches.count) DIFFERENT: " + report.blockMismatches.prefix(5).joined(separator: ", ")
            print("placements of \(report.sampledProducts) sampled products (related, up-sell, cross-sell): \(blocks)")
            print(report.isVerified ? "\(report.source) copied to \(report.destination): verified"
                  : "\(report.source) copied to \(report.destination): NOT verified (see above)")
        }
        if !report.isVerified { throw ExitCode.failure }
    }
}
