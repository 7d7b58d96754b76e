import Foundation

/// What ``CrosslinkStore/copy(from:to:sampleSize:)`` copied and how it verified the copy.
public struct StoreCopyReport: Sendable, Encodable, Equatable {
    public struct Table: Sendable, Codable, Equatable {
        public var name: String
        public var sourceRows: Int
        public var destinationRows: Int
    }

    /// The source and the destination as they may be printed (PostgreSQL URIs without password).
    public var source: String
    public var destination: String
    /// Every copied table, in the order copied (parents before the tables that refer to them).
    public var tables: [Table]
    /// Products whose related, up-sell and cross-sell blocks were compared on both stores.
    public var sampledProducts: Int
    /// The blocks that differ, e.g. "related of 24-MB01"; empty when the copy is verified.
    public var blockMismatches: [String]

    /// Every table has as many rows in the destination as in the source, and every sampled block is identical.
    public var isVerified: Bool {
        tables.allSatisfy { $0.sourceRows == $0.destinationRows } && blockMismatches.isEmpty
    }

    enum CodingKeys: String, CodingKey { case source, destination, isVerified, tables, sampledProducts, blockMismatches }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(source, forKey: .source)
        try container.encode(destination, forKey: .destination)
        try container.encode(isVerified, forKey: .isVerified)
        try container.encode(tables, forKey: .tables)
        try container.encode(sampledProducts, forKey: .sampledProducts)
        try container.encode(blockMismatches, forKey: .blockMismatches)
    }
}

extension CrosslinkStore {
    /// Copies the store at `source` into `destination` (each a SQLite path or a PostgreSQL URI,
    /// ``StoreLocation``), then verifies the copy.
    ///
    /// - The destination is created (a new file) or migrated (an empty PostgreSQL database) and
    ///   must hold nothing but what the migrations put there: otherwise
    ///   ``StoreError/copyDestinationNotEmpty(destination:table:rows:)`` and nothing is written.
    /// - Every table is copied from one snapshot of the source, in one write transaction on the
    ///   destination, parents before children, ids kept; the destination's triggers are off for
    ///   the copy (the rows they derive are copied too). On PostgreSQL rows go in by COPY binary,
    ///   and identity sequences restart after the largest copied id.
    /// - Verification: the row count of every table on both, and the related, up-sell and
    ///   cross-sell blocks of `sampleSize` products (spread over the catalog) on both.
    ///
    /// ```swift
    /// let report = try CrosslinkStore.copy(from: "shop.sqlite", to: "postgresql://app@db/shop")
    /// precondition(report.isVerified)
    /// ```
    public static func copy(from source: String, to destination: String, sampleSize: Int = 50) throws -> StoreCopyReport {
        let from = StoreLocation(source), to = StoreLocation(destination)
        guard from != to else { throw StoreError.copyOntoItself(from.description) }
        var readOnly = Configuration()
        readOnly.readOnly = true
        readOnly.maximumReaderCount = 1
        let sourceStore = try CrosslinkStore(location: source, configuration: readOnly)
        defer { sourceStore.close() }
        var writer = Configuration()
        writer.maximumReaderCount = 1
        let destinationStore = try CrosslinkStore(location: destination, configuration: writer)
        defer { destinationStore.close() }
        let tables = try copyTables(from: sourceStore, to: destinationStore, destinationName: to.description)
        return try verify(sourceStore, destinationStore, tables: tables, sampleSize: sampleSize,
                          names: (from.description, to.description))
    }

    /// Copies every table of `source` (one read snapshot) into the freshly migrated store
    /// `destination` (one write transaction), without verifying; returns the tables copied.
    /// ``copy(from:to:sampleSize:)`` and ``EvaluationSnapshot`` (a model from a PostgreSQL source) use it.
    static func copyTables(from source: CrosslinkStore, to destination: CrosslinkStore, destinationName: String) throws -> [String] {
        let seeds = try migrationSeeds()
        return try source.read { src in
            try destination.pool.write { dst in
                try StoreCopier(source: src, destination: dst, destinationName: destinationName, seeds: seeds).copy()
            }
        }
    }

    /// The rows a freshly migrated store holds per table (default website and store, settings,
    /// state rows): a destination holding just these is empty. The seeds are the same on both
    /// engines (the PostgreSQL migrations mirror SQLite's).
    private static func migrationSeeds() throws -> [String: Int] {
        let directory = FileManager.default.temporaryDirectory.appending(path: "crosslink-copy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try CrosslinkStore(path: directory.appending(path: "seed.sqlite").path)
        defer { store.close() }
        return try store.read { db in
            var counts: [String: Int] = [:]
            for table in try StoreSchema.tables(db) {
                let count = try db.scalarInt("SELECT count(*) FROM \(StoreSchema.quoted(table))") ?? 0
                if count > 0 { counts[table] = count }
            }
            return counts
        }
    }

    private static func verify(_ source: CrosslinkStore, _ destination: CrosslinkStore, tables: [String], sampleSize: Int,
                               names: (String, String)) throws -> StoreCopyReport {
        let counts = { (store: CrosslinkStore) in
            try store.read { db in
                try tables.map { try db.scalarInt("SELECT count(*) FROM \(StoreSchema.quoted($0))") ?? 0 }
            }
        }
        let sourceCounts = try counts(source), destinationCounts = try counts(destination)
        let skus = try source.read { db in try db.map("SELECT sku FROM products ORDER BY product_id") { $0.text(at: 0) } }
        let sample = skus.count <= sampleSize ? skus : (0..<sampleSize).map { skus[$0 * skus.count / sampleSize] }
        let blocks = { (store: CrosslinkStore) in
            try store.read { db in
                let placements = Placements(db)
                return try sample.map { sku in
                    [try placements.related(for: sku), try placements.upsells(for: sku), try placements.crossSells(cart: [sku])]
                }
            }
        }
        let sourceBlocks = try blocks(source), destinationBlocks = try blocks(destination)
        var mismatches: [String] = []
        for (index, sku) in sample.enumerated() {
            for (kind, name) in ["related", "up-sell", "cross-sell"].enumerated()
            where sourceBlocks[index][kind] != destinationBlocks[index][kind] {
                mismatches.append("\(name) of \(sku)")
            }
        }
        return StoreCopyReport(
            source: names.0, destination: names.1,
            tables: tables.indices.map { StoreCopyReport.Table(name: tables[$0], sourceRows: sourceCounts[$0], destinationRows: destinationCounts[$0]) },
            sampledProducts: sample.count, blockMismatches: mismatches)
    }
}

/// The copy itself, inside the source's read snapshot and the destination's write transaction.
private struct StoreCopier {
    let source: Database
    let destination: Database
    let destinationName: String
    let seeds: [String: Int]

    /// Copies every table; returns the tables copied, in order.
    func copy() throws -> [String] {
        let sourceTables = Set(try StoreSchema.tables(source))
        let destinationTables = Set(try StoreSchema.tables(destination))
        // Each engine records its own migrations (the files and checksums differ).
        let ownTables: Set<String> = ["crosslink_migrations", "crosslink_database"]
        for table in sourceTables.subtracting(destinationTables).subtracting(ownTables).sorted()
        where try (source.scalarInt("SELECT count(*) FROM \(StoreSchema.quoted(table))") ?? 0) > 0 {
            throw StoreError.copyMissingTable(destination: destinationName, table: table)
        }
        let order = try StoreSchema.dependencyOrder(destination, tables: sourceTables.intersection(destinationTables).subtracting(ownTables))
        var present: [String] = []
        for table in destinationTables.subtracting(ownTables).sorted() {
            let rows = try destination.scalarInt("SELECT count(*) FROM \(StoreSchema.quoted(table))") ?? 0
            guard rows > 0 else { continue }
            guard rows == seeds[table] else {
                throw StoreError.copyDestinationNotEmpty(destination: destinationName, table: table, rows: rows)
            }
            present.append(table)
        }
        switch destination.engine {
        case .sqlite: try copyIntoSQLite(order, clearing: Set(present))
        case .postgresql: try copyIntoPostgreSQL(order, clearing: Set(present))
        }
        return order
    }

    private func columns(of table: String) throws -> [(name: String, sourceIsJSONB: Bool)] {
        let sourceColumns = try StoreSchema.columns(source, table: table)
        let destinationNames = Set(try StoreSchema.columns(destination, table: table).map(\.name))
        return sourceColumns.filter { destinationNames.contains($0.name) }.map { ($0.name, $0.type == "jsonb") }
    }

    private func rows(of table: String, columns: [String]) throws -> [[DatabaseValue]] {
        let list = columns.map(StoreSchema.quoted).joined(separator: ", ")
        return try source.prepare("SELECT \(list) FROM \(StoreSchema.quoted(table))").map { row in
            (0..<row.columnCount).map { row.value(at: $0) }
        }
    }

    /// SQLite has no switch for triggers: they are dropped and created again in the same
    /// transaction (SQLite's DDL is transactional). Foreign keys are checked at commit.
    private func copyIntoSQLite(_ order: [String], clearing: Set<String>) throws {
        let triggers = try destination.map("SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' ORDER BY rowid") {
            ($0.text(at: 0), $0.text(at: 1))
        }
        for (name, _) in triggers { try destination.execute(script: "DROP TRIGGER \(StoreSchema.quoted(name))") }
        try destination.execute(script: "PRAGMA defer_foreign_keys = ON")
        for table in order.reversed() where clearing.contains(table) {
            try destination.execute(script: "DELETE FROM \(StoreSchema.quoted(table))")
        }
        for table in order {
            let columns = try columns(of: table)
            guard !columns.isEmpty else { continue }
            // PostgreSQL writes jsonb as `{"1": 2}`; SQLite's lists are minified JSON text.
            let values = columns.map { $0.sourceIsJSONB ? "json(?)" : "?" }.joined(separator: ", ")
            let insert = try destination.prepare("INSERT INTO \(StoreSchema.quoted(table)) (\(columns.map { StoreSchema.quoted($0.name) }.joined(separator: ", "))) VALUES (\(values))")
            for row in try rows(of: table, columns: columns.map(\.name)) { try insert.execute(row) }
        }
        for (_, sql) in triggers { try destination.execute(script: sql) }
    }

    /// Triggers of the destination's tables are disabled for the transaction (foreign keys,
    /// which are system triggers, stay on); rows go in by COPY binary; identity sequences
    /// restart after the largest copied id.
    private func copyIntoPostgreSQL(_ order: [String], clearing: Set<String>) throws {
        guard let connection = destination.postgreSQL else { return }
        for table in order { try destination.execute(script: "ALTER TABLE \(StoreSchema.quoted(table)) DISABLE TRIGGER USER") }
        for table in order.reversed() where clearing.contains(table) {
            try destination.execute(script: "DELETE FROM \(StoreSchema.quoted(table))")
        }
        for table in order {
            let columns = try columns(of: table).map(\.name)
            guard !columns.isEmpty else { continue }
            _ = try connection.copyIn(table: table, columns: columns, rows: try rows(of: table, columns: columns))
        }
        for table in order { try destination.execute(script: "ALTER TABLE \(StoreSchema.quoted(table)) ENABLE TRIGGER USER") }
        for table in order {
            for column in try StoreSchema.columns(destination, table: table) {
                guard let sequence = try destination.scalarText("SELECT pg_get_serial_sequence(?, ?)", [StoreSchema.quoted(table), column.name]) else {
                    continue
                }
                // is_called false: the next id is exactly max + 1 (1 for an empty table).
                _ = try destination.scalarInt(
                    "SELECT setval(CAST(? AS regclass), coalesce((SELECT max(\(StoreSchema.quoted(column.name))) FROM \(StoreSchema.quoted(table))), 0) + 1, false)",
                    [sequence])
            }
        }
    }
}

/// The tables and columns of a store, read from the engine's catalog (SQLite's schema,
/// PostgreSQL's information_schema): names are the same on both by design.
enum StoreSchema {
    /// `name` as an identifier (names come from the schema, never from user text).
    static func quoted(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func tables(_ db: Database) throws -> [String] {
        switch db.engine {
        case .sqlite:
            try db.map("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name") { $0.text(at: 0) }
        case .postgresql:
            try db.map("""
                SELECT table_name FROM information_schema.tables
                WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name
                """) { $0.text(at: 0) }
        }
    }

    /// The stored (not generated) columns of `table`, in their order, with PostgreSQL's type name
    /// (SQLite's declared type on SQLite).
    static func columns(_ db: Database, table: String) throws -> [(name: String, type: String)] {
        switch db.engine {
        case .sqlite:
            try db.prepare("SELECT name, type FROM pragma_table_info(?) ORDER BY cid").map([table]) { ($0.text(at: 0), $0.text(at: 1).lowercased()) }
        case .postgresql:
            try db.prepare("""
                SELECT column_name, data_type FROM information_schema.columns
                WHERE table_schema = current_schema() AND table_name = ? AND is_generated = 'NEVER' ORDER BY ordinal_position
                """).map([table]) { ($0.text(at: 0), $0.text(at: 1)) }
        }
    }

    /// `tables` ordered so that a table comes after every other table its foreign keys refer to
    /// (then by name); tables in a cycle come last, by name.
    static func dependencyOrder(_ db: Database, tables: Set<String>) throws -> [String] {
        var parents: [String: Set<String>] = [:]
        for table in tables {
            let referenced: [String] = switch db.engine {
            case .sqlite:
                try db.prepare("SELECT \"table\" FROM pragma_foreign_key_list(?)").map([table]) { $0.text(at: 0) }
            case .postgresql:
                try db.prepare("""
                    SELECT p.relname FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class p ON p.oid = c.confrelid
                    WHERE c.contype = 'f' AND t.relname = ? AND t.relnamespace = CAST(current_schema() AS regnamespace)
                    """).map([table]) { $0.text(at: 0) }
            }
            parents[table] = Set(referenced).intersection(tables).subtracting([table])
        }
        var order: [String] = []
        var placed: Set<String> = []
        while placed.count < tables.count {
            let ready = tables.subtracting(placed).filter { parents[$0, default: []].isSubset(of: placed) }.sorted()
            guard !ready.isEmpty else {
                order += tables.subtracting(placed).sorted()
                break
            }
            order += ready
            placed.formUnion(ready)
        }
        return order
    }
}
