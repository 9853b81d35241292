public import Foundation

/// A tag on a secret.
public struct Tag: Codable, Sendable, Hashable {
    public var Key: String
    public var Value: String

    public init(Key: String, Value: String) {
        self.Key = Key
        self.Value = Value
    }
}

/// A `Key`/`Values` filter of ListSecrets and BatchGetSecretValue.
public struct Filter: Codable, Sendable, Hashable {
    public var Key: String
    public var Values: [String]?

    public init(Key: String, Values: [String]?) {
        self.Key = Key
        self.Values = Values
    }
}

/// The rotation schedule of a secret.
public struct RotationRulesType: Codable, Sendable, Hashable {
    public var AutomaticallyAfterDays: Int64?
    public var Duration: String?
    public var ScheduleExpression: String?

    public init(AutomaticallyAfterDays: Int64? = nil, Duration: String? = nil, ScheduleExpression: String? = nil) {
        self.AutomaticallyAfterDays = AutomaticallyAfterDays
        self.Duration = Duration
        self.ScheduleExpression = ScheduleExpression
    }
}

/// One key-value pair of a managed external secret's rotation metadata (RotateSecret, DescribeSecret).
public struct ExternalSecretRotationMetadataItem: Codable, Sendable, Hashable {
    public var Key: String?
    public var Value: String?

    public init(Key: String? = nil, Value: String? = nil) {
        self.Key = Key
        self.Value = Value
    }
}

/// A region to replicate to, with an optional KMS key there.
public struct ReplicaRegionType: Codable, Sendable, Hashable {
    public var Region: String
    public var KmsKeyId: String?

    public init(Region: String, KmsKeyId: String? = nil) {
        self.Region = Region
        self.KmsKeyId = KmsKeyId
    }
}

/// The state of one replica, as the primary reports it.
public struct ReplicationStatusType: Codable, Sendable, Hashable {
    public var Region: String
    public var KmsKeyId: String?
    public var Status: String?
    public var StatusMessage: String?
    public var LastAccessedDate: Date?

    public init(Region: String, KmsKeyId: String? = nil, Status: String? = nil, StatusMessage: String? = nil, LastAccessedDate: Date? = nil) {
        self.Region = Region
        self.KmsKeyId = KmsKeyId
        self.Status = Status
        self.StatusMessage = StatusMessage
        self.LastAccessedDate = LastAccessedDate
    }
}

/// An operation with no output members answers `{}`.
public struct EmptyResponse: Codable, Sendable, Hashable {
    public init() {}
}
