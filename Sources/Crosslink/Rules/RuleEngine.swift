import Foundation

/// Resolves the rule part of a block: the rules of the block that are active, in
/// their date range (store time zone) and shown to the visitor's segments, in priority order;
/// each takes up to its limit of displayable candidates for the matched products — from the
/// result cache when it is up to date, else by running the rule's compiled SQL; the merged list
/// (no duplicates) is rotated and cut to what the block has room for.
public struct RuleEngine {
    let db: Database
    init(_ db: Database) { self.db = db }

    struct BlockContext {
        var settings: BlockSettings
        var timeZone: String
        /// The display mode uses rules and the block has an active rule: the block maximum applies.
        var rulesOn: Bool
        /// No full rebuild due and no product changed since the last refresh.
        var cacheUsable: Bool
        var generation: Int
    }

    struct ActiveRule {
        var id: Int
        var name: String
        var priority: Int
        var limit: Int
        /// Results materialised in the cache.
        var built: Bool
    }

    /// A candidate row: id, SKU, name, final price.
    struct Candidate {
        var productID: Int
        var sku: String
        var name: String
        var finalPrice: Double?
    }

    /// Cached lists hold this many candidates beyond the rule's limit, for exclusions.
    static let slack = 10

    /// Settings, time zone, "rules on" and cache state of one block: `?1` store id, `?2` block.
    public static let blockContextSQL = """
        SELECT coalesce(bs.display_mode, 0), bs.max_products, coalesce(bs.rotation_mode, 1),
               coalesce((SELECT time_zone FROM store_rule_settings WHERE store_id = ?1), 'UTC'),
               EXISTS (SELECT 1 FROM rules WHERE applies_to = ?2 AND active = 1),
               st.full_rebuild = 0 AND NOT EXISTS (SELECT 1 FROM rule_cache_dirty)
                   AND (SELECT bulk FROM catalog_write_mode WHERE id = 1) = 0,
               st.generation
        FROM rule_cache_state AS st
        LEFT JOIN block_settings AS bs ON bs.store_id = ?1 AND bs.block = ?2
        WHERE st.id = 1
        """

    /// Active rules of a block in their dates for the segments: `:block`, `:day`, `:segments` (a
    /// JSON array), numbered 1, 2, 3 (the benchmark's C baseline binds them by number).
    static let applicableRules = SQLTemplate("""
        SELECT r.rule_id, r.name, r.priority, r.result_limit, CASE WHEN c.rule_id IS NOT NULL THEN 1 ELSE 0 END
        FROM rules AS r LEFT JOIN rule_cache_rules AS c ON c.rule_id = r.rule_id
        WHERE r.applies_to = \(parameter: "block") AND r.active = 1
          AND (r.from_date IS NULL OR r.from_date <= \(parameter: "day")) AND (r.to_date IS NULL OR r.to_date >= \(parameter: "day"))
          AND (r.segments = '[]' OR EXISTS (SELECT 1 FROM \(sqlite: "json_each(r.segments) AS g",
                                                                 postgreSQL: "json_array_elements_text(CAST(r.segments AS json)) AS g(value)")
                                           WHERE g.value IN \(textList: "segments")))
        ORDER BY r.priority, r.rule_id
        """)
    /// The text of `applicableRules` on SQLite: `:block`, `:day`, `:segments` (a JSON array).
    public static var applicableRulesSQL: String { applicableRules.plain.text }

    /// Cached candidates of one matched product `?1` in store `?2` for the rules in JSON `?3`, in
    /// position order.
    static let cachedList = SQLTemplate(cachedListsSQL(matched: "= \(parameter: "matched")", filtered: false))
    /// `cachedList`'s text: parameters 1 `:matched`, 2 `:store`, 3 `:rules` (public so the
    /// benchmark's C baseline runs the same SQL).
    public static var cachedListSQL: String { cachedList.plain.text }
    /// The same for several matched products (a cart), JSON `?1`.
    static let cachedLists = SQLTemplate(cachedListsSQL(matched: "IN \(idList: "matched")", filtered: false))

    /// `filtered`: only the candidates passing a unit's filter (at the marker), each list
    /// preceded by a row with its whole length (column 3 NULL) — a filter may drop every
    /// candidate of a list, and a list's length tells whether it holds all of the rule's.
    static func cachedListsSQL(matched: SQL, filtered: Bool) -> SQL {
        // The store after the matched products: parameters numbered in the order 1 matched, 2 store, 3 rules.
        let candidates: SQL = """
            SELECT x.rule_id, x.product_id, p.product_id, p.sku, p.name, p.final_price\(literal: filtered ? ", NULL, rr.position" : "")
            FROM rule_matches AS x
            JOIN rule_results AS rr ON rr.list_id = x.list_id
            JOIN products AS p ON p.product_id = rr.candidate_id
            WHERE x.product_id \(sql: matched) AND rr.store_id = \(parameter: "store") AND x.rule_id IN \(idList: "rules")
            """
        guard filtered else { return candidates + "\nORDER BY x.rule_id, x.product_id, rr.position" }
        return """
            SELECT x.rule_id, x.product_id, NULL, NULL, NULL, NULL, count(*), -1
            FROM rule_matches AS x
            JOIN rule_results AS rr ON rr.list_id = x.list_id
            WHERE x.product_id \(sql: matched) AND rr.store_id = \(parameter: "store") AND x.rule_id IN \(idList: "rules")
            GROUP BY x.rule_id, x.product_id
            UNION ALL
            \(sql: candidates) \(condition: "rr.candidate_id")
            ORDER BY 1, 2, 8
            """
    }
    static let filteredList = SQLTemplate(cachedListsSQL(matched: "= \(parameter: "matched")", filtered: true))
    static let filteredLists = SQLTemplate(cachedListsSQL(matched: "IN \(idList: "matched")", filtered: true))

    /// One rule's cached list for one matched product: the candidates that pass the unit's
    /// filter, in position order, and how many the list holds in all.
    struct CachedList {
        var candidates: [Candidate] = []
        /// The whole list's length, read with a filter; without one, every candidate is read.
        var filteredLength: Int?
        var length: Int { filteredLength ?? candidates.count }
    }

    func blockContext(storeID: Int, block: LinkType) throws -> BlockContext {
        let statement = try db.cachedStatement(Self.blockContextSQL)
        statement.reset()
        statement.bind(storeID, at: 1)
        statement.bind(block.rawValue, at: 2)
        defer { statement.reset() }
        guard try statement.step() else {
            throw DatabaseError(extendedResultCode: 1, message: "rule_cache_state has no row", sql: statement.sql, path: db.path)
        }
        let settings = BlockSettings(block: block, displayMode: BlockDisplayMode(rawValue: statement.int(at: 0)) ?? .both,
                                     maxProducts: statement.optionalInt(at: 1),
                                     rotation: RotationMode(rawValue: statement.int(at: 2)) ?? .byPriorityThenRandom)
        return BlockContext(settings: settings, timeZone: statement.text(at: 3),
                            rulesOn: settings.displayMode != .manualOnly && statement.int(at: 4) == 1,
                            cacheUsable: statement.int(at: 5) == 1, generation: statement.int(at: 6))
    }

    /// Active rules of `block` whose dates include `day` and whose segments (if any) meet `segments`.
    func applicableRules(block: LinkType, day: String, segments: [String]) throws -> [ActiveRule] {
        let prepared = try db.statement(Self.applicableRules)
        let statement = prepared.statement
        prepared.bind(block.rawValue, "block")
        prepared.bind(day, "day")
        prepared.bind(RuleJSON(.array(segments.map { RuleJSON(.string($0)) })).compactText, "segments")
        defer { statement.reset() }
        var rules: [ActiveRule] = []
        while try statement.step() {
            rules.append(ActiveRule(id: statement.int(at: 0), name: statement.text(at: 1), priority: statement.int(at: 2),
                                    limit: statement.int(at: 3), built: statement.int(at: 4) == 1))
        }
        return rules
    }

    /// The rule's compiled SQL, from the store's cache when this generation compiled it already.
    func compiled(ruleID: Int, generation: Int) throws -> CompiledRule {
        try db.caches.value(.compiledRules, "\(generation) \(ruleID)") {
            guard let rule = try RuleRepository(db).rule(id: ruleID) else { throw RequestError.unknownRule("#\(ruleID)") }
            return try RuleCompiler(db).compile(rule)
        }
    }

    /// Whether "products to match" holds for `productID`.
    func matches(_ compiled: CompiledRule, productID: Int) throws -> Bool {
        let prepared = try db.statement(compiled.match)
        let statement = prepared.statement
        prepared.bind(productID, "product")
        defer { statement.reset() }
        return try statement.step()
    }

    /// The rule's candidates for one matched product, by running its SQL (with the unit's filter).
    func candidates(_ compiled: CompiledRule, matched: Int, storeID: Int, excluded: [Int], limit: Int,
                    filter: CandidateFilter? = nil) throws -> [Candidate] {
        let prepared = try db.statement(compiled.candidates, condition: filter?.condition)
        let statement = prepared.statement
        prepared.bind(matched, "matched")
        prepared.bind(storeID, "store")
        prepared.bind(ids: excluded, "excluded")
        prepared.bind(limit, "limit")
        defer { statement.reset() }
        var result: [Candidate] = []
        while try statement.step() {
            result.append(Candidate(productID: statement.int(at: 0), sku: statement.text(at: 1), name: statement.text(at: 2),
                                    finalPrice: statement.optionalDouble(at: 3)))
        }
        return result
    }

    /// Cached lists of `rules` for the matched products: [rule id: [matched id: list]], filtered
    /// in SQL by the unit's `filter`.
    func cachedLists(rules: [Int], matched: [Int], storeID: Int, filter: CandidateFilter?) throws -> [Int: [Int: CachedList]] {
        let template = filter == nil ? (matched.count == 1 ? Self.cachedList : Self.cachedLists)
            : (matched.count == 1 ? Self.filteredList : Self.filteredLists)
        let prepared = try db.statement(template, condition: filter?.condition)
        let statement = prepared.statement
        if matched.count == 1 { prepared.bind(matched[0], "matched") } else { prepared.bind(ids: matched, "matched") }
        prepared.bind(storeID, "store")
        prepared.bind(ids: rules, "rules")
        defer { statement.reset() }
        var lists: [Int: [Int: CachedList]] = [:]
        while try statement.step() {
            let (rule, matched) = (statement.int(at: 0), statement.int(at: 1))
            guard let productID = statement.optionalInt(at: 2) else {
                lists[rule, default: [:]][matched, default: CachedList()].filteredLength = statement.int(at: 6)
                continue
            }
            lists[rule, default: [:]][matched, default: CachedList()].candidates.append(
                Candidate(productID: productID, sku: statement.text(at: 3), name: statement.text(at: 4), finalPrice: statement.optionalDouble(at: 5)))
        }
        return lists
    }

    /// One rule's contribution: up to its limit of candidates for `matched` (in order: for
    /// cross-sells the last added item first), none of them in `excluded`.
    func contribution(of rule: ActiveRule, context: BlockContext, cached: [Int: CachedList]?, matched: [Int],
                      storeID: Int, excluded: [Int], excludedSet: Set<Int>, filter: CandidateFilter?) throws -> [Candidate] {
        var taken: [Candidate] = []
        var takenIDs = Set<Int>()
        for productID in matched where taken.count < rule.limit {
            let needed = rule.limit - taken.count
            if let cached {
                let list = cached[productID] ?? CachedList()
                let usable = list.candidates.filter { !excludedSet.contains($0.productID) && !takenIDs.contains($0.productID) }
                // A full list may have been cut before enough candidates survived the exclusions
                // and the filter; a shorter one holds every candidate of the rule.
                if usable.count >= needed || list.length < rule.limit + Self.slack {
                    for candidate in usable.prefix(needed) { taken.append(candidate); takenIDs.insert(candidate.productID) }
                    continue
                }
            }
            let compiled = try compiled(ruleID: rule.id, generation: context.generation)
            guard try matches(compiled, productID: productID) else { continue }
            for candidate in try candidates(compiled, matched: productID, storeID: storeID,
                                            excluded: excluded + Array(takenIDs), limit: needed, filter: filter) {
                taken.append(candidate)
                takenIDs.insert(candidate.productID)
            }
        }
        return taken
    }

    /// The block's rule products: merged by rule priority without duplicates, rotated, cut to
    /// `count`. A unit's `filter` applies in each rule's SQL, before the rule's limit.
    func products(block: LinkType, context: BlockContext, matched: [Int], excluded: [Int], storeID: Int, count: Int,
                  segments: [String], date: Date, seed: UInt64?, filter: CandidateFilter? = nil) throws -> [PlacedProduct] {
        guard count > 0, !matched.isEmpty else { return [] }
        let rules = try applicableRules(block: block, day: StoreCalendar.day(date, timeZone: context.timeZone, caches: db.caches), segments: segments)
        guard !rules.isEmpty else { return [] }
        let builtIDs = context.cacheUsable ? rules.filter(\.built).map(\.id) : []
        let cached = builtIDs.isEmpty ? [:] : try cachedLists(rules: builtIDs, matched: matched, storeID: storeID, filter: filter)
        let excludedSet = Set(excluded)
        var merged: [(product: PlacedProduct, priority: Int)] = []
        var seen = excludedSet
        for rule in rules {
            let fromCache = context.cacheUsable && rule.built ? (cached[rule.id] ?? [:]) : nil
            for candidate in try contribution(of: rule, context: context, cached: fromCache, matched: matched, storeID: storeID,
                                              excluded: excluded, excludedSet: excludedSet, filter: filter)
            where seen.insert(candidate.productID).inserted {
                merged.append((PlacedProduct(productID: candidate.productID, sku: candidate.sku, name: candidate.name,
                                             finalPrice: candidate.finalPrice, reason: .rule(ruleID: rule.id, name: rule.name)),
                               rule.priority))
            }
        }
        let rotated = RuleRotation.order(merged, mode: context.settings.rotation, seed: seed ?? RuleRotation.defaultSeed(matched),
                                         priority: \.priority, productID: \.product.productID)
        return rotated.prefix(count).map(\.product)
    }
}
