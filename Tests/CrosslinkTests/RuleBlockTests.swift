import Foundation
import Testing
@testable import Crosslink

/// Blocks with rules (spec §3, §5) on the shipped sample: display modes, priority, per-rule
/// limits, block maximum, rotation with a seed, dates in the store's time zone, segments,
/// exclusions and cross-sells. Expected lists come from hand-written SQL (sqlite3 CLI) and,
/// for the random rotations, from the algorithm re-implemented in Python.
@Suite struct RuleBlockTests {
    static func rule(_ name: String, _ block: LinkType, priority: Int = 1, limit: Int = 0, from: String? = nil, to: String? = nil,
                     segments: [String] = [], match: RuleCondition = .all([.condition("category", .equal, "Gear/Bags")]),
                     display: RuleCondition) -> Rule {
        Rule(name: name, appliesTo: block, priority: priority, limit: limit, fromDate: from, toDate: to, segments: segments,
             match: match, display: display)
    }

    static func set(_ store: CrosslinkStore, _ block: LinkType, _ mode: BlockDisplayMode = .both, max: Int? = nil,
                    rotation: RotationMode = .byPriorityThenID) throws {
        try store.write { db in
            try BlockSettingsRepository(db).set(BlockSettings(block: block, displayMode: mode, maxProducts: max, rotation: rotation), store: "default")
        }
    }

    /// Displayable SKUs in a category (and below), by product id, excluding `except`.
    static func inCategory(_ path: String, _ namePath: String, except: [String] = [], limit: Int = 100) throws -> [String] {
        try sqlite3Rows(path, """
            SELECT d.sku FROM displayable_products AS d JOIN products AS p ON p.product_id = d.product_id
            WHERE d.store = 'default' AND \(RuleSample.inCategory(namePath)) AND p.sku NOT IN (\(except.map { "'\($0)'" }.joined(separator: ", ")))
            ORDER BY d.product_id LIMIT \(limit)
            """).map { $0[0] }
    }

    @Test func displayModesManualFirstThenRules() throws {
        let (_, store, _) = try RuleSample.copy()
        try store.write { db in
            try LinkRepository(db).replace(sku: "24-MB01", type: .related, with: [ProductLink(sku: "24-MB04", position: 1)])
            _ = try RuleRepository(db).add(Self.rule("Bags: WB04", .related, priority: 3, display: .all([.condition("sku", .equal, "24-WB04")])))
        }
        let related = { try store.read { db in try Placements(db).related(for: "24-MB01") } }
        let both = try related()
        #expect(both.map(\.sku) == ["24-MB04", "24-WB04"])
        #expect(both[0].reason == .manualLink(type: .related, sourceSKU: "24-MB01", position: 1))
        #expect(both[1].reason == .rule(ruleID: 1, name: "Bags: WB04"))
        #expect(both[1].reason.description == #"rule "Bags: WB04""#)
        try Self.set(store, .related, .manualOnly)
        #expect(try related().map(\.sku) == ["24-MB04"])
        try Self.set(store, .related, .rulesOnly)
        #expect(try related().map(\.sku) == ["24-WB04"])
        // A rule never repeats a manual link.
        try Self.set(store, .related, .both)
        try store.write { db in try LinkRepository(db).replace(sku: "24-MB01", type: .related, with: [ProductLink(sku: "24-WB04", position: 1)]) }
        #expect(try related().map(\.sku) == ["24-WB04"])
        #expect(try related()[0].reason == .manualLink(type: .related, sourceSKU: "24-MB01", position: 1))
    }

    @Test func blockMaximumAppliesWhenRulesAreOn() throws {
        let (_, store, _) = try RuleSample.copy()
        // 24-MB01 has 8 manual up-sells; without an active up-sell rule the store's limit (4) holds.
        let upsells = { try store.read { db in try Placements(db).upsells(for: "24-MB01").count } }
        #expect(try upsells() == 4)
        try store.write { db in
            _ = try RuleRepository(db).add(Self.rule("Nothing", .upsell, display: .all([.condition("sku", .equal, "NO-SUCH-SKU")])))
        }
        #expect(try upsells() == 8)                                    // rules on: up-sell maximum 8
        try store.write { db in try RuleRepository(db).setActive(false, name: "Nothing") }
        #expect(try upsells() == 4)
        try store.write { db in try RuleRepository(db).setActive(true, name: "Nothing") }
        try Self.set(store, .upsell, .both, max: 5)
        #expect(try upsells() == 5)
        #expect(try store.read { db in try Placements(db).upsells(for: "24-MB01", limit: 2).count } == 2)
    }

    @Test func priorityOrderPerRuleLimitsAndBlockMaximum() throws {
        let (_, store, path) = try RuleSample.copy()
        try store.write { db in
            let rules = RuleRepository(db)
            _ = try rules.add(Self.rule("Watches", .related, priority: 2, limit: 2, display: .all([.condition("category", .equal, "Gear/Watches")])))
            _ = try rules.add(Self.rule("Bags", .related, priority: 1, limit: 3, display: .all([.condition("category", .equal, "Gear/Bags")])))
            _ = try rules.add(Self.rule("Fitness", .related, priority: 3, display: .all([.condition("category", .equal, "Gear/Fitness Equipment")])))
        }
        try Self.set(store, .related, rotation: .byPriorityThenID)
        let bags = try Self.inCategory(path, "Gear/Bags", except: ["24-MB01"], limit: 3)
        let watches = try Self.inCategory(path, "Gear/Watches", limit: 2)
        let fitness = try Self.inCategory(path, "Gear/Fitness Equipment")
        #expect(bags.count == 3 && watches.count == 2 && fitness.count > 6)
        let block = try store.read { db in try Placements(db).related(for: "24-MB01") }
        #expect(block.map(\.sku) == Array((bags + watches + fitness).prefix(6)))     // related maximum 6
        #expect(block.map(\.reason.description) == [#"rule "Bags""#, #"rule "Bags""#, #"rule "Bags""#, #"rule "Watches""#, #"rule "Watches""#, #"rule "Fitness""#])
        try Self.set(store, .related, max: 12, rotation: .byPriorityThenID)
        #expect(try store.read { db in try Placements(db).related(for: "24-MB01") }.map(\.sku) == Array((bags + watches + fitness).prefix(12)))
        #expect(try store.read { db in try Placements(db).related(for: "24-MB01", limit: 4) }.map(\.sku) == Array((bags + watches).prefix(4)))
        // Rules match the viewed product: a watch matches none of them (all are for bags).
        #expect(try store.read { db in try Placements(db).related(for: "24-MG01") }.isEmpty)
    }

    /// SplitMix64 and the three rotations as the Rules article documents them, in Python.
    static let rotationPython = #"""
        import json, sys
        items, seed, mode = json.loads(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
        M = (1 << 64) - 1
        state = seed
        def nxt():
            global state
            state = (state + 0x9E3779B97F4A7C15) & M
            z = state
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
            return z ^ (z >> 31)
        if mode == "id":
            out = sorted(items, key=lambda it: (it[1], it[2]))
        elif mode == "random":
            out = sorted(items, key=lambda it: it[1])
            start = 0
            while start < len(out):
                end = start + 1
                while end < len(out) and out[end][1] == out[start][1]: end += 1
                i = end - 1
                while i > start:
                    j = start + nxt() % (i - start + 1)
                    out[i], out[j] = out[j], out[i]
                    i -= 1
                start = end
        else:
            keyed = [((nxt() >> 11) * 2.0 ** -53) ** it[1] for it in items]
            out = [it for _, it in sorted(zip(keyed, items), key=lambda pair: -pair[0])]
        print(" ".join(it[0] for it in out))
        """#

    @Test func rotationsAreReproducibleWithASeed() throws {
        let (_, store, path) = try RuleSample.copy()
        try store.write { db in
            let rules = RuleRepository(db)
            _ = try rules.add(Self.rule("Bags", .related, priority: 1, limit: 5, display: .all([.condition("category", .equal, "Gear/Bags")])))
            _ = try rules.add(Self.rule("Watches", .related, priority: 2, display: .all([.condition("category", .equal, "Gear/Watches")])))
            _ = try rules.add(Self.rule("Fitness", .related, priority: 3, limit: 6, display: .all([.condition("category", .equal, "Gear/Fitness Equipment")])))
        }
        // The merged list before rotation: rules by priority, each its candidates by product id.
        var merged: [(sku: String, priority: Int, id: Int)] = []
        for (namePath, priority, limit, except) in [("Gear/Bags", 1, 5, ["24-MB01"]), ("Gear/Watches", 2, 20, []), ("Gear/Fitness Equipment", 3, 6, [])] {
            let rows = try sqlite3Rows(path, """
                SELECT d.sku, d.product_id FROM displayable_products AS d JOIN products AS p ON p.product_id = d.product_id
                WHERE d.store = 'default' AND \(RuleSample.inCategory(namePath)) AND p.sku NOT IN (\(except.map { "'\($0)'" }.joined(separator: ",")))
                ORDER BY d.product_id LIMIT \(limit)
                """)
            merged += rows.map { ($0[0], priority, Int($0[1])!) }
        }
        #expect(merged.count == 20)
        let json = "[" + merged.map { "[\"\($0.sku)\", \($0.priority), \($0.id)]" }.joined(separator: ",") + "]"
        for (mode, name) in [(RotationMode.byPriorityThenID, "id"), (.byPriorityThenRandom, "random"), (.weightedRandom, "weighted")] {
            try Self.set(store, .related, max: 20, rotation: mode)
            for seed: UInt64 in [7, 8, 123_456_789] {
                let python = try run("/usr/bin/python3", ["-c", Self.rotationPython, json, String(seed), name])
                #expect(python.status == 0, "\(python.stderr)")
                let expected = python.stdout.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                let block = try store.read { db in try Placements(db).related(for: "24-MB01", seed: seed) }
                #expect(block.map(\.sku) == expected, "\(name), seed \(seed)")
                // The same seed gives the same block again.
                #expect(try store.read { db in try Placements(db).related(for: "24-MB01", seed: seed) } == block)
            }
            let seven = try store.read { db in try Placements(db).related(for: "24-MB01", seed: 7) }.map(\.sku)
            let eight = try store.read { db in try Placements(db).related(for: "24-MB01", seed: 8) }.map(\.sku)
            #expect((seven == eight) == (mode == .byPriorityThenID), "\(name)")
            if mode == .byPriorityThenRandom {
                // Shuffled within each priority only.
                #expect(Set(seven.prefix(5)) == Set(merged.prefix(5).map(\.sku)))
            }
        }
        // Without a seed the block is stable for the page (derived from the viewed product).
        try Self.set(store, .related, max: 20, rotation: .byPriorityThenRandom)
        let first = try store.read { db in try Placements(db).related(for: "24-MB01") }
        #expect(try store.read { db in try Placements(db).related(for: "24-MB01") } == first)
    }

    @Test func datesAreInclusiveInTheStoreTimeZone() throws {
        let (_, store, _) = try RuleSample.copy()
        try store.write { db in
            _ = try RuleRepository(db).add(Self.rule("June", .related, from: "2025-06-01", to: "2025-06-30",
                                                 display: .all([.condition("sku", .equal, "24-WB04")])))
            try StoreRepository(db).upsertStore(code: "nz", website: "base", name: "New Zealand")
            try BlockSettingsRepository(db).setTimeZone("Pacific/Auckland", store: "nz")   // UTC+12 in June
        }
        func shown(_ time: String, store code: String = "default") throws -> Bool {
            let date = try Date(time, strategy: .iso8601)
            return try store.read { db in try Placements(db).related(for: "24-MB01", store: code, date: date) }.map(\.sku) == ["24-WB04"]
        }
        #expect(try shown("2025-05-31T23:59:59Z") == false)
        #expect(try shown("2025-06-01T00:00:00Z"))
        #expect(try shown("2025-06-30T23:59:59Z"))
        #expect(try shown("2025-07-01T00:00:00Z") == false)
        // In Auckland, 2025-06-30T12:30Z is already 1 July; 2025-05-31T12:30Z is 1 June.
        #expect(try shown("2025-06-30T12:30:00Z", store: "nz") == false)
        #expect(try shown("2025-05-31T12:30:00Z", store: "nz"))
        #expect(try shown("2025-05-31T12:30:00Z") == false)
        #expect(try store.read { db in try BlockSettingsRepository(db).timeZone(store: "nz") } == "Pacific/Auckland")
        #expect(throws: RequestError.self) { try store.write { db in try BlockSettingsRepository(db).setTimeZone("Mars/Base", store: "nz") } }
    }

    @Test func segmentsAndActiveFlag() throws {
        let (_, store, _) = try RuleSample.copy()
        try store.write { db in
            _ = try RuleRepository(db).add(Self.rule("VIP", .related, segments: ["vip", "staff"], display: .all([.condition("sku", .equal, "24-WB04")])))
            _ = try RuleRepository(db).add(Self.rule("Everyone", .related, priority: 2, display: .all([.condition("sku", .equal, "24-WB07")])))
        }
        func block(_ segments: [String]) throws -> [String] {
            try store.read { db in try Placements(db).related(for: "24-MB01", segments: segments) }.map(\.sku)
        }
        try Self.set(store, .related, rotation: .byPriorityThenID)
        #expect(try block([]) == ["24-WB07"])
        #expect(try block(["vip"]) == ["24-WB04", "24-WB07"])
        #expect(try block(["other", "staff"]) == ["24-WB04", "24-WB07"])
        #expect(try block(["VIP"]) == ["24-WB07"])                     // codes are exact
        try store.write { db in try RuleRepository(db).setActive(false, name: "Everyone") }
        #expect(try block(["vip"]) == ["24-WB04"])
    }

    @Test func rulesNeverShowTheViewedProductTheCartOrUndisplayableProducts() throws {
        let (_, store, path) = try RuleSample.copy()
        try store.write { db in
            _ = try RuleRepository(db).add(Self.rule("Bags", .related, display: .all([.condition("category", .equal, "Gear/Bags")])))
            try db.execute("UPDATE products SET enabled = 0 WHERE sku = '24-MB03'")
            try db.execute("UPDATE products SET in_stock = 0 WHERE sku = '24-MB04'")
            try db.execute("UPDATE products SET visibility = 3 WHERE sku = '24-MB05'")
        }
        try Self.set(store, .related, max: 20, rotation: .byPriorityThenID)
        let expected = try Self.inCategory(path, "Gear/Bags", except: ["24-MB01", "24-MB02", "24-MB03", "24-MB04", "24-MB05"])
        #expect(expected.count == 9)
        #expect(try store.read { db in try Placements(db).related(for: "24-MB01", cart: ["24-MB02"]) }.map(\.sku) == expected)
        // A store that shows out-of-stock products shows 24-MB04 again.
        _ = try store.write { db in try StoreRepository(db).upsertStore(code: "oos", website: "base", showOutOfStock: true) }
        #expect(try store.read { db in try Placements(db).related(for: "24-MB01", store: "oos", cart: ["24-MB02"]) }.map(\.sku).contains("24-MB04"))
    }

    @Test func crossSellRulesMatchAnyCartItem() throws {
        let (_, store, path) = try RuleSample.copy()
        try store.write { db in
            _ = try RuleRepository(db).add(Self.rule("Cart: bags for men's tops", .crosssell, limit: 3,
                                                 match: .all([.condition("category", .equal, "Men/Tops")]),
                                                 display: .all([.condition("category", .equal, "Gear/Bags"), .condition("in_stock", .equal, true)])))
        }
        let bags = try Self.inCategory(path, "Gear/Bags", limit: 3)
        // Manual cross-sells of MH01 (the child's configurable parent) first, then the rule, within 5.
        let manual = try sqlite3Rows(path, """
            SELECT linked_sku FROM displayable_links WHERE store = 'default' AND sku = 'MH01' AND link_type = 'crosssell' ORDER BY position, link_id
            """).map { $0[0] }
        let cart = { (skus: [String]) in try store.read { db in try Placements(db).crossSells(cart: skus) } }
        let both = try cart(["MH01-XS-Black"])
        #expect(both.map(\.sku) == Array((manual + bags).prefix(5)))
        #expect(both.last?.reason == .rule(ruleID: 1, name: "Cart: bags for men's tops"))
        try Self.set(store, .crosssell, .rulesOnly, rotation: .byPriorityThenID)
        #expect(try cart(["MH01-XS-Black"]).map(\.sku) == bags)
        // Any item may match: a bag in the cart matches nothing, the hoodie does; the bag is not offered again.
        #expect(try cart(["MH01-XS-Black", "24-MB01"]).map(\.sku) == Array(try Self.inCategory(path, "Gear/Bags", except: ["24-MB01"], limit: 3)))
        #expect(try cart(["24-MB01"]).isEmpty)
        #expect(try cart(["24-WG080"]).isEmpty)
    }

    @Test func placementsWithoutActiveRulesAreTheManualBlocks() throws {
        let (_, store, path) = try RuleSample.copy()
        try store.write { db in
            _ = try RuleRepository(db).add(Rule(name: "Off", isActive: false, appliesTo: .related, display: .all([.condition("category", .equal, "Gear")])))
        }
        let related = try store.read { db in try Placements(db).related(for: "MH01") }
        let expected = try sqlite3Rows(path, """
            SELECT linked_sku FROM displayable_links WHERE store = 'default' AND sku = 'MH01' AND link_type = 'related' ORDER BY position, link_id
            """).map { $0[0] }
        #expect(related.map(\.sku) == expected)
        #expect(related.allSatisfy { if case .manualLink = $0.reason { true } else { false } })
    }
}
