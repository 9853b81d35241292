import Foundation
import Testing

@testable import LockstepStore

/// The LISTEN connection of a node on a PostgreSQL store (``PostgresListener``), against the test server.
@Suite(.timeLimit(.minutes(1)))
struct PostgresListenerTests {
    /// The server ends the listener's connection, as a restart or a failover does: it connects again on its own, and
    /// says first that it may have missed changes (``StoreChange/unknown``: caches are dropped), then hears them again.
    @Test func reconnectsAfterTheServerEndsItsConnectionAndReportsUnknown() async throws {
        guard PostgresScratch.server != nil || PostgresScratch.isRequired else { return }
        let scratch = try ScratchStore(.postgres)
        defer { scratch.remove() }
        let store = try #require(try scratch.open() as? PostgresSecretStore)
        var changes = store.changes().makeAsyncIterator()
        #expect(await changes.next() == .unknown)  // listening
        let other = try PostgresConnection(scratch.location)
        try other.execute("NOTIFY lockstep_changes, 'identities'")
        #expect(await changes.next() == .access)

        try other.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN lockstep_changes'"
        )
        #expect(await changes.next() == .unknown)  // listening again; whatever was committed meanwhile went unheard
        try other.execute("NOTIFY lockstep_changes, 'rotations'")
        #expect(await changes.next() == .rotations)
    }
}
