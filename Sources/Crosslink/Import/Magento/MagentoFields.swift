import Foundation

/// Parsers for the cell syntaxes of Magento's product import/export CSV.
///
/// Scanning works on UTF-8 bytes: every separator is ASCII, so slicing there never splits a
/// character, and a `"` followed by a combining mark still counts as a quote.
public enum MagentoFields {
    /// A cell holding this clears the field (or link type); an empty cell means "no change".
    public static let emptyValueMarker = "__EMPTY__VALUE__"

    // MARK: Lists

    /// Splits, trims whitespace, drops empty items (`related_skus`, `related_position`, ...).
    /// With separator `"\n"`, `"\r\n"` also separates (Swift treats it as one Character).
    public static func splitList(_ cell: String, separator: Character = ",") -> [String] {
        // ASCII fast path: Foundation's Unicode trimming was two thirds of an import's time.
        guard let sep = separator.asciiValue, sep != 0x0A, sep != 0x0D else { return splitListUnicode(cell, separator: separator) }
        var copy = cell
        var items: [String] = []
        var needsUnicode = false
        copy.withUTF8 { buffer in
            var start = 0
            while start <= buffer.count {
                var end = start
                while end < buffer.count && buffer[end] != sep { end += 1 }
                var a = start, b = end
                while a < b && isBlank(buffer[a]) { a += 1 }
                while b > a && isBlank(buffer[b - 1]) { b -= 1 }
                if a < b {
                    if buffer[a] >= 0x80 || buffer[b - 1] >= 0x80 { needsUnicode = true; return }
                    items.append(String(decoding: UnsafeBufferPointer(rebasing: buffer[a..<b]), as: UTF8.self))
                }
                start = end + 1
            }
        }
        return needsUnicode ? splitListUnicode(cell, separator: separator) : items
    }

    private static func splitListUnicode(_ cell: String, separator: Character) -> [String] {
        cell.split(whereSeparator: { $0 == separator || (separator == "\n" && $0 == "\r\n") })
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }
    }

    @inline(__always) static func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

    /// `text` without leading and trailing whitespace; ASCII edges are trimmed without Foundation.
    static func trimmed(_ text: String) -> String {
        let u = text.utf8
        guard let first = u.first, let last = u.last else { return text }
        if first < 0x80 && last < 0x80 && !isBlank(first) && !isBlank(last) { return text }
        if first >= 0x80 || last >= 0x80 { return text.trimmingCharacters(in: .whitespacesAndNewlines) }
        var copy = text
        return copy.withUTF8 { buffer in
            var start = 0, end = buffer.count
            while start < end && isBlank(buffer[start]) { start += 1 }
            while end > start && isBlank(buffer[end - 1]) { end -= 1 }
            let core = UnsafeBufferPointer(rebasing: buffer[start..<end])
            // Unicode blanks now at an edge: let Foundation finish.
            if let f = core.first, let l = core.last, f >= 0x80 || l >= 0x80 {
                return String(decoding: core, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            return String(decoding: core, as: UTF8.self)
        }
    }

    // MARK: additional_attributes

    /// Parses `code=value,code=value`, accepting both of Magento's styles in one cell:
    ///
    /// - Wrapped (value starts with `"`): the value ends at the first `"` that is not part of a
    ///   `""` pair and is followed by `,` or the end of the cell, like Magento's
    ///   `parseAttributesWithWrappedValues` regex. If every inner quote is doubled, the value
    ///   is returned unwrapped with `""` → `"`. If lone quotes remain, the cell uses Magento's
    ///   multiselect form `"opt1"|"opt2"` (each option wrapped on its own); that value is
    ///   returned raw, quotes included, for `splitMultiselect`. From the fixture:
    ///   `multiselect_attribute="Option 3 ""!@#$%^&*, ""|"""|"Opt||,ion 2"` keeps the value
    ///   `"Option 3 ""!@#$%^&*, ""|"""|"Opt||,ion 2"`, which splits into
    ///   `Option 3 "!@#$%^&*, "|"` and `Opt||,ion 2` (Magento's `parseMultiselectValues` regex
    ///   pairs `""` greedily, so `"""|"` is a literal `"` and then the option boundary).
    ///   `text_attribute=""` yields an empty value (Magento's regex needs a non-empty value and
    ///   silently drops the pair, which amounts to the same thing).
    /// - Unwrapped: like `parseAttributesWithoutWrappedValues`, the cell is split on `,`, each
    ///   piece on its first `=`, and a piece without `=` is appended to the previous value with
    ///   the `,` restored, so `text_attribute=a=b,|\` keeps `a=b,|\` intact.
    ///
    /// Codes are trimmed and must be non-empty; values are kept verbatim (multiselect values
    /// stay joined; split them with `splitMultiselect`). Magento decides the style per import
    /// and per attribute type; without those, a single wrapped multiselect option containing
    /// `|` (`m="a|b"`) comes back as the text `a|b` and `splitMultiselect` would split it.
    public static func parseAdditionalAttributes(_ cell: String) throws -> [(code: String, value: String)] {
        let u = Array(cell.utf8)
        let n = u.count
        var result: [(code: String, value: String)] = []
        var previousUnwrapped = false
        var i = 0
        while true {
            // The piece runs to the next `,`; its code ends at the first `=`.
            var p = i
            while p < n && u[p] != comma && u[p] != equals { p += 1 }
            if p == n || u[p] == comma {
                let piece = utf8Text(u, i, p)
                if previousUnwrapped {
                    result[result.count - 1].value += "," + piece
                } else if !piece.allSatisfy(\.isWhitespace) {
                    throw InputError("missing '=' in additional attribute \"\(piece)\"")
                }
                if p == n { break }
                i = p + 1
                continue
            }
            let code = utf8Text(u, i, p).trimmingCharacters(in: .whitespaces)
            let valueStart = p + 1
            if valueStart < n && u[valueStart] == quote {
                let close = try wrappedValueEnd(u, from: valueStart) {
                    "unterminated quoted value in additional attribute \"\(utf8Text(u, i, n))\""
                }
                let pair = utf8Text(u, i, close + 1)
                guard !code.isEmpty else {
                    throw InputError("empty attribute code in \"\(pair)\"")
                }
                let inner = Array(u[(valueStart + 1)..<close])
                let value: String
                if let plain = undoubled(inner) {
                    value = plain
                } else if quotedItems(Array(u[valueStart...close]), separator: pipe) != nil {
                    value = utf8Text(u, valueStart, close + 1)
                } else {
                    throw InputError("malformed quoted value in additional attribute \"\(pair)\"")
                }
                result.append((code: code, value: value))
                previousUnwrapped = false
                // `wrappedValueEnd` guarantees a `,` or the end follows.
                if close + 1 >= n { break }
                i = close + 2
                if i == n { break }
            } else {
                var q = valueStart
                while q < n && u[q] != comma { q += 1 }
                guard !code.isEmpty else {
                    throw InputError("empty attribute code in \"\(utf8Text(u, i, q))\"")
                }
                result.append((code: code, value: utf8Text(u, valueStart, q)))
                previousUnwrapped = true
                if q == n { break }
                i = q + 1
            }
        }
        return result
    }

    /// Inverse of `parseAdditionalAttributes`: values containing `,` `=` `|` or `"` are wrapped in
    /// `"` with inner quotes doubled. Codes are written as given (they must not contain `=` `,`).
    public static func formatAdditionalAttributes(_ pairs: [(code: String, value: String)]) -> String {
        pairs.map { pair in
            let needsWrap = pair.value.utf8.contains { $0 == comma || $0 == equals || $0 == pipe || $0 == quote }
            return pair.code + "=" + (needsWrap ? wrap(pair.value) : pair.value)
        }
        .joined(separator: ",")
    }

    /// Splits a multiselect value on `|`. Options may be wrapped in `"` with `""` for a quote
    /// (Magento's enclosure style, as kept raw by `parseAdditionalAttributes`); a wrapped option
    /// ends at a `"` followed by `|` or the end. Empty options are dropped; a malformed wrapped
    /// option is taken literally up to the next `|`.
    public static func splitMultiselect(_ value: String) -> [String] {
        let u = Array(value.utf8)
        let n = u.count
        var items: [String] = []
        var i = 0
        while i < n {
            if u[i] == quote, case let (item, next)? = quotedItem(u, from: i, separator: pipe) {
                if !item.isEmpty { items.append(item) }
                i = next + 1
                continue
            }
            var k = i
            while k < n && u[k] != pipe { k += 1 }
            if k > i { items.append(utf8Text(u, i, k)) }
            i = k + 1
        }
        return items
    }

    // MARK: configurable_variations

    /// Parses `sku=MH01-XS-Black,size=XS,color=Black|sku=...`. Like Magento, keys and values are
    /// trimmed and there is no quoting. Each variation must contain a non-empty `sku`.
    public static func parseConfigurableVariations(_ cell: String) throws -> [[(key: String, value: String)]] {
        var variations: [[(key: String, value: String)]] = []
        for variation in cell.utf8.split(separator: pipe, omittingEmptySubsequences: false) {
            let variationText = String(decoding: variation, as: UTF8.self)
            if variationText.allSatisfy(\.isWhitespace) { continue }
            var pairs: [(key: String, value: String)] = []
            for piece in variation.split(separator: comma, omittingEmptySubsequences: false) {
                let pieceText = String(decoding: piece, as: UTF8.self)
                if pieceText.allSatisfy(\.isWhitespace) { continue }
                guard let eq = piece.firstIndex(of: equals) else {
                    throw InputError("missing '=' in \"\(pieceText)\" of variation \"\(variationText)\"")
                }
                let key = String(decoding: piece[..<eq], as: UTF8.self).trimmingCharacters(in: .whitespaces)
                let value = String(decoding: piece[piece.index(after: eq)...], as: UTF8.self)
                    .trimmingCharacters(in: .whitespaces)
                guard !key.isEmpty else {
                    throw InputError("empty key in \"\(pieceText)\" of variation \"\(variationText)\"")
                }
                pairs.append((key: key, value: value))
            }
            guard pairs.contains(where: { $0.key == "sku" && !$0.value.isEmpty }) else {
                throw InputError("variation without sku: \"\(variationText)\"")
            }
            variations.append(pairs)
        }
        return variations
    }

    /// Inverse of `parseConfigurableVariations`. Throws for what that syntax cannot carry:
    /// `,` `|` in values, `=` `,` `|` in keys, surrounding blanks, a variation without sku.
    public static func formatConfigurableVariations(_ variations: [[(key: String, value: String)]]) throws -> String {
        try variations.map { pairs in
            guard pairs.contains(where: { $0.key == "sku" && !$0.value.isEmpty }) else {
                throw InputError("variation without sku: \"\(pairs.map { "\($0.key)=\($0.value)" }.joined(separator: ","))\"")
            }
            return try pairs.map { pair in
                let key = pair.key, value = pair.value
                let badKey = key.isEmpty || key.utf8.contains { $0 == equals || $0 == comma || $0 == pipe }
                let badValue = value.utf8.contains { $0 == comma || $0 == pipe }
                guard !badKey, !badValue,
                      key == key.trimmingCharacters(in: .whitespaces),
                      value == value.trimmingCharacters(in: .whitespaces)
                else {
                    throw InputError("cannot write variation pair \"\(key)=\(value)\"")
                }
                return key + "=" + value
            }
            .joined(separator: ",")
        }
        .joined(separator: "|")
    }

    // MARK: Categories

    /// `Default Category/Men/Tops,Default Category/Gear` → paths of trimmed levels; empty levels
    /// and empty paths are dropped. Magento's default path separator is `,`; some imports use `|`.
    public static func parseCategoryPaths(_ cell: String, separator: Character = ",") -> [[String]] {
        cell.split(separator: separator).compactMap { path in
            let levels = path.split(separator: "/")
                .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                .filter { !$0.isEmpty }
            return levels.isEmpty ? nil : levels
        }
    }

    // MARK: Scalars

    private static let visibilityLabels = [
        1: "Not Visible Individually",
        2: "Catalog",
        3: "Search",
        4: "Catalog, Search",
    ]

    /// Magento's visibility labels (case-insensitive, blanks around `,` ignored) or "1"..."4".
    public static func parseVisibility(_ text: String) -> Int? {
        let normalized = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            .joined(separator: ", ")
        if let number = Int(normalized), visibilityLabels[number] != nil { return number }
        return visibilityLabels.first { $0.value.lowercased() == normalized }?.key
    }

    /// Label for 1...4; other numbers are written as digits.
    public static func visibilityLabel(_ v: Int) -> String {
        visibilityLabels[v] ?? String(v)
    }

    public static func parseBool(_ text: String) -> Bool? {
        switch text {  // the common cells first, without lowercasing
        case "1": return true
        case "0": return false
        default: break
        }
        return switch trimmed(text).lowercased() {
        case "1", "yes", "true", "enabled": true
        case "0", "no", "false", "disabled": false
        default: nil
        }
    }

    /// Plain decimal notation only (`52`, `0.0000`, `14.99`, `-5`): no exponent, no `nan`/`inf`,
    /// no thousands or decimal comma, and nothing beyond `Double`'s range (400 nines would
    /// otherwise read as infinity).
    public static func parseDecimal(_ text: String) -> Double? {
        let t = trimmed(text)
        var digits = 0
        var seenPoint = false
        for (offset, b) in t.utf8.enumerated() {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digits += 1
            case UInt8(ascii: "."): if seenPoint { return nil }; seenPoint = true
            case UInt8(ascii: "-"), UInt8(ascii: "+"): if offset != 0 { return nil }
            default: return nil
            }
        }
        guard digits > 0, let value = Double(t), value.isFinite else { return nil }
        return value
    }

    /// Shortest plain decimal that reads back as `v`, without trailing zeros or exponent
    /// (`52`, `14.99`, `0`, `0.0000001`).
    public static func formatDecimal(_ v: Double) -> String {
        guard v.isFinite else { return v.description }
        if v == 0 { return "0" }
        if v == v.rounded(.towardZero) && abs(v) < 1e18 { return String(Int64(v)) }
        let repr = v.description  // shortest round-trip form, may use an exponent
        guard let e = repr.firstIndex(where: { $0 == "e" || $0 == "E" }) else { return repr }
        let exponent = Int(repr[repr.index(after: e)...])!
        var mantissa = repr[..<e]
        let negative = mantissa.hasPrefix("-")
        if negative { mantissa = mantissa.dropFirst() }
        let pointOffset = mantissa.firstIndex(of: ".").map { mantissa.distance(from: mantissa.startIndex, to: $0) }
            ?? mantissa.count
        var digits = mantissa.filter { $0 != "." }
        while digits.count > 1 && digits.hasSuffix("0") { digits.removeLast() }
        let point = pointOffset + exponent  // digits before the decimal point
        var out: String
        if point <= 0 {
            out = "0." + String(repeating: "0", count: -point) + digits
        } else if point >= digits.count {
            out = digits + String(repeating: "0", count: point - digits.count)
        } else {
            let split = digits.index(digits.startIndex, offsetBy: point)
            out = String(digits[..<split]) + "." + String(digits[split...])
        }
        if negative { out = "-" + out }
        return out
    }
}

// MARK: - Byte helpers

private let comma = UInt8(ascii: ",")
private let equals = UInt8(ascii: "=")
private let pipe = UInt8(ascii: "|")
private let quote = UInt8(ascii: "\"")

private func utf8Text(_ u: [UInt8], _ start: Int, _ end: Int) -> String {
    String(decoding: u[start..<end], as: UTF8.self)
}

private func wrap(_ s: String) -> String {
    "\"" + CSVWriter.doublingQuotes(s) + "\""
}

/// Index of the quote closing a wrapped additional-attribute value opened at `open`: the first
/// `"` outside a `""` pair that is followed by `,` or the end.
private func wrappedValueEnd(_ u: [UInt8], from open: Int, unterminated: () -> String) throws -> Int {
    var k = open + 1
    while k < u.count {
        if u[k] == quote {
            if k + 1 < u.count && u[k + 1] == quote {
                k += 2
                continue
            }
            if k + 1 == u.count || u[k + 1] == comma { return k }
        }
        k += 1
    }
    throw InputError(unterminated())
}

/// The text with `""` → `"`, or nil when it holds a quote that is not part of a pair.
private func undoubled(_ inner: [UInt8]) -> String? {
    var out: [UInt8] = []
    out.reserveCapacity(inner.count)
    var k = 0
    while k < inner.count {
        if inner[k] == quote {
            guard k + 1 < inner.count && inner[k + 1] == quote else { return nil }
            k += 1
        }
        out.append(inner[k])
        k += 1
    }
    return String(decoding: out, as: UTF8.self)
}

/// A wrapped item opened at `open`: `""` is a quote, the item ends at a `"` followed by the
/// separator or the end. Returns the item and the index just past the closing quote.
private func quotedItem(_ u: [UInt8], from open: Int, separator: UInt8) -> (String, Int)? {
    var out: [UInt8] = []
    var k = open + 1
    while k < u.count {
        if u[k] == quote {
            if k + 1 < u.count && u[k + 1] == quote {
                out.append(quote)
                k += 2
                continue
            }
            if k + 1 == u.count || u[k + 1] == separator {
                return (String(decoding: out, as: UTF8.self), k + 1)
            }
            return nil
        }
        out.append(u[k])
        k += 1
    }
    return nil
}

/// Strictly `"a"|"b"|...` (every item wrapped), else nil.
private func quotedItems(_ u: [UInt8], separator: UInt8) -> [String]? {
    var items: [String] = []
    var i = 0
    while i < u.count {
        guard u[i] == quote, case let (item, next)? = quotedItem(u, from: i, separator: separator) else { return nil }
        items.append(item)
        i = next + 1
    }
    return items
}
