import CPostgreSQL
import CSQLite

/// A statement prepared on the server under a generated name (`crosslink_1`, …), valid on the
/// connection that prepared it until that connection closes or resets.
final class PostgreSQLPreparedStatement {
    let name: String
    let sql: String
    init(name: String, sql: String) {
        self.name = name
        self.sql = sql
    }
}

/// Where a PostgreSQL connection is with respect to transactions (`PQtransactionStatus`).
enum PostgreSQLTransactionStatus: Sendable, Equatable {
    /// No transaction open.
    case idle
    /// A command is running.
    case active
    /// Inside a transaction block.
    case inTransaction
    /// Inside a transaction block that failed: only ROLLBACK is accepted.
    case inError
    /// The connection is broken.
    case unknown
}

/// One connection to a PostgreSQL server through libpq: synchronous, like ``Database`` on
/// SQLite, and like it used by one thread at a time (not Sendable). Statements take `$1…$n`
/// parameters; every value reaches the server as a bound parameter.
///
/// A failure is a ``DatabaseError`` carrying the server's SQLSTATE and this connection's host,
/// port and database. When the server goes away, the call that noticed fails with SQLSTATE
/// 08006 (SQLITE_IOERR) and ``isBroken`` turns true; ``reset()`` reconnects.
final class PostgreSQLConnection {
    /// The connection URI (or `key=value` string) as given.
    let uri: String
    /// Server host as libpq resolved it: a name, an address or a Unix socket directory.
    let host: String
    let port: String
    let database: String
    let user: String

    private var handle: OpaquePointer?
    private var statementCounter = 0

    /// Connects. A URI that libpq cannot parse fails before any connection attempt, quoting
    /// libpq's complaint; a failed connection names the host, port and database it tried.
    init(uri: String) throws {
        self.uri = uri
        var parseError: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(uri, &parseError) else {
            // libpq quotes the whole URI in some messages: password included.
            let reason = parseError.map { Self.redactingPassword(in: Self.oneLine(String(cString: $0)), of: uri) } ?? "out of memory"
            if let parseError { PQfreemem(parseError) }
            throw DatabaseError(sqlState: "08001",
                                message: "invalid PostgreSQL connection URI `\(Self.redactingPassword(uri))`: \(reason)",
                                extendedResultCode: SQLITE_CANTOPEN)
        }
        PQconninfoFree(options)

        let connection = Self.connect(uri)
        host = connection.flatMap { PQhost($0) }.map { String(cString: $0) } ?? ""
        port = connection.flatMap { PQport($0) }.map { String(cString: $0) } ?? ""
        database = connection.flatMap { PQdb($0) }.map { String(cString: $0) } ?? ""
        user = connection.flatMap { PQuser($0) }.map { String(cString: $0) } ?? ""
        guard let connection, PQstatus(connection) == CONNECTION_OK else {
            let reason = connection.map { Self.redactingPassword(in: Self.oneLine(String(cString: PQerrorMessage($0))), of: uri) } ?? "out of memory"
            PQfinish(connection)
            let place = DatabaseError.serverPlace(database: database, host: host, port: port) ?? "database"
            throw DatabaseError(sqlState: "08001", message: "cannot connect to PostgreSQL \(place): \(reason)",
                                host: host, port: port, database: database)
        }
        handle = connection
        // Notices (e.g. "relation already exists, skipping") would go to stderr by default.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        if PQsetClientEncoding(connection, "UTF8") != 0 {
            let error = lastError(sql: nil)
            close()
            throw error
        }
    }

    deinit { close() }

    /// Defaults that the URI (or the PG* environment variables) can override: without a
    /// connect timeout libpq waits for the operating system's TCP timeout (about two minutes
    /// on Linux) when a host does not answer; the application name shows in pg_stat_activity.
    static let defaultOptions = [("connect_timeout", "10"), ("application_name", "crosslink")]

    /// `PQconnectdbParams` with the defaults first and the URI expanded after them: in libpq's
    /// order, what the URI says wins.
    private static func connect(_ uri: String) -> OpaquePointer? {
        var pairs = defaultOptions.filter { ProcessInfo.processInfo.environment[environmentName(of: $0.0)] == nil }
        pairs.append(("dbname", uri))
        let keywords = pairs.map { strdup($0.0) }, values = pairs.map { strdup($0.1) }
        defer { (keywords + values).forEach { free($0) } }
        let keywordPointers = keywords.map { UnsafePointer($0) } + [nil]
        let valuePointers = values.map { UnsafePointer($0) } + [nil]
        return PQconnectdbParams(keywordPointers, valuePointers, 1)
    }

    private static func environmentName(of option: String) -> String {
        option == "connect_timeout" ? "PGCONNECT_TIMEOUT" : "PGAPPNAME"
    }

    /// Closes the connection (`PQfinish`); idempotent.
    func close() {
        guard let handle else { return }
        self.handle = nil
        PQfinish(handle)
    }

    /// True once the server went away (or after ``close()``): every call fails until ``reset()``.
    var isBroken: Bool {
        guard let handle else { return true }
        return PQstatus(handle) != CONNECTION_OK
    }

    /// Reconnects with the same parameters (`PQreset`). Prepared statements do not survive.
    func reset() throws {
        guard let handle else {
            throw DatabaseError(sqlState: "08003", message: "the connection is closed", host: host, port: port, database: database)
        }
        PQreset(handle)
        guard PQstatus(handle) == CONNECTION_OK else {
            throw DatabaseError(sqlState: "08001",
                                message: "cannot reconnect to PostgreSQL \(placeDescription): \(Self.oneLine(String(cString: PQerrorMessage(handle))))",
                                host: host, port: port, database: database)
        }
        PQsetClientEncoding(handle, "UTF8")
    }

    var transactionStatus: PostgreSQLTransactionStatus {
        guard let handle else { return .unknown }
        switch PQtransactionStatus(handle) {
        case PQTRANS_IDLE: return .idle
        case PQTRANS_ACTIVE: return .active
        case PQTRANS_INTRANS: return .inTransaction
        case PQTRANS_INERROR: return .inError
        default: return .unknown
        }
    }

    /// True inside a transaction block, also one that failed and awaits ROLLBACK.
    var isInTransaction: Bool {
        let status = transactionStatus
        return status == .inTransaction || status == .inError
    }

    /// The server's version number, e.g. 150018 for 15.18.
    var serverVersion: Int {
        handle.map { Int(PQserverVersion($0)) } ?? 0
    }

    // MARK: Statements

    /// Runs a script of one or more statements without parameters (`PQexec`). A script of
    /// several statements runs in one implicit transaction unless it contains its own
    /// BEGIN/COMMIT.
    func execute(script: String) throws {
        let handle = try openHandle(sql: script)
        _ = try checked(PQexec(handle, script), sql: script)
    }

    /// Prepares `sql` (with `$1…$n` parameters) on the server under a generated name.
    func prepare(_ sql: String) throws -> PostgreSQLPreparedStatement {
        let handle = try openHandle(sql: sql)
        statementCounter += 1
        let statement = PostgreSQLPreparedStatement(name: "crosslink_\(statementCounter)", sql: sql)
        _ = try checked(PQprepare(handle, statement.name, sql, 0, nil), sql: sql)
        return statement
    }

    /// Forgets a prepared statement on the server (`DEALLOCATE`).
    func deallocate(_ statement: PostgreSQLPreparedStatement) throws {
        // The name is ours ("crosslink_N"), never user text.
        try execute(script: "DEALLOCATE \(statement.name)")
    }

    /// Runs a prepared statement with `parameters` (`PQexecPrepared`).
    @discardableResult
    func run(_ statement: PostgreSQLPreparedStatement, _ parameters: [DatabaseValue] = []) throws -> PostgreSQLResult {
        let handle = try openHandle(sql: statement.sql)
        let bound = try PostgreSQLParameters(parameters, sql: statement.sql, connection: self)
        let result = bound.withArrays { values, lengths, formats, _ in
            PQexecPrepared(handle, statement.name, Int32(bound.count), values, lengths, formats, 0)
        }
        return try checked(result, sql: statement.sql)
    }

    /// Runs `sql` once with `parameters`, without keeping a prepared statement (`PQexecParams`).
    @discardableResult
    func query(_ sql: String, _ parameters: [DatabaseValue] = []) throws -> PostgreSQLResult {
        let handle = try openHandle(sql: sql)
        let bound = try PostgreSQLParameters(parameters, sql: sql, connection: self)
        let result = bound.withArrays { values, lengths, formats, types in
            PQexecParams(handle, sql, Int32(bound.count), types, values, lengths, formats, 0)
        }
        return try checked(result, sql: sql)
    }

    /// Sends every step at once in pipeline mode and then waits for all results: one round
    /// trip for several statements. Until the final sync the steps form one implicit
    /// transaction (unless one is open already), so when one fails the ones after it do not
    /// run and the ones before it are rolled back; the error of the failing step is thrown.
    func pipeline(_ steps: [(PostgreSQLPreparedStatement, [DatabaseValue])]) throws -> [PostgreSQLResult] {
        let handle = try openHandle(sql: steps.first?.0.sql)
        let bounds = try steps.map { try PostgreSQLParameters($0.1, sql: $0.0.sql, connection: self) }
        guard PQenterPipelineMode(handle) == 1 else { throw lastError(sql: steps.first?.0.sql) }
        defer { PQexitPipelineMode(handle) }
        for (index, (statement, _)) in steps.enumerated() {
            let bound = bounds[index]
            let sent = bound.withArrays { values, lengths, formats, _ in
                PQsendQueryPrepared(handle, statement.name, Int32(bound.count), values, lengths, formats, 0)
            }
            guard sent == 1 else { throw lastErrorDrainingPipeline(handle, sql: statement.sql) }
        }
        guard PQpipelineSync(handle) == 1 else { throw lastErrorDrainingPipeline(handle, sql: steps.last?.0.sql) }

        var results: [PostgreSQLResult] = []
        var firstError: DatabaseError?
        for (statement, _) in steps {
            guard let result = PQgetResult(handle) else {
                throw firstError ?? lastError(sql: statement.sql)
            }
            // Each query's results end with a NULL.
            while let extra = PQgetResult(handle) { PQclear(extra) }
            let status = PQresultStatus(result)
            if status == PGRES_PIPELINE_ABORTED {
                PQclear(result)
                if firstError == nil {
                    firstError = DatabaseError(sqlState: "25P02",
                                               message: "not run: an earlier statement of the same pipeline failed",
                                               sql: statement.sql, host: host, port: port, database: database)
                }
                continue
            }
            do {
                results.append(try checked(result, sql: statement.sql))
            } catch let error as DatabaseError {
                if firstError == nil { firstError = error }
            }
        }
        // The sync point's own result.
        while let result = PQgetResult(handle) {
            let status = PQresultStatus(result)
            PQclear(result)
            if status == PGRES_PIPELINE_SYNC { break }
        }
        if let firstError { throw firstError }
        return results
    }

    // MARK: Errors

    /// The handle, or an error when the connection is closed or broken: libpq would only say
    /// "no connection to the server".
    func openHandle(sql: String?) throws -> OpaquePointer {
        guard let handle else {
            throw DatabaseError(sqlState: "08003", message: "the connection is closed",
                                sql: sql, host: host, port: port, database: database)
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            throw DatabaseError(sqlState: "08003",
                                message: "the connection to the server was lost earlier (\(Self.oneLine(String(cString: PQerrorMessage(handle)))))",
                                sql: sql, host: host, port: port, database: database)
        }
        return handle
    }

    /// The result when it succeeded, else the error it carries.
    func checked(_ result: OpaquePointer?, sql: String?) throws -> PostgreSQLResult {
        guard let result else { throw lastError(sql: sql) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_SINGLE_TUPLE:
            return PostgreSQLResult(result)
        case PGRES_COPY_IN, PGRES_COPY_OUT:
            // A COPY … STDIN/STDOUT statement outside copyIn: end the copy so the connection
            // stays usable (nothing is copied in; the rows out are dropped).
            PQclear(result)
            if let handle {
                _ = PQputCopyEnd(handle, "COPY FROM STDIN is not supported here")
                var buffer: UnsafeMutablePointer<CChar>?
                while PQgetCopyData(handle, &buffer, 0) > 0 { PQfreemem(buffer) }
                while let rest = PQgetResult(handle) { PQclear(rest) }
            }
            throw DatabaseError(sqlState: "0A000",
                                message: "COPY … FROM STDIN / TO STDOUT is not supported in a statement: use copyIn(table:columns:rows:)",
                                sql: sql, host: host, port: port, database: database)
        default:
            let error = self.error(from: result, sql: sql)
            PQclear(result)
            throw error
        }
    }

    /// The error an error result describes: its SQLSTATE and primary message (with the
    /// detail, which for a constraint names the key). libpq's own errors carry no SQLSTATE:
    /// a lost connection becomes 08006 connection_failure, anything else XX000.
    func error(from result: OpaquePointer, sql: String?) -> DatabaseError {
        let sqlState = cpostgresql_sqlstate(result).map { String(cString: $0) }
        if sqlState == nil && probeIsBroken() {
            // The server's last words ("FATAL: terminating connection due to administrator
            // command") are in the connection's message only, before libpq's own.
            return lastError(sql: sql)
        }
        let primary = cpostgresql_primary_message(result).map { String(cString: $0) }
        let detail = cpostgresql_detail_message(result).map { String(cString: $0) }
        var message = primary ?? Self.oneLine(String(cString: PQresultErrorMessage(result)))
        if message.isEmpty, let handle { message = Self.oneLine(String(cString: PQerrorMessage(handle))) }
        if let detail, !detail.isEmpty { message += " (\(Self.oneLine(detail)))" }
        return DatabaseError(sqlState: sqlState ?? "XX000", message: message, sql: sql, host: host, port: port, database: database)
    }

    /// The connection's last error (`PQerrorMessage`), for calls that returned no result.
    func lastError(sql: String?) -> DatabaseError {
        let broken = probeIsBroken()
        let message = handle.map { Self.oneLine(String(cString: PQerrorMessage($0))) } ?? "the connection is closed"
        return DatabaseError(sqlState: broken ? "08006" : "XX000", message: message.isEmpty ? "unknown libpq error" : message,
                             sql: sql, host: host, port: port, database: database)
    }

    /// Whether the connection is gone, reading from the socket first: a write to a server that
    /// has gone fails with "server closed the connection unexpectedly" while libpq still
    /// reports CONNECTION_OK until it reads the end of the stream.
    private func probeIsBroken() -> Bool {
        guard let handle else { return true }
        if PQstatus(handle) == CONNECTION_OK && PQisBusy(handle) == 0 {
            _ = PQconsumeInput(handle)
        }
        return PQstatus(handle) != CONNECTION_OK
    }

    private func lastErrorDrainingPipeline(_ handle: OpaquePointer, sql: String?) -> DatabaseError {
        let error = lastError(sql: sql)
        if PQstatus(handle) == CONNECTION_OK {
            // Leave the connection usable: close the pipeline with a sync and read what came
            // back (bounded: each step yields at most a result and a NULL).
            _ = PQpipelineSync(handle)
            for _ in 0..<(2 * 64 + 4) {
                let result = PQgetResult(handle)
                let isSync = result.map { PQresultStatus($0) == PGRES_PIPELINE_SYNC } ?? false
                PQclear(result)
                if isSync || PQstatus(handle) != CONNECTION_OK { break }
            }
        }
        return error
    }

    var placeDescription: String {
        DatabaseError.serverPlace(database: database, host: host, port: port) ?? "database"
    }

    /// libpq's messages end in a newline and may span lines ("FATAL:  …\nDETAIL: …").
    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " ")
    }

    /// The URI with the password between `user:` and `@` replaced, for messages.
    static func redactingPassword(_ uri: String) -> String {
        redactingPassword(in: uri, of: uri)
    }

    /// `text` with every occurrence of the password of `uri` (`scheme://user:password@…`)
    /// replaced by `***`.
    static func redactingPassword(in text: String, of uri: String) -> String {
        guard let scheme = uri.range(of: "://"),
              let at = uri[scheme.upperBound...].firstIndex(of: "@"),
              let colon = uri[scheme.upperBound..<at].firstIndex(of: ":") else { return text }
        let password = String(uri[uri.index(after: colon)..<at])
        guard !password.isEmpty else { return text }
        let masked = text.replacingOccurrences(of: ":" + password + "@", with: ":***@")
        // Elsewhere only a password long enough not to be a common word part ("a", "on").
        return password.count >= 4 ? masked.replacingOccurrences(of: password, with: "***") : masked
    }
}

import Foundation
