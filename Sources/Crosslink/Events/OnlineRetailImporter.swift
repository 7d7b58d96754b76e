import Foundation

/// Imports the UCI Online Retail purchase log (`InvoiceNo,StockCode,Description,Quantity,
/// InvoiceDate,UnitPrice,CustomerID,Country`, one row per invoice line; gzip or plain) as
/// order events, optionally creating a catalog from it.
///
/// ```swift
/// var options = OnlineRetailImporter.Options()
/// options.createCatalog = true
/// let report = try OnlineRetailImporter(store: store, options: options).importFile(at: URL(fileURLWithPath: "online_retail.csv.gz"))
/// print(report.orders, report.cancellations, report.productsCreated)
/// ```
///
/// ## How rows become events
/// - **An invoice is one event** with id `online-retail:<InvoiceNo>` (``Options/eventIDPrefix``):
///   `place-order`, or `cancel-order` for a `C…` invoice, whose lines carry positive quantities
///   (the log's are negative). Order id and session id are the InvoiceNo; an invoice's rows
///   may be anywhere in the file (one invoice in the shipped log is interleaved with others).
/// - **Visitor and customer**: CustomerID (`17850.0` → `"17850"`) is both the customer and
///   the visitor. A guest invoice (empty CustomerID) has no customer and the visitor
///   `guest-<InvoiceNo>`: each guest invoice is a visitor of its own, since nothing links two
///   of them. The first row of an invoice decides.
/// - **Time**: the earliest InvoiceDate of the invoice's rows (the log has invoices whose rows
///   are a minute apart), read as UK local time (``Options/timeZone``, `Europe/London`: GMT in
///   winter, BST = UTC+1 in summer) and stored in UTC. In the autumn hour that happens twice,
///   the later (GMT) instant is taken; a time in the skipped spring hour is read as GMT.
/// - `A…` invoices (bad-debt adjustments) are skipped and counted.
/// - **Lines** are kept in row order, one order line per row, `StockCode` as the SKU as
///   written, `UnitPrice` as price. A row is left out, and counted, when (checked in this order):
///   1. its StockCode is not a product: products are codes of **five digits and optional
///      letters** (`85123A`, `15056BL`); `POST`, `DOT`, `M`, `D`, `S`, `C2`, `B`, `CRUK`, `PADS`,
///      `BANK CHARGES`, `AMAZONFEE`, `DCGS…`, `gift_0001_…` are postage, fees, discounts,
///      vouchers, manual entries and marketplace items;
///   2. its UnitPrice is 0 — stock adjustments ("found", "damaged", "?"), free samples: no sale;
///   3. its quantity has the wrong sign for its invoice (≤ 0 in a sale, ≥ 0 in a cancellation)
///      or its price is negative.
///   An invoice left without lines makes no event (``OnlineRetailReport/emptyInvoices``).
/// - **Exact duplicate rows** within an invoice are kept as separate lines (the log records
///   two; units add up either way) and counted in ``OnlineRetailReport/duplicateLines``.
/// - **SKUs are case-insensitive** (as in Magento): `85123a` and `85123A` are one product.
/// - A row that cannot be read (wrong number of cells, a Quantity that is not an integer, a
///   bad date or price, an InvoiceNo with another prefix than `C`/`A`) is an issue naming the
///   line and column; its whole invoice is invalid and follows
///   ``EventIngestOptions/invalidEvents`` (default: nothing is imported).
///
/// ## Catalog
/// With ``Options/createCatalog``, every SKU of the imported lines that the catalog lacks
/// becomes a simple product in the same transaction: the SKU as first written, the most
/// frequent description (trimmed; ties: the first seen; none: the SKU) as name, the price of
/// its latest line as price, enabled, visible in catalog and search, in stock, on the store's
/// website. Existing products are never changed — so when a log is imported in several parts,
/// a product keeps the name and price of the part that created it. Without it, lines whose
/// SKU is not in the catalog are stored with `product_id` NULL and counted, as the generic
/// ingest does (``EventIngestReport/unknownSKUs``).
public struct OnlineRetailImporter: Sendable {
    /// The log's columns.
    public static let header = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]

    public struct Options: Sendable {
        /// The store view the events happen in.
        public var store = "default"
        /// Create missing products from the log (see the type's documentation).
        public var createCatalog = false
        /// Invalid-invoice policy and aggregation (progress is reported per 10 000 rows read).
        public var ingest = EventIngestOptions()
        /// Commit every this many events (each commit also folds them into the aggregates);
        /// nil: the whole file in one transaction. Unreadable rows are found before the first
        /// commit; should a later transaction fail, the earlier ones stay (importing again skips them).
        public var eventsPerTransaction: Int? = nil
        /// The zone of InvoiceDate.
        public var timeZone = TimeZone(identifier: "Europe/London")!
        /// Event ids are this prefix and the InvoiceNo.
        public var eventIDPrefix = "online-retail:"

        public init() {}
    }

    public let store: CrosslinkStore
    public let options: Options

    public init(store: CrosslinkStore, options: Options = Options()) {
        self.store = store
        self.options = options
    }

    /// Imports the log at `url` (gzip or plain CSV).
    public func importFile(at url: URL) throws -> OnlineRetailReport {
        try importInput(EventFileInput(url: url, limits: options.ingest.fileLimits))
    }

    /// Imports log bytes (gzip or plain); `file` names them in the report and issues.
    public func importData(_ data: Data, file: String) throws -> OnlineRetailReport {
        try importInput(EventFileInput(data: data, file: file, limits: options.ingest.fileLimits))
    }

    /// The log is read whole (an invoice's rows may be anywhere in it) before the first commit:
    /// memory follows its events, while the file's bytes are streamed within ``EventIngestOptions/fileLimits``.
    func importInput(_ input: EventFileInput) throws -> OnlineRetailReport {
        let file = input.file
        let started = ContinuousClock.now
        let log = try Self.read(input, options: options)
        if !log.issues.isEmpty && options.ingest.invalidEvents == .rejectBatch {
            throw InputError.invalidEvents(log.issues)
        }
        var report = log.report
        report.ingest.rejected = log.issues
        report.ingest.received = log.issues.count
        var ingest = options.ingest
        ingest.progress = nil
        let chunk = max(1, options.eventsPerTransaction ?? max(1, log.events.count))
        var start = 0
        repeat {
            let end = min(log.events.count, start + chunk)
            let (created, part) = try store.writeBatch { db in
                let storeInfo = try StoreRepository(db).store(code: options.store)
                let created = start == 0 && options.createCatalog ? try Self.createProducts(log.products, websiteID: storeInfo.websiteID, in: db) : 0
                let session = try EventIngestSession(db: db, file: file, options: ingest)
                for index in start..<end { try session.add(log.events[index], line: log.eventLines[index]) }
                return (created, try session.finish())
            }
            report.productsCreated += created
            report.ingest.merge(part)
            start = end
        } while start < log.events.count
        if let progress = options.ingest.progress {
            let seconds = (ContinuousClock.now - started) / .seconds(1)
            progress(ImportProgress(file: file, rows: report.lines, rowsPerSecond: seconds > 0 ? Double(report.lines) / seconds : 0))
        }
        return report
    }

    /// Creates the products the catalog lacks; returns how many.
    static func createProducts(_ products: [Product], websiteID: Int, in db: Database) throws -> Int {
        let repository = ProductRepository(db)
        let stores = StoreRepository(db)
        var created = 0
        for product in products where try repository.id(sku: product.sku) == nil {
            let id = try repository.upsert(product)
            try stores.assign(productID: id, websiteIDs: [websiteID])
            created += 1
        }
        return created
    }

    /// Whether a StockCode names a product: five ASCII digits, then only ASCII letters.
    public static func isProductCode(_ code: String) -> Bool {
        var code = code
        return code.withUTF8 { u in
            guard u.count >= 5 else { return false }
            for i in 0..<u.count {
                let b = u[i]
                if i < 5 ? !EventTime.isDigit(b) : !((b >= 65 && b <= 90) || (b >= 97 && b <= 122)) { return false }
            }
            return true
        }
    }

    /// The log read into events, catalog candidates and counts, without touching a database
    /// (the benchmark and tests use it to see the events the importer stores).
    public struct Log: Sendable {
        /// One event per invoice with lines, in the order of each invoice's first row.
        public var events: [Event]
        /// The file line of each event's first row.
        public var eventLines: [Int]
        /// One product per SKU of the events (case-insensitive), per the catalog rule.
        public var products: [Product]
        /// Rows that could not be read (their invoices have no event).
        public var issues: [InputError]
        /// The counts (``OnlineRetailReport/ingest`` and `productsCreated` are left at zero).
        public var report: OnlineRetailReport
    }

    /// Reads the log. Throws an ``InputError`` when the file is not an Online Retail log.
    public static func read(_ data: Data, file: String, options: Options = Options()) throws -> Log {
        try read(EventFileInput(data: data, file: file, limits: options.ingest.fileLimits), options: options)
    }

    static func read(_ input: EventFileInput, options: Options) throws -> Log {
        let file = input.file
        var reader = LogReader(file: file, options: options)
        do {
            try EventCSVRecords(input: input).forEachRecord { try reader.add($0) }
        } catch let error as EventCSVRecords.SyntaxError {
            throw error.issue.naming(header: header)
        }
        guard reader.columns != nil else { throw InputError(file: file, line: 0, message: "empty file: no header row") }
        return reader.finish()
    }
}

/// What an Online Retail import did. Each row of a sale or cancellation invoice is an order
/// line or is in one of the skipped-line counts.
public struct OnlineRetailReport: Sendable, Equatable, Codable {
    public var file: String
    /// Data rows read (header excluded).
    public var lines = 0
    /// Distinct InvoiceNo values, all prefixes.
    public var invoices = 0
    /// place-order events (sale invoices with at least one line).
    public var orders = 0
    /// cancel-order events (`C…` invoices with at least one line).
    public var cancellations = 0
    /// Order lines in those events.
    public var orderLines = 0
    /// `A…` invoices, skipped.
    public var adjustmentInvoices = 0
    /// Rows whose StockCode is not a product.
    public var nonProductLines = 0
    /// Product rows with UnitPrice 0.
    public var zeroPriceLines = 0
    /// Product rows with a quantity of the wrong sign for their invoice, or a negative price.
    public var wrongSignLines = 0
    /// Sale and cancellation invoices left without lines: no event.
    public var emptyInvoices = 0
    /// Events without a customer (visitor `guest-<InvoiceNo>`).
    public var guestInvoices = 0
    /// Distinct customers of the events.
    public var customers = 0
    /// Imported lines that repeat an earlier row of their invoice exactly.
    public var duplicateLines = 0
    /// Products created (``OnlineRetailImporter/Options/createCatalog``).
    public var productsCreated = 0
    /// What ingest did with the events: stored, duplicates (already imported), unknown SKUs, rejected invoices.
    public var ingest: EventIngestReport

    public init(file: String) {
        self.file = file
        ingest = EventIngestReport(file: file)
    }
}

/// Accumulates the rows of the log.
private struct LogReader {
    let file: String
    let options: OnlineRetailImporter.Options
    var columns: [Int]?
    var report: OnlineRetailReport

    struct Invoice {
        var number: String
        var firstLine: Int
        var earliest: Int64
        var customer: String?
        var lines: [OrderLine] = []
        /// Per line: its file line, its own InvoiceDate (UTC) and Description, for the catalog.
        var lineRows: [Int] = []
        var lineTimes: [Int64] = []
        /// Per line: its Description, as an index into `LogReader.descriptions` (a log repeats
        /// a few thousand descriptions over hundreds of thousands of rows).
        var descriptions: [Int32] = []
        /// A 64-bit FNV-1a hash of each kept row, to count exact repeats: holding the rows' text
        /// cost the shipped log about 50 MB. Two different rows of one invoice would have to
        /// collide in 64 bits to be miscounted (< 10⁻¹³ for an invoice of a thousand rows).
        var rows: Set<UInt64> = []
        var invalid = false
        var isCancellation: Bool { number.hasPrefix("C") }
    }
    var invoices: [Invoice] = []
    var invoiceIndex: [String: Int] = [:]
    var issues: [InputError] = []
    var descriptions: [String] = []
    var descriptionIndex: [String: Int32] = [:]

    /// Zone offset (ms) per local hour.
    var offsets: [Int64: Int64] = [:]
    let started = ContinuousClock.now

    init(file: String, options: OnlineRetailImporter.Options) {
        self.file = file
        self.options = options
        report = OnlineRetailReport(file: file)
    }

    mutating func add(_ record: CSVRecord) throws {
        if record.fields.isEmpty { return }
        guard let columns else {
            let names = record.fields.map { $0.trimmingCharacters(in: .whitespaces) }
            let positions = OnlineRetailImporter.header.map { names.firstIndex(of: $0) }
            guard positions.allSatisfy({ $0 != nil }) else {
                throw InputError(file: file, line: record.line,
                                 message: "not an Online Retail log: expected the header \(OnlineRetailImporter.header.joined(separator: ","))")
            }
            columns = positions.map { $0! }
            return
        }
        report.lines += 1
        if report.lines % EventIngestSession.progressInterval == 0, let progress = options.ingest.progress {
            let seconds = (ContinuousClock.now - started) / .seconds(1)
            progress(ImportProgress(file: file, rows: report.lines, rowsPerSecond: seconds > 0 ? Double(report.lines) / seconds : 0))
        }
        let line = record.line
        let fields = record.fields
        // A header wider than its rows (e.g. repeated names) must not index past a row's end.
        let number = columns[0] < fields.count ? MagentoFields.trimmed(fields[columns[0]]) : ""
        func fail(_ column: String?, _ message: String) {
            issues.append(InputError(file: file, line: line, field: column,
                                     message: message + (number.isEmpty ? "" : " (invoice \(number) skipped)")))
            if let index = invoiceIndex[number] { invoices[index].invalid = true }
            else if !number.isEmpty { open(number, line: line, time: .max, customer: nil, invalid: true) }
        }
        guard fields.count == OnlineRetailImporter.header.count, columns.allSatisfy({ $0 < fields.count }) else {
            return fail(nil, "expected \(OnlineRetailImporter.header.count) fields, got \(fields.count)")
        }
        let prefix = number.utf8.first ?? 0
        guard Self.allDigits(number, from: prefix == UInt8(ascii: "C") || prefix == UInt8(ascii: "A") ? 1 : 0) else {
            return fail("InvoiceNo", "not an invoice number (digits, optionally after C or A): \(String(reflecting: number))")
        }
        if prefix == UInt8(ascii: "A") {
            if invoiceIndex[number] == nil {
                report.adjustmentInvoices += 1
                open(number, line: line, time: .max, customer: nil, invalid: true)
            }
            return
        }
        let code = fields[columns[1]]
        guard let quantity = Int(MagentoFields.trimmed(fields[columns[3]])) else {
            return fail("Quantity", "not an integer: \(String(reflecting: fields[columns[3]]))")
        }
        guard let local = localMilliseconds(fields[columns[4]]) else {
            return fail("InvoiceDate", "bad date \(String(reflecting: fields[columns[4]])) (expected YYYY-MM-DD HH:MM:SS)")
        }
        guard let price = Self.decimal(fields[columns[5]]) else {
            return fail("UnitPrice", "not a number: \(String(reflecting: fields[columns[5]]))")
        }
        let customerText = MagentoFields.trimmed(fields[columns[6]])
        var customer: String?
        if !customerText.isEmpty {
            let digits = customerText.hasSuffix(".0") ? String(customerText.dropLast(2)) : customerText
            guard Self.allDigits(digits) else {
                return fail("CustomerID", "not a customer number: \(String(reflecting: customerText))")
            }
            customer = digits
        }
        let time = utcMilliseconds(local)
        let index: Int
        if let existing = invoiceIndex[number] {
            index = existing
            invoices[index].earliest = min(invoices[index].earliest, time)
        } else {
            index = open(number, line: line, time: time, customer: customer, invalid: false)
        }
        let cancellation = invoices[index].isCancellation
        guard OnlineRetailImporter.isProductCode(code) else { report.nonProductLines += 1; return }
        guard price != 0 else { report.zeroPriceLines += 1; return }
        guard cancellation ? quantity < 0 : quantity > 0, price > 0 else { report.wrongSignLines += 1; return }

        if !invoices[index].rows.insert(Self.rowHash(fields)).inserted { report.duplicateLines += 1 }
        invoices[index].lines.append(OrderLine(sku: code, quantity: Double(abs(quantity)), price: price))
        invoices[index].lineRows.append(line)
        invoices[index].lineTimes.append(time)
        let description = fields[columns[2]]
        if let known = descriptionIndex[description] {
            invoices[index].descriptions.append(known)
        } else {
            descriptionIndex[description] = Int32(descriptions.count)
            invoices[index].descriptions.append(Int32(descriptions.count))
            descriptions.append(description)
        }
    }

    /// FNV-1a over the fields' UTF-8 bytes, each followed by a 0x1F separator (as the fields
    /// joined by U+001F).
    static func rowHash(_ fields: [String]) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for var field in fields {
            field.withUTF8 { bytes in
                for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
            }
            hash = (hash ^ 0x1F) &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    /// Whether `text` has only ASCII digits after `offset`, and at least one. (Byte loops: this
    /// runs for every row, and must stay fast in debug builds too.)
    static func allDigits(_ text: String, from offset: Int = 0) -> Bool {
        var text = text
        return text.withUTF8 { u in
            guard u.count > offset else { return false }
            for i in offset..<u.count where !EventTime.isDigit(u[i]) { return false }
            return true
        }
    }

    /// A plain decimal (`2.55`, `-11062.06`, `0`), as ``MagentoFields/parseDecimal(_:)`` reads it.
    static func decimal(_ text: String) -> Double? {
        var text = text
        let plain = text.withUTF8 { u -> Bool in
            var digits = 0, points = 0
            for i in 0..<u.count {
                let b = u[i]
                if EventTime.isDigit(b) { digits += 1 } else if b == UInt8(ascii: ".") { points += 1 }
                else if !(i == 0 && (b == UInt8(ascii: "-") || b == UInt8(ascii: "+"))) { return false }
            }
            return digits > 0 && points <= 1
        }
        return plain ? Double(text) : MagentoFields.parseDecimal(text)
    }

    @discardableResult
    private mutating func open(_ number: String, line: Int, time: Int64, customer: String?, invalid: Bool) -> Int {
        invoices.append(Invoice(number: number, firstLine: line, earliest: time, customer: customer, invalid: invalid))
        invoiceIndex[number] = invoices.count - 1
        return invoices.count - 1
    }

    /// `YYYY-MM-DD HH:MM:SS` as if UTC.
    private func localMilliseconds(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { bytes in
            var scanner = ISO8601Scanner(bytes)
            guard let local = scanner.dateTime(.local), scanner.atEnd else { return nil }
            return local.seconds * 1000 + local.milliseconds
        }
    }

    /// Local wall time → UTC, with the zone's offset cached per local hour (London changes
    /// offset on the hour).
    private mutating func utcMilliseconds(_ local: Int64) -> Int64 {
        let hour = local / 3_600_000
        if let offset = offsets[hour] { return local - offset }
        let zone = options.timeZone
        let wall = Date(timeIntervalSince1970: Double(hour * 3600))
        let guess = wall.addingTimeInterval(-Double(zone.secondsFromGMT(for: wall)))
        let offset = Int64(zone.secondsFromGMT(for: guess)) * 1000
        offsets[hour] = offset
        return local - offset
    }

    mutating func finish() -> OnlineRetailImporter.Log {
        var report = self.report
        report.invoices = invoices.count
        var events: [Event] = []
        var eventLines: [Int] = []
        var customers = Set<String>()
        var issues = self.issues
        for (index, invoice) in invoices.enumerated() where !invoice.invalid {
            guard !invoice.lines.isEmpty else { report.emptyInvoices += 1; continue }
            let type: EventType = invoice.isCancellation ? .cancelOrder : .placeOrder
            let event = Event(id: options.eventIDPrefix + invoice.number, type: type, time: EventTime.date(invoice.earliest),
                              store: options.store, visitorID: invoice.customer ?? "guest-" + invoice.number,
                              customerID: invoice.customer, sessionID: invoice.number, orderID: invoice.number,
                              lines: invoice.lines)
            // Checked here, not only by ingest, so that every issue is known before the first
            // commit of an import in several transactions (e.g. a quantity over EventBounds).
            if let problem = EventValidator.problem(event) {
                let line = problem.orderLine.map { invoice.lineRows[$0] } ?? invoice.firstLine
                issues.append(InputError(file: file, line: line, field: problem.field, message: problem.reason + EventIngestSession.naming(event)))
                invoices[index].invalid = true
                continue
            }
            if invoice.isCancellation { report.cancellations += 1 } else { report.orders += 1 }
            report.orderLines += invoice.lines.count
            if let customer = invoice.customer { customers.insert(customer) } else { report.guestInvoices += 1 }
            events.append(event)
            eventLines.append(invoice.firstLine)
        }
        report.customers = customers.count
        issues.sort { ($0.location?.line ?? 0) < ($1.location?.line ?? 0) }
        return OnlineRetailImporter.Log(events: events, eventLines: eventLines, products: products(), issues: issues, report: report)
    }

    /// The catalog rule over the lines of the valid invoices, in file order.
    private func products() -> [Product] {
        struct Seen {
            var count: Int
            var firstRow: Int
        }
        struct Candidate {
            var sku: String
            var firstRow: Int
            var descriptions: [String: Seen] = [:]
            var latestTime: Int64
            var latestRow: Int
            var price: Double
        }
        var candidates: [String: Candidate] = [:]
        for invoice in invoices where !invoice.invalid {
            for i in invoice.lines.indices {
                let line = invoice.lines[i], row = invoice.lineRows[i], time = invoice.lineTimes[i]
                let key = line.sku.lowercased()
                var candidate = candidates.removeValue(forKey: key)
                    ?? Candidate(sku: line.sku, firstRow: row, latestTime: time, latestRow: row, price: line.price)
                if row < candidate.firstRow { candidate.sku = line.sku; candidate.firstRow = row }
                if time > candidate.latestTime || (time == candidate.latestTime && row > candidate.latestRow) {
                    candidate.latestTime = time; candidate.latestRow = row; candidate.price = line.price
                }
                let description = MagentoFields.trimmed(descriptions[Int(invoice.descriptions[i])])
                if !description.isEmpty {
                    var seen = candidate.descriptions[description] ?? Seen(count: 0, firstRow: row)
                    seen.count += 1
                    seen.firstRow = min(seen.firstRow, row)
                    candidate.descriptions[description] = seen
                }
                candidates[key] = candidate
            }
        }
        return candidates.values.sorted { $0.firstRow < $1.firstRow }.map { candidate in
            let name = candidate.descriptions.max { a, b in
                a.value.count != b.value.count ? a.value.count < b.value.count : a.value.firstRow > b.value.firstRow
            }?.key ?? candidate.sku
            return Product(sku: candidate.sku, name: name, price: candidate.price)
        }
    }
}
