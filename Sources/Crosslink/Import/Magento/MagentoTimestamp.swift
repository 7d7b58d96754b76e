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
        Array(MagentoFields.trimmed(text).utf8).withUnsafeBufferPointer { bytes in
            var scanner = ISO8601Scanner(bytes)
            if let instant = scanner.dateTime(.magento), scanner.atEnd { return Int(instant.seconds) }
            scanner = ISO8601Scanner(bytes)
            return usTime(&scanner).map(Int.init)
        }
    }

    static func format(_ seconds: Int, dateTimeSeparator: String, suffix: String) -> String {
        let days = Int((Double(seconds) / 86_400).rounded(.down))
        let rest = seconds - days * 86_400
        let (y, m, d) = EventTime.civilFromDays(Int64(days))
        func two<N: BinaryInteger>(_ n: N) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let year = String(repeating: "0", count: max(0, 4 - String(y).count)) + String(y)
        return "\(year)-\(two(m))-\(two(d))\(dateTimeSeparator)\(two(rest / 3600)):\(two(rest % 3600 / 60)):\(two(rest % 60))\(suffix)"
    }

    /// `M/d/yy[yy][,] h:mm[:ss] (AM|PM)` — Magento's export in the en_US locale; seconds since 1970, UTC.
    static func usTime(_ scanner: inout ISO8601Scanner) -> Int64? {
        guard let month = scanner.number(digits: 1...2), scanner.take("/"), let day = scanner.number(digits: 1...2), scanner.take("/") else { return nil }
        let start = scanner.index
        guard var year = scanner.number(digits: 2...4), scanner.index - start != 3 else { return nil }
        if scanner.index - start == 2 { year += year < 70 ? 2000 : 1900 }
        var hour: Int64 = 0, minute: Int64 = 0, second: Int64 = 0
        if !scanner.atEnd {
            _ = scanner.take(",")
            scanner.skipBlanks()
            guard let h = scanner.number(digits: 1...2), scanner.take(":"), let m = scanner.number(digits: 2...2) else { return nil }
            hour = h
            minute = m
            if scanner.take(":") {
                guard let s = scanner.number(digits: 2...2) else { return nil }
                second = s
            }
            scanner.skipBlanks()
            if !scanner.atEnd {
                let rest = String(decoding: scanner.bytes[scanner.index...], as: UTF8.self).uppercased()
                guard rest == "AM" || rest == "PM", (1...12).contains(hour) else { return nil }
                if rest == "AM" && hour == 12 { hour = 0 }
                if rest == "PM" && hour != 12 { hour += 12 }
                scanner.index = scanner.bytes.count
            }
        }
        return ISO8601Scanner.seconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    }
}
