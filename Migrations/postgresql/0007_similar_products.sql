-- 0007_similar_products (PostgreSQL 15): recommendation lists materialised for speed — "more
-- like this" (first) and the conversion top lists (at the end). The twin of
-- Migrations/0007_similar_products.sql.
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
    state_id     bigint PRIMARY KEY CHECK (state_id = 1),
    dirty        bigint NOT NULL DEFAULT 1 CHECK (dirty IN (0, 1)),   -- 1: never built, or the catalog changed since
    list_length  bigint NOT NULL DEFAULT 40 CHECK (list_length BETWEEN 1 AND 1000),
    refreshed_at text COLLATE "C"
);
COMMENT ON TABLE similar_state IS 'Whether the more-like-this lists match the catalog (one row)';
INSERT INTO similar_state(state_id) VALUES (1);

-- Per product: how many candidates it has at all; `truncated` = 1 when more than the list
-- holds (a request the list cannot fill then falls back to the live query).
CREATE TABLE similar_lists (
    product_id  bigint PRIMARY KEY REFERENCES products(product_id) ON DELETE CASCADE,
    candidates  bigint NOT NULL,
    truncated   bigint NOT NULL CHECK (truncated IN (0, 1))
);
COMMENT ON TABLE similar_lists IS 'Per product: candidates of its more-like-this list, and whether truncated';

-- The lists: rank 1 is the most similar (score descending, then SKU as the query orders);
-- candidates are products visible in the catalog (visibility 2 or 4), never the product itself;
-- `shared` counts the matching features.
CREATE TABLE similar_products (
    product_id  bigint NOT NULL REFERENCES products(product_id) ON DELETE CASCADE,
    rank        bigint NOT NULL,
    other_id    bigint NOT NULL,
    score       double precision NOT NULL,
    shared      bigint NOT NULL,
    PRIMARY KEY (product_id, rank)
);
COMMENT ON TABLE similar_products IS 'More-like-this lists by rank';

-- The lists with SKUs, for reading with psql:
--   SELECT rank, similar_sku, round(score, 3) FROM similar_product_list WHERE sku = 'MH01' ORDER BY rank;
CREATE VIEW similar_product_list AS
SELECT p.sku, s.rank, o.sku AS similar_sku, o.name, s.score, s.shared, (SELECT dirty FROM similar_state) AS stale
FROM similar_products AS s
JOIN products AS p ON p.product_id = s.product_id
JOIN products AS o ON o.product_id = s.other_id;

-- Change tracking: one cheap write per changed row at most (WHERE dirty = 0); one trigger
-- function serves every trigger, each keeping SQLite's name, columns and condition.
CREATE FUNCTION similar_state_mark_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE similar_state SET dirty = 1 WHERE dirty = 0;
    RETURN NULL;
END $$;
CREATE TRIGGER products_similar_insert AFTER INSERT ON products
FOR EACH ROW EXECUTE FUNCTION similar_state_mark_dirty();
CREATE TRIGGER products_similar_delete AFTER DELETE ON products
FOR EACH ROW EXECUTE FUNCTION similar_state_mark_dirty();
CREATE TRIGGER products_similar_update AFTER UPDATE OF sku, visibility ON products
FOR EACH ROW WHEN (OLD.sku IS DISTINCT FROM NEW.sku OR OLD.visibility IS DISTINCT FROM NEW.visibility)
EXECUTE FUNCTION similar_state_mark_dirty();

CREATE TRIGGER product_words_similar_insert AFTER INSERT ON product_words
FOR EACH ROW EXECUTE FUNCTION similar_state_mark_dirty();
CREATE TRIGGER product_words_similar_delete AFTER DELETE ON product_words
FOR EACH ROW EXECUTE FUNCTION similar_state_mark_dirty();

CREATE TRIGGER product_categories_similar_insert AFTER INSERT ON product_categories
FOR EACH ROW EXECUTE FUNCTION similar_state_mark_dirty();
CREATE TRIGGER product_categories_similar_delete AFTER DELETE ON product_categories
FOR EACH ROW EXECUTE FUNCTION similar_state_mark_dirty();
CREATE TRIGGER product_categories_similar_update AFTER UPDATE OF category_id, product_id ON product_categories
FOR EACH ROW WHEN (OLD.category_id IS DISTINCT FROM NEW.category_id OR OLD.product_id IS DISTINCT FROM NEW.product_id)
EXECUTE FUNCTION similar_state_mark_dirty();

CREATE TRIGGER product_attributes_similar_insert AFTER INSERT ON product_attributes
FOR EACH ROW EXECUTE FUNCTION similar_state_mark_dirty();
CREATE TRIGGER product_attributes_similar_delete AFTER DELETE ON product_attributes
FOR EACH ROW EXECUTE FUNCTION similar_state_mark_dirty();
CREATE TRIGGER product_attributes_similar_update AFTER UPDATE OF product_id, attribute_id, value ON product_attributes
FOR EACH ROW WHEN (OLD.product_id IS DISTINCT FROM NEW.product_id OR OLD.attribute_id IS DISTINCT FROM NEW.attribute_id
                   OR OLD.value IS DISTINCT FROM NEW.value)
EXECUTE FUNCTION similar_state_mark_dirty();

-- Only categories below the root count (level > 0); deletions cascade to product_categories.
CREATE TRIGGER categories_similar_update AFTER UPDATE OF level ON categories
FOR EACH ROW WHEN (OLD.level IS DISTINCT FROM NEW.level) EXECUTE FUNCTION similar_state_mark_dirty();
CREATE TRIGGER categories_similar_delete AFTER DELETE ON categories
FOR EACH ROW EXECUTE FUNCTION similar_state_mark_dirty();
CREATE TRIGGER attributes_similar_delete AFTER DELETE ON attributes
FOR EACH ROW EXECUTE FUNCTION similar_state_mark_dirty();

-- View→cart (metric 1) and view→purchase (2) conversion: per store, the best products of the
-- popularity window by smoothed rate (see recs_conversion), in rank order (score descending,
-- then product id), recomputed by every aggregation (ingest, rebuild, configure) in its
-- transaction. The rate depends on the store's totals, so no index can order the live
-- window by it; the list can. `conversion_rank_state` records the totals and prior each list
-- was computed with: the query reads a list only when they equal the current ones.
CREATE TABLE conversion_rank_state (
    store_id    bigint NOT NULL,
    metric      bigint NOT NULL CHECK (metric IN (1, 2)),
    viewers     bigint NOT NULL,            -- store_windows (popularity) when computed
    converted   bigint NOT NULL,
    prior       double precision NOT NULL,               -- recommendation_settings.conversion_prior_views
    complete    bigint NOT NULL CHECK (complete IN (0, 1)),  -- 1: the list holds every converting product
    PRIMARY KEY (store_id, metric)
);
COMMENT ON TABLE conversion_rank_state IS 'Totals and prior each conversion top list was computed with';

CREATE TABLE conversion_ranks (
    store_id    bigint NOT NULL,
    metric      bigint NOT NULL,
    rank        bigint NOT NULL,
    product_id  bigint NOT NULL,
    converted   bigint NOT NULL,
    viewers     bigint NOT NULL,
    score       double precision NOT NULL,
    PRIMARY KEY (store_id, metric, rank)
);
COMMENT ON TABLE conversion_ranks IS 'Conversion top lists per store and metric, by rank';

UPDATE crosslink_database SET user_version = 7 WHERE database_id = 1;
