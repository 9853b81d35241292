public import Foundation
public import LockstepCore

/// The embedded default store: one SQLite file (`lockstep.db`) in the data directory.
///
/// WAL mode, `synchronous=FULL`, foreign keys on, a busy timeout, schema migrations. Safe to open from a second
/// process (the CLI beside a running server): SQLite's file locks serialize writers.
public final class SQLiteSecretStore: SecretStore {
    public static let fileName = "lockstep.db"

    private let database: SQLiteDatabase
    /// The database file.
    public let path: String

    /// Opens (creating and migrating if needed) the store at `path`.
    ///
    /// - Parameter memory: each connection's page cache and memory map.
    public init(path: String, memory: SQLiteMemory = .init()) throws {
        self.path = path
        self.database = try SQLiteDatabase(path: path, configuration: .init(memory: memory), migrate: Migrations.migrate)
    }

    /// Opens the store in a data directory.
    public convenience init(directory: URL, memory: SQLiteMemory = .init()) throws {
        try self.init(path: directory.appendingPathComponent(Self.fileName).path, memory: memory)
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

    /// `PRAGMA integrity_check`: "ok" when the file is sound.
    public func integrityCheck() async throws -> String {
        try await self.database.withWriter { connection in
            var lines: [String] = []
            try connection.query("PRAGMA integrity_check") { lines.append($0.text(0)) }
            return lines.joined(separator: "\n")
        }
    }

    /// Moves the WAL into the main file (used by tests and at shutdown).
    public func checkpoint() async throws {
        try await self.database.withWriter { try $0.execute("PRAGMA wal_checkpoint(TRUNCATE)") }
    }
}
