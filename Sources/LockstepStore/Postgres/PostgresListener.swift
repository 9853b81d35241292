import CPostgreSQL
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// What another node (or the CLI) changed in a shared store, as far as this node's caches and scheduler care.
public enum StoreChange: Sendable, Hashable {
    /// Identities, policies, access keys or sessions: cached credentials may be stale.
    case access
    /// Rotations or schedules: something may be due.
    case rotations
    /// A change was appended to the change feed: long polls may answer.
    case feed
    /// The listener (re)connected and may have missed changes: everything may be stale.
    case unknown
}

/// A store whose other writers can be heard.
public protocol StoreChangeNotifications: Sendable {
    /// Changes committed by anyone (this node too), for as long as the stream is consumed.
    func changes() -> AsyncStream<StoreChange>
}

extension PostgresSecretStore: StoreChangeNotifications {
    public func changes() -> AsyncStream<StoreChange> {
        PostgresListener.changes(connectionString: self.connectionString)
    }
}

/// `LISTEN lockstep_changes` on a connection of its own, on a thread of its own: it waits in `poll(2)` on the
/// connection's socket (a quarter second at a time, to notice cancellation), and reconnects every second while the
/// database is away, reporting ``StoreChange/unknown`` after each (re)connection.
enum PostgresListener {
    static let channel = "lockstep_changes"

    static func changes(connectionString: String) -> AsyncStream<StoreChange> {
        let (stream, continuation) = AsyncStream.makeStream(of: StoreChange.self, bufferingPolicy: .bufferingNewest(64))
        let stopped = Atomic(false)
        let thread = Thread {
            Self.listen(connectionString, stopped: stopped) { continuation.yield($0) }
            continuation.finish()
        }
        thread.name = "lockstep.postgres.listener"
        continuation.onTermination = { _ in stopped.store(true, ordering: .relaxed) }
        thread.start()
        return stream
    }

    private static func listen(_ connectionString: String, stopped: borrowing Atomic<Bool>, _ report: (StoreChange) -> Void) {
        while !stopped.load(ordering: .relaxed) {
            guard let connection = try? PostgresConnection(connectionString), (try? connection.execute("LISTEN \(Self.channel)")) != nil
            else {
                Self.sleep(seconds: 1, unless: stopped)
                continue
            }
            report(.unknown)
            while !stopped.load(ordering: .relaxed) {
                guard let changes = connection.waitForNotifications(milliseconds: 250) else { break }
                for table in changes {
                    switch table {
                    case "rotations", "secrets": report(.rotations)
                    case "changes": report(.feed)
                    default: report(.access)
                    }
                }
            }
        }
    }

    private static func sleep(seconds: Int, unless stopped: borrowing Atomic<Bool>) {
        for _ in 0..<(seconds * 4) where !stopped.load(ordering: .relaxed) { usleep(250_000) }
    }
}

extension PostgresConnection {
    /// Waits up to `milliseconds` for notifications and returns their payloads (empty when none came); nil when the
    /// connection is lost.
    func waitForNotifications(milliseconds: Int32) -> [String]? {
        var descriptor = pollfd(fd: PQsocket(self.handle), events: Int16(POLLIN), revents: 0)
        guard descriptor.fd >= 0 else { return nil }
        let ready = poll(&descriptor, 1, milliseconds)
        if ready < 0 { return errno == EINTR ? [] : nil }
        guard PQconsumeInput(self.handle) == 1, PQstatus(self.handle) == CONNECTION_OK else { return nil }
        var payloads: [String] = []
        while let notification = PQnotifies(self.handle) {
            payloads.append(String(cString: notification.pointee.extra))
            PQfreemem(notification)
        }
        return payloads
    }
}
