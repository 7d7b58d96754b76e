import Foundation
import Testing
@testable import Crosslink

/// The store's `SQL` value: interpolated values bind, fragments compose with their values,
/// parameters are numbered by the renderer alone (no collision whatever the parts), and a
/// condition slot takes a filter without the text being edited.
@Suite struct SQLTests {
    func database() throws -> (TemporaryDirectory, Database) {
        let dir = try TemporaryDirectory()
        let db = try Database(path: dir.path("sql.sqlite"))
        try db.execute(script: "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT) STRICT")
        for (id, name) in [(1, "a"), (2, "O'Brien"), (3, "c"), (4, "'; DROP TABLE t; --")] {
            try db.execute("INSERT INTO t VALUES (?, ?)", [id, name])
        }
        return (dir, db)
    }

    @Test func interpolatedValuesBindAndNeverBecomeText() throws {
        let (_, db) = try database()
        let name = "'; DROP TABLE t; --"
        let query: SQL = "SELECT id FROM t WHERE name = \(name) OR id = \(2)"
        #expect(query.rendered().text == "SELECT id FROM t WHERE name = ?1 OR id = ?2")
        #expect(query.rendered().values == [.text(name), .integer(2)])
        #expect(try db.rows(query) == [[.integer(2)], [.integer(4)]])
        #expect(try db.scalarInt("SELECT count(*) FROM t") == 4)
    }

    @Test func fragmentsKeepTheirValuesAndAreNumberedInOrder() throws {
        let (_, db) = try database()
        let low: SQL = "id >= \(2)"
        var query: SQL = "SELECT name FROM t WHERE \(sql: low)"
        query += " AND id <= \(3)"
        query.append(" AND name <> \("c")")
        #expect(query.rendered().text == "SELECT name FROM t WHERE id >= ?1 AND id <= ?2 AND name <> ?3")
        #expect(try db.rows(query) == [[.text("O'Brien")]])
        let either = [SQL("id = \(1)"), SQL("id = \(3)")].joined(separator: " OR ")
        #expect(try db.rows("SELECT name FROM t WHERE \(sql: either) ORDER BY id") == [[.text("a")], [.text("c")]])
    }

    @Test func aListIsOneBoundJSONArrayWhateverItsLength() throws {
        let (_, db) = try database()
        let two: SQL = "SELECT name FROM t WHERE id IN \(list: [1, 3]) ORDER BY id"
        let none: SQL = "SELECT name FROM t WHERE id IN \(list: []) ORDER BY id"
        #expect(two.rendered().text == none.rendered().text)
        #expect(try db.rows(two) == [[.text("a")], [.text("c")]])
        #expect(try db.rows(none).isEmpty)
        #expect(DatabaseValue.jsonArray([3, -5, 8]) == .text("[3,-5,8]"))
    }

    @Test func aNamedParameterIsOneNumberWhereverItAppears() throws {
        let (_, db) = try database()
        let query: SQL = "SELECT name FROM t WHERE id >= \(parameter: "low") AND id > \(1) AND id <= \(parameter: "low") + 1 ORDER BY id"
        let rendered = query.rendered()
        #expect(rendered.text == "SELECT name FROM t WHERE id >= :low AND id > ?2 AND id <= :low + 1 ORDER BY id")
        #expect(rendered.bindings == [.parameter("low"), .value(.integer(1))])
        #expect(rendered.parameterNames == [":low", "?2"])
        let statement = try db.cachedStatement(rendered.text)
        try statement.bind(rendered, parameters: [("low", .integer(2))])
        var names: [String] = []
        while try statement.step() { names.append(statement.text(at: 0)) }
        #expect(names == ["O'Brien", "c"])
    }

    /// The collision the named `:cf_…` parameters and `?N` renaming could make: a condition's
    /// values take the numbers after those already used, wherever the slot is.
    @Test func aConditionFillsItsSlotsWithItsOwnNumbers() throws {
        let (_, db) = try database()
        let template: SQL = """
            SELECT name FROM t WHERE id > \(parameter: "after") \(condition: "t.id") AND name <> \("zz") ORDER BY id
            """
        #expect(template.rendered().text == "SELECT name FROM t WHERE id > :after  AND name <> ?2 ORDER BY id")
        let condition: SQL = "\(sql: SQL.conditionColumn) <> \(3) AND \(sql: SQL.conditionColumn) < \(parameter: "below")"
        let rendered = template.rendered(condition: condition)
        #expect(rendered.text == "SELECT name FROM t WHERE id > :after AND t.id <> ?2 AND t.id < :below AND name <> ?4 ORDER BY id")
        #expect(rendered.bindings == [.parameter("after"), .conditionValue(0), .parameter("below"), .value(.text("zz"))])
        let statement = try db.cachedStatement(rendered.text)
        try statement.bind(rendered, parameters: [("after", .integer(0)), ("below", .integer(10))], conditionValues: condition.values)
        var names: [String] = []
        while try statement.step() { names.append(statement.text(at: 0)) }
        #expect(names == ["a", "O'Brien", "'; DROP TABLE t; --"])
        // Another condition of the same shape: same text, its own values.
        let other: SQL = "\(sql: SQL.conditionColumn) <> \(1) AND \(sql: SQL.conditionColumn) < \(parameter: "below")"
        #expect(other.shape == condition.shape)
        #expect(template.rendered(condition: other).text == rendered.text)
        try statement.bind(rendered, parameters: [("after", .integer(0)), ("below", .integer(10))], conditionValues: other.values)
        names = []
        while try statement.step() { names.append(statement.text(at: 0)) }
        #expect(names == ["O'Brien", "c", "'; DROP TABLE t; --"])
    }

    @Test func aBindingCountThatDoesNotMatchTheStatementIsAnError() throws {
        let (_, db) = try database()
        let statement = try db.cachedStatement("SELECT ?1, ?2")
        let error = #expect(throws: DatabaseError.self) { try statement.bind(SQL("SELECT \(1)").rendered()) }
        #expect(error?.message.contains("expects 2") == true)
    }
}
