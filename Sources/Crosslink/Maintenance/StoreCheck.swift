import Foundation

/// How thorough ``CrosslinkStore/check(path:level:)`` is.
public enum CheckLevel: String, Sendable, Codable, CaseIterable {
    /// `PRAGMA quick_check`, and the derived data compared on a sample of products.
    case quick
    /// `PRAGMA integrity_check` (also verifies every index against its table), and the derived
    /// data compared on every product.
    case full
}

/// What ``CrosslinkStore/check(path:level:)`` found: one item per check, in the order run.
public struct CheckReport: Sendable, Encodable, Equatable {
    public enum Outcome: String, Sendable, Codable {
        case ok
        case failed
        /// Not run: an earlier check found the file damaged or its schema not current.
        case skipped
    }

    public struct Item: Sendable, Codable, Equatable {
        public var name: String
        public var outcome: Outcome
        public var detail: String
    }

    public var path: String
    public var level: CheckLevel
    public var items: [Item]
    /// No check failed.
    public var isSound: Bool { !items.contains { $0.outcome == .failed } }

    public init(path: String, level: CheckLevel, items: [Item] = []) {
        self.path = path
        self.level = level
        self.items = items
    }

    mutating func add(_ name: String, failure: String?, ok detail: String) {
        items.append(Item(name: name, outcome: failure == nil ? .ok : .failed, detail: failure ?? detail))
    }

    mutating func skip(_ names: [String], because reason: String) {
        items += names.map { Item(name: $0, outcome: .skipped, detail: reason) }
    }

    enum CodingKeys: String, CodingKey { case path, level, items, isSound }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(path, forKey: .path)
        try container.encode(level, forKey: .level)
        try container.encode(isSound, forKey: .isSound)
        try container.encode(items, forKey: .items)
    }
}

extension CrosslinkStore {
    /// Checks the database at `path` without changing it: the file's size against its header,
    /// SQLite's own checks (`quick_check` or, `.full`, `integrity_check`; `foreign_key_check`),
    /// the applied migrations' checksums, and Crosslink's invariants — the stale-aggregates mark
    /// is clear, the aggregates and the lists computed from them equal a rebuild from the log,
    /// every rule block served equals the rules' SQL, the neighbour lists' version is consistent
    /// (on a sample of products, or all with `.full`). The invariants run only on a file SQLite
    /// finds sound and whose schema is current; they recompute in write transactions that are
    /// rolled back. Throws ``StoreError/uncheckable(path:reason:)`` when the file cannot be read at all.
    ///
    /// ```swift
    /// let report = try CrosslinkStore.check(path: "shop.sqlite", level: .full)
    /// for item in report.items where item.outcome == .failed { print(item.name, item.detail) }
    /// ```
    public static func check(path: String, level: CheckLevel = .quick) throws -> CheckReport {
        try StoreCheck(path: path, level: level).run(store: nil)
    }

    /// ``check(path:level:)`` on this open store's file.
    public func check(_ level: CheckLevel = .quick) throws -> CheckReport {
        try StoreCheck(path: path, level: level).run(store: self)
    }
}

/// The steps of a check, in order: each later step needs the earlier ones sound.
struct StoreCheck {
    let path: String
    let level: CheckLevel
    /// Products whose derived data a quick check compares.
    static let quickSampleSize = 200
    /// Products whose rule blocks a quick check compares (three placements each).
    static let quickRuleSampleSize = 25

    static let invariantNames = ["stale aggregates", "aggregates equal a rebuild", "rule cache equals its rules", "neighbour list versions"]

    func run(store: CrosslinkStore?) throws -> CheckReport {
        if case .postgresql(let uri) = StoreLocation(path) { return try runOnPostgreSQL(uri: uri, store: store) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw StoreError.uncheckable(path: path, reason: "no such file")
        }
        if isDirectory.boolValue { throw StoreError.uncheckable(path: path, reason: "it is a directory") }
        guard FileManager.default.isReadableFile(atPath: path) else { throw StoreError.uncheckable(path: path, reason: "permission denied") }
        var report = CheckReport(path: path, level: level)

        let pragma = level == .full ? "integrity_check" : "quick_check"
        let file: CheckedFile
        do {
            file = try CheckedFile(path: path)
        } catch let error as DatabaseError where error.resultCode == 11 /* SQLITE_CORRUPT */ {
            report.skip(["file size matches header"], because: "the file cannot be opened")
            report.add(pragma, failure: "the file cannot be opened: \(error.message)", ok: "")
            report.skip(["foreign keys", "migrations"] + Self.invariantNames, because: "the file is damaged: restore a backup")
            return report
        } catch let error as DatabaseError {
            throw StoreError.uncheckable(path: path, reason: error.message)
        }
        // Closed before the invariants open the store read-write, so that the store's close is
        // the file's last and removes the -wal and -shm.
        let current = try file.read { db in try fileChecks(db, pragma: pragma, into: &report) }
        file.close()
        guard current else { return report }
        try invariants(store: store ?? CrosslinkStore(path: path), into: &report)
        return report
    }

    /// The check of a PostgreSQL store: the server keeps its own files and enforces the foreign
    /// keys, so the SQLite file checks are skipped (saying what to use instead); the migrations
    /// and Crosslink's invariants run as on a file.
    private func runOnPostgreSQL(uri: String, store: CrosslinkStore?) throws -> CheckReport {
        let display = StoreLocation.redacted(uri)
        var report = CheckReport(path: display, level: level)
        report.skip(["file size matches header"], because: "PostgreSQL keeps the files: not a SQLite file")
        report.skip([level == .full ? "integrity_check" : "quick_check"],
                    because: "PostgreSQL: check its files with pg_amcheck (and data checksums, initdb -k)")
        report.skip(["foreign keys"], because: "PostgreSQL enforces every foreign key on each write")
        var configuration = Configuration()
        configuration.readOnly = true
        configuration.maximumReaderCount = 1
        // An open store's path is its URI without the password: read through the store itself.
        let pool: DatabasePool
        do {
            pool = try store?.pool ?? DatabasePool(postgreSQL: uri, configuration: configuration)
        } catch let error as DatabaseError {
            throw StoreError.uncheckable(path: display, reason: error.message)
        }
        defer { if store == nil { pool.close() } }
        let (migrationFailure, pending, stale) = try pool.read { db in
            let migrator = DatabaseMigrator()
            do {
                try migrator.validate(db)
            } catch let error as StoreError {
                return (String?.some(error.description), 0, String?.none)
            }
            let applied = Set(try migrator.appliedVersions(db))
            let pending = migrator.migrations(for: .postgresql).filter { !applied.contains($0.version) }.count
            let stale = pending == 0 ? try Aggregates(db).staleness()?.description : nil
            return (nil, pending, stale)
        }
        report.add("migrations", failure: migrationFailure, ok: pending == 0
                   ? "\(DatabaseMigrator().migrations(for: .postgresql).count) applied, checksums match"
                   : "checksums match; \(pending) not applied yet (`crosslink migrate`)")
        if migrationFailure != nil || pending > 0 {
            report.skip(Self.invariantNames, because: migrationFailure == nil ? "the schema is not current" : "the schema is not Crosslink's")
            return report
        }
        report.add("stale aggregates", failure: stale, ok: "every stored event is aggregated")
        try invariants(store: store ?? CrosslinkStore(postgreSQL: uri), into: &report)
        return report
    }

    /// The checks on the file itself, through one read transaction; whether the invariants can run
    /// (the file is sound and its schema current).
    private func fileChecks(_ db: Database, pragma: String, into report: inout CheckReport) throws -> Bool {
        // Through the connection's file handle: this process may hold the store open (locks).
        let damage = DatabaseFileHeader.sizeDamage(db)
        report.add("file size matches header", failure: damage?.description, ok: sizeDetail())

        let integrity = try collect(db, "PRAGMA \(pragma)") { $0.text(at: 0) }
        report.add(pragma, failure: integrity == ["ok"] ? nil : Self.summary(integrity), ok: "ok")
        if !report.isSound {
            report.skip(["foreign keys", "migrations"] + Self.invariantNames, because: "the file is damaged: restore a backup")
            return false
        }
        let orphans = try collect(db, "PRAGMA foreign_key_check") { "\($0.text(at: 0)) row \($0.int(at: 1)) → \($0.text(at: 2))" }
        report.add("foreign keys", failure: orphans.isEmpty ? nil : "\(orphans.count) rows refer to missing rows: " + Self.summary(orphans),
                   ok: "every reference resolves")
        let (migrationFailure, pending) = try migrations(db)
        report.add("migrations", failure: migrationFailure, ok: pending == 0
                   ? "\(DatabaseMigrator().migrations.count) applied, checksums match"
                   : "checksums match; \(pending) not applied yet (`crosslink migrate`)")
        if migrationFailure != nil || pending > 0 {
            report.skip(Self.invariantNames, because: migrationFailure == nil ? "the schema is not current" : "the schema is not Crosslink's")
            return false
        }
        let stale = try Aggregates(db).staleness()
        report.add("stale aggregates", failure: stale.map { $0.description }, ok: "every stored event is aggregated")
        return true
    }

    /// The checked file, read-only, leaving the directory as it found it: a lone read-only
    /// connection to a WAL file creates a `-wal` and `-shm` it cannot remove, a read-only
    /// ``DatabasePool`` removes them on close. SQLite reads an empty file as an empty database,
    /// which a pool refuses; such a file is not in WAL mode, so a lone connection leaves nothing.
    private enum CheckedFile {
        case pool(DatabasePool)
        case empty(Database)

        init(path: String) throws {
            var info = stat()
            if stat(path, &info) == 0, info.st_size == 0 {
                self = .empty(try Database(path: path, readOnly: true))
                return
            }
            var configuration = Configuration()
            configuration.readOnly = true
            configuration.maximumReaderCount = 1
            self = .pool(try DatabasePool(path: path, configuration: configuration))
        }

        func read<T: Sendable>(_ body: (Database) throws -> T) throws -> T {
            switch self {
            case .pool(let pool): try pool.read(body)
            case .empty(let db): try body(db)
            }
        }

        func close() {
            switch self {
            case .pool(let pool): pool.close()
            case .empty(let db): db.close()
            }
        }
    }

    private func sizeDetail() -> String {
        DatabaseFileHeader.hasPendingSideFile(path) ? "not compared: a write-ahead log holds pages not yet in the file" : "ok"
    }

    private func collect(_ db: Database, _ sql: String, _ row: (Statement) throws -> String) throws -> [String] {
        do {
            return try db.prepare(sql).map([], row)
        } catch let error as DatabaseError {
            return ["\(sql) failed: \(error.message)"]
        }
    }

    /// The first few findings, and how many there are.
    static func summary(_ findings: [String]) -> String {
        // integrity_check starts with "*** in database main ***\n" and may break lines: one line per item.
        let findings = findings.map { $0.replacingOccurrences(of: "*** in database main ***\n", with: "").replacingOccurrences(of: "\n", with: " ") }
        return findings.prefix(5).joined(separator: "; ") + (findings.count > 5 ? "; … (\(findings.count) in all)" : "")
    }

    /// A failure (unknown or changed migration), and the number of migrations not applied yet.
    private func migrations(_ db: Database) throws -> (String?, Int) {
        let migrator = DatabaseMigrator()
        do {
            try migrator.validate(db)
        } catch let error as StoreError {
            return (error.description, 0)
        }
        let applied = Set(try migrator.appliedVersions(db))
        return (nil, migrator.migrations.filter { !applied.contains($0.version) }.count)
    }

    /// Product ids to compare: all for a full check, else `size` spread evenly over the catalog.
    private func sample(_ store: CrosslinkStore, size: Int) throws -> [Int]? {
        guard level == .quick else { return nil }
        let ids = try store.read { db in try db.prepare("SELECT product_id FROM products ORDER BY product_id").map { $0.int(at: 0) } }
        guard ids.count > size else { return ids }
        return (0..<size).map { ids[$0 * ids.count / size] }
    }

    private func invariants(store: CrosslinkStore, into report: inout CheckReport) throws {
        let verifier = DerivedDataVerifier(store)
        let products = try sample(store, size: Self.quickSampleSize)
        let scope = products.map { "\($0.count) sampled products" } ?? "every product"
        report.add("aggregates equal a rebuild", failure: try Self.failure { try verifier.aggregatesMismatch(products: products).map { "\($0) (`crosslink aggregates rebuild` repairs it)" } },
                   ok: "aggregates and conversion lists on \(scope)")
        let ruleProducts = try sample(store, size: Self.quickRuleSampleSize)
        let skus = try store.read { db in
            guard let ruleProducts else { return try db.map("SELECT sku FROM products ORDER BY product_id") { $0.text(at: 0) } }
            return try db.map("SELECT sku FROM products WHERE product_id IN \(list: ruleProducts) ORDER BY product_id") { $0.text(at: 0) }
        }
        report.add("rule cache equals its rules", failure: try Self.failure { try verifier.ruleCacheMismatch(skus: skus).map { "\($0) (`crosslink rules refresh` repairs it)" } },
                   ok: "related, up-sell and cross-sell blocks of \(skus.count) products")
        report.add("neighbour list versions", failure: try Self.failure { try verifier.neighbourListsMismatch() }, ok: "consistent")
    }

    /// On PostgreSQL, a check whose SQL the server refuses is a failed check and the others
    /// still run; on SQLite every error ends the check as before.
    private static func failure(_ check: () throws -> String?) throws -> String? {
        do {
            return try check()
        } catch let error as DatabaseError where error.sqlState != nil {
            return "could not run: \(error)"
        }
    }
}
