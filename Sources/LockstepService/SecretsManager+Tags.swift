public import LockstepCore
import LockstepStore

extension SecretsManager {
    /// TagResource: adds tags or overwrites values of existing keys.
    public func tagResource(_ request: TagResourceRequest, context: RequestContext) async throws -> EmptyResponse {
        try TagRules.validate(request.Tags)
        return try await self.write { tx in
            var secret = try self.resolveWritable(request.SecretId, in: tx, context: context)
            let tags = try TagRules.merge(try tx.tags(secretId: secret.id), with: request.Tags)
            try tx.replaceTags(secretId: secret.id, with: tags)
            secret.lastChangedDate = self.now()
            try tx.updateSecret(secret)
            try self.recordChange(.updated, of: secret, by: context, in: tx)
            return EmptyResponse()
        }
    }

    /// UntagResource: removes tags by key; keys that aren't there are ignored.
    public func untagResource(_ request: UntagResourceRequest, context: RequestContext) async throws -> EmptyResponse {
        for key in request.TagKeys { try TagRules.validateKey(key) }
        return try await self.write { tx in
            var secret = try self.resolveWritable(request.SecretId, in: tx, context: context)
            let tags = try tx.tags(secretId: secret.id).filter { !request.TagKeys.contains($0.Key) }
            try tx.replaceTags(secretId: secret.id, with: tags)
            secret.lastChangedDate = self.now()
            try tx.updateSecret(secret)
            try self.recordChange(.updated, of: secret, by: context, in: tx)
            return EmptyResponse()
        }
    }

    /// GetRandomPassword.
    public func getRandomPassword(_ request: GetRandomPasswordRequest, context: RequestContext) async throws -> GetRandomPasswordResponse {
        try await self.authorizeWithoutResource(context)
        let generator = try PasswordGenerator(
            length: request.PasswordLength,
            excludeCharacters: request.ExcludeCharacters,
            excludeNumbers: request.ExcludeNumbers,
            excludePunctuation: request.ExcludePunctuation,
            excludeUppercase: request.ExcludeUppercase,
            excludeLowercase: request.ExcludeLowercase,
            includeSpace: request.IncludeSpace,
            requireEachIncludedType: request.RequireEachIncludedType
        )
        return GetRandomPasswordResponse(RandomPassword: Sensitive(generator.generate()))
    }
}
