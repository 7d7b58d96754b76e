/// Deterministic experiment assignment: a visitor always sees the same variant of a unit, on
/// any machine and in any process (Swift's `hashValue` is randomised per process, so it is not
/// used). A storefront can reproduce it:
///
///     bucket = FNV-1a-64(UTF-8(visitor) ‖ 0x00 ‖ UTF-8(decimal unit id)) mod 100
///
/// then walk the unit's variants in name order, adding up their traffic; the first whose running
/// total exceeds `bucket` is the visitor's. An anonymous request (no visitor) hashes the empty
/// string. FNV-1a 64: start 0xcbf29ce484222325; per byte: xor, then multiply by 0x100000001b3.
///
/// ```swift
/// let bucket = VariantAssignment.bucket(visitor: "v-42", unitID: 7)      // 0…99
/// let variant = VariantAssignment.variant(of: unit, visitor: "v-42")     // "A" or "B"
/// ```
public enum VariantAssignment {
    public static func fnv1a64<S: Sequence>(_ bytes: S) -> UInt64 where S.Element == UInt8 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }

    /// The hash of (visitor, unit): also the default seed of the unit's shuffle.
    public static func hash(visitor: String?, unitID: Int) -> UInt64 {
        fnv1a64(Array((visitor ?? "").utf8) + [0] + Array(String(unitID).utf8))
    }

    /// The visitor's bucket 0…99 for the unit.
    public static func bucket(visitor: String?, unitID: Int) -> Int {
        Int(hash(visitor: visitor, unitID: unitID) % 100)
    }

    /// The unit's variant for the visitor (variants in name order, traffic adding up to 100).
    public static func variant(of unit: RecommendationUnit, visitor: String?) -> UnitVariant {
        let variants = unit.variants.sorted { $0.variant < $1.variant }
        guard variants.count > 1, let id = unit.id else { return variants[0] }
        let bucket = bucket(visitor: visitor, unitID: id)
        var total = 0
        for variant in variants {
            total += variant.traffic
            if bucket < total { return variant }
        }
        return variants.last { $0.traffic > 0 } ?? variants[0]
    }
}
