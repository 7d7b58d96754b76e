import Foundation

// The column layout of Magento's product CSV: which columns are read, under which names.

extension MagentoCSVImporter {
    /// Magento's old column names (its `_fieldsMap`) → the names Crosslink reads.
    public static let columnAliases: [String: String] = [
        "_store": "store_view_code",
        "_type": "product_type",
        "_attribute_set": "attribute_set_code",
        "_product_websites": "product_websites",
        "status": "product_online",
        "_related_sku": "related_skus",
        "_related_position": "related_position",
        "_crosssell_sku": "crosssell_skus",
        "_crosssell_position": "crosssell_position",
        "_upsell_sku": "upsell_skus",
        "_upsell_position": "upsell_position",
        "_category": "categories",
    ]

    /// Columns of Magento's product CSV that Crosslink recognises and deliberately does not
    /// import: it models relations, prices, stock status and custom attributes, not content,
    /// media, SEO, shipping, tax or detailed inventory settings.
    public static let ignoredColumns: Set<String> = [
        // Content and SEO
        "description", "short_description", "url_path", "meta_title", "meta_keywords",
        "meta_keyword", "meta_description",
        // Media
        "base_image", "base_image_label", "small_image", "small_image_label", "thumbnail_image",
        "thumbnail_image_label", "swatch_image", "swatch_image_label", "additional_images",
        "additional_image_labels", "hide_from_product_page", "image", "image_label", "thumbnail",
        "thumbnail_label", "_media_image", "_media_image_label", "_media_is_disabled",
        "_media_attribute_id", "_media_label", "_media_position",
        // Shipping, tax, design, dates of price/novelty, MAP
        "product_has_weight", "tax_class_name", "special_price_from_date", "special_price_to_date",
        "special_from_date", "special_to_date", "new_from_date", "new_to_date", "news_from_date",
        "news_to_date", "display_product_options_in", "options_container", "map_price", "minimal_price",
        "msrp_price", "msrp", "map_enabled", "msrp_enabled", "msrp_display_actual_price_type",
        "gift_message_available", "gift_wrapping_available", "gift_wrapping_price", "custom_design",
        "custom_design_from", "custom_design_to", "custom_layout_update", "custom_layout",
        "custom_layout_update_file", "page_layout", "product_options_container", "country_of_manufacture",
        // Detailed inventory settings (Crosslink keeps qty and stock status only)
        "out_of_stock_qty", "min_qty", "use_config_min_qty", "is_qty_decimal", "allow_backorders", "backorders",
        "use_config_backorders", "min_cart_qty", "min_sale_qty", "use_config_min_sale_qty", "max_cart_qty",
        "max_sale_qty", "use_config_max_sale_qty", "notify_on_stock_below", "notify_stock_qty",
        "use_config_notify_stock_qty", "manage_stock", "use_config_manage_stock", "use_config_qty_increments",
        "qty_increments", "use_config_enable_qty_inc", "enable_qty_increments", "is_decimal_divided",
        "deferred_stock_update", "use_config_deferred_stock_update", "website_id", "stock_id",
        // Type-specific data Crosslink does not model (bundle options, grouped quantities,
        // variation prices/labels, downloadable files, custom options, tier prices)
        "configurable_variation_prices", "configurable_variation_labels", "associated_skus",
        "bundle_price_type", "bundle_sku_type", "bundle_price_view", "bundle_weight_type", "bundle_values",
        "bundle_shipment_type", "downloadable_links", "downloadable_samples", "links_title",
        "links_purchased_separately", "samples_title", "custom_options", "tier_prices", "tier_price_website",
        "tier_price_customer_group", "tier_price_qty", "tier_price", "_tier_price_website",
        "_tier_price_customer_group", "_tier_price_qty", "_tier_price_price", "_root_category",
        // Magento's system attributes, exported as columns by some versions
        "has_options", "required_options", "quantity_and_stock_status",
    ]
}

/// The columns the importer reads.
enum ImportColumn: Int, CaseIterable {
    case sku, storeViewCode, productType, attributeSetCode, categories, productWebsites, name, price, specialPrice,
         qty, isInStock, visibility, productOnline, createdAt, updatedAt, additionalAttributes, configurableVariations,
         relatedSkus, relatedPosition, upsellSkus, upsellPosition, crosssellSkus, crosssellPosition,
         // Validated as Magento validates them, not stored.
         weight, urlKey

    static let names = [
        "sku", "store_view_code", "product_type", "attribute_set_code", "categories", "product_websites", "name",
        "price", "special_price", "qty", "is_in_stock", "visibility", "product_online", "created_at", "updated_at",
        "additional_attributes", "configurable_variations", "related_skus", "related_position", "upsell_skus",
        "upsell_position", "crosssell_skus", "crosssell_position", "weight", "url_key",
    ]

    var name: String { Self.names[rawValue] }

    static let byName: [String: ImportColumn] = Dictionary(uniqueKeysWithValues: allCases.map { ($0.name, $0) })

    /// Columns whose values a store-view row would override per store view (ignored there).
    static let storeScoped: [ImportColumn] = [
        .productType, .attributeSetCode, .name, .price, .specialPrice, .qty, .isInStock, .visibility, .productOnline,
        .createdAt, .updatedAt, .additionalAttributes,
    ]
}

/// Where each read column sits in the file's header.
struct ColumnLayout {
    private var positions: [Int]
    let header: [String]
    let unknown: [String]

    init(header: [String], file: String) throws {
        self.header = header
        positions = Array(repeating: -1, count: ImportColumn.allCases.count)
        var aliased: [(column: ImportColumn, index: Int)] = []
        var unknown: [String] = []
        for (index, rawName) in header.enumerated() {
            let name = rawName.lowercased()
            if let column = ImportColumn.byName[name] {
                positions[column.rawValue] = index
            } else if let target = MagentoCSVImporter.columnAliases[name], let column = ImportColumn.byName[target] {
                aliased.append((column, index))
            } else if !MagentoCSVImporter.ignoredColumns.contains(name) && !name.hasPrefix("_custom_option") {
                unknown.append(rawName.isEmpty ? "(unnamed column \(index + 1))" : rawName)
            }
        }
        // An old name is read only when the file lacks the current one.
        for (column, index) in aliased where positions[column.rawValue] < 0 {
            positions[column.rawValue] = index
        }
        self.unknown = unknown
        if positions[ImportColumn.sku.rawValue] < 0 {
            throw InputError(file: file, line: 1, message: "the header has no sku column")
        }
    }

    subscript(column: ImportColumn) -> Int? {
        let position = positions[column.rawValue]
        return position < 0 ? nil : position
    }

    func has(_ column: ImportColumn) -> Bool { positions[column.rawValue] >= 0 }
}
