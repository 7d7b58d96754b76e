// The parts of <sqlite3.h> that Swift cannot import directly: the SQLITE_TRANSIENT /
// SQLITE_STATIC destructor sentinels (casts of integers to function pointers) and the
// variadic sqlite3_db_config.
#include <sqlite3.h>

static inline sqlite3_destructor_type csqlite_transient(void) { return SQLITE_TRANSIENT; }
static inline sqlite3_destructor_type csqlite_static(void) { return SQLITE_STATIC; }

/// Turns off double-quoted string literals so a misspelled identifier is an error, not a string.
static inline int csqlite_disable_dqs(sqlite3 *db) {
    int rc = sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DDL, 0, (int *)0);
    if (rc != SQLITE_OK) return rc;
    return sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DML, 0, (int *)0);
}

/// Turns on the defensive flag: ordinary SQL cannot corrupt the file (writable_schema etc.).
static inline int csqlite_enable_defensive(sqlite3 *db) {
    return sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)0);
}

/// No initial bulk allocation per page cache (SQLITE_CONFIG_PAGECACHE with no buffer and 0
/// lines). By default every page cache — also the one of each temporary B-tree a query opens
/// for a materialised CTE, an IN list or a GROUP BY — first mallocs 20 pages (~88 KB) at once;
/// the allocator hands that memory back to the kernel when it is freed and page-faults it in
/// again on the next query. Process-wide: only effective before SQLite is initialised
/// (SQLITE_MISUSE afterwards, which changes nothing).
static inline int csqlite_config_no_page_cache_bulk(void) {
    return sqlite3_config(SQLITE_CONFIG_PAGECACHE, (void *)0, 0, 0);
}

/// Reads `n` bytes at `offset` of the connection's main database file, and its size, through
/// SQLite's own file handle. Opening the file a second time in the process and closing it would
/// release every POSIX lock SQLite holds on it (locks are per process and file, dropped by any
/// close()), letting another process recover or checkpoint under a live connection: corruption.
/// A short read fills the rest of `buffer` with zeros (SQLITE_IOERR_SHORT_READ).
static inline int csqlite_main_file_read(sqlite3 *db, void *buffer, int n, sqlite3_int64 offset, sqlite3_int64 *size) {
    sqlite3_file *file = 0;
    int rc = sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &file);
    if (rc != SQLITE_OK || file == 0 || file->pMethods == 0) return SQLITE_ERROR;
    rc = file->pMethods->xFileSize(file, size);
    if (rc != SQLITE_OK) return rc;
    return file->pMethods->xRead(file, buffer, n, offset);
}
