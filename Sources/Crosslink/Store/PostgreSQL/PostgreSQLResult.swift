import CPostgreSQL

/// The rows of one statement's result (text format), owning libpq's `PGresult`. Reading a
/// NULL as a number gives 0 and as text "", like SQLite's column functions.
final class PostgreSQLResult {
    private let result: OpaquePointer

    init(_ result: OpaquePointer) {
        self.result = result
    }

    deinit { PQclear(result) }

    var rowCount: Int { Int(PQntuples(result)) }
    var columnCount: Int { Int(PQnfields(result)) }
    /// Rows inserted, updated, deleted, copied or selected by the command (`PQcmdTuples`);
    /// 0 for a command without a count.
    var affectedRows: Int { Int(String(cString: PQcmdTuples(result))) ?? 0 }

    func columnName(at index: Int) -> String {
        String(cString: PQfname(result, Int32(index)))
    }

    func columnIndex(_ name: String) -> Int? {
        // PQfnumber folds unquoted names to lower case, as SQL would; we look names up exactly.
        (0..<columnCount).first { columnName(at: $0) == name }
    }

    /// The column's type OID (`PQftype`).
    func columnType(at index: Int) -> Oid {
        PQftype(result, Int32(index))
    }

    func isNull(row: Int, column: Int) -> Bool {
        PQgetisnull(result, Int32(row), Int32(column)) == 1
    }

    /// The value's text as the server sent it (bytea as `\x…` hex); "" for NULL.
    func text(row: Int, column: Int) -> String {
        withBytes(row: row, column: column) { String(decoding: $0, as: UTF8.self) }
    }

    /// The value as an integer: integer text, a boolean ("t"/"f" → 1/0), or a number with a
    /// fraction, truncated ("3.0" → 3); 0 for NULL or text that is not a number.
    func int(row: Int, column: Int) -> Int {
        withBytes(row: row, column: column) { bytes in
            if let value = Self.parseInt(bytes) { return value }
            if bytes.count == 1, bytes[0] == UInt8(ascii: "t") { return 1 }
            if let value = Double(String(decoding: bytes, as: UTF8.self)), value.isFinite,
               value >= -9.223372036854775808e18, value < 9.223372036854775808e18 {
                return Int(value)
            }
            return 0
        }
    }

    /// The value as a Double (PostgreSQL's "Infinity" / "NaN" included); 0 for NULL or text
    /// that is not a number.
    func double(row: Int, column: Int) -> Double {
        withBytes(row: row, column: column) { bytes in
            if let value = Self.parseInt(bytes) { return Double(value) }
            return Double(String(decoding: bytes, as: UTF8.self)) ?? 0
        }
    }

    /// The value by its column's type: int2/int4/int8/oid → integer, float4/float8/numeric →
    /// real, bool → integer 0/1, bytea → blob, anything else → text; NULL → null.
    func value(row: Int, column: Int) -> DatabaseValue {
        if isNull(row: row, column: column) { return .null }
        switch columnType(at: column) {
        case PostgreSQLType.int2, PostgreSQLType.int4, PostgreSQLType.int8, PostgreSQLType.oid:
            return .integer(Int64(int(row: row, column: column)))
        case PostgreSQLType.float4, PostgreSQLType.float8, PostgreSQLType.numeric:
            return .real(double(row: row, column: column))
        case PostgreSQLType.bool:
            return .integer(int(row: row, column: column) == 0 ? 0 : 1)
        case PostgreSQLType.bytea:
            return .blob(blob(row: row, column: column))
        default:
            return .text(text(row: row, column: column))
        }
    }

    /// A bytea value's bytes, decoded from the hex text output (`\x0102…`); the older escape
    /// format goes through `PQunescapeBytea`.
    func blob(row: Int, column: Int) -> [UInt8] {
        withBytes(row: row, column: column) { bytes in
            if bytes.count >= 2, bytes[0] == UInt8(ascii: "\\"), bytes[1] == UInt8(ascii: "x") {
                var out: [UInt8] = []
                out.reserveCapacity((bytes.count - 2) / 2)
                var index = 2
                while index + 1 < bytes.count {
                    out.append(Self.hexValue(bytes[index]) << 4 | Self.hexValue(bytes[index + 1]))
                    index += 2
                }
                return out
            }
            guard let value = PQgetvalue(result, Int32(row), Int32(column)) else { return [] }
            var length = 0
            guard let decoded = value.withMemoryRebound(to: UInt8.self, capacity: bytes.count + 1, { PQunescapeBytea($0, &length) }) else { return [] }
            defer { PQfreemem(decoded) }
            return Array(UnsafeBufferPointer(start: decoded, count: length))
        }
    }

    private func withBytes<R>(row: Int, column: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let length = Int(PQgetlength(result, Int32(row), Int32(column)))
        guard let value = PQgetvalue(result, Int32(row), Int32(column)) else {
            return body(UnsafeBufferPointer(start: nil, count: 0))
        }
        return value.withMemoryRebound(to: UInt8.self, capacity: length) { body(UnsafeBufferPointer(start: $0, count: length)) }
    }

    /// Decimal integer text (optional sign), nil when it is anything else or overflows.
    private static func parseInt(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard !bytes.isEmpty else { return nil }
        var index = 0
        var negative = false
        if bytes[0] == UInt8(ascii: "-") || bytes[0] == UInt8(ascii: "+") {
            negative = bytes[0] == UInt8(ascii: "-")
            index = 1
        }
        guard index < bytes.count else { return nil }
        var value = 0
        while index < bytes.count {
            let digit = Int(bytes[index]) - 48
            guard digit >= 0, digit <= 9 else { return nil }
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = negative ? times.subtractingReportingOverflow(digit) : times.addingReportingOverflow(digit)
            guard !overflow1, !overflow2 else { return nil }
            value = next
            index += 1
        }
        return value
    }

    private static func hexValue(_ byte: UInt8) -> UInt8 {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: 0
        }
    }
}
