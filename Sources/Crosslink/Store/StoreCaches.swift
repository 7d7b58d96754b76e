import Synchronization

/// Values derived from one store's data and kept for its connections (compiled rules, decoded
/// unit definitions, time zones): one instance per ``DatabasePool`` (or per lone ``Database``),
/// shared by its connections and freed with it, so two stores never share or leak entries.
///
/// Keys must identify the value within the store: a key that depends on data includes the
/// data's version (a compiled rule's key has the rule generation).
public final class StoreCaches: Sendable {
    /// A kind of entry, with its own bound.
    public struct Namespace: Sendable, Hashable {
        let name: String
        let limit: Int

        public init(_ name: String, limit: Int) {
            self.name = name
            self.limit = limit
        }
    }

    private let entries = Mutex<[Namespace: [String: any Sendable]]>([:])

    public init() {}

    /// The value for `key` in `namespace`, made by `make` when absent. A namespace holding
    /// `limit` entries is emptied first: entries of old versions go without bookkeeping.
    public func value<Value: Sendable>(_ namespace: Namespace, _ key: String, make: () throws -> Value) rethrows -> Value {
        if let hit = entries.withLock({ $0[namespace]?[key] }) as? Value { return hit }
        let value = try make()
        entries.withLock { entries in
            if entries[namespace, default: [:]].count >= namespace.limit { entries[namespace] = [:] }
            entries[namespace, default: [:]][key] = value
        }
        return value
    }

    /// How many entries `namespace` holds.
    public func count(_ namespace: Namespace) -> Int { entries.withLock { $0[namespace]?.count ?? 0 } }

    public func removeAll() { entries.withLock { $0.removeAll() } }
}
