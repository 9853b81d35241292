import Foundation
public import LockstepCore

public struct RotateSecretRequest: Codable, Sendable, Hashable {
    public var SecretId: String
    public var ClientRequestToken: String?
    public var RotationLambdaARN: String?
    public var RotationRules: RotationRulesType?
    public var RotateImmediately: Bool?
    /// A managed external secret's partner settings (stored and shown by DescribeSecret).
    public var ExternalSecretRotationMetadata: [ExternalSecretRotationMetadataItem]?
    public var ExternalSecretRotationRoleArn: String?

    public init(
        SecretId: String,
        ClientRequestToken: String? = nil,
        RotationLambdaARN: String? = nil,
        RotationRules: RotationRulesType? = nil,
        RotateImmediately: Bool? = nil,
        ExternalSecretRotationMetadata: [ExternalSecretRotationMetadataItem]? = nil,
        ExternalSecretRotationRoleArn: String? = nil
    ) {
        self.ExternalSecretRotationMetadata = ExternalSecretRotationMetadata
        self.ExternalSecretRotationRoleArn = ExternalSecretRotationRoleArn
        self.SecretId = SecretId
        self.ClientRequestToken = ClientRequestToken
        self.RotationLambdaARN = RotationLambdaARN
        self.RotationRules = RotationRules
        self.RotateImmediately = RotateImmediately
    }
}

/// One `{"Key", "Value"}` item of ExternalSecretRotationMetadata.
public struct ExternalSecretRotationMetadataItem: Codable, Sendable, Hashable {
    public var Key: String?
    public var Value: String?

    public init(Key: String?, Value: String?) {
        self.Key = Key
        self.Value = Value
    }
}

public struct RotateSecretResponse: Codable, Sendable, Hashable {
    public var ARN: String
    public var Name: String
    public var VersionId: String?
}

public struct CancelRotateSecretRequest: Codable, Sendable, Hashable {
    public var SecretId: String

    public init(SecretId: String) { self.SecretId = SecretId }
}

public struct CancelRotateSecretResponse: Codable, Sendable, Hashable {
    public var ARN: String
    public var Name: String
    public var VersionId: String?
}
