// Helpers every C baseline shares (private to this target: not in include/).
#ifndef CROSSLINK_BENCH_COMMON_H
#define CROSSLINK_BENCH_COMMON_H
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/// Monotonic time in nanoseconds, the clock the Swift side times with.
static inline int64_t bench_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/// Writes "what: SQLite's message" into `error` and returns -1 (the baselines' failure result).
static inline int bench_fail(sqlite3 *db, const char *what, char *error, int error_length) {
    snprintf(error, (size_t)error_length, "%s: %s", what, db ? sqlite3_errmsg(db) : "no database");
    return -1;
}
#endif
