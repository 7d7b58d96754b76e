/// The JSON files people edit by hand — rule files and unit files — share one shape: one object,
/// a list of objects, or `{"rules": [ … ]}` / `{"units": [ … ]}`, each entry remembered with where
/// its parts start, and errors that name file, line, column, entry and path. These are the parts
/// both readers use.
///
/// ```swift
/// let items = try JSONEntryFile.items(of: try RuleJSON.parse(text, file: "units.json"), key: "units", entry: "unit",
///                                     file: "units.json", subject: "units file")
/// ```
enum JSONEntryFile {
    /// The entries of `document`: the list, the list under `key`, or the one object. A document
    /// of any other shape is an ``InputError`` about `subject` (`rule file`).
    static func items(of document: RuleJSON, key: String, entry: String, file: String?, subject: String) throws -> [RuleJSON] {
        func invalid(_ path: String, _ message: String) -> InputError {
            InputError(message, at: InputLocation(file: file, line: document.line, column: document.column), subject: subject, path: path)
        }
        switch document.kind {
        case .array(let list):
            return list
        case .object(let members) where members.contains(where: { $0.key == key }):
            guard members.count == 1, case .array(let list)? = document[key]?.kind else {
                throw invalid(key, "expected {\"\(key)\": [ … ]} and nothing else")
            }
            return list
        case .object:
            return [document]
        default:
            throw invalid("", "expected a \(entry) object, a list of \(key) or {\"\(key)\": [ … ]}, found \(document.typeName)")
        }
    }

    /// `rule "name"`, or `rule #n` for an entry without a name (`kind` is `rule`, `unit`, …).
    static func subject(_ kind: String, name: String?, index: Int?) -> String {
        if let name, !name.isEmpty { return "\(kind) \(RuleText.quoted(name))" }
        return index.map { "\(kind) #\($0 + 1)" } ?? kind
    }
}

/// Where each part of one entry of a JSON file starts, keyed by its path (`display.conditions[0]`,
/// `variants[1].filters.include[0]`; `""` is the entry itself).
struct JSONSourceLocations: Sendable {
    private var byPath: [String: InputLocation] = [:]

    subscript(path: String) -> InputLocation? {
        get { byPath[path] }
        set { byPath[path] = newValue }
    }

    /// Where the part at `path` (or the nearest enclosing part) starts.
    func location(of path: String) -> InputLocation? {
        var path = path
        while true {
            if let location = byPath[path] { return location }
            guard let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { return byPath[""] }
            path = String(path[..<cut])
        }
    }
}

/// One entry of a rule or unit file (``RuleFile/Entry``, ``UnitFile/Entry``): the value read,
/// its position in the file, and where each of its parts starts.
public struct JSONFileEntry<Value: Sendable>: Sendable {
    public var value: Value
    /// 0-based position of the entry in the file.
    public var index: Int
    var locations: JSONSourceLocations

    /// Where the part at `path` (`display.conditions[0]`, `variants[1].filters`), or the nearest
    /// enclosing part, starts in the file.
    public func location(of path: String) -> InputLocation? { locations.location(of: path) }
}

extension JSONFileEntry where Value == Rule {
    /// The rule read.
    public var rule: Rule {
        get { value }
        set { value = newValue }
    }
}

extension JSONFileEntry where Value == RecommendationUnit {
    /// The unit read.
    public var unit: RecommendationUnit {
        get { value }
        set { value = newValue }
    }
}

/// What a decoder of one rule or unit keeps: the file, the entry's position and how errors name
/// it (`rule "Bags"`, `unit #2`), and where each part starts.
struct JSONEntryState {
    /// `rule` or `unit`.
    let kind: String
    let file: String?
    let index: Int?
    var subject: String
    var locations = JSONSourceLocations()

    init(kind: String, file: String?, index: Int?) {
        self.kind = kind
        self.file = file
        self.index = index
        self.subject = JSONEntryFile.subject(kind, name: nil, index: index)
    }

    /// Once the entry's name is read, errors name the entry by it.
    mutating func name(_ name: String) {
        if !name.isEmpty { subject = JSONEntryFile.subject(kind, name: name, index: index) }
    }
}

/// The rule and unit decoders: one entry's state, and the location and error of each part.
protocol JSONEntryDecoder {
    var entry: JSONEntryState { get set }
}

extension JSONEntryDecoder {
    var file: String? { entry.file }
    var subject: String {
        get { entry.subject }
        set { entry.subject = newValue }
    }
    var locations: JSONSourceLocations {
        get { entry.locations }
        set { entry.locations = newValue }
    }

    /// Where `value` starts; nil for JSON that came from the database rather than a file.
    func location(_ value: RuleJSON) -> InputLocation? {
        value.line == 0 ? nil : InputLocation(file: file, line: value.line, column: value.column)
    }

    /// `[file:line:column: ]subject: path: message`, at where `value` starts.
    func fail(_ path: String, _ message: String, at value: RuleJSON) -> InputError {
        InputError(message, at: location(value), subject: subject, path: path)
    }

    /// Remembers where the part at `path` starts.
    mutating func note(_ path: String, _ value: RuleJSON) {
        if let location = location(value) { locations[path] = location }
    }
}

extension JSONEntryFile {
    /// Every entry of the file `text`, each read by a fresh `decoder(index)` with `decode`.
    static func entries<Value: Sendable, Decoder: JSONEntryDecoder>(
        of text: String, file: String?, key: String, entry: String, subject: String,
        decoder: (Int) -> Decoder, decode: (inout Decoder, RuleJSON) throws -> Value
    ) throws -> [JSONFileEntry<Value>] {
        let items = try items(of: try RuleJSON.parse(text, file: file), key: key, entry: entry, file: file, subject: subject)
        return try items.enumerated().map { index, item in
            var decoding = decoder(index)
            let value = try decode(&decoding, item)
            return JSONFileEntry(value: value, index: index, locations: decoding.locations)
        }
    }
}
