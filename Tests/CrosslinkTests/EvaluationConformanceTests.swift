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

    /// The untimed report, grid and HTML page of an evaluation of `store` with its model at `model`.
    static func evaluate(_ store: CrosslinkStore, options: EvaluationOptions, grid: EvaluationGrid,
                         model: String?) throws -> (EvaluationReport, EvaluationGridReport, String) {
        var options = options
        options.modelPath = model
        let session = try Evaluator(source: store, options: options).prepare()
        if let model { #expect(session.snapshot.store.engine == StoreLocation(model).engine) }
        let report = try session.run()
        let gridReport = try session.grid(grid)
        let (a, b) = (Self.untimed(report), Self.untimed(gridReport))
        return (a, b, EvaluationHTML.document(a, grid: b))
    }

    /// A new database of the test cluster, as a model path.
    static func serverModel(_ name: String) throws -> String {
        let cluster = try #require(try PostgreSQLCluster.shared())
        return cluster.uri(database: try cluster.makeDatabase(name))
    }

    static func expectSame(_ sqlite: (EvaluationReport, EvaluationGridReport, String),
                           _ other: (EvaluationReport, EvaluationGridReport, String), _ name: String) {
        #expect(other.0 == sqlite.0, "\(name): \(Self.difference(sqlite.0, other.0))")
        #expect(other.1 == sqlite.1, "\(name): grid")
        #expect(other.2 == sqlite.2, "\(name): HTML")
    }

    /// The Online Retail slice (purchases only: the types of views and carts have no cases).
    @Test func theOnlineRetailReportIsTheSameOnBothEngines() throws {
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
        let sqlite = try Self.evaluate(stores.sqlite, options: options, grid: grid, model: nil)
        // A PostgreSQL source with the default model (a temporary SQLite file, copied from it)…
        Self.expectSame(sqlite, try Self.evaluate(stores.postgreSQL, options: options, grid: grid, model: nil), "PostgreSQL source, SQLite model")
        // …and with the model in a PostgreSQL database: the recommender answers from PostgreSQL.
        Self.expectSame(sqlite, try Self.evaluate(stores.postgreSQL, options: options, grid: grid, model: try Self.serverModel("evaluation_model")),
                        "PostgreSQL source and model")

        let report = sqlite.0
        #expect(report.rows.map(\.type) == RecommendationType.allCases)
        #expect(report.trainingEvents > 10_000 && report.testEvents > 4_000)
        // Enough to compare: the purchase types have cases, and find relevant products.
        let evaluated: Set<RecommendationType> = [.mostPurchased, .viewToPurchase, .boughtBought, .recommendedForYou, .moreLikeThis]
        #expect(Set(report.rows.filter { $0.metrics.cases > 0 }.map(\.type)) == evaluated)
        #expect(report.rows.filter { $0.metrics.hitRate > 0 }.count >= 4)
        #expect(report.rows.first { $0.type == .recommendedForYou }.map { $0.metrics.cases > 10 && $0.metrics.hitRate > 0 } == true)
        #expect(sqlite.1.rows.filter { $0.type == .boughtBought }.count == 4)
    }

    /// A random log of views, carts, orders and cancellations in two store views, so that every
    /// type has cases; one evaluation of every store and one of the second store only.
    @Test func everyTypeScoresTheSameOnBothEngines() throws {
        let events = AggregateRebuildTests.randomLog(seed: 5, events: 3_000)
        let stores = try EngineConformanceTests.pair("evaluation_random") { store in
            try EventConformanceTests.catalog(store)
            _ = try EventStore(store: store).append(events)
        }
        var options = EvaluationOptions()
        options.k = 3
        options.split = .fraction(0.7)
        let grid = EvaluationGrid(axes: [
            .trending: [(.trendingForegroundHours, [3, 12])],
            .viewedViewed: [(.liftPrior, [0, 5])],
            .recommendedForYou: [(.historyHalfLifeDays, [1, 30])],
        ])
        for store in [nil, "fr"] {
            options.store = store
            let sqlite = try Self.evaluate(stores.sqlite, options: options, grid: grid, model: nil)
            Self.expectSame(sqlite, try Self.evaluate(stores.postgreSQL, options: options, grid: grid, model: try Self.serverModel("evaluation_random_model")),
                            "PostgreSQL source and model, store \(store ?? "all")")
            let report = sqlite.0
            #expect(report.rows.allSatisfy { $0.metrics.cases > 0 }, "\(report.rows.filter { $0.metrics.cases == 0 }.map(\.type))")
            #expect(report.rows.filter { $0.metrics.hitRate > 0 }.count >= 8)
        }
    }
}
