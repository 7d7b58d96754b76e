-- 0004_aggregates: behavioural aggregates derived from the event log (0002), the catalog's
-- name index for "more like this", and the views that answer every recommendation type.
--
-- Everything here except the settings is derived data: `crosslink aggregates rebuild`
-- recomputes it from `events`/`event_lines` and the incremental path (Aggregates.apply, run
-- by ingest in its transaction) must leave the same rows. Times: `*_at` are Unix
-- milliseconds (UTC) as in `events`; a `day` is occurred_at / 86400000, an `hour`
-- occurred_at / 3600000 (UTC buckets). Product ids are *rolled up*: a configurable child
-- counts as its parent (view `product_rollup`).
--
-- History tables (per bucket, keyed by the bucket first: new events append, and a window is a
-- key range) answer point-in-time questions; the live `*_windows` tables hold
-- the sums over the current windows — the windows ending with the latest event's bucket — so
-- that a recommendation is an index lookup. Rows whose counters are all zero are deleted.
-- No foreign keys: rows are rebuilt from the log, and a key on products would make every
-- product delete scan these large tables.

-- The windows, thresholds and priors. One row. Defaults: the offline-evaluation grid's winners on
-- the shipped log (spec §5's values: RecommendationSettings.specification, `aggregates configure --spec`). Changing a window or
-- max_basket_products needs a rebuild (Aggregates.configure does it); the rest only ranks.
CREATE TABLE recommendation_settings (
    settings_id                INTEGER PRIMARY KEY CHECK (settings_id = 1),
    popularity_days            INTEGER NOT NULL DEFAULT 14 CHECK (popularity_days > 0),
    trending_foreground_hours  INTEGER NOT NULL DEFAULT 24 CHECK (trending_foreground_hours > 0),
    trending_background_hours  INTEGER NOT NULL DEFAULT 72 CHECK (trending_background_hours > 0),
    cooccurrence_days          INTEGER NOT NULL DEFAULT 365 CHECK (cooccurrence_days > 0),
    -- Sessions and orders with more products than this (wholesale baskets, crawlers) give no
    -- co-occurrence evidence; they still count for popularity.
    max_basket_products        INTEGER NOT NULL DEFAULT 50 CHECK (max_basket_products > 1),
    -- Bought-together pairs seen in fewer orders than this are not recommended; viewed-viewed
    -- and viewed-bought pairs seen in fewer sessions than minimum_view_support (spec §5's 2: a
    -- purchases-only log cannot tune it, and at 1 every co-viewed pair enters the ranking).
    minimum_support            INTEGER NOT NULL DEFAULT 1 CHECK (minimum_support > 0),
    minimum_view_support       INTEGER NOT NULL DEFAULT 2 CHECK (minimum_view_support > 0),
    -- Co-occurrence ranking: (together + k) / (expected + k), k = lift_prior (see recs_cooccurrence).
    lift_prior                 REAL NOT NULL DEFAULT 1000000 CHECK (lift_prior >= 0),
    -- Conversion smoothing: (converted + prior_views * store_rate) / (viewers + prior_views).
    conversion_prior_views     REAL NOT NULL DEFAULT 20 CHECK (conversion_prior_views >= 0),
    -- Trending: at least this many viewing sessions in the foreground window.
    trending_minimum_viewers   INTEGER NOT NULL DEFAULT 3 CHECK (trending_minimum_viewers > 0),
    -- Recommended for you: recency half-life of the visitor's history, and how many of its
    -- most recent products seed the expansion.
    history_half_life_days     REAL NOT NULL DEFAULT 7 CHECK (history_half_life_days > 0),
    history_products           INTEGER NOT NULL DEFAULT 50 CHECK (history_products > 0)
) STRICT;
INSERT INTO recommendation_settings(settings_id) VALUES (1);

-- The span of the aggregated log. The live windows end with last_at's bucket.
CREATE TABLE aggregate_state (
    state_id  INTEGER PRIMARY KEY CHECK (state_id = 1),
    first_at  INTEGER,                         -- earliest event time (NULL: no events)
    last_at   INTEGER                          -- latest event time
) STRICT;
INSERT INTO aggregate_state(state_id) VALUES (1);

-- Live windows of product_windows / store_windows.
CREATE TABLE aggregate_windows (
    window_id  INTEGER PRIMARY KEY,
    code       TEXT NOT NULL UNIQUE
) STRICT;
INSERT INTO aggregate_windows(window_id, code) VALUES (1, 'popularity'), (2, 'cooccurrence');

-- Co-occurrence kinds of pair_days / pair_windows.
CREATE TABLE cooccurrence_kinds (
    kind_id  INTEGER PRIMARY KEY,
    code     TEXT NOT NULL UNIQUE
) STRICT;
INSERT INTO cooccurrence_kinds(kind_id, code) VALUES (1, 'viewed-viewed'), (2, 'viewed-bought'), (3, 'bought-bought');

-- Per session and product: the first time of each interaction. Distinct-session counts and
-- session co-occurrence are computed from it.
CREATE TABLE session_products (
    store_id            INTEGER NOT NULL,
    session_id          TEXT NOT NULL,
    product_id          INTEGER NOT NULL,
    first_viewed_at     INTEGER,               -- product-view
    first_carted_at     INTEGER,               -- add-to-cart
    first_bought_at     INTEGER,               -- a place-order line
    first_cancelled_at  INTEGER,               -- a cancel-order line
    PRIMARY KEY (store_id, session_id, product_id)
) STRICT, WITHOUT ROWID;

-- Per visitor and product: first and last view, add-to-cart and purchase (recently viewed,
-- recommended for you).
CREATE TABLE visitor_products (
    store_id         INTEGER NOT NULL,
    visitor_id       TEXT NOT NULL,
    product_id       INTEGER NOT NULL,
    first_viewed_at  INTEGER,
    last_viewed_at   INTEGER,
    first_carted_at  INTEGER,
    last_carted_at   INTEGER,
    first_bought_at  INTEGER,
    last_bought_at   INTEGER,
    PRIMARY KEY (store_id, visitor_id, product_id)
) STRICT, WITHOUT ROWID;

-- Per product and day. A session counts once per product and interaction, on the day of its
-- first such interaction. Cancellations are kept apart from what they cancel (net = ordered −
-- cancelled), so every counter only grows as events arrive.
CREATE TABLE product_days (
    store_id            INTEGER NOT NULL,
    day                 INTEGER NOT NULL,
    product_id          INTEGER NOT NULL,
    viewers             INTEGER NOT NULL DEFAULT 0,  -- sessions viewing
    carters             INTEGER NOT NULL DEFAULT 0,  -- sessions adding to cart
    buyers              INTEGER NOT NULL DEFAULT 0,  -- sessions buying
    cancellers          INTEGER NOT NULL DEFAULT 0,  -- sessions cancelling it (cancel-order)
    viewed_then_carted  INTEGER NOT NULL DEFAULT 0,  -- sessions whose first view precedes their first add-to-cart (dated at the cart)
    viewed_then_bought  INTEGER NOT NULL DEFAULT 0,  -- … precedes their first purchase (dated at the purchase)
    units               REAL NOT NULL DEFAULT 0,     -- units ordered (place-order lines)
    revenue_cents       INTEGER NOT NULL DEFAULT 0,  -- Σ round(quantity × price × 100) of those lines
    orders              INTEGER NOT NULL DEFAULT 0,  -- orders of 1…max_basket_products products containing it
    cancelled_units     REAL NOT NULL DEFAULT 0,     -- the same three for cancel-order events
    cancelled_revenue_cents INTEGER NOT NULL DEFAULT 0,
    cancelled_orders    INTEGER NOT NULL DEFAULT 0,
    co_viewers          INTEGER NOT NULL DEFAULT 0,  -- viewers among sessions of ≤ max_basket_products products
    co_buyers           INTEGER NOT NULL DEFAULT 0,  -- buyers among those sessions that viewed something
    PRIMARY KEY (day, store_id, product_id)
) STRICT, WITHOUT ROWID;

-- Viewing sessions per product and hour (trending).
CREATE TABLE product_hours (
    store_id    INTEGER NOT NULL,
    hour        INTEGER NOT NULL,
    product_id  INTEGER NOT NULL,
    viewers     INTEGER NOT NULL,
    PRIMARY KEY (hour, store_id, product_id)
) STRICT, WITHOUT ROWID;

-- Per store and day: the base rates. viewers / viewed_then_* are the sums of product_days;
-- co_sessions = sessions of ≤ max_basket_products products with a view (dated at their first
-- view); orders (cancelled_orders) = orders (cancellations) of 1…max_basket_products known products.
CREATE TABLE store_days (
    store_id            INTEGER NOT NULL,
    day                 INTEGER NOT NULL,
    viewers             INTEGER NOT NULL DEFAULT 0,
    viewed_then_carted  INTEGER NOT NULL DEFAULT 0,
    viewed_then_bought  INTEGER NOT NULL DEFAULT 0,
    co_sessions         INTEGER NOT NULL DEFAULT 0,
    orders              INTEGER NOT NULL DEFAULT 0,
    cancelled_orders    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, store_id)
) STRICT, WITHOUT ROWID;

-- Directed co-occurrence counts per day: sessions that viewed both (1, dated at the later first
-- view), sessions whose first view of product_id precedes their first purchase of other_id
-- (2, dated at the purchase), orders containing both (3; `cancelled`: cancel-orders of both).
CREATE TABLE pair_days (
    store_id    INTEGER NOT NULL,
    kind_id     INTEGER NOT NULL,
    day         INTEGER NOT NULL,
    product_id  INTEGER NOT NULL,
    other_id    INTEGER NOT NULL,
    n           INTEGER NOT NULL DEFAULT 0,
    cancelled   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, store_id, kind_id, product_id, other_id)
) STRICT, WITHOUT ROWID;

-- Live: product_days summed over the popularity window (1) and the co-occurrence window (2).
CREATE TABLE product_windows (
    store_id            INTEGER NOT NULL,
    window_id           INTEGER NOT NULL,
    product_id          INTEGER NOT NULL,
    viewers             INTEGER NOT NULL DEFAULT 0,
    carters             INTEGER NOT NULL DEFAULT 0,
    buyers              INTEGER NOT NULL DEFAULT 0,
    cancellers          INTEGER NOT NULL DEFAULT 0,
    viewed_then_carted  INTEGER NOT NULL DEFAULT 0,
    viewed_then_bought  INTEGER NOT NULL DEFAULT 0,
    units               REAL NOT NULL DEFAULT 0,
    revenue_cents       INTEGER NOT NULL DEFAULT 0,
    orders              INTEGER NOT NULL DEFAULT 0,
    cancelled_units     REAL NOT NULL DEFAULT 0,
    cancelled_revenue_cents INTEGER NOT NULL DEFAULT 0,
    cancelled_orders    INTEGER NOT NULL DEFAULT 0,
    co_viewers          INTEGER NOT NULL DEFAULT 0,
    co_buyers           INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (store_id, window_id, product_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX product_windows_store_id_viewers ON product_windows(store_id, viewers) WHERE window_id = 1;
CREATE INDEX product_windows_store_id_carters ON product_windows(store_id, carters) WHERE window_id = 1;
CREATE INDEX product_windows_store_id_net_buyers ON product_windows(store_id, (buyers - cancellers)) WHERE window_id = 1;

-- Live: store_days summed over the two windows.
CREATE TABLE store_windows (
    store_id            INTEGER NOT NULL,
    window_id           INTEGER NOT NULL,
    viewers             INTEGER NOT NULL DEFAULT 0,
    viewed_then_carted  INTEGER NOT NULL DEFAULT 0,
    viewed_then_bought  INTEGER NOT NULL DEFAULT 0,
    co_sessions         INTEGER NOT NULL DEFAULT 0,
    orders              INTEGER NOT NULL DEFAULT 0,
    cancelled_orders    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (store_id, window_id)
) STRICT, WITHOUT ROWID;

-- Live: pair_days summed over the co-occurrence window.
CREATE TABLE pair_windows (
    store_id    INTEGER NOT NULL,
    kind_id     INTEGER NOT NULL,
    product_id  INTEGER NOT NULL,
    other_id    INTEGER NOT NULL,
    n           INTEGER NOT NULL DEFAULT 0,
    cancelled   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (store_id, kind_id, product_id, other_id)
) STRICT, WITHOUT ROWID;

-- Live: viewing sessions in the trending foreground window (the last 24 h) and in the
-- background window before it (the 72 h before those).
CREATE TABLE trend_windows (
    store_id    INTEGER NOT NULL,
    product_id  INTEGER NOT NULL,
    foreground  INTEGER NOT NULL DEFAULT 0,
    background  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (store_id, product_id)
) STRICT, WITHOUT ROWID;
-- Growth order: (foreground / fg hours) / ((background + 1) / bg hours) ranks as this ratio.
CREATE INDEX trend_windows_store_id_ratio ON trend_windows(store_id, (foreground * 1.0 / (background + 1)));

-- The words of product names ("more like this"): lowercased runs of characters between
-- spaces and punctuation, at least 2 characters long. `product_name_words` computes them; the
-- triggers keep `product_words` (the inverted index) in step with `products`.
CREATE VIEW product_name_separated AS
SELECT product_id,
       replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
           lower(name), '\', ' '), '"', ' '), char(9), ' '), char(10), ' '), char(13), ' '), '-', ' '), ',', ' '),
           '.', ' '), '/', ' '), '(', ' '), ')', ' ') AS separated
FROM products;
CREATE VIEW product_name_words AS
SELECT s.product_id, w.value AS word
FROM product_name_separated AS s,
     json_each((SELECT CASE WHEN json_valid(words) THEN words ELSE '[]' END FROM (
         SELECT '["' || replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
             s.separated, '&', ' '), '+', ' '), ':', ' '), ';', ' '), '!', ' '), '?', ' '), '''', ' '), '[', ' '), ']', ' '),
             '*', ' '), '#', ' '), ' ', '","') || '"]' AS words))) AS w
WHERE length(w.value) >= 2;

-- Name words → products, kept in step with `products` by the triggers below.
CREATE TABLE product_words (
    word        TEXT NOT NULL,
    product_id  INTEGER NOT NULL REFERENCES products(product_id) ON DELETE CASCADE,
    PRIMARY KEY (word, product_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX product_words_product_id ON product_words(product_id);
INSERT OR IGNORE INTO product_words(word, product_id) SELECT word, product_id FROM product_name_words;
-- Bulk writes (0003's catalog_write_mode) skip these; the importer indexes its products' names
-- in one statement before it commits, with the same result. DISTINCT, not OR IGNORE, for a word
-- that occurs twice in a name: an upsert's conflict policy would override the trigger's.
CREATE TRIGGER products_words_insert AFTER INSERT ON products WHEN (SELECT bulk FROM catalog_write_mode) = 0 BEGIN
    INSERT INTO product_words(word, product_id) SELECT DISTINCT word, product_id FROM product_name_words WHERE product_id = new.product_id;
END;
CREATE TRIGGER products_words_update AFTER UPDATE OF name ON products
WHEN old.name IS NOT new.name AND (SELECT bulk FROM catalog_write_mode) = 0 BEGIN
    DELETE FROM product_words WHERE product_id = new.product_id;
    INSERT INTO product_words(word, product_id) SELECT DISTINCT word, product_id FROM product_name_words WHERE product_id = new.product_id;
END;

-- Each product and the product its events count for: the configurable parent of a child
-- (the lowest id when there are several), else itself.
CREATE VIEW product_rollup AS
SELECT p.product_id,
       coalesce((SELECT min(c.parent_id) FROM product_children AS c
                 JOIN products AS parent ON parent.product_id = c.parent_id AND parent.type = 'configurable'
                 WHERE c.child_id = p.product_id), p.product_id) AS rollup_id
FROM products AS p;

-- Most viewed / purchased / added to cart and the conversion counts over the live popularity
-- window (the last popularity_days days; 14 by default), displayable products only.
--   SELECT sku, viewers FROM recs_popular WHERE store = 'default' AND viewers > 0
--   ORDER BY viewers DESC, sku LIMIT 5;
CREATE VIEW recs_popular AS
SELECT d.store, d.sku, d.name, w.viewers, w.carters, w.buyers - w.cancellers AS net_buyers, w.units - w.cancelled_units AS units,
       (w.revenue_cents - w.cancelled_revenue_cents) / 100.0 AS revenue, w.buyers, w.cancellers, w.viewed_then_carted, w.viewed_then_bought,
       d.final_price, w.product_id, w.store_id
FROM product_windows AS w
CROSS JOIN displayable_products AS d ON d.store_id = w.store_id AND d.product_id = w.product_id
WHERE w.window_id = 1;

-- View→cart and view→purchase conversion over the popularity window, smoothed towards the
-- store's rate: (converted + k × store rate) / (viewers + k), k = conversion_prior_views.
--   SELECT sku, viewed_then_bought, viewers, purchase_score FROM recs_conversion
--   WHERE store = 'default' AND viewed_then_bought > 0 ORDER BY purchase_score DESC, sku LIMIT 5;
CREATE VIEW recs_conversion AS
SELECT p.store, p.sku, p.name, p.viewers, p.viewed_then_carted, p.viewed_then_bought,
       (p.viewed_then_carted + k.prior * coalesce(s.viewed_then_carted * 1.0 / nullif(s.viewers, 0), 0)) / (p.viewers + k.prior) AS cart_score,
       (p.viewed_then_bought + k.prior * coalesce(s.viewed_then_bought * 1.0 / nullif(s.viewers, 0), 0)) / (p.viewers + k.prior) AS purchase_score,
       p.final_price, p.product_id, p.store_id
FROM recs_popular AS p
JOIN store_windows AS s ON s.store_id = p.store_id AND s.window_id = 1
CROSS JOIN (SELECT conversion_prior_views AS prior FROM recommendation_settings) AS k
WHERE p.viewers > 0;

-- Trending: viewing sessions in the last 24 h against the product's own 72 h before, as
-- hourly rates: growth = (recent / 24) / ((background + 1) / 72). Only products with at least
-- trending_minimum_viewers recent sessions that grow (growth > 1), and only once the log
-- covers the background window.
--   SELECT sku, recent, background, growth FROM recs_trending WHERE store = 'default'
--   ORDER BY growth DESC, sku LIMIT 5;
CREATE VIEW recs_trending AS
SELECT d.store, d.sku, d.name, t.foreground AS recent, t.background,
       (t.foreground * 1.0 / k.trending_foreground_hours) / ((t.background + 1.0) / k.trending_background_hours) AS growth,
       d.final_price, t.product_id, t.store_id
FROM trend_windows AS t
CROSS JOIN recommendation_settings AS k
CROSS JOIN displayable_products AS d ON d.store_id = t.store_id AND d.product_id = t.product_id
WHERE t.foreground >= k.trending_minimum_viewers
  AND (t.foreground * 1.0 / k.trending_foreground_hours) > ((t.background + 1.0) / k.trending_background_hours)
  AND (SELECT first_at / 3600000 <= last_at / 3600000 - k.trending_foreground_hours - k.trending_background_hours + 1
       FROM aggregate_state);

-- Viewed this viewed that / viewed this bought that / bought this bought that over the live
-- co-occurrence window (cooccurrence_days: 365 by default, spec §5 6 months): `together`
-- sessions or orders, where base and other_base count the sessions viewing (viewed-*) or
-- buying (…-bought) each product, or the orders containing it, and total the sessions
-- (orders), cancellations deducted.
--   lift = together / expected, expected = base × other_base / total (the count if the two
--          products were independent);
--   score = (together + k) / (expected + k), k = lift_prior: the lift shrunk towards 1 by k
--          pseudo-observations, so a pair seen twice among rare products does not outrank one
--          seen 80 times at 6× the base rate (spec §5: k = 5). The default k = 1000000 gives
--          ≈ 1 + (together − expected) / k: ranking by the excess count over the base rate.
-- Pairs below the minimum support are left out: minimum_support for bought-bought (1 by default,
-- spec §5: 2), minimum_view_support for the view kinds (2).
--   SELECT recommended_sku, together, round(lift, 2), round(score, 3) FROM recs_cooccurrence
--   WHERE store = 'default' AND kind = 'bought-bought' AND sku = '85123A'
--   ORDER BY score DESC, recommended_sku LIMIT 5;
CREATE VIEW recs_cooccurrence AS
SELECT k.code AS kind, s.code AS store, a.sku, d.sku AS recommended_sku, d.name, x.together, x.base, x.other_base, x.total,
       x.together * 1.0 * x.total / (x.base * x.other_base) AS lift,
       (x.together + x.prior) / (x.base * 1.0 * x.other_base / x.total + x.prior) AS score,
       d.final_price, x.product_id, x.other_id, x.kind_id, x.store_id
FROM (
    SELECT pw.store_id, pw.kind_id, pw.product_id, pw.other_id, pw.n - pw.cancelled AS together,
           CASE pw.kind_id WHEN 3 THEN wa.orders - wa.cancelled_orders ELSE wa.co_viewers END AS base,
           CASE pw.kind_id WHEN 1 THEN wb.co_viewers WHEN 2 THEN wb.co_buyers ELSE wb.orders - wb.cancelled_orders END AS other_base,
           CASE pw.kind_id WHEN 3 THEN sw.orders - sw.cancelled_orders ELSE sw.co_sessions END AS total,
           (SELECT lift_prior FROM recommendation_settings) AS prior
    FROM pair_windows AS pw
    JOIN product_windows AS wa ON wa.store_id = pw.store_id AND wa.window_id = 2 AND wa.product_id = pw.product_id
    JOIN product_windows AS wb ON wb.store_id = pw.store_id AND wb.window_id = 2 AND wb.product_id = pw.other_id
    JOIN store_windows AS sw ON sw.store_id = pw.store_id AND sw.window_id = 2
    WHERE pw.n - pw.cancelled >= CASE pw.kind_id WHEN 3 THEN (SELECT minimum_support FROM recommendation_settings) ELSE (SELECT minimum_view_support FROM recommendation_settings) END
) AS x
JOIN cooccurrence_kinds AS k ON k.kind_id = x.kind_id
JOIN stores AS s ON s.store_id = x.store_id
JOIN products AS a ON a.product_id = x.product_id
CROSS JOIN displayable_products AS d ON d.store_id = x.store_id AND d.product_id = x.other_id
WHERE x.base > 0 AND x.other_base > 0 AND x.total > 0;

-- A visitor's viewed products, most recent first (displayable only).
--   SELECT sku, last_viewed FROM recs_recently_viewed WHERE store = 'default' AND visitor_id = 'v-42'
--   ORDER BY last_viewed_at DESC, sku LIMIT 5;
CREATE VIEW recs_recently_viewed AS
SELECT d.store, v.visitor_id, d.sku, d.name,
       strftime('%Y-%m-%dT%H:%M:%fZ', v.last_viewed_at / 1000.0, 'unixepoch') AS last_viewed,
       v.last_viewed_at, d.final_price, v.product_id, v.store_id
FROM visitor_products AS v
CROSS JOIN displayable_products AS d ON d.store_id = v.store_id AND d.product_id = v.product_id
WHERE v.last_viewed_at IS NOT NULL;
