import CSQLite

extension DatabaseError {
    /// The SQLite result code of the same kind of failure as PostgreSQL's `sqlState`, so that a
    /// check written against SQLite's codes (a unique violation, a busy database, a lost
    /// connection) holds on PostgreSQL too.
    ///
    /// | SQLSTATE | PostgreSQL condition | SQLite code |
    /// |---|---|---|
    /// | 23505 | unique_violation | 2067 SQLITE_CONSTRAINT_UNIQUE |
    /// | 23503 | foreign_key_violation | 787 SQLITE_CONSTRAINT_FOREIGNKEY |
    /// | 23502 | not_null_violation | 1299 SQLITE_CONSTRAINT_NOTNULL |
    /// | 23514 | check_violation | 275 SQLITE_CONSTRAINT_CHECK |
    /// | other 23xxx | integrity constraint violation | 19 SQLITE_CONSTRAINT |
    /// | 40001, 40P01, 55P03 | serialization_failure, deadlock_detected, lock_not_available | 5 SQLITE_BUSY |
    /// | 08001, 08004, 28000, 28P01, 3D000 | the connection cannot be made: server unreachable, rejected, authentication refused, no such database | 14 SQLITE_CANTOPEN |
    /// | other 08xxx, 57P01–57P03 | the connection was lost or the server shut down | 10 SQLITE_IOERR |
    /// | 57014 | query_canceled | 9 SQLITE_INTERRUPT |
    /// | 25006 | read_only_sql_transaction (a hot standby) | 8 SQLITE_READONLY |
    /// | 42501 | insufficient_privilege | 23 SQLITE_AUTH |
    /// | 53100 | disk_full | 13 SQLITE_FULL |
    /// | 54000 | program_limit_exceeded | 18 SQLITE_TOOBIG |
    /// | XX001, XX002 | data_corrupted, index_corrupted | 11 SQLITE_CORRUPT |
    /// | anything else (42P01 undefined_table, 42601 syntax_error, …) | | 1 SQLITE_ERROR |
    public static func sqliteResultCode(forSQLState sqlState: String) -> Int32 {
        switch sqlState {
        case "23505": return 2067  // SQLITE_CONSTRAINT_UNIQUE (macros of macros do not import)
        case "23503": return 787  // SQLITE_CONSTRAINT_FOREIGNKEY
        case "23502": return 1299  // SQLITE_CONSTRAINT_NOTNULL
        case "23514": return 275  // SQLITE_CONSTRAINT_CHECK
        case "40001", "40P01", "55P03": return SQLITE_BUSY
        case "08001", "08004", "28000", "28P01", "3D000": return SQLITE_CANTOPEN
        case "57P01", "57P02", "57P03": return SQLITE_IOERR
        case "57014": return SQLITE_INTERRUPT
        case "25006": return SQLITE_READONLY
        case "42501": return SQLITE_AUTH
        case "53100": return SQLITE_FULL
        case "54000": return SQLITE_TOOBIG
        case "XX001", "XX002": return SQLITE_CORRUPT
        default:
            if sqlState.hasPrefix("23") { return SQLITE_CONSTRAINT }
            if sqlState.hasPrefix("08") { return SQLITE_IOERR }
            return SQLITE_ERROR
        }
    }

    /// PostgreSQL's condition names (Appendix A of its manual) of the SQLSTATEs a store meets,
    /// printed beside the code.
    static let sqlStateNames: [String: String] = [
        "08000": "connection_exception",
        "08001": "sqlclient_unable_to_establish_sqlconnection",
        "08003": "connection_does_not_exist",
        "08004": "sqlserver_rejected_establishment_of_sqlconnection",
        "08006": "connection_failure",
        "08P01": "protocol_violation",
        "0A000": "feature_not_supported",
        "21000": "cardinality_violation",
        "22001": "string_data_right_truncation",
        "22003": "numeric_value_out_of_range",
        "22007": "invalid_datetime_format",
        "22008": "datetime_field_overflow",
        "22012": "division_by_zero",
        "22021": "character_not_in_repertoire",
        "22023": "invalid_parameter_value",
        "22P02": "invalid_text_representation",
        "22P04": "bad_copy_file_format",
        "22P05": "untranslatable_character",
        "23000": "integrity_constraint_violation",
        "23502": "not_null_violation",
        "23503": "foreign_key_violation",
        "23505": "unique_violation",
        "23514": "check_violation",
        "23P01": "exclusion_violation",
        "25001": "active_sql_transaction",
        "25006": "read_only_sql_transaction",
        "25P01": "no_active_sql_transaction",
        "25P02": "in_failed_sql_transaction",
        "28000": "invalid_authorization_specification",
        "28P01": "invalid_password",
        "3D000": "invalid_catalog_name",
        "40001": "serialization_failure",
        "40P01": "deadlock_detected",
        "42501": "insufficient_privilege",
        "42601": "syntax_error",
        "42703": "undefined_column",
        "42704": "undefined_object",
        "42710": "duplicate_object",
        "42803": "grouping_error",
        "42804": "datatype_mismatch",
        "42830": "invalid_foreign_key",
        "42883": "undefined_function",
        "42P01": "undefined_table",
        "42P02": "undefined_parameter",
        "42P05": "duplicate_prepared_statement",
        "42P07": "duplicate_table",
        "42P18": "indeterminate_datatype",
        "53100": "disk_full",
        "53200": "out_of_memory",
        "53300": "too_many_connections",
        "54000": "program_limit_exceeded",
        "55P03": "lock_not_available",
        "57014": "query_canceled",
        "57P01": "admin_shutdown",
        "57P02": "crash_shutdown",
        "57P03": "cannot_connect_now",
        "58000": "system_error",
        "XX000": "internal_error",
        "XX001": "data_corrupted",
        "XX002": "index_corrupted",
    ]
}
