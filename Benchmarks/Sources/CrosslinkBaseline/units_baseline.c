// Raw C baseline of the page-resolution benchmark (Sources/crosslink-bench/UnitsBench.swift).
#include "units_baseline.h"
#include "bench_common.h"
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t units_baseline_lookups(const char *path, const char *const *skus, int count, int64_t *nanoseconds,
                               const char *linked_sql, char *error, int error_length) {
    sqlite3 *db = NULL;
    sqlite3_stmt *product = NULL, *linked = NULL;
    int64_t total = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) { bench_fail(db, "open", error, error_length); goto done; }
    if (sqlite3_prepare_v3(db, "SELECT product_id FROM products WHERE sku = ?", -1, SQLITE_PREPARE_PERSISTENT, &product, NULL) != SQLITE_OK ||
        sqlite3_prepare_v3(db, linked_sql, -1, SQLITE_PREPARE_PERSISTENT, &linked, NULL) != SQLITE_OK) {
        bench_fail(db, "prepare", error, error_length);
        goto done;
    }
    total = 0;
    for (int i = 0; i < count; i++) {
        int64_t start = bench_now_ns();
        sqlite3_exec(db, "BEGIN DEFERRED", NULL, NULL, NULL);
        sqlite3_bind_text(product, 1, skus[i], -1, SQLITE_STATIC);
        if (sqlite3_step(product) != SQLITE_ROW) { total = bench_fail(db, "sku", error, error_length); goto done; }
        sqlite3_int64 product_id = sqlite3_column_int64(product, 0);
        sqlite3_reset(product);
        int rows = bench_linked_rows(db, linked, product_id, 1, 5, 4, error, error_length);
        if (rows < 0) { total = -1; goto done; }
        total += rows;
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        nanoseconds[i] = bench_now_ns() - start;
    }
done:
    sqlite3_finalize(product);
    sqlite3_finalize(linked);
    sqlite3_close_v2(db);
    return total;
}
