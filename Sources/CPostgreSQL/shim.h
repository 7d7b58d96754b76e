// libpq, the PostgreSQL client library. Swift imports <libpq-fe.h> directly; the helpers below
// cover what it cannot: macros (InvalidOid, PG_DIAG_* are plain char constants but are spelled
// here once so every caller agrees).
#include <libpq-fe.h>

/// The SQLSTATE field of an error result (`PG_DIAG_SQLSTATE`), or NULL.
static inline const char *cpostgresql_sqlstate(const PGresult *result) {
    return PQresultErrorField(result, PG_DIAG_SQLSTATE);
}

/// The primary message field of an error result (`PG_DIAG_MESSAGE_PRIMARY`), or NULL.
static inline const char *cpostgresql_primary_message(const PGresult *result) {
    return PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
}

/// The detail field of an error result (`PG_DIAG_MESSAGE_DETAIL`), e.g. the duplicate key, or NULL.
static inline const char *cpostgresql_detail_message(const PGresult *result) {
    return PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL);
}
