public import Foundation
public import LockstepCore

/// The audit log's own SQLite file (`audit.db` in the data directory): WAL, `synchronous=FULL`, its own writer
/// connection and queue, its own schema version (``AuditMigrations``).
///
/// Safe to open from a second process (the CLI appending CreateUser beside a running server): writers take the lock
/// up front (`BEGIN IMMEDIATE`) and wait up to the busy timeout, and the writer reads the chain's head inside its
/// transaction, so both processes extend one chain.
public final class SQLiteAuditStore: AuditStore {
    public static let fileName = "audit.db"

    private let database: SQLiteDatabase
    /// The database file.
    public let path: String

    /// Opens (creating and migrating if needed) the audit store at `path`. With `legacyPath` (the data directory's
    /// `lockstep.db`), records an older version kept there are moved over: copied once, then deleted there.
    ///
    /// Reads of the log are rare (listing, verifying, following the JSON-lines copy): one queued reader lane and no
    /// inline readers, so the file holds at most three connections' page caches.
    public init(path: String, legacyPath: String? = nil, memory: SQLiteMemory = .audit) throws {
        self.path = path
        let configuration = SQLiteDatabase.Configuration(readerCount: 1, inlineReaderCount: 0, memory: memory)
        self.database = try SQLiteDatabase(path: path, configuration: configuration) { connection in
            try AuditMigrations.migrate(connection)
            if let legacyPath, FileManager.default.fileExists(atPath: legacyPath) {
                try AuditMigrations.importLegacy(from: legacyPath, into: connection)
            }
        }
    }

    /// Opens the audit store in a data directory, moving records out of its `lockstep.db`.
    public convenience init(directory: URL, memory: SQLiteMemory = .audit) throws {
        try self.init(
            path: directory.appendingPathComponent(Self.fileName).path,
            legacyPath: directory.appendingPathComponent(SQLiteSecretStore.fileName).path,
            memory: memory
        )
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

    /// Moves the WAL into the main file (used by tests and at shutdown).
    public func checkpoint() async throws {
        try await self.database.withWriter { try $0.execute("PRAGMA wal_checkpoint(TRUNCATE)") }
    }
}
