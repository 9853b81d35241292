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
    /// The API call that made the change, when a caller made it (nil: the service itself, e.g. the rotation engine or
    /// the end of a recovery window; rows written before SQLite migration 11 / PostgreSQL step 6 have none either).
    public var call: ChangeCall?

    public init(
        sequence: Int64 = 0,
        time: Date,
        scope: Scope,
        secretARN: String,
        secretName: String,
        kind: SecretChangeKind,
        versionId: String? = nil,
        stages: StageMap? = nil,
        call: ChangeCall? = nil
    ) {
        self.sequence = sequence
        self.time = time
        self.scope = scope
        self.secretARN = secretARN
        self.secretName = secretName
        self.kind = kind
        self.versionId = versionId
        self.stages = stages
        self.call = call
    }
}

/// Who made a change through the API, and with which operation: what a CloudTrail record's `eventName`,
/// `userIdentity`, `sourceIPAddress`, `userAgent` and `requestID` say. Stored beside the change (column `event_name`
/// and the JSON column `caller`); never a request body, so never a value.
public struct ChangeCall: Sendable, Hashable, Codable {
    /// The API operation (`PutSecretValue`, `RotateSecret`, ...).
    public var operation: String
    /// `userIdentity.type`: `IAMUser`, `AssumedRole`, `Root`.
    public var identityType: String
    public var principalARN: String?
    public var accountId: String
    public var accessKeyId: String?
    public var userName: String?
    /// For role sessions, the role's ARN.
    public var roleARN: String?
    public var sourceIPAddress: String
    public var userAgent: String
    public var requestID: String

    public init(
        operation: String,
        identityType: String,
        principalARN: String?,
        accountId: String,
        accessKeyId: String? = nil,
        userName: String? = nil,
        roleARN: String? = nil,
        sourceIPAddress: String,
        userAgent: String,
        requestID: String
    ) {
        self.operation = operation
        self.identityType = identityType
        self.principalARN = principalARN
        self.accountId = accountId
        self.accessKeyId = accessKeyId
        self.userName = userName
        self.roleARN = roleARN
        self.sourceIPAddress = sourceIPAddress
        self.userAgent = userAgent
        self.requestID = requestID
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

/// A stored row that can't be read back (written by something other than Lockstep, or damaged): reading fails loudly
/// rather than skipping it.
public struct StoreCorruption: Error, Sendable, CustomStringConvertible {
    public var description: String

    public init(description: String) { self.description = description }
}
