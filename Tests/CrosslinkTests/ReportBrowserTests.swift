import Foundation
import Testing
@testable import Crosslink

/// Both HTML reports (unit metrics, offline evaluation) laid out by a real headless Chromium at
/// 1280 and 390 px: nothing sticks out of the window (the page never scrolls sideways; every
/// table fits or scrolls inside its own box; every chart and each of its labels is inside the
/// window), every chart has a legend, and at 1280 px the metrics tables fit whole (lifetime
/// revenue visible). Headless Chromium keeps its window at least 500 px wide, so each page is
/// laid out in an iframe of the width under test; a script in the outer page measures the
/// frame and writes the result into the DOM that `--dump-dom` prints.
///
/// With `CROSSLINK_REPORT_SCREENSHOTS=DIR` the test also writes `--screenshot` PNGs of each page
/// at each width into DIR, to look at.
@Suite(.enabled(if: ReportBrowser.chromium != nil, "chromium is not installed (apt-get install chromium)"))
struct ReportBrowserTests {
    @Test(arguments: ReportBrowser.widths)
    func theMetricsReportFitsTheWindow(width: Int) throws {
        let (dir, store) = try ReportBrowserFixture.metricsStore()
        let report = try store.read { db in try UnitMetricsReport(db, query: UnitMetricsQuery(), currency: "EUR") }
        #expect(report.comparisons.count == 2 && report.units.count == 3)
        let layout = try ReportBrowser.layout(of: report.html(), width: width, in: dir, name: "metrics")
        ReportBrowser.expectFits(layout, width: width)
        // 3 line charts, 4 bar charts per unit, 4 with the two A/B units' variants.
        #expect(layout.charts == 11 && layout.legends == 11)
        // Totals, per day, per unit, the A/B tests and the variants.
        #expect(layout.tables == 5)
        if width >= 1280 {
            #expect(layout.tablesFitting == layout.tables, "at \(width) px every table fits: \(layout.problems)")
            #expect(layout.visibleHeaders.contains("lifetime revenue (EUR)"))
        }
        #expect(layout.texts.contains("days: 2024-05-01 to 2024-05-08 (UTC); store: every store; amounts in EUR"))
    }

    @Test(arguments: ReportBrowser.widths)
    func theEvaluationReportFitsTheWindow(width: Int) throws {
        let dir = try TemporaryDirectory()
        let store = try EvaluationFixture.store(dir)
        try EventStore(store: store).append(EvaluationFixture.log.events)
        let report = try Evaluator(source: store, options: EvaluationFixture.options(
            types: [.boughtBought, .mostPurchased, .moreLikeThis, .recentlyViewed])).run()
        let layout = try ReportBrowser.layout(of: EvaluationHTML.document(report), width: width, in: dir, name: "eval")
        ReportBrowser.expectFits(layout, width: width)
        #expect(layout.charts == 6 && layout.legends == 6)
        // Three types with 5, 2 and 5 cases: each is flagged.
        #expect(layout.warnings == 3)
        #expect(layout.texts.contains { $0.hasPrefix("NDCG@2") })
    }
}

/// The browser harness of ``ReportBrowserTests``.
enum ReportBrowser {
    static let widths = [1280, 390]

    static let chromium: String? = {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            for name in ["chromium", "chromium-browser"] {
                let path = "\(directory)/\(name)"
                if FileManager.default.isExecutableFile(atPath: path) { return path }
            }
        }
        return nil
    }()

    /// What the script measured in the frame.
    struct Layout: Decodable {
        var width: Int
        var scrollWidth: Int
        var tables: Int
        var tablesFitting: Int
        var charts: Int
        var legends: Int
        var warnings: Int
        var problems: [String]
        /// Table headers whose cell is wholly inside the window without scrolling.
        var visibleHeaders: [String]
        /// The text of the page's paragraphs and definition terms.
        var texts: [String]
    }

    static func expectFits(_ layout: Layout, width: Int, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        #expect(layout.width == width, sourceLocation: sourceLocation)
        #expect(layout.scrollWidth <= width, "the page scrolls sideways at \(width) px", sourceLocation: sourceLocation)
        #expect(layout.problems.isEmpty, "\(layout.problems)", sourceLocation: sourceLocation)
        #expect(layout.tables > 0 && layout.charts > 0, sourceLocation: sourceLocation)
    }

    /// Measures the frame: the page's width, every table (inside the window, or in a box that is
    /// inside it and scrolls), every chart (its SVG and each text of it inside the window, a
    /// legend with at least one entry), every heading and paragraph inside the window.
    static let script = """
        function measure(w, d) {
          var W = w.innerWidth, out = {width: W, scrollWidth: d.documentElement.scrollWidth, tables: 0, tablesFitting: 0,
            charts: 0, legends: 0, warnings: d.querySelectorAll('.warning li').length, problems: [], visibleHeaders: [], texts: []};
          function inside(r) { return r.left >= -0.5 && r.right <= W + 0.5; }
          d.querySelectorAll('table').forEach(function (t, i) {
            out.tables++;
            var box = t.closest('.table-box');
            if (inside(t.getBoundingClientRect())) out.tablesFitting++;
            else if (!box) out.problems.push('table ' + i + ' is outside the window and not in a scrolling box');
            else {
              var overflow = w.getComputedStyle(box).overflowX;
              if (!inside(box.getBoundingClientRect()) || (overflow != 'auto' && overflow != 'scroll'))
                out.problems.push('table ' + i + ': its box is outside the window or does not scroll');
            }
            t.querySelectorAll('th').forEach(function (th) { if (inside(th.getBoundingClientRect())) out.visibleHeaders.push(th.textContent); });
          });
          d.querySelectorAll('figure').forEach(function (f) {
            out.charts++;
            var caption = f.querySelector('figcaption').textContent, svg = f.querySelector('svg'), r = svg.getBoundingClientRect();
            if (!inside(r)) out.problems.push('chart "' + caption + '" is outside the window: ' + r.left + ' to ' + r.right);
            if (f.querySelectorAll('.legend span').length > 0) out.legends++;
            else out.problems.push('chart "' + caption + '" has no legend');
            svg.querySelectorAll('text').forEach(function (t) {
              var b = t.getBoundingClientRect();
              if (b.left < r.left - 1 || b.right > r.right + 1 || b.top < r.top - 1 || b.bottom > r.bottom + 1)
                out.problems.push('chart "' + caption + '": text "' + t.textContent + '" is cut off');
            });
          });
          d.querySelectorAll('h1, h2, h3, p, dl, .warning').forEach(function (e) {
            if (!inside(e.getBoundingClientRect())) out.problems.push(e.tagName + ' "' + e.textContent.slice(0, 40) + '" sticks out');
          });
          d.querySelectorAll('p, dt').forEach(function (e) { out.texts.push(e.textContent); });
          return out;
        }
        var frame = document.getElementById('frame');
        frame.addEventListener('load', function () {
          var json = JSON.stringify(measure(frame.contentWindow, frame.contentDocument));
          var pre = document.createElement('pre');
          pre.id = 'layout';
          pre.textContent = btoa(unescape(encodeURIComponent(json)));
          document.body.appendChild(pre);
        });
        """

    /// `page` laid out in a `width` px frame: the measurements, and a screenshot when asked for.
    static func layout(of page: String, width: Int, in dir: TemporaryDirectory, name: String) throws -> Layout {
        let chromium = try #require(chromium)
        let file = dir.path("\(name).html"), outer = dir.path("\(name)-\(width).html")
        try page.write(toFile: file, atomically: true, encoding: .utf8)
        let height = 4000
        try """
            <!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0">\
            <iframe id="frame" src="\(name).html" style="border:0;display:block;width:\(width)px;height:\(height)px"></iframe>\
            <script>\(script)</script></body></html>
            """.write(toFile: outer, atomically: true, encoding: .utf8)
        let common = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
                      "--allow-file-access-from-files", "--hide-scrollbars"]
        let result = try run(chromium, common + ["--window-size=\(max(width, 500)),900", "--dump-dom", "file://" + outer])
        #expect(result.status == 0, "\(result.stderr)")
        guard let start = result.stdout.range(of: "<pre id=\"layout\">"),
              let end = result.stdout.range(of: "</pre>", range: start.upperBound..<result.stdout.endIndex),
              let data = Data(base64Encoded: String(result.stdout[start.upperBound..<end.lowerBound])) else {
            Issue.record("no measurements in the DOM: \(result.stdout.suffix(500)) \(result.stderr.suffix(500))")
            throw CancellationError()
        }
        if let shots = ProcessInfo.processInfo.environment["CROSSLINK_REPORT_SCREENSHOTS"] {
            try FileManager.default.createDirectory(atPath: shots, withIntermediateDirectories: true)
            _ = try run(chromium, common + ["--window-size=\(max(width, 500)),\(height)", "--screenshot=\(shots)/\(name)-\(width).png",
                                            "file://" + outer])
        }
        return try JSONDecoder().decode(Layout.self, from: data)
    }
}

/// A week of unit events on ``eventTestStore()``: three units with long names (two of them with
/// variants A and B, B clicked more often on the first), 420 sessions, seeded.
enum ReportBrowserFixture {
    static func metricsStore() throws -> (TemporaryDirectory, CrosslinkStore) {
        let (dir, store) = try eventTestStore()
        try store.write { db in
            for (id, name) in [(1, "Customers who bought this also bought"), (2, "Recommended for you (home page)"), (3, "Cart cross-sells")] {
                try db.execute("INSERT INTO units(unit_id, store_id, name, page_type, status) VALUES (?, 1, ?, 'home', 'active')", [id, name])
            }
        }
        var random = SplitMix64(seed: 7)
        func chance(_ p: Double) -> Bool { Double(random.next() % 1_000_000) / 1_000_000 < p }
        var events: [Event] = []
        for session in 0..<420 {
            let unit = session % 3 + 1
            let variant: String? = unit == 3 ? nil : (session / 3) % 2 == 0 ? "A" : "B"
            let start = Double(session) * 1440, visitor = "v\(session % 150)", id = "s\(session)"
            func add(_ type: EventType, _ offset: Double, sku: String? = nil) {
                events.append(Event(id: "e\(events.count)", type: type, time: at(start + offset), visitorID: visitor, sessionID: id,
                                    sku: sku, unitID: String(unit), variant: variant))
            }
            add(.recsUnitRender, 0)
            guard chance(0.7) else { continue }
            add(.recsUnitView, 1)
            guard chance(unit == 1 && variant == "B" ? 0.45 : 0.2) else { continue }
            let sku = chance(0.5) ? "P1" : "P2"
            add(chance(0.3) ? .recsAddToCartClick : .recsItemClick, 2, sku: sku)
            guard chance(0.4) else { continue }
            events.append(Event(id: "o\(session)", type: .placeOrder, time: at(start + 30), visitorID: visitor, sessionID: id,
                                orderID: "o\(session)", lines: [OrderLine(sku: sku, quantity: Double(1 + random.next() % 3),
                                                                         price: Double(10 + random.next() % 20))]))
        }
        let report = try EventStore(store: store).append(events)
        precondition(report.stored == events.count && report.rejected.isEmpty, "\(report.rejected)")
        return (dir, store)
    }
}
