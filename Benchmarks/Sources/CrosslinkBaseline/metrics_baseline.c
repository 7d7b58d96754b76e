// The unit metrics benchmark's raw C side: the metrics views read as a sqlite3 user would,
// with prepared statements and nothing else.
#include "metrics_baseline.h"
#include "bench_common.h"
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int compare(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int64_t metrics_baseline_query(const char *path, const char *sql, const char *parameter1, const char *parameter2,
                               int repeats, int64_t *rows, char *error, int error_length) {
    sqlite3 *db = NULL;
    sqlite3_stmt *statement = NULL;
    int64_t *times = calloc((size_t)(repeats > 0 ? repeats : 1), sizeof(int64_t));
    int64_t result = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK
        || sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &statement, NULL) != SQLITE_OK) {
        snprintf(error, (size_t)error_length, "%s", db ? sqlite3_errmsg(db) : "out of memory");
        goto done;
    }
    for (int run = 0; run < repeats; run++) {
        int64_t start = bench_now_ns(), count = 0;
        sqlite3_reset(statement);
        if (parameter1) sqlite3_bind_text(statement, 1, parameter1, -1, SQLITE_STATIC);
        if (parameter2) sqlite3_bind_text(statement, 2, parameter2, -1, SQLITE_STATIC);
        int rc;
        while ((rc = sqlite3_step(statement)) == SQLITE_ROW) count++;
        if (rc != SQLITE_DONE) {
            snprintf(error, (size_t)error_length, "%s", sqlite3_errmsg(db));
            goto done;
        }
        times[run] = bench_now_ns() - start;
        *rows = count;
    }
    qsort(times, (size_t)repeats, sizeof(int64_t), compare);
    result = times[repeats / 2];
done:
    sqlite3_finalize(statement);
    sqlite3_close_v2(db);
    free(times);
    return result;
}
