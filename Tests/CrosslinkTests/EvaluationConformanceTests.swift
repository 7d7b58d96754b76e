import Foundation
import Testing
@testable import Crosslink

/// Offline evaluation on PostgreSQL: the same Online Retail slice in a SQLite and a PostgreSQL
/// store gives the same report — every type's hit rate, NDCG, coverage, novelty, cold starts,
/// case and query counts and its popularity baseline — whether the model is the default
/// temporary SQLite file or a PostgreSQL database; the grid and the HTML report too. Only the
/// seconds (timings) are left out of the comparison.
@Suite(.requiresPostgreSQL) struct EvaluationConformanceTests {
    /// `report` without its timings.
    static func untimed(_ report: EvaluationReport) -> EvaluationReport {
        var report = report
        report.preparationSeconds = 0
        for index in report.rows.indices { report.rows[index].seconds = 0 }
        return report
    }

    static func untimed(_ grid: EvaluationGridReport) -> EvaluationGridReport {
        var grid = grid
        for index in grid.rows.indices { grid.rows[index].seconds = 0 }
        return grid
    }

    /// The first difference of two reports, row by row, for the failure message.
    static func difference(_ a: EvaluationReport, _ b: EvaluationReport) -> String {
        for (x, y) in zip(a.rows, b.rows) where x != y { return "\(x)\n≠\n\(y)" }
        return "\(a.rows.count) / \(b.rows.count) rows; header \(a.split) \(a.trainingEvents) \(a.testEvents) \(a.catalogSize) / "
            + "\(b.split) \(b.trainingEvents) \(b.testEvents) \(b.catalogSize)"
    }

    @Test func theReportIsTheSameOnBothEngines() throws {
        let slice = try EventConformanceTests.onlineRetailSlice(lines: 15_000)
        var importOptions = OnlineRetailImporter.Options()
        importOptions.createCatalog = true
        let stores = try EngineConformanceTests.pair("evaluation") { store in
            try EventConformanceTests.shortWindows(store)
            _ = try OnlineRetailImporter(store: store, options: importOptions).importData(slice, file: "online-retail-slice.csv")
        }
        var options = EvaluationOptions()
        options.catalog = .soldBeforeSplit  // as `crosslink eval --log … --create-catalog`
        options.k = 5
        options.split = .fraction(0.6)
        // A small grid, with a basket cap that rebuilds the model's aggregates.
        let grid = EvaluationGrid(axes: [
            .mostPurchased: [(.popularityDays, [1, 3])],
            .boughtBought: [(.maxBasketProducts, [4, 12]), (.minimumSupport, [1, 2])],
            .recommendedForYou: [(.historyProducts, [1, 20])],
        ])

        func evaluate(_ store: CrosslinkStore, model: String?) throws -> (EvaluationReport, EvaluationGridReport, String) {
            var options = options
            options.modelPath = model
            let session = try Evaluator(source: store, options: options).prepare()
            if let model { #expect(session.snapshot.store.engine == StoreLocation(model).engine) }
            let report = try session.run()
            let gridReport = try session.grid(grid)
            let (a, b) = (Self.untimed(report), Self.untimed(gridReport))
            return (a, b, EvaluationHTML.document(a, grid: b))
        }
        let sqlite = try evaluate(stores.sqlite, model: nil)
        // A PostgreSQL source with the default model (a temporary SQLite file, copied from it)…
        let copied = try evaluate(stores.postgreSQL, model: nil)
        // …and with the model in a PostgreSQL database: the recommender answers from PostgreSQL.
        let cluster = try #require(try PostgreSQLCluster.shared())
        let onServer = try evaluate(stores.postgreSQL, model: cluster.uri(database: try cluster.makeDatabase("evaluation_model")))

        let report = sqlite.0
        #expect(report.rows.map(\.type) == RecommendationType.allCases)
        #expect(report.trainingEvents > 10_000 && report.testEvents > 1_000)
        // Enough to compare: most types have cases, and several find relevant products.
        #expect(report.rows.filter { $0.metrics.cases > 0 }.count >= 8)
        #expect(report.rows.filter { $0.metrics.hitRate > 0 }.count >= 5)
        #expect(report.rows.first { $0.type == .recommendedForYou }.map { $0.metrics.cases > 20 && $0.metrics.hitRate > 0 } == true)
        for (name, other) in [("PostgreSQL source, SQLite model", copied), ("PostgreSQL source and model", onServer)] {
            #expect(other.0 == sqlite.0, "\(name): \(Self.difference(sqlite.0, other.0))")
            #expect(other.1 == sqlite.1, "\(name): grid")
            #expect(other.2 == sqlite.2, "\(name): HTML")
        }
        #expect(sqlite.1.rows.filter { $0.type == .boughtBought }.count == 4)
        for row in report.rows {
            print("EVAL \(row.type.rawValue) cases \(row.metrics.cases) hit \(row.metrics.hitRate) ndcg \(row.metrics.ndcg) base \(row.baseline.hitRate)")
        }
        print("EVAL \(report.trainingEvents) \(report.testEvents) \(report.split)")
    }
}
