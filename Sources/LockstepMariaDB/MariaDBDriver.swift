import CMariaDB
import LockstepCore
public import LockstepDatabase

// Placeholder until the libmariadb driver lands (issue 5).
public struct MariaDBDriver: DatabaseDriver {
    public init() {}
    public var engines: Set<String> { ["mariadb", "mysql", "aurora-mysql"] }
    public var defaultPort: Int { 3306 }
    public var defaultDatabase: String? { nil }
    public var excludedPasswordCharacters: String { "/@\"'\\" }
    public var maximumUserNameLength: Int { 80 }
    public func connect(_ credentials: DatabaseCredentials, timeouts: DatabaseTimeouts) async throws(DatabaseError) -> any DatabaseSession {
        throw DatabaseError(.network, "not built yet")
    }
}
