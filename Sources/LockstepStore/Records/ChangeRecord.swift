public import Foundation
public import LockstepCore

/// What happened to a secret, as the change feed tells its consumers (never a value).
public enum SecretChangeKind: String, Sendable, Hashable, CaseIterable, Codable {
    case created = "SecretCreated"
    /// A new version with a value (PutSecretValue, UpdateSecret with a value, a rotation's createSecret).
    case valuePut = "ValuePut"
    /// Labels moved between existing versions (UpdateSecretVersionStage).
    case labelsMoved = "LabelsMoved"
    /// Description, KMS key or tags changed.
    case updated = "SecretUpdated"
    case rotationStarted = "RotationStarted"
    case rotationSucceeded = "RotationSucceeded"
    case rotationFailed = "RotationFailed"
    /// A manual value change took AWSCURRENT from an unfinished rotation.
    case rotationAbandoned = "RotationAbandoned"
    case rotationCancelled = "RotationCancelled"
    /// DeleteSecret with a recovery window.
    case deletionScheduled = "DeletionScheduled"
    /// The secret is gone: a forced DeleteSecret, the end of its recovery window, or a replica removed.
    case deleted = "SecretDeleted"
    case restored = "SecretRestored"
    /// A replica was created or its versions and labels were copied from the primary.
    case replicated = "SecretReplicated"
}

/// One entry of the change feed's outbox, written in the transaction that made the change. `sequence` orders every
/// change in the store (0 until stored); `stages` is the secret's labels after the change (nil once it is gone).
public struct ChangeRecord: Sendable, Hashable {
    public var sequence: Int64
    public var time: Date
    public var scope: Scope
    public var secretARN: String
    public var secretName: String
    public var kind: SecretChangeKind
    public var versionId: String?
    public var stages: StageMap?

    public init(
        sequence: Int64 = 0,
        time: Date,
        scope: Scope,
        secretARN: String,
        secretName: String,
        kind: SecretChangeKind,
        versionId: String? = nil,
        stages: StageMap? = nil
    ) {
        self.sequence = sequence
        self.time = time
        self.scope = scope
        self.secretARN = secretARN
        self.secretName = secretName
        self.kind = kind
        self.versionId = versionId
        self.stages = stages
    }
}

/// Where the feed stands: everything up to `prunedThrough` has been removed by retention; `newest` is the last
/// sequence written (0 before the first change).
public struct ChangeFeedBounds: Sendable, Hashable {
    public var prunedThrough: Int64
    public var newest: Int64

    public init(prunedThrough: Int64, newest: Int64) {
        self.prunedThrough = prunedThrough
        self.newest = newest
    }

    /// Whether a consumer that has seen everything up to `sequence` can continue from there: nothing it hasn't seen
    /// was pruned, and the sequence belongs to this store (a store copied or restored from a backup starts again).
    public func canResume(after sequence: Int64) -> Bool {
        sequence >= self.prunedThrough && sequence <= self.newest
    }
}
