import Foundation
import Synchronization

/// A unit's merchant filters compiled to one SQL predicate with bound parameters, ready to be
/// applied where a query chooses its candidates (spec §5: applied in SQL, not by fetching and
/// discarding). ``FilterCompiler`` builds it from ``UnitFilters``; no text of the filter enters
/// the SQL — values are bound as `:cf_…` parameters, column names come from a whitelist.
///
/// The predicate reads the candidate's `products` row as `cf_p`; ``condition(on:)`` wraps it
/// around a candidate id column:
///
/// ```swift
/// let filter = try FilterCompiler(db).compile(filters, context: .product(viewedID: 42))
/// let recommendations = try Recommender(db).recommend(.mostViewed, filter: filter)
/// print(filter.condition(on: "d.product_id"))
/// // EXISTS (SELECT 1 FROM products AS cf_p WHERE cf_p.product_id = d.product_id AND (cf_p.type IN (…)))
/// ```
public struct CandidateFilter: Sendable {
    /// SQL over `cf_p` (the candidate's products row); `1` when nothing is filtered.
    public let predicate: String
    /// Values of the `:cf_…` parameters the predicate uses.
    public let parameters: [(name: String, value: DatabaseValue)]

    public init(predicate: String, parameters: [(name: String, value: DatabaseValue)]) {
        self.predicate = predicate
        self.parameters = parameters
    }

    /// The filter as a condition on the candidate whose product id is `column` (a qualified
    /// column of the outer query, e.g. `d.product_id`).
    public func condition(on column: String) -> String {
        "EXISTS (SELECT 1 FROM products AS cf_p WHERE cf_p.product_id = \(column) AND (\(predicate)))"
    }

    /// The marker the query bodies carry: `/*candidate-filter:EXPR*/`.
    static let markerPrefix = "/*candidate-filter:"

    /// `sql` with every `/*candidate-filter:EXPR*/` marker replaced by `AND <condition on EXPR>`.
    /// Built once per (statement, filter shape) for the process: a page asks for the same few
    /// texts on every call, and the statement cache finds the prepared statement by its text.
    func apply(to sql: String) -> String {
        let key = sql + "\u{0}" + predicate
        if let hit = Self.appliedTexts.withLock({ $0[key] }) { return hit }
        let applied = replacingMarkers(in: sql)
        Self.appliedTexts.withLock { cache in
            if cache.count >= 1_000 { cache.removeAll() }  // bounded: filter shapes are few
            cache[key] = applied
        }
        return applied
    }

    /// A recommendation query with the filter applied, its parameter scan done once (see `apply(to:)`).
    func apply(to query: RecommendationSQL.Query) -> RecommendationSQL.Query {
        let key = query.sql + "\u{0}" + predicate
        if let hit = Self.appliedQueries.withLock({ $0[key] }) { return hit }
        let applied = RecommendationSQL.Query(replacingMarkers(in: query.sql))
        Self.appliedQueries.withLock { cache in
            if cache.count >= 1_000 { cache.removeAll() }
            cache[key] = applied
        }
        return applied
    }

    private static let appliedTexts = Mutex<[String: String]>([:])
    private static let appliedQueries = Mutex<[String: RecommendationSQL.Query]>([:])

    private func replacingMarkers(in sql: String) -> String {
        var result = ""
        var rest = sql[...]
        while let start = rest.range(of: Self.markerPrefix), let end = rest[start.upperBound...].range(of: "*/") {
            let column = rest[start.upperBound..<end.lowerBound].trimmingCharacters(in: .whitespaces)
            result += rest[..<start.lowerBound] + "AND " + condition(on: column)
            rest = rest[end.upperBound...]
        }
        return result + rest
    }

    /// The same filter with its parameters numbered `?first`, `?first+1`, … for a statement with
    /// positional parameters `?1`…`?(first-1)`: a named parameter there would take the number
    /// after the largest seen so far and could collide with a later explicit `?N`.
    func positional(from first: Int) -> CandidateFilter {
        var predicate = predicate
        // Longest names first: `:cf_b` is a prefix of `:cf_ba`.
        let numbered = parameters.enumerated().map { (name: $1.name, number: "?\(first + $0)", value: $1.value) }
        for parameter in numbered.sorted(by: { $0.name.count > $1.name.count }) {
            predicate = predicate.replacingOccurrences(of: parameter.name, with: parameter.number)
        }
        return CandidateFilter(predicate: predicate, parameters: numbered.map { ($0.number, $0.value) })
    }

    /// Binds the parameters (named `:cf_…` or numbered `?N`) to `statement`.
    func bind(to statement: Statement) throws {
        for (name, value) in parameters {
            if name.hasPrefix("?"), let index = Int32(name.dropFirst()) { try statement.bind(value, at: index) }
            else { try statement.bind(value, named: name) }
        }
    }

    /// Parameter name number `index`: `:cf_a`, `:cf_b`, … `:cf_ba` (letters only: the query
    /// scanner of ``RecommendationSQL`` reads names made of letters and `_`).
    static func parameterName(_ index: Int) -> String {
        var letters = ""
        var n = index
        repeat {
            letters = String(UnicodeScalar(UInt8(97 + n % 26))) + letters
            n /= 26
        } while n > 0
        return ":cf_" + letters
    }
}
