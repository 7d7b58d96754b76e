import ArgumentParser
import Crosslink
import Foundation

extension RecommendationType: ExpressibleByArgument {}

struct Recommend: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Recommend products from the aggregated visitor events (or, for more-like-this, the catalog).",
        discussion: """
            Types: \(RecommendationType.allCases.map(\.rawValue).joined(separator: ", ")).
            Co-occurrence types and more-like-this need --sku or --cart; recommended-for-you and \
            recently-viewed need --visitor. Each product comes with its score and the reason.
            Without --as-of the live windows are used (they end with the latest event); --as-of \
            answers from the whole days (hours for trending) before that instant. \
            --popularity-days, --cooccurrence-days and --trending-*-hours replace the stored windows \
            for this request (as a unit's "windows" do), answered from the day and hour rows.
            Examples:
              crosslink recommend --type bought-bought --sku 85123A
              crosslink recommend --type most-purchased --as-of 2011-09-01 --limit 10
              crosslink recommend --type viewed-viewed --cart 24-MB01,24-WB04 --json
              crosslink recommend --type recommended-for-you --visitor 12748
              crosslink recommend --type trending --sql    # the SQL and parameters, for sqlite3
              crosslink recommend --type most-viewed --popularity-days 30
            Batch: --batch FILE (or - for standard input) reads one JSON question per line and             writes one JSON answer per line, in order, on one open store:
              {"type":"bought-bought","sku":"85123A"}
              {"type":"viewed-viewed","cart":["24-MB01","24-WB04"],"limit":10}
              {"type":"recommended-for-you","visitor":"12748","as_of":"2011-09-01","id":7}
              {"type":"most-viewed","windows":{"popularity_days":30}}
            gives {"line":1,"type":…,"recommendations":[…]} or {"line":N,"error":"…"} for a bad             line (the others are still answered); "id" is echoed back. --type, --store and             --limit are the defaults of lines without them.
              crosslink recommend --batch questions.jsonl > answers.jsonl
            """)

    @ParentCommand var root: CrosslinkCommand
    var global: GlobalOptions { root.global }
    @OptionGroup var output: OutputOptions
    @Option(help: "The recommendation type (with --batch: of lines that name none).") var type: RecommendationType?
    @Option(help: "The viewed product.") var sku: String?
    @Option(help: ArgumentHelp("The cart's SKUs, comma-separated.", valueName: "skus")) var cart: String?
    @Option(help: "The visitor id of the events.") var visitor: String?
    @Option(name: .customLong("as-of"), help: ArgumentHelp(
        "Answer as of this instant: ISO 8601 with a zone, a date (midnight UTC) or Unix milliseconds.", valueName: "time"))
    var asOf: String?
    @Option(help: "Maximum products (1–100).") var limit: Int = 5
    @Option(help: "Store view code.") var store: String = "default"
    @Flag(help: "Print the SQL and its parameters instead of running it: sqlite3 .parameter commands, or PREPARE and EXECUTE for psql on PostgreSQL.") var sql = false
    @Option(help: ArgumentHelp("Answer the JSON questions of FILE, one per line (- for standard input), as JSON lines.",
                               valueName: "file")) var batch: String?
    @Option(help: ArgumentHelp("This request's popularity window instead of the stored one.", valueName: "days"))
    var popularityDays: Int?
    @Option(help: ArgumentHelp("This request's co-occurrence window (also recommended-for-you's).", valueName: "days"))
    var cooccurrenceDays: Int?
    @Option(help: ArgumentHelp("This request's trending foreground window.", valueName: "hours"))
    var trendingForegroundHours: Int?
    @Option(help: ArgumentHelp("This request's trending background window.", valueName: "hours"))
    var trendingBackgroundHours: Int?

    /// The windows given on the command line (nil: the stored ones).
    var windows: RecommendationWindows? {
        let windows = RecommendationWindows(popularityDays: popularityDays, cooccurrenceDays: cooccurrenceDays,
                                            trendingForegroundHours: trendingForegroundHours, trendingBackgroundHours: trendingBackgroundHours)
        return windows.isEmpty ? nil : windows
    }

    func validate() throws {
        if batch != nil {
            if sku != nil || cart != nil || visitor != nil || asOf != nil || sql || output.json {
                throw ValidationError("--batch reads each question's sku, cart, visitor and as_of from its line and answers in JSON: drop --sku, --cart, --visitor, --as-of, --sql and --json")
            }
            return
        }
        if type == nil { throw ValidationError("missing --type (or --batch FILE)") }
        if sku != nil && cart != nil { throw ValidationError("give --sku or --cart, not both") }
        if let asOf, Self.time(asOf) == nil {
            throw ValidationError("--as-of \(asOf): not a time (2011-09-01, 2011-09-01T12:00:00Z or Unix milliseconds)")
        }
    }

    /// ISO 8601 with a zone or milliseconds (as events), or a plain date at midnight UTC.
    static func time(_ text: String) -> Date? {
        if let milliseconds = EventTime.parse(text) { return EventTime.date(milliseconds) }
        if text.count == 10, let milliseconds = EventTime.parse(text + "T00:00:00Z") { return EventTime.date(milliseconds) }
        return nil
    }

    func run() throws {
        let crosslink = try global.openStore(.read)
        if let batch {
            let counts = try RecommendBatch(store: crosslink, defaultType: type, defaultStore: store, defaultLimit: limit,
                                            defaultWindows: windows).run(path: batch)
            if counts.errors > 0 { Output.error("\(counts.errors) of \(counts.questions) questions answered with an error (see their \"error\")") }
            return
        }
        guard let type else { return }
        let skus = sku.map { [$0] } ?? (cart ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let context = RecommendationContext(skus: skus, visitorID: visitor)
        let (store, limit, asOf, windows) = (self.store, self.limit, self.asOf.flatMap(Self.time), self.windows)
        if sql {
            let query = try crosslink.read { db in
                try Recommender(db).plan(type, context: context, store: store, limit: limit, asOf: asOf, windows: windows)
            }
            if query.engine == .postgresql {
                // psql has no .parameter: a prepared statement and its values (psql -f or stdin).
                let (text, values) = query.serverStatement
                print("PREPARE crosslink_recommend AS\n" + text + ";")
                print("EXECUTE crosslink_recommend(" + values.map(Self.postgreSQLLiteral).joined(separator: ", ") + ");")
                print("DEALLOCATE crosslink_recommend;")
                return
            }
            print(".parameter init")
            for (name, value) in query.parameters { print(".parameter set \(name) \(Self.literal(value))") }
            print(query.sql + ";")
            return
        }
        let (list, stale, unknown) = try crosslink.read { db in
            (try Recommender(db).recommend(type, context: context, store: store, limit: limit, asOf: asOf, windows: windows),
             try Aggregates(db).staleness(),
             try skus.filter { try ProductRepository(db).id(sku: $0) == nil })
        }
        if let stale { Output.error("warning: \(stale.description)") }
        // The library leaves such SKUs out (a product not imported yet); a person may have mistyped one.
        for sku in unknown { Output.error("note: \(String(reflecting: sku)) is not in the catalog: nothing is recommended from it") }
        if output.json {
            print(try Output.json(list.map { JSONRecommendation(recommendation: $0, aggregatesStale: stale != nil) }))
            return
        }
        guard !list.isEmpty else {
            print("(none: no \(type.rawValue) evidence\(asOf.map { " before \(ISO8601DateFormatter().string(from: $0))" } ?? ""))")
            return
        }
        print(Output.table(["#", "sku", "name", "score", "why"], list.enumerated().map { index, r in
            [String(index + 1), r.sku, Output.name(r.name), Self.score(r.score, type), r.reason.description]
        }))
    }

    /// A recommendation with its reason as text too, and `aggregatesStale: true` while the
    /// aggregates miss stored events (absent otherwise, so the usual output is unchanged).
    struct JSONRecommendation: Encodable {
        var recommendation: Recommendation
        var aggregatesStale = false
        func encode(to encoder: any Encoder) throws {
            try recommendation.encode(to: encoder)
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(recommendation.reason.description, forKey: .why)
            if aggregatesStale { try container.encode(true, forKey: .aggregatesStale) }
        }
        enum Key: CodingKey { case why, aggregatesStale }
    }

    /// A value as the sqlite3 CLI's `.parameter set` reads it (text in double-quoted SQL quotes).
    static func literal(_ value: DatabaseValue) -> String {
        switch value {
        case .text(let text): "\"" + sqlText(text) + "\""
        default: value.description
        }
    }

    /// A value as a PostgreSQL literal: text in single quotes (standard strings: only `'` doubles).
    static func postgreSQLLiteral(_ value: DatabaseValue) -> String {
        switch value {
        case .text(let text): "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
        case .blob(let bytes): "'\\x" + bytes.map { String(format: "%02x", $0) }.joined() + "'"
        default: value.description
        }
    }

    /// A SQL text literal; control and bidi characters as `char(N)` so the line shows them and
    /// still gives the exact value.
    static func sqlText(_ text: String) -> String {
        var parts: [String] = [], run = ""
        func flush() {
            if !run.isEmpty { parts.append("'" + run.replacingOccurrences(of: "'", with: "''") + "'") }
            run = ""
        }
        for scalar in text.unicodeScalars {
            if TerminalText.isEscaped(scalar) {
                flush()
                parts.append("char(\(scalar.value))")
            } else {
                run.unicodeScalars.append(scalar)
            }
        }
        flush()
        return parts.isEmpty ? "''" : parts.joined(separator: "||")
    }

    static func score(_ value: Double, _ type: RecommendationType) -> String {
        switch type.scoreKind {
        case .time: ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: value / 1000))
        case .count: String(Int(value))
        case .real: String(format: "%.3f", value)
        }
    }
}

struct AggregatesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aggregates",
        abstract: "Inspect, configure or rebuild the behavioural aggregates.",
        subcommands: [Rebuild.self, Status.self, Configure.self, Neighbours.self])

    @ParentCommand var root: CrosslinkCommand

    struct Rebuild: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute every aggregate from the event log (repair, or after an import without aggregation).",
            discussion: """
                Ingest keeps the aggregates current; a rebuild gives the same tables from scratch.
                Example:
                  crosslink aggregates rebuild
                """)
        @ParentCommand var root: AggregatesCommand
        @OptionGroup var output: OutputOptions

        func run() throws {
            let crosslink = try root.root.global.openStore(.readWrite)
            let start = ContinuousClock.now
            try crosslink.write { db in try Aggregates(db).rebuild() }
            let seconds = (ContinuousClock.now - start) / .seconds(1)
            let status = try crosslink.read { db in try Aggregates(db).status() }
            if output.json {
                print(try Output.json(status))
                return
            }
            print("Rebuilt in \(String(format: "%.2f", seconds)) s.")
            print(Status.describe(status))
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The span of the aggregated log, the rows of each aggregate table and the settings.",
            discussion: "Example:\n  crosslink aggregates status --json")
        @ParentCommand var root: AggregatesCommand
        @OptionGroup var output: OutputOptions

        func run() throws {
            let status = try root.root.global.openStore(.read).read { db in try Aggregates(db).status() }
            print(output.json ? try Output.json(status) : Self.describe(status))
        }

        static func describe(_ status: AggregateStatus) -> String {
            let span = status.firstEventAt.flatMap { first in status.lastEventAt.map { (first, $0) } }
                .map { "events from \(EventTime.format($0.0)) to \(EventTime.format($0.1))" } ?? "no events"
            let settings = status.settings
            let stale = status.stale.map { "Stale: \($0.description)\n" } ?? "Up to date: every stored event is aggregated.\n"
            return stale + """
                Aggregated log: \(span)
                \(Output.table(["table", "rows"], status.rows.keys.sorted().map { [$0, String(status.rows[$0]!)] }))
                Windows: popularity \(settings.popularityDays) days, trending \(settings.trendingForegroundHours) h vs \
                \(settings.trendingBackgroundHours) h, co-occurrence \(settings.cooccurrenceDays) days; baskets of at most \
                \(settings.maxBasketProducts) products; minimum support \(settings.minimumSupport) (views \(settings.minimumViewSupport)); lift prior \(MagentoFields.formatDecimal(settings.liftPrior)); conversion prior \
                \(settings.conversionPriorViews) views; history half-life \(settings.historyHalfLifeDays) days, \
                \(settings.historyProducts) products
                """
        }
    }

    struct Configure: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change windows, thresholds and priors (a changed window or basket cap rebuilds the aggregates).",
            discussion: """
                Examples:
                  crosslink aggregates configure --popularity-days 14
                  crosslink aggregates configure --minimum-support 3 --conversion-prior-views 50
                  crosslink aggregates configure --spec --lift-prior 20

                Only the options given change; `crosslink aggregates status` shows the current values. The \
                defaults (in brackets) are the settings the offline-evaluation grid scored best on the shipped \
                Online Retail log; --spec starts from the reference values instead (7-day popularity, 6-month \
                co-occurrence, minimum support 2, lift prior 5, …), then applies the other options. Windows and \
                the basket cap change what the aggregate tables hold (a rebuild from the events); the others \
                only change ranking and take effect at once.
                """)
        @ParentCommand var root: AggregatesCommand
        @Flag(help: "Start from the reference values instead of the current settings.") var spec = false
        @Option(help: ArgumentHelp("Most viewed / purchased / added to cart and conversion count the last N days [\(Self.defaults.popularityDays)]. Rebuilds.",
                                   valueName: "days"))
        var popularityDays: Int?
        @Option(help: ArgumentHelp("Trending compares the last N hours … [\(Self.defaults.trendingForegroundHours)]. Rebuilds.", valueName: "hours"))
        var trendingForegroundHours: Int?
        @Option(help: ArgumentHelp("… with the product's own N hours before them [\(Self.defaults.trendingBackgroundHours)]. Rebuilds.", valueName: "hours"))
        var trendingBackgroundHours: Int?
        @Option(help: ArgumentHelp("Co-occurrence types and recommended-for-you use the last N days [\(Self.defaults.cooccurrenceDays)]. Rebuilds.",
                                   valueName: "days"))
        var cooccurrenceDays: Int?
        @Option(help: ArgumentHelp("Sessions and orders with more distinct products (wholesale, crawlers) give no co-occurrence evidence; "
                                   + "they still count for popularity [\(Self.defaults.maxBasketProducts)]. At least 2. Rebuilds.", valueName: "products"))
        var maxBasketProducts: Int?
        @Option(help: ArgumentHelp("Bought-together pairs need at least this many orders [\(Self.defaults.minimumSupport)].", valueName: "orders"))
        var minimumSupport: Int?
        @Option(help: ArgumentHelp("Viewed-viewed and viewed-bought pairs need at least this many sessions [\(Self.defaults.minimumViewSupport)].",
                                   valueName: "sessions"))
        var minimumViewSupport: Int?
        @Option(help: ArgumentHelp("Co-occurrence ranking prior k in (together + k) / (expected + k): 0 = plain lift, large = excess count "
                                   + "[\(Self.number(Self.defaults.liftPrior))].", valueName: "k"))
        var liftPrior: Double?
        @Option(help: ArgumentHelp("Conversion is smoothed as (converted + k × store rate) / (viewers + k), k = this [\(Self.number(Self.defaults.conversionPriorViews))].",
                                   valueName: "k"))
        var conversionPriorViews: Double?
        @Option(help: ArgumentHelp("Trending needs at least this many viewing sessions in the last foreground window [\(Self.defaults.trendingMinimumViewers)].",
                                   valueName: "sessions"))
        var trendingMinimumViewers: Int?
        @Option(help: ArgumentHelp("Recommended for you: a history product's weight halves every N days [\(Self.number(Self.defaults.historyHalfLifeDays))].",
                                   valueName: "days"))
        var historyHalfLifeDays: Double?
        @Option(help: ArgumentHelp("Recommended for you: the visitor's N weightiest history products seed it [\(Self.defaults.historyProducts)].",
                                   valueName: "products"))
        var historyProducts: Int?

        static let defaults = RecommendationSettings()
        /// 1000000 rather than 1e+06 or 1000000.0.
        static func number(_ value: Double) -> String { value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value) }

        func run() throws {
            let crosslink = try root.root.global.openStore(.readWrite)
            let changes = self
            let status = try crosslink.write { db in
                var settings = changes.spec ? RecommendationSettings.specification : try Aggregates(db).settings()
                if let value = changes.popularityDays { settings.popularityDays = value }
                if let value = changes.trendingForegroundHours { settings.trendingForegroundHours = value }
                if let value = changes.trendingBackgroundHours { settings.trendingBackgroundHours = value }
                if let value = changes.cooccurrenceDays { settings.cooccurrenceDays = value }
                if let value = changes.maxBasketProducts { settings.maxBasketProducts = value }
                if let value = changes.minimumSupport { settings.minimumSupport = value }
                if let value = changes.minimumViewSupport { settings.minimumViewSupport = value }
                if let value = changes.liftPrior { settings.liftPrior = value }
                if let value = changes.conversionPriorViews { settings.conversionPriorViews = value }
                if let value = changes.trendingMinimumViewers { settings.trendingMinimumViewers = value }
                if let value = changes.historyHalfLifeDays { settings.historyHalfLifeDays = value }
                if let value = changes.historyProducts { settings.historyProducts = value }
                try Aggregates(db).configure(settings)
                return try Aggregates(db).status()
            }
            print(Status.describe(status))
        }
    }
}
