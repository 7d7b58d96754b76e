/// The set-based definition of the history tables, which ``Aggregates/rebuild()`` runs.
extension Aggregates {
    static let dropRebuildTables = """
        DROP TABLE IF EXISTS temp.rebuild_interactions;
        DROP TABLE IF EXISTS temp.rebuild_sessions;
        DROP TABLE IF EXISTS temp.rebuild_baskets;
        """

    static func allZero(_ counters: [String]) -> String { counters.map { "\($0) = 0" }.joined(separator: " AND ") }

    /// The definition of every history table, in SQL. `Aggregates.apply` must leave the same rows.
    static let rebuildSQL = dropRebuildTables + """
        DELETE FROM session_products;
        DELETE FROM visitor_products;
        DELETE FROM product_days;
        DELETE FROM product_hours;
        DELETE FROM store_days;
        DELETE FROM pair_day_rows;
        DELETE FROM pair_day_lists;
        DELETE FROM product_windows;
        DELETE FROM store_windows;
        DELETE FROM pair_window_rows;
        DELETE FROM pair_lists;
        DELETE FROM trend_windows;
        UPDATE aggregate_state SET first_at = (SELECT min(occurred_at) FROM events), last_at = (SELECT max(occurred_at) FROM events);

        -- Every product interaction, rolled up: views and adds to cart, and order lines.
        CREATE TEMP TABLE rebuild_interactions (
            store_id INTEGER NOT NULL, session_id TEXT NOT NULL, visitor_id TEXT NOT NULL, product_id INTEGER NOT NULL,
            type TEXT NOT NULL, occurred_at INTEGER NOT NULL, event_seq INTEGER NOT NULL, quantity REAL, price REAL);
        INSERT INTO rebuild_interactions
        SELECT e.store_id, e.session_id, e.visitor_id, r.rollup_id, e.type, e.occurred_at, e.event_seq, NULL, NULL
        FROM events AS e JOIN product_rollup AS r ON r.product_id = e.product_id
        WHERE e.type IN ('product-view', 'add-to-cart');
        INSERT INTO rebuild_interactions
        SELECT e.store_id, e.session_id, e.visitor_id, r.rollup_id, e.type, e.occurred_at, e.event_seq, l.quantity, l.price
        FROM events AS e JOIN event_lines AS l ON l.event_seq = e.event_seq JOIN product_rollup AS r ON r.product_id = l.product_id
        WHERE e.type IN ('place-order', 'cancel-order');

        INSERT INTO session_products(store_id, session_id, product_id, first_viewed_at, first_carted_at, first_bought_at, first_cancelled_at)
        SELECT store_id, session_id, product_id,
               min(CASE type WHEN 'product-view' THEN occurred_at END), min(CASE type WHEN 'add-to-cart' THEN occurred_at END),
               min(CASE type WHEN 'place-order' THEN occurred_at END), min(CASE type WHEN 'cancel-order' THEN occurred_at END)
        FROM rebuild_interactions GROUP BY store_id, session_id, product_id;

        INSERT INTO visitor_products(store_id, visitor_id, product_id, first_viewed_at, last_viewed_at,
                                     first_carted_at, last_carted_at, first_bought_at, last_bought_at)
        SELECT store_id, visitor_id, product_id, min(viewed), max(viewed), min(carted), max(carted), min(bought), max(bought)
        FROM (SELECT store_id, visitor_id, product_id, CASE type WHEN 'product-view' THEN occurred_at END AS viewed,
                     CASE type WHEN 'add-to-cart' THEN occurred_at END AS carted, CASE type WHEN 'place-order' THEN occurred_at END AS bought
              FROM rebuild_interactions WHERE type <> 'cancel-order')
        GROUP BY store_id, visitor_id, product_id;

        -- Sessions: eligible for co-occurrence when they have at most max_basket_products products.
        CREATE TEMP TABLE rebuild_sessions (
            store_id INTEGER NOT NULL, session_id TEXT NOT NULL, eligible INTEGER NOT NULL, first_view INTEGER,
            PRIMARY KEY (store_id, session_id)) WITHOUT ROWID;
        INSERT INTO rebuild_sessions
        SELECT store_id, session_id, count(*) <= (SELECT max_basket_products FROM recommendation_settings), min(first_viewed_at)
        FROM session_products GROUP BY store_id, session_id;

        -- Orders and cancellations of 1…max_basket_products distinct known products, one row per product.
        CREATE TEMP TABLE rebuild_baskets (
            event_seq INTEGER NOT NULL, product_id INTEGER NOT NULL, store_id INTEGER NOT NULL, day INTEGER NOT NULL, sign INTEGER NOT NULL,
            PRIMARY KEY (event_seq, product_id)) WITHOUT ROWID;
        INSERT INTO rebuild_baskets
        SELECT event_seq, product_id, store_id, occurred_at / 86400000, CASE type WHEN 'place-order' THEN 1 ELSE -1 END
        FROM rebuild_interactions WHERE type IN ('place-order', 'cancel-order') GROUP BY event_seq, product_id;
        DELETE FROM rebuild_baskets WHERE event_seq IN (
            SELECT event_seq FROM rebuild_baskets GROUP BY event_seq
            HAVING count(*) > (SELECT max_basket_products FROM recommendation_settings));

        INSERT INTO product_days(day, store_id, product_id, viewers, carters, buyers, cancellers, viewed_then_carted,
                                 viewed_then_bought, units, revenue_cents, orders, cancelled_units, cancelled_revenue_cents,
                                 cancelled_orders, co_viewers, co_buyers)
        SELECT day, store_id, product_id, sum(viewers), sum(carters), sum(buyers), sum(cancellers), sum(vtc), sum(vtb),
               sum(units), CAST(total(revenue) AS INTEGER), sum(orders), sum(c_units), CAST(total(c_revenue) AS INTEGER), sum(c_orders), sum(co_viewers), sum(co_buyers)
        FROM (
            SELECT p.first_viewed_at / 86400000 AS day, p.store_id, p.product_id, 1 AS viewers, 0 AS carters, 0 AS buyers,
                   0 AS cancellers, 0 AS vtc, 0 AS vtb, 0.0 AS units, 0 AS revenue, 0 AS orders, 0.0 AS c_units, 0 AS c_revenue,
                   0 AS c_orders, s.eligible AS co_viewers, 0 AS co_buyers
            FROM session_products AS p JOIN rebuild_sessions AS s USING (store_id, session_id)
            WHERE p.first_viewed_at IS NOT NULL
            UNION ALL
            SELECT p.first_carted_at / 86400000, p.store_id, p.product_id, 0, 1, 0, 0,
                   coalesce(p.first_viewed_at < p.first_carted_at, 0), 0, 0.0, 0, 0, 0.0, 0, 0, 0, 0
            FROM session_products AS p WHERE p.first_carted_at IS NOT NULL
            UNION ALL
            SELECT p.first_bought_at / 86400000, p.store_id, p.product_id, 0, 0, 1, 0, 0,
                   coalesce(p.first_viewed_at < p.first_bought_at, 0), 0.0, 0, 0, 0.0, 0, 0, 0, s.eligible AND s.first_view IS NOT NULL
            FROM session_products AS p JOIN rebuild_sessions AS s USING (store_id, session_id)
            WHERE p.first_bought_at IS NOT NULL
            UNION ALL
            SELECT p.first_cancelled_at / 86400000, p.store_id, p.product_id, 0, 0, 0, 1, 0, 0, 0.0, 0, 0, 0.0, 0, 0, 0, 0
            FROM session_products AS p WHERE p.first_cancelled_at IS NOT NULL
            UNION ALL
            SELECT occurred_at / 86400000, store_id, product_id, 0, 0, 0, 0, 0, 0,
                   CASE type WHEN 'place-order' THEN quantity ELSE 0.0 END,
                   CASE type WHEN 'place-order' THEN CAST(round(quantity * price * 100) AS INTEGER) ELSE 0 END, 0,
                   CASE type WHEN 'cancel-order' THEN quantity ELSE 0.0 END,
                   CASE type WHEN 'cancel-order' THEN CAST(round(quantity * price * 100) AS INTEGER) ELSE 0 END, 0, 0, 0
            FROM rebuild_interactions WHERE type IN ('place-order', 'cancel-order')
            UNION ALL
            SELECT day, store_id, product_id, 0, 0, 0, 0, 0, 0, 0.0, 0, sign = 1, 0.0, 0, sign = -1, 0, 0 FROM rebuild_baskets
        )
        GROUP BY day, store_id, product_id;
        DELETE FROM product_days WHERE \(allZero(AggregateTables.productCounters));

        INSERT INTO product_hours(hour, store_id, product_id, viewers)
        SELECT first_viewed_at / 3600000, store_id, product_id, count(*) FROM session_products
        WHERE first_viewed_at IS NOT NULL GROUP BY first_viewed_at / 3600000, store_id, product_id;

        INSERT INTO store_days(day, store_id, viewers, viewed_then_carted, viewed_then_bought, co_sessions, orders, cancelled_orders)
        SELECT day, store_id, sum(viewers), sum(vtc), sum(vtb), sum(co_sessions), sum(orders), sum(c_orders)
        FROM (
            SELECT day, store_id, viewers, viewed_then_carted AS vtc, viewed_then_bought AS vtb, 0 AS co_sessions, 0 AS orders,
                   0 AS c_orders
            FROM product_days
            UNION ALL
            SELECT first_view / 86400000, store_id, 0, 0, 0, 1, 0, 0 FROM rebuild_sessions WHERE eligible AND first_view IS NOT NULL
            UNION ALL
            SELECT min(day), min(store_id), 0, 0, 0, 0, min(sign) = 1, min(sign) = -1 FROM rebuild_baskets GROUP BY event_seq
        )
        GROUP BY day, store_id;
        DELETE FROM store_days WHERE \(allZero(AggregateTables.storeCounters));

        -- Session pairs (viewed-viewed, viewed-bought), a row per day and pair (migration 0010).
        INSERT INTO pair_day_rows(day, store_id, kind_id, product_id, other_id, together)
        SELECT day, store_id, kind_id, product_id, other_id, sum(n)
        FROM (
            SELECT max(a.first_viewed_at, b.first_viewed_at) / 86400000 AS day, a.store_id, 1 AS kind_id,
                   a.product_id, b.product_id AS other_id, 1 AS n
            FROM rebuild_sessions AS s
            JOIN session_products AS a ON a.store_id = s.store_id AND a.session_id = s.session_id
            JOIN session_products AS b ON b.store_id = s.store_id AND b.session_id = s.session_id AND b.product_id <> a.product_id
            WHERE s.eligible AND a.first_viewed_at IS NOT NULL AND b.first_viewed_at IS NOT NULL
            UNION ALL
            SELECT b.first_bought_at / 86400000, a.store_id, 2, a.product_id, b.product_id, 1
            FROM rebuild_sessions AS s
            JOIN session_products AS a ON a.store_id = s.store_id AND a.session_id = s.session_id
            JOIN session_products AS b ON b.store_id = s.store_id AND b.session_id = s.session_id AND b.product_id <> a.product_id
            WHERE s.eligible AND a.first_viewed_at < b.first_bought_at
        )
        GROUP BY day, store_id, kind_id, product_id, other_id HAVING sum(n) <> 0;

        -- Order pairs (bought-bought), summed per partner, as one JSON list per day and product.
        INSERT INTO pair_day_lists(day, store_id, kind_id, product_id, pairs)
        SELECT day, store_id, 3, product_id, json_group_object(other_id, together)
        FROM (
            SELECT a.day, a.store_id, a.product_id, b.product_id AS other_id, sum(a.sign) AS together
            FROM rebuild_baskets AS a JOIN rebuild_baskets AS b ON b.event_seq = a.event_seq AND b.product_id <> a.product_id
            GROUP BY a.day, a.store_id, a.product_id, b.product_id HAVING sum(a.sign) <> 0
            ORDER BY a.day, a.store_id, a.product_id, b.product_id
        )
        GROUP BY day, store_id, product_id;

        """
}
