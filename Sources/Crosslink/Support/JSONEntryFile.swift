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
