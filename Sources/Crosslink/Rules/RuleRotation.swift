import Foundation

/// The three rotation modes, written out so that any language can reproduce an order
/// from the seed (README shows them in Python):
///
/// - by priority then id: stable sort by (rule priority, product id);
/// - by priority then random: stable sort by priority, then each priority group, in turn, is
///   shuffled by Fisher–Yates from its last index down: `j = next() % (i + 1)`, swap `i` and `j`;
/// - weighted random: for each product in merged order `u = (next() >> 11) · 2⁻⁵³`,
///   key `u^priority` (weight 1/priority); stable sort by key, largest first.
///
/// `next()` is ``SplitMix64`` seeded with the seed.
enum RuleRotation {
    static func order<T>(_ items: [T], mode: RotationMode, seed: UInt64, priority: (T) -> Int, productID: (T) -> Int) -> [T] {
        var random = SplitMix64(seed: seed)
        switch mode {
        case .byPriorityThenID:
            return stableSorted(items) { (priority($0), productID($0)) < (priority($1), productID($1)) }
        case .byPriorityThenRandom:
            var result = stableSorted(items) { priority($0) < priority($1) }
            var start = 0
            while start < result.count {
                var end = start + 1
                while end < result.count, priority(result[end]) == priority(result[start]) { end += 1 }
                var i = end - 1
                while i > start {
                    let j = start + Int(random.next() % UInt64(i - start + 1))
                    result.swapAt(i, j)
                    i -= 1
                }
                start = end
            }
            return result
        case .weightedRandom:
            let keyed = items.map { item -> (key: Double, item: T) in
                let u = Double(random.next() >> 11) * 0x1p-53
                return (pow(u, Double(max(1, priority(item)))), item)
            }
            return stableSorted(keyed) { $0.key > $1.key }.map(\.item)
        }
    }

    /// Sorts keeping the input order of equal elements.
    static func stableSorted<T>(_ items: [T], by less: (T, T) -> Bool) -> [T] {
        items.enumerated().sorted { a, b in
            less(a.element, b.element) || (!less(b.element, a.element) && a.offset < b.offset)
        }.map(\.element)
    }

    /// The seed used when the caller gives none: derived from the matched products, so a page
    /// shows the same order until the caller asks for another (e.g. a seed per request).
    static func defaultSeed(_ ids: [Int]) -> UInt64 {
        var random = SplitMix64(seed: 0x5EED)
        var seed: UInt64 = 0
        for id in ids {
            seed ^= UInt64(bitPattern: Int64(id))
            random.state ^= seed
            seed = random.next()
        }
        return seed
    }
}
