import CPostgreSQL

/// Statement parameters laid out for libpq's `paramValues` / `paramLengths` / `paramFormats`
/// arrays: every value in one byte buffer. Integers, reals and text go as text with type OID 0
/// (the server infers each type from the statement, as it does for a literal); blobs go in
/// binary format as `bytea`, so their bytes are never reinterpreted as text.
struct PostgreSQLParameters {
    private var bytes: [UInt8] = []
    /// Offset of each value in `bytes`; nil for NULL.
    private var offsets: [Int?] = []
    private(set) var lengths: [Int32] = []
    private(set) var formats: [Int32] = []
    private(set) var types: [Oid] = []

    var count: Int { offsets.count }

    /// Fails on text containing NUL, which PostgreSQL's text cannot store (and which would
    /// otherwise end the C string early: silent truncation).
    init(_ values: [DatabaseValue], sql: String, connection: PostgreSQLConnection?) throws {
        offsets.reserveCapacity(values.count)
        for (index, value) in values.enumerated() {
            switch value {
            case .null:
                offsets.append(nil)
                lengths.append(0)
                formats.append(0)
                types.append(0)
            case .integer(let v):
                appendText(String(v))
            case .real(let v):
                appendText(Self.text(of: v))
            case .text(let v):
                if v.utf8.contains(0) {
                    throw DatabaseError(sqlState: "22021",
                                        message: "parameter $\(index + 1) is text containing a NUL character, which PostgreSQL text cannot store",
                                        sql: sql, host: connection?.host, port: connection?.port, database: connection?.database)
                }
                appendText(v)
            case .blob(let v):
                offsets.append(bytes.count)
                bytes.append(contentsOf: v)
                lengths.append(Int32(v.count))
                formats.append(1)
                types.append(PostgreSQLType.bytea)
            }
        }
        // A byte past the end: an empty blob's offset still points into the buffer.
        bytes.append(0)
    }

    private mutating func appendText(_ text: String) {
        offsets.append(bytes.count)
        bytes.append(contentsOf: text.utf8)
        bytes.append(0)
        lengths.append(0)
        formats.append(0)
        types.append(0)
    }

    /// A Double as PostgreSQL reads it back to the same value: Swift's shortest round-trip
    /// decimal, and PostgreSQL's spellings of the non-finite values.
    static func text(of value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        return "\(value)"
    }

    /// Calls `body` with the C arrays libpq takes; the pointers live only during the call.
    func withArrays<R>(_ body: (_ values: UnsafePointer<UnsafePointer<CChar>?>?, _ lengths: UnsafePointer<Int32>?,
                                _ formats: UnsafePointer<Int32>?, _ types: UnsafePointer<Oid>?) throws -> R) rethrows -> R {
        try bytes.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress!)
            let pointers: [UnsafePointer<CChar>?] = offsets.map { offset in
                offset.map { base.advanced(by: $0).assumingMemoryBound(to: CChar.self) }
            }
            return try pointers.withUnsafeBufferPointer { values in
                try lengths.withUnsafeBufferPointer { lengths in
                    try formats.withUnsafeBufferPointer { formats in
                        try types.withUnsafeBufferPointer { types in
                            try body(values.baseAddress, lengths.baseAddress, formats.baseAddress, types.baseAddress)
                        }
                    }
                }
            }
        }
    }
}

/// The type OIDs of PostgreSQL's built-in types that the client reads or writes (pg_type.oid,
/// fixed for built-in types).
enum PostgreSQLType {
    static let bool: Oid = 16
    static let bytea: Oid = 17
    static let name: Oid = 19
    static let int8: Oid = 20
    static let int2: Oid = 21
    static let int4: Oid = 23
    static let text: Oid = 25
    static let oid: Oid = 26
    static let json: Oid = 114
    static let float4: Oid = 700
    static let float8: Oid = 701
    static let bpchar: Oid = 1042
    static let varchar: Oid = 1043
    static let numeric: Oid = 1700
    static let jsonb: Oid = 3802
}
