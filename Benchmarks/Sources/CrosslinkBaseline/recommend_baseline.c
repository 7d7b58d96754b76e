#include "recommend_baseline.h"
#include "bench_common.h"
#include <sqlite3.h>
#include <stdio.h>
#include <time.h>

int64_t baseline_recommend_lookups(const char *path, const char *sql, const recommend_baseline_param *params,
                                   int params_per_lookup, int count, int64_t *nanoseconds, char *error, int error_length) {
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        snprintf(error, (size_t)error_length, "open: %s", db ? sqlite3_errmsg(db) : "no database");
        sqlite3_close_v2(db);
        return -1;
    }
    sqlite3_stmt *statement = NULL;
    int64_t rows = -1;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &statement, NULL) != SQLITE_OK) {
        snprintf(error, (size_t)error_length, "prepare: %s", sqlite3_errmsg(db));
        goto done;
    }
    rows = 0;
    int columns = sqlite3_column_count(statement);
    for (int i = 0; i < count; i++) {
        int64_t start = bench_now_ns();
        sqlite3_exec(db, "BEGIN DEFERRED", NULL, NULL, NULL);
        sqlite3_reset(statement);
        sqlite3_clear_bindings(statement);
        for (int p = 0; p < params_per_lookup; p++) {
            const recommend_baseline_param *param = &params[i * params_per_lookup + p];
            int index = sqlite3_bind_parameter_index(statement, param->name);
            if (index == 0) continue;
            if (param->type == 1) sqlite3_bind_int64(statement, index, param->integer);
            else if (param->type == 2) sqlite3_bind_double(statement, index, param->real);
            else sqlite3_bind_text(statement, index, param->text, -1, SQLITE_STATIC);
        }
        int rc;
        while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
            for (int c = 0; c < columns; c++) {
                if (sqlite3_column_type(statement, c) == SQLITE_TEXT) (void)sqlite3_column_text(statement, c);
                else (void)sqlite3_column_double(statement, c);
            }
            rows++;
        }
        if (rc != SQLITE_DONE) {
            snprintf(error, (size_t)error_length, "step: %s", sqlite3_errmsg(db));
            rows = -1;
            goto done;
        }
        sqlite3_reset(statement);
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        nanoseconds[i] = bench_now_ns() - start;
    }
done:
    sqlite3_finalize(statement);
    sqlite3_close_v2(db);
    return rows;
}
