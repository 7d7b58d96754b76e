/// The set-based definition of the history tables, which ``Aggregates/rebuild()`` runs.
///
/// One text for both engines where they agree; the few spellings they do not share come from
/// ``RebuildDialect`` (a script of many statements is run whole, so it is rendered per engine here
/// rather than through ``SQL``).
extension Aggregates {
    static func dropRebuildTables(_ engine: DatabaseEngine) -> String {
        let schema = engine == .sqlite ? "temp" : "pg_temp"
        return """
            DROP TABLE IF EXISTS \(schema).rebuild_interactions;
            DROP TABLE IF EXISTS \(schema).rebuild_sessions;
            DROP TABLE IF EXISTS \(schema).rebuild_baskets;
            """
    }

    static func allZero(_ counters: [String]) -> String { counters.map { "\($0) = 0" }.joined(separator: " AND ") }

    /// Empties every aggregate table and sets the span of the log: the start of both rebuilds.
    static let clearSQL = """
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

        """

    /// The definition of every history table, in SQL. `Aggregates.apply` must leave the same rows.
    static func rebuildSQL(_ engine: DatabaseEngine) -> String {
        let dialect = RebuildDialect(engine: engine)
        return dropRebuildTables(engine) + clearSQL + """

        -- Every product interaction, rolled up: views and adds to cart, and order lines.
        CREATE TEMP TABLE rebuild_interactions (
            store_id BIGINT NOT NULL, session_id TEXT NOT NULL, visitor_id TEXT NOT NULL, product_id BIGINT NOT NULL,
            type TEXT NOT NULL, occurred_at BIGINT NOT NULL, event_seq BIGINT NOT NULL, quantity DOUBLE PRECISION, price DOUBLE PRECISION);
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
              FROM rebuild_interactions WHERE type <> 'cancel-order') AS i
        GROUP BY store_id, visitor_id, product_id;

        -- Sessions: eligible for co-occurrence when they have at most max_basket_products products.
        CREATE TEMP TABLE rebuild_sessions (
            store_id BIGINT NOT NULL, session_id TEXT NOT NULL, eligible BIGINT NOT NULL, first_view BIGINT,
            PRIMARY KEY (store_id, session_id))\(dialect.withoutRowID);
        INSERT INTO rebuild_sessions
        SELECT store_id, session_id, CASE WHEN count(*) <= (SELECT max_basket_products FROM recommendation_settings) THEN 1 ELSE 0 END,
               min(first_viewed_at)
        FROM session_products GROUP BY store_id, session_id;

        -- Orders and cancellations of 1…max_basket_products distinct known products, one row per product.
        CREATE TEMP TABLE rebuild_baskets (
            event_seq BIGINT NOT NULL, product_id BIGINT NOT NULL, store_id BIGINT NOT NULL, day BIGINT NOT NULL, sign BIGINT NOT NULL,
            PRIMARY KEY (event_seq, product_id))\(dialect.withoutRowID);
        -- The lines of one event share its store, time and type: min() picks them.
        INSERT INTO rebuild_baskets
        SELECT event_seq, product_id, min(store_id), min(occurred_at) / 86400000, CASE min(type) WHEN 'place-order' THEN 1 ELSE -1 END
        FROM rebuild_interactions WHERE type IN ('place-order', 'cancel-order') GROUP BY event_seq, product_id;
        DELETE FROM rebuild_baskets WHERE event_seq IN (
            SELECT event_seq FROM rebuild_baskets GROUP BY event_seq
            HAVING count(*) > (SELECT max_basket_products FROM recommendation_settings));

        INSERT INTO product_days(day, store_id, product_id, viewers, carters, buyers, cancellers, viewed_then_carted,
                                 viewed_then_bought, units, revenue_cents, orders, cancelled_units, cancelled_revenue_cents,
                                 cancelled_orders, co_viewers, co_buyers)
        SELECT day, store_id, product_id, sum(viewers), sum(carters), sum(buyers), sum(cancellers), sum(vtc), sum(vtb),
               sum(units), \(dialect.saturatingSum("revenue")), sum(orders), sum(c_units), \(dialect.saturatingSum("c_revenue")), sum(c_orders),
               sum(co_viewers), sum(co_buyers)
        FROM (
            SELECT p.first_viewed_at / 86400000 AS day, p.store_id, p.product_id, 1 AS viewers, 0 AS carters, 0 AS buyers,
                   0 AS cancellers, 0 AS vtc, 0 AS vtb, 0.0 AS units, 0 AS revenue, 0 AS orders, 0.0 AS c_units, 0 AS c_revenue,
                   0 AS c_orders, s.eligible AS co_viewers, 0 AS co_buyers
            FROM session_products AS p JOIN rebuild_sessions AS s USING (store_id, session_id)
            WHERE p.first_viewed_at IS NOT NULL
            UNION ALL
            SELECT p.first_carted_at / 86400000, p.store_id, p.product_id, 0, 1, 0, 0,
                   CASE WHEN p.first_viewed_at < p.first_carted_at THEN 1 ELSE 0 END, 0, 0.0, 0, 0, 0.0, 0, 0, 0, 0
            FROM session_products AS p WHERE p.first_carted_at IS NOT NULL
            UNION ALL
            SELECT p.first_bought_at / 86400000, p.store_id, p.product_id, 0, 0, 1, 0, 0,
                   CASE WHEN p.first_viewed_at < p.first_bought_at THEN 1 ELSE 0 END, 0.0, 0, 0, 0.0, 0, 0, 0,
                   CASE WHEN s.eligible <> 0 AND s.first_view IS NOT NULL THEN 1 ELSE 0 END
            FROM session_products AS p JOIN rebuild_sessions AS s USING (store_id, session_id)
            WHERE p.first_bought_at IS NOT NULL
            UNION ALL
            SELECT p.first_cancelled_at / 86400000, p.store_id, p.product_id, 0, 0, 0, 1, 0, 0, 0.0, 0, 0, 0.0, 0, 0, 0, 0
            FROM session_products AS p WHERE p.first_cancelled_at IS NOT NULL
            UNION ALL
            SELECT occurred_at / 86400000, store_id, product_id, 0, 0, 0, 0, 0, 0,
                   CASE type WHEN 'place-order' THEN quantity ELSE 0.0 END,
                   CASE type WHEN 'place-order' THEN \(dialect.cents("quantity * price * 100")) ELSE 0 END, 0,
                   CASE type WHEN 'cancel-order' THEN quantity ELSE 0.0 END,
                   CASE type WHEN 'cancel-order' THEN \(dialect.cents("quantity * price * 100")) ELSE 0 END, 0, 0, 0
            FROM rebuild_interactions WHERE type IN ('place-order', 'cancel-order')
            UNION ALL
            SELECT day, store_id, product_id, 0, 0, 0, 0, 0, 0, 0.0, 0, CASE WHEN sign = 1 THEN 1 ELSE 0 END, 0.0, 0,
                   CASE WHEN sign = -1 THEN 1 ELSE 0 END, 0, 0
            FROM rebuild_baskets
        ) AS d
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
            SELECT first_view / 86400000, store_id, 0, 0, 0, 1, 0, 0 FROM rebuild_sessions WHERE eligible <> 0 AND first_view IS NOT NULL
            UNION ALL
            SELECT min(day), min(store_id), 0, 0, 0, 0, CASE WHEN min(sign) = 1 THEN 1 ELSE 0 END, CASE WHEN min(sign) = -1 THEN 1 ELSE 0 END
            FROM rebuild_baskets GROUP BY event_seq
        ) AS d
        GROUP BY day, store_id;
        DELETE FROM store_days WHERE \(allZero(AggregateTables.storeCounters));

        -- Session pairs (viewed-viewed, viewed-bought), a row per day and pair (migration 0010).
        INSERT INTO pair_day_rows(day, store_id, kind_id, product_id, other_id, together)
        SELECT day, store_id, kind_id, product_id, other_id, sum(n)
        FROM (
            SELECT CASE WHEN a.first_viewed_at > b.first_viewed_at THEN a.first_viewed_at ELSE b.first_viewed_at END / 86400000 AS day,
                   a.store_id, 1 AS kind_id,
                   a.product_id, b.product_id AS other_id, 1 AS n
            FROM rebuild_sessions AS s
            JOIN session_products AS a ON a.store_id = s.store_id AND a.session_id = s.session_id
            JOIN session_products AS b ON b.store_id = s.store_id AND b.session_id = s.session_id AND b.product_id <> a.product_id
            WHERE s.eligible <> 0 AND a.first_viewed_at IS NOT NULL AND b.first_viewed_at IS NOT NULL
            UNION ALL
            SELECT b.first_bought_at / 86400000, a.store_id, 2, a.product_id, b.product_id, 1
            FROM rebuild_sessions AS s
            JOIN session_products AS a ON a.store_id = s.store_id AND a.session_id = s.session_id
            JOIN session_products AS b ON b.store_id = s.store_id AND b.session_id = s.session_id AND b.product_id <> a.product_id
            WHERE s.eligible <> 0 AND a.first_viewed_at < b.first_bought_at
        ) AS d
        GROUP BY day, store_id, kind_id, product_id, other_id HAVING sum(n) <> 0;

        -- Order pairs (bought-bought), summed per partner, as one JSON list per day and product.
        INSERT INTO pair_day_lists(day, store_id, kind_id, product_id, pairs)
        SELECT day, store_id, 3, product_id, \(dialect.pairList)
        FROM (
            SELECT a.day, a.store_id, a.product_id, b.product_id AS other_id, sum(a.sign) AS together
            FROM rebuild_baskets AS a JOIN rebuild_baskets AS b ON b.event_seq = a.event_seq AND b.product_id <> a.product_id
            GROUP BY a.day, a.store_id, a.product_id, b.product_id HAVING sum(a.sign) <> 0
            ORDER BY a.day, a.store_id, a.product_id, b.product_id
        ) AS d
        GROUP BY day, store_id, product_id;

        """
    }
}

/// What the rebuild script spells differently on the two engines.
struct RebuildDialect {
    let engine: DatabaseEngine

    /// SQLite keys its small temporary tables by their primary key; PostgreSQL has no such option.
    var withoutRowID: String { engine == .sqlite ? " WITHOUT ROWID" : "" }

    /// A saturating sum of integer cents: SQLite's total() sums in floating point (cast back,
    /// clamped); PostgreSQL's sum(bigint) is numeric (clamped to bigint).
    func saturatingSum(_ column: String) -> String {
        engine == .sqlite ? "CAST(total(\(column)) AS INTEGER)" : AggregateTables.clampedToBigint("sum(\(column))")
    }

    /// A line's revenue in cents as ``AggregateDeltas`` rounds it (SQLite's round(): half away
    /// from zero by adding 0.5 and truncating, a value beyond 2⁵² left as it is), clamped to
    /// Int64. PostgreSQL's round(double precision) rounds half to even, so it is spelled out.
    func cents(_ value: String) -> String {
        if engine == .sqlite { return "CAST(round(\(value)) AS INTEGER)" }
        let rounded = """
            CASE WHEN abs(\(value)) > 4503599627370496 THEN \(value) WHEN \(value) >= 0 THEN trunc(\(value) + 0.5) \
            ELSE -trunc(-(\(value)) + 0.5) END
            """
        return """
            CASE WHEN \(rounded) >= 9.223372036854775807e18 THEN 9223372036854775807 \
            WHEN \(rounded) <= -9.223372036854775807e18 THEN -9223372036854775807 - 1 ELSE CAST(\(rounded) AS bigint) END
            """
    }

    /// One bought-together list from rows ordered by partner (migration 0010).
    var pairList: String {
        engine == .sqlite ? "json_group_object(other_id, together)" : "jsonb_object_agg(CAST(other_id AS text), together)"
    }
}
