// Raw C baseline for the rules benchmark (see rules_baseline.h).
#include "rules_baseline.h"
#include "bench_common.h"
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t baseline_rule_lookups(const char *path, const int *indexes, int count, const char *day,
                              rules_baseline_sql sql, int64_t *nanoseconds, char *error, int error_length) {
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        int64_t rc = bench_fail(db, "open", error, error_length);
        sqlite3_close_v2(db);
        return rc;
    }
    sqlite3_stmt *store = NULL, *product = NULL, *block = NULL, *rules = NULL, *linked = NULL, *cached = NULL;
    int64_t total = -1;
    const char *texts[6] = {sql.store_sql, sql.product_sql, sql.block_sql, sql.rules_sql, sql.linked_sql, sql.cached_sql};
    sqlite3_stmt **statements[6] = {&store, &product, &block, &rules, &linked, &cached};
    for (int i = 0; i < 6; i++) {
        if (sqlite3_prepare_v3(db, texts[i], -1, SQLITE_PREPARE_PERSISTENT, statements[i], NULL) != SQLITE_OK) {
            total = bench_fail(db, "prepare", error, error_length);
            goto done;
        }
    }
    total = 0;
    char sku[32], ids[512];
    for (int i = 0; i < count; i++) {
        int64_t start = bench_now_ns();
        sqlite3_exec(db, "BEGIN DEFERRED", NULL, NULL, NULL);
        sqlite3_bind_text(store, 1, "default", 7, SQLITE_STATIC);
        if (sqlite3_step(store) != SQLITE_ROW) { total = bench_fail(db, "store", error, error_length); goto done; }
        sqlite3_int64 store_id = sqlite3_column_int64(store, 0);
        for (int c = 1; c < sqlite3_column_count(store); c++) (void)sqlite3_column_text(store, c);
        sqlite3_reset(store);

        int sku_length = snprintf(sku, sizeof sku, "R-%06d", indexes[i]);
        sqlite3_bind_text(product, 1, sku, sku_length, SQLITE_TRANSIENT);
        if (sqlite3_step(product) != SQLITE_ROW) { total = bench_fail(db, "sku", error, error_length); goto done; }
        sqlite3_int64 product_id = sqlite3_column_int64(product, 0);
        sqlite3_reset(product);

        sqlite3_bind_int64(block, 1, store_id);
        sqlite3_bind_text(block, 2, "related", 7, SQLITE_STATIC);
        if (sqlite3_step(block) != SQLITE_ROW) { total = bench_fail(db, "block", error, error_length); goto done; }
        int max_products = sqlite3_column_type(block, 1) == SQLITE_NULL ? 6 : sqlite3_column_int(block, 1);
        for (int c = 0; c < sqlite3_column_count(block); c++) (void)sqlite3_column_text(block, c);
        sqlite3_reset(block);

        sqlite3_bind_text(rules, 1, "related", 7, SQLITE_STATIC);
        sqlite3_bind_text(rules, 2, day, -1, SQLITE_STATIC);
        sqlite3_bind_text(rules, 3, "[]", 2, SQLITE_STATIC);
        int ids_length = snprintf(ids, sizeof ids, "[");
        int rc;
        while ((rc = sqlite3_step(rules)) == SQLITE_ROW) {
            ids_length += snprintf(ids + ids_length, sizeof ids - (size_t)ids_length, "%s%lld", ids_length > 1 ? "," : "",
                                   (long long)sqlite3_column_int64(rules, 0));
            (void)sqlite3_column_text(rules, 1);
            (void)sqlite3_column_int(rules, 2);
            (void)sqlite3_column_int(rules, 3);
            (void)sqlite3_column_int(rules, 4);
        }
        if (rc != SQLITE_DONE) { total = bench_fail(db, "rules", error, error_length); goto done; }
        ids_length += snprintf(ids + ids_length, sizeof ids - (size_t)ids_length, "]");
        sqlite3_reset(rules);

        int rows = bench_linked_rows(db, linked, product_id, store_id, max_products, 6, error, error_length);
        if (rows < 0) { total = -1; goto done; }
        total += rows;

        sqlite3_bind_int64(cached, 1, product_id);
        sqlite3_bind_int64(cached, 2, store_id);
        sqlite3_bind_text(cached, 3, ids, ids_length, SQLITE_TRANSIENT);
        while ((rc = sqlite3_step(cached)) == SQLITE_ROW) {
            (void)sqlite3_column_int64(cached, 0);
            (void)sqlite3_column_int64(cached, 1);
            (void)sqlite3_column_int64(cached, 2);
            (void)sqlite3_column_text(cached, 3);
            (void)sqlite3_column_text(cached, 4);
            (void)sqlite3_column_double(cached, 5);
            total++;
        }
        if (rc != SQLITE_DONE) { total = bench_fail(db, "cached", error, error_length); goto done; }
        sqlite3_reset(cached);
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        nanoseconds[i] = bench_now_ns() - start;
    }
done:
    for (int i = 0; i < 6; i++) sqlite3_finalize(*statements[i]);
    sqlite3_close_v2(db);
    return total;
}
