/// Neutralises CSV cells that a spreadsheet would run as a formula (CSV injection): a cell
/// starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, as OWASP's
/// CSV-injection guidance advises; spreadsheets show the rest as text. A plain number (`-3`,
/// `+2.5`) is left alone: it cannot be a formula, and prices and quantities stay numbers.
///
/// The result no longer round-trips (the `'` becomes part of the value on import), so exports
/// use it only when asked (`crosslink export --spreadsheet-safe`).
///
/// ```swift
/// SpreadsheetCell.neutralised("=HYPERLINK(\"http://x\")")  // "'=HYPERLINK(\"http://x\")"
/// SpreadsheetCell.neutralised("-12.5")                     // "-12.5"
/// ```
public enum SpreadsheetCell {
    public static func neutralised(_ cell: String) -> String {
        guard let first = cell.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) else { return cell }
        if first == "-" || first == "+", isPlainNumber(cell.utf8.dropFirst()) { return cell }
        return "'" + cell
    }

    /// Digits with at most one `.` and at least one digit.
    private static func isPlainNumber(_ bytes: Substring.UTF8View) -> Bool {
        var digits = 0, dots = 0
        for byte in bytes {
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") { digits += 1 } else if byte == UInt8(ascii: ".") { dots += 1 } else { return false }
        }
        return digits > 0 && dots <= 1
    }
}
