public import Foundation

/// The rotation state machine: every change to a ``RotationRecord`` is one of these transitions, pure (no I/O,
/// STYLE.md rule 4) and tested as a table (`RotationRecordTransitionTests`).
///
///     begin / adopt ──▶ running ──stepFailed (retryable, attempts left)──▶ waiting ──claim, stepStarting──▶ running
///                          │  └─stepSucceeded(finishSecret) / (testSecret, test-only)──▶ succeeded
///                          └─stepFailed (not retryable, or out of attempts)──▶ failed
///     running | waiting ──cancel──▶ cancelled      running | waiting ──abandon──▶ abandoned
///     failed | cancelled | abandoned | succeeded ──redrive──▶ running (the same step again)
///
/// Events a runner sends name its lease owner: the record refuses them unless that runner holds the lease, so two
/// runners (two processes on one store) never both act on a rotation. An event that doesn't apply in the current
/// state is refused and changes nothing, so a duplicated or late event (after a crash and a restart) is harmless.
extension RotationRecord {
    public enum Event: Sendable, Hashable {
        /// A runner takes the lease: a scheduler pass, or `lockstep rotate`. Refused while another runner's lease
        /// is live.
        case claim(owner: String, lease: TimeInterval)
        /// The lease goes back, the rotation due now for any runner: its holder stops between steps (shutdown), or
        /// its holder is known to have died.
        case release(owner: String)
        /// The holder is about to run the current step (before any effect); renews the lease.
        case stepStarting(RotationStep, owner: String, lease: TimeInterval)
        /// The current step succeeded. With `startingNextWithLease`, the next step is recorded as starting in the
        /// same transition (one durable write per step instead of two).
        case stepSucceeded(RotationStep, owner: String, startingNextWithLease: TimeInterval?)
        /// The current step failed: it waits to be retried after the policy's delay (`jitter` in [0, 1)), or the
        /// rotation fails for good.
        case stepFailed(RotationFailure, owner: String, policy: RotationRetryPolicy, jitter: Double)
        /// CancelRotateSecret, or the secret was scheduled for deletion: rotation stops, labels stay as they are.
        case cancel
        /// A manual value change took AWSCURRENT while the rotation was unfinished.
        case abandon
        /// RotateSecret met this rotation's AWSPENDING version unfinished: it runs again from the step it was in,
        /// with `rotator` (AWS: "That rotation will be reattempted").
        case redrive(rotator: String)
    }

    /// What the service does, in the same transaction, beyond saving the record.
    public enum Effect: Sendable, Hashable {
        /// Nothing: the record is all that changes.
        case recordOnly
        /// The full rotation succeeded: move AWSCURRENT to the token's version (AWSPREVIOUS follows), remove
        /// AWSPENDING, set LastRotatedDate and schedule the next rotation.
        case complete
        /// The test-only rotation passed: remove its temporary AWSPENDING version.
        case removeTestVersion
        /// The step runs again in `after` seconds (at ``RotationRecord/dueDate``), by whichever runner takes it.
        case retry(after: Double)
        /// The rotation failed for good: RotationFailed; AWSPENDING stays (as on AWS) and the next scheduled
        /// window re-drives it.
        case fail
        /// Remove AWSPENDING from the token's version: RotationAbandoned.
        case abandon
        /// CancelRotateSecret's change: RotationCancelled.
        case cancel
    }

    /// Why an event was refused. The record is unchanged.
    public enum Refusal: Error, Sendable, Hashable {
        /// The rotation has finished (`status`); only ``Event/redrive(rotator:)`` applies.
        case finished(Status)
        /// The event needs an unfinished rotation's lease, and `holder` (nil: nobody) holds it.
        case leaseNotHeld(holder: String?)
        /// The event names another step than the current one.
        case otherStep(current: RotationStep)
        /// The step failed and waits to be retried: a new attempt must start before it can end.
        case waitingToRetry
        /// Redrive of a rotation that is still unfinished: it is queued already.
        case unfinished
    }

    /// A new rotation of `token`, due now. `previous` is the secret's last rotation, which it replaces: only its
    /// count of consecutive failures carries over.
    public static func begin(
        secretId: Int64,
        token: String,
        mode: Mode,
        rotator: String,
        after previous: RotationRecord?,
        at now: Date
    ) -> RotationRecord {
        RotationRecord(
            secretId: secretId,
            token: token,
            mode: mode,
            rotator: rotator,
            step: mode == .full ? .createSecret : .testSecret,
            dueDate: now,
            startedDate: now,
            updatedDate: now,
            consecutiveFailures: previous?.consecutiveFailures ?? 0
        )
    }

    /// A rotation of an AWSPENDING version no record knows (set by hand or by another tool), driven from
    /// createSecret. Every step is idempotent; `stepStarted` says the steps may already have had effects.
    public static func adopt(
        secretId: Int64,
        pendingVersion: String,
        rotator: String,
        after previous: RotationRecord?,
        at now: Date
    ) -> RotationRecord {
        var record = Self.begin(secretId: secretId, token: pendingVersion, mode: .full, rotator: rotator, after: previous, at: now)
        record.stepStarted = true
        return record
    }

    /// The step after `step` in this rotation, or nil when `step`'s success completes it.
    public func step(after step: RotationStep) -> RotationStep? {
        self.mode == .full ? step.next : nil
    }

    /// Whether `step` may already have run under this token, before the attempt about to start (a retry, or a
    /// crash mid-step): rotators skip checks that can only fail on a first run.
    public func mayHaveRun(_ step: RotationStep) -> Bool {
        self.step == step && (self.stepStarted || self.attempt > 0)
    }

    /// Applies `event` at `now`, or refuses it and changes nothing.
    @discardableResult
    public mutating func apply(_ event: Event, at now: Date) throws(Refusal) -> Effect {
        if case .redrive = event {} else if !self.status.isActive { throw .finished(self.status) }
        switch event {
        case .redrive(let rotator):
            guard !self.status.isActive else { throw .unfinished }
            self.status = .running
            self.attempt = 0
            self.rotator = rotator
            self.dueDate = now
            self.leaseOwner = nil
            self.updatedDate = now
            self.finishedDate = nil
            return .recordOnly

        case .claim(let owner, let lease):
            if let holder = self.leaseOwner, holder != owner, let expiry = self.dueDate, expiry > now {
                throw .leaseNotHeld(holder: holder)
            }
            self.leaseOwner = owner
            self.dueDate = now.addingTimeInterval(lease)
            self.updatedDate = now
            return .recordOnly

        case .release(let owner):
            try self.checkHeld(by: owner)
            self.leaseOwner = nil
            self.dueDate = now
            self.updatedDate = now
            return .recordOnly

        case .stepStarting(let step, let owner, let lease):
            try self.checkHeld(by: owner, step: step)
            self.status = .running
            self.attempt += 1
            self.stepStarted = true
            self.dueDate = now.addingTimeInterval(lease)
            self.updatedDate = now
            return .recordOnly

        case .stepSucceeded(let step, let owner, let lease):
            try self.checkHeld(by: owner, step: step, running: true)
            self.updatedDate = now
            guard let next = self.step(after: step) else {
                self.stepStarted = false
                self.finish(as: .succeeded, at: now)
                guard self.mode == .full else { return .removeTestVersion }
                self.consecutiveFailures = 0
                return .complete
            }
            self.step = next
            self.attempt = 0
            self.stepStarted = false
            if let lease {
                self.attempt = 1
                self.stepStarted = true
                self.dueDate = now.addingTimeInterval(lease)
            }
            return .recordOnly

        case .stepFailed(let failure, let owner, let policy, let jitter):
            try self.checkHeld(by: owner, step: failure.step, running: true)
            self.lastFailure = failure
            self.leaseOwner = nil
            self.updatedDate = now
            guard failure.errorClass.isRetryable, self.attempt < policy.maximumAttempts else {
                self.finish(as: .failed, at: now)
                self.consecutiveFailures += 1
                return .fail
            }
            let delay = policy.delay(afterAttempt: self.attempt, jitter: jitter)
            self.status = .waiting
            self.dueDate = now.addingTimeInterval(delay)
            return .retry(after: delay)

        case .cancel:
            self.finish(as: .cancelled, at: now)
            return .cancel

        case .abandon:
            self.finish(as: .abandoned, at: now)
            return .abandon
        }
    }

    /// `owner` holds the lease (and, with `step`, the rotation is at that step; with `running`, an attempt of it
    /// is under way rather than waiting to be retried).
    private func checkHeld(by owner: String, step: RotationStep? = nil, running: Bool = false) throws(Refusal) {
        guard self.leaseOwner == owner else { throw .leaseNotHeld(holder: self.leaseOwner) }
        if let step, step != self.step { throw .otherStep(current: self.step) }
        if running, self.status != .running { throw .waitingToRetry }
    }

    /// Ends the rotation with `status`: no runner may take it any more.
    private mutating func finish(as status: Status, at date: Date) {
        self.status = status
        self.dueDate = nil
        self.leaseOwner = nil
        self.updatedDate = date
        self.finishedDate = date
    }
}
