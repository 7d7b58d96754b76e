import Foundation
import Testing
import Crosslink

// The ```swift blocks of Crosslink.docc/PostgreSQL.md, run against a database of the test
// cluster (see DocumentationExamplesTests for the rules these files follow).

@Suite(.requiresPostgreSQL) struct DocumentationExamplesPostgreSQLTests {
    @Test func postgreSQLExamples() throws {
        let cluster = try #require(try PostgreSQLCluster.shared())
        let postgreSQLURI = cluster.uri(database: try cluster.makeDatabase("documentation"))
        do {
            let store = try CrosslinkStore(location: postgreSQLURI)
            _ = try MagentoSampleImporter(store: store).importSample(at: Fixtures.magentoSample)
            try store.write { db in
                try LinkRepository(db).replace(sku: "24-MB01", type: .related, with: [ProductLink(sku: "24-MB04", position: 1)])
            }
        }

        let store = try CrosslinkStore(location: postgreSQLURI)
        let related = try store.read { db in try Placements(db).related(for: "24-MB01") }
        #expect(!related.isEmpty)

        do {
            try store.write { db in
                try db.execute("INSERT INTO stores(code, website_id, name) VALUES (?, 1, ?)", ["default", "Again"])
            }
        } catch let error as DatabaseError where error.extendedResultCode == 2067 {
            print(error.sqlState ?? "SQLite")  // "23505" on PostgreSQL: unique_violation
        }
        let duplicate = #expect(throws: DatabaseError.self) {
            try store.write { db in try db.execute("INSERT INTO stores(code, website_id, name) VALUES (?, 1, ?)", ["default", "Again"]) }
        }
        #expect(duplicate?.sqlState == "23505" && duplicate?.extendedResultCode == 2067)

        let ids = [1, 2, 3]
        let query: SQL = "SELECT count(*) FROM products WHERE product_id IN \(list: ids)"
        let count = try store.read { db in try db.scalarInt(query) }  // 3
        #expect(count == 3)
    }
}
