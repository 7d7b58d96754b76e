import ArgumentParser
import Crosslink
import Foundation

/// Printing helpers shared by the commands: aligned text tables, JSON, data and errors.
///
/// Everything the CLI shows a person passes through ``TerminalText``: control and bidi
/// characters of stored values appear as `\u{1B}`, `\u{202E}`, … (``print(_:separator:terminator:)``
/// below does it for every printed line, ``table(_:_:)`` for each cell, ``error(_:)`` and
/// ``CrosslinkCommand/main()`` for messages). JSON is escaped as JSON (`\u202e`); data meant for
/// another program (CSV exports) is written byte for byte with ``data(_:)``.
enum Output {
    /// Columns padded to the widest cell, each cell escaped (``TerminalText/table(_:_:)``).
    static func table(_ header: [String], _ rows: [[String]]) -> String { TerminalText.table(header, rows) }

    /// Pretty JSON with sorted keys; control and bidi characters as JSON escapes.
    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // JSON has no infinity or NaN; a hand-edited store can still hold them. Strings keep
        // the output valid and the value visible instead of failing the whole command.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return TerminalText.jsonEscaped(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// JSON text made by the library (rule files, unit files, event lines), to standard output or
    /// `out`, with control and bidi characters as JSON escapes: the same values, safe to show.
    static func jsonText(_ text: String, out: String? = nil) throws {
        let safe = TerminalText.jsonEscaped(text)
        if let out { try OutputFile.write(safe, to: out) } else { data(safe) }
    }

    /// Data for another program (CSV), byte for byte: to standard output or `out`.
    static func data(_ text: String, out: String? = nil) throws {
        if let out { try OutputFile.write(text, to: out) } else { data(text) }
    }

    /// Data for another program, byte for byte, to standard output.
    static func data(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// A product name as a person reads it: HTML character references decoded (the Luma
    /// sample's `Lumaflex&trade;` shows as `Lumaflex™`). Only for text shown to people; JSON and
    /// exports keep the stored bytes, so a program gets exactly what the catalog holds and a
    /// storefront that puts a name into HTML gets no markup it did not store.
    static func name(_ text: String) -> String { HTMLEntities.decoded(text) }

    static func price(_ value: Double?) -> String {
        value.map { String(format: "%.2f", $0) } ?? "-"
    }

    static func placement(_ products: [PlacedProduct]) -> String {
        guard !products.isEmpty else { return "(none)" }
        return table(["#", "sku", "name", "price", "why"], products.enumerated().map { index, product in
            [String(index + 1), product.sku, name(product.name), price(product.finalPrice), product.reason.description]
        })
    }

    /// A line on standard error, escaped like printed lines.
    static func error(_ message: String) {
        FileHandle.standardError.write(Data((TerminalText.escaped(message, keepingNewlines: true) + "\n").utf8))
    }
}

/// Every line the commands print, escaped by ``TerminalText`` (newlines kept). This shadows
/// `Swift.print` inside the CLI on purpose: a stored value interpolated into any message cannot
/// reach the terminal raw, whichever command prints it. Data goes through ``Output/data(_:)``.
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    let text = items.map { "\($0)" }.joined(separator: separator)
    Swift.print(TerminalText.escaped(text, keepingNewlines: true), terminator: terminator)
}
