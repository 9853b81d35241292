public import Foundation

/// Where a deployment keeps its secrets and audit log: SQLite files in a data directory (the embedded default), or
/// one PostgreSQL database shared by every node.
///
/// `--store` / `LOCKSTEP_STORE` takes `postgresql://…` or `postgres://…` (any libpq URI, multi-host failover URIs
/// with `target_session_attrs=read-write` included), `sqlite:PATH` or a plain path (a data directory).
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(directory: URL)
    case postgres(connectionString: String)

    /// Parses a `--store` value; nil for an empty one.
    public init?(parsing text: String) {
        guard !text.isEmpty else { return nil }
        if text.hasPrefix("postgresql://") || text.hasPrefix("postgres://") {
            self = .postgres(connectionString: text)
        } else if text.hasPrefix("sqlite:") {
            let path = String(text.dropFirst("sqlite:".count))
            guard !path.isEmpty else { return nil }
            self = .sqlite(directory: URL(fileURLWithPath: path))
        } else {
            self = .sqlite(directory: URL(fileURLWithPath: text))
        }
    }

    /// For messages and logs: the directory, or the URI without its password (user, host, port, database and
    /// parameters only; a `password=` parameter is hidden too).
    public var description: String {
        switch self {
        case .sqlite(let directory): return directory.path
        case .postgres(let uri): return Self.redacted(uri)
        }
    }

    /// The URI as libpq reads it (`scheme://[userinfo@][host[:port][,...]][/dbname][?param=value&...]`), with the
    /// password of the userinfo and the value of every `password` parameter replaced by `****`; everything else
    /// (user, every host and port, database, other parameters) as written, percent-encoding included.
    ///
    /// Like libpq, the userinfo ends at the first `@` before the first `/`. A URI that still holds an `@` in its hosts
    /// or database (a password with a raw `@` or `/`, which libpq would misread too), or whose user name would hold a
    /// `?`, is not shown at all: a password is never printed, even from a malformed URI.
    static func redacted(_ uri: String) -> String {
        let unparsable = "postgresql://(unparsable URI, not shown)"
        guard let separator = uri.range(of: "://") else { return unparsable }
        let scheme = uri[..<separator.upperBound]
        var rest = uri[separator.upperBound...]
        var userinfo = ""
        if let end = rest.firstIndex(where: { $0 == "@" || $0 == "/" }), rest[end] == "@" {
            let credentials = rest[..<end]
            let colon = credentials.firstIndex(of: ":")
            let user = credentials[..<(colon ?? credentials.endIndex)]
            // An `@` in a query with no userinfo before it: the "user" would be the query, parameters and all.
            guard !user.contains("?") else { return unparsable }
            userinfo = colon == nil ? user + "@" : user + ":****@"
            rest = rest[rest.index(after: end)...]
        }
        let queryStart = rest.firstIndex(of: "?") ?? rest.endIndex
        let location = rest[..<queryStart]
        guard !location.contains("@") else { return unparsable }
        var query = ""
        if queryStart < rest.endIndex {
            let parameters = rest[rest.index(after: queryStart)...].split(separator: "&", omittingEmptySubsequences: false).map { parameter in
                guard let equals = parameter.firstIndex(of: "=") else { return String(parameter) }
                let name = parameter[..<equals]
                let decoded = name.removingPercentEncoding ?? String(name)
                return decoded.lowercased() == "password" ? name + "=****" : String(parameter)
            }
            query = "?" + parameters.joined(separator: "&")
        }
        return scheme + userinfo + location + query
    }
}

/// What a process asks of its stores besides their contract.
public protocol StoreLifecycle: Sendable {
    /// True when the database answers a query (the health check).
    func isReachable() async -> Bool
    /// Makes a clean stop cheap to recover from: SQLite moves its write-ahead log into the main file; PostgreSQL
    /// has nothing to do.
    func checkpoint() async throws
}

extension SQLiteSecretStore: StoreLifecycle {}
extension PostgresSecretStore: StoreLifecycle {
    public func checkpoint() async throws {}
}
extension SQLiteAuditStore: StoreLifecycle {
    public func isReachable() async -> Bool { (try? await self.read { _ in true }) ?? false }
}
extension PostgresAuditStore: StoreLifecycle {
    public func isReachable() async -> Bool { (try? await self.read { _ in true }) ?? false }
    public func checkpoint() async throws {}
}
