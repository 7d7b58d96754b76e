import Crosslink
import Foundation

extension FuzzTargets {
    /// Unit files through parsing, validation, storage and page resolution.
    static var unitTargets: [any FuzzTarget] { [UnitFileTarget()] }
}

/// `unit-file`: a units file parsed, exported and parsed again, imported into the Luma sample
/// (with a small seeded browsing log, so behavioural types have something to say), read back,
/// and every page type resolved — all in a transaction that is rolled back. A file is either
/// refused with an `InputError` (or a `RequestError`) or works: a stored unit must read back as written, and a page
/// must keep the built-in rules (no product twice, never the viewed product or the cart, at
/// most the unit's count).
final class UnitFileTarget: FuzzTarget {
    let name = "unit-file"
    private var store: CrosslinkStore?
    private var categoryID = 0

    func setUp() throws {
        let store = try CrosslinkStore(path: try FuzzData.scratchDirectory(name).appending(path: "units.sqlite").path)
        _ = try MagentoSampleImporter(store: store).importSample(at: FuzzData.magentoSample)
        let skus = ["24-MB01", "24-MB02", "24-MB04", "24-WB04", "24-UG01", "24-UG02", "MH01", "24-MG01"]
        var random = SplitMix64(seed: 8)
        var events: [Event] = []
        let start = Date(timeIntervalSince1970: 1_717_200_000)
        for session in 0..<60 {
            let time = start.addingTimeInterval(Double(session) * 60)
            let viewed = (0..<3).map { _ in skus[Int(random.next() % UInt64(skus.count))] }
            for (i, sku) in Set(viewed).sorted().enumerated() {
                events.append(Event(id: "f\(events.count)", type: .productView, time: time + Double(i), visitorID: "v\(session % 7)",
                                    sessionID: "s\(session)", sku: sku))
            }
            if session % 4 == 0 {
                events.append(Event(id: "f\(events.count)", type: .placeOrder, time: time + 10, visitorID: "v\(session % 7)", sessionID: "s\(session)",
                                    orderID: "o\(session)", lines: [OrderLine(sku: viewed[0], quantity: 1, price: 30)]))
            }
        }
        _ = try store.write { db in try EventWriter(db).append(events, file: "fuzz-setup") }
        categoryID = try store.read { db in try db.scalarInt("SELECT min(category_id) FROM categories WHERE level = 2") ?? 1 }
        self.store = store
    }

    func run(_ data: Data) {
        struct Rollback: Error {}
        guard let store else { fuzzFailure("setUp did not run") }
        let text = String(decoding: data, as: UTF8.self)
        let file: UnitFile
        do {
            file = try UnitFile.parse(text, file: "fuzz.json")
        } catch is InputError {
            return
        } catch {
            fuzzFailure("UnitFile.parse threw \(type(of: error)): \(error)\nfile:\n\(text)")
        }
        let units = file.entries.map(\.unit)
        let exported = UnitFile.export(units)
        guard let again = try? UnitFile.parse(exported).entries.map(\.unit) else { fuzzFailure("export does not parse:\n\(exported)") }
        if again != units { fuzzFailure("export round trip changed the units:\n\(text)\n\(exported)") }

        let pages: [Page] = [.product("24-MB01"), .product("MH01"), .cart(["24-MB01", "MH01-XS-Black"]), .confirmation(["24-UG01"]),
                             .home, .category(categoryID)]
        do {
            _ = try store.write { db -> Int in
                let repository = UnitRepository(db)
                let ids = try repository.importFile(file)
                // Later entries of the same name replace earlier ones: compare each id with its last entry.
                var last: [Int: RecommendationUnit] = [:]
                for (id, unit) in zip(ids, units) { last[id] = unit }
                for (id, unit) in last {
                    var expected = unit
                    expected.id = id
                    let stored = try repository.unit(id: id)
                    expected.variants.sort { $0.variant < $1.variant }
                    if stored != expected { fuzzFailure("unit \(id) reads back differently:\n\(String(describing: stored))\n\(expected)") }
                }
                let resolver = PageResolver(db)
                for page in pages {
                    for visitor in [nil, "v1"] {
                        let resolved = try resolver.resolve(page, visitor: visitor, options: PageOptions(seed: 3))
                        check(resolved, page: page, units: try repository.units())
                    }
                }
                throw Rollback()
            }
        } catch is Rollback {
        } catch is InputError, is RequestError {
        } catch {
            fuzzFailure("unit file threw \(type(of: error)): \(error)\nfile:\n\(text)")
        }
    }

    /// The page's built-in rules.
    private func check(_ page: ResolvedPage, page request: Page, units: [RecommendationUnit]) {
        var seen = Set<Int>()
        let forbidden: Set<String> = switch request {
        case .product(let sku): [sku]
        case .cart(let skus), .confirmation(let skus): Set(skus)
        default: []
        }
        for unit in page.units {
            guard let configured = units.first(where: { $0.id == unit.unitID }),
                  let variant = configured.variants.first(where: { $0.variant == unit.variant }) else {
                fuzzFailure("resolved unit \(unit.unitID) variant \(unit.variant) is not configured")
            }
            if unit.products.count > variant.productCount { fuzzFailure("unit \(unit.unitID): \(unit.products.count) > \(variant.productCount) products") }
            for product in unit.products {
                if !seen.insert(product.productID).inserted { fuzzFailure("\(product.sku) twice on the page \(request)") }
                if forbidden.contains(product.sku) { fuzzFailure("\(product.sku) shown on its own page \(request)") }
            }
        }
    }

    func seeds() throws -> [Data] {
        let directory = FuzzData.packageRoot.appending(path: "Tests/Fuzz/Seeds/unit-file", directoryHint: .isDirectory)
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil).sorted { $0.path < $1.path }
        return try files.map { try Data(contentsOf: $0) }
    }
}
