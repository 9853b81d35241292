public import LockstepCore

/// Bounded exponential backoff with jitter for failed steps (AWS retries the same token but documents no cadence).
///
/// Attempt n (n ≥ 1) waits `min(maximumDelay, baseDelay × 2^(n-1))`, scaled by a jitter factor in [0.5, 1.0), so
/// many secrets failing together don't retry in lockstep. After `maximumAttempts` attempts of a step the rotation
/// fails for good; the scheduler tries again at the next window, and a later RotateSecret re-drives it.
public struct RotationRetryPolicy: Sendable, Hashable {
    public var baseDelay: Double
    public var maximumDelay: Double
    public var maximumAttempts: Int

    public init(baseDelay: Double = 30, maximumDelay: Double = 3_600, maximumAttempts: Int = 6) {
        self.baseDelay = baseDelay
        self.maximumDelay = maximumDelay
        self.maximumAttempts = maximumAttempts
    }

    /// Seconds to wait after failed attempt `attempt`; `jitter` is a uniform random number in [0, 1).
    public func delay(afterAttempt attempt: Int, jitter: Double) -> Double {
        let exponent = Double(max(0, attempt - 1))
        let raw = min(self.maximumDelay, self.baseDelay * pow2(exponent))
        return raw * (0.5 + 0.5 * min(max(jitter, 0), 1))
    }

    private func pow2(_ exponent: Double) -> Double {
        var result = 1.0
        for _ in 0..<Int(min(exponent, 62)) { result *= 2 }
        return result
    }
}

/// One rotation as a pure state machine: events in, actions out, no I/O (STYLE.md rule 4).
///
/// The runner persists the state before and after each action, performs the action (invoke a step, schedule a
/// retry, move the labels) and feeds the outcome back as an event. Events that make no sense in the current state
/// are answered with ``Action/ignore`` and change nothing, so a duplicated or late event (after a crash and a
/// restart) is harmless.
public struct RotationStateMachine: Sendable, Hashable {
    public enum Mode: String, Sendable, Hashable, Codable {
        /// createSecret → setSecret → testSecret → finishSecret.
        case full
        /// `RotateImmediately=false`: only testSecret, against a temporary AWSPENDING version that is removed after.
        case testOnly
    }

    public enum State: Sendable, Hashable {
        /// A step is being run; `attempt` counts from 1.
        case running(RotationStep, attempt: Int)
        /// A step failed and will be run again after a delay.
        case waitingToRetry(RotationStep, attempt: Int, failure: RotationFailure)
        case succeeded
        /// Retries ran out, or the failure can't be retried. AWSPENDING stays where it is, as on AWS.
        case failed(RotationFailure, attempts: Int)
        /// A manual value change took over: AWSPENDING is removed.
        case abandoned
        /// CancelRotateSecret: rotation stops; labels are left as they are (AWS's behaviour).
        case cancelled

        public var isFinished: Bool {
            switch self {
            case .running, .waitingToRetry: false
            case .succeeded, .failed, .abandoned, .cancelled: true
            }
        }
    }

    public enum Action: Sendable, Hashable {
        /// Invoke this step with the rotation's token.
        case run(RotationStep)
        /// Run this step again after `seconds`.
        case retry(RotationStep, after: Double)
        /// All steps succeeded: move AWSCURRENT to the token's version (AWSPREVIOUS follows), remove AWSPENDING,
        /// set LastRotatedDate and schedule the next rotation, in one transaction.
        case complete
        /// The test-only rotation passed: remove the temporary AWSPENDING version.
        case removeTestVersion
        /// Record the failure (RotationFailed) and stop.
        case fail(RotationFailure)
        /// Remove AWSPENDING from the token's version (RotationAbandoned).
        case abandon
        /// Stop without touching labels.
        case stop
        /// The event doesn't apply in this state.
        case ignore
    }

    public let token: String
    public let mode: Mode
    public let policy: RotationRetryPolicy
    public private(set) var state: State

    /// A rotation of `token` about to start (its first action comes from ``start()``).
    public init(token: String, mode: Mode = .full, policy: RotationRetryPolicy = RotationRetryPolicy()) {
        self.token = token
        self.mode = mode
        self.policy = policy
        self.state = .running(mode == .full ? .createSecret : .testSecret, attempt: 1)
    }

    /// Restores a rotation from its persisted state (after a restart).
    public init(token: String, mode: Mode, policy: RotationRetryPolicy = RotationRetryPolicy(), state: State) {
        self.token = token
        self.mode = mode
        self.policy = policy
        self.state = state
    }

    /// The first action, or the action to resume with after a restart.
    public func start() -> Action {
        switch self.state {
        case .running(let step, _): .run(step)
        case .waitingToRetry(let step, _, _): .run(step)
        case .succeeded, .failed, .abandoned, .cancelled: .ignore
        }
    }

    /// `step` finished without error.
    public mutating func stepSucceeded(_ step: RotationStep) -> Action {
        guard case .running(let current, _) = self.state, current == step else { return .ignore }
        if self.mode == .testOnly {
            self.state = .succeeded
            return .removeTestVersion
        }
        guard let next = step.next else {
            self.state = .succeeded
            return .complete
        }
        self.state = .running(next, attempt: 1)
        return .run(next)
    }

    /// `failure.step` failed; `jitter` is a uniform random number in [0, 1) for the backoff.
    public mutating func stepFailed(_ failure: RotationFailure, jitter: Double) -> Action {
        guard case .running(let current, let attempt) = self.state, current == failure.step else { return .ignore }
        guard failure.errorClass.isRetryable, attempt < self.policy.maximumAttempts else {
            self.state = .failed(failure, attempts: attempt)
            return .fail(failure)
        }
        self.state = .waitingToRetry(current, attempt: attempt, failure: failure)
        return .retry(current, after: self.policy.delay(afterAttempt: attempt, jitter: jitter))
    }

    /// The retry delay has passed: run the failed step again (steps are idempotent, and the steps before it have
    /// already succeeded and been recorded).
    public mutating func retryDue() -> Action {
        guard case .waitingToRetry(let step, let attempt, _) = self.state else { return .ignore }
        self.state = .running(step, attempt: attempt + 1)
        return .run(step)
    }

    /// A PutSecretValue or UpdateSecret with a value arrived while this rotation was unfinished.
    public mutating func valueChangedManually() -> Action {
        guard !self.state.isFinished else { return .ignore }
        self.state = .abandoned
        return .abandon
    }

    /// CancelRotateSecret.
    public mutating func cancel() -> Action {
        guard !self.state.isFinished else { return .ignore }
        self.state = .cancelled
        return .stop
    }
}
