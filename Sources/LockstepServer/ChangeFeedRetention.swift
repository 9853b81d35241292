import LockstepService
import Logging
import ServiceLifecycle

/// Keeps the change feed bounded: once a minute (and at start), removes the changes older than `age` and all but
/// the newest `maximum`. Every node of a shared store does this; the removals are idempotent.
struct ChangeFeedRetention: Service {
    let manager: SecretsManager
    let age: Duration
    let maximum: Int
    let logger: Logger

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let removed = try await self.manager.pruneChanges(
                        olderThan: Double(self.age.components.seconds),
                        keepingAtMost: self.maximum
                    )
                    if removed > 0 { self.logger.debug("change feed pruned", metadata: ["removed": "\(removed)"]) }
                } catch {
                    self.logger.warning("change feed retention failed; trying again in a minute", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: .seconds(60))
            }
        }
    }
}
