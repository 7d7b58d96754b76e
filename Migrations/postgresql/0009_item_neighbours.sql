-- 0009_item_neighbours (PostgreSQL 15): per product, its most similar products by visitor behaviour — the
-- item–item similarity that "recommended for you" expands a visitor's history through —
-- computed from the live co-occurrence window by ItemNeighbours.refresh()
-- (`crosslink aggregates neighbours --refresh`).
--
-- Why materialise it: computed per request, recommended for you reads every pair row of
-- every history product (≈ 1,500 for a visitor with 16 products) and both products' bases
-- per pair, and sums them: about 1 ms. A visitor's history changes with every click and is
-- read live; the similarity between two products changes slowly, so it is computed for all
-- products at once and served for a bounded time (max_lag_hours below), the way item-to-item
-- recommenders keep a neighbour model.
--
-- similarity(p, o) = Σ over the co-occurrence kinds of together / √(base × other_base):
-- the cosine similarity of `recs_cooccurrence` (same counts, same minimum support) summed over
-- viewed-viewed, viewed-bought and bought-bought — exactly what the live query sums per pair.
-- Derived data: no foreign keys (rebuilt from the aggregates; a deleted product drops out when
-- serving, which joins displayability).

-- One row per store and product with at least one supported pair: its `list_length` most
-- similar products (by default all of them), most similar first, as a JSON array of
--   [other_id, similarity, best, kind_id, together]
-- where best is the largest single-kind term of the sum, kind_id and together that term's
-- kind and count (the reason a recommendation quotes); reals with 9 significant digits.
-- A list rather than one row per neighbour: serving reads a visitor's 16 lists as 16 rows,
-- not 500 (`item_neighbour_list` shows them as rows) — as true of PostgreSQL's heap as of
-- SQLite's B-tree. jsonb rather than SQLite's JSON text: PostgreSQL stores it parsed (the SQL
-- that expands a list, jsonb_array_elements, reads it without parsing text; numbers keep the 9
-- digits written) and refuses a malformed list when it is written, not when it is served;
-- a list over ≈ 2 KB is compressed out of line (TOAST) and read back with the row. Read as text,
-- jsonb is written with a space after each comma (`[[12, 0.5, 0.5, 3, 7]]`). list_key
-- (store_id × 2^32 + product_id) is kept as the key, though PostgreSQL gains nothing from a
-- rowid-like key, so that the same lookups (`WHERE list_key = ?`) run on both engines.
-- Only products still in the catalog have a list.
CREATE TABLE item_neighbours (
    list_key    bigint PRIMARY KEY CHECK (list_key = store_id * 4294967296 + product_id),
    store_id    bigint NOT NULL,
    product_id  bigint NOT NULL CHECK (product_id BETWEEN 1 AND 4294967295),
    neighbours  jsonb NOT NULL CHECK (jsonb_typeof(neighbours) = 'array')
);
COMMENT ON TABLE item_neighbours IS 'Per store and product: its most similar products by behaviour, as a jsonb array';

-- One row. built_last_at: aggregate_state.last_at when the lists were computed (NULL: never).
-- The lists are served while the aggregated log has moved on by at most max_lag_hours of event
-- time since; after that, or when NULL, recommended for you computes the similarity per
-- request from the live windows. A rebuild or a change of the pair settings refreshes lists
-- that exist (Aggregates), so they never mix old settings with new ones.
CREATE TABLE item_neighbour_state (
    state_id       bigint PRIMARY KEY CHECK (state_id = 1),
    -- Neighbours kept per product. The default keeps every partner of every product of the
    -- shipped Online Retail log (its most connected product has 2,578): the lists are then
    -- exact; a shorter list drops the weakest similarities, trading exactness for size and speed.
    list_length    bigint NOT NULL DEFAULT 10000 CHECK (list_length BETWEEN 1 AND 100000),
    max_lag_hours  double precision NOT NULL DEFAULT 24 CHECK (max_lag_hours >= 0),
    built_last_at  bigint,
    refreshed_at   text COLLATE "C",                   -- wall-clock time of the last refresh (ISO 8601, UTC)
    -- A random number replaced by every refresh and every hand edit of a list: processes keep
    -- parsed lists in memory under it (NeighbourListCache), so a changed list is never read stale.
    lists_version  bigint NOT NULL DEFAULT 0
);
INSERT INTO item_neighbour_state(state_id) VALUES (1);
COMMENT ON TABLE item_neighbour_state IS 'Item neighbour list settings, build time and version (one row)';

-- random() is a double in [0, 1) here (SQLite: a 64-bit integer): scaled to a 62-bit integer.
CREATE FUNCTION item_neighbours_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE item_neighbour_state SET lists_version = floor(random() * 4611686018427387904)::bigint WHERE state_id = 1;
    RETURN NULL;
END $$;
CREATE TRIGGER item_neighbours_update AFTER UPDATE ON item_neighbours
FOR EACH ROW EXECUTE FUNCTION item_neighbours_update();

-- The lists as rows, for reading:
--   SELECT rank, neighbour_sku, round(similarity::numeric, 4), strongest_kind, together
--   FROM item_neighbour_list WHERE store = 'default' AND sku = 'REC-00017' ORDER BY rank LIMIT 10;
CREATE VIEW item_neighbour_list AS
SELECT s.code AS store, p.sku, j.ordinality AS rank, o.sku AS neighbour_sku, (j.value ->> 1)::double precision AS similarity,
       k.code AS strongest_kind, (j.value ->> 4)::bigint AS together, (j.value ->> 2)::double precision AS strongest_term,
       n.store_id, n.product_id, (j.value ->> 0)::bigint AS neighbour_id
FROM item_neighbours AS n
JOIN stores AS s ON s.store_id = n.store_id
JOIN products AS p ON p.product_id = n.product_id
CROSS JOIN LATERAL jsonb_array_elements(n.neighbours) WITH ORDINALITY AS j(value, ordinality)
JOIN products AS o ON o.product_id = (j.value ->> 0)::bigint
JOIN cooccurrence_kinds AS k ON k.kind_id = (j.value ->> 3)::bigint;

UPDATE crosslink_database SET user_version = 9 WHERE database_id = 1;
