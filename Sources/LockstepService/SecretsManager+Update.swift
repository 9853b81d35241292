import Foundation
import LockstepCore
import LockstepCrypto
import LockstepStore

extension SecretsManager {
    /// UpdateSecret: description, KMS key, type, and optionally a new value that becomes AWSCURRENT.
    public func updateSecret(_ request: UpdateSecretRequest, context: RequestContext) async throws -> UpdateSecretResponse {
        let value = try SecretValue.from(string: request.SecretString?.value, binary: request.SecretBinary?.value)
        if value != nil, request.ClientRequestToken == nil { throw SecretsManagerError.missingClientRequestToken }
        if let token = request.ClientRequestToken { try VersionIdentifier.validate(token) }
        try Self.validateLength(request.Description, "description", max: 2048)
        try Self.validateLength(request.KmsKeyId, "kmsKeyId", max: 2048)
        try Self.validateLength(request.Type, "type", max: 256)

        let (response, event) = try await self.write { tx -> (UpdateSecretResponse, LifecycleEvent?) in
            var secret = try self.resolveWritable(request.SecretId, in: tx, context: context)
            var event: LifecycleEvent?
            if let description = request.Description { secret.description = description }
            if let type = request.Type { secret.type = type }
            if let reference = request.KmsKeyId {
                let keyId = try self.envelope.provider.resolve(reference, in: tx)
                secret.kmsKeyReference = reference.isEmpty ? nil : reference
                if keyId != secret.kmsKeyId {
                    secret.kmsKeyId = keyId
                    try self.rewrapLabelledVersions(of: secret, in: tx)
                }
            }
            var versionId: String?
            if let value, let token = request.ClientRequestToken, let existing = try tx.version(secretId: secret.id, versionId: token) {
                // The same token and the same value: a retried request (an SDK retries with the same token).
                guard existing.hasValue, Self.sameValue(try self.open(existing, of: secret, in: tx), value) else {
                    throw SecretsManagerError.tokenInUse(token, secret.arn)
                }
                versionId = token
            } else if let value, let token = request.ClientRequestToken {
                var stages = try tx.stages(secretId: secret.id)
                try stages.labelNewVersion(token, requested: nil)
                event = try self.valueChangedManually(&secret, stages: &stages, newVersion: token, in: tx)
                try self.insertVersion(value, versionId: token, of: secret, in: tx)
                try tx.replaceStages(secretId: secret.id, with: stages)
                try self.pruneVersions(of: secret, stages: stages, in: tx)
                versionId = token
            }
            secret.lastChangedDate = self.now()
            try tx.updateSecret(secret)
            try self.recordChange(versionId == nil ? .updated : .valuePut, of: secret, versionId: versionId, by: context, in: tx)
            return (UpdateSecretResponse(ARN: secret.arn, Name: secret.name, VersionId: versionId), event)
        }
        if let event { self.rotation.events.record(event) }
        return response
    }

    /// Seals every labelled version again under the secret's current master key.
    func rewrapLabelledVersions(of secret: SecretRecord, in tx: any SecretStoreTransaction) throws {
        let stages = try tx.stages(secretId: secret.id)
        for version in try tx.versions(secretId: secret.id) where stages.isLabelled(version.versionId) && version.kmsKeyId != secret.kmsKeyId {
            let context = EncryptionContext(secretARN: secret.arn, versionId: version.versionId)
            let sealed = try self.envelope.rewrap(
                SealedValue(keyId: version.kmsKeyId, wrappedDataKey: version.wrappedDataKey, ciphertext: version.ciphertext),
                to: secret.kmsKeyId,
                context: context,
                in: tx
            )
            var updated = version
            updated.kmsKeyId = sealed.keyId
            updated.wrappedDataKey = sealed.wrappedDataKey
            updated.ciphertext = sealed.ciphertext
            try tx.updateVersionCiphertext(updated)
        }
    }

    /// UpdateSecretVersionStage: moves, attaches or detaches a staging label.
    public func updateSecretVersionStage(
        _ request: UpdateSecretVersionStageRequest,
        context: RequestContext
    ) async throws -> UpdateSecretVersionStageResponse {
        try StagingLabel.validate(request.VersionStage)
        if let id = request.MoveToVersionId { try VersionIdentifier.validate(id, parameter: "moveToVersionId") }
        if let id = request.RemoveFromVersionId { try VersionIdentifier.validate(id, parameter: "removeFromVersionId") }
        return try await self.write { tx in
            var secret = try self.resolveWritable(request.SecretId, in: tx, context: context)
            if let target = request.MoveToVersionId, try tx.version(secretId: secret.id, versionId: target) == nil {
                throw SecretsManagerError.versionNotFound(target)
            }
            var stages = try tx.stages(secretId: secret.id)
            try stages.updateStage(request.VersionStage, moveTo: request.MoveToVersionId, removeFrom: request.RemoveFromVersionId)
            try tx.replaceStages(secretId: secret.id, with: stages)
            try self.pruneVersions(of: secret, stages: stages, in: tx)
            secret.lastChangedDate = self.now()
            try tx.updateSecret(secret)
            try self.recordChange(.labelsMoved, of: secret, versionId: request.MoveToVersionId ?? request.RemoveFromVersionId, by: context, in: tx)
            return ARNAndName(ARN: secret.arn, Name: secret.name)
        }
    }
}
