import Dispatch
import Foundation
import Synchronization

/// A SQLite database file opened for one process: a writer connection and a few reader connections, each on its
/// own serial dispatch queue so that blocking `sqlite3_*` calls never run on the Swift concurrency pool.
///
/// WAL mode lets readers run beside the writer (and beside other processes such as the CLI); writes take the lock
/// up front (`BEGIN IMMEDIATE`) and wait up to ``Configuration/busyTimeoutMilliseconds`` for another process.
final class SQLiteDatabase: Sendable {
    struct Configuration: Sendable {
        var busyTimeoutMilliseconds: Int32 = 5_000
        var readerCount = 2
    }

    private struct Lane: Sendable {
        let connection: SQLiteConnection
        let queue: DispatchQueue
    }

    private let writer: Lane
    private let readers: [Lane]
    private let nextReader = AtomicCounter()

    init(path: String, configuration: Configuration = .init(), migrate: (SQLiteConnection) throws -> Void) throws {
        let writer = try SQLiteConnection(path: path)
        try writer.execute(
            """
            PRAGMA busy_timeout = \(configuration.busyTimeoutMilliseconds);
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = FULL;
            PRAGMA foreign_keys = ON;
            """
        )
        try migrate(writer)
        self.writer = Lane(connection: writer, queue: DispatchQueue(label: "lockstep.sqlite.writer"))
        self.readers = try (0..<max(1, configuration.readerCount)).map { index in
            let reader = try SQLiteConnection(path: path)
            try reader.execute("PRAGMA busy_timeout = \(configuration.busyTimeoutMilliseconds); PRAGMA foreign_keys = ON; PRAGMA query_only = ON;")
            return Lane(connection: reader, queue: DispatchQueue(label: "lockstep.sqlite.reader.\(index)"))
        }
    }

    /// Runs `body` in a read transaction (a consistent snapshot) on a reader connection.
    func read<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        let lane = self.readers[self.nextReader.next() % self.readers.count]
        return try await Self.run(on: lane) { connection in
            try connection.execute("BEGIN DEFERRED")
            defer { try? connection.execute("COMMIT") }
            return try body(connection)
        }
    }

    /// Runs `body` in one write transaction; a throw rolls everything back.
    func write<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await Self.run(on: self.writer) { connection in
            try connection.execute("BEGIN IMMEDIATE")
            do {
                let result = try body(connection)
                try connection.execute("COMMIT")
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
