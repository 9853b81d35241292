public import Foundation

/// Whether an identity is a user (signs with long-term access keys) or a role (assumed for temporary credentials).
public enum IdentityKind: String, Sendable, Hashable, Codable {
    case user
    case role
}

/// A user or role of an account, as stored.
public struct IdentityRecord: Sendable, Hashable {
    public var account: String
    public var kind: IdentityKind
    public var name: String
    /// IAM's unique id (`AIDA…` for users, `AROA…` for roles).
    public var id: String
    public var createdDate: Date
    /// A role's trust policy: who may assume it.
    public var trustPolicy: String?

    public init(account: String, kind: IdentityKind, name: String, id: String, createdDate: Date, trustPolicy: String? = nil) {
        self.account = account
        self.kind = kind
        self.name = name
        self.id = id
        self.createdDate = createdDate
        self.trustPolicy = trustPolicy
    }
}

/// An inline policy of a user or role.
public struct IdentityPolicyRecord: Sendable, Hashable {
    public var policyName: String
    public var document: String

    public init(policyName: String, document: String) {
        self.policyName = policyName
        self.document = document
    }
}

/// Temporary credentials of a role session: the secret sealed like an access key's, the session token only as a
/// SHA-256 digest.
public struct SessionRecord: Sendable, Hashable {
    public var accessKeyId: String
    public var account: String
    public var roleName: String
    public var sessionName: String
    public var tokenDigest: Data
    /// The inline session policy that narrows the role's permissions.
    public var sessionPolicy: String?
    /// `assume-role` (the role's stored policies apply) or `service` (credentials the service issued to a process
    /// rotator: only the session policy limits them).
    public var issuer: String
    public var createdDate: Date
    public var expiration: Date
    public var kmsKeyId: String
    public var wrappedDataKey: Data
    public var ciphertext: Data
    /// The role's immutable id (`AROA...`) for an assumed-role session: the session is valid only while a role with
    /// this id exists. Nil for service-issued sessions, which belong to no stored role.
    public var principalId: String?

    public init(
        accessKeyId: String,
        account: String,
        roleName: String,
        sessionName: String,
        tokenDigest: Data,
        sessionPolicy: String?,
        issuer: String,
        createdDate: Date,
        expiration: Date,
        kmsKeyId: String,
        wrappedDataKey: Data,
        ciphertext: Data,
        principalId: String? = nil
    ) {
        self.principalId = principalId
        self.accessKeyId = accessKeyId
        self.account = account
        self.roleName = roleName
        self.sessionName = sessionName
        self.tokenDigest = tokenDigest
        self.sessionPolicy = sessionPolicy
        self.issuer = issuer
        self.createdDate = createdDate
        self.expiration = expiration
        self.kmsKeyId = kmsKeyId
        self.wrappedDataKey = wrappedDataKey
        self.ciphertext = ciphertext
    }
}

/// One stored audit record: its CloudTrail JSON exactly as hashed, and its link in the chain.
public struct AuditEventRow: Sendable, Hashable {
    public var sequence: Int64
    public var eventTime: Date
    public var eventName: String
    public var principal: String?
    public var secretARN: String?
    public var record: String
    public var previousHash: Data
    public var hash: Data

    public init(
        sequence: Int64,
        eventTime: Date,
        eventName: String,
        principal: String?,
        secretARN: String?,
        record: String,
        previousHash: Data,
        hash: Data
    ) {
        self.sequence = sequence
        self.eventTime = eventTime
        self.eventName = eventName
        self.principal = principal
        self.secretARN = secretARN
        self.record = record
        self.previousHash = previousHash
        self.hash = hash
    }
}

/// The newest record of the chain, kept apart so that a removed tail shows; `seal` authenticates it.
public struct AuditHead: Sendable, Hashable {
    public var sequence: Int64
    public var hash: Data
    public var seal: Data

    public init(sequence: Int64, hash: Data, seal: Data) {
        self.sequence = sequence
        self.hash = hash
        self.seal = seal
    }
}

/// Which audit records to read.
public struct AuditQuery: Sendable, Hashable {
    public var from: Date?
    public var to: Date?
    public var eventName: String?
    public var secretARN: String?
    public var principal: String?
    /// The node that wrote the record (`additionalEventData.LockstepNode`). Read from the record only: the store has
    /// no column for it, so only ``AuditLog/list(store:query:)`` applies it.
    public var node: String?
    /// Records after this sequence number (paging).
    public var afterSequence: Int64 = 0
    public var limit: Int = 1000

    public init(
        from: Date? = nil, to: Date? = nil, eventName: String? = nil, secretARN: String? = nil, principal: String? = nil, node: String? = nil
    ) {
        self.from = from
        self.to = to
        self.eventName = eventName
        self.secretARN = secretARN
        self.principal = principal
        self.node = node
    }
}
