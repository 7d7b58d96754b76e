/// HTML character references in stored text, decoded for people to read.
///
/// Magento keeps product names as the merchant typed them in the admin, HTML included: the Luma
/// sample's names hold `&trade;` and `&reg;`, and Magento's own CSV export writes them so. The
/// store keeps those bytes (the CSV round trip is byte-exact, JSON output gives them unchanged);
/// the CLI decodes them only where it shows a name to a person, so a terminal shows
/// `Lumaflex™ Strength Band`, not `Lumaflex&trade; Strength Band`.
///
/// Decoded: numeric references (`&#8482;`, `&#x2122;`) and the named ones that occur in catalog
/// names (``named``). An unknown name, a reference without its `;`, or a number that is not a
/// Unicode scalar (or is NUL) stays as written.
///
/// ```swift
/// HTMLEntities.decoded("Lumaflex&trade; Band")   // "Lumaflex™ Band"
/// HTMLEntities.decoded("Bag &amp; Bottle &#174;") // "Bag & Bottle ®"
/// HTMLEntities.decoded("AT&T; R&D")             // unchanged: no such entities
/// ```
public enum HTMLEntities {
    /// The named references decoded: HTML's markup escapes, the typographic marks and symbols
    /// of product copy, and Latin-1 letters.
    public static let named: [String: Character] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{A0}",
        "trade": "™", "reg": "®", "copy": "©", "deg": "°", "plusmn": "±", "times": "×", "divide": "÷",
        "micro": "µ", "middot": "·", "bull": "•", "hellip": "…", "ndash": "–", "mdash": "—",
        "lsquo": "‘", "rsquo": "’", "sbquo": "‚", "ldquo": "“", "rdquo": "”", "bdquo": "„",
        "laquo": "«", "raquo": "»", "frac14": "¼", "frac12": "½", "frac34": "¾", "sup2": "²", "sup3": "³",
        "euro": "€", "pound": "£", "yen": "¥", "cent": "¢", "sect": "§", "para": "¶", "prime": "′", "Prime": "″",
        "Agrave": "À", "Aacute": "Á", "Acirc": "Â", "Atilde": "Ã", "Auml": "Ä", "Aring": "Å", "AElig": "Æ",
        "Ccedil": "Ç", "Egrave": "È", "Eacute": "É", "Ecirc": "Ê", "Euml": "Ë", "Igrave": "Ì", "Iacute": "Í",
        "Icirc": "Î", "Iuml": "Ï", "Ntilde": "Ñ", "Ograve": "Ò", "Oacute": "Ó", "Ocirc": "Ô", "Otilde": "Õ",
        "Ouml": "Ö", "Oslash": "Ø", "Ugrave": "Ù", "Uacute": "Ú", "Ucirc": "Û", "Uuml": "Ü", "Yacute": "Ý", "szlig": "ß",
        "agrave": "à", "aacute": "á", "acirc": "â", "atilde": "ã", "auml": "ä", "aring": "å", "aelig": "æ",
        "ccedil": "ç", "egrave": "è", "eacute": "é", "ecirc": "ê", "euml": "ë", "igrave": "ì", "iacute": "í",
        "icirc": "î", "iuml": "ï", "ntilde": "ñ", "ograve": "ò", "oacute": "ó", "ocirc": "ô", "otilde": "õ",
        "ouml": "ö", "oslash": "ø", "ugrave": "ù", "uacute": "ú", "ucirc": "û", "uuml": "ü", "yacute": "ý", "yuml": "ÿ",
    ]

    /// `text` with its character references decoded, in one pass (`&amp;trade;` gives
    /// `&trade;`, not `™`).
    public static func decoded(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var out = ""
        var rest = text[...]
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let after = rest.index(after: amp)
            // References are short: look for the `;` within the next 32 characters only.
            if let semicolon = rest[after...].prefix(32).firstIndex(of: ";"),
               let character = character(for: rest[after..<semicolon]) {
                out.append(character)
                rest = rest[rest.index(after: semicolon)...]
            } else {
                out.append("&")
                rest = rest[after...]
            }
        }
        return out + rest
    }

    /// The character of a reference's body (between `&` and `;`), nil when it is not one.
    static func character(for body: Substring) -> Character? {
        guard body.first == "#" else { return named[String(body)] }
        let digits = body.dropFirst()
        let value: UInt32?
        // Digits only: UInt32's parser would also take a sign.
        if let x = digits.first, x == "x" || x == "X" {
            let hex = digits.dropFirst()
            value = !hex.isEmpty && hex.allSatisfy(\.isHexDigit) ? UInt32(hex, radix: 16) : nil
        } else {
            value = !digits.isEmpty && digits.allSatisfy({ $0.isASCII && $0.isWholeNumber }) ? UInt32(digits, radix: 10) : nil
        }
        guard let value, value != 0, let scalar = Unicode.Scalar(value) else { return nil }
        return Character(scalar)
    }
}
