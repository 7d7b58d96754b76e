import Foundation

/// Rules as data: validated on the way in, stored in the `rules` table (trees as JSON),
/// imported from and exported to rule files. Every change brings the rule result cache up to
/// date before it returns (unless the cache was cleared or `refreshesCache` is false).
///
/// ```swift
/// try store.write { db in
///     let rules = RuleRepository(db)
///     try rules.importFile(text: try String(contentsOfFile: "rules.json", encoding: .utf8), file: "rules.json")
///     try rules.setActive(false, name: "Bags: pricier bags")
/// }
/// let json = try store.read { db in try RuleRepository(db).exportFile() }
/// ```
public struct RuleRepository {
    let db: Database
    let refreshesCache: Bool

    /// `refreshesCache: false` leaves the result cache to the caller (who then runs
    /// ``RuleCache/refresh(maximumIncremental:)``, e.g. to report what it built).
    public init(_ db: Database, refreshesCache: Bool = true) {
        self.db = db
        self.refreshesCache = refreshesCache
    }

    /// After a change: the rule's cached results (if the cache is on) are built before the caller commits.
    private func changed() throws {
        if refreshesCache { try RuleCache(db).refreshIfEnabled() }
    }

    static let columns = """
        rule_id, name, active, applies_to, priority, result_limit, from_date, to_date, segments, match_conditions, display_conditions
        """

    /// Validates and stores a new rule; a rule of the same name is an error. Returns its id.
    @discardableResult
    public func add(_ rule: Rule) throws -> Int {
        try RuleValidator(db).validate(rule)
        return try db.inTransaction {
            let id = try insertOrUpdate(rule, replacing: false)
            try changed()
            return id
        }
    }

    /// Validates and stores the rule, replacing the rule of the same name (which keeps its id).
    @discardableResult
    public func save(_ rule: Rule) throws -> Int {
        try RuleValidator(db).validate(rule)
        return try db.inTransaction {
            let id = try insertOrUpdate(rule, replacing: true)
            try changed()
            return id
        }
    }

    private func insertOrUpdate(_ rule: Rule, replacing: Bool) throws -> Int {
        let existing = try db.scalarInt("SELECT rule_id FROM rules WHERE name = ?", [rule.name])
        if existing != nil && !replacing { throw RequestError.duplicateRule(rule.name) }
        let segments = RuleJSON(.array(rule.segments.map { RuleJSON(.string($0)) })).compactText
        let (name, active, block, priority, limit) = (rule.name, rule.isActive, rule.appliesTo.rawValue, rule.priority, rule.effectiveLimit)
        let (from, to, match, display) = (rule.fromDate, rule.toDate, rule.match.json.compactText, rule.display.json.compactText)
        if let existing {
            try db.execute("""
                UPDATE rules SET name = \(name), active = \(active), applies_to = \(block), priority = \(priority),
                    result_limit = \(limit), from_date = \(from), to_date = \(to), segments = \(segments),
                    match_conditions = \(match), display_conditions = \(display), updated_at = \(sql: .utcNow)
                WHERE rule_id = \(existing)
                """ as SQL)
            return existing
        }
        return try db.scalarInt("""
            INSERT INTO rules(name, active, applies_to, priority, result_limit, from_date, to_date, segments, match_conditions, display_conditions)
            VALUES (\(name), \(active), \(block), \(priority), \(limit), \(from), \(to), \(segments), \(match), \(display))
            RETURNING rule_id
            """ as SQL) ?? 0
    }

    /// Reads a rule file (one rule, a list, or `{"rules": [...]}`) and stores every rule — all
    /// or nothing. `replaceExisting: false` refuses names that exist. Errors name the file,
    /// line and column, the rule and the condition's path. Returns the rules' ids in file order.
    @discardableResult
    public func importFile(text: String, file: String? = nil, replaceExisting: Bool = true) throws -> [Int] {
        let parsed = try RuleFile(text: text, file: file)
        var seen = Set<String>()
        for entry in parsed.rules where !seen.insert(entry.rule.name).inserted {
            throw InputError("the file holds two rules of this name", at: entry.location(of: "name"),
                             subject: JSONEntryFile.subject("rule", name: entry.rule.name, index: entry.index), path: "name")
        }
        let validator = try RuleValidator(db)
        for entry in parsed.rules {
            try validator.validate(entry.rule, index: entry.index, locate: entry.location(of:))
        }
        return try db.inTransaction {
            let ids = try parsed.rules.map { try insertOrUpdate($0.rule, replacing: replaceExisting) }
            try changed()
            return ids
        }
    }

    /// All rules (of one block, if given) as a rule file, by block, priority and id.
    public func exportFile(appliesTo: LinkType? = nil) throws -> String {
        RuleFile.export(try all(appliesTo: appliesTo))
    }

    public func rule(named name: String) throws -> Rule? {
        try db.cachedStatement("SELECT \(Self.columns) FROM rules WHERE name = ?").map([name], decode).first
    }

    public func rule(id: Int) throws -> Rule? {
        try db.cachedStatement("SELECT \(Self.columns) FROM rules WHERE rule_id = ?").map([id], decode).first
    }

    /// Rules by block, priority, id.
    public func all(appliesTo: LinkType? = nil) throws -> [Rule] {
        try db.cachedStatement("""
            SELECT \(Self.columns) FROM rules WHERE CAST(?1 AS TEXT) IS NULL OR applies_to = ?1 ORDER BY applies_to, priority, rule_id
            """).map([appliesTo?.rawValue], decode)
    }

    /// Turns a rule on or off (its cached results stay valid).
    public func setActive(_ active: Bool, name: String) throws {
        try db.inTransaction {
            try db.execute("UPDATE rules SET active = \(active), updated_at = \(sql: .utcNow) WHERE name = \(name)" as SQL)
            if db.changes == 0 { throw RequestError.unknownRule(name) }
            try changed()
        }
    }

    /// Deletes the rule and its cached results.
    public func delete(name: String) throws {
        try db.inTransaction {
            try db.execute("DELETE FROM rules WHERE name = ?", [name])
            if db.changes == 0 { throw RequestError.unknownRule(name) }
            try changed()
        }
    }

    func decode(_ row: Statement) throws -> Rule {
        let name = row.text(at: 1)
        let subject = JSONEntryFile.subject("rule", name: name, index: nil)
        let segments: [String]
        if case .array(let items) = try RuleJSON.parse(row.text(at: 8)).kind {
            segments = items.compactMap { if case .string(let text) = $0.kind { text } else { nil } }
        } else {
            segments = []
        }
        return Rule(id: row.int(at: 0), name: name, isActive: row.int(at: 2) == 1,
                    appliesTo: LinkType(rawValue: row.text(at: 3)) ?? .related, priority: row.int(at: 4), limit: row.int(at: 5),
                    fromDate: row.optionalText(at: 6), toDate: row.optionalText(at: 7), segments: segments,
                    match: try RuleCondition(json: RuleJSON.parse(row.text(at: 9)), subject: subject, path: "match"),
                    display: try RuleCondition(json: RuleJSON.parse(row.text(at: 10)), subject: subject, path: "display"))
    }
}
