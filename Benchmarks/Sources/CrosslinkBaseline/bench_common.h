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

/// Runs `Placements.linkedSQL` (prepared as `linked`) for one product's related links (link
/// type 1) in `store_id`, excluding the product itself, up to `limit`; reads the first
/// `columns` columns of each row, as the Swift side does. Returns the rows, or -1 (error set).
static inline int bench_linked_rows(sqlite3 *db, sqlite3_stmt *linked, sqlite3_int64 product_id, sqlite3_int64 store_id,
                                    int limit, int columns, char *error, int error_length) {
    char ids[32];
    int ids_length = snprintf(ids, sizeof ids, "[%lld]", (long long)product_id);
    sqlite3_bind_text(linked, 1, ids, ids_length, SQLITE_TRANSIENT);  // the sources
    sqlite3_bind_int(linked, 2, 1);
    sqlite3_bind_int64(linked, 3, store_id);
    sqlite3_bind_text(linked, 4, ids, ids_length, SQLITE_TRANSIENT);  // the exclusions
    sqlite3_bind_int(linked, 5, limit);
    int rows = 0, rc;
    while ((rc = sqlite3_step(linked)) == SQLITE_ROW) {
        for (int c = 0; c < columns; c++) (void)sqlite3_column_text(linked, c);
        rows++;
    }
    sqlite3_reset(linked);
    return rc == SQLITE_DONE ? rows : bench_fail(db, "linked", error, error_length);
}
#endif
