import Foundation
import Testing
@testable import Crosslink
@Suite struct EvaluationScratchTests {
    @Test func zzDumpPlan() throws {
        let store = try CrosslinkStore(path: "/tmp/evalwork/retail.sqlite")
        for type in [RecommendationType.boughtBought, .recommendedForYou, .moreLikeThis, .mostPurchased] {
            let q = try store.read { db in try Recommender(db).plan(type, context: RecommendationContext(skus: type.requirement == .products ? ["85123A"] : [], visitorID: type.requirement == .visitor ? "17850" : nil), limit: 10, asOf: EventTime.date(1311811200000)) }
            var text = ""
            for (name, value) in q.parameters {
                switch value {
                case .integer(let i): text += ".parameter set \(name) \(i)\n"
                case .text(let t): text += ".parameter set \(name) \"'\(t)'\"\n"
                default: text += "-- \(name) \(value)\n"
                }
            }
            text += ".timer on\n" + q.sql + ";\n"
            try text.write(toFile: "/tmp/evalwork/plan-\(type.rawValue).sql", atomically: true, encoding: .utf8)
        }
    }
}
