
/// Stores and reads recommendation units (`units`, `unit_variants`). Every write validates the
/// unit first (``UnitValidator``) and runs in one transaction (a savepoint inside the caller's),
/// so a refused unit or file leaves the database as it was.
///
/// ```swift
/// let ids = try store.write { db in try UnitRepository(db).importFile(try UnitFile.parse(text, file: "units.json")) }
/// try store.write { db in try UnitRepository(db).setStatus(.active, name: "Customers also viewed") }
/// let units = try store.read { db in try UnitRepository(db).units(pageType: .product) }
/// ```
public struct UnitRepository {
    let db: Database
    public init(_ db: Database) { self.db = db }

    /// Inserts the unit, or replaces the unit of the same store and name (or id), with its
    /// variants. Returns the unit id.
    @discardableResult
    public func save(_ unit: RecommendationUnit, source: UnitFile.Entry? = nil) throws -> Int {
        try db.inTransaction {
            var unit = unit
            if unit.id == nil {
                unit.id = try db.scalarInt("SELECT u.unit_id FROM units AS u JOIN stores AS s ON s.store_id = u.store_id WHERE s.code = ? AND u.name = ?",
                                           [unit.store, unit.name])
            }
            // Validated first: an unknown store is an InputError naming the unit and the file's line.
            try UnitValidator(db).validate(unit, source: source)
            let storeID = try StoreRepository(db).store(code: unit.store).id
            let id: Int
            if let existing = unit.id {
                try db.execute("""
                    UPDATE units SET store_id = ?, name = ?, label = ?, page_type = ?, placement = ?, position = ?, status = ?,
                        updated_at = \(SQL.utcNow.rendered(engine: db.engine).text)
                    WHERE unit_id = ?
                    """, [storeID, unit.name, unit.label, unit.pageType.rawValue, unit.placement.rawValue, unit.position,
                          unit.status.rawValue, existing])
                guard db.changes == 1 else { throw RequestError.unknownUnit("#\(existing)") }
                try db.execute("DELETE FROM unit_variants WHERE unit_id = ?", [existing])
                id = existing
            } else {
                id = try db.cachedStatement("""
                    INSERT INTO units(store_id, name, label, page_type, placement, position, status) VALUES (?, ?, ?, ?, ?, ?, ?)
                    RETURNING unit_id
                    """).map([storeID, unit.name, unit.label, unit.pageType.rawValue, unit.placement.rawValue, unit.position,
                              unit.status.rawValue]) { $0.int(at: 0) }[0]
            }
            for variant in unit.variants {
                try db.execute("""
                    INSERT INTO unit_variants(unit_id, variant, traffic, type, product_count, backups, filters, max_per_category, shuffle,
                                              windows)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, [id, variant.variant, variant.traffic, variant.type.rawValue, variant.productCount,
                          UnitEncoder.backups(variant.backups).compactText, UnitEncoder.filters(variant.filters).compactText,
                          variant.maxPerCategory, variant.shuffle, UnitEncoder.windows(variant.windows).compactText])
            }
            return id
        }
    }

    /// Saves every unit of the file in one transaction: all or none.
    @discardableResult
    public func importFile(_ file: UnitFile) throws -> [Int] {
        try db.inTransaction { try file.entries.map { try save($0.unit, source: $0) } }
    }

    /// Units, optionally of one store and page type, in page order (top first, then position).
    public func units(store: String? = nil, pageType: PageType? = nil) throws -> [RecommendationUnit] {
        try load(where: "(CAST(?1 AS TEXT) IS NULL OR s.code = ?1) AND (CAST(?2 AS TEXT) IS NULL OR u.page_type = ?2)", [store, pageType?.rawValue])
    }

    public func unit(name: String, store: String = "default") throws -> RecommendationUnit? {
        try load(where: "s.code = ?1 AND u.name = ?2", [store, name]).first
    }

    public func unit(id: Int) throws -> RecommendationUnit? {
        try load(where: "u.unit_id = ?1", [id]).first
    }

    /// The unit a person names: the one called `nameOrID` in `store`, else, when `nameOrID` is a
    /// number, the unit with that id (the id `units list` shows and unit events carry), in any
    /// store. A name wins over an id, so a unit named "2" stays reachable by its name.
    public func unit(named nameOrID: String, store: String = "default") throws -> RecommendationUnit? {
        if let unit = try unit(name: nameOrID, store: store) { return unit }
        guard let id = Int(nameOrID), id > 0 else { return nil }
        return try unit(id: id)
    }

    /// The active units of a page type of a store, in page order (top first, then position).
    public func active(storeID: Int, pageType: PageType) throws -> [RecommendationUnit] {
        try load(where: "u.store_id = ?1 AND u.page_type = ?2 AND u.status = 'active'", [storeID, pageType.rawValue])
    }

    /// Activates, deactivates or drafts a unit (a sixth active unit of a page type is refused).
    public func setStatus(_ status: UnitStatus, name: String, store: String = "default") throws {
        try db.inTransaction {
            guard var unit = try unit(named: name, store: store) else { throw RequestError.unknownUnit(name) }
            unit.status = status
            try UnitValidator(db).validate(unit)
            try db.execute("UPDATE units SET status = ?, updated_at = \(SQL.utcNow.rendered(engine: db.engine).text) WHERE unit_id = ?",
                           [status.rawValue, unit.id!])
        }
    }

    /// Deletes a unit and its variants; `name` may be the unit's id (``unit(named:store:)``).
    public func delete(name: String, store: String = "default") throws {
        guard let id = try unit(named: name, store: store)?.id else { throw RequestError.unknownUnit(name) }
        try db.execute("DELETE FROM units WHERE unit_id = ?", [id])
    }

    /// The units' select; `condition` uses `u` (units) and `s` (stores) and positional arguments.
    private func load(where condition: String, _ arguments: [any DatabaseValueConvertible]) throws -> [RecommendationUnit] {
        var units: [RecommendationUnit] = []
        try db.cachedStatement("""
            SELECT u.unit_id, s.code, u.name, u.label, u.page_type, u.placement, u.position, u.status,
                   v.variant, v.traffic, v.type, v.product_count, v.backups, v.filters, v.max_per_category, v.shuffle, v.windows
            FROM units AS u JOIN stores AS s ON s.store_id = u.store_id JOIN unit_variants AS v ON v.unit_id = u.unit_id
            WHERE \(condition)
            ORDER BY s.code, u.page_type, u.placement = 'bottom', u.position, u.unit_id, v.variant
            """).forEachRow(arguments) { row in
            let id = row.int(at: 0)
            let variant = try Self.variant(row, from: 8, unit: row.text(at: 2))
            if units.last?.id == id { units[units.count - 1].variants.append(variant); return }
            units.append(RecommendationUnit(id: id, store: row.text(at: 1), name: row.text(at: 2), label: row.text(at: 3),
                              pageType: PageType(rawValue: row.text(at: 4)) ?? .home, placement: UnitPlacement(rawValue: row.text(at: 5)) ?? .bottom,
                              position: row.int(at: 6), status: UnitStatus(rawValue: row.text(at: 7)) ?? .draft, variants: [variant]))
        }
        return units
    }

    /// A variant from columns variant, traffic, type, product_count, backups, filters,
    /// max_per_category, shuffle, windows starting at `first`.
    static func variant(_ row: Statement, from first: Int32, unit: String) throws -> UnitVariant {
        let typeName = row.text(at: first + 2)
        guard let type = UnitType(rawValue: typeName) else {
            throw InputError("stored type \(RuleText.quoted(typeName)) is unknown to this library",
                             subject: JSONEntryFile.subject("unit", name: unit, index: nil), path: "type")
        }
        let stored = try StoredJSON.decode(row.database, backups: row.text(at: first + 4), filters: row.text(at: first + 5), unit: unit)
        return UnitVariant(variant: row.text(at: first), traffic: row.int(at: first + 1), type: type, productCount: row.int(at: first + 3),
                           backups: stored.backups, filters: stored.filters, maxPerCategory: row.optionalInt(at: first + 6),
                           shuffle: row.int(at: first + 7) == 1, windows: try StoredJSON.windows(row.text(at: first + 8), unit: unit))
    }
}

extension StoreCaches.Namespace {
    /// Stored unit backups and filters JSON, decoded (bounded: unit definitions are few).
    static let unitJSON = StoreCaches.Namespace("unit JSON", limit: 10_000)
}

/// Stored backups and filters JSON, decoded once per distinct text for the store (a page
/// resolution reads them on every call).
enum StoredJSON {
    struct Decoded: Sendable {
        var backups: [UnitType]
        var filters: UnitFilters
    }

    static func decode(_ db: Database, backups: String, filters: String, unit: String) throws -> (backups: [UnitType], filters: UnitFilters) {
        let decoded = try db.caches.value(.unitJSON, backups + "\u{1F}" + filters) {
            try decode(backups: backups, filters: filters, unit: unit)
        }
        return (decoded.backups, decoded.filters)
    }

    private static func decode(backups: String, filters: String, unit: String) throws -> Decoded {
        var decoder = UnitDecoder(file: nil, index: nil)
        decoder.subject = JSONEntryFile.subject("unit", name: unit, index: nil)
        let backupList = try decoder.list(try parse(backups, unit: unit), path: "backups").enumerated().map { i, item in
            try decoder.named(item, path: "backups[\(i)]", UnitType.init(rawValue:), names: UnitType.allNames)
        }
        return Decoded(backups: backupList, filters: try decoder.filters(try parse(filters, unit: unit), path: "filters"))
    }

    /// A stored `windows` object ('{}' for most variants: no parse).
    static func windows(_ text: String, unit: String) throws -> RecommendationWindows {
        guard text != "{}" else { return RecommendationWindows() }
        var decoder = UnitDecoder(file: nil, index: nil)
        decoder.subject = JSONEntryFile.subject("unit", name: unit, index: nil)
        return try decoder.windows(try parse(text, unit: unit), path: "windows")
    }

    private static func parse(_ text: String, unit: String) throws -> RuleJSON {
        do { return try RuleJSON.parse(text) } catch {
            throw InputError("stored JSON is damaged: \(error)", subject: JSONEntryFile.subject("unit", name: unit, index: nil))
        }
    }
}
