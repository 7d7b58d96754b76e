import Foundation

/// How a shop's own event log (CSV, any columns) becomes Crosslink events: the CSV dialect,
/// which column holds which field, how event type values and times are read, where sessions,
/// orders and event ids come from. Read from a JSON mapping file (format version 1, every key
/// in docs/notes/mapping.md) or one of the built-in mappings (``builtIn(_:)``: `rees46`, `online-retail`).
///
/// ```swift
/// let mapping = try EventMapping.load(at: URL(fileURLWithPath: "mappings/rees46.json"))
/// var options = MappedEventImporter.Options()
/// options.createCatalog = true
/// let report = try MappedEventImporter(store: store, mapping: mapping, options: options)
///     .importFile(at: URL(fileURLWithPath: "2019-Oct.csv.gz"))
/// print(report.eventsByType, report.sessions, report.cutOffLine ?? 0)
/// ```
///
/// A mapping is checked when it is read: an unknown key, field, event type or time pattern is an
/// ``InputError`` naming the mapping file and the key's path; a column the log's header lacks is
/// refused when the log is opened, before anything is stored.
public struct EventMapping: Sendable, Equatable {
    /// The mapping file format this build reads (`"crosslinkEventMapping": 1`).
    public static let formatVersion = 1

    /// The event fields a column can fill.
    public enum Field: String, Sendable, CaseIterable, Codable {
        case id, time, type, sku, visitor, customer, session, order, quantity, price, store, category, brand, name
    }

    /// Where a field's value comes from.
    public enum Source: Sendable, Equatable {
        /// The header's column of this name.
        case named(String)
        /// The 1-based column (files without a header).
        case number(Int)
        /// The same value on every row.
        case constant(String)
    }

    /// What a raw `type` value becomes.
    public enum TypeTarget: Sendable, Equatable {
        case event(EventType)
        /// The row is left out and counted (``MappedEventReport/skippedTypes``).
        case skip
    }

    /// What happens to a `type` value that neither ``types`` nor ``typePrefixes`` names.
    public enum UnknownValues: String, Sendable, Equatable {
        /// The row is an invalid event naming its line and value (the import follows ``EventIngestOptions/invalidEvents``).
        case refuse
        /// The row is left out and counted.
        case skip
    }

    /// A row left out before it becomes an event, and counted under ``reason``.
    public struct RowFilter: Sendable, Equatable {
        public enum Test: Sendable, Equatable {
            /// The field's text does not wholly match this regular expression.
            case unlessMatching(String)
            /// The field's value, read as a number, equals this.
            case equalsNumber(Double)
        }
        public var field: Field
        public var test: Test
        public var reason: String
    }

    /// The mapping's name (reports, derived ids).
    public var name: String
    /// The file it was read from (or `built-in:<name>`), to name it in errors.
    public var file: String
    /// The CSV field delimiter (one ASCII byte).
    public var delimiter: UInt8 = UInt8(ascii: ",")
    /// Whether the first record names the columns.
    public var header = true
    public var sources: [Field: Source] = [:]
    /// Per field: a suffix removed from the value (Online Retail's `17850.0` customer numbers).
    public var trimSuffix: [Field: String] = [:]
    /// Per field: the value when the cell is empty, with `{order}` replaced by the row's order id.
    public var ifEmpty: [Field: String] = [:]
    public var time = EventMappingTimeFormat.iso8601
    /// Raw type value → what it becomes (exact match).
    public var types: [String: TypeTarget] = [:]
    /// Raw type value prefix → what it becomes, tried after ``types``, longest prefix first.
    public var typePrefixes: [(prefix: String, target: TypeTarget)] = []
    /// What a type value matching neither becomes; nil: ``unknownTypes`` decides.
    public var otherwiseType: TypeTarget?
    public var unknownTypes = UnknownValues.refuse
    /// The separator of a category path (`electronics.smartphone`); nil: the whole value is one category.
    public var categorySeparator: String?
    /// Without a `session` field, a visitor's session ends after this long without an event.
    public var sessionGapMilliseconds: Int64 = 30 * 60_000
    /// Derived event ids (and order ids without an `order` column) start with this.
    public var eventIDPrefix: String
    /// Online Retail's rule: order-line quantities are negative in cancellations, positive in
    /// sales; a line with the other sign (or a negative price) is left out, and stored quantities are positive.
    public var negativeQuantitiesInCancellations = false
    public var skipRows: [RowFilter] = []

    public static func == (a: EventMapping, b: EventMapping) -> Bool {
        a.name == b.name && a.file == b.file && a.delimiter == b.delimiter && a.header == b.header && a.sources == b.sources
            && a.trimSuffix == b.trimSuffix && a.ifEmpty == b.ifEmpty && a.time == b.time && a.types == b.types
            && a.typePrefixes.map(\.prefix) == b.typePrefixes.map(\.prefix) && a.typePrefixes.map(\.target) == b.typePrefixes.map(\.target)
            && a.otherwiseType == b.otherwiseType && a.unknownTypes == b.unknownTypes && a.categorySeparator == b.categorySeparator
            && a.sessionGapMilliseconds == b.sessionGapMilliseconds && a.eventIDPrefix == b.eventIDPrefix
            && a.negativeQuantitiesInCancellations == b.negativeQuantitiesInCancellations && a.skipRows == b.skipRows
    }

    /// Reads a mapping file.
    public static func load(at url: URL) throws -> EventMapping {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw InputError(file: url.path, line: 0, message: "cannot read the mapping: \(error.localizedDescription)")
        }
        return try EventMapping(json: data, file: url.lastPathComponent)
    }

    /// A built-in mapping by name (`rees46`, `online-retail`), nil for another name.
    public static func builtIn(_ name: String) -> EventMapping? {
        guard let text = BuiltInEventMappings.json[name] else { return nil }
        // The built-in texts are checked by the tests; a failure here is a build defect.
        return try! EventMapping(json: Data(text.utf8), file: "built-in:\(name)")
    }

    /// The names ``builtIn(_:)`` knows.
    public static var builtInNames: [String] { BuiltInEventMappings.json.keys.sorted() }

    /// Reads a mapping from JSON; `file` names it in errors.
    public init(json: Data, file: String) throws {
        self.file = file
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: json) } catch {
            throw InputError(file: file, line: 0, message: "not JSON: \(error.localizedDescription)")
        }
        let reader = MappingJSON(file: file)
        guard let root = object as? [String: Any] else { throw reader.error("", "the mapping must be a JSON object") }
        try reader.keys(root, "", allowed: ["crosslinkEventMapping", "name", "description", "csv", "columns", "constants", "fieldOptions",
                                             "time", "types", "category", "sessions", "eventID", "orders", "skipRows"])
        guard let version = root["crosslinkEventMapping"] as? Int else {
            throw reader.error("crosslinkEventMapping", "missing: give the format version, \"crosslinkEventMapping\": \(Self.formatVersion)")
        }
        guard version == Self.formatVersion else {
            throw reader.error("crosslinkEventMapping", "format version \(version) is not known to this build (it reads \(Self.formatVersion))")
        }
        name = try reader.string(root["name"], "name") ?? (file as NSString).deletingPathExtension
        eventIDPrefix = name + ":"

        if let csv = try reader.object(root["csv"], "csv") {
            try reader.keys(csv, "csv", allowed: ["delimiter", "header"])
            if let text = try reader.string(csv["delimiter"], "csv.delimiter") {
                let bytes = Array((text == "\\t" ? "\t" : text).utf8)
                guard bytes.count == 1, bytes[0] < 128, ![UInt8(ascii: "\""), 10, 13].contains(bytes[0]) else {
                    throw reader.error("csv.delimiter", "one ASCII character other than a quote or a line break, got \(String(reflecting: text))")
                }
                delimiter = bytes[0]
            }
            header = try reader.bool(csv["header"], "csv.header") ?? true
        }

        let columns = try reader.object(root["columns"], "columns") ?? [:]
        for (key, value) in columns {
            let field = try reader.field(key, "columns")
            if let name = value as? String, !name.isEmpty {
                guard header else { throw reader.error("columns.\(key)", "the file has no header (csv.header false): give the 1-based column number") }
                sources[field] = .named(name)
            } else if let number = value as? Int, !MappingJSON.isBool(value), number >= 1 {
                sources[field] = .number(number)
            } else {
                throw reader.error("columns.\(key)", "a column name or a 1-based column number, got \(String(reflecting: value))")
            }
        }
        for (key, value) in try reader.object(root["constants"], "constants") ?? [:] {
            let field = try reader.field(key, "constants")
            guard sources[field] == nil else { throw reader.error("constants.\(key)", "also given in columns") }
            guard let text = try reader.string(value, "constants.\(key)"), !text.isEmpty else { throw reader.error("constants.\(key)", "an empty constant") }
            sources[field] = .constant(text)
        }
        for (key, value) in try reader.object(root["fieldOptions"], "fieldOptions") ?? [:] {
            let field = try reader.field(key, "fieldOptions")
            let path = "fieldOptions.\(key)"
            guard let options = try reader.object(value, path) else { continue }
            try reader.keys(options, path, allowed: ["trimSuffix", "ifEmpty"])
            if let suffix = try reader.string(options["trimSuffix"], path + ".trimSuffix"), !suffix.isEmpty { trimSuffix[field] = suffix }
            if let fallback = try reader.string(options["ifEmpty"], path + ".ifEmpty") { ifEmpty[field] = fallback }
        }
        for field in [Field.time, .type, .sku, .visitor] where sources[field] == nil {
            throw reader.error("columns", "no \(field.rawValue) column (the fields time, type, sku and visitor are required)")
        }

        if let time = try reader.object(root["time"], "time") {
            try reader.keys(time, "time", allowed: ["format", "zone"])
            let format = try reader.string(time["format"], "time.format") ?? "iso8601"
            let zoneName = try reader.string(time["zone"], "time.zone") ?? "UTC"
            guard let zone = TimeZone(identifier: zoneName) else { throw reader.error("time.zone", "unknown time zone \(String(reflecting: zoneName))") }
            do { self.time = try EventMappingTimeFormat(format, zone: zone) } catch let problem as EventMappingTimeFormat.PatternError {
                throw reader.error("time.format", problem.message)
            }
        }

        if let types = try reader.object(root["types"], "types") {
            try reader.keys(types, "types", allowed: ["values", "prefixes", "otherwise", "unknown"])
            func target(_ value: Any, _ path: String) throws -> TypeTarget {
                guard let text = value as? String else { throw reader.error(path, "an event type or \"skip\", got \(String(reflecting: value))") }
                if text == "skip" { return .skip }
                if text == "purchase" { return .event(.placeOrder) }
                if text == "cancellation" { return .event(.cancelOrder) }
                guard let type = EventType(rawValue: text) else {
                    throw reader.error(path, "unknown event type \(String(reflecting: text)); one of: skip, purchase, cancellation, "
                                       + EventType.allCases.map(\.rawValue).joined(separator: ", "))
                }
                return .event(type)
            }
            for (key, value) in try reader.object(types["values"], "types.values") ?? [:] { self.types[key] = try target(value, "types.values.\(key)") }
            for (key, value) in try reader.object(types["prefixes"], "types.prefixes") ?? [:] {
                guard !key.isEmpty else { throw reader.error("types.prefixes", "an empty prefix") }
                typePrefixes.append((key, try target(value, "types.prefixes.\(key)")))
            }
            typePrefixes.sort { $0.prefix.utf8.count != $1.prefix.utf8.count ? $0.prefix.utf8.count > $1.prefix.utf8.count : $0.prefix < $1.prefix }
            if let otherwise = types["otherwise"], !(otherwise is NSNull) { otherwiseType = try target(otherwise, "types.otherwise") }
            if let unknown = try reader.string(types["unknown"], "types.unknown") {
                guard let value = UnknownValues(rawValue: unknown) else { throw reader.error("types.unknown", "\"refuse\" or \"skip\", got \(String(reflecting: unknown))") }
                unknownTypes = value
            }
        }

        if let category = try reader.object(root["category"], "category") {
            try reader.keys(category, "category", allowed: ["separator"])
            if let separator = try reader.string(category["separator"], "category.separator") {
                guard !separator.isEmpty else { throw reader.error("category.separator", "empty") }
                categorySeparator = separator
            }
        }
        if let sessions = try reader.object(root["sessions"], "sessions") {
            try reader.keys(sessions, "sessions", allowed: ["gapMinutes"])
            if let minutes = sessions["gapMinutes"] {
                guard let value = (minutes as? NSNumber)?.doubleValue, !MappingJSON.isBool(minutes), value > 0, value <= 525_600 else {
                    throw reader.error("sessions.gapMinutes", "a number of minutes above 0, got \(String(reflecting: minutes))")
                }
                sessionGapMilliseconds = Int64((value * 60_000).rounded())
            }
        }
        if let eventID = try reader.object(root["eventID"], "eventID") {
            try reader.keys(eventID, "eventID", allowed: ["prefix"])
            if let prefix = try reader.string(eventID["prefix"], "eventID.prefix") { eventIDPrefix = prefix }
        }
        if let orders = try reader.object(root["orders"], "orders") {
            try reader.keys(orders, "orders", allowed: ["quantitySigns"])
            if let signs = try reader.string(orders["quantitySigns"], "orders.quantitySigns") {
                switch signs {
                case "as-given": negativeQuantitiesInCancellations = false
                case "negative-in-cancellations": negativeQuantitiesInCancellations = true
                default: throw reader.error("orders.quantitySigns", "\"as-given\" or \"negative-in-cancellations\", got \(String(reflecting: signs))")
                }
            }
        }
        if let filters = root["skipRows"], !(filters is NSNull) {
            guard let list = filters as? [Any] else { throw reader.error("skipRows", "a list of filters") }
            for (index, item) in list.enumerated() {
                let path = "skipRows[\(index)]"
                guard let filter = try reader.object(item, path) else { continue }
                try reader.keys(filter, path, allowed: ["field", "unlessMatching", "equals", "reason"])
                guard let fieldName = try reader.string(filter["field"], path + ".field") else { throw reader.error(path, "no field") }
                let field = try reader.field(fieldName, path + ".field")
                guard sources[field] != nil else { throw reader.error(path + ".field", "\(fieldName) has no column") }
                let test: RowFilter.Test
                if let pattern = try reader.string(filter["unlessMatching"], path + ".unlessMatching") {
                    guard (try? Regex(pattern)) != nil else { throw reader.error(path + ".unlessMatching", "not a regular expression: \(String(reflecting: pattern))") }
                    test = .unlessMatching(pattern)
                } else if let equals = filter["equals"], let number = equals as? NSNumber, !MappingJSON.isBool(equals) {
                    test = .equalsNumber(number.doubleValue)
                } else {
                    throw reader.error(path, "give \"unlessMatching\" (a regular expression) or \"equals\" (a number)")
                }
                let reason = try reader.string(filter["reason"], path + ".reason") ?? "\(path)"
                skipRows.append(RowFilter(field: field, test: test, reason: reason))
            }
        }
    }
}

/// Reads the untyped JSON of a mapping, naming the key path in each error.
private struct MappingJSON {
    let file: String

    /// Foundation reads JSON numbers as NSNumber, which also casts to Bool (1 → true): only
    /// the boolean subclass is a JSON `true`/`false`.
    static func isBool(_ value: Any) -> Bool { type(of: value) == type(of: NSNumber(value: true)) }

    func error(_ path: String, _ message: String) -> InputError {
        InputError(message, at: InputLocation(file: file, line: 0), subject: "mapping", path: path.isEmpty ? nil : path)
    }

    func keys(_ object: [String: Any], _ path: String, allowed: [String]) throws {
        for key in object.keys.sorted() where !allowed.contains(key) {
            throw error(path.isEmpty ? key : "\(path).\(key)", "unknown key; known here: \(allowed.joined(separator: ", "))")
        }
    }

    func object(_ value: Any?, _ path: String) throws -> [String: Any]? {
        guard let value, !(value is NSNull) else { return nil }
        guard let object = value as? [String: Any] else { throw error(path, "a JSON object, got \(String(reflecting: value))") }
        return object
    }

    func string(_ value: Any?, _ path: String) throws -> String? {
        guard let value, !(value is NSNull) else { return nil }
        guard let text = value as? String else { throw error(path, "a string, got \(String(reflecting: value))") }
        return text
    }

    func bool(_ value: Any?, _ path: String) throws -> Bool? {
        guard let value, !(value is NSNull) else { return nil }
        guard Self.isBool(value), let flag = value as? Bool else { throw error(path, "true or false, got \(String(reflecting: value))") }
        return flag
    }

    func field(_ name: String, _ path: String) throws -> EventMapping.Field {
        guard let field = EventMapping.Field(rawValue: name) else {
            throw error("\(path).\(name)", "unknown field; one of: \(EventMapping.Field.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return field
    }
}
