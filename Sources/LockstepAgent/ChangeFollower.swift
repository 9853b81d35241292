import Foundation
import LockstepClient
import Logging
import ServiceLifecycle
import Synchronization

/// Follows a Lockstep server's change feed (`GET /v1/changes`, long polls of 20 s) and drops the cached entries of
/// each secret the moment it changes; everything when the feed says changes were missed. While the feed can't be
/// read the cache falls back to its TTL; against an endpoint without a feed (AWS itself) the TTL is all there is.
struct ChangeFollower: Service {
    let client: RemoteClient
    let cache: AgentCache
    let logger: Logger
    let status: FeedStatus
    /// Told after each page that named a change (or reset the cache), for the rendered files.
    let changed: @Sendable () -> Void

    func run() async throws {
        try? await cancelWhenGracefulShutdown { try await self.follow() }
    }

    private func follow() async throws {
        var cursor: Int64?
        var pause = Duration.seconds(1)
        var failing = false
        while !Task.isCancelled {
            do {
                let query = cursor.map { "after=\($0)&limit=1000&wait=20" } ?? ""
                let (code, body) = try await self.client.get(path: "/v1/changes", query: query, timeout: .seconds(35))
                switch code {
                case 200:
                    guard let page = try? JSONDecoder().decode(ChangePage.self, from: body) else { throw Malformed() }
                    if cursor == nil || page.Reset {
                        // Whatever was cached before the feed's position was known may have changed unseen.
                        self.cache.removeAll()
                        if page.Reset { self.logger.notice("the change feed was reset: the cache starts again") }
                    }
                    for change in page.Changes { self.cache.invalidate(arn: change.ARN) }
                    if !page.Changes.isEmpty || page.Reset { self.changed() }
                    if !page.Changes.isEmpty { self.status.heard(page.Changes.count) }
                    cursor = page.NextSequence
                    if failing || !self.status.isFollowing {
                        self.logger.info("following the change feed", metadata: ["after": "\(page.NextSequence)"])
                    }
                    failing = false
                    pause = .seconds(1)
                    self.status.set(.following)
                case 404, 405:
                    // No feed (AWS itself): the TTL is all there is. Look again now and then (an upgrade, a proxy).
                    if self.status.current != .unavailable {
                        self.logger.notice("the endpoint has no change feed: cached values refresh after ttl_seconds")
                    }
                    self.status.set(.unavailable)
                    cursor = nil
                    try await Task.sleep(for: .seconds(300))
                default:
                    throw Refused(status: code)
                }
            } catch is CancellationError {
                return
            } catch {
                if !failing {
                    self.logger.warning(
                        "the change feed can't be read: cached values refresh after ttl_seconds until it can",
                        metadata: ["error": "\(error)"]
                    )
                }
                failing = true
                self.status.set(.down)
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(5))
            }
        }
    }

    private struct Malformed: Error, CustomStringConvertible {
        var description: String { "the change feed's answer is not what was expected" }
    }

    private struct Refused: Error, CustomStringConvertible {
        let status: Int
        var description: String { "the change feed answered HTTP \(self.status)" }
    }

    private struct ChangePage: Decodable {
        struct Change: Decodable {
            let ARN: String
        }

        let Changes: [Change]
        let NextSequence: Int64
        let Reset: Bool
    }
}

/// Whether the agent is following a change feed, for its logs and health.
final class FeedStatus: Sendable {
    enum State: String, Sendable {
        case starting, following, down, unavailable
    }

    private let state = Mutex((state: State.starting, changes: 0))

    var current: State { self.state.withLock { $0.state } }
    var isFollowing: Bool { self.current == .following }
    var changesHeard: Int { self.state.withLock { $0.changes } }

    func set(_ state: State) { self.state.withLock { $0.state = state } }
    func heard(_ count: Int) { self.state.withLock { $0.changes += count } }
}
