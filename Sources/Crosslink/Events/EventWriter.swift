import Foundation

/// Appends events inside the caller's write transaction: validates them, resolves store code,
/// SKUs and categories, skips ids already stored, and hands the newly stored events to
/// ``Aggregates/apply(_:)`` in the same transaction. ``EventStore`` wraps it in a transaction
/// per call; use it directly to write events together with other changes.
///
/// ```swift
/// let result = try store.write { db in
///     try ProductRepository(db).upsert(Product(sku: "NEW-1", name: "New", price: 5))
///     return try EventWriter(db).append([Event(id: "e-1", type: .productView, time: Date(),
///                                              visitorID: "v-1", sessionID: "s-1", sku: "NEW-1")])
/// }
/// print(result.stored.count)  // 1 (0 when e-1 was stored before)
/// ```
public struct EventWriter {
    let db: Database
    public let options: EventIngestOptions

    public init(_ db: Database, options: EventIngestOptions = EventIngestOptions()) {
        self.db = db
        self.options = options
    }

    /// What ``append(_:file:)`` did: its report and the events it stored, in order (exactly
    /// what the aggregates received; duplicates and rejected events are not in it).
    public struct Result: Sendable {
        public var report: EventIngestReport
        public var stored: [StoredEvent]
    }

    /// Appends `events`. Issues name `file` and each event's 1-based position. Invalid events
    /// follow ``EventIngestOptions/invalidEvents``: with `.rejectBatch` this throws
    /// ``InputError/invalidEvents(_:)`` and the caller's transaction must be rolled back
    /// (``CrosslinkStore/write(_:)`` does it), with `.skipInvalid` they are left out and listed.
    public func append(_ events: [Event], file: String = "batch") throws -> Result {
        let session = try EventIngestSession(db: db, file: file, options: options, keepStored: true)
        for (index, event) in events.enumerated() { try session.add(event, line: index + 1) }
        let report = try session.finish()
        return Result(report: report, stored: session.kept)
    }
}

/// One ingest inside one write transaction: events go in one at a time (from a batch or a file
/// reader), invalid ones are recorded per the policy, stored ones are handed to the aggregates
/// every ``aggregateChunk`` events and at ``finish()``.
final class EventIngestSession {
    let db: Database
    let options: EventIngestOptions
    private(set) var report: EventIngestReport
    /// Stored events not yet handed to the aggregates.
    private var pending: [StoredEvent] = []
    /// Every stored event, when the caller wants them back (``EventWriter``).
    private(set) var kept: [StoredEvent] = []
    private let keepStored: Bool
    private let collectStored: Bool
    private var stores: [String: Int] = [:]
    /// SKU → product id (nil: not in the catalog), for this transaction only: a product
    /// created or deleted later is seen by the next call.
    private var products: [String: Int?] = [:]
    private var categories: [String: Int?] = [:]
    private var rootCategoryName: String?
    private let insertEvent: Statement
    private let insertLine: Statement
    private let findProduct: Statement
    private let started = ContinuousClock.now
    /// Events stored without aggregation: ``finish()`` marks the aggregates stale for them.
    private var unaggregated = 0
    /// PostgreSQL: valid events waiting for ``flushStaged()`` (see ``StagedEvent``).
    private var staged: [StagedEvent] = []
    static let aggregateChunk = 1_000
    /// PostgreSQL: events per COPY into the staging table.
    static let stageChunk = 1_000
    static let progressInterval = 10_000

    /// Column lists are fixed here (never from input); every value is a bound parameter. An id
    /// stored before changes no row (ON CONFLICT DO NOTHING): ``Database/changes`` tells. (No
    /// RETURNING: SQLite runs it through a temporary table, which halved the insert rate.)
    static let insertEventSQL = """
        INSERT INTO events(event_key, type, occurred_at, store_id, visitor_id, customer_id, session_id,
                           product_id, sku, category_id, category, order_id, unit_id, quantity, price, variant)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
        ON CONFLICT(event_key) DO NOTHING
        """
    static let insertLineSQL = """
        INSERT INTO event_lines(event_seq, line, product_id, sku, parent_sku, quantity, price)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
        """
    static let findProductSQL = "SELECT product_id FROM products WHERE sku = ?"

    init(db: Database, file: String, options: EventIngestOptions, keepStored: Bool = false) throws {
        self.db = db
        self.options = options
        self.keepStored = keepStored
        self.collectStored = keepStored || options.aggregate
        report = EventIngestReport(file: file)
        insertEvent = try db.cachedStatement(Self.insertEventSQL)
        insertLine = try db.cachedStatement(Self.insertLineSQL)
        findProduct = try db.cachedStatement(Self.findProductSQL)
        try db.cachedStatement("SELECT code, store_id FROM stores").forEachRow { row in
            stores[row.text(at: 0)] = row.int(at: 1)
        }
    }

    /// Whether events are still written: with `.rejectBatch`, the first invalid event stops
    /// writing (the transaction will be rolled back) and reading goes on only to list issues.
    private var writing: Bool { options.invalidEvents == .skipInvalid || report.rejected.isEmpty }

    /// Records an event that could not even be read (malformed line, unknown type, …).
    func reject(_ issue: InputError) throws {
        report.received += 1
        try record(issue)
    }

    private func record(_ issue: InputError) throws {
        report.rejected.append(issue)
        if options.invalidEvents == .rejectBatch && report.rejected.count >= options.maximumIssues {
            throw InputError.invalidEvents(report.rejected)
        }
    }

    /// Validates and (per the policy) stores one event read at `line` of the file (or at that
    /// position of a batch). `rowLines` are the file lines of its order lines (CSV), when known.
    func add(_ event: Event, line: Int, rowLines: [Int]? = nil) throws {
        report.received += 1
        if report.received % Self.progressInterval == 0 { reportProgress() }
        if let problem = EventValidator.problem(event) {
            var at = line
            if let index = problem.orderLine, let rowLines, index < rowLines.count { at = rowLines[index] }
            try record(InputError(file: report.file, line: at, field: problem.field, message: problem.reason + Self.naming(event)))
            return
        }
        guard let storeID = stores[event.store] else {
            try record(InputError(file: report.file, line: line, field: "store",
                                  message: "unknown store \(String(reflecting: event.store))" + Self.naming(event)))
            return
        }
        guard writing else { return }
        let occurredAt = EventTime.milliseconds(event.time)!
        let categoryID = try event.category.flatMap { try resolveCategory($0) }
        let customerID = event.customerID.flatMap { $0.isEmpty ? nil : $0 }

        if db.engine == .postgresql {
            // Its SKUs are resolved with the whole chunk's, in one query (flushStaged).
            staged.append(StagedEvent(event: event, occurredAt: occurredAt, storeID: storeID, customerID: customerID,
                                      productID: nil, categoryID: categoryID))
            if staged.count >= Self.stageChunk { try flushStaged() }
            return
        }
        let productID = try event.sku.flatMap { try resolveProduct($0) }
        let statement = insertEvent
        statement.reset()
        statement.bind(event.id, at: 1)
        statement.bind(event.type.rawValue, at: 2)
        statement.bind(Int(occurredAt), at: 3)
        statement.bind(storeID, at: 4)
        statement.bind(event.visitorID, at: 5)
        statement.bind(customerID, at: 6)
        statement.bind(event.sessionID, at: 7)
        statement.bind(productID, at: 8)
        statement.bind(event.sku, at: 9)
        statement.bind(categoryID, at: 10)
        statement.bind(event.category, at: 11)
        statement.bind(event.orderID, at: 12)
        statement.bind(event.unitID, at: 13)
        statement.bind(event.quantity, at: 14)
        statement.bind(event.price, at: 15)
        statement.bind(event.variant, at: 16)
        try statement.step()
        statement.reset()
        guard db.changes == 1 else {
            report.duplicates += 1
            return
        }
        let seq = db.lastInsertRowID
        var lines: [(productID: Int?, quantity: Double, price: Double)] = []
        if !event.lines.isEmpty {
            if collectStored { lines.reserveCapacity(event.lines.count) }
            let insert = insertLine
            for (index, line) in event.lines.enumerated() {
                let lineProductID = try resolveProduct(line.sku)
                insert.reset()
                insert.bind(seq, at: 1)
                insert.bind(index + 1, at: 2)
                insert.bind(lineProductID, at: 3)
                insert.bind(line.sku, at: 4)
                insert.bind(line.parentSKU.flatMap { $0.isEmpty ? nil : $0 }, at: 5)
                insert.bind(line.quantity, at: 6)
                insert.bind(line.price, at: 7)
                try insert.step()
                insert.reset()
                if collectStored { lines.append((lineProductID, line.quantity, line.price)) }
            }
        }
        try recordStored(StagedEvent(event: event, occurredAt: occurredAt, storeID: storeID, customerID: customerID,
                                     productID: productID, categoryID: categoryID), seq: seq, lines: lines)
    }

    /// Counts a newly stored event (`lines`: its order lines, resolved; empty unless
    /// `collectStored`) and hands it on to the caller and the aggregates.
    private func recordStored(_ staged: StagedEvent, seq: Int, lines: [(productID: Int?, quantity: Double, price: Double)]) throws {
        let event = staged.event
        let (occurredAt, storeID, customerID, productID) = (staged.occurredAt, staged.storeID, staged.customerID, staged.productID)
        report.stored += 1
        if !options.aggregate { unaggregated += 1 }
        if event.sku != nil && productID == nil { report.unknownSKUs += 1 }
        if event.category != nil && staged.categoryID == nil { report.unknownCategories += 1 }
        for line in event.lines where products[line.sku].flatMap({ $0 }) == nil { report.unknownSKUs += 1 }
        guard collectStored else { return }
        let stored = StoredEvent(seq: seq, type: event.type, occurredAt: occurredAt, storeID: storeID,
                                 visitorID: event.visitorID, customerID: customerID, sessionID: event.sessionID,
                                 productID: productID, orderID: event.orderID, lines: lines, unitID: event.unitID)
        if keepStored { kept.append(stored) }
        if options.aggregate {
            pending.append(stored)
            if pending.count >= Self.aggregateChunk { try flushAggregates() }
        }
    }

    // MARK: PostgreSQL: COPY into a staging table

    /// A valid event with its ids resolved, waiting to be stored (PostgreSQL).
    struct StagedEvent {
        var event: Event
        var occurredAt: Int64
        var storeID: Int
        var customerID: String?
        var productID: Int?
        var categoryID: Int?
    }

    static let stagedColumns = ["ord", "event_key", "type", "occurred_at", "store_id", "visitor_id", "customer_id", "session_id",
                                "product_id", "sku", "category_id", "category", "order_id", "unit_id", "quantity", "price", "variant"]

    /// Stores the staged events on PostgreSQL: one binary COPY into a temporary table, one
    /// `INSERT … SELECT … ON CONFLICT (event_key) DO NOTHING RETURNING` (so an id stored before,
    /// by this or another instance, or twice in the batch is a duplicate, the first delivery
    /// winning, exactly as the row-by-row insert on SQLite), and one COPY of their order lines.
    /// Instead of three round trips per event (insert, its sequence value, each line).
    private func flushStaged() throws {
        guard !staged.isEmpty, writing, let connection = db.postgreSQL else { return }
        try resolveProducts(staged.lazy.flatMap { staged in [staged.event.sku].compactMap { $0 } + staged.event.lines.map(\.sku) })
        var batch = staged
        staged.removeAll(keepingCapacity: true)
        for index in batch.indices {
            batch[index].productID = batch[index].event.sku.flatMap { products[$0] ?? nil }
        }
        // ON COMMIT DROP: the table lives only in this transaction (a rollback drops it too).
        try db.execute(script: """
            CREATE TEMP TABLE IF NOT EXISTS event_staging (
                ord bigint, event_key text, type text, occurred_at bigint, store_id bigint, visitor_id text, customer_id text,
                session_id text, product_id bigint, sku text, category_id bigint, category text, order_id text, unit_id text,
                quantity double precision, price double precision, variant text) ON COMMIT DROP;
            TRUNCATE event_staging
            """)
        func text(_ value: String?) -> DatabaseValue { value.map { .text($0) } ?? .null }
        func integer(_ value: Int?) -> DatabaseValue { value.map { .integer(Int64($0)) } ?? .null }
        func real(_ value: Double?) -> DatabaseValue { value.map { .real($0) } ?? .null }
        try connection.copyIn(table: "event_staging", columns: Self.stagedColumns, rows: batch.enumerated().lazy.map { index, staged in
            let event = staged.event
            return [.integer(Int64(index)), .text(event.id), .text(event.type.rawValue), .integer(staged.occurredAt), integer(staged.storeID),
                    .text(event.visitorID), text(staged.customerID), .text(event.sessionID), integer(staged.productID), text(event.sku),
                    integer(staged.categoryID), text(event.category), text(event.orderID), text(event.unitID), real(event.quantity),
                    real(event.price), text(event.variant)]
        })
        let columns = Self.stagedColumns.dropFirst().joined(separator: ", ")
        var seqs: [String: Int] = [:]
        try db.cachedStatement("""
            INSERT INTO events(\(columns)) SELECT \(columns) FROM event_staging ORDER BY ord
            ON CONFLICT (event_key) DO NOTHING RETURNING event_seq, event_key
            """).forEachRow { row in seqs[row.text(at: 1)] = row.int(at: 0) }
        var lineRows: [[DatabaseValue]] = []
        var stored: [(staged: StagedEvent, seq: Int, lines: [(productID: Int?, quantity: Double, price: Double)])] = []
        for staged in batch {
            // The first of the batch with its id was inserted; a later one is a duplicate.
            guard let seq = seqs.removeValue(forKey: staged.event.id) else {
                report.duplicates += 1
                continue
            }
            var lines: [(productID: Int?, quantity: Double, price: Double)] = []
            for (index, line) in staged.event.lines.enumerated() {
                let productID = try resolveProduct(line.sku)
                lineRows.append([.integer(Int64(seq)), .integer(Int64(index + 1)), integer(productID), .text(line.sku),
                                 text(line.parentSKU.flatMap { $0.isEmpty ? nil : $0 }), .real(line.quantity), .real(line.price)])
                if collectStored { lines.append((productID, line.quantity, line.price)) }
            }
            stored.append((staged, seq, lines))
        }
        if !lineRows.isEmpty {
            try connection.copyIn(table: "event_lines", columns: ["event_seq", "line", "product_id", "sku", "parent_sku", "quantity", "price"],
                                  rows: lineRows)
        }
        for (staged, seq, lines) in stored { try recordStored(staged, seq: seq, lines: lines) }
    }

    /// ` (event <id>)` for issue messages, when the event has an id.
    static func naming(_ event: Event) -> String {
        event.id.isEmpty ? "" : " (event \(event.id))"
    }

    private func flushAggregates() throws {
        try flushStaged()
        guard options.aggregate, !pending.isEmpty, writing else { return }
        try Aggregates(db).apply(pending)
        pending.removeAll(keepingCapacity: true)
    }

    /// Hands the last stored events to the aggregates and returns the report; throws
    /// ``InputError/invalidEvents(_:)`` when `.rejectBatch` found invalid events (roll back).
    func finish() throws -> EventIngestReport {
        if !report.rejected.isEmpty && options.invalidEvents == .rejectBatch {
            throw InputError.invalidEvents(report.rejected)
        }
        try flushStaged()
        try flushAggregates()
        // Aggregates left stale by an earlier ingest (one killed before its rebuild) catch up
        // here even when this one stored nothing new (a retried file).
        if options.aggregate, try AggregateStaleness.load(db) != nil { try Aggregates(db).rebuild() }
        // In the transaction that stores them: a crash before the rebuild cannot hide them.
        if unaggregated > 0 { try AggregateStaleness.mark(db, source: report.file, events: unaggregated) }
        reportProgress()
        return report
    }

    private func reportProgress() {
        guard let progress = options.progress else { return }
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        progress(ImportProgress(file: report.file, rows: report.received,
                                rowsPerSecond: seconds > 0 ? Double(report.received) / seconds : 0))
    }

    /// The product id of `sku` (case-insensitive, as the catalog compares), nil when unknown.
    private func resolveProduct(_ sku: String) throws -> Int? {
        if let cached = products[sku] { return cached }
        let statement = findProduct
        statement.reset()
        statement.bind(sku, at: 1)
        let id = try statement.step() ? statement.int(at: 0) : nil
        statement.reset()
        products[sku] = .some(id)
        return id
    }

    /// PostgreSQL: resolves the SKUs not seen yet in this transaction in one query (they go into
    /// the same cache as ``resolveProduct(_:)``'s): one round trip per chunk of events instead of
    /// one per SKU, which bounded the COPY path to a few tens of thousands of events a second.
    private func resolveProducts(_ skus: some Sequence<String>) throws {
        var missing: [String] = []
        var seen = Set<String>()
        for sku in skus where products[sku] == nil && seen.insert(sku).inserted { missing.append(sku) }
        guard !missing.isEmpty else { return }
        // The column's citext comparison (ignoring ASCII case), as `sku = ?` does; the query
        // returns the SKU as sent, so each maps back exactly.
        let statement = try db.cachedStatement("""
            SELECT list.sku, p.product_id FROM jsonb_array_elements_text(CAST(?1 AS jsonb)) AS list(sku)
            JOIN products AS p ON p.sku = CAST(list.sku AS citext)
            """)
        statement.reset()
        defer { statement.reset() }
        statement.bind(String(decoding: try JSONEncoder().encode(missing), as: UTF8.self), at: 1)
        var found: [String: Int] = [:]
        while try statement.step() { found[statement.text(at: 0)] = statement.int(at: 1) }
        for sku in missing { products[sku] = .some(found[sku]) }
    }

    /// A category id by id digits or name path (with or without the root's name); nil when unknown.
    private func resolveCategory(_ text: String) throws -> Int? {
        if let cached = categories[text] { return cached }
        var id: Int?
        if !text.isEmpty, text.utf8.allSatisfy(EventTime.isDigit), let number = Int(text) {
            id = try db.scalarInt("SELECT category_id FROM categories WHERE category_id = ?", [number])
        } else {
            id = try db.scalarInt("SELECT category_id FROM categories WHERE name_path = ?", [text])
            if id == nil {
                if rootCategoryName == nil {
                    rootCategoryName = try db.scalarText("SELECT name FROM categories WHERE parent_id IS NULL ORDER BY category_id LIMIT 1") ?? ""
                }
                id = try db.scalarInt("SELECT category_id FROM categories WHERE name_path = ?", [rootCategoryName! + "/" + text])
            }
        }
        categories[text] = .some(id)
        return id
    }
}
