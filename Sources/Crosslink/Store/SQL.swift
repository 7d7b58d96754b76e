import CSQLite

/// SQL text and the values it binds, composed by string interpolation, like GRDB's `SQL`
/// literal: interpolating a value appends a parameter and records the value, so every value
/// reaches SQLite bound and no text of a request ever becomes SQL.
///
/// ```swift
/// let sku = "O'Brien"
/// let ids = [3, 5, 8]
/// var query: SQL = "SELECT product_id FROM products WHERE sku = \(sku)"
/// query += " OR product_id IN \(list: ids)"   // (SELECT value FROM json_each(?)), one bound JSON array
/// let rows = try db.rows(query)
/// ```
///
/// Trusted fragments are spelled out: `\(sql: other)` appends another `SQL` with its values,
/// `\(literal: text)` appends SQL text that the program itself wrote (a whitelisted column, a
/// number of ours) — never text of a request.
///
/// Two slots serve statements that are built once and run many times (recommendations, rule
/// candidates, page roll-ups): `\(parameter: "store")` is a named value supplied at each run
/// (one parameter however often it appears), and `\(condition: "d.product_id")` marks where an
/// optional condition on a candidate id goes (a unit's filter, ``CandidateFilter``): it renders
/// as nothing without one, or as `AND <condition>` with ``SQL/conditionColumn`` replaced by the
/// slot's column. Parameters are numbered by ``rendered(condition:engine:)`` alone, in order of
/// appearance, so two parts can never claim the same number; no text is edited once rendered.
public struct SQL: Sendable {
    enum Element: Sendable {
        case text(String)
        /// A value bound in place.
        case value(DatabaseValue)
        /// A named value supplied when the statement runs.
        case parameter(String)
        /// Where an optional condition on the column goes.
        case condition(column: String)
        /// Inside a condition: the column of the slot it fills.
        case column
        /// Text that differs between the engines (a list, a function SQLite and PostgreSQL spell
        /// differently), chosen when rendered.
        case engineText(sqlite: String, postgreSQL: String)
    }

    private(set) var elements: [Element]

    init(elements: [Element]) { self.elements = elements }

    /// SQL text written by the program (not by a request), without values.
    public init(sql: String) { elements = sql.isEmpty ? [] : [.text(sql)] }

    /// A condition's stand-in for the id column of the slot it fills (see ``SQL``).
    public static let conditionColumn = SQL(elements: [.column])

    public var isEmpty: Bool { elements.isEmpty }

    // MARK: Concatenation

    public mutating func append(_ other: SQL) {
        for element in other.elements { append(element) }
    }

    /// Appends program-written SQL text.
    public mutating func append(literal text: String) { append(.text(text)) }

    mutating func append(_ element: Element) {
        // Adjacent text is merged: a template renders faster, and its elements stay few.
        if case .text(let text) = element, case .text(let previous)? = elements.last {
            elements[elements.count - 1] = .text(previous + text)
        } else if case .text(let text) = element, text.isEmpty {
            return
        } else {
            elements.append(element)
        }
    }

    public static func + (lhs: SQL, rhs: SQL) -> SQL {
        var result = lhs
        result.append(rhs)
        return result
    }

    public static func += (lhs: inout SQL, rhs: SQL) { lhs.append(rhs) }

    // MARK: Rendering

    /// Where one parameter's value comes from.
    public enum Binding: Sendable, Equatable {
        /// A value of the SQL itself.
        case value(DatabaseValue)
        /// The named value supplied at run time.
        case parameter(String)
        /// The condition's value number `n` (0-based, in the condition's own order).
        case conditionValue(Int)
    }

    /// The final text and, for each parameter 1…n, where its value comes from. Values render as
    /// `?N` and named parameters as `:name`, numbered in order of first appearance — the
    /// numbers SQLite gives them — so a statement can be reproduced in the sqlite3 shell with
    /// `.parameter set`.
    public struct Rendered: Sendable {
        public let text: String
        public let bindings: [Binding]

        /// The parameter name each binding has in ``text`` (`:store`, `?7`).
        public var parameterNames: [String] {
            bindings.enumerated().map { index, binding in
                if case .parameter(let name) = binding { ":" + name } else { "?\(index + 1)" }
            }
        }

        /// The values in parameter order, when the SQL has no named parameter nor condition.
        public var values: [DatabaseValue]? {
            var values: [DatabaseValue] = []
            values.reserveCapacity(bindings.count)
            for binding in bindings {
                guard case .value(let value) = binding else { return nil }
                values.append(value)
            }
            return values
        }
    }

    /// Renders the text once for `engine`, with `condition` (if any) in every condition slot.
    public func rendered(condition: SQL? = nil, engine: DatabaseEngine = .sqlite) -> Rendered {
        var text = ""
        var bindings: [Binding] = []
        var named: [String: Int] = [:]
        func add(_ element: Element, column: String?, conditionIndex: inout Int) {
            switch element {
            case .text(let sql):
                text += sql
            case .value(let value):
                bindings.append(column == nil ? .value(value) : .conditionValue(conditionIndex))
                if column != nil { conditionIndex += 1 }
                text += "?\(bindings.count)"
            case .parameter(let name):
                if named[name] == nil {
                    bindings.append(.parameter(name))
                    named[name] = bindings.count
                }
                text += ":" + name
            case .condition(let slotColumn):
                guard let condition, column == nil else { return }
                text += "AND "
                var index = 0
                for inner in condition.elements { add(inner, column: slotColumn, conditionIndex: &index) }
            case .column:
                text += column ?? ""
            case .engineText(let sqlite, let postgreSQL):
                text += engine == .sqlite ? sqlite : postgreSQL
            }
        }
        var none = 0
        for element in elements { add(element, column: nil, conditionIndex: &none) }
        return Rendered(text: text, bindings: bindings)
    }

    /// The values of the SQL in order (a condition's values, bound per run).
    public var values: [DatabaseValue] {
        elements.compactMap { if case .value(let value) = $0 { value } else { nil } }
    }

    /// The text with `?` for values: equal for two SQL values of the same shape (a filter's
    /// cache key).
    public var shape: String {
        elements.reduce(into: "") { text, element in
            switch element {
            case .text(let sql): text += sql
            case .value: text += "?"
            case .parameter(let name): text += ":" + name
            case .condition(let column): text += "/*condition " + column + "*/"
            case .column: text += "/*column*/"
            case .engineText(let sqlite, let postgreSQL): text += sqlite + "/*|*/" + postgreSQL
            }
        }
    }
}

extension SQL: ExpressibleByStringInterpolation {
    public init(stringLiteral value: String) { self.init(sql: value) }

    public init(stringInterpolation: Interpolation) { self = stringInterpolation.sql }

    /// The interpolations of ``SQL``: a value binds; text must say it is SQL.
    public struct Interpolation: StringInterpolationProtocol {
        var sql = SQL(elements: [])

        public init(literalCapacity: Int, interpolationCount: Int) {}

        public mutating func appendLiteral(_ literal: String) { sql.append(.text(literal)) }

        /// A value: a bound parameter.
        public mutating func appendInterpolation<Value: DatabaseValueConvertible>(_ value: Value) {
            sql.append(.value(value.databaseValue))
        }

        /// Another SQL with its values.
        public mutating func appendInterpolation(sql other: SQL) { sql.append(other) }

        /// SQL text the program wrote (a whitelisted identifier, a number of ours).
        public mutating func appendInterpolation(literal text: String) { sql.append(.text(text)) }

        /// A value supplied by name when the statement runs (see ``SQL``).
        public mutating func appendInterpolation(parameter name: String) { sql.append(.parameter(name)) }

        /// Product (or other) ids as one bound JSON array: `(SELECT value FROM json_each(?))`.
        /// The text is the same for any number of ids, so the statement is prepared once.
        public mutating func appendInterpolation(list ids: [Int]) {
            sql.append(SQL.idList(.value(.jsonArray(ids))))
        }

        /// Text as SQLite spells it and as PostgreSQL does, chosen when rendered.
        public mutating func appendInterpolation(sqlite: String, postgreSQL: String) {
            sql.append(.engineText(sqlite: sqlite, postgreSQL: postgreSQL))
        }

        /// The ids of the JSON array (`[3,5,8]`) bound to the named parameter `name`, as a
        /// subquery of one `value` column (see ``TemplateStatement/bind(ids:_:)``).
        public mutating func appendInterpolation(idList name: String) {
            sql.append(SQL.idList(.parameter(name)))
        }

        /// The texts of the JSON array (`["a","b"]`) bound to the named parameter `name`, as a
        /// subquery of one `value` column.
        public mutating func appendInterpolation(textList name: String) {
            sql.append(SQL.list(.parameter(name), postgreSQLValue: "value"))
        }

        /// Where an optional condition on `column` goes (see ``SQL``).
        public mutating func appendInterpolation(condition column: String) { sql.append(.condition(column: column)) }
    }

    /// The current UTC time as the stored text 'YYYY-MM-DDTHH:MM:SSZ' (the time columns' default).
    static let utcNow: SQL = "\(sqlite: "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')", postgreSQL: #"to_char(statement_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"#)"

    /// `CROSS JOIN` on SQLite, where it fixes the join order (the left table is scanned first),
    /// for a join with an `ON` condition; PostgreSQL plans joins from its statistics and refuses
    /// `ON` after `CROSS JOIN`, so there it is a plain `JOIN`.
    public static let orderedJoin = SQL(elements: [.engineText(sqlite: "CROSS JOIN", postgreSQL: "JOIN")])

    /// `(SELECT value FROM json_each(<array>))`. PostgreSQL reads the same bound JSON text of
    /// integers as a bigint array (`[1,2]` → `{1,2}`) and unnests it: the planner knows how many
    /// ids `unnest` yields (from the value, or 10 in a generic plan), while it takes any
    /// `jsonb_array_elements_text` for 100 rows, which made it scan whole tables (every product)
    /// where a few index lookups were needed.
    static func idList(_ array: Element) -> SQL {
        var sql = SQL(elements: [])
        sql.append(.engineText(sqlite: "(SELECT value FROM json_each(",
                               postgreSQL: "(SELECT value FROM unnest(CAST(translate(CAST("))
        sql.append(array)
        sql.append(.engineText(sqlite: "))", postgreSQL: " AS text), '[]', '{}') AS bigint[])) AS list(value))"))
        return sql
    }

    static func list(_ array: Element, postgreSQLValue: String) -> SQL {
        var sql = SQL(elements: [])
        sql.append(.engineText(sqlite: "(SELECT value FROM json_each(",
                               postgreSQL: "(SELECT \(postgreSQLValue) FROM jsonb_array_elements_text(CAST("))
        sql.append(array)
        sql.append(.engineText(sqlite: "))", postgreSQL: " AS jsonb)) AS list(value))"))
        return sql
    }

}

extension SQL: CustomStringConvertible {
    /// The rendered text (for messages and tests).
    public var description: String { rendered().text }
}

extension Array where Element == SQL {
    /// The SQL values joined by `separator` (program-written text).
    public func joined(separator: String) -> SQL {
        var result = SQL(elements: [])
        for (index, sql) in enumerated() {
            if index > 0 { result.append(literal: separator) }
            result.append(sql)
        }
        return result
    }
}

extension DatabaseValue {
    /// Ids as the text of a JSON array (`[3,5,8]`), for `json_each(?)`: one bound value instead
    /// of a parameter per id, so the statement text does not depend on the count.
    public static func jsonArray(_ ids: [Int]) -> DatabaseValue { .text(jsonArrayText(ids)) }

    /// The text of ``jsonArray(_:)``.
    public static func jsonArrayText(_ ids: [Int]) -> String {
        var text = "["
        text.reserveCapacity(ids.count * 6 + 2)
        for (index, id) in ids.enumerated() {
            if index > 0 { text += "," }
            text += String(id)
        }
        return text + "]"
    }
}

// MARK: Running SQL values

extension Statement {
    /// Resets, then binds the parameters of `rendered`: named ones from `parameters` (a name
    /// missing there binds NULL), a condition's from `condition` (the condition of the same
    /// shape the text was rendered with).
    public func bind(_ rendered: SQL.Rendered, parameters: [(name: String, value: DatabaseValue)] = [],
                     conditionValues: [DatabaseValue] = []) throws {
        reset()
        let expected = parameterCount
        guard rendered.bindings.count == expected else {
            throw DatabaseError(extendedResultCode: SQLITE_RANGE,
                                message: "statement expects \(expected) argument(s), its SQL has \(rendered.bindings.count)",
                                sql: sql, path: database.path)
        }
        for (offset, binding) in rendered.bindings.enumerated() {
            let index = Int32(offset + 1)
            switch binding {
            case .value(let value):
                try bind(value, at: index)
            case .parameter(let name):
                try bind(parameters.first(where: { $0.name == name })?.value ?? .null, at: index)
            case .conditionValue(let number):
                guard number < conditionValues.count else {
                    throw DatabaseError(extendedResultCode: SQLITE_RANGE,
                                        message: "condition value \(number + 1) missing (\(conditionValues.count) given)",
                                        sql: sql, path: database.path)
                }
                try bind(conditionValues[number], at: index)
            }
        }
    }
}

extension Database {
    /// The text of `sql` for this connection's engine, for a statement the caller prepares once
    /// and binds by number at each run (`?1` written in the text, `:name` parameters numbered
    /// after them as SQLite numbers them).
    public func text(of sql: SQL) -> String { sql.rendered(engine: engine).text }

    /// The cached statement of `sql` with its values bound, for the runners below only: a
    /// caller given it could rebind it with `execute()` and lose the values. Named parameters
    /// and conditions are for statements built once (see ``SQLTemplate``): here they bind NULL.
    private func boundStatement(_ sql: SQL) throws -> Statement {
        let rendered = sql.rendered(engine: engine)
        let statement = try cachedStatement(rendered.text)
        try statement.bind(rendered)
        return statement
    }

    /// Runs one statement (cached) with its values bound.
    public func execute(_ sql: SQL) throws {
        let statement = try boundStatement(sql)
        defer { statement.reset() }
        while try statement.step() {}
    }

    /// All rows as values, for small results (tests, inspection).
    public func rows(_ sql: SQL) throws -> [[DatabaseValue]] {
        let statement = try boundStatement(sql)
        defer { statement.reset() }
        var rows: [[DatabaseValue]] = []
        while try statement.step() { rows.append((0..<statement.columnCount).map { statement.value(at: $0) }) }
        return rows
    }

    /// Maps each row of `sql`.
    public func map<T>(_ sql: SQL, _ transform: (Statement) throws -> T) throws -> [T] {
        let statement = try boundStatement(sql)
        defer { statement.reset() }
        var result: [T] = []
        while try statement.step() { result.append(try transform(statement)) }
        return result
    }

    public func scalarInt(_ sql: SQL) throws -> Int? {
        let statement = try boundStatement(sql)
        defer { statement.reset() }
        return try statement.step() ? statement.optionalInt(at: 0) : nil
    }

    public func scalarText(_ sql: SQL) throws -> String? {
        let statement = try boundStatement(sql)
        defer { statement.reset() }
        return try statement.step() ? statement.optionalText(at: 0) : nil
    }
}

// MARK: Statements built once

/// An ``SQL`` built once and run many times (a recommendation type's query, a compiled rule):
/// each connection renders and prepares it once per condition shape (``Database/statement(_:condition:)``)
/// and then only binds. Its identity is the cache key, so its text is never hashed per run.
public final class SQLTemplate: Sendable {
    public let sql: SQL
    /// The rendering without a condition.
    public let plain: SQL.Rendered

    public init(_ sql: SQL) {
        self.sql = sql
        self.plain = sql.rendered()
    }
}

/// A condition for the slots of an ``SQLTemplate`` (``SQL/Interpolation/appendInterpolation(condition:)``),
/// with its shape computed once: templates rendered with conditions of equal shape share a statement.
public struct SQLCondition: Sendable {
    public let sql: SQL
    let shape: String
    let values: [DatabaseValue]

    public init(_ sql: SQL) {
        self.sql = sql
        self.shape = sql.shape
        self.values = sql.values
    }
}

/// The prepared statement of a template with the template's and the condition's values bound;
/// the caller binds the named parameters (typed binds, by name) and steps.
public struct TemplateStatement {
    public let statement: Statement
    public let rendered: SQL.Rendered

    /// The number of the named parameter `name` (0 when the SQL does not use it: binding it is a no-op).
    public func index(_ name: String) -> Int32 {
        Int32((rendered.bindings.firstIndex(of: .parameter(name)) ?? -1) + 1)
    }

    public func bind(_ value: Int, _ name: String) { statement.bind(value, at: index(name)) }
    public func bind(_ value: String, _ name: String) { statement.bind(value, at: index(name)) }
    public func bind(_ value: Double?, _ name: String) { statement.bind(value, at: index(name)) }
    public func bind(_ value: DatabaseValue, _ name: String) throws {
        let index = index(name)
        if index > 0 { try statement.bind(value, at: index) }
    }
    /// Binds ids as one JSON array (for `json_each(:name)`).
    public func bind(ids: [Int], _ name: String) { bind(DatabaseValue.jsonArrayText(ids), name) }
}

/// Each connection's renderings of templates: (template, condition shape) → text, bindings,
/// statement. A template is held while cached, so its identity cannot be reused by another.
final class TemplateStatements {
    private struct Key: Hashable {
        let template: ObjectIdentifier
        let shape: String
    }

    private var entries: [Key: (template: SQLTemplate, rendered: SQL.Rendered, statement: Statement)] = [:]

    func statement(_ template: SQLTemplate, condition: SQLCondition?, in db: Database) throws -> TemplateStatement {
        let key = Key(template: ObjectIdentifier(template), shape: condition?.shape ?? "")
        if let hit = entries[key] { return TemplateStatement(statement: hit.statement, rendered: hit.rendered) }
        let rendered = db.engine == .sqlite && condition == nil ? template.plain
            : template.sql.rendered(condition: condition?.sql, engine: db.engine)
        let statement = try db.prepare(rendered.text, persistent: true)
        // Bounded: compiled rules of old generations and rare filter shapes go.
        if entries.count >= 2_048 { entries.removeAll() }
        entries[key] = (template, rendered, statement)
        return TemplateStatement(statement: statement, rendered: rendered)
    }

    func removeAll() { entries.removeAll() }
}

extension Database {
    /// The statement of `template` with `condition` in its slots, prepared once per connection
    /// and shape; reset, with the template's and the condition's values bound and every named
    /// parameter bound to NULL until the caller binds it.
    public func statement(_ template: SQLTemplate, condition: SQLCondition? = nil) throws -> TemplateStatement {
        let prepared = try templateStatements.statement(template, condition: condition, in: self)
        let statement = prepared.statement
        statement.reset()
        let values = condition?.values ?? []
        for (offset, binding) in prepared.rendered.bindings.enumerated() {
            switch binding {
            case .value(let value): try statement.bind(value, at: Int32(offset + 1))
            case .conditionValue(let number): try statement.bind(values[number], at: Int32(offset + 1))
            case .parameter: break
            }
        }
        return prepared
    }
}
