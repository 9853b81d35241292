public import Foundation
public import LockstepCore
import LockstepStore

/// A rotation a runner holds the lease on, with what its rotator needs.
public struct ClaimedRotation: Sendable, Hashable {
    /// The record as saved by the runner's last transition.
    public var record: RotationRecord
    public var secretARN: String
    public var secretName: String
    /// The account and region the rotation acts in (the secret's).
    public var context: RequestContext
    /// Whether the current step may already have run under this token before this attempt (a retry, or a crash
    /// mid-step): a rotator uses it to skip checks that can only fail on a first run (single-user setSecret's
    /// pending login probe).
    public var stepMayHaveRun: Bool
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

/// The rotation engine's persistence: each function is one store transaction that loads the rotation, applies one
/// transition of its state machine (``RotationRecord/apply(_:at:)``), saves it and does the transition's effect. A
/// runner's transitions are refused unless it still holds the lease, so two runners (two processes on one store)
/// never both act on a rotation.
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
            let secret = try self.resolve(secretId, in: tx, context: context)
            guard let row = try tx.rotation(secretId: secret.id) else { return nil }
            return try self.claim(row, owner: owner, lease: lease, now: self.now(), in: tx)
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
            try row.apply(.cancel, at: now)
            try tx.saveRotation(row)
            return nil
        }
        do {
            try row.apply(.claim(owner: owner, lease: lease), at: now)
        } catch {
            return nil
        }
        try tx.saveRotation(row)
        return ClaimedRotation(
            record: row,
            secretARN: secret.arn,
            secretName: secret.name,
            // The engine acts as the service itself: audited, not subject to policies (see RequestContext.system).
            context: RequestContext.system(account: secret.scope.account, region: secret.scope.region),
            stepMayHaveRun: row.mayHaveRun(row.step)
        )
    }

    /// One transition by `claimed`'s runner: re-reads the row inside `tx`, checks it is still the claimed rotation of a
    /// secret not scheduled for deletion, applies `event` and saves. A refusal means the runner lost its claim.
    private func transition(
        _ claimed: ClaimedRotation,
        _ event: RotationRecord.Event,
        in tx: any SecretStoreTransaction
    ) throws -> (before: RotationRecord, after: RotationRecord, effect: RotationRecord.Effect) {
        guard let row = try tx.rotation(secretId: claimed.record.secretId), row.token == claimed.record.token,
            try tx.secret(id: row.secretId)?.deletedDate == nil
        else { throw RotationLeaseLost() }
        var updated = row
        let effect: RotationRecord.Effect
        do {
            effect = try updated.apply(event, at: self.now())
        } catch {
            throw RotationLeaseLost()
        }
        try tx.saveRotation(updated)
        return (row, updated, effect)
    }

    /// Records that `step` is about to run (before any effect), renewing the lease. Returns the updated claim.
    public func recordStepStart(_ step: RotationStep, of claimed: ClaimedRotation, owner: String, lease: TimeInterval) async throws
        -> ClaimedRotation
    {
        try await self.store.write { tx in
            let (before, after, _) = try self.transition(claimed, .stepStarting(step, owner: owner, lease: lease), in: tx)
            var updated = claimed
            updated.record = after
            updated.stepMayHaveRun = before.mayHaveRun(step)
            return updated
        }
    }

    /// Gives the rotation back (shutdown between steps): due now, for the next runner.
    public func releaseRotation(_ claimed: ClaimedRotation, owner: String) async throws {
        try await self.store.write { tx in
            _ = try self.transition(claimed, .release(owner: owner), in: tx)
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
                try row.apply(.release(owner: owner), at: now)
                try tx.saveRotation(row)
                freed += 1
            }
            return freed
        }
    }

    /// Records that `step` succeeded, and does what that success means:
    /// - a step with another after it: that step is next (its attempts start from zero); with `lease`, it is also
    ///   recorded as starting, renewing the lease, in the same commit (one durable write per step instead of two);
    /// - the last step of a full rotation: AWSCURRENT moves to the token's version (AWSPREVIOUS follows), AWSPENDING
    ///   is removed, LastRotatedDate is set and the next rotation scheduled;
    /// - a test-only rotation's testSecret: its temporary AWSPENDING version is removed.
    ///
    /// Returns the claim as the runner should see it before the next step runs, and the transition's effect
    /// (``RotationRecord/Effect/complete`` or ``RotationRecord/Effect/removeTestVersion`` when the rotation ended).
    @discardableResult
    public func recordStepSuccess(
        _ step: RotationStep,
        of claimed: ClaimedRotation,
        owner: String,
        startingNextWithLease lease: TimeInterval? = nil
    ) async throws -> (claim: ClaimedRotation, effect: RotationRecord.Effect) {
        let (updated, effect, event) = try await self.store.write { tx in
            let (_, row, effect) = try self.transition(
                claimed,
                .stepSucceeded(step, owner: owner, startingNextWithLease: lease),
                in: tx
            )
            var updated = claimed
            updated.record = row
            updated.stepMayHaveRun = false
            let event: LifecycleEvent?
            switch effect {
            case .complete: event = try self.moveLabelsOfCompletedRotation(row, in: tx)
            case .removeTestVersion: event = try self.removeTestVersion(of: row, in: tx)
            case .recordOnly, .retry, .fail, .abandon, .cancel: event = nil
            }
            return (updated, effect, event)
        }
        if effect == .complete { self.changes.publish() }
        if let event { self.rotation.events.record(event) }
        return (updated, effect)
    }

    /// A full rotation's end: AWSCURRENT moves to the token's version (AWSPREVIOUS follows), AWSPENDING is removed,
    /// LastRotatedDate is set and the next rotation scheduled.
    private func moveLabelsOfCompletedRotation(_ row: RotationRecord, in tx: any SecretStoreTransaction) throws -> LifecycleEvent {
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
        try self.recordChange(.rotationSucceeded, of: secret, versionId: row.token, stages: .some(stages), by: nil, in: tx)
        if FaultInjection.reach(.finishSecretLabels) { throw InjectedStoreFailure(.finishSecretLabels) }
        return self.event("RotationSucceeded", secret: secret, versionId: row.token)
    }

    /// A test-only rotation's end: its temporary AWSPENDING version is removed.
    private func removeTestVersion(of row: RotationRecord, in tx: any SecretStoreTransaction) throws -> LifecycleEvent {
        guard let secret = try tx.secret(id: row.secretId) else { throw SecretsManagerError.secretNotFound }
        var stages = try tx.stages(secretId: secret.id)
        if stages.version(for: StagingLabel.pending) == row.token { stages.removeLabel(StagingLabel.pending) }
        try tx.replaceStages(secretId: secret.id, with: stages)
        if !stages.isLabelled(row.token) { try tx.deleteVersions(secretId: secret.id, versionIds: [row.token]) }
        return self.event("TestRotationSucceeded", secret: secret, versionId: row.token)
    }

    /// Records a failed attempt. The rotation waits to be retried after the policy's delay (the lease is released
    /// and any runner may take it then: ``RotationRecord/Effect/retry(after:)``, the date in the returned record's
    /// `dueDate`), or fails for good (``RotationRecord/Effect/fail``): RotationFailed, AWSPENDING left in place (as
    /// on AWS), and the next scheduled window re-drives it.
    @discardableResult
    public func recordStepFailure(
        _ failure: RotationFailure,
        policy: RotationRetryPolicy,
        jitter: Double,
        of claimed: ClaimedRotation,
        owner: String
    ) async throws -> (record: RotationRecord, effect: RotationRecord.Effect) {
        let (row, effect, event) = try await self.store.write { tx -> (RotationRecord, RotationRecord.Effect, LifecycleEvent?) in
            let (_, row, effect) = try self.transition(
                claimed,
                .stepFailed(failure, owner: owner, policy: policy, jitter: jitter),
                in: tx
            )
            guard effect == .fail, var secret = try tx.secret(id: row.secretId) else { return (row, effect, nil) }
            if secret.rotation.enabled == true {
                secret.rotation.nextRotationDate = self.nextRotationDate(secret.rotation.rules, after: self.now())
                try tx.updateSecret(secret)
            }
            if row.mode == .full { try self.recordChange(.rotationFailed, of: secret, versionId: row.token, by: nil, in: tx) }
            let name = row.mode == .full ? "RotationFailed" : "TestRotationFailed"
            return (row, effect, self.event(name, secret: secret, versionId: row.token, failure: failure))
        }
        if let event {
            self.changes.publish()
            self.rotation.events.record(event)
        }
        return (row, effect)
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
