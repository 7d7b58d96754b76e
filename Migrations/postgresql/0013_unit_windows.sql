-- 0013_unit_windows: a unit variant's own aggregate windows (one unit shows most viewed of 7
-- days, another of 30; an experiment can test two windows against each other).
--
-- `windows` is a JSON object of any of popularity_days, cooccurrence_days (1–3650),
-- trending_foreground_hours, trending_background_hours (1–8760); '{}' uses the store's
-- `recommendation_settings`. A variant whose windows differ from those is answered from the
-- day and hour rows (product_days, product_hours, pair_day_rows, …) instead of the live
-- window sums, as a point-in-time request is. The library validates the ranges. Text like
-- backups and filters (0005): the library reads it whole, never inside SQL.
ALTER TABLE unit_variants ADD COLUMN windows text COLLATE "C" NOT NULL DEFAULT '{}'
    CHECK (json_typeof(windows::json) = 'object');
COMMENT ON COLUMN unit_variants.windows IS 'The variant''s own windows (JSON object); {} = recommendation_settings';

-- The units as psql reads them: one line per unit variant, its windows last.
--   SELECT * FROM unit_list WHERE store = 'default' ORDER BY page_type, placement, position;
DROP VIEW unit_list;
CREATE VIEW unit_list AS
SELECT s.code AS store, u.unit_id, u.name, u.page_type, u.placement, u.position, u.status,
       v.variant, v.traffic, v.type, v.product_count, v.backups, v.filters, v.max_per_category, v.shuffle, u.label,
       v.windows
FROM units AS u
JOIN stores AS s ON s.store_id = u.store_id
JOIN unit_variants AS v ON v.unit_id = u.unit_id;

UPDATE crosslink_database SET user_version = 13 WHERE database_id = 1;
