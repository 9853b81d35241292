public import Foundation
public import LockstepCore

/// Where a secret lives: its account and region. Names are unique within a scope.
public struct Scope: Sendable, Hashable {
    public var account: String
    public var region: String

    public init(account: String, region: String) {
        self.account = account
        self.region = region
    }
}

/// A secret's metadata row.
public struct SecretRecord: Sendable, Hashable {
    /// Row id; 0 until inserted.
    public var id: Int64
    public var scope: Scope
    public var name: String
    public var arn: String
    public var description: String?
    /// The resolved master key id that wraps new versions' data keys.
    public var kmsKeyId: String
    /// The `KmsKeyId` as the caller gave it (nil for the default key), shown by DescribeSecret.
    public var kmsKeyReference: String?
    public var type: String?
    public var owningService: String?
    public var createdDate: Date
    public var lastChangedDate: Date
    /// Day resolution.
    public var lastAccessedDate: Date?
    /// When DeleteSecret was called; nil unless deletion is scheduled.
    public var deletedDate: Date?
    /// When the secret is purged for good.
    public var deletionDate: Date?
    public var rotation: RotationSettings
    /// For a replica: the primary secret's row id.
    public var primaryId: Int64?
    /// For a replica: the KmsKeyId asked for in its region.
    public var replicaKmsKeyReference: String?
    /// Whether the secret has ever had a tag: AWS then shows `"Tags": []` once the last one is removed.
    public var hasHadTags: Bool

    public init(
        id: Int64 = 0,
        scope: Scope,
        name: String,
        arn: String,
        description: String? = nil,
        kmsKeyId: String,
        kmsKeyReference: String? = nil,
        type: String? = nil,
        owningService: String? = nil,
        createdDate: Date,
        lastChangedDate: Date,
        lastAccessedDate: Date? = nil,
        deletedDate: Date? = nil,
        deletionDate: Date? = nil,
        rotation: RotationSettings = .init(),
        primaryId: Int64? = nil,
        replicaKmsKeyReference: String? = nil,
        hasHadTags: Bool = false
    ) {
        self.id = id
        self.scope = scope
        self.name = name
        self.arn = arn
        self.description = description
        self.kmsKeyId = kmsKeyId
        self.kmsKeyReference = kmsKeyReference
        self.type = type
        self.owningService = owningService
        self.createdDate = createdDate
        self.lastChangedDate = lastChangedDate
        self.lastAccessedDate = lastAccessedDate
        self.deletedDate = deletedDate
        self.deletionDate = deletionDate
        self.rotation = rotation
        self.primaryId = primaryId
        self.replicaKmsKeyReference = replicaKmsKeyReference
        self.hasHadTags = hasHadTags
    }

    public var isReplica: Bool { self.primaryId != nil }
}

/// The rotation fields of a secret (filled by the rotation engine; round-tripped by DescribeSecret).
public struct RotationSettings: Sendable, Hashable {
    public var enabled: Bool?
    public var lambdaARN: String?
    public var rules: RotationRulesType?
    public var lastRotatedDate: Date?
    public var nextRotationDate: Date?
    /// RotateSecret's `ExternalSecretRotationMetadata`, as given (managed external secrets).
    public var externalMetadata: [ExternalSecretRotationMetadataItem]?
    /// RotateSecret's `ExternalSecretRotationRoleArn`, as given.
    public var externalRoleARN: String?

    public init(
        enabled: Bool? = nil,
        lambdaARN: String? = nil,
        rules: RotationRulesType? = nil,
        lastRotatedDate: Date? = nil,
        nextRotationDate: Date? = nil,
        externalMetadata: [ExternalSecretRotationMetadataItem]? = nil,
        externalRoleARN: String? = nil
    ) {
        self.enabled = enabled
        self.lambdaARN = lambdaARN
        self.rules = rules
        self.lastRotatedDate = lastRotatedDate
        self.nextRotationDate = nextRotationDate
        self.externalMetadata = externalMetadata
        self.externalRoleARN = externalRoleARN
    }
}

/// One stored version: metadata and the sealed value (never plaintext).
public struct VersionRecord: Sendable, Hashable {
    public var secretId: Int64
    public var versionId: String
    /// Insertion order within the store: larger is newer.
    public var sequence: Int64
    public var createdDate: Date
    public var lastAccessedDate: Date?
    public var kmsKeyId: String
    public var wrappedDataKey: Data
    public var ciphertext: Data
    /// Whether the plaintext is a SecretString (else SecretBinary).
    public var isString: Bool

    /// False for the placeholder RotateSecret creates: a version with AWSPENDING and no value until the rotator's
    /// createSecret step fills it (AWS's behaviour: reading it gives ResourceNotFoundException).
    public var hasValue: Bool { !self.ciphertext.isEmpty }

    public init(
        secretId: Int64,
        versionId: String,
        sequence: Int64 = 0,
        createdDate: Date,
        lastAccessedDate: Date? = nil,
        kmsKeyId: String,
        wrappedDataKey: Data,
        ciphertext: Data,
        isString: Bool
    ) {
        self.secretId = secretId
        self.versionId = versionId
        self.sequence = sequence
        self.createdDate = createdDate
        self.lastAccessedDate = lastAccessedDate
        self.kmsKeyId = kmsKeyId
        self.wrappedDataKey = wrappedDataKey
        self.ciphertext = ciphertext
        self.isString = isString
    }
}

/// How ListSecrets orders its scan.
public enum SecretSortKey: String, Sendable, CaseIterable {
    case createdDate = "created-date"
    case lastAccessedDate = "last-accessed-date"
    case lastChangedDate = "last-changed-date"
    case name
}

/// A position in a sorted scan: the sort value and row id of the last secret returned.
public struct ScanCursor: Sendable, Hashable, Codable {
    public var sortValue: String
    public var id: Int64

    public init(sortValue: String, id: Int64) {
        self.sortValue = sortValue
        self.id = id
    }
}

/// A secret with one of its versions, as GetSecretValue needs them.
public struct LabelledVersion: Sendable, Hashable {
    public var secret: SecretRecord
    public var version: VersionRecord
    /// Every label on ``version``.
    public var labels: [String]
    /// The ARN of the secret that holds the data: the secret's own, or its primary's for a replica.
    public var ownerARN: String
    /// The secret's resource policy (read in the same query: authorization needs it on every read).
    public var resourcePolicy: String?

    public init(secret: SecretRecord, version: VersionRecord, labels: [String], ownerARN: String, resourcePolicy: String? = nil) {
        self.secret = secret
        self.version = version
        self.labels = labels
        self.ownerARN = ownerARN
        self.resourcePolicy = resourcePolicy
    }
}
