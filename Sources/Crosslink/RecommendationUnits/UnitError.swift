/// Why a unit was refused or could not be found. Messages name the unit, the JSON path of the
/// offending part (`variants[1].filters.include[0].attribute`) and, for files, line and column.
public enum UnitError: CrosslinkError, Equatable {
    /// The text is not JSON.
    case malformedJSON(file: String?, line: Int, column: Int, message: String)
    /// `subject` is `unit "name"` (or `unit #n`); `path` is empty for the whole unit.
    case invalid(subject: String, path: String, message: String, location: InputLocation?)
    case unknownUnit(String)

    public var description: String {
        switch self {
        case .malformedJSON(let file, let line, let column, let message):
            JSONEntryFile.malformedMessage(file: file, line: line, column: column, message: message)
        case .invalid(let subject, let path, let message, let location):
            JSONEntryFile.invalidMessage(subject: subject, path: path, message: message, location: location)
        case .unknownUnit(let name): "no unit named \(RuleText.quoted(name))"
        }
    }

    /// Where in the file, for malformed JSON and for invalid units read from a file.
    public var location: InputLocation? {
        switch self {
        case .malformedJSON(let file, let line, let column, _): InputLocation(file: file, line: line, column: column)
        case .invalid(_, _, _, let location): location
        case .unknownUnit: nil
        }
    }

    static func subject(name: String?, index: Int?) -> String { JSONEntryFile.subject("unit", name: name, index: index) }
}
