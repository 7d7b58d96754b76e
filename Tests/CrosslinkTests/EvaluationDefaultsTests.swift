import Foundation
import Testing
@testable import Crosslink

/// The library's defaults are the settings `crosslink eval --grid` found best (by NDCG) on the
/// shipped Online Retail log. The grid takes minutes, so its reports are recorded in
/// Fixtures/evaluation/online-retail-grid.json (the commands that made them are in the file and
/// in the Evaluation article); this pins the defaults — in Swift and in
/// 0004_aggregates.sql — to the winners recorded there.
@Suite struct EvaluationDefaultsTests {
    struct Recorded: Decodable {
        struct Run: Decodable {
            var command: String
            var grid: EvaluationGridReport
        }
        var runs: [Run]
    }

    static func recorded() throws -> Recorded {
        let url = Fixtures.packageRoot.appending(path: "Tests/CrosslinkTests/Fixtures/evaluation/online-retail-grid.json")
        return try JSONDecoder().decode(Recorded.self, from: Data(contentsOf: url))
    }

    @Test func theDefaultsAreTheGridWinnersOnTheShippedLog() throws {
        let defaults = RecommendationSettings()
        var tuned: [GridParameter: RecommendationType] = [:]
        for run in try Self.recorded().runs {
            #expect(run.command.contains("online-retail") && run.command.contains("--grid"))
            #expect(run.grid.split == "2011-07-28T00:00:00.000Z" && run.grid.k == 10)
            for best in run.grid.best where best.metric == "ndcg" {
                let row = try #require(run.grid.rows.first { $0.type == best.type && $0.label == best.label })
                for value in row.point.values {
                    #expect(value.parameter.value(in: defaults) == value.value,
                            "\(best.type.rawValue): the grid's best \(value.parameter.rawValue) is \(value.value)")
                    // One setting, one type it is tuned on (the Evaluation article says which).
                    #expect(tuned.updateValue(best.type, forKey: value.parameter) == nil, "\(value.parameter.rawValue) tuned twice")
                }
            }
        }
        // The rest cannot be scored on a purchases-only log (trending, conversion) or are not in the
        // standard grid (the basket cap): spec §5's values.
        for parameter in GridParameter.allCases where tuned[parameter] == nil {
            #expect(parameter.value(in: defaults) == parameter.value(in: .specification), "\(parameter.rawValue)")
        }
        #expect(tuned == [
            .popularityDays: .mostPurchased,
            .cooccurrenceDays: .boughtBought, .minimumSupport: .boughtBought, .liftPrior: .boughtBought,
            .historyHalfLifeDays: .recommendedForYou, .historyProducts: .recommendedForYou,
        ])
    }

    /// A new database stores the same defaults as the Swift type (0004_aggregates.sql's column defaults).
    @Test func aNewDatabaseStoresTheLibraryDefaults() throws {
        let store = try makeStore(try TemporaryDirectory())
        #expect(try store.read { db in try RecommendationSettings.load(db) } == RecommendationSettings())
    }
}
