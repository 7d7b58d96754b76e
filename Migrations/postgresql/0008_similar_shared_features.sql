-- 0008_similar_shared_features (PostgreSQL 15): which features each listed "more like this" product shares
-- with the list's product, so that serving a list does not look them up.
--
-- A reason ("shares category Gear/Bags, material Nylon, name word duffle") names the context
-- product's features that the recommended product also has. Computed when serving, that was
-- one index lookup per feature and winner: about 60 % of the type's SQL time. The rebuild
-- (SimilarProducts.refresh) knows them anyway, as it adds up the shared features' idf.
--
-- shared_mask: bit i set = the product shares the list product's i-th feature, features
-- numbered from 0 in the order categories (below the root) by category_id, then attribute
-- values by (attribute_id, value), then name words by word — the order of
-- RecommendationSQL.moreLikeThis's `context_features`. NULL when the list product has more
-- than 63 features: its reasons are then looked up as before.
ALTER TABLE similar_products ADD COLUMN shared_mask bigint;

-- Lists built before this migration have no masks: rebuild them on the next refresh (until
-- then more like this runs its live query, as for any stale list).
UPDATE similar_state SET dirty = 1 WHERE dirty = 0;

UPDATE crosslink_database SET user_version = 8 WHERE database_id = 1;
