-- 0006_unit_metrics: what recommendation units achieve (spec §4 "Metrics", §5), computed from
-- the unit events of the log (0002_events) as views that the sqlite3 CLI can read:
--
--   SELECT * FROM unit_metrics WHERE store = 'default';                      -- per unit and variant
--   SELECT day, impressions, clicks, ctr FROM unit_metrics_daily WHERE unit_id = '7' ORDER BY day;
--
-- Definitions (README "Unit metrics"); days are UTC calendar days of the event counted:
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

-- The variant of the unit the visitor was assigned (recs-* events; absent = 'A').
ALTER TABLE events ADD COLUMN variant TEXT CHECK (variant IS NULL OR length(variant) BETWEEN 1 AND 32);

-- Unit events only (partial indexes: the other events cost them nothing). The first is in the
-- order of the daily grouping, so the counts stream without sorting; the second finds a render's
-- views and the next render. A click's orders are found through events_visitor_id_occurred_at (0002).
CREATE INDEX events_unit_id_variant_day_store_id_type
    ON events(unit_id, coalesce(variant, 'A'), date(occurred_at / 1000, 'unixepoch'), store_id, type)
    WHERE unit_id IS NOT NULL;
CREATE INDEX events_session_id_unit_id_variant_type_occurred_at
    ON events(session_id, unit_id, coalesce(variant, 'A'), type, occurred_at)
    WHERE type = 'recs-unit-render' OR type = 'recs-unit-view';

-- Every unit event with its variant and UTC day.
CREATE VIEW unit_events AS
SELECT e.event_seq, e.type, e.occurred_at, date(e.occurred_at / 1000, 'unixepoch') AS day, e.store_id,
       e.unit_id, coalesce(e.variant, 'A') AS variant, e.visitor_id, e.session_id, e.product_id, e.sku
FROM events AS e
WHERE e.unit_id IS NOT NULL
  AND e.type IN ('recs-unit-render', 'recs-unit-view', 'recs-item-click', 'recs-add-to-cart-click');

-- Each render and whether it was viewed: a view of the same session, unit and variant at or after
-- it and before the next render (by time, then log order) belongs to it.
CREATE VIEW unit_renders AS
SELECT r.event_seq, r.occurred_at, r.day, r.store_id, r.unit_id, r.variant, r.visitor_id, r.session_id,
       EXISTS (SELECT 1 FROM events AS v
               WHERE v.type = 'recs-unit-view' AND v.session_id = r.session_id AND v.unit_id = r.unit_id
                 AND coalesce(v.variant, 'A') = r.variant AND v.occurred_at >= r.occurred_at
                 AND v.occurred_at < coalesce(
                     (SELECT min(n.occurred_at) FROM events AS n
                      WHERE n.type = 'recs-unit-render' AND n.session_id = r.session_id AND n.unit_id = r.unit_id
                        AND coalesce(n.variant, 'A') = r.variant AND (n.occurred_at, n.event_seq) > (r.occurred_at, r.event_seq)),
                     9223372036854775807)) AS viewed
FROM unit_events AS r
WHERE r.type = 'recs-unit-render';

-- Order lines attributed to a unit variant: one row per (unit, variant, order line), with the
-- order's day and whether a click of the unit was in the order's session (revenue) or only
-- earlier, by the same visitor (lifetime revenue alone). Driven by the clicks (CROSS JOIN keeps
-- that order): there are far fewer clicks than events.
CREATE VIEW unit_attributed_lines AS
SELECT c.store_id, c.unit_id, c.variant, o.event_seq AS order_seq, o.order_id, l.line, l.sku, l.parent_sku,
       date(o.occurred_at / 1000, 'unixepoch') AS day, l.quantity * l.price AS amount,
       max(o.session_id = c.session_id) AS in_session
FROM unit_events AS c
CROSS JOIN events AS o ON o.visitor_id = c.visitor_id AND o.occurred_at >= c.occurred_at AND o.type = 'place-order'
JOIN event_lines AS l ON l.event_seq = o.event_seq
WHERE c.type IN ('recs-item-click', 'recs-add-to-cart-click')
  AND (l.sku = c.sku COLLATE NOCASE OR l.parent_sku = c.sku COLLATE NOCASE
       OR c.product_id IN (SELECT pc.parent_id FROM product_children AS pc WHERE pc.child_id = l.product_id))
GROUP BY c.store_id, c.unit_id, c.variant, o.event_seq, l.line;

-- Per store id, unit, variant and day: the counts (each event on its own day).
CREATE VIEW unit_daily_counts AS
SELECT store_id, unit_id, variant, day,
       sum(type = 'recs-unit-render') AS impressions,
       sum(CASE WHEN type = 'recs-unit-render' THEN
           EXISTS (SELECT 1 FROM unit_renders AS r WHERE r.event_seq = e.event_seq AND r.viewed) ELSE 0 END) AS v_impressions,
       sum(type = 'recs-unit-view') AS views, sum(type = 'recs-item-click') AS item_clicks,
       sum(type = 'recs-add-to-cart-click') AS cart_clicks
FROM unit_events AS e
GROUP BY unit_id, variant, day, store_id;

-- Per store id, unit, variant and day of the order: attributed orders and revenue.
CREATE VIEW unit_daily_revenue AS
SELECT store_id, unit_id, variant, day, count(DISTINCT CASE WHEN in_session THEN order_seq END) AS orders,
       total(CASE WHEN in_session THEN amount END) AS revenue, total(amount) AS lifetime_revenue
FROM unit_attributed_lines
GROUP BY store_id, unit_id, variant, day;

-- Per store, unit, variant and UTC day: every metric. `unit_name` is NULL when the unit id is
-- not in the units table (events may name units Crosslink does not configure).
CREATE VIEW unit_metrics_daily AS
WITH merged AS (
    SELECT store_id, unit_id, variant, day, impressions, v_impressions, views, item_clicks, cart_clicks,
           0 AS orders, 0.0 AS revenue, 0.0 AS lifetime_revenue
    FROM unit_daily_counts
    UNION ALL
    SELECT store_id, unit_id, variant, day, 0, 0, 0, 0, 0, orders, revenue, lifetime_revenue
    FROM unit_daily_revenue
)
SELECT s.code AS store, m.unit_id, u.name AS unit_name, m.variant, m.day,
       sum(m.impressions) AS impressions, sum(m.v_impressions) AS v_impressions, sum(m.views) AS views,
       sum(m.item_clicks) + sum(m.cart_clicks) AS clicks, sum(m.item_clicks) AS item_clicks,
       sum(m.cart_clicks) AS cart_clicks, sum(m.orders) AS orders,
       sum(m.revenue) AS revenue, sum(m.lifetime_revenue) AS lifetime_revenue,
       sum(m.views) * 1.0 / nullif(sum(m.impressions), 0) AS viewability,
       (sum(m.item_clicks) + sum(m.cart_clicks)) * 1.0 / nullif(sum(m.impressions), 0) AS ctr,
       (sum(m.item_clicks) + sum(m.cart_clicks)) * 1.0 / nullif(sum(m.v_impressions), 0) AS vctr
FROM merged AS m
JOIN stores AS s ON s.store_id = m.store_id
LEFT JOIN units AS u ON u.unit_id = m.unit_id AND u.store_id = m.store_id
GROUP BY m.store_id, m.unit_id, m.variant, m.day;

-- Per store, unit and variant over the whole log: the daily rows summed, ratios recomputed.
CREATE VIEW unit_metrics AS
SELECT store, unit_id, unit_name, variant, min(day) AS first_day, max(day) AS last_day,
       sum(impressions) AS impressions, sum(v_impressions) AS v_impressions, sum(views) AS views,
       sum(clicks) AS clicks, sum(item_clicks) AS item_clicks, sum(cart_clicks) AS cart_clicks,
       sum(orders) AS orders, sum(revenue) AS revenue, sum(lifetime_revenue) AS lifetime_revenue,
       sum(views) * 1.0 / nullif(sum(impressions), 0) AS viewability,
       sum(clicks) * 1.0 / nullif(sum(impressions), 0) AS ctr,
       sum(clicks) * 1.0 / nullif(sum(v_impressions), 0) AS vctr
FROM unit_metrics_daily
GROUP BY store, unit_id, variant;
