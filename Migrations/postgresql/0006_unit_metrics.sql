-- 0006_unit_metrics (PostgreSQL 15): what recommendation units achieve, computed from the unit
-- events of the log (0002_events) as views that psql can read. The twin of
-- Migrations/0006_unit_metrics.sql: the same views, columns and definitions.
--
--   SELECT * FROM unit_metrics WHERE store = 'default';                      -- per unit and variant
--   SELECT day, impressions, clicks, ctr FROM unit_metrics_daily WHERE unit_id = '7' ORDER BY day;
--
-- Definitions; days are UTC calendar days of the event counted, as text 'YYYY-MM-DD':
--   impressions      recs-unit-render events (the unit was rendered on a page)
--   views            recs-unit-view events (≥ 50 % of the unit in the viewport; may repeat)
--   v_impressions    renders viewed at least once: a view belongs to the latest render of the same
--                    unit and variant in the same session at or before it (by time, then log order);
--                    counted on the render's day
--   item_clicks, cart_clicks, clicks = item_clicks + cart_clicks (recs-item-click, recs-add-to-cart-click)
--   revenue          order lines (quantity × price) of place-order events in the same session as a
--                    click of the unit, at or after it, whose SKU or parent SKU is the clicked SKU
--                    (the line's parent_sku as sent, or its parent in the catalog); counted once per
--                    line, on the order's day
--   lifetime_revenue the same for orders of the same visitor in any session, at or after the click
--   orders           distinct place-order events with revenue
--   viewability = views / impressions, ctr = clicks / impressions, vctr = clicks / v_impressions
--                    (NULL when the denominator is 0; views repeat, so viewability may exceed 1)
-- Counts are bigint (sums cast back from numeric), ratios and money double precision, flags
-- 0/1 — the values SQLite's views give.

-- Unix milliseconds → the UTC day 'YYYY-MM-DD' of its whole second, what SQLite's
-- date(ms / 1000, 'unixepoch') writes. IMMUTABLE so that the index below may use it (see
-- crosslink_utc_time in 0002 on to_char).
CREATE FUNCTION crosslink_utc_date(ms bigint) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN to_char(timestamp '1970-01-01 00:00:00' + (ms / 1000) * interval '1 second', 'YYYY-MM-DD');

-- The variant of the unit the visitor was assigned (recs-* events; absent = 'A').
ALTER TABLE events ADD COLUMN variant text COLLATE "C" CHECK (variant IS NULL OR length(variant) BETWEEN 1 AND 32);

-- Unit events only (partial indexes: the other events cost them nothing). The first is in the
-- order of the daily grouping; the second finds a render's views and the next render. A
-- click's orders are found through events_visitor_id_occurred_at (0002).
CREATE INDEX events_unit_id_variant_day_store_id_type
    ON events(unit_id, coalesce(variant, 'A'), crosslink_utc_date(occurred_at), store_id, type)
    WHERE unit_id IS NOT NULL;
CREATE INDEX events_session_id_unit_id_variant_type_occurred_at
    ON events(session_id, unit_id, coalesce(variant, 'A'), type, occurred_at)
    WHERE type = 'recs-unit-render' OR type = 'recs-unit-view';

-- Every unit event with its variant and UTC day.
CREATE VIEW unit_events AS
SELECT e.event_seq, e.type, e.occurred_at, crosslink_utc_date(e.occurred_at) AS day, e.store_id,
       e.unit_id, coalesce(e.variant, 'A') AS variant, e.visitor_id, e.session_id, e.product_id, e.sku
FROM events AS e
WHERE e.unit_id IS NOT NULL
  AND e.type IN ('recs-unit-render', 'recs-unit-view', 'recs-item-click', 'recs-add-to-cart-click');

-- Each render and whether it was viewed (0/1): a view of the same session, unit and variant at
-- or after it and before the next render (by time, then log order) belongs to it.
CREATE VIEW unit_renders AS
SELECT r.event_seq, r.occurred_at, r.day, r.store_id, r.unit_id, r.variant, r.visitor_id, r.session_id,
       EXISTS (SELECT 1 FROM events AS v
               WHERE v.type = 'recs-unit-view' AND v.session_id = r.session_id AND v.unit_id = r.unit_id
                 AND coalesce(v.variant, 'A') = r.variant AND v.occurred_at >= r.occurred_at
                 AND v.occurred_at < coalesce(
                     (SELECT min(n.occurred_at) FROM events AS n
                      WHERE n.type = 'recs-unit-render' AND n.session_id = r.session_id AND n.unit_id = r.unit_id
                        AND coalesce(n.variant, 'A') = r.variant AND (n.occurred_at, n.event_seq) > (r.occurred_at, r.event_seq)),
                     9223372036854775807))::int AS viewed
FROM unit_events AS r
WHERE r.type = 'recs-unit-render';

-- Order lines attributed to a unit variant: one row per (unit, variant, order line), with the
-- order's day and whether a click of the unit was in the order's session (revenue, 1) or only
-- earlier, by the same visitor (lifetime revenue alone, 0). SKUs match ignoring ASCII case
-- (SQLite: COLLATE NOCASE; lower() under COLLATE "C" folds ASCII only). The line's key
-- (l.event_seq, l.line) is grouped so that its other columns may be selected.
CREATE VIEW unit_attributed_lines AS
SELECT c.store_id, c.unit_id, c.variant, o.event_seq AS order_seq, o.order_id, l.line, l.sku, l.parent_sku,
       crosslink_utc_date(o.occurred_at) AS day, l.quantity * l.price AS amount,
       max((o.session_id = c.session_id)::int) AS in_session
FROM unit_events AS c
JOIN events AS o ON o.visitor_id = c.visitor_id AND o.occurred_at >= c.occurred_at AND o.type = 'place-order'
JOIN event_lines AS l ON l.event_seq = o.event_seq
WHERE c.type IN ('recs-item-click', 'recs-add-to-cart-click')
  AND (lower(l.sku) = lower(c.sku) OR lower(l.parent_sku) = lower(c.sku)
       OR c.product_id IN (SELECT pc.parent_id FROM product_children AS pc WHERE pc.child_id = l.product_id))
GROUP BY c.store_id, c.unit_id, c.variant, o.event_seq, l.event_seq, l.line;

-- Per store id, unit, variant and day: the counts (each event on its own day).
CREATE VIEW unit_daily_counts AS
SELECT store_id, unit_id, variant, day,
       sum((type = 'recs-unit-render')::int)::bigint AS impressions,
       sum(CASE WHEN type = 'recs-unit-render' THEN
           EXISTS (SELECT 1 FROM unit_renders AS r WHERE r.event_seq = e.event_seq AND r.viewed = 1)::int ELSE 0 END)::bigint AS v_impressions,
       sum((type = 'recs-unit-view')::int)::bigint AS views, sum((type = 'recs-item-click')::int)::bigint AS item_clicks,
       sum((type = 'recs-add-to-cart-click')::int)::bigint AS cart_clicks
FROM unit_events AS e
GROUP BY unit_id, variant, day, store_id;

-- Per store id, unit, variant and day of the order: attributed orders and revenue (SQLite's
-- total(): 0.0, not NULL, for no lines).
CREATE VIEW unit_daily_revenue AS
SELECT store_id, unit_id, variant, day, count(DISTINCT CASE WHEN in_session = 1 THEN order_seq END) AS orders,
       coalesce(sum(CASE WHEN in_session = 1 THEN amount END), 0) AS revenue, coalesce(sum(amount), 0) AS lifetime_revenue
FROM unit_attributed_lines
GROUP BY store_id, unit_id, variant, day;

-- Per store, unit, variant and UTC day: every metric. `unit_name` is NULL when the unit id is
-- not in the units table (events may name units Crosslink does not configure; events carry the
-- id as text, matched to units' bigint id as text).
CREATE VIEW unit_metrics_daily AS
WITH merged AS (
    SELECT store_id, unit_id, variant, day, impressions, v_impressions, views, item_clicks, cart_clicks,
           0::bigint AS orders, 0::double precision AS revenue, 0::double precision AS lifetime_revenue
    FROM unit_daily_counts
    UNION ALL
    SELECT store_id, unit_id, variant, day, 0, 0, 0, 0, 0, orders, revenue, lifetime_revenue
    FROM unit_daily_revenue
)
SELECT s.code AS store, m.unit_id, u.name AS unit_name, m.variant, m.day,
       sum(m.impressions)::bigint AS impressions, sum(m.v_impressions)::bigint AS v_impressions, sum(m.views)::bigint AS views,
       (sum(m.item_clicks) + sum(m.cart_clicks))::bigint AS clicks, sum(m.item_clicks)::bigint AS item_clicks,
       sum(m.cart_clicks)::bigint AS cart_clicks, sum(m.orders)::bigint AS orders,
       sum(m.revenue) AS revenue, sum(m.lifetime_revenue) AS lifetime_revenue,
       sum(m.views)::double precision / nullif(sum(m.impressions), 0) AS viewability,
       (sum(m.item_clicks) + sum(m.cart_clicks))::double precision / nullif(sum(m.impressions), 0) AS ctr,
       (sum(m.item_clicks) + sum(m.cart_clicks))::double precision / nullif(sum(m.v_impressions), 0) AS vctr
FROM merged AS m
JOIN stores AS s ON s.store_id = m.store_id
LEFT JOIN units AS u ON u.unit_id::text = m.unit_id AND u.store_id = m.store_id
GROUP BY m.store_id, s.store_id, m.unit_id, u.unit_id, m.variant, m.day;

-- Per store, unit and variant over the whole log: the daily rows summed, ratios recomputed.
CREATE VIEW unit_metrics AS
SELECT store, unit_id, max(unit_name) AS unit_name, variant, min(day) AS first_day, max(day) AS last_day,
       sum(impressions)::bigint AS impressions, sum(v_impressions)::bigint AS v_impressions, sum(views)::bigint AS views,
       sum(clicks)::bigint AS clicks, sum(item_clicks)::bigint AS item_clicks, sum(cart_clicks)::bigint AS cart_clicks,
       sum(orders)::bigint AS orders, sum(revenue) AS revenue, sum(lifetime_revenue) AS lifetime_revenue,
       sum(views)::double precision / nullif(sum(impressions), 0) AS viewability,
       sum(clicks)::double precision / nullif(sum(impressions), 0) AS ctr,
       sum(clicks)::double precision / nullif(sum(v_impressions), 0) AS vctr
FROM unit_metrics_daily
GROUP BY store, unit_id, variant;

UPDATE crosslink_database SET user_version = 6 WHERE database_id = 1;
