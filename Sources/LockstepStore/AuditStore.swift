public import LockstepCore

/// The persistence contract of the audit log, apart from the secrets: its own file on SQLite (`audit.db`), so the
/// log's growth and fsyncs never burden the secrets database.
///
/// Bodies run synchronously on the store's own executor, off the Swift concurrency pool, like ``SecretStore``'s.
public protocol AuditStore: Sendable {
    /// Runs `body` against a consistent snapshot.
    func read<T: Sendable>(_ body: @escaping @Sendable (any AuditStoreTransaction) throws -> T) async throws -> T
    /// Runs `body` as one atomic write transaction (`BEGIN IMMEDIATE`, waiting up to the busy timeout for another
    /// process). `faultPoint` names it for the crash harness: ``FaultPoint/auditTransaction`` for the writer's batches.
    func write<T: Sendable>(
        faultPoint: FaultPoint,
        _ body: @escaping @Sendable (any AuditStoreTransaction) throws -> T
    ) async throws -> T
}
