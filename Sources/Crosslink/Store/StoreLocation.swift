/// Where a store lives: a SQLite file, or a PostgreSQL database named by a connection URI.
///
/// The CLI's `--database` and `CROSSLINK_DATABASE` take either; a text that starts with
/// `postgresql://` or `postgres://` (the two URI schemes libpq reads) is a PostgreSQL database,
/// anything else a file path.
///
/// ```swift
/// let file = StoreLocation("shop.sqlite")                                      // .sqlite(path: "shop.sqlite")
/// let server = StoreLocation("postgresql://app@db.internal:5432/shop")         // .postgresql(uri: …)
/// let socket = StoreLocation("postgresql://postgres@/shop?host=/run/postgresql") // a Unix socket
/// ```
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgresql(uri: String)

    public init(_ text: String) {
        self = Self.isPostgreSQLURI(text) ? .postgresql(uri: text) : .sqlite(path: text)
    }

    /// Whether `text` is a PostgreSQL connection URI.
    public static func isPostgreSQLURI(_ text: String) -> Bool {
        let lower = text.prefix(13).lowercased()
        return lower.hasPrefix("postgresql://") || lower.hasPrefix("postgres://")
    }

    public var engine: DatabaseEngine {
        switch self {
        case .sqlite: .sqlite
        case .postgresql: .postgresql
        }
    }

    /// The path, or the URI without its password: safe to print and to put in errors.
    public var description: String {
        switch self {
        case .sqlite(let path): path
        case .postgresql(let uri): Self.redacted(uri)
        }
    }

    /// `uri` with the password of its user part (`user:secret@`) and a `password=` query
    /// parameter replaced by `***`.
    static func redacted(_ uri: String) -> String {
        guard let schemeEnd = uri.range(of: "://") else { return uri }
        var result = uri
        let authorityEnd = result[schemeEnd.upperBound...].firstIndex { $0 == "/" || $0 == "?" } ?? result.endIndex
        if let at = result[schemeEnd.upperBound..<authorityEnd].lastIndex(of: "@"),
           let colon = result[schemeEnd.upperBound..<at].firstIndex(of: ":") {
            result.replaceSubrange(result.index(after: colon)..<at, with: "***")
        }
        if let query = result.firstIndex(of: "?") {
            let parts = result[result.index(after: query)...].split(separator: "&", omittingEmptySubsequences: false).map { part in
                part.lowercased().hasPrefix("password=") ? "password=***" : String(part)
            }
            result = String(result[...query]) + parts.joined(separator: "&")
        }
        return result
    }
}
