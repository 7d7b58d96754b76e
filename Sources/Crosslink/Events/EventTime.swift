import Foundation

/// Event times: Unix milliseconds (UTC), as stored in `events.occurred_at`, and their text forms.
///
/// ```swift
/// EventTime.parse("2024-05-01T12:00:00.250+02:00")  // 1714557600250
/// EventTime.parse("1714557600250")                  // 1714557600250 (Unix milliseconds)
/// EventTime.format(1714557600250)                   // "2024-05-01T10:00:00.250Z"
/// ```
public enum EventTime {
    /// The accepted range: 1970-01-01T00:00:00.000Z ... 9999-12-31T23:59:59.999Z. A time
    /// outside it is a sender's bug (a zero, seconds sent as milliseconds twice over, …).
    public static let validRange: ClosedRange<Int64> = 0...253_402_300_799_999

    /// Milliseconds of `date`, rounded to the nearest millisecond; nil when not finite or outside ``validRange``.
    public static func milliseconds(_ date: Date) -> Int64? {
        let value = (date.timeIntervalSince1970 * 1000).rounded()
        guard value.isFinite, value >= Double(validRange.lowerBound), value <= Double(validRange.upperBound) else { return nil }
        return Int64(value)
    }

    /// The date of `milliseconds`.
    public static func date(_ milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }

    /// Reads ISO 8601 with a zone — `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM|±HHMM)`, `T` or a
    /// space between date and time, digits past the millisecond truncated — or Unix
    /// milliseconds as digits. A time without a zone is refused: it names no instant.
    public static func parse(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { parse(bytes: $0) }
    }

    static func parse(bytes u: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard !u.isEmpty else { return nil }
        if u.allSatisfy(isDigit) {
            guard u.count <= 15, let value = Int64(String(decoding: u, as: UTF8.self)), validRange.contains(value) else { return nil }
            return value
        }
        guard let (local, end) = parseLocal(u), end < u.count else { return nil }
        var i = end
        let offsetSeconds: Int64
        switch u[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            offsetSeconds = 0
            i += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign: Int64 = u[i] == UInt8(ascii: "+") ? 1 : -1
            i += 1
            guard let hours = number(u, i, 2) else { return nil }
            i += 2
            if i < u.count, u[i] == UInt8(ascii: ":") { i += 1 }
            guard let minutes = number(u, i, 2), hours <= 23, minutes <= 59 else { return nil }
            i += 2
            offsetSeconds = sign * (hours * 3600 + minutes * 60)
        default:
            return nil
        }
        guard i == u.count else { return nil }
        let value = local - offsetSeconds * 1000
        return validRange.contains(value) ? value : nil
    }

    /// Reads `YYYY-MM-DD[T ]HH:MM:SS[.fraction]` as if it were UTC: the milliseconds and the
    /// index just past it.
    static func parseLocal(_ u: UnsafeBufferPointer<UInt8>) -> (milliseconds: Int64, end: Int)? {
        guard u.count >= 19,
              let year = number(u, 0, 4), u[4] == UInt8(ascii: "-"),
              let month = number(u, 5, 2), u[7] == UInt8(ascii: "-"),
              let day = number(u, 8, 2), u[10] == UInt8(ascii: "T") || u[10] == UInt8(ascii: " ") || u[10] == UInt8(ascii: "t"),
              let hour = number(u, 11, 2), u[13] == UInt8(ascii: ":"),
              let minute = number(u, 14, 2), u[16] == UInt8(ascii: ":"),
              let second = number(u, 17, 2),
              (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month),
              hour <= 23, minute <= 59, second <= 59
        else { return nil }
        var i = 19
        var millis: Int64 = 0
        if i < u.count, u[i] == UInt8(ascii: ".") || u[i] == UInt8(ascii: ",") {
            i += 1
            var digits = 0
            while i < u.count, isDigit(u[i]) {
                if digits < 3 { millis = millis * 10 + Int64(u[i] - 48) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            if digits < 3 { for _ in digits..<3 { millis *= 10 } }
        }
        let days = daysFromCivil(year: year, month: month, day: day)
        return ((days * 86_400 + hour * 3600 + minute * 60 + second) * 1000 + millis, i)
    }

    /// `2024-05-01T10:00:00.250Z`: always UTC, always milliseconds (so text sorts as time does).
    public static func format(_ milliseconds: Int64) -> String {
        let (seconds, millis) = milliseconds.quotientAndRemainder(dividingBy: 1000)
        let (days, secondOfDay) = seconds.quotientAndRemainder(dividingBy: 86_400)
        let (year, month, day) = civilFromDays(days)
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let ms = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(String(repeating: "0", count: max(0, 4 - String(year).count)))\(year)-\(two(month))-\(two(day))T"
            + "\(two(secondOfDay / 3600)):\(two(secondOfDay % 3600 / 60)):\(two(secondOfDay % 60)).\(ms)Z"
    }

    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }

    /// The `count`-digit number at `start`, or nil.
    static func number(_ u: UnsafeBufferPointer<UInt8>, _ start: Int, _ count: Int) -> Int64? {
        guard start + count <= u.count else { return nil }
        var value: Int64 = 0
        for i in start..<start + count {
            guard isDigit(u[i]) else { return nil }
            value = value * 10 + Int64(u[i] - 48)
        }
        return value
    }

    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civilFromDays(_ days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
