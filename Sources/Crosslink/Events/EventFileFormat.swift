import Foundation

/// The event file formats ``EventStore/importFile(at:format:)`` reads. Any of them may be
/// gzip-compressed (detected by content, not name).
///
/// - **JSON Lines** (`.jsonl`, `.ndjson`): one JSON object per line, see ``JSONLinesEventParser``.
/// - **CSV** (`.csv`): one row per event, one row per order line, see ``CSVEventParser``.
/// - **Online Retail**: the UCI Online Retail invoice-line CSV, see ``OnlineRetailImporter``.
public enum EventFileFormat: String, Sendable, Codable, CaseIterable {
    case jsonLines = "jsonl"
    case csv
    case onlineRetail = "online-retail"

    /// The format of `data` (already decompressed) named `file`: by extension (`.gz` ignored),
    /// and for CSV by header (`InvoiceNo,StockCode,…` is Online Retail); else a JSON Lines
    /// file starts with `{`. Nil when nothing fits.
    public static func detect(file: String, data: Data) -> EventFileFormat? {
        var name = file.lowercased()
        if name.hasSuffix(".gz") { name.removeLast(3) }
        let head = String(decoding: data.prefix(detectionBytes), as: UTF8.self)
        let trimmed = head.drop { $0 == "\u{FEFF}" || $0.isWhitespace }
        let isOnlineRetail = trimmed.hasPrefix(OnlineRetailImporter.header.joined(separator: ","))
        if name.hasSuffix(".jsonl") || name.hasSuffix(".ndjson") || name.hasSuffix(".json") { return .jsonLines }
        if name.hasSuffix(".csv") { return isOnlineRetail ? .onlineRetail : .csv }
        if isOnlineRetail { return .onlineRetail }
        if trimmed.hasPrefix("{") { return .jsonLines }
        if trimmed.hasPrefix("id,") || trimmed.hasPrefix("\"id\",") { return .csv }
        return nil
    }

    /// How much of a file's (decompressed) head ``detect(file:data:)`` looks at.
    public static let detectionBytes = 200

    /// The format of the file at `url` (gzip or not) from its name and first bytes, reading
    /// only those. Nil when nothing fits.
    public static func detect(at url: URL, limits: EventFileLimits = EventFileLimits()) throws -> EventFileFormat? {
        let input = try EventFileInput(url: url, limits: limits)
        return detect(file: input.file, data: try input.prefix(detectionBytes))
    }

    /// The bytes of the file at `url`, decompressed when gzip. Issues name the file.
    public static func contents(of url: URL) throws -> Data {
        let file = url.lastPathComponent
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw InputError(file: file, line: 0, message: "cannot read file: \(error.localizedDescription)")
        }
        return Gzip.isCompressed(data) ? try Gzip.decompress(data, file: file) : data
    }
}

/// Reads an event file (JSON Lines or CSV) into ``Event`` values with their line numbers.
///
/// ```swift
/// let reader = try EventFileReader(contentsOf: URL(fileURLWithPath: "events.jsonl.gz"))
/// let events = try reader.events()   // throws InputError listing every bad line
/// ```
public struct EventFileReader: Sendable {
    /// The decompressed bytes.
    public let data: Data
    /// The name used in issues (the last path component for files).
    public let file: String
    public let format: EventFileFormat

    /// Reads (and gunzips) the file; the format is detected when not given.
    public init(contentsOf url: URL, format: EventFileFormat? = nil) throws {
        try self.init(data: EventFileFormat.contents(of: url), file: url.lastPathComponent, format: format)
    }

    /// `data` may be gzip-compressed.
    public init(data: Data, file: String, format: EventFileFormat? = nil) throws {
        let data = Gzip.isCompressed(data) ? try Gzip.decompress(data, file: file) : data
        guard let format = format ?? EventFileFormat.detect(file: file, data: data) else {
            throw InputError(file: file, line: 0, message: "unknown event file format (name it .jsonl or .csv, or give the format)")
        }
        guard format != .onlineRetail else {
            throw InputError(file: file, line: 0, message: "an Online Retail log is read by OnlineRetailImporter")
        }
        self.data = data
        self.file = file
        self.format = format
    }

    /// One thing read: an event (with the line it starts on and, for CSV orders, the line of
    /// each order line) or an issue for something that is not a readable event.
    enum Item {
        case event(Event, line: Int, rowLines: [Int]?)
        case invalid(InputError)
    }

    /// Reads the items in file order. Returns the warnings about the file (e.g. unread CSV columns).
    @discardableResult
    func forEach(_ body: (Item) throws -> Void) throws -> [InputError] {
        switch format {
        case .jsonLines:
            try JSONLinesEventParser(data: data, file: file).forEach(body)
            return []
        case .csv:
            return try CSVEventParser(data: data, file: file).forEach(body)
        case .onlineRetail:
            preconditionFailure("checked in init")
        }
    }

    /// Every event of the file, in order; throws ``InputError/invalidEvents(_:)`` listing every
    /// line that is not a readable event (whether the events are valid to store is checked by ingest).
    public func events() throws -> [Event] {
        var events: [Event] = []
        var issues: [InputError] = []
        try forEach { item in
            switch item {
            case .event(let event, _, _): events.append(event)
            case .invalid(let issue): issues.append(issue)
            }
        }
        guard issues.isEmpty else { throw InputError.invalidEvents(issues) }
        return events
    }
}
