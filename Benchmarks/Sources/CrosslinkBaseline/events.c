// Event ingest the raw way: prepared statements, bound values, one transaction per batch.
// The same rows and the same semantics as Crosslink's EventStore.append (de-duplication by
// key, SKU and category resolution); none of its validation or bookkeeping.
#include "events_baseline.h"
#include "bench_common.h"
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct baseline_events {
    sqlite3 *db;
    sqlite3_stmt *event;
    sqlite3_stmt *line;
    char error[512];
};

static void bind_text_or_null(sqlite3_stmt *statement, int index, const char *text) {
    if (text) sqlite3_bind_text(statement, index, text, -1, SQLITE_STATIC);
    else sqlite3_bind_null(statement, index);
}

static int64_t events_fail(baseline_events *h, const char *what) {
    snprintf(h->error, sizeof h->error, "%s: %s", what, h->db ? sqlite3_errmsg(h->db) : "no database");
    if (h->db && !sqlite3_get_autocommit(h->db)) sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

baseline_events *baseline_events_open(const char *path, const char *synchronous, char *error, int error_length) {
    baseline_events *h = calloc(1, sizeof *h);
    char pragmas[256];
    // The library's connection settings (Configuration: 16 MiB cache, 2 GiB mmap), so a ratio
    // compares the same SQLite work.
    snprintf(pragmas, sizeof pragmas, "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; PRAGMA synchronous = %s; "
             "PRAGMA cache_size = -16384; PRAGMA mmap_size = 2147483648;", synchronous);
    if (sqlite3_open_v2(path, &h->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
        sqlite3_exec(h->db, pragmas, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v3(h->db,
            "INSERT INTO events(event_key, type, occurred_at, store_id, visitor_id, customer_id, session_id, product_id, sku, "
            "category_id, category, order_id, unit_id, quantity, price) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, (SELECT product_id FROM products WHERE sku = ?8), ?8, "
            "(SELECT category_id FROM categories WHERE name_path = ?9), ?9, ?10, ?11, ?12, ?13) "
            "ON CONFLICT(event_key) DO NOTHING", -1, SQLITE_PREPARE_PERSISTENT, &h->event, NULL) != SQLITE_OK ||
        sqlite3_prepare_v3(h->db,
            "INSERT INTO event_lines(event_seq, line, product_id, sku, parent_sku, quantity, price) "
            "VALUES (?1, ?2, (SELECT product_id FROM products WHERE sku = ?3), ?3, ?4, ?5, ?6)",
            -1, SQLITE_PREPARE_PERSISTENT, &h->line, NULL) != SQLITE_OK) {
        snprintf(error, (size_t)error_length, "open %s: %s", path, h->db ? sqlite3_errmsg(h->db) : "out of memory");
        baseline_events_close(h);
        return NULL;
    }
    return h;
}

int64_t baseline_events_append(baseline_events *h, const baseline_event *events, int count,
                               const baseline_event_line *lines, int batch_size) {
    sqlite3_stmt *event = h->event, *line = h->line;
    int64_t start = bench_now_ns();
    for (int first = 0; first < count; first += batch_size) {
        if (sqlite3_exec(h->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) return events_fail(h, "begin");
        int end = first + batch_size < count ? first + batch_size : count;
        for (int i = first; i < end; i++) {
            const baseline_event *e = &events[i];
            sqlite3_bind_text(event, 1, e->key, -1, SQLITE_STATIC);
            sqlite3_bind_text(event, 2, e->type, -1, SQLITE_STATIC);
            sqlite3_bind_int64(event, 3, e->occurred_at);
            sqlite3_bind_int64(event, 4, e->store_id);
            sqlite3_bind_text(event, 5, e->visitor_id, -1, SQLITE_STATIC);
            bind_text_or_null(event, 6, e->customer_id);
            sqlite3_bind_text(event, 7, e->session_id, -1, SQLITE_STATIC);
            bind_text_or_null(event, 8, e->sku);
            bind_text_or_null(event, 9, e->category);
            bind_text_or_null(event, 10, e->order_id);
            bind_text_or_null(event, 11, e->unit_id);
            if (e->has_quantity) sqlite3_bind_double(event, 12, e->quantity); else sqlite3_bind_null(event, 12);
            if (e->has_price) sqlite3_bind_double(event, 13, e->price); else sqlite3_bind_null(event, 13);
            int rc = sqlite3_step(event);
            sqlite3_reset(event);
            if (rc != SQLITE_DONE) return events_fail(h, "insert event");
            if (sqlite3_changes(h->db) == 0) continue;  // a duplicate key
            sqlite3_int64 seq = sqlite3_last_insert_rowid(h->db);
            for (int k = 0; k < e->line_count; k++) {
                const baseline_event_line *l = &lines[e->first_line + k];
                sqlite3_bind_int64(line, 1, seq);
                sqlite3_bind_int(line, 2, k + 1);
                sqlite3_bind_text(line, 3, l->sku, -1, SQLITE_STATIC);
                bind_text_or_null(line, 4, l->parent_sku);
                sqlite3_bind_double(line, 5, l->quantity);
                sqlite3_bind_double(line, 6, l->price);
                rc = sqlite3_step(line);
                sqlite3_reset(line);
                if (rc != SQLITE_DONE) return events_fail(h, "insert line");
            }
        }
        if (sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) return events_fail(h, "commit");
    }
    return bench_now_ns() - start;
}

const char *baseline_events_error(const baseline_events *h) { return h->error; }

void baseline_events_close(baseline_events *h) {
    if (!h) return;
    sqlite3_finalize(h->event);
    sqlite3_finalize(h->line);
    sqlite3_close_v2(h->db);
    free(h);
}

int64_t baseline_events_insert_select(const char *path, const char *source_path, char *error, int error_length) {
    sqlite3 *db = NULL;
    char *message = NULL;
    char *attach = sqlite3_mprintf("ATTACH %Q AS source", source_path);
    int64_t start = 0, elapsed = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
                         "PRAGMA cache_size = -16384; PRAGMA mmap_size = 2147483648;", NULL, NULL, &message) != SQLITE_OK ||
        sqlite3_exec(db, attach, NULL, NULL, &message) != SQLITE_OK) goto done;
    start = bench_now_ns();
    if (sqlite3_exec(db, "BEGIN IMMEDIATE; "
                         "INSERT INTO main.events SELECT * FROM source.events ORDER BY event_seq; "
                         "INSERT INTO main.event_lines SELECT * FROM source.event_lines; "
                         "COMMIT;", NULL, NULL, &message) != SQLITE_OK) goto done;
    elapsed = bench_now_ns() - start;
done:
    if (elapsed < 0) snprintf(error, (size_t)error_length, "insert select: %s", message ? message : (db ? sqlite3_errmsg(db) : "out of memory"));
    sqlite3_free(message);
    sqlite3_free(attach);
    sqlite3_close(db);
    return elapsed;
}
