import Foundation
import Testing
@testable import Crosslink

/// The `crosslink` executable as a user runs it (built by `swift test` with the package),
/// and the documentation's sqlite3 recipes run through the real sqlite3 CLI.
@Suite(.serialized) struct CLITests {
    /// `.build/<config>/crosslink`, next to the test bundle.
    static var executable: String {
        var directory = Bundle.module.bundleURL.deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appending(path: "crosslink").path), directory.path != "/" {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appending(path: "crosslink").path
    }

    func crosslink(_ arguments: [String]) throws -> ProcessResult {
        try run(Self.executable, arguments)
    }

    /// A demo database, built once through the CLI.
    static let demo: Result<String, any Error> = Result {
        let dir = try TemporaryDirectory()
        let path = dir.path("demo.sqlite")
        let result = try run(executable, ["--database", path, "demo", "--quiet"])
        guard result.status == 0 else { throw TestFailure("demo failed: \(result.stderr)") }
        return path
    }

    @Test func demoPrintsThePlacementsOfRealProducts() throws {
        let dir = try TemporaryDirectory()
        let result = try crosslink(["--database", dir.path("demo.sqlite"), "demo", "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("Built the demo database"))
        #expect(result.stdout.contains("2046 products; 484 related, 325 up-sell, 733 cross-sell links"))
        #expect(result.stdout.contains("== Related products of MH01 (Chaz Kangeroo Hoodie)"))
        #expect(result.stdout.contains("== Cross-sells for a cart of 24-MB01 and MH01-XS-Black"))
        #expect(result.stdout.contains("manual related link of MH01 at position"))
        // A second run reuses the database instead of importing again.
        let again = try crosslink(["--database", dir.path("demo.sqlite"), "demo", "--quiet"])
        #expect(again.status == 0)
        #expect(again.stdout.hasPrefix("The demo database (built by an earlier run)"))
        #expect(again.stdout.contains("2046 products; 484 related"))
    }

    @Test func placementJSONMatchesTheLibrary() throws {
        let path = try Self.demo.get()
        let result = try crosslink(["--database", path, "placement", "product", "MH01", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        struct Page: Decodable { var related: [PlacedProduct]; var upsell: [PlacedProduct] }
        let page = try JSONDecoder().decode(Page.self, from: Data(result.stdout.utf8))
        let store = try CrosslinkStore(path: path)
        let expected = try store.read { db in (try Placements(db).related(for: "MH01"), try Placements(db).upsells(for: "MH01")) }
        #expect(page.related == expected.0)
        #expect(page.upsell == expected.1)
        #expect(!page.related.isEmpty)

        let cart = try crosslink(["--database", path, "placement", "cart", "24-MB01", "24-WB04", "--json"])
        let crossSells = try JSONDecoder().decode([PlacedProduct].self, from: Data(cart.stdout.utf8))
        #expect(crossSells == (try store.read { db in try Placements(db).crossSells(cart: ["24-MB01", "24-WB04"]) }))
    }

    @Test func linksSetAndShow() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("links.sqlite")
        let csv = dir.url.appending(path: "catalog.csv")
        try "sku,product_type,attribute_set_code,name,price\nA,simple,Default,Alpha,10\nB,simple,Default,Beta,20\nC,simple,Default,Gamma,30\n"
            .write(to: csv, atomically: true, encoding: .utf8)
        #expect(try crosslink(["--database", path, "import", "--quiet", csv.path]).status == 0)
        let set = try crosslink(["--database", path, "links", "set", "A", "--type", "related", "C", "B:0"])
        #expect(set.status == 0, "\(set.stderr)")
        let show = try crosslink(["--database", path, "links", "show", "A", "--type", "related", "--json"])
        let links = try JSONDecoder().decode([String: [ProductLink]].self, from: Data(show.stdout.utf8))
        #expect(links["related"] == [ProductLink(sku: "B", position: 0), ProductLink(sku: "C", position: 1)])
        let selfLink = try crosslink(["--database", path, "links", "set", "A", "--type", "upsell", "A"])
        #expect(selfLink.status != 0)
        #expect(selfLink.stderr.contains("A cannot be a upsell link of itself"))
    }

    @Test func badInputFailsWithFileLineAndColumnAndWritesNothing() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("bad.sqlite")
        let csv = dir.url.appending(path: "broken.csv")
        try "sku,product_type,attribute_set_code,name,price\nA,simple,Default,Alpha,10\nB,simple,Default,Beta,ten\n"
            .write(to: csv, atomically: true, encoding: .utf8)
        let result = try crosslink(["--database", path, "import", "--quiet", csv.path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("broken.csv:3"))
        #expect(result.stderr.contains("price"))
        #expect(try CrosslinkStore(path: path).read { db in try ProductRepository(db).count() } == 0)

        // Several files are one transaction: a bad second file keeps the first out too.
        let good = dir.url.appending(path: "good.csv")
        try "sku,product_type,attribute_set_code,name,price\nC,simple,Default,Gamma,30\n".write(to: good, atomically: true, encoding: .utf8)
        let both = try crosslink(["--database", path, "import", "--quiet", good.path, csv.path])
        #expect(both.status != 0)
        #expect(both.stderr.contains("broken.csv:3"))
        #expect(try CrosslinkStore(path: path).read { db in try ProductRepository(db).count() } == 0)
        #expect(try crosslink(["--database", path, "import", "--quiet", good.path]).status == 0)
        #expect(try CrosslinkStore(path: path).read { db in try ProductRepository(db).count() } == 1)

        let notSQLite = dir.url.appending(path: "notes.txt")
        try "just some notes, not a database at all ...........................................".write(to: notSQLite, atomically: true, encoding: .utf8)
        let foreign = try crosslink(["--database", notSQLite.path, "placement", "product", "X"])
        #expect(foreign.status != 0)
        #expect(foreign.stderr.contains("is not a SQLite database"))
    }

    @Test func helpTeachesWithExamples() throws {
        let help = try crosslink(["placement", "cart", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("crosslink placement cart 24-MB01 24-WB04"))
        #expect(help.stdout.contains("--last-added"))
    }

    /// The cart query of the Links and Placements article, run by the sqlite3 CLI, gives the library's answer.
    @Test func documentedCartQueryMatchesTheLibrary() throws {
        let path = try Self.demo.get()
        let article = try String(contentsOf: Fixtures.packageRoot.appending(path: "Sources/Crosslink/Crosslink.docc/LinksAndPlacements.md"), encoding: .utf8)
        let start = try #require(article.range(of: "```sql\nWITH cart(sku, added)"))
        let end = try #require(article.range(of: "```", range: start.upperBound..<article.endIndex))
        let sql = String(article[article.index(start.lowerBound, offsetBy: 7)..<end.lowerBound])
        let rows = try sqlite3Rows(path, sql)
        let library = try CrosslinkStore(path: path).read { db in try Placements(db).crossSells(cart: ["24-MB01", "24-WB04"]) }
        #expect(!library.isEmpty)
        #expect(rows.map { $0[0] } == library.map(\.sku))
    }

    /// The documented product-page query through the displayable_links view gives the library's answer.
    @Test func documentedRelatedQueryMatchesTheLibrary() throws {
        let path = try Self.demo.get()
        let rows = try sqlite3Rows(path, """
            SELECT linked_sku, name, position FROM displayable_links
            WHERE store = 'default' AND sku = 'MH01' AND link_type = 'related' ORDER BY position, link_id
            """)
        let library = try CrosslinkStore(path: path).read { db in try Placements(db).related(for: "MH01") }
        #expect(rows.map { $0[0] } == library.map(\.sku))
        #expect(rows.count >= 3)
    }
}
