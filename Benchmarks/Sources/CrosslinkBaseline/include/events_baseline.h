// Raw C SQLite baseline for the event-ingest benchmark (crosslink-bench, EventIngestBench.swift).
#pragma once
#include <stdint.h>

/// One event, as the benchmark hands it to both sides. Strings are NUL-terminated; optional
/// ones are NULL when absent. `store_id` is resolved by the caller; SKUs and the category
/// (a name path) are resolved by SQL, as Crosslink does.
typedef struct {
    const char *key;
    const char *type;
    int64_t occurred_at;
    int64_t store_id;
    const char *visitor_id;
    const char *customer_id;
    const char *session_id;
    const char *sku;
    const char *category;
    const char *order_id;
    const char *unit_id;
    double quantity;
    double price;
    int has_quantity;
    int has_price;
    /// The event's order lines: lines[first_line ..< first_line + line_count].
    int first_line;
    int line_count;
} baseline_event;

typedef struct {
    const char *sku;
    const char *parent_sku;
    double quantity;
    double price;
} baseline_event_line;

/// A connection with its prepared statements.
typedef struct baseline_events baseline_events;

/// Opens the migrated database at `path` with WAL, foreign keys and `PRAGMA synchronous =
/// <synchronous>` ("NORMAL" or "FULL"), and prepares the inserts. NULL with a message in `error`.
baseline_events *baseline_events_open(const char *path, const char *synchronous, char *error, int error_length);

/// Appends `count` events in transactions of `batch_size` events (BEGIN IMMEDIATE … COMMIT):
/// an event whose key is already stored is skipped (ON CONFLICT DO NOTHING); SKUs resolve to
/// product ids and the category to its id inside the INSERTs. `lines` is the array the events'
/// `first_line` indexes. Returns the nanoseconds taken, or -1 (see baseline_events_error).
int64_t baseline_events_append(baseline_events *handle, const baseline_event *events, int count,
                               const baseline_event_line *lines, int batch_size);

/// The last error's message.
const char *baseline_events_error(const baseline_events *handle);

void baseline_events_close(baseline_events *handle);

/// The in-schema floor: copies every event and order line of the database at `source_path`
/// into the (migrated, same catalog, no events) database at `path` with one `INSERT … SELECT`
/// each, in one transaction, with the library's settings. Nanoseconds, or -1 with a message.
int64_t baseline_events_insert_select(const char *path, const char *source_path, char *error, int error_length);
