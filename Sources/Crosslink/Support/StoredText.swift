/// The one check for identifiers that people type on command lines and that name one thing:
/// SKUs, rule names, unit names, store view codes and names, rule segments. Free text — product
/// and category names, attribute codes and values, event fields — is stored and returned byte
/// for byte, NUL included (ReliabilityInjectionTests holds that promise).
///
/// NUL is refused everywhere: SQLite's `length()` and C tools stop at it and a command line
/// cannot carry it, so `"a\0b"` would read back as `"a"`. Codes — short Magento identifiers —
/// also refuse the other control characters (U+0001–U+001F, U+007F).
///
/// ```swift
/// StoredText.problem("24-MB01")          // nil
/// StoredText.problem("bad\u{0}")         // "must not contain NUL"
/// StoredText.codeProblem("de\u{1B}[2J")  // "must not contain control characters (U+001B)"
/// ```
enum StoredText {
    static let nul = "must not contain NUL"

    /// Why `text` cannot be stored as a name or id, or nil.
    static func problem(_ text: String) -> String? {
        text.utf8.contains(0) ? nul : nil
    }

    /// Why `text` cannot be stored as a code, or nil.
    static func codeProblem(_ text: String) -> String? {
        if let nulProblem = problem(text) { return nulProblem }
        guard let control = text.unicodeScalars.first(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return nil }
        let hex = String(control.value, radix: 16, uppercase: true)
        return "must not contain control characters (U+\(String(repeating: "0", count: 4 - hex.count) + hex))"
    }
}
