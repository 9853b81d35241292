import CPostgreSQL
import LockstepCore
public import LockstepDatabase

// Placeholder until the libpq driver lands (issue 4).
public struct PostgresDriver: DatabaseDriver {
    public init() {}
    public var engines: Set<String> { ["postgres", "aurora-postgresql"] }
    public var defaultPort: Int { 5432 }
    public var defaultDatabase: String? { "postgres" }
    public var excludedPasswordCharacters: String { ":/@\"'\\" }
    public var maximumUserNameLength: Int { 63 }
    public func connect(_ credentials: DatabaseCredentials, timeouts: DatabaseTimeouts) async throws(DatabaseError) -> any DatabaseSession {
        throw DatabaseError(.network, "not built yet")
    }
}
