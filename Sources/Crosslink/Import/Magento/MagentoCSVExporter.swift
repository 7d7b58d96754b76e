import Foundation

/// Writes the catalog as Magento 2's product import/export CSV, which ``MagentoCSVImporter``
/// and Magento's own importer read back.
///
/// ```swift
/// let store = try CrosslinkStore(path: "crosslink.sqlite")
/// try MagentoCSVExporter(store: store).export(to: URL(fileURLWithPath: "export.csv"))
/// ```
///
/// One row per product, in `product_id` order, with the columns of ``header``:
/// - `store_view_code` is empty: Crosslink keeps one value per product (the default row).
/// - `categories`: name paths (`Default Category/Gear/Bags`, a `/` inside a name written `\/`)
///   in name-path order, joined by `,`.
/// - `product_websites`: website codes in id order, joined by `,`.
/// - `product_online` 1/0, `visibility` as Magento's label, `is_in_stock` 1/0, prices and qty
///   as plain decimals (`52`, `14.99`), `created_at`/`updated_at` as `2015-10-23 00:35:03` (UTC).
/// - `additional_attributes`: `code=value` pairs by code; multiselect options joined by `|`
///   (each wrapped in `"` when an option holds `,` `=` `|` or `"`); other values wrapped
///   when they hold those characters.
/// - `configurable_variations` (configurable products only): `sku=child,attr=value|…` in
///   child position order. Crosslink does not record which attributes a configurable product
///   varies by, so each variation carries the child's values of the attributes that every
///   child has (one value each) and the parent does not — `size` and `color` for the Luma
///   sample. Grouped and bundle children are not written (the header has no column for them).
/// - `related_skus`/`related_position`, `crosssell_…`, `upsell_…`: SKUs in display order with
///   their positions.
///
/// Exporting, importing the file into an empty database and exporting again gives the same bytes.
/// With `spreadsheetSafe`, cells a spreadsheet would run as formulas (`=`, `+`, `-`, `@`, tab,
/// CR first) start with `'` (``SpreadsheetCell``): for opening in Excel or LibreOffice, not for
/// re-import, which would keep the `'`.
public struct MagentoCSVExporter: Sendable {
    public let store: CrosslinkStore

    /// The columns, in order.
    public static let header = [
        "sku", "store_view_code", "attribute_set_code", "product_type", "categories", "product_websites", "name",
        "product_online", "visibility", "price", "special_price", "qty", "is_in_stock", "additional_attributes",
        "configurable_variations", "related_skus", "related_position", "crosssell_skus", "crosssell_position",
        "upsell_skus", "upsell_position", "created_at", "updated_at",
    ]

    public init(store: CrosslinkStore) {
        self.store = store
    }

    /// The CSV text, read in one snapshot. `code` must name an existing store; since values are
    /// global, every store exports the same rows today.
    public func export(store code: String = "default", spreadsheetSafe: Bool = false) throws -> String {
        try store.read { db in
            _ = try StoreRepository(db).store(code: code)
            return try Self.export(db, spreadsheetSafe: spreadsheetSafe)
        }
    }

    /// Writes the CSV text to `url` with ``OutputFile`` (atomically for a regular file, in
    /// place for a device or fifo).
    public func export(to url: URL, store code: String = "default", spreadsheetSafe: Bool = false) throws {
        try OutputFile.write(try export(store: code, spreadsheetSafe: spreadsheetSafe), to: url.path)
    }

    private struct Attribute {
        var code: String
        var type: AttributeType
        var values: [String]
    }

    private static func export(_ db: Database, spreadsheetSafe: Bool) throws -> String {
        // Paths are rebuilt from the names so a `/` inside a name is written `\/`, as Magento does.
        var tree: [Int: (parent: Int?, name: String)] = [:]
        try db.prepare("SELECT category_id, parent_id, name FROM categories").forEachRow {
            tree[$0.int(at: 0)] = (parent: $0.optionalInt(at: 1), name: $0.text(at: 2))
        }
        var paths: [Int: String] = [:]
        func path(_ id: Int) -> String {
            if let known = paths[id] { return known }
            guard let node = tree[id] else { return "" }
            let name = node.name.replacingOccurrences(of: "/", with: "\\/")
            let full = node.parent.map { path($0) + "/" + name } ?? name
            paths[id] = full
            return full
        }
        var categories: [Int: [String]] = [:]
        try db.prepare("""
            SELECT pc.product_id, pc.category_id FROM product_categories AS pc JOIN categories AS c USING (category_id)
            ORDER BY pc.product_id, c.name_path
            """).forEachRow { categories[$0.int(at: 0), default: []].append(path($0.int(at: 1))) }

        var websites: [Int: [String]] = [:]
        try db.prepare("""
            SELECT pw.product_id, w.code FROM product_websites AS pw JOIN websites AS w USING (website_id)
            ORDER BY pw.product_id, w.website_id
            """).forEachRow { websites[$0.int(at: 0), default: []].append($0.text(at: 1)) }

        var attributes: [Int: [Attribute]] = [:]
        try db.prepare("""
            SELECT pa.product_id, a.code, a.type, pa.value FROM product_attributes AS pa JOIN attributes AS a USING (attribute_id)
            ORDER BY pa.product_id, a.code, pa.ordinal
            """).forEachRow { row in
            let productID = row.int(at: 0), code = row.text(at: 1)
            if let last = attributes[productID]?.last, last.code == code {
                attributes[productID]![attributes[productID]!.count - 1].values.append(row.text(at: 3))
            } else {
                attributes[productID, default: []].append(
                    Attribute(code: code, type: AttributeType(rawValue: row.text(at: 2)) ?? .text, values: [row.text(at: 3)]))
            }
        }

        var children: [Int: [(id: Int, sku: String)]] = [:]
        try db.prepare("""
            SELECT c.parent_id, c.child_id, p.sku FROM product_children AS c JOIN products AS p ON p.product_id = c.child_id
            ORDER BY c.parent_id, c.position, p.sku
            """).forEachRow { children[$0.int(at: 0), default: []].append((id: $0.int(at: 1), sku: $0.text(at: 2))) }

        var links: [Int: [LinkType: [(sku: String, position: Int)]]] = [:]
        let typesByID = Dictionary(uniqueKeysWithValues: LinkType.allCases.map { ($0.magentoID, $0) })
        try db.prepare("""
            SELECT l.product_id, l.link_type_id, p.sku, l.position FROM product_links AS l
            JOIN products AS p ON p.product_id = l.linked_product_id
            ORDER BY l.product_id, l.link_type_id, l.position, l.link_id
            """).forEachRow { row in
            guard let type = typesByID[row.int(at: 1)] else { return }
            links[row.int(at: 0), default: [:]][type, default: []].append((sku: row.text(at: 2), position: row.int(at: 3)))
        }

        var out = CSVWriter.line(header)
        try db.prepare("SELECT \(ProductRepository.columns) FROM products ORDER BY product_id").forEachRow { row in
            let product = ProductRepository.decode(row)
            let id = product.id!
            var fields: [String] = []
            fields.reserveCapacity(header.count)
            fields.append(product.sku)
            fields.append("")
            fields.append(product.attributeSet)
            fields.append(product.type.rawValue)
            fields.append((categories[id] ?? []).joined(separator: ","))
            fields.append((websites[id] ?? []).joined(separator: ","))
            fields.append(product.name)
            fields.append(product.enabled ? "1" : "0")
            fields.append(MagentoFields.visibilityLabel(product.visibility.rawValue))
            fields.append(product.price.map(MagentoFields.formatDecimal) ?? "")
            fields.append(product.specialPrice.map(MagentoFields.formatDecimal) ?? "")
            fields.append(MagentoFields.formatDecimal(product.qty))
            fields.append(product.inStock ? "1" : "0")
            fields.append(additionalAttributes(attributes[id] ?? []))
            if product.type == .configurable, let kids = children[id], !kids.isEmpty {
                fields.append(try variations(parent: attributes[id] ?? [], children: kids, attributes: attributes))
            } else {
                fields.append("")
            }
            for type in [LinkType.related, .crosssell, .upsell] {
                let list = links[id]?[type] ?? []
                fields.append(list.map(\.sku).joined(separator: ","))
                fields.append(list.map { String($0.position) }.joined(separator: ","))
            }
            fields.append(product.createdAt.map(MagentoTimestamp.magentoText(fromStored:)) ?? "")
            fields.append(product.updatedAt.map(MagentoTimestamp.magentoText(fromStored:)) ?? "")
            out += CSVWriter.line(spreadsheetSafe ? fields.map(SpreadsheetCell.neutralised) : fields)
        }
        return out
    }

    private static func additionalAttributes(_ list: [Attribute]) -> String {
        list.map { attribute in
            // One value (or one option): wrapped whole when needed, which reads back as one value.
            guard attribute.values.count > 1 else {
                return MagentoFields.formatAdditionalAttributes([(code: attribute.code, value: attribute.values[0])])
            }
            let plain = attribute.values.allSatisfy { option in
                !option.isEmpty && !option.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "=") || $0 == UInt8(ascii: "|") || $0 == UInt8(ascii: "\"") }
            }
            if plain { return attribute.code + "=" + attribute.values.joined(separator: "|") }
            // Magento's multiselect enclosure form: "opt1"|"opt2".
            return attribute.code + "=" + attribute.values.map { "\"" + CSVWriter.doublingQuotes($0) + "\"" }
                .joined(separator: "|")
        }
        .joined(separator: ",")
    }

    /// `sku=child,attr=value|…` with the attributes every child has once and the parent lacks.
    private static func variations(parent: [Attribute], children: [(id: Int, sku: String)],
                                   attributes: [Int: [Attribute]]) throws -> String {
        let parentCodes = Set(parent.map(\.code))
        let childValues: [[String: String]] = children.map { child in
            Dictionary((attributes[child.id] ?? []).filter { $0.values.count == 1 }.map { ($0.code, $0.values[0]) },
                       uniquingKeysWith: { first, _ in first })
        }
        var axes = Set(childValues.first?.keys.map { $0 } ?? [])
        for values in childValues.dropFirst() { axes.formIntersection(values.keys) }
        axes.subtract(parentCodes)
        let ordered = axes.sorted()
        let variations: [[(key: String, value: String)]] = zip(children, childValues).map { child, values in
            [(key: "sku", value: child.sku)] + ordered.compactMap { code in
                // A value the syntax cannot carry (`,` `|`, outer blanks) is left out of the variation.
                guard let value = values[code], !value.contains(","), !value.contains("|"),
                      value == value.trimmingCharacters(in: .whitespaces) else { return nil }
                return (key: code, value: value)
            }
        }
        do {
            return try MagentoFields.formatConfigurableVariations(variations)
        } catch let error as InputError {
            throw InputError.invalidValue(field: "configurable_variations", value: children.map(\.sku).joined(separator: ","),
                                            reason: error.message)
        }
    }
}
