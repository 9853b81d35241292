public import Foundation
import LockstepCore
import LockstepStore

/// One rotation-enabled secret as `/metrics` shows it.
public struct RotationGauge: Sendable, Hashable {
    public var arn: String
    public var name: String
    /// LastRotatedDate: the last successful rotation.
    public var lastSuccess: Date?
    /// Rotations that failed for good since the last success.
    public var consecutiveFailures: Int
    /// How long the unfinished rotation's AWSPENDING version has been waiting (0 when none is unfinished).
    public var pendingSeconds: Double
    /// NextRotationDate.
    public var next: Date?

    public init(arn: String, name: String, lastSuccess: Date?, consecutiveFailures: Int, pendingSeconds: Double, next: Date?) {
        self.arn = arn
        self.name = name
        self.lastSuccess = lastSuccess
        self.consecutiveFailures = consecutiveFailures
        self.pendingSeconds = pendingSeconds
        self.next = next
    }
}

extension SecretsManager {
    /// The per-secret rotation gauges: every secret with automatic rotation on (at most `limit`), across accounts and
    /// regions, read in one snapshot.
    public func rotationGauges(limit: Int) async throws -> [RotationGauge] {
        let now = self.now()
        return try await self.store.read { tx in
            let rows = Dictionary(try tx.rotations().map { ($0.secretId, $0) }, uniquingKeysWith: { first, _ in first })
            return try tx.rotationEnabledSecrets(limit: limit).map { secret in
                let row = rows[secret.id]
                let pending = row.flatMap { $0.status.isActive && $0.mode == .full ? now.timeIntervalSince($0.startedDate) : nil } ?? 0
                return RotationGauge(
                    arn: secret.arn,
                    name: secret.name,
                    lastSuccess: secret.rotation.lastRotatedDate,
                    consecutiveFailures: row?.consecutiveFailures ?? 0,
                    pendingSeconds: max(0, pending),
                    next: secret.rotation.nextRotationDate
                )
            }
        }
    }
}
