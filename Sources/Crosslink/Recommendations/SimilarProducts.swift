import Foundation

/// The materialised "more like this" lists (tables `similar_products`, `similar_lists`,
/// migration 0007): per product, its `listLength` most similar catalog-visible products by the
/// score of the live query (Σ idf of shared categories below the root, attribute values and
/// name words), ranked by score then SKU.
///
/// A stale list is never served: the migration's triggers mark the lists stale on any change
/// of the product set, a SKU, a visibility, a name's words, a category or attribute
/// assignment, a category level, or a deletion of a category or attribute — every one of
/// those can move an idf and so any list — and `more-like-this` then runs the live query until
/// `refresh()` rebuilds them. Prices, stock, status and websites do not mark them: they do
/// not enter the score, and displayability is joined when serving.
///
/// ```swift
/// try MagentoSampleImporter(store: store).importSample(at: sampleDirectory)
/// let report = try store.write { db in try SimilarProducts(db).refresh() }
/// print(report)   // 2046 lists, 21914 rows, 0.09 s
/// let similar = try store.read { db in try Recommender(db).recommend(.moreLikeThis, context: .product("24-MB01")) }
/// ```
public struct SimilarProducts {
    let db: Database
    public init(_ db: Database) { self.db = db }

    /// What a refresh did.
    public struct Report: Sendable, Equatable, Codable, CustomStringConvertible {
        /// False when the lists were already fresh and nothing was done.
        public var rebuilt = false
        public var products = 0
        public var rows = 0
        public var seconds = 0.0

        public var description: String {
            rebuilt ? "\(products) list\(products == 1 ? "" : "s"), \(rows) rows, \(String(format: "%.2f", seconds)) s"
                : "lists up to date"
        }
    }

    /// The state of the lists.
    public struct Status: Sendable, Equatable, Codable {
        /// False when never built or the catalog changed since: more like this runs its live query.
        public var fresh: Bool
        public var listLength: Int
        public var products: Int
        public var rows: Int
        public var refreshedAt: String?
    }

    /// Rebuilds the lists when stale (or always with `force`); `listLength` (1–1000) changes
    /// how many each product keeps. Run it in a write transaction, after catalog writes.
    @discardableResult
    public func refresh(force: Bool = false, listLength: Int? = nil) throws -> Report {
        try db.inTransaction {
            if let listLength {
                guard (1...1000).contains(listLength) else { throw RequestError(.invalidLimit, "invalid list length \(listLength): must be 1 to 1000") }
                try db.execute("UPDATE similar_state SET list_length = ?, dirty = CASE WHEN dirty <> 0 OR list_length <> ? THEN 1 ELSE 0 END WHERE state_id = 1",
                               [listLength, listLength])
            }
            let dirty = try db.scalarInt("SELECT dirty FROM similar_state WHERE state_id = 1") ?? 1
            guard force || dirty != 0 else { return Report() }
            return try rebuild()
        }
    }

    public func status() throws -> Status {
        try db.prepare("""
            SELECT dirty, list_length, refreshed_at, (SELECT count(*) FROM similar_lists), (SELECT count(*) FROM similar_products)
            FROM similar_state WHERE state_id = 1
            """).map { row in
            Status(fresh: row.int(at: 0) == 0, listLength: row.int(at: 1), products: row.int(at: 3), rows: row.int(at: 4),
                   refreshedAt: row.optionalText(at: 2))
        }[0]
    }

    /// Computes every list in memory — per product, each feature's postings add its idf to the
    /// products having it — and replaces the tables.
    private func rebuild() throws -> Report {
        let start = ContinuousClock.now
        let listLength = try db.scalarInt("SELECT list_length FROM similar_state WHERE state_id = 1") ?? 40
        let catalog = try SimilarityCatalog(db)
        try db.execute("DELETE FROM similar_products")
        try db.execute("DELETE FROM similar_lists")
        let insertRow = try db.cachedStatement(
            "INSERT INTO similar_products(product_id, rank, other_id, score, shared, shared_mask) VALUES (?, ?, ?, ?, ?, ?)")
        let insertList = try db.cachedStatement("INSERT INTO similar_lists(product_id, candidates, truncated) VALUES (?, ?, ?)")
        var report = Report(rebuilt: true)
        try catalog.forEachList(length: listLength) { product, list, candidates in
            let productID = catalog.ids[product]
            for (rank, entry) in list.enumerated() {
                insertRow.reset()
                insertRow.bind(productID, at: 1)
                insertRow.bind(rank + 1, at: 2)
                insertRow.bind(catalog.ids[Int(entry.product)], at: 3)
                insertRow.bind(entry.score, at: 4)
                insertRow.bind(Int(entry.shared), at: 5)
                insertRow.bind(entry.mask.map { Int(Int64(bitPattern: $0)) }, at: 6)
                _ = try insertRow.step()
            }
            insertList.reset()
            insertList.bind(productID, at: 1)
            insertList.bind(candidates, at: 2)
            insertList.bind(candidates > list.count ? 1 : 0, at: 3)
            _ = try insertList.step()
            report.products += 1
            report.rows += list.count
        }
        insertRow.reset()
        insertList.reset()
        let state: SQL = """
            UPDATE similar_state SET dirty = 0, refreshed_at = \(sql: .utcNow)
            WHERE state_id = 1
            """
        try db.execute(state)
        let elapsed = ContinuousClock.now - start
        report.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return report
    }
}

/// The catalog's features as postings, for scoring every product against every other.
/// Products are dense indexes in product-id order.
struct SimilarityCatalog {
    var ids: [Int] = []
    /// Lowercased ASCII SKU bytes: SQLite's NOCASE order, the query's tie-break.
    var skuKeys: [[UInt8]] = []
    var visible: [Bool] = []
    /// Per feature: idf and the visible products having it (a product twice when it has an
    /// attribute value twice, as the live query's join counts it).
    var weights: [Double] = []
    var postings: [[Int32]] = []
    /// Per product: its distinct features, categories first (by category id), then attribute
    /// values (by attribute id, value), then words (by word): the order `shared_mask` numbers.
    var features: [[Int32]] = []

    /// `mask`: bit i = shares the list product's i-th feature (`features` order); nil when the
    /// list product has more than ``maskedFeatures``.
    struct Entry { var product: Int32; var score: Double; var shared: Int32; var mask: UInt64? }

    /// Features a `shared_mask` can name (bits 0…62: the column is a signed 64-bit integer
    /// and SQLite's `>>` is arithmetic, so bit 63 stays unused).
    static let maskedFeatures = 63

    init(_ db: Database) throws {
        var index: [Int: Int32] = [:]
        try db.prepare("SELECT product_id, sku, visibility IN (2, 4) FROM products ORDER BY product_id").forEachRow { row in
            index[row.int(at: 0)] = Int32(ids.count)
            ids.append(row.int(at: 0))
            skuKeys.append(Array(row.text(at: 1).utf8).map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 })
            visible.append(row.int(at: 2) != 0)
        }
        features = Array(repeating: [], count: ids.count)
        let n = Double(ids.last ?? 1)
        // Each query lists (feature key, product, counts) grouped by feature key.
        let sources = [
            "SELECT pc.category_id, NULL, pc.product_id, c.level > 0 FROM product_categories AS pc "
                + "JOIN categories AS c ON c.category_id = pc.category_id ORDER BY pc.category_id",
            "SELECT attribute_id, value, product_id, 1 FROM product_attributes ORDER BY attribute_id, value",
            "SELECT NULL, word, product_id, 1 FROM product_words ORDER BY word",
        ]
        for sql in sources {
            var key: (Int, String)? = nil
            var members: [Int32] = []
            var counts = true
            func flush() {
                guard key != nil, counts, !members.isEmpty else { return }
                let feature = Int32(weights.count)
                weights.append(log(1 + n / Double(members.count)))
                postings.append(members.filter { visible[Int($0)] })
                for member in members where features[Int(member)].last != feature { features[Int(member)].append(feature) }
            }
            try db.prepare(sql).forEachRow { row in
                let rowKey = (row.int(at: 0), row.isNull(at: 1) ? "" : row.text(at: 1))
                if key == nil || key! != rowKey {
                    flush()
                    key = rowKey
                    members.removeAll(keepingCapacity: true)
                    counts = row.int(at: 3) != 0
                }
                if let member = index[row.int(at: 2)] { members.append(member) }
            }
            flush()
        }
    }

    /// For every product: its best `length` candidates (score descending, then SKU) and how
    /// many candidates it has in all.
    func forEachList(length: Int, _ body: (Int, [Entry], Int) throws -> Void) throws {
        var scores = [Double](repeating: 0, count: ids.count)
        var shared = [Int32](repeating: 0, count: ids.count)
        var masks = [UInt64](repeating: 0, count: ids.count)
        var touched: [Int32] = []
        var best: [Entry] = []
        best.reserveCapacity(length + 1)
        func ranksBefore(_ a: Entry, _ b: Entry) -> Bool {
            a.score != b.score ? a.score > b.score : skuKeys[Int(a.product)].lexicographicallyPrecedes(skuKeys[Int(b.product)])
        }
        for product in ids.indices {
            let masked = features[product].count <= Self.maskedFeatures
            for (ordinal, feature) in features[product].enumerated() {
                let weight = weights[Int(feature)]
                let bit: UInt64 = masked ? 1 << UInt64(ordinal) : 0
                for other in postings[Int(feature)] {
                    if shared[Int(other)] == 0 { touched.append(other) }
                    scores[Int(other)] += weight
                    shared[Int(other)] += 1
                    masks[Int(other)] |= bit
                }
            }
            best.removeAll(keepingCapacity: true)
            var candidates = 0
            for other in touched {
                defer { scores[Int(other)] = 0; shared[Int(other)] = 0; masks[Int(other)] = 0 }
                guard Int(other) != product else { continue }
                candidates += 1
                let entry = Entry(product: other, score: scores[Int(other)], shared: shared[Int(other)], mask: masked ? masks[Int(other)] : nil)
                if best.count == length, !ranksBefore(entry, best[length - 1]) { continue }
                var low = 0, high = best.count
                while low < high {
                    let middle = (low + high) / 2
                    if ranksBefore(best[middle], entry) { low = middle + 1 } else { high = middle }
                }
                best.insert(entry, at: low)
                if best.count > length { best.removeLast() }
            }
            touched.removeAll(keepingCapacity: true)
            try body(product, best, candidates)
        }
    }
}
