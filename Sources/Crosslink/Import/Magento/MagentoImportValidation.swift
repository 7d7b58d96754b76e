import Foundation

/// Validation of every row before anything is written, as Magento's import validates a file
/// before it imports it (`validateData`, then `importData`). The checks are those of Magento's
/// product validators for the columns Crosslink reads (the DocC article Links and Placements lists them with
/// Magento's messages); the write passes repeat the cell checks, so a row that passes here
/// cannot fail there on its values.
extension ImportRun {
    /// Validates every row and applies ``ImportOptions/onError``: returns the errors of the rows
    /// to skip (``invalidRows``), or throws the first error with the others attached when the
    /// import must store nothing.
    func validateRows() throws -> [InputError] {
        var issues = validationRound(excluding: [])
        if options.onError == .skip {
            // A skipped row creates no product, so rows naming its SKU fail in turn: repeat until stable.
            // Excluding more rows only adds errors, so this ends.
            while true {
                let invalid = Set(issues.keys)
                issues = validationRound(excluding: invalid)
                if Set(issues.keys) == invalid { break }
            }
        }
        let ordered = issues.keys.sorted().flatMap { issues[$0]! }
        if ordered.isEmpty { return [] }
        if options.onError == .stop || ordered.count > allowedErrors {
            throw refusal(ordered)
        }
        invalidRows = Set(issues.keys)
        return ordered
    }

    /// The first error, listing the others (up to the options' limit, then a count).
    func refusal(_ errors: [InputError]) -> InputError {
        var first = errors[0]
        var others = Array(errors.dropFirst().prefix(max(0, options.errorListLimit - 1)))
        let unlisted = errors.count - 1 - others.count
        if unlisted > 0 {
            others.append(InputError(file: file, line: 0, message: "\(unlisted) more error\(unlisted == 1 ? "" : "s") not listed"))
        }
        if options.onError == .skip {
            others.append(InputError(file: file, line: 0, message: "\(errors.count) errors, more than the \(max(0, allowedErrors)) allowed "
                                     + "(--allowed-errors); nothing was imported"))
        } else if errors.count > 1 {
            others.append(InputError(file: file, line: 0, message: "\(errors.count) errors; nothing was imported"))
        }
        first.additionalIssues = others.isEmpty ? nil : others
        return first
    }

    /// One pass over the rows; `excluding` are rows already invalid, whose SKUs are not created.
    func validationRound(excluding: Set<Int>) -> [Int: [InputError]] {
        let rows = table.rows
        var issues: [Int: [InputError]] = [:]
        var created = Set<String>()
        var urlKeys: [String: String] = [:]
        // Default rows first, in file order: they decide which SKUs exist.
        for (offset, record) in rows.enumerated() where cell(record, .storeViewCode) == nil {
            let found = productRowIssues(record, created: &created, urlKeys: &urlKeys, creates: !excluding.contains(offset))
            if !found.isEmpty { issues[offset] = found }
        }
        for (offset, record) in rows.enumerated() {
            var found = issues[offset] ?? []
            if cell(record, .storeViewCode) != nil {
                found += storeViewRowIssues(record, created: created, urlKeys: &urlKeys)
            }
            if let sku = cell(record, .sku), !isClear(sku) {
                found += relationIssues(record, sku: sku, created: created)
            }
            if !found.isEmpty { issues[offset] = found }
        }
        return issues
    }

    func exists(_ key: String, created: Set<String>) -> Bool { products[key] != nil || created.contains(key) }

    /// Collects the issue a throwing cell check raises.
    func collect(_ issues: inout [InputError], _ record: CSVRecord, _ check: () throws -> Void) {
        do { try check() } catch let issue as InputError where issue.location != nil { issues.append(issue) } catch {
            issues.append(InputError(file: file, line: record.line, message: "\(error)"))
        }
    }

    // MARK: Rows

    func productRowIssues(_ record: CSVRecord, created: inout Set<String>, urlKeys: inout [String: String], creates: Bool) -> [InputError] {
        guard let sku = cell(record, .sku), !isClear(sku) else { return [issue(record, .sku, "SKU is empty")] }
        if let problem = ProductRepository.skuProblem(sku) { return [issue(record, .sku, "SKU \(String(reflecting: sku)) \(problem)")] }
        var issues: [InputError] = []
        var type: ProductType?
        var attributeSet: String?
        var name: String?
        collect(&issues, record) { type = try productType(record) }
        collect(&issues, record) { attributeSet = try attributeSetCode(record) }
        collect(&issues, record) { name = try required(record, .name) }
        valueIssues(record, into: &issues)
        let key = Self.key(sku)
        if !exists(key, created: created) {
            // A new product: Magento needs its type, attribute set and required attributes (name).
            // (A value given but invalid has its own error above.)
            if type == nil {
                if cell(record, .productType) == nil {
                    issues.append(issue(record, .sku, "Product with specified SKU not found: \"\(sku)\" is not in the database, "
                                        + "and a row creates a product only with product_type, attribute_set_code and name"))
                }
            } else {
                if attributeSet == nil && cell(record, .attributeSetCode) == nil { issues.append(missingAttributeSet(record, sku: sku)) }
                if name == nil && cell(record, .name) == nil { issues.append(missingName(record, sku: sku)) }
            }
            // Under stop, a row with errors still "creates" its SKU, so rows naming it get no follow-on errors.
            if creates { created.insert(key) }
        }
        urlKeyIssue(record, sku: sku, stores: storeCodes.isEmpty ? [""] : storeCodes.sorted(), urlKeys: &urlKeys).map { issues.append($0) }
        return issues
    }

    /// A store-view row: its store must exist and its SKU must have a default row or be stored.
    func storeViewRowIssues(_ record: CSVRecord, created: Set<String>, urlKeys: inout [String: String]) -> [InputError] {
        guard let storeView = cell(record, .storeViewCode) else { return [] }
        var issues: [InputError] = []
        if !storeCodes.contains(storeView) {
            issues.append(issue(record, .storeViewCode, "Invalid value in Store column (store doesn't exist?): \"\(storeView)\"; known store views: "
                                + storeCodes.sorted().joined(separator: ", ")))
        }
        guard let sku = cell(record, .sku), !isClear(sku) else { return issues + [issue(record, .sku, "SKU is empty")] }
        // Store-view values are ignored, but Magento refuses the file when they are malformed.
        collect(&issues, record) { _ = try productType(record) }
        collect(&issues, record) { _ = try attributeSetCode(record) }
        valueIssues(record, into: &issues)
        if !exists(Self.key(sku), created: created) {
            issues.append(issue(record, .sku, "store-view row for SKU \"\(sku)\", which is neither in this file (as a valid row without "
                                + "store_view_code) nor in the database (Magento: \"Default values row does not exist\")"))
        }
        if storeCodes.contains(storeView), let found = urlKeyIssue(record, sku: sku, stores: [storeView], urlKeys: &urlKeys) {
            issues.append(found)
        }
        return issues
    }

    /// The cells whose values are checked on every row: numbers, flags, websites and the
    /// syntaxes of additional_attributes and configurable_variations.
    func valueIssues(_ record: CSVRecord, into issues: inout [InputError]) {
        collect(&issues, record) { _ = try enabledValue(record) }
        collect(&issues, record) { _ = try visibilityValue(record) }
        collect(&issues, record) { _ = try priceValue(record, .price) }
        collect(&issues, record) { _ = try priceValue(record, .specialPrice) }
        collect(&issues, record) { _ = try qtyValue(record) }
        collect(&issues, record) { _ = try inStockValue(record) }
        if let weight = cell(record, .weight), !isClear(weight) {
            // Magento's Weight validator: numeric and not negative.
            if let number = MagentoFields.parseDecimal(weight) {
                if number < 0 { issues.append(incorrectValue(record, .weight, "\(weight) is negative")) }
            } else {
                issues.append(incorrectValue(record, .weight, "\"\(weight)\" is not a number"))
            }
        }
        if let websites = cell(record, .productWebsites), !isClear(websites) {
            for code in MagentoFields.splitList(websites, separator: separator) where websiteIDs[code] == nil {
                issues.append(unknownWebsite(record, code))
            }
        }
        if let value = cell(record, .additionalAttributes), !isClear(value) {
            do {
                for pair in try AdditionalAttribute.parse(value) where pair.code.utf8.count > 255 {
                    issues.append(issue(record, .additionalAttributes, "attribute code \"\(pair.code)\" is longer than 255 bytes"))
                }
            } catch let error as InputError {
                issues.append(issue(record, .additionalAttributes, error.message))
            } catch {
                issues.append(issue(record, .additionalAttributes, "\(error)"))
            }
        }
    }

    func unknownWebsite(_ record: CSVRecord, _ code: String) -> InputError {
        issue(record, .productWebsites, "Invalid value in Website column (website does not exist?): \"\(code)\"; known websites: "
              + websiteIDs.keys.sorted().joined(separator: ", "))
    }

    /// Magento's ERROR_DUPLICATE_URL_KEY among the file's rows: the same url_key for two SKUs in
    /// one store view. Rows "Not Visible Individually" have no URL and are not checked, as in Magento.
    func urlKeyIssue(_ record: CSVRecord, sku: String, stores: [String], urlKeys: inout [String: String]) -> InputError? {
        guard let urlKey = cell(record, .urlKey), !isClear(urlKey) else { return nil }
        if let visibility = cell(record, .visibility), MagentoFields.parseVisibility(visibility) == Visibility.notVisibleIndividually.rawValue {
            return nil
        }
        let key = urlKey.lowercased()
        let owner = Self.key(sku)
        for store in stores {
            let slot = store + "\u{0}" + key
            if let taken = urlKeys[slot], Self.key(taken) != owner {
                return issue(record, .urlKey, "Url key: '\(key)' was already generated for an item with the SKU: '\(taken)'. "
                             + "You need to specify the unique URL key manually")
            }
        }
        for store in stores { urlKeys[store + "\u{0}" + key] = sku }
        return nil
    }

    // MARK: References to other SKUs

    /// The checks pass 2 makes on links and variations, against the SKUs that will exist.
    func relationIssues(_ record: CSVRecord, sku: String, created: Set<String>) -> [InputError] {
        var issues: [InputError] = []
        let own = Self.key(sku)
        for (skus, positions) in [(ImportColumn.relatedSkus, ImportColumn.relatedPosition), (.upsellSkus, .upsellPosition),
                                  (.crosssellSkus, .crosssellPosition)] {
            guard let value = cell(record, skus), !isClear(value) else { continue }
            let linked = MagentoFields.splitList(value, separator: separator)
            if linked.count > LinkRepository.maximumLinksPerList {
                issues.append(issue(record, skus, "\(linked.count) SKUs; at most \(LinkRepository.maximumLinksPerList) links per product and type"))
                continue
            }
            if let text = cell(record, positions), !isClear(text) {
                let items = MagentoFields.splitList(text, separator: separator)
                if items.count != linked.count {
                    issues.append(issue(record, positions, "\(items.count) position\(items.count == 1 ? "" : "s") for \(linked.count) SKU\(linked.count == 1 ? "" : "s")"))
                }
                for item in items where Int(item).map({ $0 < 0 }) ?? true {
                    issues.append(issue(record, positions, "position \"\(item)\" is not an integer ≥ 0"))
                }
            }
            for linkedSKU in linked {
                let key = Self.key(linkedSKU)
                if !exists(key, created: created) {
                    issues.append(issue(record, skus, "Link to product with SKU \"\(linkedSKU)\" not found: it is neither in this file nor in the database"))
                } else if key == own {
                    issues.append(issue(record, skus, "\"\(sku)\" cannot be a \(skus.name.replacingOccurrences(of: "_skus", with: "")) link of itself"))
                }
            }
        }
        if let value = cell(record, .configurableVariations), !isClear(value) {
            do {
                for variation in try MagentoFields.parseConfigurableVariations(value) {
                    guard let childSKU = variation.first(where: { $0.key == "sku" })?.value else { continue }
                    let key = Self.key(childSKU)
                    if !exists(key, created: created) {
                        issues.append(issue(record, .configurableVariations, "Product with specified super products SKU not found: \"\(childSKU)\""))
                    } else if key == own {
                        issues.append(issue(record, .configurableVariations, "\"\(sku)\" cannot be a variation of itself"))
                    }
                }
            } catch let error as InputError {
                issues.append(issue(record, .configurableVariations, error.message))
            } catch {
                issues.append(issue(record, .configurableVariations, "\(error)"))
            }
        }
        return issues
    }
}
