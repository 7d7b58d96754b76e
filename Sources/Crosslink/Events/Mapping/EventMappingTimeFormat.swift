import Foundation

/// How a mapping reads event times: ISO 8601 with a zone, Unix seconds or milliseconds, or a
/// pattern such as `yyyy-MM-dd HH:mm:ss 'UTC'` (REES46), `yyyy-MM-dd HH:mm:ss` in a zone
/// (Online Retail: Europe/London), `M/d/yyyy H:mm`.
///
/// Pattern letters: `yyyy` year, `MM`/`M` month, `dd`/`d` day, `HH`/`H` hour (00-23), `mm`
/// minute, `ss` second, `SSS` a fraction of 1 to 9 digits (truncated to the millisecond),
/// `XXX` a zone (`Z`, `±HH:MM`, `±HHMM`); `'text'` is literal text; any other character that is
/// not an ASCII letter stands for itself. A pattern without `XXX` reads wall time in the
/// mapping's zone; in a zone's repeated autumn hour the later instant is taken (as the Online
/// Retail importer does).
public enum EventMappingTimeFormat: Sendable, Equatable {
    /// ``EventTime/parse(_:)``: ISO 8601 with a zone, or Unix milliseconds as digits.
    case iso8601
    /// Digits (an optional fraction is kept to the millisecond).
    case unixSeconds
    /// Digits.
    case unixMilliseconds
    case pattern(text: String, tokens: [Token], zone: TimeZone)

    public enum Token: Sendable, Equatable {
        case year, month(minimumDigits: Int), day(minimumDigits: Int), hour(minimumDigits: Int), minute, second, fraction, zone
        case literal([UInt8])
    }

    struct PatternError: Error { var message: String }

    init(_ text: String, zone: TimeZone) throws {
        switch text {
        case "iso8601": self = .iso8601; return
        case "unix-seconds": self = .unixSeconds; return
        case "unix-milliseconds": self = .unixMilliseconds; return
        default: break
        }
        var tokens: [Token] = []
        let chars = Array(text)
        var i = 0
        func literal(_ bytes: [UInt8]) {
            if case .literal(let previous)? = tokens.last { tokens[tokens.count - 1] = .literal(previous + bytes) } else { tokens.append(.literal(bytes)) }
        }
        while i < chars.count {
            let c = chars[i]
            var run = 1
            while i + run < chars.count && chars[i + run] == c { run += 1 }
            switch (c, run) {
            case ("y", 4): tokens.append(.year)
            case ("M", 1), ("M", 2): tokens.append(.month(minimumDigits: run))
            case ("d", 1), ("d", 2): tokens.append(.day(minimumDigits: run))
            case ("H", 1), ("H", 2): tokens.append(.hour(minimumDigits: run))
            case ("m", 2): tokens.append(.minute)
            case ("s", 2): tokens.append(.second)
            case ("S", 3): tokens.append(.fraction)
            case ("X", 3): tokens.append(.zone)
            case ("'", _):
                guard let end = chars[(i + 1)...].firstIndex(of: "'") else { throw PatternError(message: "unterminated quote in \(String(reflecting: text))") }
                literal(Array(String(chars[(i + 1)..<end]).utf8))
                i = end + 1
                continue
            default:
                if c.isASCII && c.isLetter {
                    throw PatternError(message: "unknown pattern letters \(String(repeating: c, count: run)) in \(String(reflecting: text)); "
                                       + "use iso8601, unix-seconds, unix-milliseconds or yyyy MM M dd d HH H mm ss SSS XXX and 'literal text'")
                }
                literal(Array(String(repeating: c, count: run).utf8))
            }
            i += run
        }
        let has = { (token: Token) in tokens.contains { t in
            switch (t, token) {
            case (.year, .year), (.month, .month), (.day, .day), (.hour, .hour), (.minute, .minute): true
            default: false
            }
        } }
        for (token, name) in [(Token.year, "yyyy"), (.month(minimumDigits: 1), "MM"), (.day(minimumDigits: 1), "dd"), (.hour(minimumDigits: 1), "HH"), (.minute, "mm")] where !has(token) {
            throw PatternError(message: "\(String(reflecting: text)) has no \(name)")
        }
        self = .pattern(text: text, tokens: tokens, zone: zone)
    }

    /// What the format expects, for error messages.
    var expected: String {
        switch self {
        case .iso8601: "ISO 8601 with a zone (2019-10-01T00:00:00Z) or Unix milliseconds"
        case .unixSeconds: "Unix seconds"
        case .unixMilliseconds: "Unix milliseconds"
        case .pattern(let text, _, let zone): text + (zone.identifier == "UTC" ? "" : " (\(zone.identifier))")
        }
    }
}

/// Parses times of one format; caches the zone's offset per local hour.
struct EventMappingTimeParser {
    let format: EventMappingTimeFormat
    private var offsets: [Int64: Int64] = [:]

    init(_ format: EventMappingTimeFormat) { self.format = format }

    /// Unix milliseconds, nil when `text` does not match or is outside ``EventTime/validRange``.
    mutating func parse(_ text: String) -> Int64? {
        var text = text
        let value: Int64?
        switch format {
        case .iso8601:
            return EventTime.parse(text)
        case .unixMilliseconds:
            let digits = text.withUTF8 { u in !u.isEmpty && u.count <= 15 && u.allSatisfy(EventTime.isDigit) }
            value = digits ? Int64(text) : nil
        case .unixSeconds:
            value = text.withUTF8 { u -> Int64? in
                guard !u.isEmpty, u.count <= 30 else { return nil }
                var seconds: Int64 = 0, millis: Int64 = 0, digitsAfterPoint = -1, digits = 0
                for b in u {
                    if b == UInt8(ascii: ".") { guard digitsAfterPoint < 0 else { return nil }; digitsAfterPoint = 0; continue }
                    guard EventTime.isDigit(b) else { return nil }
                    let d = Int64(b - 48)
                    if digitsAfterPoint < 0 {
                        digits += 1
                        guard digits <= 12 else { return nil }
                        seconds = seconds * 10 + d
                    } else {
                        if digitsAfterPoint < 3 { millis = millis * 10 + d }
                        digitsAfterPoint += 1
                    }
                }
                guard digits > 0 else { return nil }
                for _ in 0..<max(0, 3 - max(0, digitsAfterPoint)) { millis *= 10 }
                return seconds * 1000 + millis
            }
        case .pattern(_, let tokens, let zone):
            guard let (local, offset) = text.withUTF8({ Self.scan($0, tokens) }) else { return nil }
            value = offset.map { local - $0 } ?? utc(local, zone: zone)
        }
        guard let value, EventTime.validRange.contains(value) else { return nil }
        return value
    }

    /// Local wall time → UTC with the zone's offset cached per local hour.
    private mutating func utc(_ local: Int64, zone: TimeZone) -> Int64 {
        if zone.identifier == "UTC" || zone.identifier == "GMT" { return local }
        let hour = local / 3_600_000
        if let offset = offsets[hour] { return local - offset }
        let wall = Date(timeIntervalSince1970: Double(hour * 3600))
        let guess = wall.addingTimeInterval(-Double(zone.secondsFromGMT(for: wall)))
        let offset = Int64(zone.secondsFromGMT(for: guess)) * 1000
        offsets[hour] = offset
        return local - offset
    }

    /// The wall time in milliseconds (as if UTC) and the zone offset in milliseconds when the text gives one.
    private static func scan(_ u: UnsafeBufferPointer<UInt8>, _ tokens: [EventMappingTimeFormat.Token]) -> (Int64, Int64?)? {
        var i = 0
        func number(_ minimum: Int, _ maximum: Int) -> Int64? {
            var value: Int64 = 0, count = 0
            while i < u.count, count < maximum, EventTime.isDigit(u[i]) { value = value * 10 + Int64(u[i] - 48); i += 1; count += 1 }
            return count >= minimum ? value : nil
        }
        var year: Int64 = 0, month: Int64 = 1, day: Int64 = 1, hour: Int64 = 0, minute: Int64 = 0, second: Int64 = 0, millis: Int64 = 0
        var offset: Int64?
        for token in tokens {
            switch token {
            case .year: guard let v = number(4, 4) else { return nil }; year = v
            case .month(let minimum): guard let v = number(minimum, 2), (1...12).contains(v) else { return nil }; month = v
            case .day(let minimum): guard let v = number(minimum, 2), (1...31).contains(v) else { return nil }; day = v
            case .hour(let minimum): guard let v = number(minimum, 2), v < 24 else { return nil }; hour = v
            case .minute: guard let v = number(2, 2), v < 60 else { return nil }; minute = v
            case .second: guard let v = number(2, 2), v < 60 else { return nil }; second = v
            case .fraction:
                let start = i
                guard var v = number(1, 9) else { return nil }
                var digits = i - start
                while digits > 3 { v /= 10; digits -= 1 }
                while digits < 3 { v *= 10; digits += 1 }
                millis = v
            case .zone:
                guard i < u.count else { return nil }
                if u[i] == UInt8(ascii: "Z") { i += 1; offset = 0; continue }
                guard u[i] == UInt8(ascii: "+") || u[i] == UInt8(ascii: "-") else { return nil }
                let sign: Int64 = u[i] == UInt8(ascii: "-") ? -1 : 1
                i += 1
                guard let h = number(2, 2), h <= 23 else { return nil }
                if i < u.count, u[i] == UInt8(ascii: ":") { i += 1 }
                guard let m = number(2, 2), m < 60 else { return nil }
                offset = sign * (h * 60 + m) * 60_000
            case .literal(let bytes):
                guard u.count - i >= bytes.count else { return nil }
                for b in bytes { guard u[i] == b else { return nil }; i += 1 }
            }
        }
        guard i == u.count, let seconds = ISO8601Scanner.seconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second) else { return nil }
        return (seconds * 1000 + millis, offset)
    }
}
