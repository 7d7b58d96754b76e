-- 0010_pair_lists (PostgreSQL 15): bought-together counts stored as one list per product (and day) instead of
-- one row per pair; the view kinds keep a row per pair.
--
-- Why: an order of n products is n·(n−1) directed bought-together pairs, all arriving at once.
-- With a row per pair and day and per pair in the live window, the Online Retail log's 16,303
-- orders (22 lines on average) wrote 4.6 M history rows and as many window upserts, one B-tree
-- descent each: 92 % of its ingest-with-aggregation time. Ingest now groups a batch's pairs per
-- product and rewrites each touched list once per batch (≈ 32,000 list writes for that log).
-- Session pairs (viewed-viewed, viewed-bought) trickle in a view at a time: rewriting a
-- product's whole list for one or two new partners cost more than the rows (measured: the
-- generated 2 M-event log fell from 0.32× to 0.27× of raw C with every kind in lists), so they
-- stay rows.
--
-- Every count is `together`: the sessions or orders with both products, minus the cancelled
-- orders of both (bought-bought) — all any reader uses. A row or entry of 0 is not kept.
--
-- A list is a jsonb object {"other_id": together, …}. On SQLite it is JSON text in one
-- canonical form (keys ascending, no spaces) that the library merges byte by byte. Here jsonb,
-- what PostgreSQL does best for it: the object is stored parsed, so the views expand a list
-- (jsonb_each_text) without parsing text; a list that is not an object is refused when it is
-- written (the CHECK), so no malformed list is ever read; and jsonb's own order of keys (shorter
-- first, then bytewise) is ascending numeric order for product ids, so a list has one form
-- whatever order its entries were written in (a repeated key keeps the last value). The column
-- keeps SQLite's name and the table its shape, so the statements that select, insert, update
-- and delete a list by its key are the same on both engines; read as text, jsonb writes
-- `{"1": 2, "10": 3}` (a space after ':' and ','), which the library's list reader must accept,
-- and the rebuild builds lists with jsonb_object_agg where SQLite uses json_group_object.
-- Why lists and not rows here too: an order of n products is n·(n−1) row upserts, and each
-- PostgreSQL row costs a heap tuple (24 bytes of header, a new version per update, vacuum)
-- besides its index entry — more per pair than SQLite's B-tree cell. A product without pairs
-- has no list.
--
-- The views pair_days and pair_windows show every kind as rows (the lists through
-- jsonb_each_text), for psql and whole-table reads; the per-request queries read the kind's own table
-- (pair_window_rows, or pair_list_windows for bought-bought), which a lookup of one product
-- expands only for that product. Derived data: no foreign keys (`crosslink aggregates rebuild`
-- recomputes them).

-- Viewed-viewed (1, dated at the later first view) and viewed-bought (2, at the purchase):
-- per day, store, kind, product and partner.
CREATE TABLE pair_day_rows (
    day         bigint NOT NULL,
    store_id    bigint NOT NULL,
    kind_id     bigint NOT NULL CHECK (kind_id IN (1, 2)),
    product_id  bigint NOT NULL,
    other_id    bigint NOT NULL,
    together    bigint NOT NULL,
    PRIMARY KEY (day, store_id, kind_id, product_id, other_id)
);
COMMENT ON TABLE pair_day_rows IS 'Viewed-viewed and viewed-bought pair counts per day, one row per pair';

-- Live: pair_day_rows summed over the co-occurrence window that ends with the latest event.
CREATE TABLE pair_window_rows (
    store_id    bigint NOT NULL,
    kind_id     bigint NOT NULL CHECK (kind_id IN (1, 2)),
    product_id  bigint NOT NULL,
    other_id    bigint NOT NULL,
    together    bigint NOT NULL,
    PRIMARY KEY (store_id, kind_id, product_id, other_id)
);
COMMENT ON TABLE pair_window_rows IS 'pair_day_rows summed over the live co-occurrence window';

INSERT INTO pair_day_rows(day, store_id, kind_id, product_id, other_id, together)
SELECT day, store_id, kind_id, product_id, other_id, n - cancelled FROM pair_days WHERE kind_id IN (1, 2) AND n <> cancelled;
INSERT INTO pair_window_rows(store_id, kind_id, product_id, other_id, together)
SELECT store_id, kind_id, product_id, other_id, n - cancelled FROM pair_windows WHERE kind_id IN (1, 2) AND n <> cancelled;

-- Bought-bought (kind 3, dated at the order or cancellation): per day (UTC, occurred_at /
-- 86400000), store, kind and product, its partners' counts that day. Day first: ingest appends
-- mostly at the end, and a window move reads whole days.
CREATE TABLE pair_day_lists (
    day         bigint NOT NULL,
    store_id    bigint NOT NULL,
    kind_id     bigint NOT NULL CHECK (kind_id = 3),
    product_id  bigint NOT NULL,
    pairs       jsonb NOT NULL CHECK (jsonb_typeof(pairs) = 'object'),
    PRIMARY KEY (day, store_id, kind_id, product_id)
);
COMMENT ON TABLE pair_day_lists IS 'Bought-together counts per day and product, as a jsonb object {other_id: together}';

-- Live: pair_day_lists summed over the co-occurrence window that ends with the latest event.
CREATE TABLE pair_lists (
    store_id    bigint NOT NULL,
    kind_id     bigint NOT NULL CHECK (kind_id = 3),
    product_id  bigint NOT NULL,
    pairs       jsonb NOT NULL CHECK (jsonb_typeof(pairs) = 'object'),
    PRIMARY KEY (store_id, kind_id, product_id)
);
COMMENT ON TABLE pair_lists IS 'pair_day_lists summed over the live co-occurrence window';

INSERT INTO pair_day_lists(day, store_id, kind_id, product_id, pairs)
SELECT day, store_id, kind_id, product_id, jsonb_object_agg(other_id::text, n - cancelled)
FROM pair_days
WHERE kind_id = 3 AND n <> cancelled
GROUP BY day, store_id, kind_id, product_id;

INSERT INTO pair_lists(store_id, kind_id, product_id, pairs)
SELECT store_id, kind_id, product_id, jsonb_object_agg(other_id::text, n - cancelled)
FROM pair_windows
WHERE kind_id = 3 AND n <> cancelled
GROUP BY store_id, kind_id, product_id;

DROP VIEW recs_cooccurrence;
DROP TABLE pair_days;
DROP TABLE pair_windows;

-- The lists as rows: one per day (store, product) and partner, and per partner in the window.
CREATE VIEW pair_list_days AS
SELECT l.day, l.store_id, l.kind_id, l.product_id, e.key::bigint AS other_id, e.value::bigint AS together
FROM pair_day_lists AS l CROSS JOIN LATERAL jsonb_each_text(l.pairs) AS e;

CREATE VIEW pair_list_windows AS
SELECT l.store_id, l.kind_id, l.product_id, e.key::bigint AS other_id, e.value::bigint AS together
FROM pair_lists AS l CROSS JOIN LATERAL jsonb_each_text(l.pairs) AS e;

-- Every kind, one row per pair (for the CLI and whole-table reads):
--   SELECT day, other_id, together FROM pair_days WHERE store_id = 1 AND kind_id = 3 AND product_id = 42;
--   SELECT other_id, together FROM pair_windows WHERE store_id = 1 AND kind_id = 3 AND product_id = 42
--   ORDER BY together DESC LIMIT 10;
CREATE VIEW pair_days AS
SELECT day, store_id, kind_id, product_id, other_id, together FROM pair_day_rows
UNION ALL
SELECT day, store_id, kind_id, product_id, other_id, together FROM pair_list_days;

CREATE VIEW pair_windows AS
SELECT store_id, kind_id, product_id, other_id, together FROM pair_window_rows
UNION ALL
SELECT store_id, kind_id, product_id, other_id, together FROM pair_list_windows;

-- As in 0004_aggregates.sql (see the comment there; double precision as there), reading `together`. Two arms, the rows
-- (viewed-*) and the lists (bought-bought): a filter on the view's columns (store, kind, sku)
-- is pushed into each arm, which then looks up one product's pairs.
--   SELECT recommended_sku, together, round(lift::numeric, 2), round(score::numeric, 3) FROM recs_cooccurrence
--   WHERE store = 'default' AND kind = 'bought-bought' AND sku = '85123A'
--   ORDER BY score DESC, recommended_sku LIMIT 5;
CREATE VIEW recs_cooccurrence AS
SELECT k.code AS kind, s.code AS store, a.sku, d.sku AS recommended_sku, d.name, x.together, x.base, x.other_base, x.total,
       x.together::double precision * x.total / (x.base * x.other_base) AS lift,
       (x.together + x.prior) / (x.base::double precision * x.other_base / x.total + x.prior) AS score,
       d.final_price, x.product_id, x.other_id, x.kind_id, x.store_id
FROM (
    SELECT pw.store_id, pw.kind_id, pw.product_id, pw.other_id, pw.together,
           CASE pw.kind_id WHEN 3 THEN wa.orders - wa.cancelled_orders ELSE wa.co_viewers END AS base,
           CASE pw.kind_id WHEN 1 THEN wb.co_viewers WHEN 2 THEN wb.co_buyers ELSE wb.orders - wb.cancelled_orders END AS other_base,
           CASE pw.kind_id WHEN 3 THEN sw.orders - sw.cancelled_orders ELSE sw.co_sessions END AS total,
           (SELECT lift_prior FROM recommendation_settings) AS prior
    FROM pair_window_rows AS pw
    JOIN product_windows AS wa ON wa.store_id = pw.store_id AND wa.window_id = 2 AND wa.product_id = pw.product_id
    JOIN product_windows AS wb ON wb.store_id = pw.store_id AND wb.window_id = 2 AND wb.product_id = pw.other_id
    JOIN store_windows AS sw ON sw.store_id = pw.store_id AND sw.window_id = 2
    WHERE pw.together >= CASE pw.kind_id WHEN 3 THEN (SELECT minimum_support FROM recommendation_settings) ELSE (SELECT minimum_view_support FROM recommendation_settings) END
) AS x
JOIN cooccurrence_kinds AS k ON k.kind_id = x.kind_id
JOIN stores AS s ON s.store_id = x.store_id
JOIN products AS a ON a.product_id = x.product_id
JOIN displayable_products AS d ON d.store_id = x.store_id AND d.product_id = x.other_id
WHERE x.base > 0 AND x.other_base > 0 AND x.total > 0
UNION ALL
SELECT k.code AS kind, s.code AS store, a.sku, d.sku AS recommended_sku, d.name, x.together, x.base, x.other_base, x.total,
       x.together::double precision * x.total / (x.base * x.other_base) AS lift,
       (x.together + x.prior) / (x.base::double precision * x.other_base / x.total + x.prior) AS score,
       d.final_price, x.product_id, x.other_id, x.kind_id, x.store_id
FROM (
    SELECT pw.store_id, pw.kind_id, pw.product_id, pw.other_id, pw.together,
           CASE pw.kind_id WHEN 3 THEN wa.orders - wa.cancelled_orders ELSE wa.co_viewers END AS base,
           CASE pw.kind_id WHEN 1 THEN wb.co_viewers WHEN 2 THEN wb.co_buyers ELSE wb.orders - wb.cancelled_orders END AS other_base,
           CASE pw.kind_id WHEN 3 THEN sw.orders - sw.cancelled_orders ELSE sw.co_sessions END AS total,
           (SELECT lift_prior FROM recommendation_settings) AS prior
    FROM pair_list_windows AS pw
    JOIN product_windows AS wa ON wa.store_id = pw.store_id AND wa.window_id = 2 AND wa.product_id = pw.product_id
    JOIN product_windows AS wb ON wb.store_id = pw.store_id AND wb.window_id = 2 AND wb.product_id = pw.other_id
    JOIN store_windows AS sw ON sw.store_id = pw.store_id AND sw.window_id = 2
    WHERE pw.together >= CASE pw.kind_id WHEN 3 THEN (SELECT minimum_support FROM recommendation_settings) ELSE (SELECT minimum_view_support FROM recommendation_settings) END
) AS x
JOIN cooccurrence_kinds AS k ON k.kind_id = x.kind_id
JOIN stores AS s ON s.store_id = x.store_id
JOIN products AS a ON a.product_id = x.product_id
JOIN displayable_products AS d ON d.store_id = x.store_id AND d.product_id = x.other_id
WHERE x.base > 0 AND x.other_base > 0 AND x.total > 0;

UPDATE crosslink_database SET user_version = 10 WHERE database_id = 1;
