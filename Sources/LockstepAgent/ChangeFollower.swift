import Foundation
import LockstepClient
import Logging
import ServiceLifecycle

/// Follows a Lockstep server's change feed (`GET /v1/changes`, long polls of 20 s) and drops the cached entries of
/// each secret the moment it changes; everything when the feed says changes were missed. While the feed can't be
/// read the cache falls back to its TTL; against an endpoint without a feed (AWS itself) the TTL is all there is.
struct ChangeFollower: Service {
    let client: RemoteClient
    let cache: AgentCache
    let logger: Logger
    /// Told after each page that named a change (or reset the cache), for the rendered files.
    let changed: @Sendable () -> Void

    func run() async throws {
        try? await cancelWhenGracefulShutdown { try await self.follow() }
    }

    private func follow() async throws {
        var cursor: Int64?
        var pause = Duration.seconds(1)
        var state = State.starting
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
                    cursor = page.NextSequence
                    if state != .following {
                        self.logger.info("following the change feed", metadata: ["after": "\(page.NextSequence)"])
                    }
                    pause = .seconds(1)
                    state = .following
                case 404, 405:
                    // No feed (AWS itself): the TTL is all there is. Look again now and then (an upgrade, a proxy).
                    if state != .unavailable {
                        self.logger.notice("the endpoint has no change feed: cached values refresh after ttl_seconds")
                    }
                    state = .unavailable
                    cursor = nil
                    try await Task.sleep(for: .seconds(300))
                default:
                    throw Refused(status: code)
                }
            } catch is CancellationError {
                return
            } catch {
                if state != .down {
                    self.logger.warning(
                        "the change feed can't be read: cached values refresh after ttl_seconds until it can",
                        metadata: ["error": "\(error)"]
                    )
                }
                state = .down
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(5))
            }
        }
    }

    private enum State {
        case starting, following, down, unavailable
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
