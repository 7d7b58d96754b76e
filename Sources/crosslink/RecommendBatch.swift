import Crosslink
import Foundation

/// `crosslink recommend --batch FILE|-`: one JSON question per line in, one JSON answer per line
/// out, on one open store, so a script can ask thousands of questions without a process start
/// each. Answers are written (and flushed) as each question is read, so a program can also talk
/// to it line by line through a pipe.
struct RecommendBatch {
    /// One line of input. `type`, `store`, `limit` and `windows` default to the command's options.
    struct Question: Decodable {
        var id: Identifier?
        var type: RecommendationType?
        var sku: String?
        var cart: [String]?
        var visitor: String?
        var asOf: String?
        var limit: Int?
        var store: String?
        var windows: RecommendationWindows?

        enum CodingKeys: String, CodingKey { case id, type, sku, cart, visitor, asOf = "as_of", limit, store, windows }
    }

    /// The caller's own id for a question, echoed in its answer: a string or an integer.
    enum Identifier: Codable, Equatable {
        case text(String), number(Int)
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Int.self) { self = .number(number) } else { self = .text(try container.decode(String.self)) }
        }
        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .text(let text): try container.encode(text)
            case .number(let number): try container.encode(number)
            }
        }
    }

    /// One line of output: the recommendations, or the error that line met.
    struct Answer: Encodable {
        var line: Int
        var id: Identifier?
        var type: RecommendationType?
        var recommendations: [Recommend.JSONRecommendation]?
        /// Context SKUs the catalog does not hold: left out of the question (absent when none).
        var unknownSKUs: [String]?
        var error: String?

        enum CodingKeys: String, CodingKey { case line, id, type, recommendations, unknownSKUs = "unknown_skus", error }
    }

    let store: CrosslinkStore
    let defaultType: RecommendationType?
    let defaultStore: String
    let defaultLimit: Int
    let defaultWindows: RecommendationWindows?
    private let decoder = JSONDecoder()

    /// Answers every line of `path` (`-`: standard input). Returns the number of questions and
    /// of those answered with an error.
    func run(path: String) throws -> (questions: Int, errors: Int) {
        let name = path == "-" ? "standard input" : path
        let file: UnsafeMutablePointer<FILE>
        if path == "-" {
            // A stream of its own on descriptor 0 (the C global `stdin` is shared mutable state).
            guard let input = fdopen(STDIN_FILENO, "r") else {
                throw InputError(file: name, line: 0, message: "cannot read: \(String(cString: strerror(errno)))")
            }
            file = input
        } else {
            guard let opened = fopen(path, "r") else {
                throw InputError(file: path, line: 0, message: "cannot open: \(String(cString: strerror(errno)))")
            }
            file = opened
        }
        defer { if path != "-" { fclose(file) } }
        let stale = try store.read { db in try Aggregates(db).staleness() }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        var buffer: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(buffer) }
        var (lineNumber, questions, errors) = (0, 0, 0)
        while getline(&buffer, &capacity, file) >= 0, let buffer {
            lineNumber += 1
            let text = String(cString: buffer).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { continue }
            questions += 1
            let answer = answer(text, line: lineNumber, file: name, stale: stale != nil)
            if answer.error != nil { errors += 1 }
            let json = TerminalText.jsonEscaped(String(decoding: try encoder.encode(answer), as: UTF8.self))
            FileHandle.standardOutput.write(Data((json + "\n").utf8))
        }
        if ferror(file) != 0 {
            throw InputError(file: name, line: lineNumber + 1, message: "read failed: \(String(cString: strerror(errno)))")
        }
        return (questions, errors)
    }

    private func answer(_ text: String, line: Int, file path: String, stale: Bool) -> Answer {
        var answer = Answer(line: line)
        do {
            let question: Question
            do {
                question = try decoder.decode(Question.self, from: Data(text.utf8))
            } catch {
                throw InputError(file: path, line: line, message: "not a question: \(Self.describe(error))")
            }
            answer.id = question.id
            guard let type = question.type ?? defaultType else {
                throw InputError(file: path, line: line, message: "no \"type\" (and no --type)")
            }
            answer.type = type
            if question.sku != nil && question.cart != nil {
                throw InputError(file: path, line: line, message: "give \"sku\" or \"cart\", not both")
            }
            var asOf: Date?
            if let text = question.asOf {
                guard let time = Recommend.time(text) else {
                    throw InputError(file: path, line: line, message: "as_of \(text): not a time (2011-09-01, 2011-09-01T12:00:00Z or Unix milliseconds)")
                }
                asOf = time
            }
            let context = RecommendationContext(skus: question.sku.map { [$0] } ?? question.cart ?? [], visitorID: question.visitor)
            let (storeCode, limit) = (question.store ?? defaultStore, question.limit ?? defaultLimit)
            let (list, unknown) = try store.read { db in
                (try Recommender(db).recommend(type, context: context, store: storeCode, limit: limit, asOf: asOf,
                                               windows: question.windows ?? defaultWindows),
                 try context.skus.filter { try ProductRepository(db).id(sku: $0) == nil })
            }
            answer.recommendations = list.map { Recommend.JSONRecommendation(recommendation: $0, aggregatesStale: stale) }
            if !unknown.isEmpty { answer.unknownSKUs = unknown }
        } catch {
            answer.error = String(describing: error)
        }
        return answer
    }

    /// A decoding error as one line: which key, and what was wrong with it.
    private static func describe(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context), .dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).filter { !$0.isEmpty }.joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        default:
            return String(describing: error)
        }
    }
}
