import Foundation
import Testing
@testable import Crosslink

/// `crosslink stores …` and `crosslink websites …` as a user runs them, on a SQLite file and on a
/// PostgreSQL database: the same output, the same refusals.
@Suite struct StoreCommandTests {
    func crosslink(_ location: String, _ arguments: [String]) throws -> ProcessResult {
        try run(CLITests.executable, ["--database", location] + arguments)
    }

    /// Runs the whole story on `location` (an initialised, empty store) and returns what each
    /// command printed, for comparing engines.
    func story(_ location: String, events: URL) throws -> [String] {
        var printed: [String] = []
        func ok(_ arguments: [String], sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> String {
            let result = try crosslink(location, arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)", sourceLocation: sourceLocation)
            printed.append(result.stdout)
            return result.stdout
        }
        func refused(_ arguments: [String], sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> String {
            let result = try crosslink(location, arguments)
            #expect(result.status != 0, "\(arguments) succeeded: \(result.stdout)", sourceLocation: sourceLocation)
            printed.append(result.stderr)
            return result.stderr
        }
        let fixture = Fixtures.magentoImport("products_to_import.csv").path
        _ = try ok(["import", fixture])

        #expect(try ok(["websites", "add", "eu", "--name", "Europe", "--products-from", "base"])
            == "Added website eu (id 2) selling 3 product(s). Add a store to it: crosslink stores add CODE --website eu\n")
        #expect(try refused(["websites", "add", "eu"]).contains(#"a website with code "eu" exists already"#))
        #expect(try refused(["stores", "add", "fr", "--website", "nowhere"]).contains(#"unknown website "nowhere""#))
        #expect(try ok(["stores", "add", "fr", "--website", "eu", "--name", "Français", "--show-out-of-stock"])
            == "Added store fr (id 2) on website eu.\n")
        #expect(try refused(["stores", "add", "fr"]).contains(#"a store with code "fr" exists already"#))
        let list = try ok(["stores", "list"])
        #expect(list.contains("2   fr       Français            eu       shown"), "\(list)")
        let websites = try ok(["websites", "list"])
        #expect(websites.contains("eu    Europe        fr       3"), "\(websites)")
        // The new store shows the copied assortment.
        #expect(try ok(["placement", "product", "simple1", "--store", "fr"]).contains("Related"))

        // Rename keeps the store's id and units.
        let units = location.hasPrefix("postgresql:") ? events.deletingLastPathComponent().appending(path: "units-pg.json")
            : events.deletingLastPathComponent().appending(path: "units.json")
        try Data(#"{"units": [{"name": "Top", "store": "fr", "page_type": "home", "status": "active", "type": "most-viewed"}]}"#.utf8).write(to: units)
        _ = try ok(["units", "import", units.path])
        // A unit is named by its name in its store, or by the id `units list` shows.
        #expect(try ok(["units", "show", "1"]).contains(#""name": "Top""#))
        #expect(try ok(["units", "deactivate", "1"]) == "Deactivated 1.\n")
        #expect(try ok(["units", "show", "Top", "--store", "fr"]).contains(#""status": "inactive""#))
        #expect(try refused(["units", "show", "7"]).contains(#"no unit named "7""#))
        #expect(try ok(["stores", "rename", "fr", "fr-fr", "--name", "France"]) == "Renamed store fr to fr-fr (name \"France\").\n")
        #expect(try refused(["stores", "rename", "fr-fr", "default"]).contains(#"a store with code "default" exists already"#))
        #expect(try refused(["stores", "show", "fr"]).contains(#"unknown store "fr""#))
        let shown = try JSONDecoder().decode(Listing.self, from: Data(try ok(["stores", "show", "fr-fr", "--json"]).utf8))
        #expect(shown.id == 2 && shown.name == "France" && shown.website == "eu" && shown.showOutOfStock && shown.contents?.units == 1)

        // Removal: a website with a store, a store with a unit, a store with events.
        #expect(try refused(["websites", "remove", "eu"]).contains(#"website "eu" has store "fr-fr": remove them or move them to another website first"#))
        // Settings: move, out-of-stock display, limits; only the options given change.
        #expect(try ok(["stores", "set", "fr-fr", "--website", "base", "--show-out-of-stock", "false", "--related-limit", "8"])
            == "Store fr-fr: website base, out-of-stock products hidden, limits related 8, up-sell 4, cross-sell 4.\n")
        #expect(try ok(["stores", "set", "fr-fr", "--related-limit", "all", "--upsell-limit", "6"])
            == "Store fr-fr: website base, out-of-stock products hidden, limits related all, up-sell 6, cross-sell 4.\n")
        #expect(try refused(["stores", "set", "fr-fr", "--upsell-limit", "0"]).contains("--upsell-limit 0: must be at least 1"))
        #expect(try refused(["stores", "set", "fr-fr", "--website", "nowhere"]).contains(#"unknown website "nowhere""#))
        #expect(try refused(["stores", "set", "fr-fr"]).contains("give at least one setting"))
        #expect(try ok(["stores", "set", "fr-fr", "--website", "eu"]).hasPrefix("Store fr-fr: website eu,"))
        #expect(try refused(["stores", "remove", "fr-fr"]).contains("1 unit(s) and 0 setting row(s); removing it deletes them (--force"))
        #expect(try ok(["stores", "remove", "fr-fr", "--force"]) == "Removed store fr-fr with 1 unit(s) and 0 setting row(s).\n")
        #expect(try refused(["websites", "remove", "eu"]).contains("sells 3 product(s)"))
        #expect(try ok(["websites", "remove", "eu", "--force"]) == "Removed website eu and its 3 product assignment(s).\n")
        _ = try ok(["events", "import", "--quiet", events.path])
        let withEvents = try refused(["stores", "remove", "default"])
        #expect(withEvents.contains(#"store "default" has 1 event(s); events are never deleted"#), "\(withEvents)")
        #expect(try ok(["stores", "list", "--json"]).contains("\"code\" : \"default\""))
        #expect(try ok(["units", "list"]) == "(no units)\n")
        return printed
    }

    struct Listing: Decodable {
        struct Contents: Decodable { var events: Int; var units: Int; var settings: Int }
        var id: Int, name: String, website: String, showOutOfStock: Bool, contents: Contents?
    }

    static func eventFile(_ dir: TemporaryDirectory) throws -> URL {
        let file = dir.url.appending(path: "events.jsonl")
        try Data(#"{"id":"e1","type":"product-view","time":"2024-05-01T10:00:00Z","visitor_id":"v1","session_id":"s1","sku":"simple1"}"#.utf8)
            .write(to: file)
        return file
    }

    @Test func addRenameAndRemoveStoresAndWebsites() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("stores.sqlite")
        #expect(try crosslink(path, ["init"]).status == 0)
        _ = try story(path, events: try Self.eventFile(dir))
        // The store removed with --force left no derived or configuration rows behind.
        #expect(try sqlite3Rows(path, "SELECT count(*) FROM units") == [["0"]])
        #expect(try sqlite3Rows(path, "SELECT count(*) FROM product_websites WHERE website_id = 2") == [["0"]])
    }

    @Test func removingAStoreDeletesItsDerivedRows() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        defer { store.close() }
        try store.write { db in
            let repository = StoreRepository(db)
            let id = try repository.addStore(code: "fr", website: "base")
            try db.execute("INSERT INTO conversion_rank_state(store_id, metric, viewers, converted, prior, complete) VALUES (?, 1, 5, 1, 2, 1)", [id])
            try repository.removeStore(code: "fr")
            #expect(try db.scalarInt("SELECT count(*) FROM conversion_rank_state") == 0)
            // SQLite gives the next store the freed id: it must start clean.
            #expect(try repository.addStore(code: "de", website: "base") == id)
        }
    }

    @Test func badCodesAndNamesAreRefusedNamingTheField() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        defer { store.close() }
        try store.write { db in
            let repository = StoreRepository(db)
            #expect(throws: InputError.self) { try repository.addStore(code: "", website: "base") }
            let error = #expect(throws: InputError.self) { try repository.addWebsite(code: "eu\u{7}") }
            #expect(error?.description.contains("website code") == true)
            #expect(throws: RequestError.self) { try repository.renameStore(code: "nope", name: "x") }
        }
    }
}

@Suite(.requiresPostgreSQL) struct StoreCommandPostgreSQLTests {
    @Test func theSameStoryPrintsTheSameOnPostgreSQL() throws {
        let cluster = try #require(try PostgreSQLCluster.shared())
        let dir = try TemporaryDirectory()
        let (path, uri) = (dir.path("stores.sqlite"), cluster.uri(database: try cluster.makeDatabase("stores_cli")))
        let tests = StoreCommandTests()
        #expect(try tests.crosslink(path, ["init"]).status == 0)
        #expect(try tests.crosslink(uri, ["init"]).status == 0)
        let events = try StoreCommandTests.eventFile(dir)
        let onFile = try tests.story(path, events: events)
        let onServer = try tests.story(uri, events: events)
        #expect(onFile.count == onServer.count)
        // The imports' lines (0 and the events import) end in their durations.
        func comparable(_ text: String, _ location: String) -> String {
            text.replacingOccurrences(of: location, with: "DB").replacingOccurrences(of: #"\(\d+\.\d+ s\)"#, with: "(time)", options: .regularExpression)
        }
        for (index, (file, server)) in zip(onFile, onServer).enumerated() where index != 0 {
            #expect(comparable(file, path) == comparable(server, uri), "output \(index)")
        }
    }
}
