#include "baseline.h"
#include "bench_common.h"
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static sqlite3 *open_db(const char *path, int readonly, char *error, int error_length) {
    sqlite3 *db = NULL;
    int flags = (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
        bench_fail(db, "open", error, error_length);
        sqlite3_close_v2(db);
        return NULL;
    }
    sqlite3_exec(db, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;", NULL, NULL, NULL);
    return db;
}

int64_t baseline_insert_catalog(const char *path, baseline_catalog catalog, char *error, int error_length) {
    sqlite3 *db = open_db(path, 0, error, error_length);
    if (!db) return -1;
    const int steps[3] = {1, 7, 13};
    const int types[3] = {1, 4, 5};
    sqlite3_stmt *product = NULL, *website = NULL, *link = NULL;
    int64_t start = bench_now_ns();
    int rc = -1;
    // Bulk mode, as the importer: the per-row change triggers stand aside; the names are indexed at the end.
    if (sqlite3_exec(db, "BEGIN IMMEDIATE; UPDATE catalog_write_mode SET bulk = 1 WHERE id = 1", NULL, NULL, NULL) != SQLITE_OK) {
        bench_fail(db, "begin", error, error_length);
        goto done;
    }
    if (sqlite3_prepare_v2(db, "INSERT INTO products(sku, name, type, attribute_set, enabled, visibility, price, qty, in_stock) "
                               "VALUES (?1, ?2, 'simple', 'Default', 1, 4, ?3, 100, 1) RETURNING product_id", -1, &product, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO product_websites(product_id, website_id) VALUES (?1, 1)", -1, &website, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO product_links(link_type_id, product_id, linked_product_id, position) VALUES (?1, ?2, ?3, ?4)",
                           -1, &link, NULL) != SQLITE_OK) {
        bench_fail(db, "prepare", error, error_length);
        goto done;
    }
    char sku[32], name[64];
    for (int i = 0; i < catalog.products; i++) {
        int sku_length = snprintf(sku, sizeof sku, "BENCH-%06d", i);
        int name_length = snprintf(name, sizeof name, "Bench product %d", i);
        sqlite3_bind_text(product, 1, sku, sku_length, SQLITE_TRANSIENT);
        sqlite3_bind_text(product, 2, name, name_length, SQLITE_TRANSIENT);
        sqlite3_bind_double(product, 3, 10 + i % 90);
        if (sqlite3_step(product) != SQLITE_ROW) { bench_fail(db, "insert product", error, error_length); goto done; }
        sqlite3_int64 id = sqlite3_column_int64(product, 0);
        sqlite3_reset(product);
        sqlite3_bind_int64(website, 1, id);
        if (sqlite3_step(website) != SQLITE_DONE) { bench_fail(db, "insert website", error, error_length); goto done; }
        sqlite3_reset(website);
    }
    // Product ids are 1...n in insertion order on an empty database.
    for (int i = 0; i < catalog.products; i++) {
        for (int t = 0; t < 3; t++) {
            for (int k = 1; k <= catalog.links_per_type; k++) {
                int target = (i + k * steps[t]) % catalog.products;
                if (target == i) continue;
                sqlite3_bind_int(link, 1, types[t]);
                sqlite3_bind_int64(link, 2, i + 1);
                sqlite3_bind_int64(link, 3, target + 1);
                sqlite3_bind_int(link, 4, k);
                if (sqlite3_step(link) != SQLITE_DONE) { bench_fail(db, "insert link", error, error_length); goto done; }
                sqlite3_reset(link);
            }
        }
    }
    if (sqlite3_exec(db, "INSERT OR IGNORE INTO product_words(word, product_id) SELECT word, product_id FROM product_name_words; "
                         "UPDATE catalog_write_mode SET bulk = 0 WHERE id = 1", NULL, NULL, NULL) != SQLITE_OK) {
        bench_fail(db, "index names", error, error_length);
        goto done;
    }
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) { bench_fail(db, "commit", error, error_length); goto done; }
    rc = 0;
done:
    sqlite3_finalize(product);
    sqlite3_finalize(website);
    sqlite3_finalize(link);
    if (rc != 0) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close_v2(db);
    return rc == 0 ? bench_now_ns() - start : -1;
}

int64_t baseline_related_lookups(const char *path, const int *indexes, int count, int64_t *nanoseconds,
                                 const char *linked_sql, char *error, int error_length) {
    sqlite3 *db = open_db(path, 1, error, error_length);
    if (!db) return -1;
    sqlite3_stmt *store = NULL, *product = NULL, *linked = NULL;
    int64_t total = -1;
    if (sqlite3_prepare_v3(db, "SELECT store_id, related_limit FROM stores WHERE code = ?", -1, SQLITE_PREPARE_PERSISTENT, &store, NULL) != SQLITE_OK ||
        sqlite3_prepare_v3(db, "SELECT product_id FROM products WHERE sku = ?", -1, SQLITE_PREPARE_PERSISTENT, &product, NULL) != SQLITE_OK ||
        sqlite3_prepare_v3(db, linked_sql, -1, SQLITE_PREPARE_PERSISTENT, &linked, NULL) != SQLITE_OK) {
        bench_fail(db, "prepare", error, error_length);
        goto done;
    }
    total = 0;
    char sku[32];
    for (int i = 0; i < count; i++) {
        int64_t start = bench_now_ns();
        sqlite3_exec(db, "BEGIN DEFERRED", NULL, NULL, NULL);
        sqlite3_bind_text(store, 1, "default", 7, SQLITE_STATIC);
        if (sqlite3_step(store) != SQLITE_ROW) { total = bench_fail(db, "store", error, error_length); goto done; }
        sqlite3_int64 store_id = sqlite3_column_int64(store, 0);
        sqlite3_reset(store);
        int sku_length = snprintf(sku, sizeof sku, "BENCH-%06d", indexes[i]);
        sqlite3_bind_text(product, 1, sku, sku_length, SQLITE_TRANSIENT);
        if (sqlite3_step(product) != SQLITE_ROW) { total = bench_fail(db, "sku", error, error_length); goto done; }
        sqlite3_int64 product_id = sqlite3_column_int64(product, 0);
        sqlite3_reset(product);
        int rows = bench_linked_rows(db, linked, product_id, store_id, 2147483647, 6, error, error_length);
        if (rows < 0) { total = -1; goto done; }
        total += rows;
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        nanoseconds[i] = bench_now_ns() - start;
    }
done:
    sqlite3_finalize(store);
    sqlite3_finalize(product);
    sqlite3_finalize(linked);
    sqlite3_close_v2(db);
    return total;
}

const char *sqlite3_libversion_for_bench(void) { return sqlite3_libversion(); }
