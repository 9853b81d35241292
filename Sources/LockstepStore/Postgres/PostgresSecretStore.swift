public import LockstepCore

/// The store of a multi-node deployment: one PostgreSQL database that every `lockstep serve` node shares
/// (DESIGN.md §8), reached through libpq with any connection URI, multi-host failover URIs
/// (`target_session_attrs=read-write`) included.
///
/// The same contract and the same SQL as ``SQLiteSecretStore`` (``SQLTransaction``); writes serialized across
/// nodes by an advisory lock, reads on snapshots (``PostgresDatabase``).
public final class PostgresSecretStore: SecretStore {
    private let database: PostgresDatabase
    let connectionString: String
    /// The database held master keys when it was opened: it is a deployment's store, not a new one (a new root
    /// key would make it unreadable).
    public let heldKeys: Bool

    /// Connects (failing with libpq's message when the server can't be reached) and migrates the schema.
    ///
    /// - Parameters:
    ///   - connectionString: a libpq URI (`postgresql://user:password@host:5432/lockstep`) or keyword string.
    ///   - connections: the size of the connection pool.
    public init(connectionString: String, connections: Int = 4) throws {
        var heldKeys = false
        self.connectionString = connectionString
        self.database = try PostgresDatabase(
            connectionString: connectionString,
            writeLock: PostgresLocks.secretWrites,
            configuration: .init(connections: connections)
        ) { connection in
            try PostgresMigrations.migrate(connection, .secrets)
            heldKeys = try connection.first("SELECT count(*) FROM kms_keys") { $0.int64(0) } ?? 0 > 0
        }
        self.heldKeys = heldKeys
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SecretStoreTransaction) throws -> T) async throws -> T {
        try await self.database.read { try body(SQLTransaction(connection: $0)) }
    }

    public func write<T: Sendable>(
        faultPoint: FaultPoint,
        _ body: @escaping @Sendable (any SecretStoreTransaction) throws -> T
    ) async throws -> T {
        try await self.database.write(faultPoint: faultPoint) { try body(SQLTransaction(connection: $0)) }
    }

    /// True when the database answers a query (the health check).
    public func isReachable() async -> Bool {
        (try? await self.database.read { connection in try connection.first("SELECT 1") { $0.int64(0) } }) == 1
    }
}

/// The audit log's tables in the shared PostgreSQL database: one chain for all nodes, sequenced by the database
/// (each writer reads the head inside its transaction, under its own advisory lock), each record naming its node.
public final class PostgresAuditStore: AuditStore {
    private let database: PostgresDatabase

    public init(connectionString: String, connections: Int = 2) throws {
        self.database = try PostgresDatabase(
            connectionString: connectionString,
            writeLock: PostgresLocks.auditWrites,
            configuration: .init(connections: connections)
        ) { try PostgresMigrations.migrate($0, .audit) }
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any AuditStoreTransaction) throws -> T) async throws -> T {
        try await self.database.read { try body(SQLAuditTransaction(connection: $0)) }
    }

    public func write<T: Sendable>(
        faultPoint: FaultPoint,
        _ body: @escaping @Sendable (any AuditStoreTransaction) throws -> T
    ) async throws -> T {
        try await self.database.write(faultPoint: faultPoint) { try body(SQLAuditTransaction(connection: $0)) }
    }
}
