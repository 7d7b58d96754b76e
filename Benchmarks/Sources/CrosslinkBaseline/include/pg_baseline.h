// Raw libpq baseline for `crosslink-bench postgresql` (PostgreSQLBench.swift): the same SQL
// Crosslink runs, prepared once on the same connection kind (the same socket), with nothing
// between the caller and libpq.
#pragma once
#include <stdint.h>
#include "baseline.h"

/// One connection with its prepared statements.
typedef struct pg_baseline pg_baseline;

/// Connects to `conninfo` (a URI as libpq reads it) and sets the session as Crosslink does
/// (UTC, generic plans). NULL with a message in `error`.
pg_baseline *pg_baseline_connect(const char *conninfo, char *error, int error_length);
void pg_baseline_close(pg_baseline *handle);
/// The last error's message.
const char *pg_baseline_error(const pg_baseline *handle);
/// Runs `sql` (no parameters; several statements allowed). 0, or -1.
int pg_baseline_execute(pg_baseline *handle, const char *sql);
/// The first value of `sql`'s first row, to be freed by the caller; NULL on error.
char *pg_baseline_scalar(pg_baseline *handle, const char *sql);

/// `count` executions of a prepared `SELECT 1`, each one round trip; nanoseconds into `nanoseconds`.
/// Returns 0, or -1.
int pg_baseline_round_trips(pg_baseline *handle, int count, int64_t *nanoseconds);

/// The related placement for each SKU as Crosslink runs it on PostgreSQL: BEGIN ISOLATION LEVEL
/// REPEATABLE READ, the store by code, the product by SKU, the block's rule settings
/// (`block_sql`, `$1` store, `$2` block), the linked products (`linked_sql`: `$1` sources,
/// `$2` link type, `$3` store, `$4` exclusions, `$5` limit), COMMIT. Returns the products found
/// in total, or -1.
int64_t pg_baseline_related_lookups(pg_baseline *handle, const char *const *skus, int count, int64_t *nanoseconds,
                                    const char *block_sql, const char *linked_sql);

/// The benchmark catalog (baseline.h) inserted as Crosslink's Magento import sends it on
/// PostgreSQL: product ids drawn in one query, then products, website assignments and links in
/// batches of 5,000 rows, one prepared `INSERT … SELECT FROM unnest(array parameters)` each, in
/// one write transaction (the advisory write lock, bulk mode, names indexed at the end).
/// Returns the nanoseconds, or -1.
int64_t pg_baseline_insert_catalog(pg_baseline *handle, baseline_catalog catalog);

/// An event for the COPY path, its ids resolved by the caller (0: NULL).
typedef struct {
    const baseline_event *event;
    int64_t product_id;
    int64_t category_id;
} pg_baseline_event;

/// Appends `count` events in transactions of `batch_size` the way Crosslink does on
/// PostgreSQL: the write lock, a text COPY into a temporary staging table, one
/// `INSERT … SELECT … ON CONFLICT (event_key) DO NOTHING RETURNING`, a COPY of the stored
/// events' order lines. `line_product_ids[i]` is the product of `lines[i]` (0: NULL). Returns
/// the nanoseconds, or -1.
int64_t pg_baseline_events_append(pg_baseline *handle, const pg_baseline_event *events, int count,
                                  const baseline_event_line *lines, const int64_t *line_product_ids, int batch_size);
