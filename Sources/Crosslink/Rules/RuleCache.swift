import Foundation

/// The materialised rule results (tables `rule_lists`, `rule_matches`, `rule_results`).
///
/// A placement uses them only when they are up to date — no product changed since the last
/// refresh (the migration's triggers list changed products in `rule_cache_dirty`), no full
/// rebuild due (categories moved, stores or attribute types changed) and the rule built —
/// and otherwise runs the rule's SQL: a stale result is never served. `refresh()` brings
/// everything up to date: rules changed or new are built, products changed are re-matched and
/// the lists they are in, or could now enter, are recomputed; past `maximumIncremental`
/// changed products it rebuilds everything.
///
/// ```swift
/// try store.write { db in try ProductRepository(db).upsert(product) }
/// let report = try store.write { db in try RuleCache(db).refresh() }
/// print(report)   // 1 product changed: 0 rules built, 3 lists computed, 0.004 s
/// ```
public struct RuleCache {
    let db: Database
    public init(_ db: Database) { self.db = db }

    /// What a refresh did.
    public struct Report: Sendable, Equatable, CustomStringConvertible {
        public var fullRebuild = false
        public var changedProducts = 0
        public var rulesBuilt = 0
        public var rulesDropped = 0
        public var listsComputed = 0
        public var seconds = 0.0

        public var description: String {
            (fullRebuild ? "full rebuild" : "\(changedProducts) product\(changedProducts == 1 ? "" : "s") changed")
                + ": \(rulesBuilt) rule\(rulesBuilt == 1 ? "" : "s") built, \(listsComputed) list\(listsComputed == 1 ? "" : "s") computed"
                + (rulesDropped > 0 ? ", \(rulesDropped) inactive dropped" : "") + String(format: ", %.3f s", seconds)
        }
    }

    /// Brings the cache up to date (run it in a write transaction: `store.write { db in … }`),
    /// and turns automatic refreshes back on after ``clear()``.
    @discardableResult
    public func refresh(maximumIncremental: Int = 2_000) throws -> Report {
        try db.inTransaction { try refreshInTransaction(force: false, maximumIncremental: maximumIncremental) }
    }

    /// What a catalog write can leave out of date, in one cheap statement (two primary-key
    /// lookups): the cache is on (not cleared) and a product changed or a full rebuild is due.
    static let staleSQL = """
        SELECT enabled = 1 AND (full_rebuild = 1 OR EXISTS (SELECT 1 FROM rule_cache_dirty)) FROM rule_cache_state WHERE id = 1
        """

    /// Refreshes the cache when a catalog write left it out of date, unless it was cleared;
    /// otherwise costs one small query. The importers call it before their transaction
    /// commits, so the next placement reads fresh cached results (``RuleRepository`` refreshes
    /// after rule changes itself).
    ///
    /// ```swift
    /// try store.write { db in
    ///     try ProductRepository(db).upsert(product)
    ///     try RuleCache(db).refreshIfStale()
    /// }
    /// ```
    @discardableResult
    public func refreshIfStale() throws -> Report? {
        let stale = try db.cachedStatement(Self.staleSQL)
        stale.reset()
        defer { stale.reset() }
        guard try stale.step(), stale.int(at: 0) == 1 else { return nil }
        stale.reset()
        return try refresh()
    }

    /// Drops every cached result and builds all active rules again.
    @discardableResult
    public func rebuild() throws -> Report {
        try db.inTransaction { try refreshInTransaction(force: true, maximumIncremental: 0) }
    }

    /// After a rule change: refreshes (building new or changed rules) unless the cache was cleared.
    @discardableResult
    func refreshIfEnabled() throws -> Report? {
        guard try db.scalarInt("SELECT enabled FROM rule_cache_state WHERE id = 1") == 1 else { return nil }
        return try refresh()
    }

    /// Drops every cached result and turns automatic refreshes off: placements run every
    /// rule's SQL until the next ``refresh(maximumIncremental:)`` or ``rebuild()``.
    public func clear() throws {
        try db.inTransaction {
            try dropAll()
            try db.execute("DELETE FROM rule_cache_dirty")
            try db.execute("UPDATE rule_cache_state SET full_rebuild = 0, enabled = 0 WHERE id = 1")
        }
    }

    private func dropAll() throws {
        // Children first: cheaper than cascading from each list.
        try db.execute("DELETE FROM rule_results")
        try db.execute("DELETE FROM rule_matches")
        try db.execute("DELETE FROM rule_lists")
        try db.execute("DELETE FROM rule_cache_rules")
    }

    private func refreshInTransaction(force: Bool, maximumIncremental: Int) throws -> Report {
        let start = ContinuousClock.now
        var report = Report()
        let fullRebuildDue = try db.scalarInt("SELECT full_rebuild FROM rule_cache_state WHERE id = 1") == 1
        let dirty = try db.prepare("SELECT product_id FROM rule_cache_dirty ORDER BY product_id").map { $0.int(at: 0) }
        report.changedProducts = dirty.count
        let active = try db.prepare("SELECT rule_id, result_limit FROM rules WHERE active = 1 ORDER BY rule_id")
            .map { (id: $0.int(at: 0), limit: $0.int(at: 1)) }
        var built = Set(try db.prepare("SELECT rule_id FROM rule_cache_rules").map { $0.int(at: 0) })
        let activeIDs = Set(active.map(\.id))
        for ruleID in built.subtracting(activeIDs) {
            try drop(ruleID: ruleID)
            report.rulesDropped += 1
        }
        built.formIntersection(activeIDs)
        if force || fullRebuildDue || dirty.count > maximumIncremental {
            try dropAll()
            built = []
            report.fullRebuild = true
        }
        let generation = try db.scalarInt("SELECT generation FROM rule_cache_state WHERE id = 1") ?? 0
        let stores = try db.prepare("SELECT store_id FROM stores ORDER BY store_id").map { $0.int(at: 0) }
        let engine = RuleEngine(db)
        for rule in active {
            let compiled = try engine.compiled(ruleID: rule.id, generation: generation)
            let cap = rule.limit + RuleEngine.slack
            if built.contains(rule.id) {
                if !dirty.isEmpty {
                    report.listsComputed += try update(ruleID: rule.id, compiled: compiled, dirty: dirty, stores: stores, cap: cap)
                }
            } else {
                report.listsComputed += try build(ruleID: rule.id, compiled: compiled, stores: stores, cap: cap)
                report.rulesBuilt += 1
            }
        }
        try db.execute("DELETE FROM rule_cache_dirty")
        try db.execute("UPDATE rule_cache_state SET full_rebuild = 0, enabled = 1, refreshed_at = \(sql: .utcNow) WHERE id = 1" as SQL)
        report.seconds = (ContinuousClock.now - start) / .seconds(1)
        return report
    }

    private func drop(ruleID: Int) throws {
        try db.execute("DELETE FROM rule_results WHERE list_id IN (SELECT list_id FROM rule_lists WHERE rule_id = ?)", [ruleID])
        try db.execute("DELETE FROM rule_lists WHERE rule_id = ?", [ruleID])
        try db.execute("DELETE FROM rule_cache_rules WHERE rule_id = ?", [ruleID])
    }

    /// Matches every product against the rule, groups them by key, computes each list. Returns the number of lists.
    private func build(ruleID: Int, compiled: CompiledRule, stores: [Int], cap: Int) throws -> Int {
        try drop(ruleID: ruleID)
        let keys = try db.statement(compiled.keys).statement
        defer { keys.reset() }
        var matches: [(product: Int, key: String)] = []
        while try keys.step() { matches.append((keys.int(at: 0), keys.text(at: 1))) }
        keys.reset()
        var lists: [String: Int] = [:]
        var newLists: [(list: Int, representative: Int)] = []
        for match in matches {
            let list: Int
            if let existing = lists[match.key] {
                list = existing
            } else {
                list = try insertList(ruleID: ruleID, key: match.key, representative: match.product)
                lists[match.key] = list
                newLists.append((list, match.product))
            }
            try insertMatch(product: match.product, ruleID: ruleID, list: list)
        }
        for list in newLists {
            try compute(list: list.list, representative: list.representative, compiled: compiled, stores: stores, cap: cap)
        }
        try db.execute("INSERT INTO rule_cache_rules(rule_id, built_at) VALUES (\(ruleID), \(sql: .utcNow))" as SQL)
        return newLists.count
    }

    /// Re-matches the changed products and recomputes the lists they left, joined, are in, or could enter.
    private func update(ruleID: Int, compiled: CompiledRule, dirty: [Int], stores: [Int], cap: Int) throws -> Int {
        try db.execute("DELETE FROM rule_matches WHERE rule_id = \(ruleID) AND product_id IN \(list: dirty)" as SQL)
        var recompute = Set<Int>()
        var representatives: [Int: Int] = [:]
        let preparedKeys = try db.statement(compiled.keysOf)
        let keysOf = preparedKeys.statement
        preparedKeys.bind(ids: dirty, "ids")
        var matches: [(product: Int, key: String)] = []
        while try keysOf.step() { matches.append((keysOf.int(at: 0), keysOf.text(at: 1))) }
        keysOf.reset()
        for match in matches {
            let list: Int
            if let existing = try db.scalarInt("SELECT list_id FROM rule_lists WHERE rule_id = ? AND list_key = ?", [ruleID, match.key]) {
                list = existing
            } else {
                list = try insertList(ruleID: ruleID, key: match.key, representative: match.product)
                recompute.insert(list)
                representatives[list] = match.product
            }
            try insertMatch(product: match.product, ruleID: ruleID, list: list)
        }
        // A list keeps a member as representative; one without members goes.
        try db.execute("""
            UPDATE rule_lists SET representative_id = (SELECT min(product_id) FROM rule_matches WHERE list_id = rule_lists.list_id)
            WHERE rule_id = \(ruleID) AND (representative_id IS NULL OR representative_id IN \(list: dirty))
            """ as SQL)
        try db.execute("""
            DELETE FROM rule_results WHERE list_id IN (SELECT list_id FROM rule_lists WHERE rule_id = ? AND representative_id IS NULL)
            """, [ruleID])
        try db.execute("DELETE FROM rule_lists WHERE rule_id = ? AND representative_id IS NULL", [ruleID])
        // Lists holding a changed (or deleted) product, and lists a changed product could now enter.
        for list in try db.map("""
            SELECT DISTINCT rr.list_id FROM rule_results AS rr JOIN rule_lists AS l ON l.list_id = rr.list_id
            WHERE l.rule_id = \(ruleID) AND rr.candidate_id IN \(list: dirty)
            UNION SELECT list_id FROM rule_lists WHERE rule_id = \(ruleID) AND stale = 1
            """ as SQL, { $0.int(at: 0) }) { recompute.insert(list) }
        let preparedAffected = try db.statement(compiled.affectedLists)
        let affected = preparedAffected.statement
        preparedAffected.bind(ruleID, "rule")
        preparedAffected.bind(ids: dirty, "ids")
        while try affected.step() { recompute.insert(affected.int(at: 0)) }
        affected.reset()
        for list in recompute.sorted() {
            guard let representative = try representatives[list]
                    ?? db.scalarInt("SELECT representative_id FROM rule_lists WHERE list_id = ?", [list]) else { continue }
            try db.execute("DELETE FROM rule_results WHERE list_id = ?", [list])
            try compute(list: list, representative: representative, compiled: compiled, stores: stores, cap: cap)
            try db.execute("UPDATE rule_lists SET stale = 0 WHERE list_id = ? AND stale = 1", [list])
        }
        return recompute.count
    }

    private func insertList(ruleID: Int, key: String, representative: Int) throws -> Int {
        let insert = try db.cachedStatement("INSERT INTO rule_lists(rule_id, list_key, representative_id) VALUES (?, ?, ?) RETURNING list_id")
        insert.reset()
        insert.bind(ruleID, at: 1)
        insert.bind(key, at: 2)
        insert.bind(representative, at: 3)
        defer { insert.reset() }
        _ = try insert.step()
        return insert.int(at: 0)
    }

    private func insertMatch(product: Int, ruleID: Int, list: Int) throws {
        let insert = try db.cachedStatement("INSERT INTO rule_matches(product_id, rule_id, list_id) VALUES (?, ?, ?)")
        insert.reset()
        insert.bind(product, at: 1)
        insert.bind(ruleID, at: 2)
        insert.bind(list, at: 3)
        while try insert.step() {}
    }

    /// The list's first `cap` candidates in each store, as the representative's.
    private func compute(list: Int, representative: Int, compiled: CompiledRule, stores: [Int], cap: Int) throws {
        let engine = RuleEngine(db)
        let insert = try db.cachedStatement("INSERT INTO rule_results(list_id, store_id, position, candidate_id) VALUES (?, ?, ?, ?)")
        for store in stores {
            let candidates = try engine.candidates(compiled, matched: representative, storeID: store, excluded: [], limit: cap)
            for (position, candidate) in candidates.enumerated() {
                insert.reset()
                insert.bind(list, at: 1)
                insert.bind(store, at: 2)
                insert.bind(position, at: 3)
                insert.bind(candidate.productID, at: 4)
                while try insert.step() {}
            }
        }
    }
}
