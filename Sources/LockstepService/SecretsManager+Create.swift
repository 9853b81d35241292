import Foundation
import LockstepCore
import LockstepCrypto
import LockstepStore

extension SecretsManager {
    /// CreateSecret: a new secret, with a first version labelled AWSCURRENT when a value is given.
    public func createSecret(_ request: CreateSecretRequest, context: RequestContext) async throws -> CreateSecretResponse {
        try SecretName.validate(request.Name)
        let value = try SecretValue.from(string: request.SecretString?.value, binary: request.SecretBinary?.value)
        let token = request.ClientRequestToken
        if value != nil, token == nil { throw SecretsManagerError.missingClientRequestToken }
        if let token { try VersionIdentifier.validate(token) }
        try Self.validateLength(request.Description, "description", max: 2048)
        try Self.validateLength(request.KmsKeyId, "kmsKeyId", max: 2048)
        try Self.validateLength(request.Type, "type", max: 256)
        let tags = try TagRules.merge([], with: request.Tags ?? [])
        let replicaRegions = try Self.validateReplicaRegions(request.AddReplicaRegions ?? [], primaryRegion: context.region)

        let arn = SecretARN.make(region: context.region, account: context.account, name: request.Name).description
        return try await self.write { tx in
            try self.authorize(resource: arn, account: context.account, in: tx, context: context)
            if let existing = try tx.secret(scope: context.scope, name: request.Name) {
                guard existing.deletedDate == nil else { throw SecretsManagerError.nameScheduledForDeletion }
                // The same token and the same value: a retried request, answered as the first was. The same token
                // with another value names a version that holds something else.
                if let token, let value, let version = try tx.version(secretId: existing.id, versionId: token) {
                    context.trace.touched(existing.arn)
                    guard version.hasValue, Self.sameValue(try self.open(version, of: existing, in: tx), value) else {
                        throw SecretsManagerError.tokenInUse(token, existing.arn)
                    }
                    return CreateSecretResponse(ARN: existing.arn, Name: existing.name, VersionId: token, ReplicationStatus: nil)
                }
                throw SecretsManagerError.secretExists(request.Name)
            }
            let now = self.now()
            let keyId = try self.envelope.provider.resolve(request.KmsKeyId, in: tx)
            var secret = SecretRecord(
                scope: context.scope,
                name: request.Name,
                arn: arn,
                description: request.Description,
                kmsKeyId: keyId,
                kmsKeyReference: request.KmsKeyId.flatMap { $0.isEmpty ? nil : $0 },
                type: request.Type,
                createdDate: now,
                lastChangedDate: now
            )
            secret.id = try tx.insertSecret(secret)
            context.trace.touched(secret.arn)
            try tx.replaceTags(secretId: secret.id, with: tags)
            if let value, let token {
                try self.insertVersion(value, versionId: token, of: secret, in: tx)
                var stages = StageMap()
                try stages.labelNewVersion(token, requested: nil)
                try tx.replaceStages(secretId: secret.id, with: stages)
            }
            let status = try self.addReplicas(
                replicaRegions,
                of: secret,
                overwrite: request.ForceOverwriteReplicaSecret ?? false,
                in: tx,
                context: context
            )
            try self.recordChange(.created, of: secret, versionId: value == nil ? nil : token, by: context, in: tx)
            return CreateSecretResponse(
                ARN: secret.arn,
                Name: secret.name,
                VersionId: value == nil ? nil : token,
                ReplicationStatus: status.isEmpty ? nil : status
            )
        }
    }
}
