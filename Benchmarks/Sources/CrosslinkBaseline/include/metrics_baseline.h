#ifndef METRICS_BASELINE_H
#define METRICS_BASELINE_H
#include <stdint.h>

/// Runs `sql` (with up to two text parameters, NULL = unbound) on the database at `path`
/// `repeats` times, stepping through every row, and returns the median nanoseconds of one
/// run; `rows` gets the row count of the last run. -1 with a message in `error` on failure.
int64_t metrics_baseline_query(const char *path, const char *sql, const char *parameter1, const char *parameter2,
                               int repeats, int64_t *rows, char *error, int error_length);

#endif
