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

    static func redacted(_ uri: String) -> String {
        guard var components = URLComponents(string: uri) else { return "postgresql://(unparsable URI)" }
        if components.password != nil { components.password = "****" }
        components.queryItems = components.queryItems?.map { item in
            item.name.lowercased() == "password" ? URLQueryItem(name: item.name, value: "****") : item
        }
        return components.string ?? "postgresql://(unparsable URI)"
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
