-- 0007_similar_products: recommendation lists materialised for speed — "more like this"
-- (first) and the conversion top lists (at the end).
--
-- "More like this": per product, its most similar catalog-visible products by the content
-- score of RecommendationSQL.moreLikeThis (Σ idf of the shared categories below the root,
-- attribute values and name words), so that the recommendation is an index lookup joined to
-- displayability.
--
-- The score's idf depends on the whole catalog (product count, each feature's product
-- count), so any change of a product's features, of the product set or of a visibility can
-- move any list: the triggers below mark the lists stale (`similar_state.dirty`) and the
-- query then computes the live answer instead, until `SimilarProducts(db).refresh()`
-- (`crosslink similar refresh`) rebuilds them. Prices, stock, status and websites do not
-- enter the score: displayability is joined when serving.

-- One row: whether the lists match the catalog, and how they were built.
CREATE TABLE similar_state (
    state_id     INTEGER PRIMARY KEY CHECK (state_id = 1),
    dirty        INTEGER NOT NULL DEFAULT 1 CHECK (dirty IN (0, 1)),   -- 1: never built, or the catalog changed since
    list_length  INTEGER NOT NULL DEFAULT 40 CHECK (list_length BETWEEN 1 AND 1000),
    refreshed_at TEXT
) STRICT;
INSERT INTO similar_state(state_id) VALUES (1);

-- Per product: how many candidates it has at all; `truncated` = 1 when more than the list
-- holds (a request the list cannot fill then falls back to the live query).
CREATE TABLE similar_lists (
    product_id  INTEGER PRIMARY KEY REFERENCES products(product_id) ON DELETE CASCADE,
    candidates  INTEGER NOT NULL,
    truncated   INTEGER NOT NULL CHECK (truncated IN (0, 1))
) STRICT;

-- The lists: rank 1 is the most similar (score descending, then SKU as the query orders);
-- candidates are products visible in the catalog (visibility 2 or 4), never the product itself;
-- `shared` counts the matching features.
CREATE TABLE similar_products (
    product_id  INTEGER NOT NULL REFERENCES products(product_id) ON DELETE CASCADE,
    rank        INTEGER NOT NULL,
    other_id    INTEGER NOT NULL,
    score       REAL NOT NULL,
    shared      INTEGER NOT NULL,
    PRIMARY KEY (product_id, rank)
) STRICT, WITHOUT ROWID;

-- The lists with SKUs, for reading with the sqlite3 CLI:
--   SELECT rank, similar_sku, round(score, 3) FROM similar_product_list WHERE sku = 'MH01' ORDER BY rank;
CREATE VIEW similar_product_list AS
SELECT p.sku, s.rank, o.sku AS similar_sku, o.name, s.score, s.shared, (SELECT dirty FROM similar_state) AS stale
FROM similar_products AS s
JOIN products AS p ON p.product_id = s.product_id
JOIN products AS o ON o.product_id = s.other_id;

-- Change tracking: one cheap write per statement at most (WHERE dirty = 0).
CREATE TRIGGER products_similar_insert AFTER INSERT ON products
BEGIN UPDATE similar_state SET dirty = 1 WHERE dirty = 0; END;
CREATE TRIGGER products_similar_delete AFTER DELETE ON products
BEGIN UPDATE similar_state SET dirty = 1 WHERE dirty = 0; END;
CREATE TRIGGER products_similar_update AFTER UPDATE OF sku, visibility ON products
WHEN old.sku IS NOT new.sku OR old.visibility IS NOT new.visibility
BEGIN UPDATE similar_state SET dirty = 1 WHERE dirty = 0; END;

CREATE TRIGGER product_words_similar_insert AFTER INSERT ON product_words
BEGIN UPDATE similar_state SET dirty = 1 WHERE dirty = 0; END;
CREATE TRIGGER product_words_similar_delete AFTER DELETE ON product_words
BEGIN UPDATE similar_state SET dirty = 1 WHERE dirty = 0; END;

CREATE TRIGGER product_categories_similar_insert AFTER INSERT ON product_categories
BEGIN UPDATE similar_state SET dirty = 1 WHERE dirty = 0; END;
CREATE TRIGGER product_categories_similar_delete AFTER DELETE ON product_categories
BEGIN UPDATE similar_state SET dirty = 1 WHERE dirty = 0; END;
CREATE TRIGGER product_categories_similar_update AFTER UPDATE OF category_id, product_id ON product_categories
WHEN old.category_id IS NOT new.category_id OR old.product_id IS NOT new.product_id
BEGIN UPDATE similar_state SET dirty = 1 WHERE dirty = 0; END;

CREATE TRIGGER product_attributes_similar_insert AFTER INSERT ON product_attributes
BEGIN UPDATE similar_state SET dirty = 1 WHERE dirty = 0; END;
CREATE TRIGGER product_attributes_similar_delete AFTER DELETE ON product_attributes
BEGIN UPDATE similar_state SET dirty = 1 WHERE dirty = 0; END;
CREATE TRIGGER product_attributes_similar_update AFTER UPDATE OF product_id, attribute_id, value ON product_attributes
WHEN old.product_id IS NOT new.product_id OR old.attribute_id IS NOT new.attribute_id OR old.value IS NOT new.value
BEGIN UPDATE similar_state SET dirty = 1 WHERE dirty = 0; END;

-- Only categories below the root count (level > 0); deletions cascade to product_categories.
CREATE TRIGGER categories_similar_update AFTER UPDATE OF level ON categories
WHEN old.level IS NOT new.level
BEGIN UPDATE similar_state SET dirty = 1 WHERE dirty = 0; END;
CREATE TRIGGER categories_similar_delete AFTER DELETE ON categories
BEGIN UPDATE similar_state SET dirty = 1 WHERE dirty = 0; END;
CREATE TRIGGER attributes_similar_delete AFTER DELETE ON attributes
BEGIN UPDATE similar_state SET dirty = 1 WHERE dirty = 0; END;

-- View→cart (metric 1) and view→purchase (2) conversion: per store, the best products of the
-- popularity window by smoothed rate (see recs_conversion), in rank order (score descending,
-- then product id), recomputed by every aggregation (ingest, rebuild, configure) in its
-- transaction. The rate depends on the store's totals, so no index can order the live
-- window by it; the list can. `conversion_rank_state` records the totals and prior each list
-- was computed with: the query reads a list only when they equal the current ones.
CREATE TABLE conversion_rank_state (
    store_id    INTEGER NOT NULL,
    metric      INTEGER NOT NULL CHECK (metric IN (1, 2)),
    viewers     INTEGER NOT NULL,            -- store_windows (popularity) when computed
    converted   INTEGER NOT NULL,
    prior       REAL NOT NULL,               -- recommendation_settings.conversion_prior_views
    complete    INTEGER NOT NULL CHECK (complete IN (0, 1)),  -- 1: the list holds every converting product
    PRIMARY KEY (store_id, metric)
) STRICT, WITHOUT ROWID;

CREATE TABLE conversion_ranks (
    store_id    INTEGER NOT NULL,
    metric      INTEGER NOT NULL,
    rank        INTEGER NOT NULL,
    product_id  INTEGER NOT NULL,
    converted   INTEGER NOT NULL,
    viewers     INTEGER NOT NULL,
    score       REAL NOT NULL,
    PRIMARY KEY (store_id, metric, rank)
) STRICT, WITHOUT ROWID;
