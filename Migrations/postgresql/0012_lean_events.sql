-- 0012_lean_events (PostgreSQL 15): `events` keeps only the indexes a read needs, and checks
-- its references once per statement instead of once per row. The twin of
-- Migrations/0012_lean_events.sql for the indexes. Ingest is the hot write path: one backend
-- spent ~25 µs of CPU per stored event, about half of it in the three foreign keys' per-row
-- checks and most of the rest in indexes no read used. The read that uses each remaining
-- index (docs/notes/pgingest.md has the table):
--   primary key (event_seq)          order lines join their event; the log reads in ingest order
--   UNIQUE (event_key)               de-duplication of the sender's event id (ON CONFLICT)
--   events_visitor_id_occurred_at    as-of recently viewed and visitor history; unit metrics
--                                    find a click's later orders by the same visitor
--   events_product_id (new)          deleting a product sets its events' product_id to NULL;
--                                    evaluation's "products sold"
--   events_occurred_at               the evaluation's test period (events from the split on)
--                                    and the log's first and last time; times mostly arrive in
--                                    order, so its inserts append at the right edge (cheap)
--   0006's two unit-event indexes    unit metrics (partial: other events do not enter them)

-- No read looks events up by session: aggregates keep sessions in session_products, and unit
-- metrics use 0006's partial session index of unit events.
DROP INDEX events_session_id_occurred_at;

-- No read looks an order up by id (the stats count distinct ids in one scan).
DROP INDEX events_order_id;

-- Only the reference's ON DELETE SET NULL and "events with a product" look events up by
-- product: the product id alone, and only events that have one.
DROP INDEX events_product_id_type_occurred_at;
CREATE INDEX events_product_id ON events(product_id) WHERE product_id IS NOT NULL;

-- The references of events (store, product, category) are checked per statement: a foreign
-- key runs one lookup per inserted row (an ingest chunk of 1,000 events: 3,000 lookups); the
-- triggers below check a whole INSERT (or COPY) in one query per referenced table, with the
-- same outcome: the statement fails with foreign_key_violation (23503) naming the missing
-- id, and the referenced rows are locked FOR KEY SHARE as a foreign key locks them, so a
-- concurrent delete waits for the inserting transaction. Deleting a store that has events
-- still fails; deleting a product or category still sets its events' id to NULL.
ALTER TABLE events DROP CONSTRAINT events_store_id_fkey;
ALTER TABLE events DROP CONSTRAINT events_product_id_fkey;
ALTER TABLE events DROP CONSTRAINT events_category_id_fkey;

CREATE FUNCTION events_check_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing bigint;
BEGIN
    PERFORM 1 FROM stores AS s WHERE s.store_id IN (SELECT n.store_id FROM new_events AS n) FOR KEY SHARE OF s;
    SELECT n.store_id INTO missing FROM new_events AS n
    WHERE NOT EXISTS (SELECT 1 FROM stores AS s WHERE s.store_id = n.store_id) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insert or update on table "events" violates its reference to "stores"'
            USING ERRCODE = 'foreign_key_violation', DETAIL = format('Key (store_id)=(%s) is not present in table "stores".', missing);
    END IF;
    PERFORM 1 FROM products AS p WHERE p.product_id IN (SELECT n.product_id FROM new_events AS n) FOR KEY SHARE OF p;
    SELECT n.product_id INTO missing FROM new_events AS n
    WHERE n.product_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM products AS p WHERE p.product_id = n.product_id) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insert or update on table "events" violates its reference to "products"'
            USING ERRCODE = 'foreign_key_violation', DETAIL = format('Key (product_id)=(%s) is not present in table "products".', missing);
    END IF;
    PERFORM 1 FROM categories AS c WHERE c.category_id IN (SELECT n.category_id FROM new_events AS n) FOR KEY SHARE OF c;
    SELECT n.category_id INTO missing FROM new_events AS n
    WHERE n.category_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM categories AS c WHERE c.category_id = n.category_id) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insert or update on table "events" violates its reference to "categories"'
            USING ERRCODE = 'foreign_key_violation', DETAIL = format('Key (category_id)=(%s) is not present in table "categories".', missing);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER events_check_references_insert AFTER INSERT ON events
REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION events_check_references();
CREATE TRIGGER events_check_references_update AFTER UPDATE ON events
REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION events_check_references();

-- The other side of the references: a store with events cannot be deleted, a deleted
-- product's or category's events keep their SKU or category text and lose the id. Per
-- statement for deletes; a renumbered id (never done by Crosslink: ids are identities) is
-- handled per row, only when the id changes, so ordinary updates of these tables pay nothing.
CREATE FUNCTION stores_keep_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    used bigint;
BEGIN
    IF TG_LEVEL = 'ROW' THEN
        used := CASE WHEN EXISTS (SELECT 1 FROM events AS e WHERE e.store_id = OLD.store_id) THEN OLD.store_id END;
    ELSE
        SELECT o.store_id INTO used FROM old_stores AS o
        WHERE EXISTS (SELECT 1 FROM events AS e WHERE e.store_id = o.store_id) LIMIT 1;
    END IF;
    IF used IS NOT NULL THEN
        RAISE EXCEPTION 'update or delete on table "stores" violates the reference from table "events"'
            USING ERRCODE = 'foreign_key_violation', DETAIL = format('Key (store_id)=(%s) is still referenced from table "events".', used);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER stores_keep_events_delete AFTER DELETE ON stores
REFERENCING OLD TABLE AS old_stores FOR EACH STATEMENT EXECUTE FUNCTION stores_keep_events();
CREATE TRIGGER stores_keep_events_update AFTER UPDATE OF store_id ON stores
FOR EACH ROW WHEN (OLD.store_id <> NEW.store_id) EXECUTE FUNCTION stores_keep_events();

CREATE FUNCTION products_forget_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_LEVEL = 'ROW' THEN
        UPDATE events SET product_id = NULL WHERE product_id = OLD.product_id;
    ELSE
        UPDATE events SET product_id = NULL WHERE product_id IN (SELECT o.product_id FROM old_products AS o);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER products_forget_events_delete AFTER DELETE ON products
REFERENCING OLD TABLE AS old_products FOR EACH STATEMENT EXECUTE FUNCTION products_forget_events();
CREATE TRIGGER products_forget_events_update AFTER UPDATE OF product_id ON products
FOR EACH ROW WHEN (OLD.product_id <> NEW.product_id) EXECUTE FUNCTION products_forget_events();

-- Events have no category index (no read needs one): one scan per deleting statement, where
-- the foreign key's action scanned once per deleted category.
CREATE FUNCTION categories_forget_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_LEVEL = 'ROW' THEN
        UPDATE events SET category_id = NULL WHERE category_id = OLD.category_id;
    ELSE
        UPDATE events SET category_id = NULL WHERE category_id IN (SELECT o.category_id FROM old_categories AS o);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER categories_forget_events_delete AFTER DELETE ON categories
REFERENCING OLD TABLE AS old_categories FOR EACH STATEMENT EXECUTE FUNCTION categories_forget_events();
CREATE TRIGGER categories_forget_events_update AFTER UPDATE OF category_id ON categories
FOR EACH ROW WHEN (OLD.category_id <> NEW.category_id) EXECUTE FUNCTION categories_forget_events();

UPDATE crosslink_database SET user_version = 12 WHERE database_id = 1;
