import Foundation

/// Work that blocks its thread (libpq connecting and migrating, a whole `store copy`), run on a thread of its own:
/// never on the concurrency pool, whose threads are NIO's event loops in `lockstep` (Sources/lockstep/main.swift).
public enum Blocking {
    /// Runs `body` on a new thread and returns (or throws) what it did.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
        }
    }
}
