import ArgumentParser
import Crosslink
import Foundation

extension AggregatesCommand {
    /// `crosslink aggregates neighbours`: the item–item neighbour lists of recommended for you.
    struct Neighbours: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build or inspect the item–item neighbour lists that recommended-for-you reads.",
            discussion: """
                recommended-for-you expands a visitor's live history through item–item similarity. \
                Computed per request that costs about 1 ms; the lists hold each product's most similar \
                products, computed for all products at once, and are served while the aggregated log \
                has moved on by at most --max-lag-hours of event time since (default 24). Older, or \
                never built, the similarity is computed per request again. Refresh them on a schedule; \
                `events import`, `aggregates rebuild` and `aggregates configure` refresh lists that exist.

                Examples:
                  crosslink aggregates neighbours --refresh
                  crosslink aggregates neighbours --refresh --list-length 50 --max-lag-hours 6
                  crosslink aggregates neighbours --json
                  sqlite3 crosslink.sqlite "SELECT rank, neighbour_sku, round(similarity, 4), strongest_kind FROM item_neighbour_list WHERE sku = '85123A' LIMIT 10"
                """)
        @ParentCommand var root: AggregatesCommand
        @Flag(name: .long, help: "Recompute every list from the live co-occurrence window.") var refresh = false
        @Option(name: .long, help: "Neighbours kept per product (1–100000, default 10000: all, in practice; applies at the next refresh).")
        var listLength: Int?
        @Option(name: .long, help: "Serve the lists while the log is at most this many hours of event time newer (default 24).")
        var maxLagHours: Double?
        @OptionGroup var output: OutputOptions

        func run() throws {
            let crosslink = try root.root.global.openStore(refresh || listLength != nil || maxLagHours != nil ? .readWrite : .read)
            let options = self
            var report: ItemNeighbours.Report?
            if refresh {
                report = try crosslink.write { db in try ItemNeighbours(db).refresh(listLength: options.listLength, maxLagHours: options.maxLagHours) }
            } else if listLength != nil || maxLagHours != nil {
                try crosslink.write { db in try ItemNeighbours(db).configure(listLength: options.listLength, maxLagHours: options.maxLagHours) }
            }
            let status = try crosslink.read { db in try ItemNeighbours(db).status() }
            if output.json { return print(try Output.json(status)) }
            if let report { print("neighbour lists: \(report)") }
            let lag = status.lagHours.map { String(format: "%.1f h of events since", $0) } ?? "never built"
            print("""
                \(status.servable ? "served" : "not served (recommended-for-you computes the similarity per request)"): \
                \(status.products) lists of up to \(status.listLength) neighbours; \(lag); served up to \
                \(MagentoFields.formatDecimal(status.maxLagHours)) h; refreshed \(status.refreshedAt ?? "never")
                """)
        }
    }
}
