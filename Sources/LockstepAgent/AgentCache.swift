import Foundation
import Synchronization

/// The agent's cache: GetSecretValue answers by what was asked (secret id as given, version id, stage), each kept for
/// the TTL, at most `capacity` of them (the least recently used goes first), and dropped the moment the change feed
/// says their secret changed. Values live only in memory, as in AWS's agent.
final class AgentCache: Sendable {
    struct Entry: Sendable {
        /// The answer as the agent sends it.
        let body: Data
        /// The secret it belongs to (what the change feed names).
        let arn: String
        let stored: ContinuousClock.Instant
    }

    private struct State {
        var entries: [AgentQuery.Key: (entry: Entry, used: UInt64)] = [:]
        var clock: UInt64 = 0
    }

    private let state = Mutex(State())
    let capacity: Int
    let ttl: Duration

    init(capacity: Int, ttl: Duration) {
        self.capacity = capacity
        self.ttl = ttl
    }

    /// The entry for `key` if it is younger than the TTL.
    func fresh(_ key: AgentQuery.Key, now: ContinuousClock.Instant = .now) -> Entry? {
        self.state.withLock { state in
            guard let (entry, _) = state.entries[key] else { return nil }
            guard now - entry.stored < self.ttl else {
                state.entries[key] = nil
                return nil
            }
            state.clock &+= 1
            state.entries[key] = (entry, state.clock)
            return entry
        }
    }

    func store(_ entry: Entry, for key: AgentQuery.Key) {
        guard self.ttl > .zero else { return }
        self.state.withLock { state in
            state.clock &+= 1
            state.entries[key] = (entry, state.clock)
            if state.entries.count > self.capacity, let oldest = state.entries.min(by: { $0.value.used < $1.value.used })?.key {
                state.entries[oldest] = nil
            }
        }
    }

    /// Drops every entry of the secret `arn`; returns how many.
    @discardableResult
    func invalidate(arn: String) -> Int {
        self.state.withLock { state in
            let doomed = state.entries.filter { $0.value.entry.arn == arn }.map(\.key)
            for key in doomed { state.entries[key] = nil }
            return doomed.count
        }
    }

    func removeAll() {
        self.state.withLock { $0.entries.removeAll() }
    }

    var count: Int { self.state.withLock { $0.entries.count } }
}

extension AgentQuery {
    /// What a cache entry answers (refreshNow is how, not what).
    struct Key: Hashable, Sendable {
        let secretId: String
        let versionId: String?
        let versionStage: String?
    }

    var key: Key { Key(secretId: self.secretId, versionId: self.versionId, versionStage: self.versionStage) }
}
