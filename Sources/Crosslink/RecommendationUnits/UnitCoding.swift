/// Units as JSON: one file holds many units (`{"units": [...]}`, a bare list, or one unit).
/// A unit without an experiment writes its variant's fields at the unit level; a unit with
/// variants lists them under `variants`. Filters are `{"include": [...], "exclude": [...]}`
/// (README "Units" documents every condition).
///
/// ```swift
/// let file = try UnitFile.parse(text, file: "units.json")       // errors name unit, path, line:column
/// try store.write { db in for entry in file.entries { try UnitRepository(db).save(entry.unit, source: entry) } }
/// let json = UnitFile.export(try store.read { db in try UnitRepository(db).units() })
/// ```
public struct UnitFile: Sendable {
    /// One unit of the file with where each of its parts starts.
    public typealias Entry = JSONFileEntry<RecommendationUnit>

    public var entries: [Entry]

    /// Parses a units file. Structural errors (wrong JSON type, unknown key or name) throw
    /// ``InputError``; the catalog checks happen when a unit is saved (``UnitValidator``).
    public static func parse(_ text: String, file: String? = nil) throws -> UnitFile {
        UnitFile(entries: try JSONEntryFile.entries(of: text, file: file, key: "units", entry: "unit", subject: "units file",
                                                     decoder: { UnitDecoder(file: file, index: $0) }, decode: { try $0.unit($1) }))
    }

    /// The units as a file `parse` reads back unchanged.
    public static func export(_ units: [RecommendationUnit]) -> String {
        RuleJSON(.object([("units", RuleJSON(.array(units.map(UnitEncoder.unit))))])).prettyText + "\n"
    }
}

/// RecommendationUnit → JSON.
enum UnitEncoder {
    static func unit(_ unit: RecommendationUnit) -> RuleJSON {
        var members: [(key: String, value: RuleJSON)] = [
            ("name", string(unit.name)), ("store", string(unit.store)), ("page_type", string(unit.pageType.rawValue)),
            ("placement", string(unit.placement.rawValue)), ("position", number(Double(unit.position))),
            ("status", string(unit.status.rawValue)),
        ]
        if !unit.label.isEmpty { members.insert(("label", string(unit.label)), at: 1) }
        if unit.variants.count == 1, unit.variants[0].variant == "A", unit.variants[0].traffic == 100 {
            members += variantMembers(unit.variants[0])
        } else {
            members.append(("variants", RuleJSON(.array(unit.variants.map { variant in
                RuleJSON(.object([("variant", string(variant.variant)), ("traffic", number(Double(variant.traffic)))] + variantMembers(variant)))
            }))))
        }
        return RuleJSON(.object(members))
    }

    static func variantMembers(_ variant: UnitVariant) -> [(key: String, value: RuleJSON)] {
        var members: [(key: String, value: RuleJSON)] = [("type", string(variant.type.rawValue)), ("count", number(Double(variant.productCount)))]
        if !variant.backups.isEmpty { members.append(("backups", backups(variant.backups))) }
        if !variant.filters.isEmpty { members.append(("filters", filters(variant.filters))) }
        if let maximum = variant.maxPerCategory { members.append(("max_per_category", number(Double(maximum)))) }
        if variant.shuffle { members.append(("shuffle", RuleJSON(.bool(true)))) }
        if !variant.windows.isEmpty { members.append(("windows", windows(variant.windows))) }
        return members
    }

    /// `{"popularity_days": 30, …}`: the set windows only.
    static func windows(_ windows: RecommendationWindows) -> RuleJSON {
        RuleJSON(.object(windows.fields.compactMap { field in field.value.map { (field.name, number(Double($0))) } }))
    }

    static func backups(_ types: [UnitType]) -> RuleJSON { RuleJSON(.array(types.map { string($0.rawValue) })) }

    static func filters(_ filters: UnitFilters) -> RuleJSON {
        var members: [(key: String, value: RuleJSON)] = []
        if !filters.include.isEmpty { members.append(("include", RuleJSON(.array(filters.include.map(condition))))) }
        if !filters.exclude.isEmpty { members.append(("exclude", RuleJSON(.array(filters.exclude.map(condition))))) }
        return RuleJSON(.object(members))
    }

    static func condition(_ condition: FilterCondition) -> RuleJSON {
        let members: [(key: String, value: RuleJSON)]
        switch condition {
        case .category(let selection, let subcategories):
            let value: RuleJSON = switch selection {
            case .ids(let ids): RuleJSON(.array(ids.map { number(Double($0)) }))
            case .current: string("current")
            case .viewed: string("viewed")
            case .cart: string("cart")
            }
            members = [("category", value)] + (subcategories ? [] : [("subcategories", RuleJSON(.bool(false)))])
        case .products(let skus): members = [("sku", RuleJSON(.array(skus.map(string))))]
        case .productType(let types): members = [("type", RuleJSON(.array(types.map { string($0.rawValue) })))]
        case .visibility(let values): members = [("visibility", RuleJSON(.array(values.map { number(Double($0.rawValue)) })))]
        case .price(let minimum, let maximum):
            var bounds: [(key: String, value: RuleJSON)] = []
            for (name, bound) in [("min", minimum), ("max", maximum)] {
                switch bound {
                case .amount(let amount)?: bounds.append((name, number(amount)))
                case .percent(let percent)?: bounds.append((name + "_percent", number(percent)))
                case nil: break
                }
            }
            members = [("price", RuleJSON(.object(bounds)))]
        case .stock(.inStock): members = [("stock", string("in-stock"))]
        case .stock(.outOfStock): members = [("stock", string("out-of-stock"))]
        case .stock(.low(let below)): members = [("stock", string("low")), ("below", number(below))]
        case .attribute(let code, let values): members = [("attribute", string(code)), ("values", RuleJSON(.array(values.map(string))))]
        }
        return RuleJSON(.object(members))
    }

    static func string(_ text: String) -> RuleJSON { RuleJSON(.string(text)) }
    static func number(_ value: Double) -> RuleJSON { RuleJSON(.number(value, text: RuleJSON.numberText(value))) }
}

/// JSON → RecommendationUnit, remembering where each part starts; errors name the unit and the path.
struct UnitDecoder: JSONEntryDecoder {
    var entry: JSONEntryState

    init(file: String?, index: Int?) {
        entry = JSONEntryState(kind: "unit", file: file, index: index)
    }

    static let unitKeys = ["name", "label", "store", "page_type", "placement", "position", "status", "variants"] + variantKeys
    static let variantKeys = ["type", "count", "backups", "filters", "max_per_category", "shuffle", "windows"]
    static let conditionKeys = ["category", "sku", "type", "visibility", "price", "stock", "attribute"]

    func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : path + "." + key }

    func members(_ value: RuleJSON, path: String, allowed: [String], what: String) throws -> [(key: String, value: RuleJSON)] {
        guard case .object(let members) = value.kind else {
            throw fail(path, "expected \(what) (an object), found \(value.typeName)", at: value)
        }
        for member in members where !allowed.contains(member.key) {
            throw fail(join(path, member.key), "unknown member; \(what) has \(allowed.joined(separator: ", "))", at: member.value)
        }
        return members
    }

    func string(_ value: RuleJSON, path: String) throws -> String {
        guard case .string(let text) = value.kind else { throw fail(path, "expected a string, found \(value.typeName)", at: value) }
        return text
    }

    func number(_ value: RuleJSON, path: String) throws -> Double {
        guard case .number(let n, _) = value.kind, n.isFinite else { throw fail(path, "expected a number, found \(value.typeName)", at: value) }
        return n
    }

    func integer(_ value: RuleJSON, path: String) throws -> Int {
        let n = try number(value, path: path)
        guard n == n.rounded(), abs(n) < 1e9 else { throw fail(path, "expected a whole number, found \(n)", at: value) }
        return Int(n)
    }

    func list(_ value: RuleJSON, path: String) throws -> [RuleJSON] {
        guard case .array(let items) = value.kind else { throw fail(path, "expected a list, found \(value.typeName)", at: value) }
        return items
    }

    func named<T>(_ value: RuleJSON, path: String, _ parse: (String) -> T?, names: [String]) throws -> T {
        let text = try string(value, path: path)
        guard let parsed = parse(text) else {
            throw fail(path, "unknown value \(RuleText.quoted(text)); expected one of \(names.joined(separator: ", "))", at: value)
        }
        return parsed
    }

    mutating func unit(_ value: RuleJSON) throws -> RecommendationUnit {
        guard case .object = value.kind else { throw fail("", "expected a unit (an object), found \(value.typeName)", at: value) }
        if case .string(let name)? = value["name"]?.kind { entry.name(name) }
        note("", value)
        let fields = try members(value, path: "", allowed: Self.unitKeys, what: "a unit")
        for (key, member) in fields { note(key, member) }
        guard let nameValue = value["name"] else { throw fail("name", "missing; every unit needs a name", at: value) }
        var unit = RecommendationUnit(name: try string(nameValue, path: "name"), pageType: .home, variants: [])
        if let label = value["label"] { unit.label = try string(label, path: "label") }
        if let store = value["store"] { unit.store = try string(store, path: "store") }
        guard let page = value["page_type"] else {
            throw fail("page_type", "missing; one of \(PageType.allCases.map(\.rawValue).joined(separator: ", "))", at: value)
        }
        unit.pageType = try named(page, path: "page_type", PageType.init(rawValue:), names: PageType.allCases.map(\.rawValue))
        if let placement = value["placement"] {
            unit.placement = try named(placement, path: "placement", UnitPlacement.init(rawValue:), names: UnitPlacement.allCases.map(\.rawValue))
        }
        if let position = value["position"] { unit.position = try integer(position, path: "position") }
        if let status = value["status"] {
            unit.status = try named(status, path: "status", UnitStatus.init(rawValue:), names: UnitStatus.allCases.map(\.rawValue))
        }
        if let variants = value["variants"] {
            if let stray = fields.first(where: { Self.variantKeys.contains($0.key) }) {
                throw fail(stray.key, "a unit with variants sets \(stray.key) in each variant", at: stray.value)
            }
            for (i, item) in try list(variants, path: "variants").enumerated() {
                let path = "variants[\(i)]"
                note(path, item)
                let variantFields = try members(item, path: path, allowed: ["variant", "traffic"] + Self.variantKeys, what: "a variant")
                for (key, member) in variantFields { note(join(path, key), member) }
                guard let name = item["variant"] else { throw fail(join(path, "variant"), "missing; name the variant (A, B, …)", at: item) }
                guard let traffic = item["traffic"] else { throw fail(join(path, "traffic"), "missing; percent of the unit's visitors", at: item) }
                unit.variants.append(try variant(item, path: path, name: try string(name, path: join(path, "variant")),
                                                 traffic: try integer(traffic, path: join(path, "traffic"))))
            }
        } else {
            unit.variants = [try variant(value, path: "", name: "A", traffic: 100)]
        }
        return unit
    }

    mutating func variant(_ value: RuleJSON, path: String, name: String, traffic: Int) throws -> UnitVariant {
        guard let typeValue = value["type"] else {
            throw fail(join(path, "type"), "missing; one of \(UnitType.allNames.joined(separator: ", "))", at: value)
        }
        var variant = UnitVariant(variant: name, traffic: traffic,
                                  type: try named(typeValue, path: join(path, "type"), UnitType.init(rawValue:), names: UnitType.allNames))
        if let count = value["count"] { variant.productCount = try integer(count, path: join(path, "count")) }
        if let backups = value["backups"] {
            variant.backups = try list(backups, path: join(path, "backups")).enumerated().map { i, item in
                try named(item, path: join(path, "backups") + "[\(i)]", UnitType.init(rawValue:), names: UnitType.allNames)
            }
        }
        if let filters = value["filters"] { variant.filters = try self.filters(filters, path: join(path, "filters")) }
        if let maximum = value["max_per_category"], maximum.kind != .null {
            variant.maxPerCategory = try integer(maximum, path: join(path, "max_per_category"))
        }
        if let shuffle = value["shuffle"] {
            guard case .bool(let flag) = shuffle.kind else {
                throw fail(join(path, "shuffle"), "expected true or false, found \(shuffle.typeName)", at: shuffle)
            }
            variant.shuffle = flag
        }
        if let windows = value["windows"] { variant.windows = try self.windows(windows, path: join(path, "windows")) }
        return variant
    }

    func windows(_ value: RuleJSON, path: String) throws -> RecommendationWindows {
        var windows = RecommendationWindows()
        for (key, member) in try members(value, path: path, allowed: RecommendationWindows.windows.map(\.name), what: "windows")
        where member.kind != .null {
            let window = RecommendationWindows.windows.first { $0.name == key }!.window
            windows[keyPath: window] = try integer(member, path: join(path, key))
        }
        return windows
    }

    mutating func filters(_ value: RuleJSON, path: String) throws -> UnitFilters {
        _ = try members(value, path: path, allowed: ["include", "exclude"], what: "filters")
        var filters = UnitFilters()
        for key in ["include", "exclude"] {
            guard let listValue = value[key] else { continue }
            let conditions = try list(listValue, path: join(path, key)).enumerated().map { i, item in
                try condition(item, path: join(path, key) + "[\(i)]")
            }
            if key == "include" { filters.include = conditions } else { filters.exclude = conditions }
        }
        return filters
    }

    mutating func condition(_ value: RuleJSON, path: String) throws -> FilterCondition {
        note(path, value)
        let fields = try members(value, path: path, allowed: Self.conditionKeys + ["subcategories", "values", "below"], what: "a filter condition")
        let kinds = fields.filter { Self.conditionKeys.contains($0.key) }
        guard kinds.count == 1, let (key, body) = kinds.first else {
            throw fail(path, "a condition has exactly one of \(Self.conditionKeys.joined(separator: ", "))", at: value)
        }
        let at = join(path, key)
        note(at, body)
        func allowOnly(_ extras: [String]) throws {
            if let stray = fields.first(where: { !Self.conditionKeys.contains($0.key) && !extras.contains($0.key) }) {
                throw fail(join(path, stray.key), "does not apply to a \(key) condition", at: stray.value)
            }
        }
        switch key {
        case "category":
            try allowOnly(["subcategories"])
            var subcategories = true
            if let flag = value["subcategories"] {
                guard case .bool(let b) = flag.kind else { throw fail(join(path, "subcategories"), "expected true or false", at: flag) }
                subcategories = b
            }
            if case .string(let relative) = body.kind {
                let selection: FilterCondition.CategorySelection
                switch relative {
                case "current": selection = .current
                case "viewed": selection = .viewed
                case "cart": selection = .cart
                default: throw fail(at, "expected category ids or one of current, viewed, cart; found \(RuleText.quoted(relative))", at: body)
                }
                return .category(selection, subcategories: subcategories)
            }
            let ids = try list(body, path: at).enumerated().map { i, item in try integer(item, path: at + "[\(i)]") }
            return .category(.ids(ids), subcategories: subcategories)
        case "sku":
            try allowOnly([])
            return .products(try list(body, path: at).enumerated().map { i, item in try string(item, path: at + "[\(i)]") })
        case "type":
            try allowOnly([])
            return .productType(try list(body, path: at).enumerated().map { i, item in
                try named(item, path: at + "[\(i)]", ProductType.init(rawValue:), names: ProductType.allCases.map(\.rawValue))
            })
        case "visibility":
            try allowOnly([])
            return .visibility(try list(body, path: at).enumerated().map { i, item in
                let n = try integer(item, path: at + "[\(i)]")
                guard let visibility = Visibility(rawValue: n) else {
                    throw fail(at + "[\(i)]", "visibility is 1 (not visible individually), 2 (catalog), 3 (search) or 4 (catalog, search)", at: item)
                }
                return visibility
            })
        case "price":
            try allowOnly([])
            let bounds = try members(body, path: at, allowed: ["min", "max", "min_percent", "max_percent"], what: "a price range")
            var minimum: FilterCondition.PriceBound?, maximum: FilterCondition.PriceBound?
            for (name, item) in bounds {
                let n = try number(item, path: join(at, name))
                let bound: FilterCondition.PriceBound = name.hasSuffix("_percent") ? .percent(n) : .amount(n)
                if name.hasPrefix("min") {
                    if minimum != nil { throw fail(join(at, name), "give min or min_percent, not both", at: item) }
                    minimum = bound
                } else {
                    if maximum != nil { throw fail(join(at, name), "give max or max_percent, not both", at: item) }
                    maximum = bound
                }
            }
            guard minimum != nil || maximum != nil else { throw fail(at, "give min, max, min_percent or max_percent", at: body) }
            return .price(min: minimum, max: maximum)
        case "stock":
            let status = try string(body, path: at)
            switch status {
            case "in-stock": try allowOnly([]); return .stock(.inStock)
            case "out-of-stock": try allowOnly([]); return .stock(.outOfStock)
            case "low":
                try allowOnly(["below"])
                let below = try value["below"].map { try number($0, path: join(path, "below")) } ?? 5
                return .stock(.low(below: below))
            default: throw fail(at, "expected in-stock, out-of-stock or low; found \(RuleText.quoted(status))", at: body)
            }
        default:  // attribute
            try allowOnly(["values"])
            guard let values = value["values"] else { throw fail(join(path, "values"), "missing; the attribute values to match", at: value) }
            return .attribute(code: try string(body, path: at),
                              values: try list(values, path: join(path, "values")).enumerated().map { i, item in
                                  switch item.kind {
                                  case .string(let text): return text
                                  case .number(_, let text): return text
                                  case .bool(let flag): return flag ? "1" : "0"
                                  default: throw fail(join(path, "values") + "[\(i)]", "expected a string or number, found \(item.typeName)", at: item)
                                  }
                              })
        }
    }
}
