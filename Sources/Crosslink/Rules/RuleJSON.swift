/// A JSON document as the rule files hold it, every value with the line and column where it
/// starts, so that an error can point at the exact condition in the file.
///
/// Rules are read and written with this small parser rather than `JSONDecoder` because the
/// messages must name the line, the column and the condition's path, and object keys must
/// keep their order when a rule is written back.
///
/// ```swift
/// let value = try RuleJSON.parse(#"{"aggregator": "all", "value": true, "conditions": []}"#, file: "rule.json")
/// print(value.line, value.column)   // 1 1
/// ```
public struct RuleJSON: Sendable, Equatable {
    public indirect enum Kind: Sendable, Equatable {
        case null
        case bool(Bool)
        /// The number and its text as written (so 20 stays an integer).
        case number(Double, text: String)
        case string(String)
        case array([RuleJSON])
        /// Members in file order.
        case object([(key: String, value: RuleJSON)])

        public static func == (lhs: Kind, rhs: Kind) -> Bool {
            switch (lhs, rhs) {
            case (.null, .null): true
            case (.bool(let a), .bool(let b)): a == b
            case (.number(let a, _), .number(let b, _)): a == b
            case (.string(let a), .string(let b)): a == b
            case (.array(let a), .array(let b)): a == b
            case (.object(let a), .object(let b)): a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
            default: false
            }
        }
    }

    public var kind: Kind
    /// 1-based position of the value's first character (0 for values built in code).
    public var line: Int
    public var column: Int

    public init(_ kind: Kind, line: Int = 0, column: Int = 0) {
        self.kind = kind
        self.line = line
        self.column = column
    }

    public static func == (lhs: RuleJSON, rhs: RuleJSON) -> Bool { lhs.kind == rhs.kind }

    /// Nesting deeper than this is refused while parsing (the rule trees allow far less).
    public static let maximumNesting = 64

    /// Parses UTF-8 JSON text; errors carry `file`, line and column.
    public static func parse(_ text: String, file: String? = nil) throws -> RuleJSON {
        var parser = Parser(bytes: Array(text.utf8), file: file)
        return try parser.document()
    }

    // MARK: Access

    /// The member `key` of an object, or nil.
    public subscript(key: String) -> RuleJSON? {
        guard case .object(let members) = kind else { return nil }
        return members.first { $0.key == key }?.value
    }

    var typeName: String {
        switch kind {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "a list"
        case .object: "an object"
        }
    }

    // MARK: Writing

    /// Compact text (no spaces), as stored in the `rules` table.
    public var compactText: String {
        var out = ""
        write(to: &out, indent: nil, level: 0)
        return out
    }

    /// Indented text for files; objects without nested objects or lists of objects stay on one
    /// line, so each condition reads as one line.
    public var prettyText: String {
        var out = ""
        write(to: &out, indent: "  ", level: 0)
        return out
    }

    private var isFlat: Bool {
        switch kind {
        case .object(let members): members.allSatisfy { !$0.value.containsObject }
        case .array(let items): items.allSatisfy { !$0.containsObject }
        default: true
        }
    }

    private var containsObject: Bool {
        switch kind {
        case .object: true
        case .array(let items): items.contains { $0.containsObject }
        default: false
        }
    }

    private func write(to out: inout String, indent: String?, level: Int) {
        switch kind {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .number(let value, let text): out += text.isEmpty ? Self.numberText(value) : text
        case .string(let value): Self.writeString(value, to: &out)
        case .array(let items):
            writeContainer(open: "[", close: "]", count: items.count, to: &out, indent: indent, level: level) { index, out, childIndent, childLevel in
                items[index].write(to: &out, indent: childIndent, level: childLevel)
            }
        case .object(let members):
            writeContainer(open: "{", close: "}", count: members.count, to: &out, indent: indent, level: level) { index, out, childIndent, childLevel in
                Self.writeString(members[index].key, to: &out)
                out += childIndent == nil && indent == nil ? ":" : ": "
                members[index].value.write(to: &out, indent: childIndent, level: childLevel)
            }
        }
    }

    private func writeContainer(open: String, close: String, count: Int, to out: inout String, indent: String?, level: Int,
                                item: (Int, inout String, String?, Int) -> Void) {
        out += open
        guard count > 0 else { out += close; return }
        if let indent, !isFlat {
            let inner = String(repeating: indent, count: level + 1)
            for index in 0..<count {
                out += (index == 0 ? "\n" : ",\n") + inner
                item(index, &out, indent, level + 1)
            }
            out += "\n" + String(repeating: indent, count: level) + close
        } else {
            // Flat (one line): spaces after separators when pretty.
            for index in 0..<count {
                if index > 0 { out += indent == nil ? "," : ", " }
                item(index, &out, nil, level + 1)
            }
            out += close
        }
    }

    static func numberText(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    /// One JSON string escaper for the library: the event log's.
    private static func writeString(_ value: String, to out: inout String) {
        out += JSONLinesEventParser.jsonString(value)
    }

    // MARK: Parser

    private struct Parser {
        let bytes: [UInt8]
        let file: String?
        var index = 0
        var line = 1
        var lineStart = 0

        init(bytes: [UInt8], file: String?) {
            self.bytes = bytes
            self.file = file
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3; lineStart = 3 }  // UTF-8 byte order mark
        }

        var column: Int { index - lineStart + 1 }

        func error(_ message: String, line: Int? = nil, column: Int? = nil) -> InputError {
            InputError("malformed JSON: " + message, at: InputLocation(file: file, line: line ?? self.line, column: column ?? self.column))
        }

        mutating func document() throws -> RuleJSON {
            skipWhitespace()
            guard index < bytes.count else { throw error("the file holds no JSON value") }
            let value = try parseValue(depth: 1)
            skipWhitespace()
            guard index == bytes.count else { throw error("unexpected \(describe(bytes[index])) after the JSON value") }
            return value
        }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"): index += 1
                case UInt8(ascii: "\n"): index += 1; line += 1; lineStart = index
                default: return
                }
            }
        }

        func describe(_ byte: UInt8) -> String {
            (0x21...0x7E).contains(byte) ? "'\(Character(UnicodeScalar(byte)))'" : String(format: "byte 0x%02X", byte)
        }

        mutating func parseValue(depth: Int) throws -> RuleJSON {
            guard depth <= RuleJSON.maximumNesting else { throw error("nesting deeper than \(RuleJSON.maximumNesting) levels") }
            guard index < bytes.count else { throw error("unexpected end of file, expected a value") }
            let (startLine, startColumn) = (line, column)
            func located(_ kind: Kind) -> RuleJSON { RuleJSON(kind, line: startLine, column: startColumn) }
            switch bytes[index] {
            case UInt8(ascii: "{"):
                index += 1
                var members: [(key: String, value: RuleJSON)] = []
                skipWhitespace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return located(.object(members)) }
                while true {
                    skipWhitespace()
                    guard index < bytes.count else { throw error("unexpected end of file inside an object opened at line \(startLine), column \(startColumn)") }
                    guard bytes[index] == UInt8(ascii: "\"") else { throw error("expected a member name in double quotes, found \(describe(bytes[index]))") }
                    let (keyLine, keyColumn) = (line, column)
                    let key = try parseString()
                    if members.contains(where: { $0.key == key }) {
                        throw error("duplicate member \"\(key)\"", line: keyLine, column: keyColumn)
                    }
                    skipWhitespace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                        throw error("expected ':' after member name \"\(key)\"")
                    }
                    index += 1
                    skipWhitespace()
                    members.append((key, try parseValue(depth: depth + 1)))
                    skipWhitespace()
                    guard index < bytes.count else { throw error("unexpected end of file inside an object opened at line \(startLine), column \(startColumn)") }
                    if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                    if bytes[index] == UInt8(ascii: "}") { index += 1; return located(.object(members)) }
                    throw error("expected ',' or '}' after a member, found \(describe(bytes[index]))")
                }
            case UInt8(ascii: "["):
                index += 1
                var items: [RuleJSON] = []
                skipWhitespace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return located(.array(items)) }
                while true {
                    skipWhitespace()
                    items.append(try parseValue(depth: depth + 1))
                    skipWhitespace()
                    guard index < bytes.count else { throw error("unexpected end of file inside a list opened at line \(startLine), column \(startColumn)") }
                    if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                    if bytes[index] == UInt8(ascii: "]") { index += 1; return located(.array(items)) }
                    throw error("expected ',' or ']' after a list item, found \(describe(bytes[index]))")
                }
            case UInt8(ascii: "\""):
                return located(.string(try parseString()))
            case UInt8(ascii: "t"): try literal("true"); return located(.bool(true))
            case UInt8(ascii: "f"): try literal("false"); return located(.bool(false))
            case UInt8(ascii: "n"): try literal("null"); return located(.null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return located(try parseNumber())
            case let byte:
                throw error("unexpected \(describe(byte)), expected a value")
            }
        }

        mutating func literal(_ word: String) throws {
            let expected = Array(word.utf8)
            guard bytes.count - index >= expected.count, Array(bytes[index..<index + expected.count]) == expected else {
                throw error("unexpected \(describe(bytes[index])), expected a value")
            }
            index += expected.count
        }

        mutating func parseNumber() throws -> Kind {
            let start = index
            func digits() -> Int {
                let from = index
                while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
                return index - from
            }
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            let integerStart = index
            guard digits() > 0 else { throw error("expected a digit in a number") }
            if bytes[integerStart] == UInt8(ascii: "0"), index - integerStart > 1 {
                throw error("a number cannot start with 0", column: integerStart - lineStart + 1)
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard digits() > 0 else { throw error("expected a digit after the decimal point") }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard digits() > 0 else { throw error("expected a digit in the exponent") }
            }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            guard let value = Double(text), value.isFinite else { throw error("number \(text) is out of range", column: start - lineStart + 1) }
            return .number(value, text: text)
        }

        mutating func parseString() throws -> String {
            let (startLine, startColumn) = (line, column)
            index += 1  // opening quote
            var scalars = String.UnicodeScalarView()
            var runStart = index
            func flush(_ parser: Parser) throws {
                guard runStart < parser.index else { return }
                guard let run = String(validating: parser.bytes[runStart..<parser.index], as: UTF8.self) else {
                    throw parser.error("invalid UTF-8 in a string")
                }
                scalars.append(contentsOf: run.unicodeScalars)
            }
            while true {
                guard index < bytes.count else {
                    throw error("unterminated string (opened at line \(startLine), column \(startColumn))")
                }
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "\""):
                    try flush(self)
                    index += 1
                    return String(scalars)
                case UInt8(ascii: "\\"):
                    try flush(self)
                    index += 1
                    guard index < bytes.count else { throw error("unterminated string (opened at line \(startLine), column \(startColumn))") }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""): scalars.append("\"")
                    case UInt8(ascii: "\\"): scalars.append("\\")
                    case UInt8(ascii: "/"): scalars.append("/")
                    case UInt8(ascii: "b"): scalars.append("\u{08}")
                    case UInt8(ascii: "f"): scalars.append("\u{0C}")
                    case UInt8(ascii: "n"): scalars.append("\n")
                    case UInt8(ascii: "r"): scalars.append("\r")
                    case UInt8(ascii: "t"): scalars.append("\t")
                    case UInt8(ascii: "u"):
                        var code = try hex4()
                        if (0xD800...0xDBFF).contains(code) {
                            guard bytes.count - index >= 6, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                                throw error("unpaired surrogate \\u\(String(code, radix: 16, uppercase: true)) in a string")
                            }
                            index += 2
                            let low = try hex4()
                            guard (0xDC00...0xDFFF).contains(low) else { throw error("invalid low surrogate in a string") }
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let scalar = UnicodeScalar(code) else { throw error("invalid \\u escape in a string") }
                        scalars.append(scalar)
                    default:
                        throw error("invalid escape \\\(Character(UnicodeScalar(escape))) in a string", column: column - 2)
                    }
                    runStart = index
                case 0x00..<0x20:
                    throw error(byte == UInt8(ascii: "\n") ? "unterminated string (opened at line \(startLine), column \(startColumn))"
                                : "control character \(describe(byte)) in a string; write it as an escape")
                default:
                    index += 1
                }
            }
        }

        mutating func hex4() throws -> UInt32 {
            guard bytes.count - index >= 4, bytes[index..<index + 4].allSatisfy({ Character(UnicodeScalar($0)).isHexDigit }),
                  let code = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16) else {
                throw error("expected 4 hexadecimal digits after \\u")
            }
            index += 4
            return code
        }
    }
}
