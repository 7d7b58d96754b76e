import CSQLite

/// An error reported by the database engine, with everything needed to understand it without a
/// debugger: the result codes, the engine's message, the SQL that failed and the database.
///
/// SQLite errors carry SQLite's primary and extended result codes. PostgreSQL errors carry the
/// server's SQLSTATE (``sqlState``) and the host, port and database of the connection; their
/// ``extendedResultCode`` is the SQLite code of the same kind of failure (23505 unique violation
/// is 2067 SQLITE_CONSTRAINT_UNIQUE, a serialization failure is SQLITE_BUSY, a lost connection is
/// SQLITE_IOERR), so a check written for one engine holds for the other.
///
/// ```swift
/// do { try db.execute("INSERT INTO products(sku) VALUES (?)", ["24-MB01"]) }
/// catch let error as DatabaseError where error.resultCode == SQLITE_CONSTRAINT {
///     print(error)  // SQLite error 19 (extended 2067): UNIQUE constraint failed: products.sku — while executing `INSERT ...`
/// }
/// ```
public struct DatabaseError: CrosslinkError, Equatable {
    /// The primary result code (the low 8 bits of `extendedResultCode`), e.g. 19 = SQLITE_CONSTRAINT.
    public var resultCode: Int32 { extendedResultCode & 0xFF }
    /// The extended result code, e.g. 2067 = SQLITE_CONSTRAINT_UNIQUE.
    public let extendedResultCode: Int32
    /// The engine's message (`sqlite3_errmsg`, PostgreSQL's primary message and detail) or ours
    /// when the failure is detected before the engine.
    public let message: String
    /// The SQL being prepared or run, when there is one.
    public let sql: String?
    /// The database file the connection was opened on (SQLite).
    public let path: String?
    /// PostgreSQL's five-character SQLSTATE, e.g. "23505"; nil for SQLite.
    public let sqlState: String?
    /// The PostgreSQL server's host (a name, an address or a Unix socket directory); nil for SQLite.
    public let host: String?
    /// The PostgreSQL server's port; nil for SQLite.
    public let port: String?
    /// The PostgreSQL database name; nil for SQLite.
    public let database: String?

    public init(extendedResultCode: Int32, message: String, sql: String? = nil, path: String? = nil) {
        self.extendedResultCode = extendedResultCode
        self.message = message
        self.sql = sql
        self.path = path
        self.sqlState = nil
        self.host = nil
        self.port = nil
        self.database = nil
    }

    /// A PostgreSQL error. `extendedResultCode` defaults to the SQLite code of the same kind of
    /// failure (``sqliteResultCode(forSQLState:)``).
    public init(sqlState: String, message: String, sql: String? = nil,
                host: String? = nil, port: String? = nil, database: String? = nil,
                extendedResultCode: Int32? = nil) {
        self.extendedResultCode = extendedResultCode ?? Self.sqliteResultCode(forSQLState: sqlState)
        self.message = message
        self.sql = sql
        self.path = nil
        self.sqlState = sqlState
        self.host = host
        self.port = port
        self.database = database
    }

    public var description: String {
        var text: String
        if let sqlState {
            text = "PostgreSQL error \(sqlState)"
            if let name = Self.sqlStateNames[sqlState] { text += " \(name)" }
        } else {
            text = "SQLite error \(resultCode)"
            if extendedResultCode != resultCode { text += " (extended \(extendedResultCode))" }
        }
        text += ": \(message)"
        if let path { text += " — database \(path)" }
        // Said once: a connection failure's message already names the place.
        if sqlState != nil, let place = Self.serverPlace(database: database, host: host, port: port), !message.contains(place) {
            text += " — \(place)"
        }
        if let sql { text += " — while executing `\(sql.trimmingCharacters(in: .whitespacesAndNewlines))`" }
        return text
    }

    /// "database shop on host /tmp port 5433", with whatever parts are known.
    static func serverPlace(database: String?, host: String?, port: String?) -> String? {
        var parts: [String] = []
        if let database { parts.append("database \(database)") }
        if let host, !host.isEmpty { parts.append("\(parts.isEmpty ? "" : "on ")host \(host)") }
        if let port, !port.isEmpty { parts.append("port \(port)") }
        return parts.isEmpty ? nil : parts.joined(separator: " ")
    }

    /// True for SQLITE_BUSY and SQLITE_LOCKED: another connection holds the lock (for
    /// PostgreSQL: a serialization failure, a deadlock or a lock not available).
    public var isBusy: Bool { resultCode == SQLITE_BUSY || resultCode == SQLITE_LOCKED }
}

import Foundation
