/// Bad input: a CSV record or cell, an event, a rule or unit file, a value to be stored, data
/// that does not inflate. The message names where: ``location`` (file, line, column, field),
/// the entry (``subject``: `rule "Bags"`, `unit #2`) and the part of it (``path``:
/// `display.conditions[1]`), each when known.
///
/// Thrown for the first fatal problem of an import (nothing is written), or collected as a
/// warning in ``ImportReport/warnings``. One error can list others (``additionalIssues``):
/// a Magento import refused for several rows, a batch of events refused for its invalid ones.
///
/// ```swift
/// do { _ = try MagentoCSVImporter(store: store).importFile(at: url) }
/// catch let issue as InputError {
///     print(issue)  // products.csv:12: column related_position: 3 positions for 2 SKUs
/// }
/// ```
public struct InputError: CrosslinkError, Equatable, Codable {
    /// Where in a file or text; nil for a value given to an API call rather than read from a file.
    public var location: InputLocation?
    /// The entry the problem is in, for files of named entries: `rule "Bags"`, `unit #2`, `rule file`.
    public var subject: String?
    /// The JSON path of the offending part inside the entry (`variants[1].filters.include[0]`);
    /// nil or empty for the whole entry.
    public var path: String?
    /// What is wrong, e.g. `3 positions for 2 SKUs`.
    public var message: String
    /// The other errors found by the same validation, in file order: the other rows of a
    /// Magento import refused for several errors (``ImportOptions/onError``; a last entry with
    /// line 0 counts those past ``ImportOptions/errorListLimit``), or every invalid event of a
    /// refused batch (``invalidEvents(_:)``). Nil when this is the only one.
    public var additionalIssues: [InputError]?

    /// At most this many of ``additionalIssues`` are shown in ``description``; the rest are counted.
    public static let listedIssueLimit = 100

    public init(_ message: String, at location: InputLocation? = nil, subject: String? = nil, path: String? = nil,
                additionalIssues: [InputError]? = nil) {
        self.location = location
        self.subject = subject
        self.path = path
        self.message = message
        self.additionalIssues = additionalIssues
    }

    /// A problem at `file`'s `line` (0: the whole file), in the CSV column or event field `field`.
    public init(file: String, line: Int, field: String? = nil, message: String, additionalIssues: [InputError]? = nil) {
        self.init(message, at: InputLocation(file: file, line: line, field: field), additionalIssues: additionalIssues)
    }

    /// `invalid field "value": reason`, for a value refused before it is stored (no location:
    /// an importer that read it from a file adds one).
    public static func invalidValue(field: String, value: String, reason: String) -> InputError {
        InputError("invalid \(field) \(String(reflecting: value)): \(reason)")
    }

    /// A batch or file of events refused for its invalid ones (``EventIngestOptions/InvalidEvents/rejectBatch``):
    /// nothing of it was stored. Every invalid event is in ``additionalIssues``.
    public static func invalidEvents(_ issues: [InputError]) -> InputError {
        InputError("\(issues.count) invalid event\(issues.count == 1 ? "" : "s"), nothing stored:", additionalIssues: issues)
    }

    /// This CSV reader error with its column named by `header`, when its field is a 1-based
    /// field number (a column without a name reads `field N`).
    func naming(header: [String]?) -> InputError {
        guard let field = location?.field, let index = Int(field) else { return self }
        var copy = self
        if let header, index >= 1, index <= header.count, !header[index - 1].isEmpty {
            copy.location?.field = header[index - 1]
        } else {
            copy.location?.field = "field \(index)"
        }
        return copy
    }

    // JSON keeps the flat shape import reports have always had (`file`, `line`, `column` for
    // the CSV column or field, `message`), plus `character`, `subject` and `path` when known.
    private enum CodingKeys: String, CodingKey {
        case file, line, column, character, subject, path, message, additionalIssues
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let line = try container.decodeIfPresent(Int.self, forKey: .line) {
            location = InputLocation(file: try container.decodeIfPresent(String.self, forKey: .file), line: line,
                                     column: try container.decodeIfPresent(Int.self, forKey: .character),
                                     field: try container.decodeIfPresent(String.self, forKey: .column))
        }
        subject = try container.decodeIfPresent(String.self, forKey: .subject)
        path = try container.decodeIfPresent(String.self, forKey: .path)
        message = try container.decode(String.self, forKey: .message)
        additionalIssues = try container.decodeIfPresent([InputError].self, forKey: .additionalIssues)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        if let location {
            try container.encodeIfPresent(location.file, forKey: .file)
            try container.encode(location.line, forKey: .line)
            try container.encodeIfPresent(location.field, forKey: .column)
            try container.encodeIfPresent(location.column, forKey: .character)
        }
        try container.encodeIfPresent(subject, forKey: .subject)
        try container.encodeIfPresent(path, forKey: .path)
        try container.encode(message, forKey: .message)
        try container.encodeIfPresent(additionalIssues, forKey: .additionalIssues)
    }

    public var description: String {
        var text = location.map { "\($0): " } ?? ""
        if let subject { text += subject + ": " }
        if let path, !path.isEmpty { text += path + ": " }
        text += message
        let listed = additionalIssues ?? []
        for issue in listed.prefix(Self.listedIssueLimit) { text += "\n" + issue.description }
        if listed.count > Self.listedIssueLimit { text += "\n… and \(listed.count - Self.listedIssueLimit) more" }
        return text
    }
}

/// An ``InputError`` collected as a warning of an import, or listed among its errors.
@available(*, deprecated, renamed: "InputError")
public typealias ImportIssue = InputError
