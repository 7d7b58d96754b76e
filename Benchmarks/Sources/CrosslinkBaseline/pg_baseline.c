#include "pg_baseline.h"
#include "events_baseline.h"
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct pg_baseline {
    PGconn *connection;
    char error[512];
    int prepared_lookups;
    int prepared_catalog;
};

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/// Records "what: libpq's message" and returns -1.
static int fail(pg_baseline *b, const char *what, PGresult *result) {
    const char *message = result ? PQresultErrorMessage(result) : "";
    if (!message || !*message) message = PQerrorMessage(b->connection);
    snprintf(b->error, sizeof b->error, "%s: %s", what, message);
    if (result) PQclear(result);
    return -1;
}

/// Runs `sql` (no parameters, simple protocol); 0 or -1.
static int run(pg_baseline *b, const char *sql) {
    PGresult *result = PQexec(b->connection, sql);
    ExecStatusType status = PQresultStatus(result);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return fail(b, sql, result);
    PQclear(result);
    return 0;
}

static int prepare(pg_baseline *b, const char *name, const char *sql) {
    PGresult *result = PQprepare(b->connection, name, sql, 0, NULL);
    if (PQresultStatus(result) != PGRES_COMMAND_OK) return fail(b, name, result);
    PQclear(result);
    return 0;
}

/// Runs prepared `name` with text parameters; the result (tuples or command), or NULL (error set).
static PGresult *exec_prepared(pg_baseline *b, const char *name, int count, const char *const *values) {
    PGresult *result = PQexecPrepared(b->connection, name, count, values, NULL, NULL, 0);
    ExecStatusType status = PQresultStatus(result);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        fail(b, name, result);
        return NULL;
    }
    return result;
}

pg_baseline *pg_baseline_connect(const char *conninfo, char *error, int error_length) {
    PGconn *connection = PQconnectdb(conninfo);
    if (PQstatus(connection) != CONNECTION_OK) {
        snprintf(error, (size_t)error_length, "connect: %s", PQerrorMessage(connection));
        PQfinish(connection);
        return NULL;
    }
    pg_baseline *b = calloc(1, sizeof *b);
    b->connection = connection;
    if (run(b, "SET TIME ZONE 'UTC'; SET client_min_messages = warning; SET plan_cache_mode = force_generic_plan; "
                 "SET random_page_cost = 1.1") != 0) {
        snprintf(error, (size_t)error_length, "%s", b->error);
        pg_baseline_close(b);
        return NULL;
    }
    return b;
}

void pg_baseline_close(pg_baseline *b) {
    if (!b) return;
    PQfinish(b->connection);
    free(b);
}

const char *pg_baseline_error(const pg_baseline *b) { return b->error; }

int pg_baseline_execute(pg_baseline *b, const char *sql) { return run(b, sql); }

char *pg_baseline_scalar(pg_baseline *b, const char *sql) {
    PGresult *result = PQexec(b->connection, sql);
    if (PQresultStatus(result) != PGRES_TUPLES_OK || PQntuples(result) < 1) {
        fail(b, sql, result);
        return NULL;
    }
    char *value = strdup(PQgetvalue(result, 0, 0));
    PQclear(result);
    return value;
}

int pg_baseline_round_trips(pg_baseline *b, int count, int64_t *nanoseconds) {
    if (prepare(b, "bench_ping", "SELECT 1") != 0) return -1;
    for (int i = 0; i < count; i++) {
        int64_t start = now_ns();
        PGresult *result = exec_prepared(b, "bench_ping", 0, NULL);
        if (!result) return -1;
        (void)PQgetvalue(result, 0, 0);
        PQclear(result);
        nanoseconds[i] = now_ns() - start;
    }
    return run(b, "DEALLOCATE bench_ping");
}

int64_t pg_baseline_related_lookups(pg_baseline *b, const char *const *skus, int count, int64_t *nanoseconds,
                                    const char *block_sql, const char *linked_sql) {
    if (!b->prepared_lookups) {
        if (prepare(b, "bench_store", "SELECT store_id, code, website_id, name, show_out_of_stock, related_limit, upsell_limit, "
                                      "crosssell_limit FROM stores WHERE code = $1") != 0 ||
            prepare(b, "bench_sku", "SELECT product_id FROM products WHERE sku = $1") != 0 ||
            prepare(b, "bench_block", block_sql) != 0 ||
            prepare(b, "bench_linked", linked_sql) != 0) return -1;
        b->prepared_lookups = 1;
    }
    int64_t total = 0;
    char product_id[32], ids[40];
    for (int i = 0; i < count; i++) {
        int64_t start = now_ns();
        if (run(b, "BEGIN ISOLATION LEVEL REPEATABLE READ") != 0) return -1;
        const char *store_code[1] = {"default"};
        PGresult *store = exec_prepared(b, "bench_store", 1, store_code);
        if (!store) return -1;
        if (PQntuples(store) != 1) return fail(b, "no store default", store);
        for (int c = 0; c < PQnfields(store); c++) (void)PQgetvalue(store, 0, c);
        char store_id[32];
        snprintf(store_id, sizeof store_id, "%s", PQgetvalue(store, 0, 0));
        PQclear(store);
        PGresult *product = exec_prepared(b, "bench_sku", 1, &skus[i]);
        if (!product) return -1;
        if (PQntuples(product) != 1) return fail(b, "unknown SKU", product);
        snprintf(product_id, sizeof product_id, "%s", PQgetvalue(product, 0, 0));
        PQclear(product);
        const char *block_values[2] = {store_id, "related"};
        PGresult *block = exec_prepared(b, "bench_block", 2, block_values);
        if (!block) return -1;
        for (int c = 0; c < PQnfields(block); c++) (void)PQgetvalue(block, 0, c);
        PQclear(block);
        snprintf(ids, sizeof ids, "[%s]", product_id);
        const char *linked_values[5] = {ids, "1", store_id, ids, "2147483647"};
        PGresult *linked = exec_prepared(b, "bench_linked", 5, linked_values);
        if (!linked) return -1;
        int rows = PQntuples(linked);
        for (int r = 0; r < rows; r++) for (int c = 0; c < 6; c++) (void)PQgetvalue(linked, r, c);
        PQclear(linked);
        if (run(b, "COMMIT") != 0) return -1;
        total += rows;
        nanoseconds[i] = now_ns() - start;
    }
    return total;
}

/// A growing text buffer for PostgreSQL array literals ("{1,2,3}").
typedef struct {
    char *text;
    size_t length, capacity;
} text_buffer;

static void buffer_append(text_buffer *buffer, const char *text) {
    size_t length = strlen(text);
    if (buffer->length + length + 1 > buffer->capacity) {
        buffer->capacity = (buffer->length + length + 1) * 2;
        buffer->text = realloc(buffer->text, buffer->capacity);
    }
    memcpy(buffer->text + buffer->length, text, length + 1);
    buffer->length += length;
}

/// Starts an array literal, or adds `,` before the next element.
static void array_next(text_buffer *buffer) { buffer_append(buffer, buffer->length == 0 ? "{" : ","); }

static void array_integer(text_buffer *buffer, long long value) {
    char text[32];
    snprintf(text, sizeof text, "%lld", value);
    array_next(buffer);
    buffer_append(buffer, text);
}

static void array_quoted(text_buffer *buffer, const char *text) {
    array_next(buffer);  // the benchmark's texts hold no '"' or '\\' to escape
    buffer_append(buffer, "\"");
    buffer_append(buffer, text);
    buffer_append(buffer, "\"");
}

static void array_reset(text_buffer *buffers, int count) {
    for (int i = 0; i < count; i++) {
        buffers[i].length = 0;
        if (buffers[i].text) buffers[i].text[0] = 0;
    }
}

/// Runs prepared `name` with the closed array literals of `buffers`; 0 or -1.
static int exec_arrays(pg_baseline *b, const char *name, text_buffer *buffers, int count) {
    const char *values[8];
    for (int i = 0; i < count; i++) {
        buffer_append(&buffers[i], "}");
        values[i] = buffers[i].text;
    }
    PGresult *result = exec_prepared(b, name, count, values);
    if (!result) return -1;
    PQclear(result);
    array_reset(buffers, count);
    return 0;
}

int64_t pg_baseline_insert_catalog(pg_baseline *b, baseline_catalog catalog) {
    // The statements Crosslink's Magento import sends on PostgreSQL (Import/Magento/MagentoImportBatch.swift):
    // product ids drawn from the identity's sequence in one query, then each table's rows a batch
    // at a time through unnest of array parameters.
    if (!b->prepared_catalog) {
        if (prepare(b, "bench_ids", "SELECT nextval(pg_get_serial_sequence('products', 'product_id')) "
                                    "FROM generate_series(1, CAST($1 AS BIGINT))") != 0 ||
            prepare(b, "bench_products", "INSERT INTO products(product_id, sku, name, type, attribute_set, enabled, visibility, price, qty, in_stock) "
                                         "SELECT id, sku, name, 'simple', 'Default', 1, 4, price, 100, 1 "
                                         "FROM unnest(CAST($1 AS bigint[]), CAST($2 AS text[]), CAST($3 AS text[]), "
                                         "CAST($4 AS double precision[])) AS rows(id, sku, name, price)") != 0 ||
            prepare(b, "bench_websites", "INSERT INTO product_websites(product_id, website_id) "
                                         "SELECT * FROM unnest(CAST($1 AS bigint[]), CAST($2 AS bigint[])) ON CONFLICT DO NOTHING") != 0 ||
            prepare(b, "bench_links", "INSERT INTO product_links(link_type_id, product_id, linked_product_id, position) "
                                      "SELECT t, p, l, pos FROM unnest(CAST($1 AS bigint[]), CAST($2 AS bigint[]), CAST($3 AS bigint[]), "
                                      "CAST($4 AS bigint[])) WITH ORDINALITY AS rows(t, p, l, pos, n) ORDER BY n") != 0) return -1;
        b->prepared_catalog = 1;
    }
    const int steps[3] = {1, 7, 13};
    const int types[3] = {1, 4, 5};
    const int batch_rows = 5000;  // ImportBatch.rowLimit
    int64_t start = now_ns();
    if (run(b, "BEGIN; SELECT pg_advisory_xact_lock(1129466955); UPDATE catalog_write_mode SET bulk = 1 WHERE id = 1") != 0) return -1;
    int64_t *ids = malloc(sizeof(int64_t) * (size_t)catalog.products);
    text_buffer arrays[4] = {{0}};
    char count[32], text[64];
    snprintf(count, sizeof count, "%d", catalog.products);
    const char *reserve[1] = {count};
    PGresult *reserved = exec_prepared(b, "bench_ids", 1, reserve);
    if (!reserved) goto failed;
    for (int i = 0; i < catalog.products; i++) ids[i] = strtoll(PQgetvalue(reserved, i, 0), NULL, 10);
    PQclear(reserved);
    // Pass 1: a product and its website per row (two batched rows), sent every batch_rows rows.
    for (int first = 0; first < catalog.products; first += batch_rows / 2) {
        int last = first + batch_rows / 2 < catalog.products ? first + batch_rows / 2 : catalog.products;
        for (int i = first; i < last; i++) {
            snprintf(text, sizeof text, "BENCH-%06d", i);
            array_integer(&arrays[0], ids[i]);
            array_quoted(&arrays[1], text);
            snprintf(text, sizeof text, "Bench product %d", i);
            array_quoted(&arrays[2], text);
            array_integer(&arrays[3], 10 + i % 90);
        }
        if (exec_arrays(b, "bench_products", arrays, 4) != 0) goto failed;
        for (int i = first; i < last; i++) { array_integer(&arrays[0], ids[i]); array_integer(&arrays[1], 1); }
        if (exec_arrays(b, "bench_websites", arrays, 2) != 0) goto failed;
    }
    // Pass 2: each product's links, sent once batch_rows rows or more are collected.
    int pending = 0;
    for (int i = 0; i < catalog.products; i++) {
        for (int t = 0; t < 3; t++) {
            for (int k = 1; k <= catalog.links_per_type; k++) {
                int other = (i + k * steps[t]) % catalog.products;
                if (other == i) continue;
                array_integer(&arrays[0], types[t]);
                array_integer(&arrays[1], ids[i]);
                array_integer(&arrays[2], ids[other]);
                array_integer(&arrays[3], k);
                pending++;
            }
        }
        if (pending >= batch_rows || (i == catalog.products - 1 && pending > 0)) {
            if (exec_arrays(b, "bench_links", arrays, 4) != 0) goto failed;
            pending = 0;
        }
    }
    for (int i = 0; i < 4; i++) free(arrays[i].text);
    free(ids);
    if (run(b, "INSERT INTO product_words(word, product_id) SELECT word, product_id FROM product_name_words ON CONFLICT DO NOTHING; "
               "UPDATE catalog_write_mode SET bulk = 0 WHERE id = 1; COMMIT") != 0) {
        run(b, "ROLLBACK");
        return -1;
    }
    return now_ns() - start;
failed:
    for (int i = 0; i < 4; i++) free(arrays[i].text);
    free(ids);
    {
        char saved[512];
        memcpy(saved, b->error, sizeof saved);
        run(b, "ROLLBACK");
        memcpy(b->error, saved, sizeof saved);
    }
    return -1;
}

// MARK: Events

/// A growing text buffer for COPY (text format).
typedef struct { char *bytes; size_t length, capacity; } buffer;

static void put(buffer *out, const char *text, size_t length) {
    if (out->length + length + 1 > out->capacity) {
        out->capacity = (out->length + length + 1) * 2;
        out->bytes = realloc(out->bytes, out->capacity);
    }
    memcpy(out->bytes + out->length, text, length);
    out->length += length;
}

/// A COPY text field: \N for NULL, backslash escapes for the characters the format reserves.
static void put_text(buffer *out, const char *text) {
    if (!text) { put(out, "\\N", 2); return; }
    for (const char *p = text; *p; p++) {
        switch (*p) {
        case '\\': put(out, "\\\\", 2); break;
        case '\t': put(out, "\\t", 2); break;
        case '\n': put(out, "\\n", 2); break;
        case '\r': put(out, "\\r", 2); break;
        default: put(out, p, 1);
        }
    }
}

static void put_integer(buffer *out, int64_t value, int present) {
    if (!present) { put(out, "\\N", 2); return; }
    char text[32];
    put(out, text, (size_t)snprintf(text, sizeof text, "%lld", (long long)value));
}

static void put_real(buffer *out, double value, int present) {
    if (!present) { put(out, "\\N", 2); return; }
    char text[40];
    put(out, text, (size_t)snprintf(text, sizeof text, "%.17g", value));
}

static int copy(pg_baseline *b, const char *sql, buffer *data) {
    PGresult *result = PQexec(b->connection, sql);
    if (PQresultStatus(result) != PGRES_COPY_IN) return fail(b, sql, result);
    PQclear(result);
    if (PQputCopyData(b->connection, data->bytes, (int)data->length) != 1 || PQputCopyEnd(b->connection, NULL) != 1) {
        return fail(b, sql, NULL);
    }
    int rc = 0;
    while ((result = PQgetResult(b->connection))) {
        if (PQresultStatus(result) != PGRES_COMMAND_OK) { fail(b, sql, result); rc = -1; } else PQclear(result);
    }
    return rc;
}

typedef struct { const char *key; int64_t seq; } stored_key;

static int compare_keys(const void *a, const void *b) {
    return strcmp(((const stored_key *)a)->key, ((const stored_key *)b)->key);
}

static const char *const staged_columns =
    "event_key, type, occurred_at, store_id, visitor_id, customer_id, session_id, product_id, sku, category_id, category, "
    "order_id, unit_id, quantity, price, variant";

int64_t pg_baseline_events_append(pg_baseline *b, const pg_baseline_event *events, int count,
                                  const baseline_event_line *lines, const int64_t *line_product_ids, int batch_size) {
    buffer rows = {0}, line_rows = {0};
    char insert[512];
    snprintf(insert, sizeof insert, "INSERT INTO events(%s) SELECT %s FROM event_staging ORDER BY ord "
             "ON CONFLICT (event_key) DO NOTHING RETURNING event_seq, event_key", staged_columns, staged_columns);
    stored_key *stored = malloc(sizeof(stored_key) * (size_t)(batch_size > 0 ? batch_size : 1));
    int64_t start = now_ns();
    for (int first = 0; first < count; first += batch_size) {
        int end = first + batch_size < count ? first + batch_size : count;
        rows.length = 0;
        line_rows.length = 0;
        for (int i = first; i < end; i++) {
            const baseline_event *e = events[i].event;
            put_integer(&rows, i - first, 1); put(&rows, "\t", 1);
            put_text(&rows, e->key); put(&rows, "\t", 1);
            put_text(&rows, e->type); put(&rows, "\t", 1);
            put_integer(&rows, e->occurred_at, 1); put(&rows, "\t", 1);
            put_integer(&rows, e->store_id, 1); put(&rows, "\t", 1);
            put_text(&rows, e->visitor_id); put(&rows, "\t", 1);
            put_text(&rows, e->customer_id); put(&rows, "\t", 1);
            put_text(&rows, e->session_id); put(&rows, "\t", 1);
            put_integer(&rows, events[i].product_id, events[i].product_id != 0); put(&rows, "\t", 1);
            put_text(&rows, e->sku); put(&rows, "\t", 1);
            put_integer(&rows, events[i].category_id, events[i].category_id != 0); put(&rows, "\t", 1);
            put_text(&rows, e->category); put(&rows, "\t", 1);
            put_text(&rows, e->order_id); put(&rows, "\t", 1);
            put_text(&rows, e->unit_id); put(&rows, "\t", 1);
            put_real(&rows, e->quantity, e->has_quantity); put(&rows, "\t", 1);
            put_real(&rows, e->price, e->has_price); put(&rows, "\t", 1);
            put_text(&rows, NULL); put(&rows, "\n", 1);
        }
        if (run(b, "BEGIN; SELECT pg_advisory_xact_lock(1129466955); "
                   "CREATE TEMP TABLE IF NOT EXISTS event_staging (ord bigint, event_key text, type text, occurred_at bigint, "
                   "store_id bigint, visitor_id text, customer_id text, session_id text, product_id bigint, sku text, "
                   "category_id bigint, category text, order_id text, unit_id text, quantity double precision, "
                   "price double precision, variant text) ON COMMIT DROP; TRUNCATE event_staging") != 0) goto failed;
        if (copy(b, "COPY event_staging FROM STDIN", &rows) != 0) goto failed;
        PGresult *result = PQexec(b->connection, insert);
        if (PQresultStatus(result) != PGRES_TUPLES_OK) { fail(b, "insert events", result); goto failed; }
        int inserted = PQntuples(result);
        for (int r = 0; r < inserted; r++) {
            stored[r].seq = strtoll(PQgetvalue(result, r, 0), NULL, 10);
            stored[r].key = PQgetvalue(result, r, 1);
        }
        qsort(stored, (size_t)inserted, sizeof *stored, compare_keys);
        for (int i = first; i < end; i++) {
            const baseline_event *e = events[i].event;
            stored_key probe = {e->key, 0};
            stored_key *found = bsearch(&probe, stored, (size_t)inserted, sizeof *stored, compare_keys);
            if (!found || found->seq == 0) continue;  // a duplicate (stored before, or earlier in the batch)
            for (int l = 0; l < e->line_count; l++) {
                const baseline_event_line *line = &lines[e->first_line + l];
                int64_t product = line_product_ids[e->first_line + l];
                put_integer(&line_rows, found->seq, 1); put(&line_rows, "\t", 1);
                put_integer(&line_rows, l + 1, 1); put(&line_rows, "\t", 1);
                put_integer(&line_rows, product, product != 0); put(&line_rows, "\t", 1);
                put_text(&line_rows, line->sku); put(&line_rows, "\t", 1);
                put_text(&line_rows, line->parent_sku && *line->parent_sku ? line->parent_sku : NULL); put(&line_rows, "\t", 1);
                put_real(&line_rows, line->quantity, 1); put(&line_rows, "\t", 1);
                put_real(&line_rows, line->price, 1); put(&line_rows, "\n", 1);
            }
            found->seq = 0;
        }
        PQclear(result);
        if (line_rows.length > 0 &&
            copy(b, "COPY event_lines (event_seq, line, product_id, sku, parent_sku, quantity, price) FROM STDIN", &line_rows) != 0) goto failed;
        if (run(b, "COMMIT") != 0) goto failed;
    }
    free(rows.bytes);
    free(line_rows.bytes);
    free(stored);
    return now_ns() - start;
failed:
    {
        char saved[512];
        memcpy(saved, b->error, sizeof saved);
        run(b, "ROLLBACK");
        memcpy(b->error, saved, sizeof saved);
    }
    free(rows.bytes);
    free(line_rows.bytes);
    free(stored);
    return -1;
}
