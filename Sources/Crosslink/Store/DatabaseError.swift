import CSQLite

/// An error reported by SQLite, with everything needed to understand it without a debugger:
/// the primary and extended result codes, SQLite's message, and the SQL that failed.
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
    /// SQLite's message (`sqlite3_errmsg`) or ours when the failure is detected before SQLite.
    public let message: String
    /// The SQL being prepared or run, when there is one.
    public let sql: String?
    /// The database file the connection was opened on.
    public let path: String?

    public init(extendedResultCode: Int32, message: String, sql: String? = nil, path: String? = nil) {
        self.extendedResultCode = extendedResultCode
        self.message = message
        self.sql = sql
        self.path = path
    }

    public var description: String {
        var text = "SQLite error \(resultCode)"
        if extendedResultCode != resultCode { text += " (extended \(extendedResultCode))" }
        text += ": \(message)"
        if let path { text += " — database \(path)" }
        if let sql { text += " — while executing `\(sql.trimmingCharacters(in: .whitespacesAndNewlines))`" }
        return text
    }

    /// True for SQLITE_BUSY and SQLITE_LOCKED: another connection holds the lock.
    public var isBusy: Bool { resultCode == SQLITE_BUSY || resultCode == SQLITE_LOCKED }
}

import Foundation
