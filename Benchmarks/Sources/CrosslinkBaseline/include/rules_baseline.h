// Raw C baseline of the rules benchmark: the cached rule placement done with nothing but
// prepared statements, the same SQL the library runs.
#pragma once
#include <stdint.h>

/// The statements of one cached product-page block, as Crosslink runs them (texts from the
/// library, so both sides run the same SQL).
typedef struct {
    const char *store_sql;          // ?1 store code → store_id, …
    const char *product_sql;        // ?1 SKU → product_id
    const char *block_sql;          // ?1 store id, ?2 block → settings, cache state
    const char *rules_sql;          // ?1 block, ?2 day, ?3 segments JSON → rules
    const char *linked_sql;         // manual links (?1 sources JSON, ?2 link type, ?3 store, ?4 excluded JSON, ?5 limit)
    const char *cached_sql;         // ?1 product id, ?2 store id, ?3 rule ids JSON → cached candidates
} rules_baseline_sql;

/// For each SKU "R-%06d" of `indexes`, in one read transaction: the related block with rules
/// from the cache (store, SKU, block settings, rules, manual links, cached lists), reading
/// every column. Writes each lookup's nanoseconds; returns the rows read in total or -1 with
/// a message in `error`.
int64_t baseline_rule_lookups(const char *path, const int *indexes, int count, const char *day,
                              rules_baseline_sql sql, int64_t *nanoseconds, char *error, int error_length);
