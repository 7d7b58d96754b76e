import Foundation
import Testing
@testable import Crosslink

/// `crosslink events import --rebuild-aggregates FILE` commits the events, then rebuilds the
/// aggregates in a second transaction. Children are killed with SIGKILL at random moments
/// (seeded); after each kill the stale mark must be set exactly when the aggregates differ from
/// a rebuild done in a copy of the file, and after the finishing command (the next aggregating
/// import, or `aggregates rebuild`) the mark is clear and recommendations equal a rebuild's.
///
/// `CROSSLINK_STALE_KILLS` sets the number of kills (default 30, about a minute here;
/// `scripts/crash-loop` runs 200) and `CROSSLINK_STALE_SEED` the seed.
@Suite(.serialized) struct StaleAggregatesCrashTests {
    static let kills = ProcessInfo.processInfo.environment["CROSSLINK_STALE_KILLS"].flatMap(Int.init) ?? 30
    static let seed = ProcessInfo.processInfo.environment["CROSSLINK_STALE_SEED"].flatMap(UInt64.init) ?? 42

    /// Lines `range` (1-based, after the header) of the shipped Online Retail log, with its header.
    static func slice(_ lines: [Substring], _ range: Range<Int>, to path: String) throws {
        try (([lines[0]] + lines[range]).joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    static func shippedLogLines(_ count: Int) throws -> [Substring] {
        let data = try Gzip.decompress(Data(contentsOf: Fixtures.onlineRetailLog), file: "online-retail")
        return String(decoding: data, as: UTF8.self).split(separator: "\n", maxSplits: count + 1, omittingEmptySubsequences: false).prefix(count + 1).map { $0 }
    }

    /// The stale mark and the aggregates' difference from a rebuild done in a copy of `path`.
    static func state(_ path: String, copy: String) throws -> (stale: AggregateStaleness?, differs: Bool) {
        for suffix in ["", "-wal"] {
            try? FileManager.default.removeItem(atPath: copy + suffix)
            if FileManager.default.fileExists(atPath: path + suffix) { try FileManager.default.copyItem(atPath: path + suffix, toPath: copy + suffix) }
        }
        try? FileManager.default.removeItem(atPath: copy + "-shm")
        let tables = DerivedDataVerifier.rebuiltTables
        let rebuilt = try {
            let store = try CrosslinkStore(path: copy)
            try store.write { db in try Aggregates(db).rebuild() }
            return try store.read { db in try DerivedDataVerifier.snapshot(db, tables: tables) }
        }()
        let store = try CrosslinkStore(path: path)
        let (stale, kept) = try store.read { db in (try Aggregates(db).staleness(), try DerivedDataVerifier.snapshot(db, tables: tables)) }
        return (stale, kept != rebuilt)
    }

    /// Recommendations of the popularity and bought-together types for a few products.
    static func recommendations(_ path: String) throws -> [String] {
        let store = try CrosslinkStore(path: path)
        return try store.read { db in
            let skus = try db.prepare("SELECT sku FROM products ORDER BY product_id LIMIT 10").map { $0.text(at: 0) }
            var lists: [String] = []
            for type in [RecommendationType.mostPurchased] {
                lists.append(try Recommender(db).recommend(type, limit: 10).map(\.sku).joined(separator: ","))
            }
            for sku in skus {
                let context = RecommendationContext(skus: [sku])
                lists.append(try Recommender(db).recommend(.boughtBought, context: context, limit: 10).map { "\($0.sku) \($0.score)" }.joined(separator: ","))
            }
            return lists
        }
    }

    /// Starts `crosslink ARGUMENTS`, output discarded.
    static func start(_ arguments: [String]) throws -> Process { try startQuietly(CLITests.executable, arguments) }

    @Test func killedRebuildingImportsAreMarkedStaleExactlyWhenAggregatesDiffer() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("shop.sqlite"), copy = dir.path("rebuilt.sqlite")
        let sliceLines = 150, slices = 12
        let lines = try Self.shippedLogLines(2_000 + sliceLines * slices)
        try Self.slice(lines, 1..<2_001, to: dir.path("base.csv"))
        let files = try (0..<slices).map { index in
            let file = dir.path("slice-\(index).csv")
            try Self.slice(lines, (2_001 + index * sliceLines)..<(2_001 + (index + 1) * sliceLines), to: file)
            return file
        }
        let base = try run(CLITests.executable, ["--database", path, "events", "import", "--quiet", "--create-catalog", dir.path("base.csv")])
        #expect(base.status == 0, "\(base.stderr)")

        // How long an uninterrupted child takes (in a copy): kills fall anywhere in it, and some after.
        try FileManager.default.copyItem(atPath: path, toPath: dir.path("timing.sqlite"))
        let clock = ContinuousClock()
        let duration = try clock.measure {
            let timing = try run(CLITests.executable, ["--database", dir.path("timing.sqlite"), "events", "import", "--quiet",
                                                       "--create-catalog", "--rebuild-aggregates", files[0]])
            #expect(timing.status == 0, "\(timing.stderr)")
        }
        let window = max(0.05, Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18) * 1.2

        var random = SplitMix64(seed: Self.seed)
        var (staleKills, freshKills, finishes) = (0, 0, 0)
        for kill in 0..<Self.kills {
            let file = files[kill % slices]
            let child = try Self.start(["--database", path, "events", "import", "--quiet", "--create-catalog", "--rebuild-aggregates", file])
            let delay = Double(random.next() % 1_000_000) / 1_000_000 * window
            Thread.sleep(forTimeInterval: delay)
            Foundation.kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()

            let (stale, differs) = try Self.state(path, copy: copy)
            #expect((stale != nil) == differs, "kill \(kill) after \(delay) s: stale mark \(stale.map(\.description) ?? "clear"), aggregates \(differs ? "differ from" : "equal") a rebuild")
            if stale != nil { staleKills += 1 } else { freshKills += 1 }

            // Now and then the user finishes the work: the next aggregating import of the same
            // file (all duplicates by now, or the rest of it), or an explicit rebuild.
            if random.next() % 3 == 0 || kill == Self.kills - 1 {
                finishes += 1
                let finish = finishes % 2 == 0 ? ["aggregates", "rebuild"] : ["events", "import", "--quiet", "--create-catalog", file]
                let result = try run(CLITests.executable, ["--database", path] + finish)
                #expect(result.status == 0, "\(finish): \(result.stderr)")
                let (stale, differs) = try Self.state(path, copy: copy)
                #expect(stale == nil && !differs, "after \(finish): stale mark \(stale.map(\.description) ?? "clear"), aggregates differ: \(differs)")
                #expect(try Self.recommendations(path) == Self.recommendations(copy), "recommendations after \(finish)")
            }
        }
        // A loop whose kills never fell between the two commits proves nothing.
        #expect(staleKills > 0 && freshKills > 0, "\(staleKills) kills left the mark, \(freshKills) did not")
        print("stale-aggregates crash loop: \(Self.kills) kills (seed \(Self.seed)), \(staleKills) left the aggregates stale and marked, "
              + "\(freshKills) left them equal to a rebuild; \(finishes) finishing commands")
    }
}
