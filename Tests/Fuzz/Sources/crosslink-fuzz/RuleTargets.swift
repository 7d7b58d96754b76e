import Crosslink
import Foundation

extension FuzzTargets {
    /// The rule JSON reader, and rule files through validation, the condition compiler and the
    /// placements that run the compiled SQL.
    static var ruleTargets: [any FuzzTarget] { [RuleJSONTarget(), RuleFileTarget()] }
}

/// `rule-json`: Crosslink's own JSON reader for rule files. Any text parses or throws a
/// `InputError` with a position (never a trap, however deep the nesting); what parses prints
/// back (compact and pretty) to text that parses to the same value.
final class RuleJSONTarget: FuzzTarget {
    let name = "rule-json"

    func run(_ data: Data) {
        let text = String(decoding: data, as: UTF8.self)
        let json: RuleJSON
        do {
            json = try RuleJSON.parse(text, file: "fuzz.json")
        } catch let error as InputError {
            if (error.location?.line ?? 0) < 1 || (error.location?.column ?? 0) < 1 {
                fuzzFailure("malformed JSON error without a position: \(error)")
            }
            return
        } catch {
            fuzzFailure("RuleJSON.parse threw \(type(of: error)): \(error)")
        }
        for printed in [json.compactText, json.prettyText] {
            guard let again = try? RuleJSON.parse(printed) else { fuzzFailure("printed JSON does not parse: \(printed)") }
            if again != json { fuzzFailure("JSON round trip changed the value:\n\(text)\n\(printed)") }
        }
    }

    func seeds() throws -> [Data] { try RuleFileTarget.seedFiles() }
}

/// `rule-file`: a rule file imported into the Luma sample catalog, then every block resolved
/// for a few products and a cart through the compiled SQL, all in a transaction that is rolled
/// back. A file is either refused with an `InputError` or a `RequestError` (bad JSON, unknown attribute, operator
/// that does not fit, too deep, …) or works: a validated rule must never produce SQL that fails.
final class RuleFileTarget: FuzzTarget {
    let name = "rule-file"
    private var store: CrosslinkStore?

    func setUp() throws {
        let store = try CrosslinkStore(path: try FuzzData.scratchDirectory(name).appending(path: "rules.sqlite").path)
        _ = try MagentoSampleImporter(store: store).importSample(at: FuzzData.magentoSample)
        self.store = store
    }

    func run(_ data: Data) {
        struct Rollback: Error {}
        guard let store else { fuzzFailure("setUp did not run") }
        let text = String(decoding: data, as: UTF8.self)
        do {
            _ = try store.write { db -> Int in
                try RuleRepository(db).importFile(text: text, file: "fuzz.json")
                _ = try RuleCache(db).rebuild()
                let placements = Placements(db)
                for sku in ["24-MB01", "MH01", "24-WG085_Group", "24-WB04"] {
                    _ = try placements.related(for: sku)
                    _ = try placements.upsells(for: sku)
                }
                _ = try placements.crossSells(cart: ["24-MB01", "MH01-XS-Black"])
                _ = try RuleExplainer(db).explain(sku: "24-MB01")
                throw Rollback()
            }
        } catch is Rollback {
        } catch is InputError, is RequestError {
        } catch {
            fuzzFailure("rule file threw \(type(of: error)): \(error)\nfile:\n\(text)")
        }
    }

    /// The rule files of Tests/Fuzz/Seeds/rule-file (the README's worked examples and every
    /// operator and value type), whole and one rule at a time.
    static func seedFiles() throws -> [Data] {
        let directory = FuzzData.packageRoot.appending(path: "Tests/Fuzz/Seeds/rule-file", directoryHint: .isDirectory)
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil).sorted { $0.path < $1.path }
        return try files.map { try Data(contentsOf: $0) }
    }

    func seeds() throws -> [Data] { try Self.seedFiles() }
}
