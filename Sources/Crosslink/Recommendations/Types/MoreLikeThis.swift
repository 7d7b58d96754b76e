/// Shared categories, attribute values and name words (catalog only): the same SQL live and as
/// of a time.
enum MoreLikeThis {
    static let descriptor = RecommendationTypeDescriptor(
        .moreLikeThis, requirement: .products, pages: [.product, .cart, .confirmation], scoreKind: .real, evaluationTarget: .any, evaluationContext: .any,
        live: RecommendationSQL.moreLikeThis, asOf: RecommendationSQL.moreLikeThis
    ) { row, _ in
        .similar(shared: Recommender.features(row.text("features")))
    }
}

extension RecommendationSQL {
    /// Catalog only. A candidate scores Σ idf of the features it shares with the context:
    /// categories below the root, attribute values, and name words (`product_words`);
    /// idf = ln(1 + N / products with the feature), N = the highest product id (≈ catalog size).
    ///
    /// One product, lists fresh (`similar_state.dirty` = 0, see ``SimilarProducts``): its
    /// materialised list in rank order, joined to displayability until `:limit` are found —
    /// taken when it fills the request or holds every candidate. Otherwise (a cart, stale lists,
    /// a list too short for the exclusions and filter) the live query: every product sharing a
    /// feature is scored and the best `:limit` + 100 are checked for displayability (as
    /// conversion). `detail` lists the shared features as c:…, a:…, w:…: for a served list from
    /// the row's `shared_mask` (migration 0008), otherwise looked up per feature and winner.
    /// The labels of the shared features joined by U+001F, in feature order.
    static let labels: SQL = "\(sqlite: "group_concat(f.label, char(31))", postgreSQL: "string_agg(f.label, chr(31) ORDER BY f.ordinal)")"

    static let moreLikeThis: SQL = """
        WITH context(product_id) AS \(idList: "context"),
        fresh(yes) AS (SELECT (SELECT dirty FROM similar_state) = 0 AND (SELECT count(*) FROM context) = 1),
        listed AS (
            SELECT d.product_id, d.sku, d.name, d.final_price, s.score, s.shared, s.shared_mask AS mask
            FROM similar_products AS s
            \(sql: joinDisplayable("s.other_id"))
            WHERE s.product_id = (SELECT min(product_id) FROM context) AND (SELECT yes FROM fresh)
              AND s.other_id \(sql: notExcluded) \(condition: "s.other_id")
            ORDER BY s.rank LIMIT \(parameter: "limit")),
        served(yes) AS (
            SELECT (SELECT yes FROM fresh) AND ((SELECT count(*) FROM listed) = \(parameter: "limit")
                OR coalesce((SELECT truncated = 0 FROM similar_lists WHERE product_id = (SELECT min(product_id) FROM context)), 1 = 0))),
        -- Numbered as `similar_products.shared_mask` numbers them (migration 0008).
        context_features(kind, id, value, label, ordinal) AS MATERIALIZED (
            SELECT kind, id, value, label, row_number() OVER (ORDER BY CASE kind WHEN 'c' THEN 0 WHEN 'a' THEN 1 ELSE 2 END, id, value) - 1
            FROM (
                SELECT 'c' AS kind, c.category_id AS id, NULL AS value, 'c:' || substr(c.name_path, \(sqlite: "instr", postgreSQL: "strpos")(c.name_path, '/') + 1) AS label
                FROM categories AS c
                WHERE c.level > 0
                  AND c.category_id IN (SELECT category_id FROM product_categories WHERE product_id IN (SELECT product_id FROM context))
                UNION ALL
                SELECT 'a', sa.attribute_id, sa.value, 'a:' || a.code || ' ' || sa.value
                FROM (SELECT DISTINCT attribute_id, value FROM product_attributes WHERE product_id IN (SELECT product_id FROM context)) AS sa
                JOIN attributes AS a ON a.attribute_id = sa.attribute_id
                UNION ALL
                SELECT 'w', NULL, sw.word, 'w:' || sw.word
                FROM (SELECT DISTINCT word FROM product_words WHERE product_id IN (SELECT product_id FROM context)) AS sw) AS context_feature_rows),
        -- The live query, computed only when the lists do not serve.
        size(n) AS (SELECT CAST(coalesce(max(product_id), 1) AS DOUBLE PRECISION) FROM products),
        features(kind, id, value, ordinal, weight) AS MATERIALIZED (
            SELECT f.kind, f.id, f.value, f.ordinal,
                   ln(1 + s.n / CASE f.kind
                       WHEN 'c' THEN (SELECT count(*) FROM product_categories AS x WHERE x.category_id = f.id)
                       WHEN 'a' THEN (SELECT count(*) FROM product_attributes AS x WHERE x.attribute_id = f.id AND x.value = f.value)
                       ELSE (SELECT count(*) FROM product_words AS x WHERE x.word = f.value) END)
            FROM context_features AS f CROSS JOIN size AS s
            WHERE NOT (SELECT yes FROM served)),
        matches(product_id, ordinal, weight) AS (
            SELECT pc.product_id, f.ordinal, f.weight FROM features AS f JOIN product_categories AS pc ON pc.category_id = f.id WHERE f.kind = 'c'
            UNION ALL
            SELECT pa.product_id, f.ordinal, f.weight FROM features AS f
            JOIN product_attributes AS pa ON pa.attribute_id = f.id AND pa.value = f.value WHERE f.kind = 'a'
            UNION ALL
            SELECT pw.product_id, f.ordinal, f.weight FROM features AS f JOIN product_words AS pw ON pw.word = f.value WHERE f.kind = 'w'),
        -- The weights are added in feature order, as `SimilarProducts` adds them: a sum of reals
        -- depends on its order in the last bits, and products sharing the same features must tie
        -- exactly (then the SKU decides). SQLite reads the matches in that order; PostgreSQL's
        -- joins may not, so there the aggregate says it.
        scored AS (
            SELECT product_id, sum(weight\(sqlite: "", postgreSQL: " ORDER BY ordinal")) AS score, count(*) AS shared FROM served AS v CROSS JOIN matches
            WHERE NOT v.yes AND product_id NOT IN (SELECT product_id FROM context) AND product_id \(sql: notExcluded) \(condition: "matches.product_id")
            GROUP BY product_id ORDER BY score DESC, product_id LIMIT \(parameter: "limit") + 100),
        top AS (
            SELECT * FROM listed WHERE (SELECT yes FROM served)
            UNION ALL
            -- Driven by `served`, so that SQLite never starts the live query when the list serves.
            SELECT * FROM (
                SELECT d.product_id, d.sku, d.name, d.final_price, m.score, m.shared, CAST(NULL AS BIGINT)
                FROM served AS v CROSS JOIN scored AS m \(sql: joinDisplayable("m.product_id"))
                WHERE NOT v.yes
                ORDER BY m.score DESC, d.sku LIMIT \(parameter: "limit")) AS scanned)
        -- The shared features' labels, for the winners only: from the list's mask, else looked up.
        SELECT t.product_id, t.sku, t.name, t.final_price, t.score, t.shared,
               CASE WHEN t.mask IS NOT NULL THEN (SELECT \(sql: labels) FROM context_features AS f WHERE ((t.mask >> CAST(f.ordinal AS INTEGER)) & 1) <> 0)
               ELSE (SELECT \(sql: labels) FROM context_features AS f
                WHERE (f.kind = 'c' AND EXISTS (SELECT 1 FROM product_categories AS x WHERE x.category_id = f.id AND x.product_id = t.product_id))
                   OR (f.kind = 'a' AND EXISTS (SELECT 1 FROM product_attributes AS x
                                                WHERE x.product_id = t.product_id AND x.attribute_id = f.id AND x.value = f.value))
                   OR (f.kind = 'w' AND EXISTS (SELECT 1 FROM product_words AS x WHERE x.word = f.value AND x.product_id = t.product_id))) END AS features
        FROM top AS t ORDER BY t.score DESC, t.sku
        """
}
