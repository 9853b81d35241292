import LockstepAuth
import LockstepCore
import LockstepStore

extension SecretsManager {
    /// PutResourcePolicy: attaches a resource policy to a secret, replacing any before it.
    public func putResourcePolicy(_ request: PutResourcePolicyRequest, context: RequestContext) async throws -> ARNAndName {
        try await self.write { tx in
            // Authorized first: a caller without rights on the secret learns nothing of the policy's text.
            let secret = try self.resolveWritable(request.SecretId, in: tx, context: context)
            let document = try Self.parseResourcePolicy(request.ResourcePolicy)
            if request.BlockPublicPolicy == true, document.grantsPublicAccess {
                throw SecretsManagerError(
                    .publicPolicy,
                    "This resource policy contains a statement that grants access to everyone (Principal \"*\" without a condition that limits it to known accounts). Remove it or set BlockPublicPolicy to false."
                )
            }
            try tx.setResourcePolicy(secretId: secret.id, document: request.ResourcePolicy)
            return ARNAndName(ARN: secret.arn, Name: secret.name)
        }
    }

    /// GetResourcePolicy: the secret's resource policy, if it has one.
    public func getResourcePolicy(_ request: ResourcePolicySecretRequest, context: RequestContext) async throws -> GetResourcePolicyResponse {
        try await self.store.read { tx in
            let secret = try self.resolve(request.SecretId, in: tx, context: context)
            return GetResourcePolicyResponse(ARN: secret.arn, Name: secret.name, ResourcePolicy: try tx.resourcePolicy(secretId: secret.id))
        }
    }

    /// DeleteResourcePolicy: removes the secret's resource policy (succeeds when there is none).
    public func deleteResourcePolicy(_ request: ResourcePolicySecretRequest, context: RequestContext) async throws -> ARNAndName {
        try await self.write { tx in
            let secret = try self.resolveWritable(request.SecretId, in: tx, context: context)
            try tx.setResourcePolicy(secretId: secret.id, document: nil)
            return ARNAndName(ARN: secret.arn, Name: secret.name)
        }
    }

    /// ValidateResourcePolicy: syntax errors and broad access, as a list of findings rather than an error.
    ///
    /// Check names: `SYNTAX_CHECK` (the grammar, with the parser's message) and `BROAD_ACCESS_CHECK` (a statement
    /// that grants access to everyone).
    public func validateResourcePolicy(
        _ request: ValidateResourcePolicyRequest,
        context: RequestContext
    ) async throws -> ValidateResourcePolicyResponse {
        guard (1...20_480).contains(request.ResourcePolicy.count) else {
            throw SecretsManagerError.constraint("resourcePolicy", "Member must have length between 1 and 20480")
        }
        if let secretId = request.SecretId {
            _ = try await self.store.read { tx in try self.resolve(secretId, in: tx, context: context) }
        } else {
            try await self.authorizeWithoutResource(context)
        }
        var errors: [ValidationErrorsEntry] = []
        do {
            let document = try PolicyDocument(parsing: request.ResourcePolicy, kind: .resource)
            for statement in document.publicStatements {
                let name = statement.sid.map { "Statement \($0)" } ?? "A statement"
                errors.append(
                    ValidationErrorsEntry(
                        CheckName: "BROAD_ACCESS_CHECK",
                        ErrorMessage: "\(name) grants access to everyone (Principal \"*\" without a condition that limits it to known accounts)."
                    )
                )
            }
        } catch {
            errors.append(ValidationErrorsEntry(CheckName: "SYNTAX_CHECK", ErrorMessage: error.message))
        }
        return ValidateResourcePolicyResponse(PolicyValidationPassed: errors.isEmpty, ValidationErrors: errors)
    }

    static func parseResourcePolicy(_ text: String) throws -> PolicyDocument {
        guard (1...20_480).contains(text.count) else {
            throw SecretsManagerError.constraint("resourcePolicy", "Member must have length between 1 and 20480")
        }
        do {
            return try PolicyDocument(parsing: text, kind: .resource)
        } catch {
            throw SecretsManagerError(.malformedPolicyDocument, error.message)
        }
    }
}
