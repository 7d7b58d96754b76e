// Raw C SQLite baseline for crosslink-bench: the same work as Crosslink, with nothing
// between the caller and sqlite3 but prepared statements.
#pragma once
#include <stdint.h>
#include "events_baseline.h"

/// The deterministic benchmark catalog shared by the C and Swift sides: product i has SKU
/// "BENCH-%06d", name "Bench product %d", price 10 + i % 90, and links to products
/// (i + k * step) % n for k = 1...links_per_type, step 1 (related), 7 (upsell), 13 (crosssell),
/// positions k.
typedef struct {
    int products;
    int links_per_type;
} baseline_catalog;

/// Inserts the catalog (products, website assignments, links) into the migrated, empty
/// database at `path` in one transaction. Returns the elapsed nanoseconds, or -1 with a
/// message in `error`.
int64_t baseline_insert_catalog(const char *path, baseline_catalog catalog, char *error, int error_length);

/// Runs the related-products placement for `count` SKUs (product index sequence in `indexes`)
/// exactly as Crosslink does (store lookup, SKU lookup, linked-products query) and writes
/// each lookup's nanoseconds into `nanoseconds`. Returns the number of products returned in
/// total, or -1 with a message in `error`.
int64_t baseline_related_lookups(const char *path, const int *indexes, int count, int64_t *nanoseconds,
                                 const char *linked_sql, char *error, int error_length);

/// sqlite3_libversion(), so the benchmark can print it without importing the shim.
const char *sqlite3_libversion_for_bench(void);
#include "rules_baseline.h"
#include "recommend_baseline.h"
#include "metrics_baseline.h"
#include "units_baseline.h"
