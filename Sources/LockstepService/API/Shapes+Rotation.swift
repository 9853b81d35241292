import Foundation
public import LockstepCore

public struct RotateSecretRequest: Codable, Sendable, Hashable {
    public var SecretId: String
    public var ClientRequestToken: String?
    public var RotationLambdaARN: String?
    public var RotationRules: RotationRulesType?
    /// Partner-specific metadata of a managed external secret: stored and shown by DescribeSecret and ListSecrets.
    public var ExternalSecretRotationMetadata: [ExternalSecretRotationMetadataItem]?
    /// The role a managed external secret's partner rotation assumes: stored and shown as given.
    public var ExternalSecretRotationRoleArn: String?
    public var RotateImmediately: Bool?

    public init(
        SecretId: String,
        ClientRequestToken: String? = nil,
        RotationLambdaARN: String? = nil,
        RotationRules: RotationRulesType? = nil,
        ExternalSecretRotationMetadata: [ExternalSecretRotationMetadataItem]? = nil,
        ExternalSecretRotationRoleArn: String? = nil,
        RotateImmediately: Bool? = nil
    ) {
        self.SecretId = SecretId
        self.ClientRequestToken = ClientRequestToken
        self.RotationLambdaARN = RotationLambdaARN
        self.RotationRules = RotationRules
        self.ExternalSecretRotationMetadata = ExternalSecretRotationMetadata
        self.ExternalSecretRotationRoleArn = ExternalSecretRotationRoleArn
        self.RotateImmediately = RotateImmediately
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
