import Foundation

/// A log read through a mapping: its events in file order (an order at its first row), the
/// catalog candidates and counts, without touching a database.
struct MappedEventLog {
    var events: [Event] = []
    /// Each event's first line, and for an order the line of each of its lines.
    var eventLines: [Int] = []
    var rowLines: [[Int]?] = []
    var products: [MappedProduct] = []
    var issues: [InputError] = []
    var report: MappedEventReport
}

/// A product as the log describes it (``MappedEventImporter``'s catalog rule).
struct MappedProduct {
    var sku: String
    var name: String
    var price: Double?
    var category: [String]?
    var brand: String?
}

/// Turns CSV records into events per an ``EventMapping``.
struct MappedEventReader {
    let mapping: EventMapping
    let file: String
    let progress: (@Sendable (ImportProgress) -> Void)?
    var report: MappedEventReport

    /// Per field, the 0-based column (after the header is read).
    private var columns: [EventMapping.Field: Int] = [:]
    private var constants: [EventMapping.Field: String] = [:]
    private var width = 0
    private var started = false
    private var timeParser: EventMappingTimeParser
    private var filters: [(filter: EventMapping.RowFilter, regex: Regex<AnyRegexOutput>?, cache: [String: Bool])] = []
    /// A record of the wrong width, held until the next one shows whether it was the file's last.
    private var heldShortRow: (line: Int, fields: Int)?

    /// One event being built; orders gather their lines here.
    private struct Pending {
        var event: Event
        var line: Int
        var rows: [Row] = []
        var invalid = false
    }
    /// The row facts the catalog rule needs.
    private struct Row {
        var line: Int
        var time: Int64
        var sku: String
        var price: Double?
        var name: String?
        var category: String?
        var brand: String?
    }
    private var pending: [Pending] = []
    private var orderIndex: [String: Int] = [:]
    private var occurrences: [UInt64: Int32] = [:]
    private var issues: [InputError] = []
    private let clock = ContinuousClock.now

    init(mapping: EventMapping, file: String, progress: (@Sendable (ImportProgress) -> Void)?) {
        self.mapping = mapping
        self.file = file
        self.progress = progress
        report = MappedEventReport(file: file, mapping: mapping.name)
        timeParser = EventMappingTimeParser(mapping.time)
    }

    static func read(_ input: EventFileInput, mapping: EventMapping, progress: (@Sendable (ImportProgress) -> Void)?) throws -> MappedEventLog {
        var reader = MappedEventReader(mapping: mapping, file: input.file, progress: progress)
        var records = EventCSVRecords(input: input)
        records.delimiter = mapping.delimiter
        do {
            try records.forEachRecord { try reader.add($0) }
        } catch let error as EventCSVRecords.SyntaxError {
            throw error.issue
        }
        guard reader.started else { throw InputError(file: input.file, line: 0, message: "empty file: no \(mapping.header ? "header row" : "rows")") }
        return reader.finish()
    }

    /// Finds the mapped columns in the header (or checks the numbers against the first row).
    private mutating func start(_ record: CSVRecord) throws {
        started = true
        let names = record.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        width = names.count
        for compiled in mapping.skipRows {
            guard case .unlessMatching(let pattern) = compiled.test else { filters.append((compiled, nil, [:])); continue }
            filters.append((compiled, try Regex(pattern), [:]))
        }
        for field in EventMapping.Field.allCases {
            switch mapping.sources[field] {
            case .named(let name)?:
                guard let index = names.firstIndex(of: name) else {
                    throw InputError("no column \(String(reflecting: name)) for the field \(field.rawValue) in the header of \(file) "
                                     + "(\(names.joined(separator: ","))), nothing stored",
                                     at: InputLocation(file: mapping.file, line: 0), subject: "mapping", path: "columns.\(field.rawValue)")
                }
                columns[field] = index
            case .number(let number)?:
                guard number <= names.count else {
                    throw InputError("column \(number) for the field \(field.rawValue), but \(file)'s first row has \(names.count) columns; nothing stored",
                                     at: InputLocation(file: mapping.file, line: 0), subject: "mapping", path: "columns.\(field.rawValue)")
                }
                columns[field] = number - 1
            case .constant(let value)?: constants[field] = value
            case nil: break
            }
        }
    }

    private func columnName(_ field: EventMapping.Field) -> String {
        switch mapping.sources[field] {
        case .named(let name)?: name
        case .number(let number)?: "column \(number)"
        default: field.rawValue
        }
    }

    private func value(_ field: EventMapping.Field, _ fields: [String]) -> String? {
        var text: String
        if let index = columns[field] { text = fields[index] } else if let constant = constants[field] { text = constant } else { return nil }
        if let suffix = mapping.trimSuffix[field], text.hasSuffix(suffix) { text.removeLast(suffix.count) }
        return text.isEmpty ? nil : text
    }

    mutating func add(_ record: CSVRecord) throws {
        if record.fields.isEmpty { return }
        if !started {
            try start(record)
            if mapping.header { return }
        }
        if let held = heldShortRow {
            heldShortRow = nil
            issues.append(InputError(file: file, line: held.line, message: "expected \(width) fields, got \(held.fields)"))
        }
        report.rows += 1
        if report.rows % EventIngestSession.progressInterval == 0, let progress {
            let seconds = (ContinuousClock.now - clock) / .seconds(1)
            progress(ImportProgress(file: file, rows: report.rows, rowsPerSecond: seconds > 0 ? Double(report.rows) / seconds : 0))
        }
        let fields = record.fields, line = record.line
        guard fields.count == width else {
            if fields.count < width { heldShortRow = (line, fields.count) }
            else { issues.append(InputError(file: file, line: line, message: "expected \(width) fields, got \(fields.count)")) }
            return
        }
        try row(fields, line: line)
    }

    private mutating func row(_ fields: [String], line: Int) throws {
        let order = value(.order, fields)
        func fail(_ field: EventMapping.Field, _ message: String, orderID: String?) {
            issues.append(InputError(file: file, line: line, field: columnName(field),
                                     message: message + (orderID.map { " (order \($0) skipped)" } ?? "")))
            guard let orderID else { return }
            if let index = orderIndex[orderID] { pending[index].invalid = true } else {
                orderIndex[orderID] = pending.count
                pending.append(Pending(event: Event(id: "", type: .placeOrder, time: Date(timeIntervalSince1970: 0), visitorID: "", sessionID: ""),
                                       line: line, invalid: true))
            }
        }
        guard let rawType = value(.type, fields) else { return fail(.type, "missing or empty", orderID: order) }
        let target: EventMapping.TypeTarget
        var skipKey = rawType
        if let mapped = mapping.types[rawType] {
            target = mapped
        } else if let prefixed = mapping.typePrefixes.first(where: { rawType.hasPrefix($0.prefix) }) {
            target = prefixed.target
            skipKey = prefixed.prefix + "…"
        } else if let otherwise = mapping.otherwiseType {
            target = otherwise
        } else if mapping.unknownTypes == .skip {
            target = .skip
        } else {
            let known = (mapping.types.keys.sorted() + mapping.typePrefixes.map { $0.prefix + "…" }).joined(separator: ", ")
            return fail(.type, "unknown event type value \(String(reflecting: rawType)) (the mapping knows \(known))", orderID: order)
        }
        guard case .event(let type) = target else {
            report.skippedTypes[skipKey, default: 0] += 1
            return
        }
        let isOrder = EventValidator.isOrder(type)
        let orderID = isOrder ? order : nil
        guard let timeText = value(.time, fields) else { return fail(.time, "missing or empty", orderID: orderID) }
        guard let time = timeParser.parse(timeText) else {
            return fail(.time, "bad time \(String(reflecting: timeText)) (expected \(mapping.time.expected))", orderID: orderID)
        }
        var quantity: Double?, price: Double?
        if let text = value(.quantity, fields) {
            guard let number = Self.decimal(text) else { return fail(.quantity, "not a number: \(String(reflecting: text))", orderID: orderID) }
            quantity = number
        }
        if let text = value(.price, fields) {
            guard let number = Self.decimal(text) else { return fail(.price, "not a number: \(String(reflecting: text))", orderID: orderID) }
            price = number
        }
        let sku = value(.sku, fields)
        let customer = value(.customer, fields)
        func withOrder(_ field: EventMapping.Field, _ id: String) -> String? {
            value(field, fields) ?? mapping.ifEmpty[field].map { $0.replacingOccurrences(of: "{order}", with: id) }.flatMap { $0.isEmpty ? nil : $0 }
        }

        // An order's first row decides its visitor, customer and session; its time is the
        // earliest of its rows (filtered rows too, as the Online Retail importer counts them).
        var index: Int
        if isOrder, let orderID, let existing = orderIndex[orderID] {
            index = existing
            if pending[index].invalid { return }
            if time < EventTime.milliseconds(pending[index].event.time)! { pending[index].event.time = EventTime.date(time) }
        } else {
            let id: String
            if isOrder, let orderID {
                id = mapping.eventIDPrefix + orderID
            } else if let given = value(.id, fields) {
                id = given
            } else {
                id = derivedID(fields)
            }
            let eventOrder = isOrder ? (orderID ?? id) : nil
            let event = Event(id: id, type: type, time: EventTime.date(time), store: value(.store, fields) ?? "default",
                              visitorID: withOrder(.visitor, eventOrder ?? "") ?? "", customerID: customer,
                              sessionID: withOrder(.session, eventOrder ?? "") ?? "", orderID: eventOrder)
            index = pending.count
            pending.append(Pending(event: event, line: line))
            if isOrder, let orderID { orderIndex[orderID] = index }
        }

        for (position, compiled) in filters.enumerated() {
            let text = value(compiled.filter.field, fields) ?? ""
            let skip: Bool
            switch compiled.filter.test {
            case .unlessMatching:
                if let cached = compiled.cache[text] { skip = !cached } else {
                    let matches = (try? compiled.regex!.wholeMatch(in: text)) != nil
                    filters[position].cache[text] = matches
                    skip = !matches
                }
            case .equalsNumber(let number): skip = Self.decimal(text) == number
            }
            if skip {
                report.skippedRows[compiled.filter.reason, default: 0] += 1
                if !isOrder || orderID == nil { pending[index].invalid = true }
                return
            }
        }
        let rowInfo = Row(line: line, time: time, sku: sku ?? "", price: price, name: value(.name, fields),
                          category: value(.category, fields), brand: value(.brand, fields))
        if isOrder {
            var lineQuantity = quantity ?? 1
            if mapping.negativeQuantitiesInCancellations {
                guard type == .cancelOrder ? lineQuantity < 0 : lineQuantity > 0, (price ?? 0) > 0 else {
                    report.wrongSignLines += 1
                    return
                }
                lineQuantity = abs(lineQuantity)
            }
            guard let price else { return fail(.price, "missing (an order line needs a price)", orderID: orderID) }
            pending[index].event.lines.append(OrderLine(sku: sku ?? "", quantity: lineQuantity, price: price))
        } else {
            pending[index].event.sku = sku
            pending[index].event.quantity = quantity
            pending[index].event.price = price
            if type == .categoryView { pending[index].event.category = value(.category, fields) }
        }
        pending[index].rows.append(rowInfo)
    }

    /// The mapping's prefix and a 64-bit FNV-1a hash of the row's cells; an exact repeat of an
    /// earlier row gets `-2`, `-3`, … so it stays an event of its own, and importing the file again
    /// derives the same ids (duplicates, skipped).
    private mutating func derivedID(_ fields: [String]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for (i, field) in fields.enumerated() {
            if i > 0 { hash = (hash ^ 0x1F) &* 0x0000_0100_0000_01B3 }
            for byte in field.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        }
        let count = (occurrences[hash] ?? 0) + 1
        occurrences[hash] = count
        let hex = String(hash, radix: 16)
        let id = mapping.eventIDPrefix + String(repeating: "0", count: 16 - hex.count) + hex
        if count > 1 { report.repeatedRows += 1; return id + "-\(count)" }
        return id
    }

    /// A plain decimal (`35.79`, `-6`), else ``MagentoFields/parseDecimal(_:)``.
    static func decimal(_ text: String) -> Double? {
        if let value = Double(text), value.isFinite {
            // Double() also reads "nan", "inf" and hex; only plain digits take this path.
            var text = text
            let plain = text.withUTF8 { u in u.allSatisfy { EventTime.isDigit($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "+") } }
            if plain { return value }
        }
        return MagentoFields.parseDecimal(text)
    }

    mutating func finish() -> MappedEventLog {
        if let held = heldShortRow {
            report.cutOffLine = held.line
            report.warnings.append(InputError(file: file, line: held.line,
                                              message: "the last line is cut off (\(held.fields) of \(width) fields): left out, the rest kept"))
        }
        var log = MappedEventLog(report: report)
        if mapping.sources[.session] == nil { cutSessions() }
        var sessions = Set<String>()
        var candidates: [String: (first: Int, sku: String, names: [String: (count: Int, first: Int)], time: Int64, line: Int,
                                  price: Double?, category: String?, brand: String?)] = [:]
        for item in pending {
            if item.invalid { continue }
            if EventValidator.isOrder(item.event.type) && item.event.lines.isEmpty { log.report.emptyOrders += 1; continue }
            if let problem = EventValidator.problem(item.event) {
                let line = problem.orderLine.map { item.rows[$0].line } ?? item.line
                issues.append(InputError(file: file, line: line, field: problem.field, message: problem.reason + EventIngestSession.naming(item.event)))
                continue
            }
            log.report.eventsByType[item.event.type.rawValue, default: 0] += 1
            if EventValidator.isOrder(item.event.type) { log.report.orderLines += item.event.lines.count }
            sessions.insert(item.event.sessionID)
            log.events.append(item.event)
            log.eventLines.append(item.line)
            log.rowLines.append(EventValidator.isOrder(item.event.type) ? item.rows.map(\.line) : nil)
            for row in item.rows where !row.sku.isEmpty {
                let key = row.sku.lowercased()
                var c = candidates[key] ?? (row.line, row.sku, [:], row.time, row.line, row.price, nil, nil)
                if row.line < c.first { c.first = row.line; c.sku = row.sku }
                if row.time > c.time || (row.time == c.time && row.line >= c.line) {
                    c.time = row.time; c.line = row.line
                    if let price = row.price { c.price = price }
                    if let category = row.category { c.category = category }
                    if let brand = row.brand { c.brand = brand }
                } else {
                    if c.price == nil { c.price = row.price }
                    if c.category == nil { c.category = row.category }
                    if c.brand == nil { c.brand = row.brand }
                }
                if let name = row.name.map(MagentoFields.trimmed), !name.isEmpty {
                    var seen = c.names[name] ?? (0, row.line)
                    seen.count += 1
                    seen.first = min(seen.first, row.line)
                    c.names[name] = seen
                }
                candidates[key] = c
            }
        }
        log.report.sessions = sessions.count
        log.products = candidates.values.sorted { $0.first < $1.first }.map { c in
            let name = c.names.max { a, b in a.value.count != b.value.count ? a.value.count < b.value.count : a.value.first > b.value.first }?.key ?? c.sku
            let path = c.category.map { text in
                (mapping.categorySeparator.map { text.components(separatedBy: $0) } ?? [text])
                    .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            }
            return MappedProduct(sku: c.sku, name: name, price: c.price, category: path?.isEmpty == true ? nil : path, brand: c.brand)
        }
        issues.sort { ($0.location?.line ?? 0) < ($1.location?.line ?? 0) }
        log.issues = issues
        return log
    }

    /// Without a session column: a visitor's events in time order, a new session after a gap
    /// longer than the mapping's; the id is the visitor and the session's first time.
    private mutating func cutSessions() {
        var byVisitor: [String: [Int]] = [:]
        for (index, item) in pending.enumerated() where !item.invalid { byVisitor[item.event.visitorID, default: []].append(index) }
        for (visitor, indices) in byVisitor {
            let sorted = indices.sorted {
                let a = pending[$0].event.time, b = pending[$1].event.time
                return a != b ? a < b : $0 < $1
            }
            var last: Int64 = .min
            var session = ""
            for index in sorted {
                let time = EventTime.milliseconds(pending[index].event.time) ?? 0
                if session.isEmpty || time - last > mapping.sessionGapMilliseconds { session = visitor + "@" + EventTime.format(time) }
                last = time
                pending[index].event.sessionID = session
            }
        }
    }
}
