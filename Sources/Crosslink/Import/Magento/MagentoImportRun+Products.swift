import Foundation

/// Pass 1: a product row's own fields, categories and websites.
extension ImportRun {
    func importProductRow(_ record: CSVRecord) throws {
        guard let sku = cell(record, .sku), !isClear(sku) else {
            throw issue(record, .sku, "SKU is empty")
        }
        if let problem = ProductRepository.skuProblem(sku) { throw issue(record, .sku, "SKU \(String(reflecting: sku)) \(problem)") }
        let key = Self.key(sku)

        let type = try productType(record)
        let attributeSet = try attributeSetCode(record)
        let name = try required(record, .name)
        let enabled = try enabledValue(record)
        let visibility = try visibilityValue(record)
        let price = try priceValue(record, .price)
        let specialPrice = try priceValue(record, .specialPrice)
        let qty = try qtyValue(record)
        var inStock = try inStockValue(record)
        let createdAt = timestamp(record, .createdAt)
        let updatedAt = timestamp(record, .updatedAt)

        let id: Int
        let fresh: Bool
        if var state = products[key] {
            // Update: only the given fields change.
            id = state.id
            fresh = false
            if name != nil { named.insert(id) }
            if let type { state.type = type; products[key] = state }
            if inStock == nil, let qty, Self.tracksQuantity(state.type) { inStock = qty > 0 }
            // A product this import created may still be in the batch.
            if !state.existedBefore { try flushBatch() }
            let s = updateProduct
            s.reset()
            s.bind(id, at: 1)
            s.bind(name, at: 2)
            s.bind(type?.rawValue, at: 3)
            s.bind(attributeSet, at: 4)
            s.bind(enabled.map { $0 ? 1 : 0 }, at: 5)
            s.bind(visibility, at: 6)
            s.bind(price == nil ? 0 : 1, at: 7)
            s.bind(price ?? nil, at: 8)
            s.bind(specialPrice == nil ? 0 : 1, at: 9)
            s.bind(specialPrice ?? nil, at: 10)
            s.bind(qty, at: 11)
            s.bind(inStock.map { $0 ? 1 : 0 }, at: 12)
            s.bind(createdAt, at: 13)
            s.bind(updatedAt ?? now, at: 14)
            while try s.step() {}
            if state.existedBefore { touchedExisting.insert(id) }
        } else {
            guard let type else {
                throw issue(record, .sku, "Product with specified SKU not found: \"\(sku)\" is not in the database, "
                            + "and a row creates a product only with product_type, attribute_set_code and name")
            }
            guard let attributeSet else { throw missingAttributeSet(record, sku: sku) }
            guard let name else { throw missingName(record, sku: sku) }
            if inStock == nil { inStock = Self.tracksQuantity(type) && qty != nil ? qty! > 0 : true }
            if let batch {
                id = try batch.nextProductID()
                batch.addProduct(ImportBatch.ProductRow(
                    id: id, sku: sku, name: name, type: type.rawValue, attributeSet: attributeSet, enabled: (enabled ?? true) ? 1 : 0,
                    visibility: visibility ?? Visibility.catalogAndSearch.rawValue, price: price ?? nil, specialPrice: specialPrice ?? nil,
                    qty: qty ?? 0, inStock: inStock! ? 1 : 0, createdAt: createdAt ?? now, updatedAt: updatedAt ?? now))
            } else {
                let s = insertProduct
                s.reset()
                s.bind(sku, at: 1)
                s.bind(name, at: 2)
                s.bind(type.rawValue, at: 3)
                s.bind(attributeSet, at: 4)
                s.bind((enabled ?? true) ? 1 : 0, at: 5)
                s.bind(visibility ?? Visibility.catalogAndSearch.rawValue, at: 6)
                s.bind(price ?? nil, at: 7)
                s.bind(specialPrice ?? nil, at: 8)
                s.bind(qty ?? 0, at: 9)
                s.bind(inStock! ? 1 : 0, at: 10)
                s.bind(createdAt ?? now, at: 11)
                s.bind(updatedAt ?? now, at: 12)
                guard try s.step() else { throw DatabaseError(extendedResultCode: 1, message: "INSERT … RETURNING returned no row", sql: s.sql, path: db.path) }
                id = s.int(at: 0)
                while try s.step() {}
            }
            fresh = true
            named.insert(id)
            products[key] = ProductState(id: id, type: type, existedBefore: false)
            createdCount += 1
        }

        written.insert(id)
        try importCategories(record, productID: id, fresh: fresh)
        if !(try importWebsites(record, productID: id, fresh: fresh)), fresh, let website = defaultWebsiteID {
            try addWebsite(productID: id, websiteID: website)
        }
        try importAttributes(record, productID: id, fresh: fresh)
    }

    // MARK: Cell values (shared with validation, so both report the same error)

    func productType(_ record: CSVRecord) throws -> ProductType? {
        try required(record, .productType).map { value in
            guard let type = ProductType(rawValue: value) ?? ProductType(rawValue: value.lowercased()) else {
                throw issue(record, .productType, "Product Type is invalid or not supported: \"\(value)\" (expected one of "
                            + ProductType.allCases.map(\.rawValue).joined(separator: ", ") + ")")
            }
            return type
        }
    }

    /// A set Magento has: `Default`, a stored product's set, or one declared in ImportOptions.attributeSets.
    func attributeSetCode(_ record: CSVRecord) throws -> String? {
        try required(record, .attributeSetCode).map { value in
            guard attributeSets.contains(value) else {
                throw issue(record, .attributeSetCode, "Invalid value for Attribute Set column (set doesn't exist?): \"\(value)\"; known sets: "
                            + attributeSets.sorted().joined(separator: ", ") + " (declare others with --attribute-set)")
            }
            return value
        }
    }

    func missingAttributeSet(_ record: CSVRecord, sku: String) -> InputError {
        issue(record, layout.has(.attributeSetCode) ? .attributeSetCode : .sku,
              "Invalid value for Attribute Set column (set doesn't exist?): new product \"\(sku)\" has no attribute_set_code")
    }

    func missingName(_ record: CSVRecord, sku: String) -> InputError {
        issue(record, layout.has(.name) ? .name : .sku, "Please make sure attribute \"name\" is not empty. (new product \"\(sku)\")")
    }

    func enabledValue(_ record: CSVRecord) throws -> Bool? {
        try required(record, .productOnline).map { value in
            // Magento's status: 1 enabled, 2 disabled; export files write 1/2, hand-made ones 1/0 or yes/no.
            if value == "2" { return false }
            guard let flag = MagentoFields.parseBool(value) else {
                throw incorrectValue(record, .productOnline, "\"\(value)\" is not 1 (enabled), 2 or 0 (disabled)")
            }
            return flag
        }
    }

    func visibilityValue(_ record: CSVRecord) throws -> Int? {
        try required(record, .visibility).map { value in
            if let known = visibilities[value] { return known }
            guard let visibility = MagentoFields.parseVisibility(value) else {
                throw issue(record, .visibility, "Value for 'visibility' attribute contains incorrect value, see acceptable values on settings "
                            + "specified for Admin: \"\(value)\" is not one of Not Visible Individually, Catalog, Search, \"Catalog, Search\"")
            }
            visibilities[value] = visibility
            return visibility
        }
    }

    /// `__EMPTY__VALUE__` sets 0. Negative quantities are valid (backorders), as in Magento.
    func qtyValue(_ record: CSVRecord) throws -> Double? {
        guard let value = cell(record, .qty) else { return nil }
        if isClear(value) { return 0 }
        guard let number = MagentoFields.parseDecimal(value) else { throw incorrectValue(record, .qty, "\"\(value)\" is not a number") }
        return number
    }

    func inStockValue(_ record: CSVRecord) throws -> Bool? {
        try required(record, .isInStock).map { value in
            guard let flag = MagentoFields.parseBool(value) else { throw incorrectValue(record, .isInStock, "\"\(value)\" is not 1 or 0") }
            return flag
        }
    }

    /// Types whose stock status follows their own quantity (composite products have none).
    static func tracksQuantity(_ type: ProductType) -> Bool {
        type == .simple || type == .virtual || type == .downloadable
    }

    // MARK: Categories and websites

    /// `fresh`: the product was inserted by this row, so there is nothing to delete first.
    func importCategories(_ record: CSVRecord, productID: Int, fresh: Bool) throws {
        guard let value = cell(record, .categories) else { return }
        if isClear(value) {
            try flushBatch()
            deleteAllCategories.reset()
            deleteAllCategories.bind(productID, at: 1)
            while try deleteAllCategories.step() {}
            return
        }
        var ids: [Int] = []
        for path in MagentoFields.splitList(value, separator: separator) {
            let id: Int
            if let cached = categoryIDs[path] {
                id = cached
            } else {
                let levels = Self.categoryLevels(path)
                if levels.isEmpty { continue }
                id = try CategoryRepository(db).ensure(path: levels)
                categoryIDs[path] = id
            }
            if !ids.contains(id) { ids.append(id) }
        }
        if ids.isEmpty { return }
        if !fresh {
            try flushBatch()
            deleteCategoriesExcept.reset()
            deleteCategoriesExcept.bind(productID, at: 1)
            deleteCategoriesExcept.bind("[" + ids.map(String.init).joined(separator: ",") + "]", at: 2)
            while try deleteCategoriesExcept.step() {}
        }
        for id in ids {
            // New members go after the category's current ones, as CategoryRepository.assign does.
            // No batched row is in a category without a next position yet: the count needs no flush.
            let position: Int
            if let next = categoryNextPosition[id] {
                position = next
            } else {
                countCategoryProducts.reset()
                countCategoryProducts.bind(id, at: 1)
                position = try countCategoryProducts.step() ? countCategoryProducts.int(at: 0) : 0
                countCategoryProducts.reset()
            }
            if let batch, fresh {
                // A product inserted by this row is in none of its (distinct) categories yet.
                batch.addCategory(categoryID: id, productID: productID, position: position)
                categoryNextPosition[id] = position + 1
                continue
            }
            insertCategory.reset()
            insertCategory.bind(id, at: 1)
            insertCategory.bind(productID, at: 2)
            insertCategory.bind(position, at: 3)
            while try insertCategory.step() {}
            categoryNextPosition[id] = db.changes > 0 ? position + 1 : position
        }
    }

    /// The names of one category path. Like Magento's CategoryProcessor, `\/` is a slash inside a
    /// name (`Default Category/Category\/ 2` has two levels); levels are trimmed, empty ones dropped.
    static func categoryLevels(_ path: String) -> [String] {
        var levels: [String] = []
        var current = ""
        var index = path.startIndex
        while index < path.endIndex {
            let character = path[index]
            let next = path.index(after: index)
            if character == "\\", next < path.endIndex, path[next] == "/" {
                current.append("/")
                index = path.index(after: next)
                continue
            }
            if character == "/" {
                levels.append(current)
                current = ""
            } else {
                current.append(character)
            }
            index = next
        }
        levels.append(current)
        return levels.map { MagentoFields.trimmed($0) }.filter { !$0.isEmpty }
    }

    /// Returns whether the row set the websites.
    @discardableResult
    func importWebsites(_ record: CSVRecord, productID: Int, fresh: Bool) throws -> Bool {
        guard let value = cell(record, .productWebsites) else { return false }
        var ids: [Int] = []
        if !isClear(value) {
            for code in MagentoFields.splitList(value, separator: separator) {
                guard let id = websiteIDs[code] else { throw unknownWebsite(record, code) }
                if !ids.contains(id) { ids.append(id) }
            }
            if ids.isEmpty { return false }
        }
        if !fresh {
            try flushBatch()
            deleteWebsites.reset()
            deleteWebsites.bind(productID, at: 1)
            while try deleteWebsites.step() {}
        }
        for id in ids { try addWebsite(productID: productID, websiteID: id) }
        return true
    }

    func addWebsite(productID: Int, websiteID: Int) throws {
        if let batch { return batch.addWebsite(productID: productID, websiteID: websiteID) }
        insertWebsite.reset()
        insertWebsite.bind(productID, at: 1)
        insertWebsite.bind(websiteID, at: 2)
        while try insertWebsite.step() {}
    }
}
