-- 0004_aggregates (PostgreSQL 15): behavioural aggregates derived from the event log (0002),
-- the catalog's name index for "more like this", and the views that answer every
-- recommendation type. The twin of Migrations/0004_aggregates.sql. Views compute in double
-- precision where SQLite's `x * 1.0` turns integers into REAL (in PostgreSQL `1.0` is numeric),
-- so they round as SQLite does.
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
    settings_id                bigint PRIMARY KEY CHECK (settings_id = 1),
    popularity_days            bigint NOT NULL DEFAULT 14 CHECK (popularity_days > 0),
    trending_foreground_hours  bigint NOT NULL DEFAULT 24 CHECK (trending_foreground_hours > 0),
    trending_background_hours  bigint NOT NULL DEFAULT 72 CHECK (trending_background_hours > 0),
    cooccurrence_days          bigint NOT NULL DEFAULT 365 CHECK (cooccurrence_days > 0),
    -- Sessions and orders with more products than this (wholesale baskets, crawlers) give no
    -- co-occurrence evidence; they still count for popularity.
    max_basket_products        bigint NOT NULL DEFAULT 50 CHECK (max_basket_products > 1),
    -- Bought-together pairs seen in fewer orders than this are not recommended; viewed-viewed
    -- and viewed-bought pairs seen in fewer sessions than minimum_view_support (spec §5's 2: a
    -- purchases-only log cannot tune it, and at 1 every co-viewed pair enters the ranking).
    minimum_support            bigint NOT NULL DEFAULT 1 CHECK (minimum_support > 0),
    minimum_view_support       bigint NOT NULL DEFAULT 2 CHECK (minimum_view_support > 0),
    -- Co-occurrence ranking: (together + k) / (expected + k), k = lift_prior (see recs_cooccurrence).
    lift_prior                 double precision NOT NULL DEFAULT 1000000 CHECK (lift_prior >= 0),
    -- Conversion smoothing: (converted + prior_views * store_rate) / (viewers + prior_views).
    conversion_prior_views     double precision NOT NULL DEFAULT 20 CHECK (conversion_prior_views >= 0),
    -- Trending: at least this many viewing sessions in the foreground window.
    trending_minimum_viewers   bigint NOT NULL DEFAULT 3 CHECK (trending_minimum_viewers > 0),
    -- Recommended for you: recency half-life of the visitor's history, and how many of its
    -- most recent products seed the expansion.
    history_half_life_days     double precision NOT NULL DEFAULT 7 CHECK (history_half_life_days > 0),
    history_products           bigint NOT NULL DEFAULT 50 CHECK (history_products > 0)
);
INSERT INTO recommendation_settings(settings_id) VALUES (1);
COMMENT ON TABLE recommendation_settings IS 'Aggregation windows, thresholds and priors (one row)';

-- The span of the aggregated log. The live windows end with last_at's bucket.
CREATE TABLE aggregate_state (
    state_id  bigint PRIMARY KEY CHECK (state_id = 1),
    first_at  bigint,                         -- earliest event time (NULL: no events)
    last_at   bigint                          -- latest event time
);
INSERT INTO aggregate_state(state_id) VALUES (1);
COMMENT ON TABLE aggregate_state IS 'Span of the aggregated log (one row)';

-- Live windows of product_windows / store_windows.
CREATE TABLE aggregate_windows (
    window_id  bigint PRIMARY KEY,
    code       text COLLATE "C" NOT NULL UNIQUE
);
INSERT INTO aggregate_windows(window_id, code) VALUES (1, 'popularity'), (2, 'cooccurrence');
COMMENT ON TABLE aggregate_windows IS 'The live windows: popularity and co-occurrence';

-- Co-occurrence kinds of pair_days / pair_windows.
CREATE TABLE cooccurrence_kinds (
    kind_id  bigint PRIMARY KEY,
    code     text COLLATE "C" NOT NULL UNIQUE
);
INSERT INTO cooccurrence_kinds(kind_id, code) VALUES (1, 'viewed-viewed'), (2, 'viewed-bought'), (3, 'bought-bought');
COMMENT ON TABLE cooccurrence_kinds IS 'Co-occurrence kinds of the pair aggregates';

-- Per session and product: the first time of each interaction. Distinct-session counts and
-- session co-occurrence are computed from it.
CREATE TABLE session_products (
    store_id            bigint NOT NULL,
    session_id          text COLLATE "C" NOT NULL,
    product_id          bigint NOT NULL,
    first_viewed_at     bigint,               -- product-view
    first_carted_at     bigint,               -- add-to-cart
    first_bought_at     bigint,               -- a place-order line
    first_cancelled_at  bigint,               -- a cancel-order line
    PRIMARY KEY (store_id, session_id, product_id)
);
COMMENT ON TABLE session_products IS 'First interaction times per session and product';

-- Per visitor and product: first and last view, add-to-cart and purchase (recently viewed,
-- recommended for you).
CREATE TABLE visitor_products (
    store_id         bigint NOT NULL,
    visitor_id       text COLLATE "C" NOT NULL,
    product_id       bigint NOT NULL,
    first_viewed_at  bigint,
    last_viewed_at   bigint,
    first_carted_at  bigint,
    last_carted_at   bigint,
    first_bought_at  bigint,
    last_bought_at   bigint,
    PRIMARY KEY (store_id, visitor_id, product_id)
);
COMMENT ON TABLE visitor_products IS 'First and last interaction times per visitor and product';

-- Per product and day. A session counts once per product and interaction, on the day of its
-- first such interaction. Cancellations are kept apart from what they cancel (net = ordered −
-- cancelled), so every counter only grows as events arrive.
CREATE TABLE product_days (
    store_id            bigint NOT NULL,
    day                 bigint NOT NULL,
    product_id          bigint NOT NULL,
    viewers             bigint NOT NULL DEFAULT 0,  -- sessions viewing
    carters             bigint NOT NULL DEFAULT 0,  -- sessions adding to cart
    buyers              bigint NOT NULL DEFAULT 0,  -- sessions buying
    cancellers          bigint NOT NULL DEFAULT 0,  -- sessions cancelling it (cancel-order)
    viewed_then_carted  bigint NOT NULL DEFAULT 0,  -- sessions whose first view precedes their first add-to-cart (dated at the cart)
    viewed_then_bought  bigint NOT NULL DEFAULT 0,  -- … precedes their first purchase (dated at the purchase)
    units               double precision NOT NULL DEFAULT 0,     -- units ordered (place-order lines)
    revenue_cents       bigint NOT NULL DEFAULT 0,  -- Σ round(quantity × price × 100) of those lines
    orders              bigint NOT NULL DEFAULT 0,  -- orders of 1…max_basket_products products containing it
    cancelled_units     double precision NOT NULL DEFAULT 0,     -- the same three for cancel-order events
    cancelled_revenue_cents bigint NOT NULL DEFAULT 0,
    cancelled_orders    bigint NOT NULL DEFAULT 0,
    co_viewers          bigint NOT NULL DEFAULT 0,  -- viewers among sessions of ≤ max_basket_products products
    co_buyers           bigint NOT NULL DEFAULT 0,  -- buyers among those sessions that viewed something
    PRIMARY KEY (day, store_id, product_id)
);
COMMENT ON TABLE product_days IS 'Per product and UTC day: session counts, units, revenue, orders';

-- Viewing sessions per product and hour (trending).
CREATE TABLE product_hours (
    store_id    bigint NOT NULL,
    hour        bigint NOT NULL,
    product_id  bigint NOT NULL,
    viewers     bigint NOT NULL,
    PRIMARY KEY (hour, store_id, product_id)
);
COMMENT ON TABLE product_hours IS 'Viewing sessions per product and UTC hour';

-- Per store and day: the base rates. viewers / viewed_then_* are the sums of product_days;
-- co_sessions = sessions of ≤ max_basket_products products with a view (dated at their first
-- view); orders (cancelled_orders) = orders (cancellations) of 1…max_basket_products known products.
CREATE TABLE store_days (
    store_id            bigint NOT NULL,
    day                 bigint NOT NULL,
    viewers             bigint NOT NULL DEFAULT 0,
    viewed_then_carted  bigint NOT NULL DEFAULT 0,
    viewed_then_bought  bigint NOT NULL DEFAULT 0,
    co_sessions         bigint NOT NULL DEFAULT 0,
    orders              bigint NOT NULL DEFAULT 0,
    cancelled_orders    bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, store_id)
);
COMMENT ON TABLE store_days IS 'Per store and UTC day: base rates';

-- Directed co-occurrence counts per day: sessions that viewed both (1, dated at the later first
-- view), sessions whose first view of product_id precedes their first purchase of other_id
-- (2, dated at the purchase), orders containing both (3; `cancelled`: cancel-orders of both).
CREATE TABLE pair_days (
    store_id    bigint NOT NULL,
    kind_id     bigint NOT NULL,
    day         bigint NOT NULL,
    product_id  bigint NOT NULL,
    other_id    bigint NOT NULL,
    n           bigint NOT NULL DEFAULT 0,
    cancelled   bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, store_id, kind_id, product_id, other_id)
);
COMMENT ON TABLE pair_days IS 'Directed co-occurrence counts per day (replaced in 0010_pair_lists)';

-- Live: product_days summed over the popularity window (1) and the co-occurrence window (2).
CREATE TABLE product_windows (
    store_id            bigint NOT NULL,
    window_id           bigint NOT NULL,
    product_id          bigint NOT NULL,
    viewers             bigint NOT NULL DEFAULT 0,
    carters             bigint NOT NULL DEFAULT 0,
    buyers              bigint NOT NULL DEFAULT 0,
    cancellers          bigint NOT NULL DEFAULT 0,
    viewed_then_carted  bigint NOT NULL DEFAULT 0,
    viewed_then_bought  bigint NOT NULL DEFAULT 0,
    units               double precision NOT NULL DEFAULT 0,
    revenue_cents       bigint NOT NULL DEFAULT 0,
    orders              bigint NOT NULL DEFAULT 0,
    cancelled_units     double precision NOT NULL DEFAULT 0,
    cancelled_revenue_cents bigint NOT NULL DEFAULT 0,
    cancelled_orders    bigint NOT NULL DEFAULT 0,
    co_viewers          bigint NOT NULL DEFAULT 0,
    co_buyers           bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (store_id, window_id, product_id)
);
COMMENT ON TABLE product_windows IS 'product_days summed over the live popularity and co-occurrence windows';
CREATE INDEX product_windows_store_id_viewers ON product_windows(store_id, viewers) WHERE window_id = 1;
CREATE INDEX product_windows_store_id_carters ON product_windows(store_id, carters) WHERE window_id = 1;
CREATE INDEX product_windows_store_id_net_buyers ON product_windows(store_id, (buyers - cancellers)) WHERE window_id = 1;

-- Live: store_days summed over the two windows.
CREATE TABLE store_windows (
    store_id            bigint NOT NULL,
    window_id           bigint NOT NULL,
    viewers             bigint NOT NULL DEFAULT 0,
    viewed_then_carted  bigint NOT NULL DEFAULT 0,
    viewed_then_bought  bigint NOT NULL DEFAULT 0,
    co_sessions         bigint NOT NULL DEFAULT 0,
    orders              bigint NOT NULL DEFAULT 0,
    cancelled_orders    bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (store_id, window_id)
);
COMMENT ON TABLE store_windows IS 'store_days summed over the live windows';

-- Live: pair_days summed over the co-occurrence window.
CREATE TABLE pair_windows (
    store_id    bigint NOT NULL,
    kind_id     bigint NOT NULL,
    product_id  bigint NOT NULL,
    other_id    bigint NOT NULL,
    n           bigint NOT NULL DEFAULT 0,
    cancelled   bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (store_id, kind_id, product_id, other_id)
);
COMMENT ON TABLE pair_windows IS 'pair_days summed over the live co-occurrence window (replaced in 0010_pair_lists)';

-- Live: viewing sessions in the trending foreground window (the last 24 h) and in the
-- background window before it (the 72 h before those).
CREATE TABLE trend_windows (
    store_id    bigint NOT NULL,
    product_id  bigint NOT NULL,
    foreground  bigint NOT NULL DEFAULT 0,
    background  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (store_id, product_id)
);
COMMENT ON TABLE trend_windows IS 'Viewing sessions in the trending foreground and background windows';
-- Growth order: (foreground / fg hours) / ((background + 1) / bg hours) ranks as this ratio.
-- The expression is SQLite's, character for character (numeric here), so the same ORDER BY
-- text in the library's trending query can use the index on both engines.
CREATE INDEX trend_windows_store_id_ratio ON trend_windows(store_id, (foreground * 1.0 / (background + 1)));

-- The words of product names ("more like this"): lowercased runs of characters between
-- spaces and punctuation, at least 2 characters long. `product_name_words` computes them; the
-- triggers keep `product_words` (the inverted index) in step with `products`.
-- (lower() under COLLATE "C" folds ASCII letters only, as SQLite's lower() does.)
CREATE VIEW product_name_separated AS
SELECT product_id, translate(lower(name), E'\\"\t\n\r-,./()', '           ') AS separated
FROM products;
-- SQLite splits by building a JSON array of the words, and a name with another control
-- character (U+0001–U+001F) is then not valid JSON and gives no words; the same rule here.
CREATE VIEW product_name_words AS
SELECT s.product_id, w.word
FROM product_name_separated AS s
CROSS JOIN LATERAL string_to_table(translate(s.separated, '&+:;!?''[]*#', '           '), ' ') AS w(word)
WHERE length(w.word) >= 2 AND s.separated !~ '[\x01-\x1f]';

-- Name words → products, kept in step with `products` by the triggers below.
CREATE TABLE product_words (
    word        text COLLATE "C" NOT NULL,
    product_id  bigint NOT NULL REFERENCES products(product_id) ON DELETE CASCADE,
    PRIMARY KEY (word, product_id)
);
COMMENT ON TABLE product_words IS 'Name words of products (inverted index for more like this)';
CREATE INDEX product_words_product_id ON product_words(product_id);
INSERT INTO product_words(word, product_id) SELECT DISTINCT word, product_id FROM product_name_words ON CONFLICT DO NOTHING;
-- Bulk writes (0003's catalog_write_mode) skip these; the importer indexes its products' names
-- in one statement before it commits, with the same result.
CREATE FUNCTION products_words_index() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT bulk FROM catalog_write_mode) = 0 THEN
        IF TG_OP = 'UPDATE' THEN DELETE FROM product_words WHERE product_id = NEW.product_id; END IF;
        INSERT INTO product_words(word, product_id)
        SELECT DISTINCT word, product_id FROM product_name_words WHERE product_id = NEW.product_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER products_words_insert AFTER INSERT ON products
FOR EACH ROW EXECUTE FUNCTION products_words_index();
CREATE TRIGGER products_words_update AFTER UPDATE OF name ON products
FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION products_words_index();

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
       (w.revenue_cents - w.cancelled_revenue_cents)::double precision / 100 AS revenue, w.buyers, w.cancellers, w.viewed_then_carted, w.viewed_then_bought,
       d.final_price, w.product_id, w.store_id
FROM product_windows AS w
JOIN displayable_products AS d ON d.store_id = w.store_id AND d.product_id = w.product_id
WHERE w.window_id = 1;

-- View→cart and view→purchase conversion over the popularity window, smoothed towards the
-- store's rate: (converted + k × store rate) / (viewers + k), k = conversion_prior_views.
--   SELECT sku, viewed_then_bought, viewers, purchase_score FROM recs_conversion
--   WHERE store = 'default' AND viewed_then_bought > 0 ORDER BY purchase_score DESC, sku LIMIT 5;
CREATE VIEW recs_conversion AS
SELECT p.store, p.sku, p.name, p.viewers, p.viewed_then_carted, p.viewed_then_bought,
       (p.viewed_then_carted + k.prior * coalesce(s.viewed_then_carted::double precision / nullif(s.viewers, 0), 0)) / (p.viewers + k.prior) AS cart_score,
       (p.viewed_then_bought + k.prior * coalesce(s.viewed_then_bought::double precision / nullif(s.viewers, 0), 0)) / (p.viewers + k.prior) AS purchase_score,
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
       (t.foreground::double precision / k.trending_foreground_hours) / ((t.background + 1)::double precision / k.trending_background_hours) AS growth,
       d.final_price, t.product_id, t.store_id
FROM trend_windows AS t
CROSS JOIN recommendation_settings AS k
JOIN displayable_products AS d ON d.store_id = t.store_id AND d.product_id = t.product_id
WHERE t.foreground >= k.trending_minimum_viewers
  AND (t.foreground::double precision / k.trending_foreground_hours) > ((t.background + 1)::double precision / k.trending_background_hours)
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
       x.together::double precision * x.total / (x.base * x.other_base) AS lift,
       (x.together + x.prior) / (x.base::double precision * x.other_base / x.total + x.prior) AS score,
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
JOIN displayable_products AS d ON d.store_id = x.store_id AND d.product_id = x.other_id
WHERE x.base > 0 AND x.other_base > 0 AND x.total > 0;

-- A visitor's viewed products, most recent first (displayable only).
--   SELECT sku, last_viewed FROM recs_recently_viewed WHERE store = 'default' AND visitor_id = 'v-42'
--   ORDER BY last_viewed_at DESC, sku LIMIT 5;
CREATE VIEW recs_recently_viewed AS
SELECT d.store, v.visitor_id, d.sku, d.name,
       crosslink_utc_time(v.last_viewed_at) AS last_viewed,
       v.last_viewed_at, d.final_price, v.product_id, v.store_id
FROM visitor_products AS v
JOIN displayable_products AS d ON d.store_id = v.store_id AND d.product_id = v.product_id
WHERE v.last_viewed_at IS NOT NULL;

UPDATE crosslink_database SET user_version = 4 WHERE database_id = 1;
