// Raw C baseline of the recommendation benchmark (crosslink-bench, RecommendBench.swift): the
// library's recommendation SQL run with nothing but a prepared statement.
#pragma once
#include <stdint.h>

/// A named parameter value (`:store`): type 1 integer, 2 real, 3 text.
typedef struct {
    const char *name;
    int type;
    int64_t integer;
    double real;
    const char *text;
} recommend_baseline_param;

/// Runs `sql` `count` times on the database at `path` (read-only), each time in its own read
/// transaction with the parameters params[i * params_per_lookup ..< (i + 1) * params_per_lookup]
/// bound by name, reading every column of every row. Writes each run's nanoseconds; returns
/// the rows read in total, or -1 with a message in `error`.
int64_t baseline_recommend_lookups(const char *path, const char *sql, const recommend_baseline_param *params,
                                   int params_per_lookup, int count, int64_t *nanoseconds, char *error, int error_length);
