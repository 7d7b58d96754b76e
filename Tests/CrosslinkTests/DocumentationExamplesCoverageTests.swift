import Foundation
import Testing

/// A fenced code block of a Markdown file.
struct DocumentationBlock {
    var file: String
    /// 1-based line of the opening fence.
    var line: Int
    var language: String
    var code: String
}

enum DocumentationBlocks {
    /// The fenced blocks of `text`, in order. Fences are lines starting with three backticks
    /// (indentation allowed); the info string's first word is the language.
    static func blocks(in text: String, file: String) -> [DocumentationBlock] {
        var blocks: [DocumentationBlock] = []
        var open: (line: Int, language: String, fence: String)?
        var code: [Substring] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.drop { $0 == " " }
            if let current = open {
                if trimmed.hasPrefix(current.fence), trimmed.allSatisfy({ $0 == "`" || $0 == " " }) {
                    blocks.append(DocumentationBlock(file: file, line: current.line, language: current.language,
                                                     code: code.joined(separator: "\n")))
                    open = nil
                    code = []
                } else {
                    code.append(line)
                }
            } else if trimmed.hasPrefix("```") {
                let fence = String(trimmed.prefix { $0 == "`" })
                let info = trimmed.dropFirst(fence.count).split(separator: " ").first.map(String.init) ?? ""
                open = (index + 1, info, fence)
            }
        }
        return blocks
    }

    /// Runs of whitespace as one space, trimmed: indentation inside a test function does not count.
    static func normalized(_ text: String) -> String {
        text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).joined(separator: " ")
    }
}

/// README.md and the DocC articles show Swift that a reader copies, so each ```swift block must
/// be compiled and run by the tests: it has to appear verbatim (up to whitespace, import lines
/// aside) in a Tests/CrosslinkTests/DocumentationExamples*.swift file, which imports what it imports.
@Suite struct DocumentationExamplesCoverageTests {
    static let documents: [String] = {
        let catalog = "Sources/Crosslink/Crosslink.docc"
        let articles = (try? FileManager.default.contentsOfDirectory(atPath: Fixtures.packageRoot.appending(path: catalog).path)) ?? []
        return ["README.md"] + articles.filter { $0.hasSuffix(".md") }.sorted().map { "\(catalog)/\($0)" }
    }()

    static func exampleSources() throws -> [(file: String, text: String)] {
        let folder = Fixtures.packageRoot.appending(path: "Tests/CrosslinkTests")
        return try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasPrefix("DocumentationExamples") && $0.hasSuffix(".swift") }
            .sorted()
            .map { ($0, try String(contentsOf: folder.appending(path: $0), encoding: .utf8)) }
    }

    @Test func everySwiftBlockIsCompiledAndRunByATest() throws {
        let sources = try Self.exampleSources()
        let normalizedSources = sources.map { (file: $0.file, text: DocumentationBlocks.normalized($0.text)) }
        var checked = 0
        for document in Self.documents {
            let text = try String(contentsOf: Fixtures.packageRoot.appending(path: document), encoding: .utf8)
            for block in DocumentationBlocks.blocks(in: text, file: document) where block.language == "swift" {
                checked += 1
                let lines = block.code.split(separator: "\n", omittingEmptySubsequences: false)
                let imports = lines.filter { $0.hasPrefix("import ") }.map(String.init)
                let body = DocumentationBlocks.normalized(lines.filter { !$0.hasPrefix("import ") }.joined(separator: "\n"))
                let holders = normalizedSources.filter { $0.text.contains(body) }
                #expect(!holders.isEmpty, "\(document):\(block.line): this swift block is in no Tests/CrosslinkTests/DocumentationExamples*.swift file; copy it into a test that runs it")
                for holder in holders {
                    let source = sources.first { $0.file == holder.file }!.text
                    for line in imports {
                        #expect(source.split(separator: "\n").contains { $0 == line },
                                "\(document):\(block.line): the block needs `\(line)`, which \(holder.file) does not have")
                    }
                }
            }
        }
        // README.md has its library example; every article but the reference-only ones has one.
        #expect(checked >= 10, "found only \(checked) swift blocks: did the documents move?")
    }

    @Test func blocksAreFoundWithTheirLines() {
        let text = "intro\n```swift\nlet a = 1\n```\n\n  ```json\n  {}\n  ```\n````sh\nls\n````"
        let blocks = DocumentationBlocks.blocks(in: text, file: "x.md")
        #expect(blocks.map(\.line) == [2, 6, 9])
        #expect(blocks.map(\.language) == ["swift", "json", "sh"])
        #expect(blocks[0].code == "let a = 1")
        #expect(DocumentationBlocks.normalized("  let a =\n      1 ") == "let a = 1")
    }
}
