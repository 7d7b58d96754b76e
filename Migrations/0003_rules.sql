-- 0003_rules: related-product rules (spec §3, Adobe Commerce "TargetRule"): rule definitions
-- with their condition trees as JSON, per-store block settings (display mode, maximum,
-- rotation, time zone), and the materialised rule results with the bookkeeping that keeps
-- them from ever being served stale.
--
-- Condition trees (documented in README "Related-product rules"): a combination is
--   {"aggregator": "all" | "any", "value": true | false, "conditions": [ … ]}
-- and a condition is
--   {"attribute": "price", "operator": ">=", "value_type": "percent_of_matched", "value": 100}
-- with value_type constant (the default), same_as_matched, child_of_matched,
-- percent_of_matched or amount_from_matched. The library validates a tree before it stores it.

-- Rules: one per row. `applies_to` is the block (Magento's apply_to 1 related, 2 up-sell,
-- 3 cross-sell); rules run by priority (1 first), then id; each contributes at most
-- `result_limit` products (1–20; Magento's 0/empty is stored as 20).
CREATE TABLE rules (
    rule_id             INTEGER PRIMARY KEY,
    name                TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 255),
    active              INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    applies_to          TEXT NOT NULL CHECK (applies_to IN ('related', 'upsell', 'crosssell')),
    priority            INTEGER NOT NULL DEFAULT 1 CHECK (priority >= 1),
    result_limit        INTEGER NOT NULL DEFAULT 20 CHECK (result_limit BETWEEN 1 AND 20),
    from_date           TEXT CHECK (from_date IS NULL OR date(from_date) IS from_date),   -- inclusive, store time zone
    to_date             TEXT CHECK (to_date IS NULL OR date(to_date) IS to_date),         -- inclusive, store time zone
    segments            TEXT NOT NULL DEFAULT '[]'                                        -- JSON array of segment codes; [] = everyone
                        CHECK (json_valid(segments) AND json_type(segments) = 'array'),
    match_conditions    TEXT NOT NULL CHECK (json_valid(match_conditions) AND json_type(match_conditions) = 'object'),     -- "products to match"
    display_conditions  TEXT NOT NULL CHECK (json_valid(display_conditions) AND json_type(display_conditions) = 'object'), -- "products to display"
    created_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    CHECK (from_date IS NULL OR to_date IS NULL OR from_date <= to_date)
) STRICT;
CREATE INDEX rules_applies_to_priority ON rules(applies_to, priority);

-- Per-store rule settings: the time zone in which rule dates are read (IANA name).
CREATE TABLE store_rule_settings (
    store_id   INTEGER PRIMARY KEY REFERENCES stores(store_id) ON DELETE CASCADE,
    time_zone  TEXT NOT NULL DEFAULT 'UTC' CHECK (length(time_zone) > 0)
) STRICT;

-- Per-store, per-block settings (spec §5). A missing row means the defaults:
-- display_mode 0 both (manual links first, then rule results), 1 manual only, 2 rules only;
-- max_products NULL = 6 related, 8 up-sell, 5 cross-sell (used when rules are on);
-- rotation_mode 0 by priority then product id, 1 by priority then random (default), 2 weighted random.
CREATE TABLE block_settings (
    store_id       INTEGER NOT NULL REFERENCES stores(store_id) ON DELETE CASCADE,
    block          TEXT NOT NULL CHECK (block IN ('related', 'upsell', 'crosssell')),
    display_mode   INTEGER NOT NULL DEFAULT 0 CHECK (display_mode IN (0, 1, 2)),
    max_products   INTEGER CHECK (max_products BETWEEN 1 AND 100),
    rotation_mode  INTEGER NOT NULL DEFAULT 1 CHECK (rotation_mode IN (0, 1, 2)),
    PRIMARY KEY (store_id, block)
) STRICT, WITHOUT ROWID;

-- The settings every store × block runs with, defaults filled in.
CREATE VIEW effective_block_settings AS
SELECT s.store_id, s.code AS store, b.block,
       coalesce(bs.display_mode, 0) AS display_mode,
       CASE coalesce(bs.display_mode, 0) WHEN 0 THEN 'both' WHEN 1 THEN 'manual only' ELSE 'rules only' END AS display,
       coalesce(bs.max_products, b.default_max) AS max_products,
       coalesce(bs.rotation_mode, 1) AS rotation_mode,
       CASE coalesce(bs.rotation_mode, 1) WHEN 0 THEN 'by priority then id' WHEN 1 THEN 'by priority then random'
            ELSE 'weighted random' END AS rotation,
       coalesce(srs.time_zone, 'UTC') AS time_zone
FROM stores AS s
CROSS JOIN (SELECT 'related' AS block, 6 AS default_max UNION ALL SELECT 'upsell', 8 UNION ALL SELECT 'crosssell', 5) AS b
LEFT JOIN block_settings AS bs ON bs.store_id = s.store_id AND bs.block = b.block
LEFT JOIN store_rule_settings AS srs ON srs.store_id = s.store_id;

-- Every combination and condition of every rule, one per line, in tree order, with its path
-- (the one validation errors name): SELECT path, text FROM rule_conditions WHERE rule = 'X'.
CREATE VIEW rule_conditions AS
SELECT r.rule_id, r.name AS rule, t.tree,
       t.tree || substr(n.fullkey, 2) AS path,
       (length(n.fullkey) - length(replace(n.fullkey, '.conditions[', ''))) / 12 AS depth,
       n.id AS node_order,
       CASE WHEN json_type(n.value, '$.conditions') = 'array' THEN 'combine' ELSE 'condition' END AS kind,
       CASE WHEN json_type(n.value, '$.conditions') = 'array' THEN coalesce(json_extract(n.value, '$.aggregator'), 'all') END AS aggregator,
       CASE WHEN json_type(n.value, '$.conditions') = 'array' THEN coalesce(json_type(n.value, '$.value'), 'true') = 'true' END AS expected,
       json_extract(n.value, '$.attribute') AS attribute,
       json_extract(n.value, '$.operator') AS operator,
       CASE WHEN json_type(n.value, '$.conditions') = 'array' THEN NULL ELSE coalesce(json_extract(n.value, '$.value_type'), 'constant') END AS value_type,
       CASE WHEN json_type(n.value, '$.conditions') = 'array' THEN NULL ELSE json_extract(n.value, '$.value') END AS value,
       CASE WHEN json_type(n.value, '$.conditions') = 'array' THEN
                coalesce(json_extract(n.value, '$.aggregator'), 'all')
                || CASE WHEN json_type(n.value, '$.value') = 'false' THEN ' false' ELSE '' END || '('
            ELSE json_extract(n.value, '$.attribute') || ' ' || json_extract(n.value, '$.operator') || ' ' ||
                CASE coalesce(json_extract(n.value, '$.value_type'), 'constant')
                    WHEN 'same_as_matched' THEN 'same as matched'
                    WHEN 'child_of_matched' THEN 'child of matched'
                    WHEN 'percent_of_matched' THEN coalesce(json_extract(n.value, '$.value'), 100) || '% of matched'
                    WHEN 'amount_from_matched' THEN 'matched '
                        || CASE WHEN json_extract(n.value, '$.value') < 0 THEN '- ' ELSE '+ ' END || abs(json_extract(n.value, '$.value'))
                    ELSE CASE json_type(n.value, '$.value')
                             WHEN 'text' THEN json_quote(json_extract(n.value, '$.value'))
                             WHEN 'true' THEN 'true' WHEN 'false' THEN 'false'
                             ELSE coalesce(json_extract(n.value, '$.value'), 'null') END
                END
       END AS text
FROM rules AS r
CROSS JOIN (SELECT 'match' AS tree UNION ALL SELECT 'display') AS t
CROSS JOIN json_tree(CASE t.tree WHEN 'match' THEN r.match_conditions ELSE r.display_conditions END) AS n
WHERE n.type = 'object' AND (n.fullkey = '$' OR n.fullkey GLOB '*.conditions[[][0-9]*]');

-- Each rule on one line, its trees written out: all(category == "Gear/Bags", price >= 100% of matched).
CREATE VIEW rule_list AS
WITH nodes AS (
    SELECT rule_id, tree, node_order, depth, kind, text,
           lead(depth, 1, 0) OVER (PARTITION BY rule_id, tree ORDER BY node_order) AS next_depth
    FROM rule_conditions
), pieces AS (
    SELECT rule_id, tree, node_order,
           text || CASE WHEN kind = 'combine' AND next_depth = depth + 1 THEN ''
                        ELSE substr('))))))))))))))))))))', 1, depth + (kind = 'combine') - next_depth)
                             || CASE WHEN next_depth > 0 THEN ', ' ELSE '' END END AS piece
    FROM nodes
), trees AS (
    SELECT rule_id, tree,
           group_concat(piece, '') OVER (PARTITION BY rule_id, tree ORDER BY node_order
                                         ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS text
    FROM pieces
)
SELECT r.rule_id, r.name, r.active, r.applies_to, r.priority, r.result_limit,
       coalesce(r.from_date, '') || CASE WHEN r.from_date IS NULL AND r.to_date IS NULL THEN '' ELSE '..' END
           || coalesce(r.to_date, '') AS dates,
       CASE WHEN r.segments = '[]' THEN 'everyone' ELSE r.segments END AS segments,
       max(CASE WHEN t.tree = 'match' THEN t.text END) AS match,
       max(CASE WHEN t.tree = 'display' THEN t.text END) AS display
FROM rules AS r
LEFT JOIN trees AS t ON t.rule_id = r.rule_id
GROUP BY r.rule_id
ORDER BY r.applies_to, r.priority, r.rule_id;

-- ---------------------------------------------------------------------------------------
-- Result cache. Products that share the values a rule's display tree refers to (same
-- categories, same price, …) share one candidate list, so a list is per (rule, key); each
-- matched product points at its list. A list is computed for each store (displayability is
-- per store) and holds the rule's first result_limit + 10 candidates by product id, so that
-- excluding the viewed product and the cart rarely needs the uncached query.
--
-- Never stale: the triggers below record every change that can alter a result; a placement
-- reads cached results only when nothing is pending (no dirty product, no full rebuild due)
-- and the rule's results are built, else it runs the rule's SQL directly. RuleCache.refresh()
-- (crosslink rules refresh) brings the cache up to date incrementally.

-- One row: cache bookkeeping. `generation` starts random and moves on every change of rules,
-- attribute definitions or categories; it keys the in-memory cache of compiled rule SQL.
CREATE TABLE rule_cache_state (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    generation     INTEGER NOT NULL,
    full_rebuild   INTEGER NOT NULL DEFAULT 0 CHECK (full_rebuild IN (0, 1)),  -- 1: every cached result is invalid
    enabled        INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),       -- 0 after `rules refresh --clear`: no automatic refresh
    refreshed_at   TEXT
) STRICT;
INSERT INTO rule_cache_state(id, generation) VALUES (1, abs(random() % 1000000000000));

-- Bulk writes (a catalog import): while `bulk` is 1 — only ever inside the importer's
-- transaction, set at its start and cleared before it commits — the per-row change triggers
-- below and 0004's product_words triggers stand aside, and the importer does their work once,
-- for every product it wrote, in a few set-based statements (ImportRun.finishBulkWrite). A
-- failed import rolls the flag back with everything else.
CREATE TABLE catalog_write_mode (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    bulk  INTEGER NOT NULL DEFAULT 0 CHECK (bulk IN (0, 1))
) STRICT;
INSERT INTO catalog_write_mode(id) VALUES (1);

-- Products changed since the last refresh (inserted, updated, deleted; their attributes,
-- categories, websites). While any is listed, placements compute rules without the cache.
CREATE TABLE rule_cache_dirty (
    product_id  INTEGER PRIMARY KEY          -- no foreign key: deleted products are listed too
) STRICT;

-- Rules whose results are materialised (matches and lists for every store).
CREATE TABLE rule_cache_rules (
    rule_id    INTEGER PRIMARY KEY REFERENCES rules(rule_id) ON DELETE CASCADE,
    built_at   TEXT NOT NULL
) STRICT;

-- One candidate list of a rule: `list_key` holds the values of the matched product that the
-- display tree refers to ('[]' when it refers to none); `representative_id` is a member whose
-- values compute it. `stale` marks a list that lost a deleted candidate.
CREATE TABLE rule_lists (
    list_id            INTEGER PRIMARY KEY,
    rule_id            INTEGER NOT NULL REFERENCES rules(rule_id) ON DELETE CASCADE,
    list_key           TEXT NOT NULL,
    representative_id  INTEGER REFERENCES products(product_id) ON DELETE SET NULL,
    stale              INTEGER NOT NULL DEFAULT 0 CHECK (stale IN (0, 1)),
    UNIQUE (rule_id, list_key)
) STRICT;
CREATE INDEX rule_lists_representative_id ON rule_lists(representative_id);

-- Which products each rule matched ("products to match" held), and their list.
CREATE TABLE rule_matches (
    product_id  INTEGER NOT NULL REFERENCES products(product_id) ON DELETE CASCADE,
    rule_id     INTEGER NOT NULL,
    list_id     INTEGER NOT NULL REFERENCES rule_lists(list_id) ON DELETE CASCADE,
    PRIMARY KEY (product_id, rule_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX rule_matches_list_id ON rule_matches(list_id);

-- The lists' candidates per store, by position (0-based), displayable in that store.
CREATE TABLE rule_results (
    list_id       INTEGER NOT NULL REFERENCES rule_lists(list_id) ON DELETE CASCADE,
    store_id      INTEGER NOT NULL REFERENCES stores(store_id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    candidate_id  INTEGER NOT NULL REFERENCES products(product_id) ON DELETE CASCADE,
    PRIMARY KEY (list_id, store_id, position)
) STRICT, WITHOUT ROWID;
CREATE INDEX rule_results_candidate_id ON rule_results(candidate_id);

-- Cached results with SKUs: what each rule selected for each matched product, per store.
CREATE VIEW rule_result_list AS
SELECT r.name AS rule, r.applies_to, s.code AS store, m.sku AS matched_sku, rr.position, c.sku, c.name, c.final_price
FROM rule_matches AS x
JOIN rules AS r ON r.rule_id = x.rule_id
JOIN products AS m ON m.product_id = x.product_id
JOIN rule_results AS rr ON rr.list_id = x.list_id
JOIN stores AS s ON s.store_id = rr.store_id
JOIN products AS c ON c.product_id = rr.candidate_id;

-- Change tracking: the triggers below list every product whose row, attributes, categories or
-- websites change, while something is cached and outside bulk writes (`rule_cache_tracking`;
-- otherwise a row costs that one check). They insert into the view `rule_cache_mark`, which
-- lists a product once: NOT EXISTS rather than INSERT OR IGNORE, because the conflict policy of
-- the statement that fires a trigger overrides the trigger's own (an upsert's ON CONFLICT … DO
-- UPDATE would turn a second mark of a product into an error).
CREATE VIEW rule_cache_tracking AS
SELECT (SELECT bulk FROM catalog_write_mode) = 0 AND EXISTS (SELECT 1 FROM rule_cache_rules) AS tracking;

CREATE VIEW rule_cache_mark AS SELECT product_id FROM rule_cache_dirty;
CREATE TRIGGER rule_cache_mark_insert INSTEAD OF INSERT ON rule_cache_mark BEGIN
    INSERT INTO rule_cache_dirty(product_id) SELECT new.product_id
    WHERE NOT EXISTS (SELECT 1 FROM rule_cache_dirty WHERE product_id = new.product_id);
END;

CREATE TRIGGER products_rule_cache_insert AFTER INSERT ON products WHEN (SELECT tracking FROM rule_cache_tracking)
BEGIN INSERT INTO rule_cache_mark VALUES (new.product_id); END;
CREATE TRIGGER products_rule_cache_update AFTER UPDATE ON products WHEN (SELECT tracking FROM rule_cache_tracking)
BEGIN INSERT INTO rule_cache_mark VALUES (old.product_id), (new.product_id); END;
-- BEFORE, and in bulk writes too (imports never delete products): the lists that hold the
-- product are still findable before the cascade removes it.
CREATE TRIGGER products_rule_cache_delete BEFORE DELETE ON products WHEN EXISTS (SELECT 1 FROM rule_cache_rules) BEGIN
    INSERT INTO rule_cache_mark VALUES (old.product_id);
    UPDATE rule_lists SET stale = 1 WHERE list_id IN (SELECT list_id FROM rule_results WHERE candidate_id = old.product_id);
END;

CREATE TRIGGER product_attributes_rule_cache_insert AFTER INSERT ON product_attributes WHEN (SELECT tracking FROM rule_cache_tracking)
BEGIN INSERT INTO rule_cache_mark VALUES (new.product_id); END;
CREATE TRIGGER product_attributes_rule_cache_update AFTER UPDATE ON product_attributes WHEN (SELECT tracking FROM rule_cache_tracking)
BEGIN INSERT INTO rule_cache_mark VALUES (old.product_id), (new.product_id); END;
CREATE TRIGGER product_attributes_rule_cache_delete AFTER DELETE ON product_attributes WHEN (SELECT tracking FROM rule_cache_tracking)
BEGIN INSERT INTO rule_cache_mark VALUES (old.product_id); END;

CREATE TRIGGER product_categories_rule_cache_insert AFTER INSERT ON product_categories WHEN (SELECT tracking FROM rule_cache_tracking)
BEGIN INSERT INTO rule_cache_mark VALUES (new.product_id); END;
CREATE TRIGGER product_categories_rule_cache_update AFTER UPDATE ON product_categories WHEN (SELECT tracking FROM rule_cache_tracking)
BEGIN INSERT INTO rule_cache_mark VALUES (old.product_id), (new.product_id); END;
CREATE TRIGGER product_categories_rule_cache_delete AFTER DELETE ON product_categories WHEN (SELECT tracking FROM rule_cache_tracking)
BEGIN INSERT INTO rule_cache_mark VALUES (old.product_id); END;

CREATE TRIGGER product_websites_rule_cache_insert AFTER INSERT ON product_websites WHEN (SELECT tracking FROM rule_cache_tracking)
BEGIN INSERT INTO rule_cache_mark VALUES (new.product_id); END;
CREATE TRIGGER product_websites_rule_cache_delete AFTER DELETE ON product_websites WHEN (SELECT tracking FROM rule_cache_tracking)
BEGIN INSERT INTO rule_cache_mark VALUES (old.product_id); END;

-- Rules name categories by id or path and include the categories below: the compiled SQL
-- lists category ids, so any category change recompiles (generation). A moved or renamed
-- category also changes "category is C (or below)" for the products under it: rebuild. (A new
-- category holds no products yet; CategoryRepository sets a new category's path right after
-- inserting it, from ''.)
CREATE TRIGGER categories_rule_cache_insert AFTER INSERT ON categories
BEGIN UPDATE rule_cache_state SET generation = generation + 1 WHERE id = 1; END;

CREATE TRIGGER categories_rule_cache_update AFTER UPDATE OF parent_id, path, name_path ON categories
BEGIN
    UPDATE rule_cache_state SET generation = generation + 1,
        full_rebuild = CASE WHEN old.path <> '' AND (old.path IS NOT new.path OR old.name_path IS NOT new.name_path
                                                    OR old.parent_id IS NOT new.parent_id) THEN 1 ELSE full_rebuild END
    WHERE id = 1;
END;

CREATE TRIGGER categories_rule_cache_delete AFTER DELETE ON categories
BEGIN UPDATE rule_cache_state SET generation = generation + 1, full_rebuild = 1 WHERE id = 1; END;

-- Displayability is per store: a new store has no lists, a changed one has wrong ones.
CREATE TRIGGER stores_rule_cache_insert AFTER INSERT ON stores
BEGIN UPDATE rule_cache_state SET full_rebuild = 1 WHERE id = 1 AND full_rebuild = 0; END;

CREATE TRIGGER stores_rule_cache_update AFTER UPDATE OF website_id, show_out_of_stock ON stores
WHEN old.website_id IS NOT new.website_id OR old.show_out_of_stock IS NOT new.show_out_of_stock
BEGIN UPDATE rule_cache_state SET full_rebuild = 1 WHERE id = 1 AND full_rebuild = 0; END;

-- A changed attribute type compiles to other SQL: recompile, rebuild.
CREATE TRIGGER attributes_rule_cache_update AFTER UPDATE OF code, type ON attributes
WHEN old.code IS NOT new.code OR old.type IS NOT new.type
BEGIN UPDATE rule_cache_state SET full_rebuild = 1, generation = generation + 1 WHERE id = 1; END;

CREATE TRIGGER attributes_rule_cache_delete AFTER DELETE ON attributes
BEGIN UPDATE rule_cache_state SET full_rebuild = 1, generation = generation + 1 WHERE id = 1; END;

-- A rule's results depend on its trees and limit; name, priority, dates, segments and the
-- active flag are applied when a placement is served, so they keep its cached results.
CREATE TRIGGER rules_rule_cache_insert AFTER INSERT ON rules
BEGIN UPDATE rule_cache_state SET generation = generation + 1 WHERE id = 1; END;

CREATE TRIGGER rules_rule_cache_update AFTER UPDATE OF applies_to, result_limit, match_conditions, display_conditions ON rules
WHEN old.applies_to IS NOT new.applies_to OR old.result_limit IS NOT new.result_limit
  OR old.match_conditions IS NOT new.match_conditions OR old.display_conditions IS NOT new.display_conditions
BEGIN
    UPDATE rule_cache_state SET generation = generation + 1 WHERE id = 1;
    DELETE FROM rule_lists WHERE rule_id = new.rule_id;
    DELETE FROM rule_cache_rules WHERE rule_id = new.rule_id;
END;

CREATE TRIGGER rules_rule_cache_delete AFTER DELETE ON rules
BEGIN UPDATE rule_cache_state SET generation = generation + 1 WHERE id = 1; END;
