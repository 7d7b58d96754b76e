import CSQLite

/// The library's version: the one place it is written. `crosslink --version` prints it with
/// the schema version and the SQLite library the process runs with (what a bug report needs).
///
/// ```swift
/// print(CrosslinkVersion.current)  // 0.1.0
/// ```
public enum CrosslinkVersion {
    /// Semantic version of the library and the CLI.
    public static let current = "0.1.0"

    /// The newest migration this build applies (`PRAGMA user_version` of a current SQLite store).
    public static var schema: Int { DatabaseMigrator().migrations.last?.version ?? 0 }

    /// The SQLite library linked at run time (`sqlite3_libversion()`).
    public static var sqlite: String { String(cString: sqlite3_libversion()) }

    /// `0.1.0 (schema 11, SQLite 3.40.1)`.
    public static var description: String { "\(current) (schema \(schema), SQLite \(sqlite))" }
}
