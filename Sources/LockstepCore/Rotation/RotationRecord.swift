public import Foundation

/// A secret's newest rotation as it is persisted (the `rotations` table, DESIGN.md §6), and its state machine.
///
/// The record changes only through its transitions (``RotationRecord/apply(_:at:)``, and ``begin(secretId:token:mode:rotator:after:at:)``
/// or ``adopt(secretId:pendingVersion:rotator:after:at:)`` for a new one): the service loads it, applies one
/// event, saves it, and does what the returned ``Effect`` asks in the same transaction.
///
/// A step is recorded as started before it runs (`stepStarted`) and as ended after, so after a crash the next
/// runner knows whether the step may already have had effects (run it again: steps are idempotent) or never
/// started (skip probes that can only fail).
public struct RotationRecord: Sendable, Hashable {
    public enum Mode: String, Sendable, Hashable {
        /// createSecret → setSecret → testSecret → finishSecret.
        case full
        /// `RotateImmediately=false`: testSecret only, against a temporary AWSPENDING copy of the current value.
        case testOnly
    }

    public enum Status: String, Sendable, Hashable {
        /// A step is due or being run.
        case running
        /// A step failed and will run again at `dueDate`.
        case waiting
        case succeeded
        /// Retries ran out or the failure can't be retried; AWSPENDING stays, as on AWS.
        case failed
        /// A manual value change took over; AWSPENDING was removed.
        case abandoned
        /// CancelRotateSecret; labels were left as they were.
        case cancelled

        public var isActive: Bool { self == .running || self == .waiting }
    }

    public var secretId: Int64
    /// The ClientRequestToken: the version id of the AWSPENDING version.
    public var token: String
    public var mode: Mode
    /// The rotator as configured (a name or a Lambda ARN).
    public var rotator: String
    public var status: Status
    /// The step being run or to run next; the last one run once finished.
    public var step: RotationStep
    /// Attempts of `step` so far, the one in flight included.
    public var attempt: Int
    /// Whether the current attempt has begun (it may have had effects).
    public var stepStarted: Bool
    /// The most recent failure (kept after a later success of another step, for status).
    public var lastFailure: RotationFailure?
    /// When a runner may take the row: now or a retry time; the lease expiry while a runner holds it; nil when
    /// finished.
    public var dueDate: Date?
    /// The runner holding the lease, if any.
    public var leaseOwner: String?
    public var startedDate: Date
    public var updatedDate: Date
    public var finishedDate: Date?
    /// Rotations of the secret that failed for good since its last success (carried from one rotation to the next).
    public var consecutiveFailures: Int

    public init(
        secretId: Int64,
        token: String,
        mode: Mode,
        rotator: String,
        status: Status = .running,
        step: RotationStep,
        attempt: Int = 0,
        stepStarted: Bool = false,
        lastFailure: RotationFailure? = nil,
        dueDate: Date?,
        leaseOwner: String? = nil,
        startedDate: Date,
        updatedDate: Date,
        finishedDate: Date? = nil,
        consecutiveFailures: Int = 0
    ) {
        self.secretId = secretId
        self.token = token
        self.mode = mode
        self.rotator = rotator
        self.status = status
        self.step = step
        self.attempt = attempt
        self.stepStarted = stepStarted
        self.lastFailure = lastFailure
        self.dueDate = dueDate
        self.leaseOwner = leaseOwner
        self.startedDate = startedDate
        self.updatedDate = updatedDate
        self.finishedDate = finishedDate
        self.consecutiveFailures = consecutiveFailures
    }
}
