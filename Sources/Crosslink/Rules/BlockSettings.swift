import Foundation

/// How a store shows one block: which sources, how many products when rules are
/// on, how rule results rotate. Stored in `block_settings`; the `effective_block_settings`
/// view shows every store × block with defaults filled in.
///
/// ```swift
/// try store.write { db in
///     try BlockSettingsRepository(db).set(BlockSettings(block: .upsell, displayMode: .rulesOnly, maxProducts: 4,
///                                                       rotation: .byPriorityThenID), store: "default")
///     try BlockSettingsRepository(db).setTimeZone("Europe/Paris", store: "default")
/// }
/// ```
public struct BlockSettings: Sendable, Equatable, Codable {
    public var block: LinkType
    public var displayMode: BlockDisplayMode
    /// Block maximum when rules are on; nil = the default (related 6, up-sell 8, cross-sell 5).
    public var maxProducts: Int?
    public var rotation: RotationMode

    public init(block: LinkType, displayMode: BlockDisplayMode = .both, maxProducts: Int? = nil, rotation: RotationMode = .byPriorityThenRandom) {
        self.block = block; self.displayMode = displayMode; self.maxProducts = maxProducts; self.rotation = rotation
    }

    /// Adobe's defaults with rules on.
    public static func defaultMaximum(_ block: LinkType) -> Int {
        switch block {
        case .related: 6
        case .upsell: 8
        case .crosssell: 5
        }
    }

    public var effectiveMaximum: Int { maxProducts ?? Self.defaultMaximum(block) }
}

/// Reads and writes ``BlockSettings`` and the store's rule time zone.
public struct BlockSettingsRepository {
    let db: Database
    public init(_ db: Database) { self.db = db }

    public func settings(store code: String, block: LinkType) throws -> BlockSettings {
        let storeID = try StoreRepository(db).store(code: code).id
        return try db.cachedStatement("""
            SELECT display_mode, max_products, rotation_mode FROM block_settings WHERE store_id = ? AND block = ?
            """).map([storeID, block.rawValue]) { row in
            BlockSettings(block: block, displayMode: BlockDisplayMode(rawValue: row.int(at: 0)) ?? .both,
                          maxProducts: row.optionalInt(at: 1), rotation: RotationMode(rawValue: row.int(at: 2)) ?? .byPriorityThenRandom)
        }.first ?? BlockSettings(block: block)
    }

    public func set(_ settings: BlockSettings, store code: String) throws {
        if let maximum = settings.maxProducts, !(1...100).contains(maximum) {
            throw RequestError.invalidValue(field: "max_products", value: String(maximum), reason: "must be 1 to 100")
        }
        let storeID = try StoreRepository(db).store(code: code).id
        try db.execute("""
            INSERT INTO block_settings(store_id, block, display_mode, max_products, rotation_mode) VALUES (?1, ?2, ?3, ?4, ?5)
            ON CONFLICT(store_id, block) DO UPDATE SET display_mode = excluded.display_mode,
                max_products = excluded.max_products, rotation_mode = excluded.rotation_mode
            """, [storeID, settings.block.rawValue, settings.displayMode.rawValue, settings.maxProducts, settings.rotation.rawValue])
    }

    /// The IANA time zone in which the store reads rule dates (default UTC).
    public func timeZone(store code: String) throws -> String {
        let storeID = try StoreRepository(db).store(code: code).id
        return try db.scalarText("SELECT time_zone FROM store_rule_settings WHERE store_id = ?", [storeID]) ?? "UTC"
    }

    public func setTimeZone(_ identifier: String, store code: String) throws {
        guard TimeZone(identifier: identifier) != nil else {
            throw RequestError.invalidValue(field: "time_zone", value: identifier, reason: "is not an IANA time zone such as Europe/Paris")
        }
        let storeID = try StoreRepository(db).store(code: code).id
        try db.execute("""
            INSERT INTO store_rule_settings(store_id, time_zone) VALUES (?, ?)
            ON CONFLICT(store_id) DO UPDATE SET time_zone = excluded.time_zone
            """, [storeID, identifier])
    }
}

extension StoreCaches.Namespace {
    /// Time zones by identifier (a store has one).
    static let timeZones = StoreCaches.Namespace("time zones", limit: 1_000)
}

/// "Today" in a store's time zone, as rule dates are written (YYYY-MM-DD).
enum StoreCalendar {
    /// `identifier`'s day for `date`; the zone is looked up once per store (`caches`).
    static func day(_ date: Date, timeZone identifier: String, caches: StoreCaches) -> String {
        let zone = caches.value(.timeZones, identifier) { TimeZone(identifier: identifier) ?? TimeZone(identifier: "UTC")! }
        let seconds = Int64((date.timeIntervalSince1970).rounded(.down)) + Int64(zone.secondsFromGMT(for: date))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        return civilDate(daysSinceEpoch: days)
    }

    /// Days since 1970-01-01 → "YYYY-MM-DD" (proleptic Gregorian; EventTime's arithmetic).
    static func civilDate(daysSinceEpoch: Int64) -> String {
        let (year, month, day) = EventTime.civilFromDays(daysSinceEpoch)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }
}
