public import Foundation
public import LockstepCore

public struct DescribeSecretRequest: Codable, Sendable, Hashable {
    public var SecretId: String
    public init(SecretId: String) { self.SecretId = SecretId }
}

/// DescribeSecret's answer; ListSecrets entries have the same members (``SecretListEntry``).
public struct DescribeSecretResponse: Codable, Sendable, Hashable {
    public var ARN: String
    public var Name: String
    public var Description: String?
    public var KmsKeyId: String?
    public var RotationEnabled: Bool?
    public var RotationLambdaARN: String?
    public var RotationRules: RotationRulesType?
    public var ExternalSecretRotationMetadata: [ExternalSecretRotationMetadataItem]?
    public var ExternalSecretRotationRoleArn: String?
    public var LastRotatedDate: Date?
    public var LastChangedDate: Date?
    public var LastAccessedDate: Date?
    public var DeletedDate: Date?
    public var NextRotationDate: Date?
    public var Tags: [Tag]?
    public var VersionIdsToStages: [String: [String]]?
    public var OwningService: String?
    public var CreatedDate: Date?
    public var PrimaryRegion: String?
    public var ReplicationStatus: [ReplicationStatusType]?
    public var `Type`: String?
}

public struct SecretListEntry: Codable, Sendable, Hashable {
    public var ARN: String
    public var Name: String
    public var Description: String?
    public var KmsKeyId: String?
    public var RotationEnabled: Bool?
    public var RotationLambdaARN: String?
    public var RotationRules: RotationRulesType?
    public var ExternalSecretRotationMetadata: [ExternalSecretRotationMetadataItem]?
    public var ExternalSecretRotationRoleArn: String?
    public var LastRotatedDate: Date?
    public var LastChangedDate: Date?
    public var LastAccessedDate: Date?
    public var DeletedDate: Date?
    public var NextRotationDate: Date?
    public var Tags: [Tag]?
    public var SecretVersionsToStages: [String: [String]]?
    public var OwningService: String?
    public var CreatedDate: Date?
    public var PrimaryRegion: String?
    public var `Type`: String?
}

public struct ListSecretsRequest: Codable, Sendable, Hashable {
    public var IncludePlannedDeletion: Bool?
    public var MaxResults: Int?
    public var NextToken: String?
    public var Filters: [Filter]?
    public var SortOrder: String?
    public var SortBy: String?

    public init(
        IncludePlannedDeletion: Bool? = nil,
        MaxResults: Int? = nil,
        NextToken: String? = nil,
        Filters: [Filter]? = nil,
        SortOrder: String? = nil,
        SortBy: String? = nil
    ) {
        self.IncludePlannedDeletion = IncludePlannedDeletion
        self.MaxResults = MaxResults
        self.NextToken = NextToken
        self.Filters = Filters
        self.SortOrder = SortOrder
        self.SortBy = SortBy
    }
}

public struct ListSecretsResponse: Codable, Sendable, Hashable {
    public var SecretList: [SecretListEntry]
    public var NextToken: String?
}

public struct ListSecretVersionIdsRequest: Codable, Sendable, Hashable {
    public var SecretId: String
    public var MaxResults: Int?
    public var NextToken: String?
    public var IncludeDeprecated: Bool?

    public init(SecretId: String, MaxResults: Int? = nil, NextToken: String? = nil, IncludeDeprecated: Bool? = nil) {
        self.SecretId = SecretId
        self.MaxResults = MaxResults
        self.NextToken = NextToken
        self.IncludeDeprecated = IncludeDeprecated
    }
}

public struct SecretVersionsListEntry: Codable, Sendable, Hashable {
    public var VersionId: String
    public var VersionStages: [String]?
    public var LastAccessedDate: Date?
    public var CreatedDate: Date
    public var KmsKeyIds: [String]?
}

public struct ListSecretVersionIdsResponse: Codable, Sendable, Hashable {
    public var Versions: [SecretVersionsListEntry]
    public var NextToken: String?
    public var ARN: String
    public var Name: String
}

public struct DeleteSecretRequest: Codable, Sendable, Hashable {
    public var SecretId: String
    public var RecoveryWindowInDays: Int64?
    public var ForceDeleteWithoutRecovery: Bool?

    public init(SecretId: String, RecoveryWindowInDays: Int64? = nil, ForceDeleteWithoutRecovery: Bool? = nil) {
        self.SecretId = SecretId
        self.RecoveryWindowInDays = RecoveryWindowInDays
        self.ForceDeleteWithoutRecovery = ForceDeleteWithoutRecovery
    }
}

public struct DeleteSecretResponse: Codable, Sendable, Hashable {
    public var ARN: String
    public var Name: String
    public var DeletionDate: Date
}

public struct RestoreSecretRequest: Codable, Sendable, Hashable {
    public var SecretId: String
    public init(SecretId: String) { self.SecretId = SecretId }
}

public struct TagResourceRequest: Codable, Sendable, Hashable {
    public var SecretId: String
    public var Tags: [Tag]
    public init(SecretId: String, Tags: [Tag]) {
        self.SecretId = SecretId
        self.Tags = Tags
    }
}

public struct UntagResourceRequest: Codable, Sendable, Hashable {
    public var SecretId: String
    public var TagKeys: [String]
    public init(SecretId: String, TagKeys: [String]) {
        self.SecretId = SecretId
        self.TagKeys = TagKeys
    }
}

public struct ReplicateSecretToRegionsRequest: Codable, Sendable, Hashable {
    public var SecretId: String
    public var AddReplicaRegions: [ReplicaRegionType]
    public var ForceOverwriteReplicaSecret: Bool?

    public init(SecretId: String, AddReplicaRegions: [ReplicaRegionType], ForceOverwriteReplicaSecret: Bool? = nil) {
        self.SecretId = SecretId
        self.AddReplicaRegions = AddReplicaRegions
        self.ForceOverwriteReplicaSecret = ForceOverwriteReplicaSecret
    }
}

public struct ReplicationResponse: Codable, Sendable, Hashable {
    public var ARN: String
    public var ReplicationStatus: [ReplicationStatusType]
}

public typealias ReplicateSecretToRegionsResponse = ReplicationResponse
public typealias RemoveRegionsFromReplicationResponse = ReplicationResponse

public struct RemoveRegionsFromReplicationRequest: Codable, Sendable, Hashable {
    public var SecretId: String
    public var RemoveReplicaRegions: [String]
    public init(SecretId: String, RemoveReplicaRegions: [String]) {
        self.SecretId = SecretId
        self.RemoveReplicaRegions = RemoveReplicaRegions
    }
}

public struct StopReplicationToReplicaRequest: Codable, Sendable, Hashable {
    public var SecretId: String
    public init(SecretId: String) { self.SecretId = SecretId }
}

public struct StopReplicationToReplicaResponse: Codable, Sendable, Hashable {
    public var ARN: String
}
