import Dispatch
import Foundation
import LockstepCore
import Synchronization

/// A SQLite database file opened for one process.
///
/// - Writes run on one writer connection on its own serial dispatch queue, never on the Swift concurrency pool:
///   they take the lock up front (`BEGIN IMMEDIATE`), may wait up to ``Configuration/busyTimeoutMilliseconds`` for
///   another process, and end in an fsync.
/// - Reads in WAL mode never wait for a writer. They run on the caller's thread on an *inline* reader whose busy
///   timeout is 0, so they cannot block on a lock: a read that meets one (WAL recovery, another process
///   restarting the log) is retried on a queued reader lane with the full timeout, as is a read that finds every
///   inline reader in use. Pages are memory-mapped, so a warm read is a few microseconds of CPU; a thread hop
///   would cost more than the read itself.
final class SQLiteDatabase: Sendable {
    struct Configuration: Sendable {
        var busyTimeoutMilliseconds: Int32 = 5_000
        var readerCount = 2
        var inlineReaderCount = 4
        var mmapBytes = 256 << 20
    }

    private struct Lane: Sendable {
        let connection: SQLiteConnection
        let queue: DispatchQueue
    }

    private let writer: Lane
    private let readers: [Lane]
    private let nextReader = AtomicCounter()
    /// Free inline readers; one is checked out for the length of one read transaction.
    private let inlineReaders: Mutex<[SQLiteConnection]>

    init(path: String, configuration: Configuration = .init(), migrate: (SQLiteConnection) throws -> Void) throws {
        let writer = try SQLiteConnection(path: path)
        try writer.execute(
            """
            PRAGMA busy_timeout = \(configuration.busyTimeoutMilliseconds);
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = FULL;
            PRAGMA foreign_keys = ON;
            PRAGMA mmap_size = \(configuration.mmapBytes);
            """
        )
        try migrate(writer)
        self.writer = Lane(connection: writer, queue: DispatchQueue(label: "lockstep.sqlite.writer"))
        func reader(busyTimeout: Int32) throws -> SQLiteConnection {
            let reader = try SQLiteConnection(path: path)
            try reader.execute(
                "PRAGMA busy_timeout = \(busyTimeout); PRAGMA foreign_keys = ON; PRAGMA query_only = ON; PRAGMA mmap_size = \(configuration.mmapBytes);"
            )
            return reader
        }
        self.readers = try (0..<max(1, configuration.readerCount)).map { index in
            Lane(
                connection: try reader(busyTimeout: configuration.busyTimeoutMilliseconds),
                queue: DispatchQueue(label: "lockstep.sqlite.reader.\(index)")
            )
        }
        self.inlineReaders = Mutex(try (0..<configuration.inlineReaderCount).map { _ in try reader(busyTimeout: 0) })
    }

    /// Runs `body` in a read transaction (a consistent snapshot): inline when a reader is free and no lock is met,
    /// else on a queued reader lane.
    func read<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        if let connection = self.inlineReaders.withLock({ $0.popLast() }) {
            defer { self.inlineReaders.withLock { $0.append(connection) } }
            do {
                return try Self.readTransaction(on: connection, body)
            } catch let error as SQLiteError where error.isBusy {
                // Fall through to a lane that may wait.
            }
        }
        let lane = self.readers[self.nextReader.next() % self.readers.count]
        return try await Self.run(on: lane) { try Self.readTransaction(on: $0, body) }
    }

    private static func readTransaction<T>(on connection: SQLiteConnection, _ body: (SQLiteConnection) throws -> T) throws -> T {
        try connection.query("BEGIN DEFERRED")
        defer { try? connection.query("COMMIT") }
        return try body(connection)
    }

    /// Runs `body` in one write transaction; a throw rolls everything back. An armed `faultPoint` fires after
    /// `body`, before COMMIT.
    func write<T: Sendable>(
        faultPoint: FaultPoint = .storeTransaction,
        _ body: @escaping @Sendable (SQLiteConnection) throws -> T
    ) async throws -> T {
        try await Self.run(on: self.writer) { connection in
            try connection.query("BEGIN IMMEDIATE")
            do {
                let result = try body(connection)
                if FaultInjection.reach(faultPoint) {
                    throw SQLiteError(code: 10, message: "disk I/O error (fault injected at \(faultPoint.rawValue))")  // SQLITE_IOERR
                }
                try connection.query("COMMIT")
                return result
            } catch {
                try? connection.execute("ROLLBACK")
                throw error
            }
        }
    }

    /// Runs `body` on the writer outside any transaction (maintenance: checkpoints, integrity checks).
    func withWriter<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await Self.run(on: self.writer, body)
    }

    private static func run<T: Sendable>(on lane: Lane, _ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            lane.queue.async {
                continuation.resume(with: Result { try body(lane.connection) })
            }
        }
    }
}

/// A thread-safe round-robin counter.
final class AtomicCounter: Sendable {
    private let value = Mutex(0)

    func next() -> Int {
        self.value.withLock { value in
            value &+= 1
            return value & Int.max
        }
    }
}
