/// Text made safe to show on a terminal: control and bidirectional-formatting characters are
/// written as visible escapes, so a stored value (a product name holding `ESC [2J`, an OSC 8
/// hyperlink or U+202E) can neither drive the terminal nor reorder what is shown around it.
///
/// Notation: each such scalar becomes Swift's `\u{…}` with uppercase hex and no padding —
/// `\u{1B}`, `\u{7F}`, `\u{9B}`, `\u{202E}`. A backslash is not escaped, so the form is for
/// reading; the exact bytes are in the JSON output and the exports.
///
/// ```swift
/// TerminalText.escaped("Bag\u{1B}[2J")        // "Bag\\u{1B}[2J"
/// TerminalText.jsonEscaped("\"a\u{202E}b\"")  // "\"a\\u202eb\""
/// ```
public enum TerminalText {
    /// Whether `scalar` is shown escaped: C0 controls (U+0000–U+001F), DEL, C1 controls
    /// (U+0080–U+009F), the bidirectional marks, embeddings, overrides and isolates (U+061C,
    /// U+200E, U+200F, U+202A–U+202E, U+2066–U+2069) and the line/paragraph separators U+2028,
    /// U+2029 (which some terminals and editors break lines at).
    public static func isEscaped(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x061C, 0x200E, 0x200F, 0x2028...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    /// `text` with every scalar of ``isEscaped(_:)`` written `\u{HEX}`; `keepingNewlines` leaves
    /// `\n` alone, for whole printed lines (a table cell or a single value escapes it too).
    public static func escaped(_ text: String, keepingNewlines: Bool = false) -> String {
        guard text.unicodeScalars.contains(where: { isEscaped($0) && !(keepingNewlines && $0 == "\n") }) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isEscaped(scalar) && !(keepingNewlines && scalar == "\n") {
                out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// JSON text with the scalars of ``isEscaped(_:)`` that JSON allows raw (DEL, C1, the bidi
    /// controls, U+2028/U+2029) written as JSON's own `\uXXXX` escapes. In valid JSON these
    /// scalars can only stand inside strings, so the result decodes to the same values; the
    /// whitespace `\n`, `\r`, `\t` between tokens is kept, and C0 controls inside strings are
    /// already escaped by any JSON encoder.
    public static func jsonEscaped(_ json: String) -> String {
        func needs(_ scalar: Unicode.Scalar) -> Bool { scalar.value > 0x1F && isEscaped(scalar) }
        guard json.unicodeScalars.contains(where: needs) else { return json }
        var out = String.UnicodeScalarView()
        for scalar in json.unicodeScalars {
            if needs(scalar) {
                let hex = String(scalar.value, radix: 16)
                out.append(contentsOf: ("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// An aligned text table: a header, a rule of dashes and the rows, columns padded to the
    /// widest cell and separated by two spaces. Each cell is ``escaped(_:keepingNewlines:)``
    /// first, so the padding counts what is shown.
    ///
    /// ```swift
    /// TerminalText.table(["sku", "name"], [["24-MB01", "Joust Duffle Bag"]])
    /// // sku      name
    /// // -------  ----------------
    /// // 24-MB01  Joust Duffle Bag
    /// ```
    public static func table(_ header: [String], _ rows: [[String]]) -> String {
        let header = header.map { escaped($0) }
        let rows = rows.map { $0.map { escaped($0) } }
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 || index >= widths.count ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        return ([line(header), line(widths.map { String(repeating: "-", count: $0) })] + rows.map(line)).joined(separator: "\n")
    }
}
