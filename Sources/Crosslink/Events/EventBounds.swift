/// The largest quantity, price and line amount an event may carry, checked per line at ingest
/// (every format: JSON Lines, CSV, Online Retail, ``EventStore/append(_:)-(Event)``). A value
/// beyond them is an invalid event, reported with its file, line and field like any other.
///
/// Why these numbers: revenue is summed in integer cents (`product_days.revenue_cents`,
/// its windows). A line of at most ``maximumLineAmount`` is at most 10¹² cents, so a
/// product's daily or window sum stays exact in Int64 for 9.2 million maximal lines and, in
/// the rebuild's floating-point sum, exactly for 9 007 maximal lines (2⁵³ cents). Past
/// Int64 — reachable only with millions of maximal lines or a hand-edited file — sums
/// saturate at ±9 223 372 036 854 775 807 cents rather than fail, so no stored event can
/// make a later valid event or a rebuild fail.
///
/// ```swift
/// let line = OrderLine(sku: "24-MB01", quantity: 2, price: 34)
/// assert(line.quantity <= EventBounds.maximumQuantity && line.price <= EventBounds.maximumPrice)
/// ```
public enum EventBounds {
    /// Largest quantity of an order line or cart event: one million units.
    public static let maximumQuantity = 1_000_000.0
    /// Largest unit price: one billion in the store's currency.
    public static let maximumPrice = 1_000_000_000.0
    /// Largest quantity × price of one line: ten billion in the store's currency (10¹² cents).
    public static let maximumLineAmount = 10_000_000_000.0
}
