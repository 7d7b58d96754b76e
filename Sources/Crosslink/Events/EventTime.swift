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
        var scanner = ISO8601Scanner(u)
        guard let instant = scanner.dateTime(.event), scanner.atEnd else { return nil }
        let value = instant.seconds * 1000 + instant.milliseconds
        return validRange.contains(value) ? value : nil
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
