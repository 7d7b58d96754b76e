import Foundation

/// Pass 2: links and variations, which refer to other SKUs, and store-view rows.
extension ImportRun {
    func importRelations(_ record: CSVRecord) throws {
        guard let sku = cell(record, .sku), !isClear(sku) else { throw issue(record, .sku, "SKU is empty") }
        guard let state = products[Self.key(sku)] else {
            // Only a store-view row gets here: default rows created their product in pass 1.
            throw issue(record, .sku, "store-view row for SKU \"\(sku)\", which is neither in this file (as a row without "
                        + "store_view_code) nor in the database (Magento: \"Default values row does not exist\")")
        }
        let isStoreViewRow = cell(record, .storeViewCode) != nil
        if isStoreViewRow {
            written.insert(state.id)
            try importCategories(record, productID: state.id, fresh: false)
            try importWebsites(record, productID: state.id, fresh: false)
            if state.existedBefore { touchedExisting.insert(state.id) }
        }
        try importLinks(record, sku: sku, product: state, type: .related, skus: .relatedSkus, positions: .relatedPosition)
        try importLinks(record, sku: sku, product: state, type: .upsell, skus: .upsellSkus, positions: .upsellPosition)
        try importLinks(record, sku: sku, product: state, type: .crosssell, skus: .crosssellSkus, positions: .crosssellPosition)
        try importVariations(record, sku: sku, product: state)
    }

    func importLinks(_ record: CSVRecord, sku: String, product: ProductState, type: LinkType,
                     skus skuColumn: ImportColumn, positions positionColumn: ImportColumn) throws {
        guard let value = cell(record, skuColumn) else { return }
        if isClear(value) {
            try replaceLinks(productID: product.id, type: type, targets: [], fresh: false)
            return
        }
        let linked = MagentoFields.splitList(value, separator: separator)
        if linked.isEmpty { return }
        guard linked.count <= LinkRepository.maximumLinksPerList else {
            throw issue(record, skuColumn, "\(linked.count) SKUs; at most \(LinkRepository.maximumLinksPerList) links per product and type")
        }
        var positions: [Int]
        if let text = cell(record, positionColumn), !isClear(text) {
            let items = MagentoFields.splitList(text, separator: separator)
            guard items.count == linked.count else {
                throw issue(record, positionColumn, "\(items.count) position\(items.count == 1 ? "" : "s") for \(linked.count) SKU\(linked.count == 1 ? "" : "s")")
            }
            positions = try items.map { item in
                guard let position = Int(item), position >= 0 else {
                    throw issue(record, positionColumn, "position \"\(item)\" is not an integer ≥ 0")
                }
                return position
            }
        } else {
            positions = Array(1...linked.count)
        }
        var targets: [(id: Int, position: Int)] = []
        var seen = Set<Int>()
        for (linkedSKU, position) in zip(linked, positions) {
            guard let target = products[Self.key(linkedSKU)] else {
                throw issue(record, skuColumn, "Link to product with SKU \"\(linkedSKU)\" not found: it is neither in this file nor in the database")
            }
            guard target.id != product.id else {
                throw issue(record, skuColumn, "\"\(sku)\" cannot be a \(type.rawValue) link of itself")
            }
            guard seen.insert(target.id).inserted else {
                warn(issue(record, skuColumn, "\"\(linkedSKU)\" is listed twice; its first position is kept"))
                continue
            }
            targets.append((id: target.id, position: position))
        }
        try replaceLinks(productID: product.id, type: type, targets: targets, fresh: !product.existedBefore)
        linkCounts[type, default: 0] += targets.count
    }

    /// LinkRepository.replace(productID:type:targets:) with this run's statements; the delete is
    /// skipped for a product this import created whose links of this type it has not set yet.
    func replaceLinks(productID: Int, type: LinkType, targets: [(id: Int, position: Int)], fresh: Bool) throws {
        // A product created by this import has no links yet, unless an earlier row of the file set some.
        let mayHaveLinks = !fresh || !linksSet.insert(productID &* 8 &+ type.magentoID).inserted
        if let batch, !mayHaveLinks { return batch.addLinks(productID: productID, type: type, targets: targets) }
        try flushBatch()
        try LinkRepository(db).replace(productID: productID, type: type, targets: targets, existing: mayHaveLinks)
    }

    func importVariations(_ record: CSVRecord, sku: String, product: ProductState) throws {
        guard let value = cell(record, .configurableVariations) else { return }
        guard product.type == .configurable else {
            warn(issue(record, .configurableVariations, "\"\(sku)\" is a \(product.type.rawValue) product; its configurable_variations were ignored"))
            return
        }
        var children: [(id: Int, optionTitle: String?)] = []
        if !isClear(value) {
            let variations: [[(key: String, value: String)]]
            do {
                variations = try MagentoFields.parseConfigurableVariations(value)
            } catch let error as InputError {
                throw issue(record, .configurableVariations, error.message)
            }
            var seen = Set<Int>()
            for variation in variations {
                guard let childSKU = variation.first(where: { $0.key == "sku" })?.value else { continue }
                guard let child = products[Self.key(childSKU)] else {
                    throw issue(record, .configurableVariations, "Product with specified super products SKU not found: \"\(childSKU)\"")
                }
                guard child.id != product.id else {
                    throw issue(record, .configurableVariations, "\"\(sku)\" cannot be a variation of itself")
                }
                if seen.insert(child.id).inserted { children.append((id: child.id, optionTitle: nil)) }
            }
        }
        try flushBatch()
        try ChildRepository(db).setChildren(parentID: product.id, children: children)
    }
}
