import Dispatch
import Foundation
import LockstepCore
import Synchronization

/// A PostgreSQL database shared by every Lockstep node: a pool of libpq connections, each on its own serial
/// dispatch queue (libpq blocks its thread for every round trip; never an event loop's).
///
/// - A write transaction takes a transaction-level advisory lock first (`pg_advisory_xact_lock`), so writes are
///   serialized across all nodes exactly as SQLite serializes them in one file: every check-then-write a service
///   operation makes inside its transaction holds, whichever node runs it. The secrets and the audit log take
///   different locks.
/// - A read is one `REPEATABLE READ READ ONLY` transaction: a consistent snapshot, never waiting for writers. Its
///   BEGIN travels with its first statement and its COMMIT is not waited for, so a one-statement read (GetSecretValue)
///   is one round trip; a write's BEGIN travels with its advisory lock, and its COMMIT is waited for.
/// - A connection that fails is dropped and replaced on the next use; the transaction that met the failure fails with
///   ``PostgresStoreError/isUnavailable`` (nothing half-written: PostgreSQL rolls back a transaction whose
///   connection died). A connection the server closed while it sat idle (a restart, a failover) is noticed before
///   use, or at its `BEGIN`, and replaced at once: the transaction runs on the new one.
final class PostgresDatabase: Sendable {
    struct Configuration: Sendable {
        var connections = 4
    }

    /// A connection and its thread. `@unchecked Sendable`: `connection` is used only on `queue`, by the one task
    /// that checked the lane out of the pool.
    private final class Lane: @unchecked Sendable {
        var connection: PostgresConnection?
        let queue: DispatchQueue

        init(connection: PostgresConnection?, label: String) {
            self.connection = connection
            self.queue = DispatchQueue(label: label)
        }

        /// The lane's connection, opened again when it is missing, broken or closed by the server; `reused` says
        /// it was already open (so it may still turn out to be dead at its first statement).
        func connected(_ connectionString: String) throws -> (connection: PostgresConnection, reused: Bool) {
            if let connection = self.connection, connection.isAlive { return (connection, true) }
            self.connection = nil
            let connection = try PostgresConnection(connectionString)
            self.connection = connection
            return (connection, false)
        }

        /// Opens a transaction with `begin` (sent with its first statement). A reused connection that turns out
        /// closed there is reconnected and the transaction sent again (``PostgresConnection/begin(_:reconnectIfStale:)``).
        func begin(_ begin: String, _ connectionString: String) throws -> PostgresConnection {
            let (connection, reused) = try self.connected(connectionString)
            connection.begin(begin, reconnectIfStale: reused)
            return connection
        }
    }

    private struct Pool {
        var free: [Int] = []
        var waiters: [CheckedContinuation<Int, Never>] = []
    }

    private let connectionString: String
    private let lanes: [Lane]
    private let pool: Mutex<Pool>
    private let writeLock: Int64

    /// Connects the first connection (so a wrong URL fails here, with libpq's message) and migrates.
    init(connectionString: String, writeLock: Int64, configuration: Configuration = .init(), migrate: (PostgresConnection) throws -> Void) throws {
        self.connectionString = connectionString
        self.writeLock = writeLock
        let first = try PostgresConnection(connectionString)
        try migrate(first)
        let count = max(1, configuration.connections)
        self.lanes = (0..<count).map { Lane(connection: $0 == 0 ? first : nil, label: "lockstep.postgres.store.\($0)") }
        self.pool = Mutex(Pool(free: Array((0..<count).reversed())))
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await self.run(begin: "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY") { connection in
            do {
                let result = try body(connection)
                connection.commitReadOnly()
                return result
            } catch {
                connection.rollback()
                throw error
            }
        }
    }

    /// One write transaction, serialized with every other node's by the advisory lock; an armed `faultPoint` fires
    /// after `body`, before COMMIT.
    func write<T: Sendable>(faultPoint: FaultPoint, _ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        let lock = self.writeLock
        return try await self.run(begin: "BEGIN") { connection in
            try Self.finish(connection) { connection in
                try connection.query("SELECT pg_advisory_xact_lock(?)", [.integer(lock)])
                let result = try body(connection)
                if FaultInjection.reach(faultPoint) {
                    throw PostgresStoreError(state: "58030", message: "I/O error (fault injected at \(faultPoint.rawValue))")
                }
                return result
            }
        }
    }

    private static func finish<T>(_ connection: PostgresConnection, _ body: (PostgresConnection) throws -> T) throws -> T {
        do {
            let result = try body(connection)
            try connection.commit()
            return result
        } catch {
            connection.rollback()
            throw error
        }
    }

    /// Checks a lane out of the pool (waiting for one when all are busy), opens a transaction with `begin` on its
    /// queue (connecting if needed) and runs `body` in it; a connection that failed is dropped, so the next
    /// transaction of the lane connects afresh.
    private func run<T: Sendable>(begin: String, _ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        let index = await self.checkOut()
        defer { self.checkIn(index) }
        let lane = self.lanes[index]
        let connectionString = self.connectionString
        return try await withCheckedThrowingContinuation { continuation in
            lane.queue.async {
                continuation.resume(
                    with: Result {
                        do {
                            let connection = try lane.begin(begin, connectionString)
                            return try body(connection)
                        } catch {
                            if let connection = lane.connection,
                                !connection.isHealthy || (error as? PostgresStoreError)?.isUnavailable == true
                            {
                                lane.connection = nil
                            }
                            throw error
                        }
                    }
                )
            }
        }
    }

    private func checkOut() async -> Int {
        await withCheckedContinuation { continuation in
            let free = self.pool.withLock { pool -> Int? in
                if let index = pool.free.popLast() { return index }
                pool.waiters.append(continuation)
                return nil
            }
            if let free { continuation.resume(returning: free) }
        }
    }

    private func checkIn(_ index: Int) {
        let waiter = self.pool.withLock { pool -> CheckedContinuation<Int, Never>? in
            if pool.waiters.isEmpty {
                pool.free.append(index)
                return nil
            }
            return pool.waiters.removeFirst()
        }
        waiter?.resume(returning: index)
    }
}
