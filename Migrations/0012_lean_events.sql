-- 0012_lean_events: `events` keeps only the indexes a read needs. Every index is written once
-- per stored event; ingest is the hot write path, and these were most of its cost. The read
-- that uses each remaining index (docs/notes/pgingest.md has the table):
--   primary key (event_seq)          order lines join their event; the log reads in ingest order
--   UNIQUE (event_key)               de-duplication of the sender's event id (ON CONFLICT)
--   events_visitor_id_occurred_at    as-of recently viewed and visitor history; unit metrics
--                                    find a click's later orders by the same visitor
--   events_product_id (new)          deleting a product sets its events' product_id to NULL
--                                    (the foreign key's action); evaluation's "products sold"
--   events_occurred_at               the evaluation's test period (events from the split on)
--                                    and the log's first and last time; times mostly arrive in
--                                    order, so its inserts append at the right edge (cheap)
--   0006's two unit-event indexes    unit metrics (partial: other events do not enter them)

-- No read looks events up by session: aggregates keep sessions in session_products, and unit
-- metrics use 0006's partial session index of unit events.
DROP INDEX events_session_id_occurred_at;

-- No read looks an order up by id (the stats count distinct ids in one scan).
DROP INDEX events_order_id;

-- Only the foreign key's ON DELETE SET NULL and "events with a product" look events up by
-- product: the product id alone, and only events that have one (page, category and unit
-- events stay out of it).
DROP INDEX events_product_id_type_occurred_at;
CREATE INDEX events_product_id ON events(product_id) WHERE product_id IS NOT NULL;
