import Foundation
public import LockstepCore

public struct RotateSecretRequest: Codable, Sendable, Hashable {
    public var SecretId: String
    public var ClientRequestToken: String?
    public var RotationLambdaARN: String?
    public var RotationRules: RotationRulesType?
    public var RotateImmediately: Bool?

    public init(
        SecretId: String,
        ClientRequestToken: String? = nil,
        RotationLambdaARN: String? = nil,
        RotationRules: RotationRulesType? = nil,
        RotateImmediately: Bool? = nil
    ) {
        self.SecretId = SecretId
        self.ClientRequestToken = ClientRequestToken
        self.RotationLambdaARN = RotationLambdaARN
        self.RotationRules = RotationRules
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
