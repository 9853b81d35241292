public import Foundation
public import LockstepCore

public struct CreateSecretRequest: Codable, Sendable, Hashable {
    public var Name: String
    public var ClientRequestToken: String?
    public var Description: String?
    public var KmsKeyId: String?
    public var SecretBinary: Sensitive<Data>?
    public var SecretString: Sensitive<String>?
    public var Tags: [Tag]?
    public var AddReplicaRegions: [ReplicaRegionType]?
    public var ForceOverwriteReplicaSecret: Bool?
    public var `Type`: String?

    public init(
        Name: String,
        ClientRequestToken: String? = nil,
        Description: String? = nil,
        KmsKeyId: String? = nil,
        SecretBinary: Sensitive<Data>? = nil,
        SecretString: Sensitive<String>? = nil,
        Tags: [Tag]? = nil,
        AddReplicaRegions: [ReplicaRegionType]? = nil,
        ForceOverwriteReplicaSecret: Bool? = nil,
        Type: String? = nil
    ) {
        self.Name = Name
        self.ClientRequestToken = ClientRequestToken
        self.Description = Description
        self.KmsKeyId = KmsKeyId
        self.SecretBinary = SecretBinary
        self.SecretString = SecretString
        self.Tags = Tags
        self.AddReplicaRegions = AddReplicaRegions
        self.ForceOverwriteReplicaSecret = ForceOverwriteReplicaSecret
        self.Type = Type
    }
}

public struct CreateSecretResponse: Codable, Sendable, Hashable {
    public var ARN: String
    public var Name: String
    public var VersionId: String?
    public var ReplicationStatus: [ReplicationStatusType]?
}

public struct GetSecretValueRequest: Codable, Sendable, Hashable {
    public var SecretId: String
    public var VersionId: String?
    public var VersionStage: String?

    public init(SecretId: String, VersionId: String? = nil, VersionStage: String? = nil) {
        self.SecretId = SecretId
        self.VersionId = VersionId
        self.VersionStage = VersionStage
    }
}

public struct GetSecretValueResponse: Codable, Sendable, Hashable {
    public var ARN: String
    public var Name: String
    public var VersionId: String
    public var SecretBinary: Sensitive<Data>?
    public var SecretString: Sensitive<String>?
    public var VersionStages: [String]
    public var CreatedDate: Date
}

public struct BatchGetSecretValueRequest: Codable, Sendable, Hashable {
    public var SecretIdList: [String]?
    public var Filters: [Filter]?
    public var MaxResults: Int?
    public var NextToken: String?

    public init(SecretIdList: [String]? = nil, Filters: [Filter]? = nil, MaxResults: Int? = nil, NextToken: String? = nil) {
        self.SecretIdList = SecretIdList
        self.Filters = Filters
        self.MaxResults = MaxResults
        self.NextToken = NextToken
    }
}

/// One failure inside a BatchGetSecretValue answer.
public struct APIErrorType: Codable, Sendable, Hashable {
    public var SecretId: String?
    public var ErrorCode: String?
    public var Message: String?
}

public struct BatchGetSecretValueResponse: Codable, Sendable, Hashable {
    public var SecretValues: [GetSecretValueResponse]
    public var NextToken: String?
    public var Errors: [APIErrorType]
}

public struct PutSecretValueRequest: Codable, Sendable, Hashable {
    public var SecretId: String
    public var ClientRequestToken: String?
    public var SecretBinary: Sensitive<Data>?
    public var SecretString: Sensitive<String>?
    public var VersionStages: [String]?
    public var RotationToken: Sensitive<String>?

    public init(
        SecretId: String,
        ClientRequestToken: String? = nil,
        SecretBinary: Sensitive<Data>? = nil,
        SecretString: Sensitive<String>? = nil,
        VersionStages: [String]? = nil,
        RotationToken: Sensitive<String>? = nil
    ) {
        self.SecretId = SecretId
        self.ClientRequestToken = ClientRequestToken
        self.SecretBinary = SecretBinary
        self.SecretString = SecretString
        self.VersionStages = VersionStages
        self.RotationToken = RotationToken
    }
}

public struct PutSecretValueResponse: Codable, Sendable, Hashable {
    public var ARN: String
    public var Name: String
    public var VersionId: String
    public var VersionStages: [String]
}

public struct UpdateSecretRequest: Codable, Sendable, Hashable {
    public var SecretId: String
    public var ClientRequestToken: String?
    public var Description: String?
    public var KmsKeyId: String?
    public var SecretBinary: Sensitive<Data>?
    public var SecretString: Sensitive<String>?
    public var `Type`: String?

    public init(
        SecretId: String,
        ClientRequestToken: String? = nil,
        Description: String? = nil,
        KmsKeyId: String? = nil,
        SecretBinary: Sensitive<Data>? = nil,
        SecretString: Sensitive<String>? = nil,
        Type: String? = nil
    ) {
        self.SecretId = SecretId
        self.ClientRequestToken = ClientRequestToken
        self.Description = Description
        self.KmsKeyId = KmsKeyId
        self.SecretBinary = SecretBinary
        self.SecretString = SecretString
        self.Type = Type
    }
}

public struct UpdateSecretResponse: Codable, Sendable, Hashable {
    public var ARN: String
    public var Name: String
    public var VersionId: String?
}

public struct UpdateSecretVersionStageRequest: Codable, Sendable, Hashable {
    public var SecretId: String
    public var VersionStage: String
    public var RemoveFromVersionId: String?
    public var MoveToVersionId: String?

    public init(SecretId: String, VersionStage: String, RemoveFromVersionId: String? = nil, MoveToVersionId: String? = nil) {
        self.SecretId = SecretId
        self.VersionStage = VersionStage
        self.RemoveFromVersionId = RemoveFromVersionId
        self.MoveToVersionId = MoveToVersionId
    }
}

public struct ARNAndName: Codable, Sendable, Hashable {
    public var ARN: String
    public var Name: String
}

public typealias UpdateSecretVersionStageResponse = ARNAndName
public typealias RestoreSecretResponse = ARNAndName

public struct GetRandomPasswordRequest: Codable, Sendable, Hashable {
    public var PasswordLength: Int64?
    public var ExcludeCharacters: String?
    public var ExcludeNumbers: Bool?
    public var ExcludePunctuation: Bool?
    public var ExcludeUppercase: Bool?
    public var ExcludeLowercase: Bool?
    public var IncludeSpace: Bool?
    public var RequireEachIncludedType: Bool?

    public init(
        PasswordLength: Int64? = nil,
        ExcludeCharacters: String? = nil,
        ExcludeNumbers: Bool? = nil,
        ExcludePunctuation: Bool? = nil,
        ExcludeUppercase: Bool? = nil,
        ExcludeLowercase: Bool? = nil,
        IncludeSpace: Bool? = nil,
        RequireEachIncludedType: Bool? = nil
    ) {
        self.PasswordLength = PasswordLength
        self.ExcludeCharacters = ExcludeCharacters
        self.ExcludeNumbers = ExcludeNumbers
        self.ExcludePunctuation = ExcludePunctuation
        self.ExcludeUppercase = ExcludeUppercase
        self.ExcludeLowercase = ExcludeLowercase
        self.IncludeSpace = IncludeSpace
        self.RequireEachIncludedType = RequireEachIncludedType
    }
}

public struct GetRandomPasswordResponse: Codable, Sendable, Hashable {
    public var RandomPassword: Sensitive<String>
}
