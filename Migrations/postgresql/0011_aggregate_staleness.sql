-- 0011_aggregate_staleness (PostgreSQL 15): a durable mark that the aggregates (0004, 0010) miss events that
-- are stored.
--
-- Ingest folds events into the aggregates in the transaction that stores them, except a bulk
-- load (`crosslink events import --rebuild-aggregates`, EventIngestOptions.aggregate = false),
-- which stores the events first and rebuilds every aggregate in a later transaction. A process
-- killed in between left the events stored and the aggregates behind, with nothing to tell.
-- The ingest that stores events without aggregating them writes this row in the same
-- transaction; Aggregates.rebuild deletes it in its own, so the row exists exactly while the
-- aggregates are not a rebuild of the log. `aggregates status`, `recommend` and `check` report
-- it; the next aggregating write (Aggregates.apply) rebuilds instead of folding, and
-- `crosslink aggregates rebuild` clears it explicitly.

-- At most one row: present = stale.
CREATE TABLE aggregate_staleness (
    staleness_id  bigint PRIMARY KEY CHECK (staleness_id = 1),
    since         text COLLATE "C" NOT NULL,             -- wall-clock time of the first such ingest (ISO 8601, UTC)
    source        text COLLATE "C" NOT NULL,             -- the file or batch name of the latest such ingest
    events        bigint NOT NULL CHECK (events >= 0)  -- events stored without aggregation since
);
COMMENT ON TABLE aggregate_staleness IS 'Present while the aggregates miss stored events (at most one row)';

UPDATE crosslink_database SET user_version = 11 WHERE database_id = 1;
