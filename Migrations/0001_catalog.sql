-- 0001_catalog: websites and stores, products with typed custom attributes, the category
-- tree, parent/child products, and the merchant's manual product links (related, up-sell,
-- cross-sell), plus the views that answer the product-page and cart placements.
--
-- This file is the schema's only source: the library embeds it at build time and applies it
-- through its migrator (which also records it); `sqlite3 x.sqlite < Migrations/0001_catalog.sql`
-- builds the identical schema for inspection.

-- Marks the file as a Crosslink database ('CRLK'), so the library refuses foreign files.
PRAGMA application_id = 1129466955;  -- 0x43524C4B

-- One row per applied migration file; written by the library's migrator.
CREATE TABLE crosslink_migrations (
    version     INTEGER PRIMARY KEY,          -- NNNN of Migrations/NNNN_name.sql
    name        TEXT NOT NULL,                -- the name part of the file name
    checksum    TEXT NOT NULL,                -- SHA-256 of the file (sha256sum prints the same)
    applied_at  TEXT NOT NULL                 -- ISO 8601, UTC
) STRICT;

-- A website groups stores that share a product assortment (Magento: store_website).
CREATE TABLE websites (
    website_id  INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,         -- 'base' in Magento's product_websites column
    name        TEXT NOT NULL
) STRICT;

-- A store view: where placements are resolved. Per-store display settings live here.
CREATE TABLE stores (
    store_id          INTEGER PRIMARY KEY,
    code              TEXT NOT NULL UNIQUE,   -- Magento's store_view_code, e.g. 'default'
    website_id        INTEGER NOT NULL REFERENCES websites(website_id) ON DELETE CASCADE,
    name              TEXT NOT NULL,
    show_out_of_stock INTEGER NOT NULL DEFAULT 0 CHECK (show_out_of_stock IN (0, 1)),
    related_limit     INTEGER CHECK (related_limit > 0),            -- NULL: uncapped (Magento default)
    upsell_limit      INTEGER NOT NULL DEFAULT 4 CHECK (upsell_limit > 0),
    crosssell_limit   INTEGER NOT NULL DEFAULT 4 CHECK (crosssell_limit > 0)
) STRICT;
CREATE INDEX stores_website_id ON stores(website_id);

INSERT INTO websites(website_id, code, name) VALUES (1, 'base', 'Main Website');
INSERT INTO stores(store_id, code, website_id, name) VALUES (1, 'default', 1, 'Default Store View');

-- Products. Prices are in the website's currency; `final_price` is what a shopper pays.
CREATE TABLE products (
    product_id     INTEGER PRIMARY KEY,
    sku            TEXT NOT NULL COLLATE NOCASE CHECK (length(sku) BETWEEN 1 AND 64),  -- Magento: case-insensitive, ≤ 64
    type           TEXT NOT NULL DEFAULT 'simple'
                   CHECK (type IN ('simple', 'configurable', 'grouped', 'bundle', 'virtual', 'downloadable')),
    attribute_set  TEXT NOT NULL DEFAULT 'Default',
    name           TEXT NOT NULL,
    enabled        INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    visibility     INTEGER NOT NULL DEFAULT 4 CHECK (visibility BETWEEN 1 AND 4),  -- 1 not visible individually, 2 catalog, 3 search, 4 catalog+search
    price          REAL CHECK (price >= 0),                -- NULL: priced by its children (configurable, grouped, bundle)
    special_price  REAL CHECK (special_price >= 0),
    final_price    REAL GENERATED ALWAYS AS (
                       CASE WHEN special_price IS NOT NULL AND (price IS NULL OR special_price < price)
                            THEN special_price ELSE price END) VIRTUAL,
    qty            REAL NOT NULL DEFAULT 0,
    in_stock       INTEGER NOT NULL DEFAULT 1 CHECK (in_stock IN (0, 1)),
    created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
) STRICT;
CREATE UNIQUE INDEX products_sku ON products(sku);
CREATE INDEX products_type ON products(type);
CREATE INDEX products_attribute_set ON products(attribute_set);

-- Custom attribute definitions (color, size, material, brand, …).
CREATE TABLE attributes (
    attribute_id  INTEGER PRIMARY KEY,
    code          TEXT NOT NULL UNIQUE CHECK (length(code) BETWEEN 1 AND 255),
    label         TEXT,
    type          TEXT NOT NULL DEFAULT 'text'
                  CHECK (type IN ('text', 'number', 'boolean', 'select', 'multiselect', 'date'))
) STRICT;

-- Custom attribute values: one row per value (a multiselect has several, by ordinal).
-- `value` is kept verbatim; `number` holds it as a number when it is one, so SQL can
-- filter numerically: WHERE attribute_id = ? AND number BETWEEN ? AND ?.
CREATE TABLE product_attributes (
    product_id    INTEGER NOT NULL REFERENCES products(product_id) ON DELETE CASCADE,
    attribute_id  INTEGER NOT NULL REFERENCES attributes(attribute_id) ON DELETE CASCADE,
    ordinal       INTEGER NOT NULL DEFAULT 0,
    value         TEXT NOT NULL,
    number        REAL,
    PRIMARY KEY (product_id, attribute_id, ordinal)
) STRICT, WITHOUT ROWID;
CREATE INDEX product_attributes_attribute_id_value ON product_attributes(attribute_id, value);
CREATE INDEX product_attributes_attribute_id_number ON product_attributes(attribute_id, number);

-- The category tree. `path` is the chain of ids from the root ('1/3/7'), so "in category C
-- or below" is `path = :p OR path LIKE :p || '/%'`; `name_path` is Magento's
-- 'Default Category/Gear/Bags' form used by imports and exports.
CREATE TABLE categories (
    category_id  INTEGER PRIMARY KEY,
    parent_id    INTEGER REFERENCES categories(category_id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    url_key      TEXT,
    path         TEXT NOT NULL UNIQUE,
    name_path    TEXT NOT NULL UNIQUE,
    level        INTEGER NOT NULL CHECK (level >= 0),
    position     INTEGER NOT NULL DEFAULT 0,
    active       INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    CHECK ((parent_id IS NULL) = (level = 0))
) STRICT;
CREATE INDEX categories_parent_id ON categories(parent_id);

INSERT INTO categories(category_id, parent_id, name, url_key, path, name_path, level)
VALUES (1, NULL, 'Default Category', 'default-category', '1', 'Default Category', 0);

-- Products in categories, with the product's position inside each category.
CREATE TABLE product_categories (
    category_id  INTEGER NOT NULL REFERENCES categories(category_id) ON DELETE CASCADE,
    product_id   INTEGER NOT NULL REFERENCES products(product_id) ON DELETE CASCADE,
    position     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (category_id, product_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX product_categories_product_id ON product_categories(product_id);

-- Which websites sell a product. A product not assigned to a store's website is never shown there.
CREATE TABLE product_websites (
    product_id  INTEGER NOT NULL REFERENCES products(product_id) ON DELETE CASCADE,
    website_id  INTEGER NOT NULL REFERENCES websites(website_id) ON DELETE CASCADE,
    PRIMARY KEY (product_id, website_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX product_websites_website_id ON product_websites(website_id);

-- Parent/child products: configurable variations, grouped members (Magento's link type 3,
-- 'super'), bundle selections (with their option title).
CREATE TABLE product_children (
    parent_id     INTEGER NOT NULL REFERENCES products(product_id) ON DELETE CASCADE,
    child_id      INTEGER NOT NULL REFERENCES products(product_id) ON DELETE CASCADE,
    position      INTEGER NOT NULL DEFAULT 0,
    option_title  TEXT,                      -- bundle option, e.g. 'Sprite Yoga Strap'
    PRIMARY KEY (parent_id, child_id),
    CHECK (parent_id <> child_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX product_children_child_id ON product_children(child_id);

-- Manual link types, with Magento's ids (catalog_product_link_type).
CREATE TABLE link_types (
    link_type_id  INTEGER PRIMARY KEY,
    code          TEXT NOT NULL UNIQUE
) STRICT;
INSERT INTO link_types(link_type_id, code) VALUES (1, 'related'), (4, 'upsell'), (5, 'crosssell');

-- Manual links: product → linked product, per type, ordered by position; ties keep
-- insertion order (link_id), as in Magento. Directional: A→B says nothing about B→A.
CREATE TABLE product_links (
    link_id            INTEGER PRIMARY KEY,
    link_type_id       INTEGER NOT NULL REFERENCES link_types(link_type_id),
    product_id         INTEGER NOT NULL REFERENCES products(product_id) ON DELETE CASCADE,
    linked_product_id  INTEGER NOT NULL REFERENCES products(product_id) ON DELETE CASCADE,
    position           INTEGER NOT NULL DEFAULT 0 CHECK (position >= 0),
    CHECK (product_id <> linked_product_id)
) STRICT;
CREATE UNIQUE INDEX product_links_product_id_link_type_id_linked_product_id
    ON product_links(product_id, link_type_id, linked_product_id);
CREATE INDEX product_links_product_id_link_type_id_position
    ON product_links(product_id, link_type_id, position);
CREATE INDEX product_links_linked_product_id ON product_links(linked_product_id);

-- Products a store may show: enabled, visible in catalog (2 or 4), sold on the store's
-- website, and in stock unless the store shows out-of-stock products.
CREATE VIEW displayable_products AS
SELECT s.store_id, s.code AS store, p.product_id, p.sku, p.name, p.type, p.final_price
FROM stores AS s
JOIN product_websites AS pw ON pw.website_id = s.website_id
JOIN products AS p ON p.product_id = pw.product_id
WHERE p.enabled = 1
  AND p.visibility IN (2, 4)
  AND (p.in_stock = 1 OR s.show_out_of_stock = 1);

-- Every manual link with SKUs, for reading with the sqlite3 CLI.
CREATE VIEW link_list AS
SELECT lt.code AS link_type, p.sku, lp.sku AS linked_sku, l.position, l.link_id
FROM product_links AS l
JOIN link_types AS lt ON lt.link_type_id = l.link_type_id
JOIN products AS p ON p.product_id = l.product_id
JOIN products AS lp ON lp.product_id = l.linked_product_id;

-- The product-page blocks as a store shows them: links whose target is displayable there.
-- Related and up-sell of SKU X in store 'default':
--   SELECT linked_sku, name FROM displayable_links
--   WHERE store = 'default' AND sku = 'X' AND link_type = 'related' ORDER BY position, link_id;
CREATE VIEW displayable_links AS
SELECT d.store, lt.code AS link_type, p.sku, d.sku AS linked_sku, d.name, d.final_price,
       l.position, l.link_id, d.store_id, l.product_id, l.linked_product_id
FROM products AS p
JOIN product_links AS l ON l.product_id = p.product_id
JOIN link_types AS lt ON lt.link_type_id = l.link_type_id
-- CROSS JOIN keeps the plan "product → its links → displayability" whatever the statistics.
CROSS JOIN displayable_products AS d ON d.product_id = l.linked_product_id;
