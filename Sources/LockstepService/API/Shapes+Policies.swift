/// PutResourcePolicy.
public struct PutResourcePolicyRequest: Codable, Sendable, Hashable {
    public var SecretId: String
    public var ResourcePolicy: String
    /// Refuse a policy that opens the secret to everyone (AWS's default is false).
    public var BlockPublicPolicy: Bool?

    public init(SecretId: String, ResourcePolicy: String, BlockPublicPolicy: Bool? = nil) {
        self.SecretId = SecretId
        self.ResourcePolicy = ResourcePolicy
        self.BlockPublicPolicy = BlockPublicPolicy
    }
}

/// GetResourcePolicy, DeleteResourcePolicy.
public struct ResourcePolicySecretRequest: Codable, Sendable, Hashable {
    public var SecretId: String

    public init(SecretId: String) { self.SecretId = SecretId }
}

public struct GetResourcePolicyResponse: Codable, Sendable, Hashable {
    public var ARN: String
    public var Name: String
    public var ResourcePolicy: String?
}

/// ValidateResourcePolicy: the secret is optional.
public struct ValidateResourcePolicyRequest: Codable, Sendable, Hashable {
    public var SecretId: String?
    public var ResourcePolicy: String

    public init(SecretId: String? = nil, ResourcePolicy: String) {
        self.SecretId = SecretId
        self.ResourcePolicy = ResourcePolicy
    }
}

public struct ValidationErrorsEntry: Codable, Sendable, Hashable {
    public var CheckName: String
    public var ErrorMessage: String
}

public struct ValidateResourcePolicyResponse: Codable, Sendable, Hashable {
    public var PolicyValidationPassed: Bool
    public var ValidationErrors: [ValidationErrorsEntry]
}
