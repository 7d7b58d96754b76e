import Foundation
import Testing
@testable import Crosslink

/// `COPY … FROM STDIN (FORMAT binary)` through ``PostgreSQLConnection/copyIn(table:columns:rows:)``:
/// every supported column type, 100,000 rows checked by count and sums, and bad rows that
/// abort the whole copy.
@Suite(.requiresPostgreSQL) struct PostgreSQLCopyTests {
    @Test func copiesOneHundredThousandRowsInBinary() throws {
        let (cluster, name, connection) = try PostgreSQLConnectionTests.connect("copy_bulk")
        try connection.execute(script: """
            CREATE TABLE events(id int8 PRIMARY KEY, quantity int4 NOT NULL, small int2, price float8, ratio float4,
                                sku text NOT NULL, code varchar(20), payload bytea, paid bool, attributes jsonb)
            """)
        let count = 100_000
        // Generated lazily: the copy streams, it does not need the rows in an array.
        func row(_ i: Int) -> [DatabaseValue] {
            let small: DatabaseValue = i % 10 == 0 ? .null : .integer(Int64(i % 300 - 150))
            let payload: DatabaseValue = i % 2 == 0 ? .blob([UInt8(i % 256), 0, 255]) : .null
            let attributes: DatabaseValue = i % 1000 == 0 ? .text(#"{"color": "red", "n": \#(i)}"#) : .null
            return [.integer(Int64(i)), .integer(Int64(i % 7)), small, .real(Double(i) * 0.25), .real(0.5),
                    .text("SKU-\(i)-ü"), .text("c\(i % 3)"), payload, .integer(Int64(i % 2)), attributes]
        }
        let rows = (1...count).lazy.map(row)
        let copied = try connection.copyIn(table: "events",
                                           columns: ["id", "quantity", "small", "price", "ratio", "sku", "code", "payload", "paid", "attributes"],
                                           rows: rows)
        #expect(copied == count)
        let expectedQuantity = (1...count).reduce(0) { $0 + $1 % 7 }
        let expectedSmall = (1...count).filter { $0 % 10 != 0 }.reduce(0) { $0 + $1 % 300 - 150 }
        let expectedPrice = Double((1...count).reduce(0, +)) * 0.25
        let sums = try cluster.psql("""
            SELECT count(*), sum(quantity), sum(small), sum(price), count(small), count(payload), sum(paid::int),
                   count(attributes), sum(length(sku)), sum(ratio)
            FROM events
            """, database: name)
        let skuCharacters = (1...count).reduce(0) { $0 + "SKU-\($1)-ü".count }
        #expect(sums.first?.map { Double($0) } == [Double(count), Double(expectedQuantity), Double(expectedSmall), expectedPrice,
                                                   90_000, 50_000, 50_000, 100, Double(skuCharacters), 50_000])
        // Spot checks read back through the client.
        let row = try connection.query("SELECT sku, payload, attributes->>'color', code, price FROM events WHERE id = $1", [.integer(2000)])
        #expect(row.value(row: 0, column: 0) == .text("SKU-2000-ü"))
        #expect(row.value(row: 0, column: 1) == .blob([UInt8(2000 % 256), 0, 255]))
        #expect(row.value(row: 0, column: 2) == .text("red"))
        #expect(row.value(row: 0, column: 3) == .text("c2"))
        #expect(row.value(row: 0, column: 4) == .real(500))
    }

    @Test func quotesTableAndColumnNames() throws {
        let (_, _, connection) = try PostgreSQLConnectionTests.connect("copy_names")
        try connection.execute(script: #"CREATE TABLE "Odd ""Table"""("select" int8, "Mixed Case" text)"#)
        #expect(try connection.copyIn(table: #"Odd "Table""#, columns: ["select", "Mixed Case"],
                                      rows: [[.integer(1), .text("a")], [.integer(2), .null]]) == 2)
        #expect(try connection.query(#"SELECT count(*) FROM "Odd ""Table""""#).int(row: 0, column: 0) == 2)
        #expect(try connection.copyIn(table: #"Odd "Table""#, columns: ["select", "Mixed Case"], rows: [[DatabaseValue]]()) == 0)
        // A name that is not a table is an error, not SQL.
        let error = #expect(throws: DatabaseError.self) {
            try connection.copyIn(table: "events; DROP TABLE x", columns: ["id"], rows: [[.integer(1)]])
        }
        #expect(error?.sqlState == "42P01")
    }

    @Test func aBadRowAbortsTheWholeCopy() throws {
        let (cluster, name, connection) = try PostgreSQLConnectionTests.connect("copy_bad")
        try connection.execute(script: "CREATE TABLE t(id int8 PRIMARY KEY, quantity int4, label text)")
        let good = (1...50_000).map { [DatabaseValue.integer(Int64($0)), .integer(1), .text("ok")] }

        let wrongType = #expect(throws: DatabaseError.self) {
            try connection.copyIn(table: "t", columns: ["id", "quantity", "label"],
                                  rows: good + [[.integer(50_001), .text("many"), .text("bad")]])
        }
        #expect(wrongType?.sqlState == "22P04")
        #expect(wrongType?.message.contains("row 50001, column quantity") == true)
        #expect(wrongType?.message.contains("\"many\"") == true)

        let outOfRange = #expect(throws: DatabaseError.self) {
            try connection.copyIn(table: "t", columns: ["id", "quantity", "label"], rows: [[.integer(1), .integer(1 << 40), .null]])
        }
        #expect(outOfRange?.message.contains("out of range for integer") == true)

        let shortRow = #expect(throws: DatabaseError.self) {
            try connection.copyIn(table: "t", columns: ["id", "quantity", "label"], rows: good + [[.integer(50_001)]])
        }
        #expect(shortRow?.message.contains("row 50001 has 1 values for 3 columns") == true)

        // Found by the server, after the client sent everything: a duplicate key.
        let duplicate = #expect(throws: DatabaseError.self) {
            try connection.copyIn(table: "t", columns: ["id", "quantity", "label"], rows: good + [[.integer(7), .integer(1), .null]])
        }
        #expect(duplicate?.extendedResultCode == 2067)
        #expect(duplicate?.sqlState == "23505")

        #expect(try cluster.psql("SELECT count(*) FROM t", database: name) == [["0"]])
        #expect(!connection.isBroken)
        #expect(connection.transactionStatus == .idle)
        #expect(try connection.copyIn(table: "t", columns: ["id", "quantity", "label"], rows: good) == 50_000)
    }

    @Test func aColumnTypeWithoutABinaryEncoderIsNamed() throws {
        let (_, _, connection) = try PostgreSQLConnectionTests.connect("copy_types")
        try connection.execute(script: "CREATE TABLE t(id int8, at timestamptz)")
        let error = #expect(throws: DatabaseError.self) {
            try connection.copyIn(table: "t", columns: ["id", "at"], rows: [[.integer(1), .text("2026-12-07")]])
        }
        #expect(error?.message.contains("column at of t") == true)
        #expect(error?.sqlState == "0A000")
    }

    @Test func aCopyStatementOutsideCopyInIsRefusedAndTheConnectionStaysUsable() throws {
        let (_, _, connection) = try PostgreSQLConnectionTests.connect("copy_statement")
        try connection.execute(script: "CREATE TABLE t(id int8); INSERT INTO t VALUES (1), (2)")
        for sql in ["COPY t FROM STDIN", "COPY t TO STDOUT"] {
            let error = #expect(throws: DatabaseError.self) { try connection.execute(script: sql) }
            #expect(error?.message.contains("use copyIn(table:columns:rows:)") == true)
            #expect(!connection.isBroken)
            #expect(connection.transactionStatus == .idle)
            #expect(try connection.query("SELECT count(*) FROM t").int(row: 0, column: 0) == 2)
        }
    }
}
