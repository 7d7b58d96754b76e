-- 0010_pair_lists: bought-together counts stored as one list per product (and day) instead of
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
-- A list is a JSON object {"other_id": together, …}, keys in ascending numeric order, no spaces:
-- exactly what json_group_object writes from rows ordered by other_id, so the incremental path
-- (Swift) and the rebuild (SQL) leave the same text. A product without pairs has no list.
--
-- The views pair_days and pair_windows show every kind as rows (the lists through json_each),
-- for the sqlite3 CLI and whole-table reads; the per-request queries read the kind's own table
-- (pair_window_rows, or pair_list_windows for bought-bought), which a lookup of one product
-- expands only for that product. Derived data: no foreign keys (`crosslink aggregates rebuild`
-- recomputes them).

-- Viewed-viewed (1, dated at the later first view) and viewed-bought (2, at the purchase):
-- per day, store, kind, product and partner.
CREATE TABLE pair_day_rows (
    day         INTEGER NOT NULL,
    store_id    INTEGER NOT NULL,
    kind_id     INTEGER NOT NULL CHECK (kind_id IN (1, 2)),
    product_id  INTEGER NOT NULL,
    other_id    INTEGER NOT NULL,
    together    INTEGER NOT NULL,
    PRIMARY KEY (day, store_id, kind_id, product_id, other_id)
) STRICT, WITHOUT ROWID;

-- Live: pair_day_rows summed over the co-occurrence window that ends with the latest event.
CREATE TABLE pair_window_rows (
    store_id    INTEGER NOT NULL,
    kind_id     INTEGER NOT NULL CHECK (kind_id IN (1, 2)),
    product_id  INTEGER NOT NULL,
    other_id    INTEGER NOT NULL,
    together    INTEGER NOT NULL,
    PRIMARY KEY (store_id, kind_id, product_id, other_id)
) STRICT, WITHOUT ROWID;

INSERT INTO pair_day_rows(day, store_id, kind_id, product_id, other_id, together)
SELECT day, store_id, kind_id, product_id, other_id, n - cancelled FROM pair_days WHERE kind_id IN (1, 2) AND n <> cancelled;
INSERT INTO pair_window_rows(store_id, kind_id, product_id, other_id, together)
SELECT store_id, kind_id, product_id, other_id, n - cancelled FROM pair_windows WHERE kind_id IN (1, 2) AND n <> cancelled;

-- Bought-bought (kind 3, dated at the order or cancellation): per day (UTC, occurred_at /
-- 86400000), store, kind and product, its partners' counts that day. Day first: ingest appends
-- mostly at the end, and a window move reads whole days.
CREATE TABLE pair_day_lists (
    day         INTEGER NOT NULL,
    store_id    INTEGER NOT NULL,
    kind_id     INTEGER NOT NULL CHECK (kind_id = 3),
    product_id  INTEGER NOT NULL,
    pairs       TEXT NOT NULL,
    PRIMARY KEY (day, store_id, kind_id, product_id)
) STRICT, WITHOUT ROWID;

-- Live: pair_day_lists summed over the co-occurrence window that ends with the latest event.
CREATE TABLE pair_lists (
    store_id    INTEGER NOT NULL,
    kind_id     INTEGER NOT NULL CHECK (kind_id = 3),
    product_id  INTEGER NOT NULL,
    pairs       TEXT NOT NULL,
    PRIMARY KEY (store_id, kind_id, product_id)
) STRICT, WITHOUT ROWID;

INSERT INTO pair_day_lists(day, store_id, kind_id, product_id, pairs)
SELECT day, store_id, kind_id, product_id, json_group_object(other_id, together)
FROM (SELECT day, store_id, kind_id, product_id, other_id, n - cancelled AS together FROM pair_days
      WHERE kind_id = 3 AND n <> cancelled ORDER BY day, store_id, kind_id, product_id, other_id)
GROUP BY day, store_id, kind_id, product_id;

INSERT INTO pair_lists(store_id, kind_id, product_id, pairs)
SELECT store_id, kind_id, product_id, json_group_object(other_id, together)
FROM (SELECT store_id, kind_id, product_id, other_id, n - cancelled AS together FROM pair_windows
      WHERE kind_id = 3 AND n <> cancelled ORDER BY store_id, kind_id, product_id, other_id)
GROUP BY store_id, kind_id, product_id;

DROP VIEW recs_cooccurrence;
DROP TABLE pair_days;
DROP TABLE pair_windows;

-- The lists as rows: one per day (store, product) and partner, and per partner in the window.
CREATE VIEW pair_list_days AS
SELECT l.day, l.store_id, l.kind_id, l.product_id, CAST(e.key AS INTEGER) AS other_id, e.value AS together
FROM pair_day_lists AS l, json_each(l.pairs) AS e;

CREATE VIEW pair_list_windows AS
SELECT l.store_id, l.kind_id, l.product_id, CAST(e.key AS INTEGER) AS other_id, e.value AS together
FROM pair_lists AS l, json_each(l.pairs) AS e;

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

-- As in 0004_aggregates.sql (see the comment there), reading `together`. Two arms, the rows
-- (viewed-*) and the lists (bought-bought): a filter on the view's columns (store, kind, sku)
-- is pushed into each arm, which then looks up one product's pairs.
--   SELECT recommended_sku, together, round(lift, 2), round(score, 3) FROM recs_cooccurrence
--   WHERE store = 'default' AND kind = 'bought-bought' AND sku = '85123A'
--   ORDER BY score DESC, recommended_sku LIMIT 5;
CREATE VIEW recs_cooccurrence AS
SELECT k.code AS kind, s.code AS store, a.sku, d.sku AS recommended_sku, d.name, x.together, x.base, x.other_base, x.total,
       x.together * 1.0 * x.total / (x.base * x.other_base) AS lift,
       (x.together + x.prior) / (x.base * 1.0 * x.other_base / x.total + x.prior) AS score,
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
CROSS JOIN displayable_products AS d ON d.store_id = x.store_id AND d.product_id = x.other_id
WHERE x.base > 0 AND x.other_base > 0 AND x.total > 0
UNION ALL
SELECT k.code AS kind, s.code AS store, a.sku, d.sku AS recommended_sku, d.name, x.together, x.base, x.other_base, x.total,
       x.together * 1.0 * x.total / (x.base * x.other_base) AS lift,
       (x.together + x.prior) / (x.base * 1.0 * x.other_base / x.total + x.prior) AS score,
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
CROSS JOIN displayable_products AS d ON d.store_id = x.store_id AND d.product_id = x.other_id
WHERE x.base > 0 AND x.other_base > 0 AND x.total > 0;
