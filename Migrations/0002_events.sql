-- 0002_events: the visitor event log (spec §4 "Events"). Events are appended as they come;
-- aggregates (0004_aggregates) are derived from them and can always be rebuilt from this log.

-- One row per accepted event. `event_key` is the sender's event id: a second delivery of the
-- same id is ignored (INSERT … ON CONFLICT DO NOTHING). Times are Unix milliseconds (UTC),
-- compact and fast to compare; the `event_list` view shows them as ISO 8601.
CREATE TABLE events (
    event_seq    INTEGER PRIMARY KEY,             -- ingest order
    event_key    TEXT NOT NULL UNIQUE,            -- the sender's id, for de-duplication
    type         TEXT NOT NULL CHECK (type IN (
                     'page-view', 'product-view', 'category-view', 'add-to-cart', 'remove-from-cart',
                     'place-order', 'cancel-order',
                     'recs-unit-render', 'recs-unit-view', 'recs-item-click', 'recs-add-to-cart-click')),
    occurred_at  INTEGER NOT NULL,                -- Unix time in milliseconds, UTC
    store_id     INTEGER NOT NULL REFERENCES stores(store_id),
    visitor_id   TEXT NOT NULL,                   -- anonymous visitor (cookie) id
    customer_id  TEXT,                            -- logged-in customer, when known
    session_id   TEXT NOT NULL,
    product_id   INTEGER REFERENCES products(product_id) ON DELETE SET NULL,  -- product events, recs clicks
    sku          TEXT,                            -- as sent (kept when the product is unknown or deleted)
    category_id  INTEGER REFERENCES categories(category_id) ON DELETE SET NULL,
    category     TEXT,                            -- category-view: as sent (kept when unknown)
    order_id     TEXT,                            -- place-order, cancel-order
    unit_id      TEXT,                            -- recs-* events: the recommendation unit
    quantity     REAL,                            -- add/remove-from-cart
    price        REAL
) STRICT;
CREATE INDEX events_occurred_at ON events(occurred_at);
CREATE INDEX events_session_id_occurred_at ON events(session_id, occurred_at);
CREATE INDEX events_visitor_id_occurred_at ON events(visitor_id, occurred_at);
CREATE INDEX events_product_id_type_occurred_at ON events(product_id, type, occurred_at);
CREATE INDEX events_order_id ON events(order_id) WHERE order_id IS NOT NULL;

-- The lines of a place-order or cancel-order event: what was bought (or cancelled).
CREATE TABLE event_lines (
    event_seq   INTEGER NOT NULL REFERENCES events(event_seq) ON DELETE CASCADE,
    line        INTEGER NOT NULL,                 -- 1-based, in the order sent
    product_id  INTEGER REFERENCES products(product_id) ON DELETE SET NULL,
    sku         TEXT NOT NULL,
    parent_sku  TEXT,                             -- the configurable/bundle parent, when sent
    quantity    REAL NOT NULL CHECK (quantity > 0),
    price       REAL NOT NULL CHECK (price >= 0),
    PRIMARY KEY (event_seq, line)
) STRICT, WITHOUT ROWID;
CREATE INDEX event_lines_product_id ON event_lines(product_id);

-- Events with readable times and SKUs, for the sqlite3 CLI. `known` = 0: the SKU (or
-- category) is not in the catalog; the event is kept with a NULL id (see README, ingest policy).
CREATE VIEW event_list AS
SELECT e.event_seq, e.event_key, e.type,
       strftime('%Y-%m-%dT%H:%M:%fZ', e.occurred_at / 1000.0, 'unixepoch') AS occurred,
       s.code AS store, e.visitor_id, e.customer_id, e.session_id,
       coalesce(p.sku, e.sku) AS sku, coalesce(c.name_path, e.category) AS category,
       e.order_id, e.unit_id, e.quantity, e.price,
       (e.sku IS NULL OR e.product_id IS NOT NULL) AND (e.category IS NULL OR e.category_id IS NOT NULL) AS known
FROM events AS e
JOIN stores AS s ON s.store_id = e.store_id
LEFT JOIN products AS p ON p.product_id = e.product_id
LEFT JOIN categories AS c ON c.category_id = e.category_id;

-- Order lines with their order's time and SKUs, for the sqlite3 CLI (`known` as above).
CREATE VIEW event_line_list AS
SELECT e.event_seq, e.event_key, e.type,
       strftime('%Y-%m-%dT%H:%M:%fZ', e.occurred_at / 1000.0, 'unixepoch') AS occurred,
       e.visitor_id, e.customer_id, e.order_id, l.line, coalesce(p.sku, l.sku) AS sku, l.parent_sku,
       l.quantity, l.price, l.product_id IS NOT NULL AS known
FROM event_lines AS l
JOIN events AS e ON e.event_seq = l.event_seq
LEFT JOIN products AS p ON p.product_id = l.product_id;
