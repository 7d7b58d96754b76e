import Foundation
import Testing
@testable import Crosslink

@Suite struct EventFileTests {
    /// Every type in JSON Lines, written by hand (ids as numbers, times in several forms, a blank line, CRLF).
    static let jsonLines = """
        {"id":"e01","type":"page-view","time":"2024-05-01T10:00:00Z","visitor_id":"v1","session_id":"s1"}
        {"id":"e02","type":"category-view","time":"2024-05-01T12:00:01+02:00","store":"default","visitor_id":"v1","session_id":"s1","category":"Gear/Bags"}
        {"id":"e03","type":"product-view","time":1714557602000,"visitor_id":"v1","session_id":"s1","sku":"P1","ignored":{"any":[1,2]}}

        {"id":"e04","type":"add-to-cart","time":"2024-05-01T10:00:03.000Z","visitor_id":"v1","customer_id":"c1","session_id":"s1","sku":"P1","quantity":2,"price":10}\r
        {"id":"e05","type":"remove-from-cart","time":"2024-05-01T10:00:04Z","visitor_id":"v1","customer_id":"c1","session_id":"s1","sku":"P1","quantity":1,"price":null}
        {"id":"e06","type":"recs-unit-render","time":"2024-05-01T10:00:05Z","visitor_id":"v1","customer_id":"c1","session_id":"s1","unit_id":"u-home"}
        {"id":"e07","type":"recs-unit-view","time":"2024-05-01T10:00:06Z","visitor_id":"v1","customer_id":"c1","session_id":"s1","unit_id":"u-home"}
        {"id":"e08","type":"recs-item-click","time":"2024-05-01T10:00:07Z","visitor_id":"v1","customer_id":"c1","session_id":"s1","sku":"P2","unit_id":"u-home"}
        {"id":"e09","type":"recs-add-to-cart-click","time":"2024-05-01T10:00:08Z","visitor_id":"v1","customer_id":"c1","session_id":"s1","sku":"P2","unit_id":"u-home"}
        {"id":"e10","type":"place-order","time":"2024-05-01T10:00:09.5Z","store":"fr","visitor_id":"v1","customer_id":"c1","session_id":"s1","order_id":"o1","lines":[{"sku":"P1","quantity":1,"price":10},{"sku":"CFG-S","parent_sku":"CFG","quantity":3,"price":4.5}]}
        {"id":"e11","type":"cancel-order","time":"2024-05-01T10:01:00Z","store":"fr","visitor_id":"v1","customer_id":"c1","session_id":"s2","order_id":"o1","lines":[{"sku":"CFG-S","parent_sku":"CFG","quantity":1,"price":4.5}]}
        """

    /// The same events as CSV, orders on one row per line.
    static let csv = """
        id,type,time,store,visitor_id,customer_id,session_id,sku,parent_sku,category,order_id,unit_id,quantity,price
        e01,page-view,2024-05-01T10:00:00Z,,v1,,s1,,,,,,,
        e02,category-view,2024-05-01T10:00:01Z,default,v1,,s1,,,Gear/Bags,,,,
        e03,product-view,1714557602000,,v1,,s1,P1,,,,,,
        e04,add-to-cart,2024-05-01T10:00:03Z,,v1,c1,s1,P1,,,,,2,10
        e05,remove-from-cart,2024-05-01T10:00:04Z,,v1,c1,s1,P1,,,,,1,
        e06,recs-unit-render,2024-05-01T10:00:05Z,,v1,c1,s1,,,,,u-home,,
        e07,recs-unit-view,2024-05-01T10:00:06Z,,v1,c1,s1,,,,,u-home,,
        e08,recs-item-click,2024-05-01T10:00:07Z,,v1,c1,s1,P2,,,,u-home,,
        e09,recs-add-to-cart-click,2024-05-01T10:00:08Z,,v1,c1,s1,P2,,,,u-home,,
        e10,place-order,2024-05-01T10:00:09.500Z,fr,v1,c1,s1,P1,,,o1,,1,10
        e10,place-order,2024-05-01T10:00:09.500Z,fr,v1,c1,s1,CFG-S,CFG,,o1,,3,4.5
        e11,cancel-order,2024-05-01T10:01:00Z,fr,v1,c1,s2,CFG-S,CFG,,o1,,1,4.5

        """

    @Test func jsonLinesReadsEveryType() throws {
        let events = try EventFileReader(data: Data(Self.jsonLines.utf8), file: "events.jsonl").events()
        #expect(events == everyTypeEvents())
    }

    @Test func csvReadsEveryTypeWithOrdersOnSeveralRows() throws {
        let events = try EventFileReader(data: Data(Self.csv.utf8), file: "events.csv").events()
        #expect(events == everyTypeEvents())
    }

    @Test func jsonLinesAndCSVRoundTrip() throws {
        var events = everyTypeEvents()
        events.append(Event(id: "q\"uote,\n", type: .productView, time: at(0.001), visitorID: "v é", customerID: "c\\1",
                            sessionID: "s\t1", sku: "SKU \"x\", y", quantity: 0.1, price: 1e-7))
        let jsonl = events.map(JSONLinesEventParser.line).joined(separator: "\n") + "\n"
        #expect(try EventFileReader(data: Data(jsonl.utf8), file: "x.jsonl").events() == events)
        let csv = CSVEventParser.text(events)
        #expect(try EventFileReader(data: Data(csv.utf8), file: "x.csv").events() == events)
        #expect(JSONLinesEventParser.line(events[9]) == #"{"id":"e10","type":"place-order","time":"2024-05-01T10:00:09.500Z","store":"fr","visitor_id":"v1","customer_id":"c1","session_id":"s1","order_id":"o1","lines":[{"sku":"P1","quantity":1,"price":10},{"sku":"CFG-S","parent_sku":"CFG","quantity":3,"price":4.5}]}"#)
    }

    @Test func aDatabaseRoundTripGivesTheSameEventsAndFiles() throws {
        let (dir, store) = try eventTestStore()
        let report = try EventStore(store: store).importData(Data(Self.jsonLines.utf8), file: "events.jsonl")
        #expect(report.stored == 11 && report.rejected.isEmpty)
        let stored = try EventStore(store: store).events()
        #expect(stored == everyTypeEvents())
        // Export as CSV, import into a fresh database, export as JSON Lines from both: identical.
        let csvURL = dir.url.appending(path: "export.csv")
        try CSVEventParser.text(stored).write(to: csvURL, atomically: true, encoding: .utf8)
        let (_, other) = try eventTestStore()
        #expect(try EventStore(store: other).importFile(at: csvURL).stored == 11)
        let first = try EventStore(store: store).events().map(JSONLinesEventParser.line)
        let second = try EventStore(store: other).events().map(JSONLinesEventParser.line)
        #expect(first == second)
    }

    @Test func gzipFilesAreReadByContent() throws {
        let dir = try TemporaryDirectory()
        let plain = dir.url.appending(path: "events.jsonl")
        try Data(Self.jsonLines.utf8).write(to: plain)
        #expect(try run("/usr/bin/gzip", ["-k", plain.path]).status == 0)
        let compressed = dir.url.appending(path: "events.jsonl.gz")
        #expect(try EventFileReader(contentsOf: compressed).events() == everyTypeEvents())
        // Two gzip members (cat a.gz b.gz) read as one stream, like zcat.
        let twice = try Data(contentsOf: compressed) + Data(contentsOf: compressed)
        #expect(try Gzip.decompress(twice, file: "twice.gz") == Data((Self.jsonLines + Self.jsonLines).utf8))
        let truncated = try Data(contentsOf: compressed).dropLast(20)
        #expect(throws: InputError(file: "cut.jsonl.gz", line: 0, message: "truncated gzip data (the file ends inside a compressed stream)")) {
            try EventFileReader(data: Data(truncated), file: "cut.jsonl.gz")
        }
    }

    /// A JSON Lines file with one bad line of each kind between valid ones.
    static let badJSONLines = """
        {"id":"ok1","type":"page-view","time":"2024-05-01T10:00:00Z","visitor_id":"v1","session_id":"s1"}
        {"id":"b2","type":"page-view","time":"2024-05-01T10:00:00Z","visitor_id":"v1","session_id":"s1"
        {"id":"b3","type":"page-visit","time":"2024-05-01T10:00:00Z","visitor_id":"v1","session_id":"s1"}
        {"id":"b4","type":"page-view","time":"2024-05-01 10:00","visitor_id":"v1","session_id":"s1"}
        {"id":"b5","type":"add-to-cart","time":"2024-05-01T10:00:00Z","visitor_id":"v1","session_id":"s1","sku":"P1","quantity":"2"}
        {"id":"b6","type":"place-order","time":"2024-05-01T10:00:00Z","visitor_id":"v1","session_id":"s1","order_id":"o","lines":[{"sku":"P1","price":1}]}
        {"id":"b7","type":"add-to-cart","time":"2024-05-01T10:00:00Z","visitor_id":"v1","session_id":"s1","sku":"P1","quantity":-1}
        {"id":"b8","type":"page-view","time":"2024-05-01T10:00:00Z","store":"de","visitor_id":"v1","session_id":"s1"}
        {"id":"b9","type":"page-view","time":"2024-05-01T10:00:00Z","session_id":"s1"}
        [1,2]
        {"id":"ok11","type":"product-view","time":"2024-05-01T10:00:00Z","visitor_id":"v1","session_id":"s1","sku":"NOT-IN-CATALOG"}
        """

    static let badJSONLinesIssues = [
        InputError(file: "bad.jsonl", line: 2, message: "malformed JSON"),
        InputError(file: "bad.jsonl", line: 3, field: "type", message: "unknown event type \"page-visit\" (event b3)"),
        InputError(file: "bad.jsonl", line: 4, field: "time",
                   message: "bad time \"2024-05-01 10:00\": give ISO 8601 with a zone (2024-05-01T10:00:00Z) or Unix milliseconds (event b4)"),
        InputError(file: "bad.jsonl", line: 5, field: "quantity", message: "expected a number"),
        InputError(file: "bad.jsonl", line: 6, field: "lines[1].quantity", message: "missing (event b6)"),
        InputError(file: "bad.jsonl", line: 7, field: "quantity", message: "must be a number > 0, got -1 (event b7)"),
        InputError(file: "bad.jsonl", line: 8, field: "store", message: "unknown store \"de\" (event b8)"),
        InputError(file: "bad.jsonl", line: 9, field: "visitor_id", message: "missing or empty (event b9)"),
        InputError(file: "bad.jsonl", line: 10, message: "not a JSON object"),
    ]

    @Test func badJSONLinesAreRejectedWithTheirLineAndNothingIsStored() throws {
        let (dir, store) = try eventTestStore()
        #expect(throws: InputError.invalidEvents(Self.badJSONLinesIssues)) {
            try EventStore(store: store).importData(Data(Self.badJSONLines.utf8), file: "bad.jsonl")
        }
        #expect(try sqlite3Rows(dir.path("test.sqlite"), "SELECT count(*) FROM events") == [["0"]])
        var options = EventIngestOptions()
        options.invalidEvents = .skipInvalid
        let report = try EventStore(store: store, options: options).importData(Data(Self.badJSONLines.utf8), file: "bad.jsonl")
        #expect(report.received == 11 && report.stored == 2 && report.unknownSKUs == 1 && report.rejected == Self.badJSONLinesIssues)
        #expect(try sqlite3Rows(dir.path("test.sqlite"), "SELECT event_key, sku, known FROM event_list ORDER BY event_seq")
                == [["ok1", "NULL", "1"], ["ok11", "NOT-IN-CATALOG", "0"]])
    }

    @Test func badCSVRowsNameTheirLineAndABadOrderRowInvalidatesItsOrder() throws {
        let (dir, store) = try eventTestStore()
        let csv = """
            id,type,time,visitor_id,session_id,sku,quantity,price,order_id,referrer
            ok2,page-view,2024-05-01T10:00:00Z,v1,s1,,,,,x
            o3,place-order,2024-05-01T10:00:00Z,v1,s1,P1,1,10,o3,
            o3,place-order,2024-05-01T10:00:00Z,v1,s1,P2,-1,10,o3,
            o3,place-order,2024-05-01T10:00:00Z,v1,s1,P2,1,10,o3,
            o6,place-order,2024-05-01T10:00:00Z,v1,s1,P1,1,10,o6,
            o6,place-order,2024-05-01T10:00:00Z,v2,s1,P2,1,10,o6,
            b8,add-to-cart,2024-05-01T10:00:00Z,v1,s1,P1,two,,,
            b9,page-view,2024-05-01T10:00:00Z,v1,s1
            b10,product-view,someday,v1,s1,P1,,,,
            ok11,place-order,2024-05-01T10:00:00Z,v1,s1,P1,1,10,o11,
            ok11,place-order,2024-05-01T10:00:00Z,v1,s1,P2,2,5.5,o11,
            """
        let issues = [
            InputError(file: "bad.csv", line: 4, field: "lines[2].quantity", message: "must be a number > 0, got -1 (event o3)"),
            InputError(file: "bad.csv", line: 7, field: "visitor_id",
                       message: "\"v2\" differs from the order's first row (line 6): \"v1\" (event o6)"),
            InputError(file: "bad.csv", line: 8, field: "quantity", message: "not a number: \"two\" (event b8)"),
            InputError(file: "bad.csv", line: 9, message: "expected 10 fields, got 5"),
            InputError(file: "bad.csv", line: 10, field: "time",
                       message: "bad time \"someday\": give ISO 8601 with a zone (2024-05-01T10:00:00Z) or Unix milliseconds (event b10)"),
        ]
        var options = EventIngestOptions()
        options.invalidEvents = .skipInvalid
        let report = try EventStore(store: store, options: options).importData(Data(csv.utf8), file: "bad.csv")
        #expect(report.rejected == issues)
        #expect(report.warnings == [InputError(file: "bad.csv", line: 1, message: "columns not read: referrer")])
        #expect(report.received == 7 && report.stored == 2)
        #expect(try sqlite3Rows(dir.path("test.sqlite"), "SELECT event_key, line, sku, quantity, price FROM event_line_list ORDER BY event_seq, line")
                == [["ok11", "1", "P1", "1.0", "10.0"], ["ok11", "2", "P2", "2.0", "5.5"]])
        #expect(throws: InputError(file: "nohead.csv", line: 1,
                                   message: "missing columns visitor_id, session_id (header: id,type,time,store,visitor_id,customer_id,session_id,sku,parent_sku,category,order_id,unit_id,quantity,price,variant)")) {
            try EventStore(store: store).importData(Data("id,type,time\n".utf8), file: "nohead.csv")
        }
    }
}
