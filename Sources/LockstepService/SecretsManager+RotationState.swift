public import Foundation
public import LockstepCore
public import LockstepStore

/// A rotation a runner holds the lease on, with what its rotator needs.
public struct ClaimedRotation: Sendable, Hashable {
    public var record: RotationRecord
    public var secretARN: String
    public var secretName: String
    /// The account and region the rotation acts in (the secret's).
    public var context: RequestContext

    /// Whether the current step may already have run under this token (a retry, or a crash mid-step): a rotator
    /// uses it to skip checks that can only fail on a first run (single-user setSecret's pending login probe).
    public var stepMayHaveRun: Bool { self.record.stepStarted || self.record.attempt > 0 }
}

/// One line of `lockstep rotation status`.
public struct RotationStatusEntry: Sendable, Hashable, Codable {
    public var ARN: String
    public var Name: String
    public var RotationEnabled: Bool?
    public var RotationLambdaARN: String?
    public var NextRotationDate: Date?
    public var LastRotatedDate: Date?
    public var VersionId: String?
    public var Status: String?
    public var Step: String?
    public var Attempts: Int?
    public var LastError: String?
    public var LastErrorStep: String?
    public var LastErrorClass: String?
    public var NextAttemptDate: Date?
    public var LeaseOwner: String?
    /// Rotations that failed for good since the last success.
    public var ConsecutiveFailures: Int?
}

/// The runner lost its claim: the lease expired and another runner took the rotation, or it was cancelled or
/// abandoned meanwhile. The runner stops without touching anything.
public struct RotationLeaseLost: Error, Sendable {}

/// The rotation engine's persistence: each function is one store transaction that checks the caller still holds
/// the rotation before changing it, so two runners (two processes on one store) never both act on a rotation.
extension SecretsManager {
    /// Starts the scheduled rotations whose time has come (up to `limit`); returns how many were queued.
    /// A secret that can't rotate now (scheduled for deletion, a replica, a rotation still unfinished) is
    /// rescheduled to its next window instead, so it is not picked again and again.
    @discardableResult
    public func startScheduledRotations(limit: Int = 64) async throws -> Int {
        let (started, events) = try await self.store.write { tx -> (Int, [LifecycleEvent]) in
            let now = self.now()
            var started = 0
            var events: [LifecycleEvent] = []
            for var secret in try tx.secretsDueForRotation(before: now, limit: limit) {
                let outcome: RotationStart?
                if secret.deletedDate == nil, !secret.isReplica, let lambda = secret.rotation.lambdaARN, self.rotation.canInvoke(lambda) {
                    outcome = try self.beginRotation(of: &secret, token: UUID().uuidString.lowercased(), mode: .full, by: nil, in: tx)
                } else {
                    outcome = nil
                }
                switch outcome {
                case .started(let versionId):
                    started += 1
                    events.append(self.event("RotationStarted", secret: secret, versionId: versionId))
                case .previousIncomplete(redriven: true), .alreadyStarted:
                    started += 1
                    secret.rotation.nextRotationDate = nil
                case .previousIncomplete(redriven: false), nil:
                    secret.rotation.nextRotationDate = self.nextRotationDate(secret.rotation.rules, after: now)
                }
                try tx.updateSecret(secret)
            }
            return (started, events)
        }
        events.forEach(self.rotation.events.record)
        return started
    }

    /// Takes the lease on up to `limit` due rotations (queued, retry time reached, or lease expired).
    public func claimDueRotations(owner: String, lease: TimeInterval, limit: Int = 16) async throws -> [ClaimedRotation] {
        try await self.store.write { tx in
            let now = self.now()
            return try tx.rotationsDue(before: now, limit: limit).compactMap { row in
                try self.claim(row, owner: owner, lease: lease, now: now, in: tx)
            }
        }
    }

    /// Takes the lease on the active rotation of one secret if it is free (`lockstep rotate`), whatever its due
    /// date: the operator asked for it now.
    public func claimRotation(of secretId: String, owner: String, lease: TimeInterval, context: RequestContext) async throws
        -> ClaimedRotation?
    {
        try await self.store.write { tx in
            let now = self.now()
            let secret = try self.resolve(secretId, in: tx, context: context)
            guard let row = try tx.rotation(secretId: secret.id), row.status.isActive else { return nil }
            if let holder = row.leaseOwner, holder != owner, let due = row.dueDate, due > now { return nil }
            return try self.claim(row, owner: owner, lease: lease, now: now, in: tx)
        }
    }

    private func claim(_ row: RotationRecord, owner: String, lease: TimeInterval, now: Date, in tx: any SecretStoreTransaction) throws
        -> ClaimedRotation?
    {
        guard row.status.isActive, let secret = try tx.secret(id: row.secretId) else { return nil }
        var row = row
        // A secret scheduled for deletion doesn't change any more: its rotation stops (RestoreSecret and a new
        // RotateSecret re-drive it).
        guard secret.deletedDate == nil else {
            row.finish(as: .cancelled, at: now)
            try tx.saveRotation(row)
            return nil
        }
        row.leaseOwner = owner
        row.dueDate = now.addingTimeInterval(lease)
        row.updatedDate = now
        try tx.saveRotation(row)
        return ClaimedRotation(
            record: row,
            secretARN: secret.arn,
            secretName: secret.name,
            // The engine acts as the service itself: audited, not subject to policies (see RequestContext.system).
            context: RequestContext.system(account: secret.scope.account, region: secret.scope.region)
        )
    }

    /// Re-reads the row inside `tx` and checks `claimed`'s runner still holds it.
    private func held(_ claimed: ClaimedRotation, owner: String, in tx: any SecretStoreTransaction) throws -> RotationRecord {
        guard let row = try tx.rotation(secretId: claimed.record.secretId), row.token == claimed.record.token,
            row.status.isActive, row.leaseOwner == owner, try tx.secret(id: row.secretId)?.deletedDate == nil
        else { throw RotationLeaseLost() }
        return row
    }

    /// Records that `step` is about to run (before any effect), renewing the lease. Returns the updated claim.
    public func recordStepStart(_ step: RotationStep, of claimed: ClaimedRotation, owner: String, lease: TimeInterval) async throws
        -> ClaimedRotation
    {
        try await self.store.write { tx in
            var row = try self.held(claimed, owner: owner, in: tx)
            let now = self.now()
            if row.step != step {
                row.step = step
                row.attempt = 0
                row.stepStarted = false
            }
            var updated = claimed
            updated.record = row  // what the runner knew before this attempt: may the step have run?
            row.status = .running
            row.attempt += 1
            row.stepStarted = true
            row.dueDate = now.addingTimeInterval(lease)
            row.updatedDate = now
            try tx.saveRotation(row)
            updated.record.status = .running
            updated.record.dueDate = row.dueDate
            return updated
        }
    }

    /// Gives the rotation back (shutdown between steps): due now, for the next runner.
    public func releaseRotation(_ claimed: ClaimedRotation, owner: String) async throws {
        try await self.store.write { tx in
            var row = try self.held(claimed, owner: owner, in: tx)
            row.leaseOwner = nil
            row.dueDate = self.now()
            row.updatedDate = self.now()
            try tx.saveRotation(row)
        }
    }

    /// Frees the leases held by owners `isGone` says no longer run (a crashed process): those rotations are due now,
    /// for any runner. Returns how many were freed.
    public func releaseLeases(heldBy isGone: @escaping @Sendable (String) -> Bool) async throws -> Int {
        try await self.store.write { tx in
            let now = self.now()
            var freed = 0
            for var row in try tx.rotations() where row.status.isActive {
                guard let owner = row.leaseOwner, isGone(owner) else { continue }
                row.leaseOwner = nil
                row.dueDate = now
                row.updatedDate = now
                try tx.saveRotation(row)
                freed += 1
            }
            return freed
        }
    }

    /// Records that `step` succeeded and `next` is the step to run (its attempts start from zero). With `lease`,
    /// `next` is also recorded as starting, renewing the lease, in the same commit (what ``recordStepStart(_:of:owner:lease:)``
    /// would do): one durable write per step instead of two. Returns the claim as the runner should see it before
    /// `next` runs.
    @discardableResult
    public func recordStepSuccess(
        _ step: RotationStep,
        next: RotationStep,
        of claimed: ClaimedRotation,
        owner: String,
        startingNextWithLease lease: TimeInterval? = nil
    ) async throws -> ClaimedRotation {
        try await self.store.write { tx in
            var row = try self.held(claimed, owner: owner, in: tx)
            let now = self.now()
            row.step = next
            row.attempt = 0
            row.stepStarted = false
            row.updatedDate = now
            var updated = claimed
            updated.record = row
            if let lease {
                row.attempt = 1
                row.stepStarted = true
                row.dueDate = now.addingTimeInterval(lease)
                updated.record.dueDate = row.dueDate
            }
            try tx.saveRotation(row)
            return updated
        }
    }

    /// Records a failed attempt. With `retryAt` the rotation waits (the lease is released and any runner may take
    /// it then); without, it fails for good: RotationFailed, AWSPENDING left in place (as on AWS), and the next
    /// scheduled window re-drives it.
    public func recordStepFailure(_ failure: RotationFailure, retryAt: Date?, of claimed: ClaimedRotation, owner: String) async throws {
        let event = try await self.store.write { tx -> LifecycleEvent? in
            var row = try self.held(claimed, owner: owner, in: tx)
            let now = self.now()
            row.lastFailure = failure
            row.leaseOwner = nil
            row.updatedDate = now
            if let retryAt {
                row.status = .waiting
                row.dueDate = retryAt
                try tx.saveRotation(row)
                return nil
            }
            row.finish(as: .failed, at: now)
            row.consecutiveFailures += 1
            try tx.saveRotation(row)
            guard var secret = try tx.secret(id: row.secretId) else { return nil }
            if secret.rotation.enabled == true {
                secret.rotation.nextRotationDate = self.nextRotationDate(secret.rotation.rules, after: now)
                try tx.updateSecret(secret)
            }
            if row.mode == .full { try self.recordChange(.rotationFailed, of: secret, versionId: row.token, by: nil, in: tx) }
            return self.event(row.mode == .full ? "RotationFailed" : "TestRotationFailed", secret: secret, versionId: row.token, failure: failure)
        }
        self.changes.publish()
        if let event { self.rotation.events.record(event) }
    }

    /// Completes a full rotation in one transaction: AWSCURRENT moves to the token's version (AWSPREVIOUS follows),
    /// AWSPENDING is removed, LastRotatedDate is set and the next rotation scheduled.
    public func completeRotation(_ claimed: ClaimedRotation, owner: String) async throws {
        let event = try await self.store.write { tx -> LifecycleEvent in
            var row = try self.held(claimed, owner: owner, in: tx)
            guard var secret = try tx.secret(id: row.secretId) else { throw SecretsManagerError.secretNotFound }
            guard let version = try tx.version(secretId: secret.id, versionId: row.token), version.hasValue else {
                throw SecretsManagerError(.invalidRequest, "The rotation's pending version \(row.token) has no value.")
            }
            let now = self.now()
            var stages = try tx.stages(secretId: secret.id)
            if let holder = stages.version(for: StagingLabel.current), holder != row.token {
                try stages.updateStage(StagingLabel.current, moveTo: row.token, removeFrom: holder)
            } else if stages.version(for: StagingLabel.current) == nil {
                try stages.updateStage(StagingLabel.current, moveTo: row.token, removeFrom: nil)
            }
            stages.removeLabel(StagingLabel.pending)
            try tx.replaceStages(secretId: secret.id, with: stages)
            try self.pruneVersions(of: secret, stages: stages, in: tx)
            secret.rotation.lastRotatedDate = now
            secret.lastChangedDate = now
            secret.rotation.nextRotationDate =
                secret.rotation.enabled == true ? self.nextRotationDate(secret.rotation.rules, after: now) : nil
            try tx.updateSecret(secret)
            row.step = .finishSecret
            row.stepStarted = false
            row.finish(as: .succeeded, at: now)
            row.consecutiveFailures = 0
            try tx.saveRotation(row)
            try self.recordChange(.rotationSucceeded, of: secret, versionId: row.token, stages: .some(stages), by: nil, in: tx)
            if FaultInjection.reach(.finishSecretLabels) { throw InjectedStoreFailure(.finishSecretLabels) }
            return self.event("RotationSucceeded", secret: secret, versionId: row.token)
        }
        self.changes.publish()
        self.rotation.events.record(event)
    }

    /// Completes a test-only rotation: the temporary AWSPENDING version is removed.
    public func completeTestRotation(_ claimed: ClaimedRotation, owner: String) async throws {
        let event = try await self.store.write { tx -> LifecycleEvent in
            var row = try self.held(claimed, owner: owner, in: tx)
            guard let secret = try tx.secret(id: row.secretId) else { throw SecretsManagerError.secretNotFound }
            let now = self.now()
            var stages = try tx.stages(secretId: secret.id)
            if stages.version(for: StagingLabel.pending) == row.token { stages.removeLabel(StagingLabel.pending) }
            try tx.replaceStages(secretId: secret.id, with: stages)
            if !stages.isLabelled(row.token) { try tx.deleteVersions(secretId: secret.id, versionIds: [row.token]) }
            row.stepStarted = false
            row.finish(as: .succeeded, at: now)
            try tx.saveRotation(row)
            return self.event("TestRotationSucceeded", secret: secret, versionId: row.token)
        }
        self.rotation.events.record(event)
    }

    /// The state of every rotation in `context`'s scope (or of one secret), for `lockstep rotation status`.
    public func rotationStatus(secretId: String?, context: RequestContext) async throws -> [RotationStatusEntry] {
        try await self.store.read { tx in
            let secrets: [SecretRecord]
            if let secretId {
                secrets = [try self.resolve(secretId, in: tx, context: context)]
            } else {
                let rotated = Set(try tx.rotations().map(\.secretId))
                secrets = try tx.scanSecrets(
                    scope: context.scope,
                    sortBy: .name,
                    ascending: true,
                    after: nil,
                    includePlannedDeletion: true,
                    limit: Int.max
                ).filter { $0.rotation.lambdaARN != nil || rotated.contains($0.id) }
            }
            return try secrets.map { secret in
                let row = try tx.rotation(secretId: secret.id)
                return RotationStatusEntry(
                    ARN: secret.arn,
                    Name: secret.name,
                    RotationEnabled: secret.rotation.enabled,
                    RotationLambdaARN: secret.rotation.lambdaARN,
                    NextRotationDate: secret.rotation.nextRotationDate,
                    LastRotatedDate: secret.rotation.lastRotatedDate,
                    VersionId: row?.token,
                    Status: row?.status.rawValue,
                    Step: row?.step.rawValue,
                    Attempts: row?.attempt,
                    LastError: row?.lastFailure?.message,
                    LastErrorStep: row?.lastFailure?.step.rawValue,
                    LastErrorClass: row?.lastFailure?.errorClass.rawValue,
                    NextAttemptDate: row?.status == .waiting ? row?.dueDate : nil,
                    LeaseOwner: row?.leaseOwner,
                    ConsecutiveFailures: row?.consecutiveFailures
                )
            }
        }
    }

    /// When the engine should next look: the earliest scheduled rotation, retry or lease expiry.
    public func earliestRotationDue() async throws -> Date? {
        try await self.store.read { try $0.earliestRotationDue() }
    }
}
