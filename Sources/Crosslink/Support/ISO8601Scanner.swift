/// The scanner of every ISO 8601 date-time Crosslink reads: event times (``EventTime``),
/// Magento CSV times (`MagentoTimestamp`) and the Online Retail log's wall times. One grammar,
///
///     YYYY-MM-DD [(T|space) HH:MM[:SS[(.|,)fraction]] [Z | ±HH[:]MM]]
///
/// and a ``Style`` per caller saying which of its liberties that caller accepts. The scanner is
/// also the byte cursor of Magento's US export form. Calendar arithmetic is ``EventTime``'s.
struct ISO8601Scanner {
    let bytes: UnsafeBufferPointer<UInt8>
    /// The next byte to read.
    var index = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// What a caller accepts beyond the strict form `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
    struct Style {
        /// Month, day and hour in one or two digits (`2015-1-5 7:05`); otherwise two.
        var shortFields = false
        /// A date alone (midnight), and a time without seconds.
        var partialTimes = false
        /// Spaces after the date–time separator and before the zone.
        var blanks = false
        /// `t` and `z` as well as `T` and `Z`, and a decimal comma.
        var lowercaseAndComma = false
        /// The most digits a fraction may have; nil: any number.
        var fractionDigits: Int? = nil
        var zone = Zone.required
        /// Offsets only up to ±23:59.
        var boundedOffsets = false

        enum Zone {
            /// A time without one names no instant.
            case required
            /// Without one, UTC.
            case optional
            /// Not read: the scan stops after the time, and the caller reads what follows.
            case notRead
        }

        /// Event times: full date and time, a zone (`t`, `z` and a comma accepted).
        static let event = Style(lowercaseAndComma: true, boundedOffsets: true)
        /// Wall times of a log that names its zone elsewhere.
        static let local = Style(lowercaseAndComma: true, zone: .notRead)
        /// Magento CSV times, as people and spreadsheets write them; UTC without a zone.
        static let magento = Style(shortFields: true, partialTimes: true, blanks: true, fractionDigits: 9, zone: .optional)
    }

    /// A scanned time: whole seconds since 1970-01-01T00:00:00Z (negative before), and the
    /// milliseconds of its fraction (digits past the millisecond truncated).
    struct Instant {
        var seconds: Int64
        var milliseconds: Int64
    }

    /// Scans a date-time of `style` from ``index``, leaving ``index`` just past it; nil if the
    /// text there is not one or names no valid date and time. Whether anything may follow is the
    /// caller's to say.
    mutating func dateTime(_ style: Style) -> Instant? {
        let field = style.shortFields ? 1...2 : 2...2
        guard let year = number(digits: 4...4), take("-"), let month = number(digits: field), take("-"),
              let day = number(digits: field) else { return nil }
        var hour: Int64 = 0, minute: Int64 = 0, second: Int64 = 0, milliseconds: Int64 = 0, offset: Int64 = 0
        if !(style.partialTimes && atEnd) {
            guard take("T") || take(" ") || (style.lowercaseAndComma && take("t")) else { return nil }
            if style.blanks { skipBlanks() }
            guard let h = number(digits: field), take(":"), let m = number(digits: 2...2) else { return nil }
            hour = h
            minute = m
            if take(":") {
                guard let s = number(digits: 2...2) else { return nil }
                second = s
                if take(".") || (style.lowercaseAndComma && take(",")) {
                    guard let fraction = fraction(maximumDigits: style.fractionDigits) else { return nil }
                    milliseconds = fraction
                }
            } else if !style.partialTimes {
                return nil
            }
            switch style.zone {
            case .notRead:
                break
            case .required, .optional:
                if style.blanks { skipBlanks() }
                if atEnd {
                    guard style.zone == .optional else { return nil }
                } else {
                    guard let zone = zoneOffset(bounded: style.boundedOffsets, lowercase: style.lowercaseAndComma) else { return nil }
                    offset = zone
                }
            }
        }
        guard let seconds = Self.seconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second) else { return nil }
        return Instant(seconds: seconds - offset, milliseconds: milliseconds)
    }

    /// Seconds since 1970-01-01T00:00:00Z of a date and time read as UTC; nil if it does not exist.
    static func seconds(year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64, second: Int64) -> Int64? {
        guard (1...12).contains(month), day >= 1, day <= EventTime.daysInMonth(year: year, month: month),
              hour <= 23, minute <= 59, second <= 59 else { return nil }
        return EventTime.daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
    }

    /// The digits of a fraction of a second as milliseconds; nil without digits or with more than `maximumDigits`.
    private mutating func fraction(maximumDigits: Int?) -> Int64? {
        var value: Int64 = 0, digits = 0
        while !atEnd, EventTime.isDigit(bytes[index]) {
            if digits < 3 { value = value * 10 + Int64(bytes[index] - 48) }
            digits += 1
            index += 1
        }
        guard digits > 0, digits <= maximumDigits ?? digits else { return nil }
        for _ in min(digits, 3)..<3 { value *= 10 }
        return value
    }

    /// `Z` or `±HH[:]MM`, in seconds east of UTC.
    private mutating func zoneOffset(bounded: Bool, lowercase: Bool) -> Int64? {
        if take("Z") || (lowercase && take("z")) { return 0 }
        let sign: Int64
        if take("+") { sign = 1 } else if take("-") { sign = -1 } else { return nil }
        guard let hours = number(digits: 2...2) else { return nil }
        _ = take(":")
        guard let minutes = number(digits: 2...2), !bounded || (hours <= 23 && minutes <= 59) else { return nil }
        return sign * (hours * 3600 + minutes * 60)
    }

    // MARK: The cursor

    var atEnd: Bool { index >= bytes.count }

    /// A number of `digits` decimal digits, reading at most `digits.upperBound`.
    mutating func number(digits: ClosedRange<Int>) -> Int64? {
        var value: Int64 = 0, count = 0
        while !atEnd, EventTime.isDigit(bytes[index]), count < digits.upperBound {
            value = value * 10 + Int64(bytes[index] - 48)
            index += 1
            count += 1
        }
        return digits.contains(count) ? value : nil
    }

    /// Reads `ascii` if it is the next byte.
    mutating func take(_ ascii: Unicode.Scalar) -> Bool {
        guard !atEnd, bytes[index] == UInt8(ascii: ascii) else { return false }
        index += 1
        return true
    }

    mutating func skipBlanks() { while !atEnd, bytes[index] == 32 { index += 1 } }
}
