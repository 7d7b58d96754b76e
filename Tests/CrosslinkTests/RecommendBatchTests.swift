import Foundation
import Testing
@testable import Crosslink

/// `crosslink recommend --batch`: every answer equals the library's, in input order, bad lines
/// answered with an error naming the line while the others are still answered; a SKU the
/// catalog lacks is named in an empty answer.
@Suite struct RecommendBatchTests {
    typealias F = RecommendationFixtures

    @Test func answersEqualTheLibraryAndBadLinesNameTheirLine() throws {
        let dir = try TemporaryDirectory()
        let store = try RecommendationSQLiteTests.storeWithLog(dir)
        let questions = dir.url.appending(path: "questions.jsonl")
        try """
            {"type":"bought-bought","sku":"A","id":1}
            {"type":"viewed-viewed","cart":["A","C"],"limit":2}

            {"visitor":"v0"}
            {"type":"recently-viewed","visitor":"v1","as_of":"2024-03-05","id":"late"}
            {"type":"bought-bought","sku":"NOPE"}
            {"type":"most-viewed","sku":"A","cart":["B"]}
            {"type":"trending","as_of":"someday"}
            not json
            {"type":"most-purchased","limit":"3"}
            """.write(to: questions, atomically: true, encoding: .utf8)
        let result = try run(CLITests.executable, ["--database", store.path, "recommend", "--batch", questions.path,
                                                   "--type", "recommended-for-you", "--limit", "3"])
        #expect(result.status == 0, "\(result.stderr)")
        let answers = try result.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(answers.map { $0["line"] as? Int } == [1, 2, 4, 5, 6, 7, 8, 9, 10])
        func skus(_ answer: [String: Any]) -> [String]? {
            (answer["recommendations"] as? [[String: Any]])?.map { $0["sku"] as? String ?? "?" }
        }
        #expect(skus(answers[0]) == (try F.skus(store, .boughtBought, .product("A"), limit: 3)))
        #expect(answers[0]["id"] as? Int == 1)
        #expect(skus(answers[1]) == (try F.skus(store, .viewedViewed, .cart(["A", "C"]), limit: 2)))
        #expect(skus(answers[2]) == (try F.skus(store, .recommendedForYou, .visitor("v0"), limit: 3)), "--type is the default")
        #expect(answers[2]["type"] as? String == "recommended-for-you")
        let asOf = try #require(EventTime.parse("2024-03-05T00:00:00Z").map(EventTime.date))
        #expect(skus(answers[3]) == (try F.skus(store, .recentlyViewed, .visitor("v1"), limit: 3, asOf: asOf)))
        #expect(answers[3]["id"] as? String == "late")
        for answer in answers[0...3] { #expect(!(skus(answer) ?? []).isEmpty && answer["error"] == nil, "\(answer)") }
        let path = questions.path
        // A SKU the catalog lacks: an empty answer that names it, not an error.
        #expect(skus(answers[4]) == [] && answers[4]["unknown_skus"] as? [String] == ["NOPE"] && answers[4]["error"] == nil, "\(answers[4])")
        #expect(answers[0...3].allSatisfy { $0["unknown_skus"] == nil })
        #expect(answers[5]["error"] as? String == "\(path):7: give \"sku\" or \"cart\", not both")
        #expect((answers[6]["error"] as? String)?.hasPrefix("\(path):8: as_of someday: not a time") == true)
        #expect((answers[7]["error"] as? String)?.hasPrefix("\(path):9: not a question") == true)
        #expect((answers[8]["error"] as? String)?.hasPrefix("\(path):10: not a question: limit") == true)
        #expect(result.stderr.contains("4 of 9 questions answered with an error"))
    }

    /// A single question for a SKU the catalog lacks: nothing to recommend, said on stderr, status 0.
    @Test func aSKUNotInTheCatalogIsANoteNotAnError() throws {
        let dir = try TemporaryDirectory()
        let store = try RecommendationSQLiteTests.storeWithLog(dir)
        let result = try run(CLITests.executable, ["--database", store.path, "recommend", "--type", "bought-bought", "--cart", "A,NOPE"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("note: \"NOPE\" is not in the catalog: nothing is recommended from it"), "\(result.stderr)")
        let expected = try F.skus(store, .boughtBought, .product("A"))
        #expect(!expected.isEmpty && expected.allSatisfy { result.stdout.contains($0) })
    }

    /// A line's windows, the command's window options as the default, and the same on one request.
    @Test func windowsPerLineAndFromTheCommandLine() throws {
        let dir = try TemporaryDirectory()
        let store = try RecommendationSQLiteTests.storeWithLog(dir)
        let questions = dir.url.appending(path: "w.jsonl")
        try #"{"type":"most-viewed","windows":{"popularity_days":1}}"#.appending("\n" + #"{"type":"most-viewed"}"#)
            .write(to: questions, atomically: true, encoding: .utf8)
        let result = try run(CLITests.executable, ["--database", store.path, "recommend", "--batch", questions.path, "--popularity-days", "3"])
        #expect(result.status == 0, "\(result.stderr)")
        let answers = try result.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        func skus(_ answer: [String: Any]) -> [String] { ((answer["recommendations"] as? [[String: Any]]) ?? []).map { $0["sku"] as? String ?? "?" } }
        func library(_ days: Int) throws -> [String] {
            try store.read { db in try Recommender(db).recommend(.mostViewed, limit: 5, windows: RecommendationWindows(popularityDays: days)).map(\.sku) }
        }
        let (oneDay, threeDays) = (try library(1), try library(3))
        #expect(skus(answers[0]) == oneDay && oneDay == ["E", "A", "C"])
        #expect(skus(answers[1]) == threeDays && threeDays != oneDay)
        let single = try run(CLITests.executable, ["--database", store.path, "recommend", "--type", "most-viewed", "--popularity-days", "1", "--json"])
        let list = try #require(try JSONSerialization.jsonObject(with: Data(single.stdout.utf8)) as? [[String: Any]])
        #expect(list.map { $0["sku"] as? String } == oneDay)
    }

    @Test func standardInputAndOptionsThatTheLinesReplace() throws {
        let dir = try TemporaryDirectory()
        let store = try RecommendationSQLiteTests.storeWithLog(dir)
        let questions = dir.url.appending(path: "q.jsonl")
        try #"{"type":"most-viewed","limit":2}"#.write(to: questions, atomically: true, encoding: .utf8)
        let piped = try run(CLITests.executable, ["--database", store.path, "recommend", "--batch", "-"], stdin: questions)
        #expect(piped.status == 0 && piped.stderr.isEmpty, "\(piped.stderr)")
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(piped.stdout.utf8)) as? [String: Any])
        #expect((answer["recommendations"] as? [[String: Any]])?.map { $0["sku"] as? String } == (try F.skus(store, .mostViewed, limit: 2)))
        let mixed = try run(CLITests.executable, ["--database", store.path, "recommend", "--batch", questions.path, "--sku", "A"])
        #expect(mixed.status != 0 && mixed.stderr.contains("--batch reads each question's sku"))
        let missing = try run(CLITests.executable, ["--database", store.path, "recommend", "--batch", dir.url.appending(path: "none.jsonl").path])
        #expect(missing.status != 0 && missing.stderr.contains("none.jsonl: cannot open"))
        let noType = try run(CLITests.executable, ["--database", store.path, "recommend", "--sku", "A"])
        #expect(noType.status != 0 && noType.stderr.contains("missing --type (or --batch FILE)"))
    }
}
