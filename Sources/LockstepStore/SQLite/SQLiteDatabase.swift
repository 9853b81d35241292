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
///   inline reader in use. A warm read is a few microseconds of CPU in the connection's page cache; a thread hop
///   would cost more than the read itself.
/// - Checkpoints run beside writes, never inside one: SQLite's automatic checkpoint would copy the WAL into the
///   main file and fsync it inside the COMMIT that crosses its mark, and that caller would wait for it. The writer
///   has it off; a WAL hook starts a round of the ``Checkpointer`` once a commit leaves
///   ``Configuration/checkpointPages`` in the WAL.
/// - Memory is bounded per connection (``SQLiteMemory``): `cache_size` pages each, and no memory map by default
///   (mapped pages count in the process's RSS, once per connection that touched them, so a map grows with the file).
final class SQLiteDatabase: Sendable {
    struct Configuration: Sendable {
        var busyTimeoutMilliseconds: Int32 = 5_000
        /// Queued reader lanes (reads that may wait for a lock, or find every inline reader busy).
        var readerCount = 2
        /// Readers used on the caller's thread: as many as threads that can run at once.
        var inlineReaderCount = Configuration.processors
        var memory = SQLiteMemory()
        /// WAL pages after a commit that start a background checkpoint (SQLite's own automatic mark).
        var checkpointPages: Int32 = 1_000

        /// The processors this process may run on, at least 2 and at most 8.
        static let processors = min(8, max(2, ProcessInfo.processInfo.activeProcessorCount))
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
    private let checkpointer: Checkpointer

    init(path: String, configuration: Configuration = .init(), migrate: (SQLiteConnection) throws -> Void) throws {
        let memory = configuration.memory
        let writer = try SQLiteConnection(path: path)
        try writer.execute(
            """
            PRAGMA busy_timeout = \(configuration.busyTimeoutMilliseconds);
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = FULL;
            PRAGMA foreign_keys = ON;
            PRAGMA cache_size = -\(memory.cacheKiB);
            PRAGMA mmap_size = \(memory.mmapBytes);
            """
        )
        try migrate(writer)
        func connection(busyTimeout: Int32, readOnly: Bool = true) throws -> SQLiteConnection {
            let connection = try SQLiteConnection(path: path)
            try connection.execute(
                """
                PRAGMA busy_timeout = \(busyTimeout); PRAGMA foreign_keys = ON; PRAGMA query_only = \(readOnly ? "ON" : "OFF");
                PRAGMA cache_size = -\(memory.cacheKiB); PRAGMA mmap_size = \(memory.mmapBytes);
                """
            )
            return connection
        }
        let writerLane = Lane(connection: writer, queue: DispatchQueue(label: "lockstep.sqlite.writer"))
        self.writer = writerLane
        self.checkpointer = Checkpointer(
            connection: try connection(busyTimeout: configuration.busyTimeoutMilliseconds, readOnly: false),
            pages: configuration.checkpointPages,
            writerQueue: writerLane.queue,
            writer: writer
        )
        // After the migration: checkpoints from here on run beside the writer.
        try writer.execute("PRAGMA wal_autocheckpoint = 0;")
        writer.onWALCommit(self.checkpointer)
        self.readers = try (0..<max(1, configuration.readerCount)).map { index in
            Lane(
                connection: try connection(busyTimeout: configuration.busyTimeoutMilliseconds),
                queue: DispatchQueue(label: "lockstep.sqlite.reader.\(index)")
            )
        }
        self.inlineReaders = Mutex(try (0..<configuration.inlineReaderCount).map { _ in try connection(busyTimeout: 0) })
    }

    deinit {
        // The hook's context is the checkpointer; the writer must not call it once this is gone.
        self.writer.connection.onWALCommit(nil)
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

/// Runs checkpoints beside the writer, at most one round at a time.
///
/// A round is two passive checkpoints. The first, on the checkpointer's own connection and serial queue, copies the
/// bulk of the WAL into the main file and fsyncs it while writers go on committing. Those commits keep adding frames,
/// so it can never catch up alone, and a WAL restarts from its start only when a write begins with every frame
/// copied. The second runs on the writer's queue, between two writes: it copies the few frames committed meanwhile,
/// so the next write restarts the WAL and the file stops growing. Each connection is used only on its own queue.
final class Checkpointer: Sendable {
    private let connection: SQLiteConnection
    private let queue = DispatchQueue(label: "lockstep.sqlite.checkpoint")
    private let pages: Int32
    private let writerQueue: DispatchQueue
    private let writer: SQLiteConnection
    private let scheduled = Atomic<Bool>(false)

    init(connection: SQLiteConnection, pages: Int32, writerQueue: DispatchQueue, writer: SQLiteConnection) {
        self.connection = connection
        self.pages = pages
        self.writerQueue = writerQueue
        self.writer = writer
    }

    /// Called by the writer's WAL hook after each commit with the pages now in the WAL (on the writer's thread,
    /// its lock released): never blocks.
    func committed(walPages: Int32) {
        guard walPages >= self.pages, !self.scheduled.exchange(true, ordering: .acquiringAndReleasing) else { return }
        self.queue.async {
            // PASSIVE waits for no one: it copies what no reader still needs.
            try? self.connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
            self.writerQueue.async {
                try? self.writer.execute("PRAGMA wal_checkpoint(PASSIVE)")
                self.scheduled.store(false, ordering: .releasing)
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
