-- 0005_units: recommendation units (spec §4 "Units and placements", §5): configured blocks
-- of a storefront page — which recommendation type fills them, how many products, with which
-- filters and backups — and their experiment variants.
--
-- A unit has at least one variant ('A'). Each variant carries what is shown: the type, the
-- number of products, the backup chain and the filters; `traffic` splits visitors between a
-- unit's variants (a deterministic hash of visitor and unit picks one). Unit events
-- (recs-unit-render, recs-unit-view, recs-item-click, recs-add-to-cart-click) carry the unit
-- id (as text, `events.unit_id`) and the variant, so metrics are reported per variant.

-- Units: one per row, per store. At most 5 active units per (store, page type) — checked by
-- the library with a clear message, and by the trigger below as a last line of defence.
CREATE TABLE units (
    unit_id     INTEGER PRIMARY KEY,
    store_id    INTEGER NOT NULL REFERENCES stores(store_id) ON DELETE CASCADE,
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 255),            -- merchant's name, unique per store
    label       TEXT NOT NULL DEFAULT '',                                         -- storefront title ("Customers also viewed")
    page_type   TEXT NOT NULL CHECK (page_type IN ('home', 'category', 'product', 'cart', 'confirmation')),
    placement   TEXT NOT NULL DEFAULT 'bottom' CHECK (placement IN ('top', 'bottom')),  -- of the main content
    position    INTEGER NOT NULL DEFAULT 1 CHECK (position >= 1),                 -- order within the placement
    status      TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'inactive')),
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    UNIQUE (store_id, name)
) STRICT;
CREATE INDEX units_store_id_page_type_status ON units(store_id, page_type, status);

-- Variants of a unit (experiments); a unit without an experiment has the one variant 'A' at
-- 100 %. `type` is a behavioural type (most-viewed, viewed-viewed, … as `crosslink recommend
-- --help` lists) or a manual/rule block (related, upsell, crosssell). `backups` is a JSON
-- array of types tried in order for the slots the type could not fill. `filters` is a JSON
-- object of inclusions (AND-ed) and exclusions (OR-ed), documented in README "Units".
CREATE TABLE unit_variants (
    unit_id        INTEGER NOT NULL REFERENCES units(unit_id) ON DELETE CASCADE,
    variant        TEXT NOT NULL DEFAULT 'A' CHECK (length(variant) BETWEEN 1 AND 32),
    traffic        INTEGER NOT NULL DEFAULT 100 CHECK (traffic BETWEEN 0 AND 100),  -- percent of the unit's visitors
    type           TEXT NOT NULL,
    product_count  INTEGER NOT NULL DEFAULT 5 CHECK (product_count BETWEEN 1 AND 20),
    backups        TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(backups) AND json_type(backups) = 'array'),
    filters        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(filters) AND json_type(filters) = 'object'),
    max_per_category INTEGER CHECK (max_per_category BETWEEN 1 AND 20),           -- diversity; NULL: off
    shuffle        INTEGER NOT NULL DEFAULT 0 CHECK (shuffle IN (0, 1)),            -- seeded shuffle of the final list
    PRIMARY KEY (unit_id, variant)
) STRICT, WITHOUT ROWID;

-- The units as the sqlite3 CLI reads them: one line per unit variant.
--   SELECT * FROM unit_list WHERE store = 'default' ORDER BY page_type, placement, position;
CREATE VIEW unit_list AS
SELECT s.code AS store, u.unit_id, u.name, u.page_type, u.placement, u.position, u.status,
       v.variant, v.traffic, v.type, v.product_count, v.backups, v.filters, v.max_per_category, v.shuffle, u.label
FROM units AS u
JOIN stores AS s ON s.store_id = u.store_id
JOIN unit_variants AS v ON v.unit_id = u.unit_id;

-- A sixth active unit on one page type of a store is refused even by hand-written SQL.
CREATE TRIGGER units_at_most_five_active_insert BEFORE INSERT ON units
WHEN NEW.status = 'active'
 AND (SELECT count(*) FROM units WHERE store_id = NEW.store_id AND page_type = NEW.page_type AND status = 'active') >= 5
BEGIN
    SELECT RAISE(ABORT, 'at most 5 active units per page type and store');
END;
CREATE TRIGGER units_at_most_five_active_update BEFORE UPDATE OF status, page_type, store_id ON units
WHEN NEW.status = 'active'
 AND (SELECT count(*) FROM units WHERE store_id = NEW.store_id AND page_type = NEW.page_type AND status = 'active'
                                   AND unit_id <> NEW.unit_id) >= 5
BEGIN
    SELECT RAISE(ABORT, 'at most 5 active units per page type and store');
END;
