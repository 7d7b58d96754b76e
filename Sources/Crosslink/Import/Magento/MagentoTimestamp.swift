import Foundation

/// Times in Magento CSV files, stored as ISO 8601 UTC (`2015-10-23T00:35:03Z`).
enum MagentoTimestamp {
    /// Reads `2015-10-23 00:35:03`, `2015-10-23T00:35:03Z` (offsets and fractions too),
    /// `2015-10-23`, and Magento's export form `10/23/15, 12:35 AM` (or `10/23/2015 12:35:03 PM`).
    /// Times without an offset are UTC.
    static func iso8601(fromMagento text: String) -> String? {
        guard let seconds = epochSeconds(text) else { return nil }
        return format(seconds, dateTimeSeparator: "T", suffix: "Z")
    }

    /// `2015-10-23 00:35:03` (Magento's database form, which its importer reads back) from a stored time.
    static func magentoText(fromStored text: String) -> String {
        guard let seconds = epochSeconds(text) else { return text }
        return format(seconds, dateTimeSeparator: " ", suffix: "")
    }

    static func epochSeconds(_ text: String) -> Int? {
        let bytes = Array(MagentoFields.trimmed(text).utf8)
        var scanner = NumberScanner(bytes)
        if let seconds = scanner.isoTime() { return seconds }
        scanner = NumberScanner(bytes)
        return scanner.usTime()
    }

    static func format(_ seconds: Int, dateTimeSeparator: String, suffix: String) -> String {
        let days = Int((Double(seconds) / 86_400).rounded(.down))
        let rest = seconds - days * 86_400
        let (y, m, d) = civil(fromDays: days)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let year = String(repeating: "0", count: max(0, 4 - String(y).count)) + String(y)
        return "\(year)-\(two(m))-\(two(d))\(dateTimeSeparator)\(two(rest / 3600)):\(two(rest % 3600 / 60)):\(two(rest % 60))\(suffix)"
    }

    /// Days since 1970-01-01 (the calendar arithmetic is EventTime's).
    static func days(year: Int, month: Int, day: Int) -> Int {
        Int(EventTime.daysFromCivil(year: Int64(year), month: Int64(month), day: Int64(day)))
    }

    static func civil(fromDays days: Int) -> (Int, Int, Int) {
        let (year, month, day) = EventTime.civilFromDays(Int64(days))
        return (Int(year), Int(month), Int(day))
    }

    static func isValid(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Bool {
        guard (1...12).contains(month), day >= 1, hour >= 0, hour < 24, minute >= 0, minute < 60, second >= 0, second < 60 else { return false }
        return day <= EventTime.daysInMonth(year: Int64(year), month: Int64(month))
    }

    /// A tiny cursor over ASCII bytes.
    struct NumberScanner {
        let bytes: [UInt8]
        var i = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { i >= bytes.count }

        mutating func number(digits range: ClosedRange<Int>) -> Int? {
            var value = 0
            var count = 0
            while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57, count < range.upperBound {
                value = value * 10 + Int(bytes[i] - 48)
                i += 1
                count += 1
            }
            return range.contains(count) ? value : nil
        }

        mutating func take(_ byte: Character) -> Bool {
            guard i < bytes.count, bytes[i] == byte.asciiValue! else { return false }
            i += 1
            return true
        }

        mutating func skipBlanks() { while i < bytes.count, bytes[i] == 32 { i += 1 } }

        /// `yyyy-MM-dd[( |T)HH:mm[:ss[.fff]]][Z|±HH[:]MM]`
        mutating func isoTime() -> Int? {
            guard let year = number(digits: 4...4), take("-"), let month = number(digits: 1...2), take("-"),
                  let day = number(digits: 1...2) else { return nil }
            var hour = 0, minute = 0, second = 0, offset = 0
            if !atEnd {
                guard take("T") || take(" ") else { return nil }
                skipBlanks()
                guard let h = number(digits: 1...2), take(":"), let m = number(digits: 2...2) else { return nil }
                hour = h; minute = m
                if take(":") {
                    guard let s = number(digits: 2...2) else { return nil }
                    second = s
                    if take(".") { guard number(digits: 1...9) != nil else { return nil } }
                }
                skipBlanks()
                if take("Z") {
                } else if !atEnd {
                    let sign: Int
                    if take("+") { sign = 1 } else if take("-") { sign = -1 } else { return nil }
                    guard let oh = number(digits: 2...2) else { return nil }
                    _ = take(":")
                    guard let om = number(digits: 2...2) else { return nil }
                    offset = sign * (oh * 3600 + om * 60)
                }
            }
            guard atEnd, MagentoTimestamp.isValid(year: year, month: month, day: day, hour: hour, minute: minute, second: second) else { return nil }
            return MagentoTimestamp.days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second - offset
        }

        /// `M/d/yy[yy][,] h:mm[:ss] (AM|PM)` — Magento's export in the en_US locale.
        mutating func usTime() -> Int? {
            guard let month = number(digits: 1...2), take("/"), let day = number(digits: 1...2), take("/") else { return nil }
            let start = i
            guard var year = number(digits: 2...4), i - start != 3 else { return nil }
            if i - start == 2 { year += year < 70 ? 2000 : 1900 }
            var hour = 0, minute = 0, second = 0
            if !atEnd {
                _ = take(",")
                skipBlanks()
                guard let h = number(digits: 1...2), take(":"), let m = number(digits: 2...2) else { return nil }
                hour = h; minute = m
                if take(":") {
                    guard let s = number(digits: 2...2) else { return nil }
                    second = s
                }
                skipBlanks()
                if !atEnd {
                    let rest = String(decoding: bytes[i...], as: UTF8.self).uppercased()
                    guard (rest == "AM" || rest == "PM"), (1...12).contains(hour) else { return nil }
                    if rest == "AM" && hour == 12 { hour = 0 }
                    if rest == "PM" && hour != 12 { hour += 12 }
                    i = bytes.count
                }
            }
            guard atEnd, MagentoTimestamp.isValid(year: year, month: month, day: day, hour: hour, minute: minute, second: second) else { return nil }
            return MagentoTimestamp.days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
        }
    }
}
