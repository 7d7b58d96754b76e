import CPostgreSQL

extension PostgreSQLConnection {
    /// Bulk-loads `rows` into `table(columns)` with `COPY … FROM STDIN (FORMAT binary)`: no SQL
    /// parsing per row and no text conversion of numbers on the server. Each value is encoded
    /// in the binary format of its column's type, looked up once per copy: integer types,
    /// float4/float8, bool, bytea, text-like types (text, varchar, char, name) and json/jsonb.
    /// A value that does not fit its column (text in an integer column, a fraction in an
    /// integer, a row with the wrong number of values) aborts the whole copy: nothing is
    /// written, and the error names the row (1-based), the column and the value.
    ///
    /// Returns the number of rows copied.
    @discardableResult
    func copyIn(table: String, columns: [String], rows: some Sequence<[DatabaseValue]>) throws -> Int {
        let quotedTable = try quoteIdentifier(table)
        let quotedColumns = try columns.map { try quoteIdentifier($0) }.joined(separator: ", ")
        let copySQL = "COPY \(quotedTable) (\(quotedColumns)) FROM STDIN (FORMAT binary)"
        // The column types, from a query that returns none of the rows.
        let shape = try query("SELECT \(quotedColumns) FROM \(quotedTable) LIMIT 0")
        let encoders = try (0..<columns.count).map { index in
            let type = shape.columnType(at: index)
            guard let encoder = try PostgreSQLCopyEncoder(type: type) ?? PostgreSQLCopyEncoder(type: textualBaseType(of: type)) else {
                throw DatabaseError(sqlState: "0A000",
                                    message: "COPY binary cannot encode column \(columns[index]) of \(table): its type (OID \(type)) is not one of integer, real, boolean, text, bytea or json",
                                    sql: copySQL, host: host, port: port, database: database)
            }
            return encoder
        }

        let handle = try openHandle(sql: copySQL)
        let start = PQexec(handle, copySQL)
        guard let start, PQresultStatus(start) == PGRES_COPY_IN else {
            _ = try checked(start, sql: copySQL)  // throws the error the result carries
            throw lastError(sql: copySQL)
        }
        PQclear(start)

        var buffer: [UInt8] = []
        buffer.reserveCapacity(Self.copyChunkSize + 4096)
        // Signature, flags (no OIDs), header extension length.
        buffer.append(contentsOf: Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00])
        buffer.appendBigEndian(Int32(0))
        buffer.appendBigEndian(Int32(0))

        var rowNumber = 0
        do {
            for row in rows {
                rowNumber += 1
                guard row.count == columns.count else {
                    throw copyError("row \(rowNumber) has \(row.count) values for \(columns.count) columns", sql: copySQL)
                }
                buffer.appendBigEndian(Int16(columns.count))
                for (index, value) in row.enumerated() {
                    do {
                        try encoders[index].append(value, to: &buffer)
                    } catch let problem as PostgreSQLCopyEncoder.Problem {
                        throw copyError("row \(rowNumber), column \(columns[index]): \(problem.message) (value \(value))", sql: copySQL)
                    }
                }
                if buffer.count >= Self.copyChunkSize {
                    try send(buffer, handle: handle, sql: copySQL)
                    buffer.removeAll(keepingCapacity: true)
                }
            }
            buffer.appendBigEndian(Int16(-1))
            try send(buffer, handle: handle, sql: copySQL)
        } catch let error as DatabaseError {
            // Abort: the server discards every row of this COPY.
            if PQstatus(handle) == CONNECTION_OK {
                _ = PQputCopyEnd(handle, "aborted by the client")
                while let result = PQgetResult(handle) { PQclear(result) }
            }
            throw error
        }

        guard PQputCopyEnd(handle, nil) == 1 else { throw lastError(sql: copySQL) }
        var copied = 0
        var failure: DatabaseError?
        while let result = PQgetResult(handle) {
            if PQresultStatus(result) == PGRES_COMMAND_OK {
                copied = Int(String(cString: PQcmdTuples(result))) ?? rowNumber
                PQclear(result)
            } else {
                do { _ = try checked(result, sql: copySQL) } catch let error as DatabaseError {
                    if failure == nil { failure = error }
                }
            }
        }
        if let failure { throw failure }
        return copied
    }

    /// The type whose binary form `type`'s receive function reads, for the types the encoder
    /// does not know by OID: a domain's base type, and text for citext (an extension type, its
    /// OID differs per database; citextrecv reads text's binary form).
    private func textualBaseType(of type: Oid) throws -> Oid {
        let result = try query("SELECT CASE WHEN typname = 'citext' THEN 25 ELSE typbasetype END FROM pg_type WHERE oid = $1", [.integer(Int64(type))])
        guard result.rowCount == 1, let base = Oid(result.text(row: 0, column: 0)), base != 0 else { return type }
        return base
    }

    /// Bytes per `PQputCopyData` call: large enough that the call overhead vanishes, small
    /// enough not to hold a big batch in memory twice.
    static let copyChunkSize = 256 * 1024

    private func send(_ buffer: [UInt8], handle: OpaquePointer, sql: String) throws {
        let sent = buffer.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { PQputCopyData(handle, $0.baseAddress, Int32($0.count)) }
        }
        guard sent == 1 else { throw lastError(sql: sql) }
    }

    private func copyError(_ message: String, sql: String) -> DatabaseError {
        // 22P04 bad_copy_file_format: the data, not the statement, is wrong.
        DatabaseError(sqlState: "22P04", message: "cannot copy into the table: \(message)",
                      sql: sql, host: host, port: port, database: database)
    }

    /// `name` as a quoted SQL identifier (`PQescapeIdentifier`): user text never becomes SQL.
    func quoteIdentifier(_ name: String) throws -> String {
        let handle = try openHandle(sql: nil)
        let bytes = Array(name.utf8)
        guard let quoted = bytes.withUnsafeBufferPointer({ buffer in
            buffer.withMemoryRebound(to: CChar.self) { PQescapeIdentifier(handle, $0.baseAddress, $0.count) }
        }) else {
            throw DatabaseError(sqlState: "42602", message: "invalid identifier \(String(reflecting: name)): \(Self.oneLine(String(cString: PQerrorMessage(handle))))",
                                host: host, port: port, database: database)
        }
        defer { PQfreemem(quoted) }
        return String(cString: quoted)
    }
}

/// Writes one value in the binary COPY format of a column type: a 4-byte big-endian length
/// (-1 for NULL), then the value's bytes as the type's `send` function would produce them.
struct PostgreSQLCopyEncoder {
    struct Problem: Error {
        let message: String
    }

    private enum Kind { case int2, int4, int8, float4, float8, bool, bytea, text, jsonb }
    private let kind: Kind

    init?(type: Oid) {
        switch type {
        case PostgreSQLType.int2: kind = .int2
        case PostgreSQLType.int4: kind = .int4
        case PostgreSQLType.int8: kind = .int8
        case PostgreSQLType.float4: kind = .float4
        case PostgreSQLType.float8: kind = .float8
        case PostgreSQLType.bool: kind = .bool
        case PostgreSQLType.bytea: kind = .bytea
        case PostgreSQLType.text, PostgreSQLType.varchar, PostgreSQLType.bpchar, PostgreSQLType.name, PostgreSQLType.json: kind = .text
        case PostgreSQLType.jsonb: kind = .jsonb
        default: return nil
        }
    }

    func append(_ value: DatabaseValue, to buffer: inout [UInt8]) throws {
        if case .null = value {
            buffer.appendBigEndian(Int32(-1))
            return
        }
        switch kind {
        case .int2:
            let v = try integer(value)
            guard let narrow = Int16(exactly: v) else { throw Problem(message: "out of range for smallint") }
            buffer.appendBigEndian(Int32(2)); buffer.appendBigEndian(narrow)
        case .int4:
            let v = try integer(value)
            guard let narrow = Int32(exactly: v) else { throw Problem(message: "out of range for integer") }
            buffer.appendBigEndian(Int32(4)); buffer.appendBigEndian(narrow)
        case .int8:
            buffer.appendBigEndian(Int32(8)); buffer.appendBigEndian(try integer(value))
        case .float4:
            buffer.appendBigEndian(Int32(4)); buffer.appendBigEndian(Float(try real(value)).bitPattern)
        case .float8:
            buffer.appendBigEndian(Int32(8)); buffer.appendBigEndian(try real(value).bitPattern)
        case .bool:
            let v = try integer(value)
            guard v == 0 || v == 1 else { throw Problem(message: "a boolean must be 0 or 1") }
            buffer.appendBigEndian(Int32(1)); buffer.append(UInt8(v))
        case .bytea:
            let bytes: [UInt8]
            switch value {
            case .blob(let v): bytes = v
            case .text(let v): bytes = Array(v.utf8)
            default: throw Problem(message: "a bytea column takes a blob or text")
            }
            buffer.appendBigEndian(Int32(bytes.count)); buffer.append(contentsOf: bytes)
        case .text, .jsonb:
            let text = try self.text(value)
            let prefix = kind == .jsonb ? 1 : 0  // jsonb's binary format: version 1, then the text
            buffer.appendBigEndian(Int32(text.utf8.count + prefix))
            if kind == .jsonb { buffer.append(1) }
            buffer.append(contentsOf: text.utf8)
        }
    }

    private func integer(_ value: DatabaseValue) throws -> Int64 {
        switch value {
        case .integer(let v): return v
        case .real(let v):
            guard let exact = Int64(exactly: v) else { throw Problem(message: "not an integer") }
            return exact
        case .text(let v):
            guard let parsed = Int64(v) else { throw Problem(message: "text that is not an integer") }
            return parsed
        default: throw Problem(message: "a blob in an integer column")
        }
    }

    private func real(_ value: DatabaseValue) throws -> Double {
        switch value {
        case .integer(let v): return Double(v)
        case .real(let v): return v
        case .text(let v):
            guard let parsed = Double(v) else { throw Problem(message: "text that is not a number") }
            return parsed
        default: throw Problem(message: "a blob in a real column")
        }
    }

    private func text(_ value: DatabaseValue) throws -> String {
        switch value {
        case .text(let v):
            guard !v.utf8.contains(0) else { throw Problem(message: "text containing a NUL character, which PostgreSQL text cannot store") }
            return v
        case .integer(let v): return String(v)
        case .real(let v): return PostgreSQLParameters.text(of: v)
        default: throw Problem(message: "a blob in a text column")
        }
    }
}

extension [UInt8] {
    mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }
}
