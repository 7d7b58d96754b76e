import Foundation
import Testing
@testable import Crosslink

/// Adding a recommendation type touches its file in Recommendations/Types/ and the registry,
/// nothing else: the unit model, evaluation and the CLI read every per-type fact from the
/// descriptors, no source outside Types/ names a type, and the DocC article lists exactly what a
/// type's file fills in.
@Suite struct RecommendationRegistryTests {
    static let typesFolder = "Sources/Crosslink/Recommendations/Types/"
    static let article = "Sources/Crosslink/Crosslink.docc/AddingARecommendationType.md"

    /// The descriptor's properties, in declaration order.
    static var descriptorFields: [String] {
        Mirror(reflecting: RecommendationTypeDescriptor.of(.mostViewed)).children.compactMap(\.label)
    }

    /// The article's table of what a type's file fills in: its first column, in order.
    static func articleFields() throws -> (fields: [String], example: String) {
        let text = try String(contentsOf: Fixtures.packageRoot.appending(path: article), encoding: .utf8)
        let section = try #require(text.components(separatedBy: "\n## What a type's file fills in").dropFirst().first)
        let body = try #require(section.components(separatedBy: "\n## ").first)
        let fields = body.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("| `"), let end = line.dropFirst(3).firstIndex(of: "`") else { return nil }
            return String(line[line.index(line.startIndex, offsetBy: 3)..<end])
        }
        let example = try #require(text.components(separatedBy: "```text\n").dropFirst().first { $0.contains("enum YourType") })
        return (fields, String(example.prefix { $0 != "`" }))
    }

    @Test func theArticleListsExactlyWhatATypeFileFillsIn() throws {
        let (fields, example) = try Self.articleFields()
        #expect(fields == Self.descriptorFields)
        // The example fills in every field (`type` first, unlabelled; `reason` as the trailing closure).
        for field in Self.descriptorFields where field != "type" && field != "reason" {
            #expect(example.contains("\(field):"), "the article's example lacks \(field):")
        }
        #expect(example.contains(".yourType,") && example.contains("{ row, settings in"))
    }

    /// No Swift source outside Types/ names a recommendation type in code (doc comments may, in
    /// examples). The names CooccurrenceKind and RecommendationReason share with types
    /// (viewed-viewed, trending, …) count only where a type is spelt out.
    @Test func noSourceOutsideTypesNamesAType() throws {
        let unique = ["mostViewed", "mostPurchased", "mostAddedToCart", "viewToCart", "viewToPurchase", "recommendedForYou", "moreLikeThis"]
        let cases = RecommendationType.allCases.map { "\($0)" }
        #expect(Set(unique).isSubset(of: cases))
        let shared = cases.filter { !unique.contains($0) }
        let patterns = unique.map { #"\.\#($0)\b"# }
            + shared.flatMap { [#"RecommendationType\.\#($0)\b"#, #"\.recommendation\(\.\#($0)\b"#, #"type == \.\#($0)\b"#] }
        let regex = try NSRegularExpression(pattern: patterns.joined(separator: "|"))
        let root = Fixtures.packageRoot
        var offenders: [String] = []
        var scanned = 0
        for folder in ["Sources/Crosslink", "Sources/crosslink"] {
            let files = try #require(FileManager.default.enumerator(atPath: root.appending(path: folder).path))
            for case let file as String in files where file.hasSuffix(".swift") {
                let path = folder + "/" + file
                guard !path.hasPrefix(Self.typesFolder) else { continue }
                scanned += 1
                let text = try String(contentsOf: root.appending(path: path), encoding: .utf8)
                for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    let code = String(line.components(separatedBy: "//").first ?? "")
                    if regex.firstMatch(in: code, range: NSRange(code.startIndex..., in: code)) != nil {
                        offenders.append("\(path):\(number + 1): \(line.trimmingCharacters(in: .whitespaces))")
                    }
                }
            }
        }
        #expect(scanned > 100)
        #expect(offenders.isEmpty, "\(offenders.joined(separator: "\n"))")
    }

    /// The facts the descriptors carry give what the unit model, evaluation and the CLI used to
    /// spell per type.
    @Test func theFactsReadFromTheDescriptors() {
        func names(_ page: PageType) -> String { page.allowedTypes.map(\.rawValue).joined(separator: " ") }
        #expect(names(.home) == "most-viewed most-purchased most-added-to-cart trending view-to-cart view-to-purchase "
                + "recommended-for-you recently-viewed")
        #expect(names(.category) == names(.home))
        #expect(names(.product) == "viewed-viewed viewed-bought bought-bought more-like-this most-viewed most-purchased "
                + "most-added-to-cart recently-viewed related upsell")
        #expect(names(.cart) == "viewed-viewed viewed-bought bought-bought more-like-this most-viewed most-purchased "
                + "most-added-to-cart recently-viewed crosssell")
        #expect(names(.confirmation) == names(.cart))

        let fallingBack: Set<RecommendationType> = [.recommendedForYou, .viewedViewed, .viewedBought, .boughtBought, .trending, .viewToCart, .viewToPurchase]
        for type in RecommendationType.allCases {
            #expect(UnitType.recommendation(type).defaultBackup == (fallingBack.contains(type) ? .recommendation(.mostViewed) : nil), "\(type)")
        }
        #expect(UnitType.block(.related).defaultBackup == nil)

        let targets: [RecommendationType: EvaluationInteraction] = [
            .mostViewed: .view, .trending: .view, .viewedViewed: .view, .recentlyViewed: .view,
            .mostAddedToCart: .cart, .viewToCart: .cart,
            .mostPurchased: .purchase, .viewToPurchase: .purchase, .viewedBought: .purchase, .boughtBought: .purchase,
            .recommendedForYou: .any, .moreLikeThis: .any,
        ]
        let contexts: [RecommendationType: EvaluationInteraction] = [.viewedViewed: .view, .viewedBought: .view, .boughtBought: .purchase, .moreLikeThis: .any]
        for type in RecommendationType.allCases {
            #expect(type.evaluationTarget == targets[type], "\(type)")
            #expect(type.evaluationContext == contexts[type], "\(type)")
            #expect(RecommendationTypeDescriptor.of(type).evaluationKeepsSeen == (type == .recentlyViewed), "\(type)")
            #expect(type.scoreKind == (type == .recentlyViewed ? .time : [.mostViewed, .mostPurchased, .mostAddedToCart].contains(type) ? .count : .real))
        }
        #expect(RecommendationType.evaluationBaseline(for: .view) == .mostViewed)
        #expect(RecommendationType.evaluationBaseline(for: .cart) == .mostAddedToCart)
        #expect(RecommendationType.evaluationBaseline(for: .purchase) == .mostPurchased)
        #expect(RecommendationType.evaluationBaseline(for: .any) == nil)

        func axes(_ type: RecommendationType) -> String {
            (EvaluationGrid.standard.axes[type] ?? []).map { "\($0.parameter.rawValue) \($0.values.map { String(Int($0)) }.joined(separator: ","))" }
                .joined(separator: "; ")
        }
        let popularity = "popularityDays 1,3,7,14,30,60,120"
        let conversion = "popularityDays 7,30; conversionPriorViews 0,5,20,100"
        let cooccurrence = "cooccurrenceDays 91,183,365; minimumSupport 1,2,3; liftPrior 0,5,20,1000000"
        #expect(EvaluationGrid.standard.axes.count == 10)
        for type in [RecommendationType.mostViewed, .mostAddedToCart, .mostPurchased] { #expect(axes(type) == popularity) }
        for type in [RecommendationType.viewToCart, .viewToPurchase] { #expect(axes(type) == conversion) }
        for type in [RecommendationType.viewedViewed, .viewedBought, .boughtBought] { #expect(axes(type) == cooccurrence) }
        #expect(axes(.trending) == "trendingForegroundHours 12,24,48; trendingBackgroundHours 72,168; trendingMinimumViewers 1,3")
        #expect(axes(.recommendedForYou) == "historyHalfLifeDays 7,30,90,365; historyProducts 5,20,50")
        #expect(axes(.moreLikeThis).isEmpty && axes(.recentlyViewed).isEmpty)

        // Only recommended for you is served from the neighbour lists.
        #expect(RecommendationTypeDescriptor.all.filter { $0.liveFromNeighbourLists != nil }.map(\.type) == [.recommendedForYou])
    }
}
