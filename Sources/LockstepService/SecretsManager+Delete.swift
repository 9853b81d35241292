import Foundation
import LockstepAudit
import LockstepCore
import LockstepStore

extension SecretsManager {
    /// DeleteSecret: schedules deletion after a 7–30 day recovery window, or deletes at once when forced.
    public func deleteSecret(_ request: DeleteSecretRequest, context: RequestContext) async throws -> DeleteSecretResponse {
        let now = self.now()
        let deletionDate = try DeletionRules.deletionDate(
            now: now,
            recoveryWindowInDays: request.RecoveryWindowInDays,
            force: request.ForceDeleteWithoutRecovery
        )
        let force = request.ForceDeleteWithoutRecovery == true
        let (response, deleted) = try await self.write { tx -> (DeleteSecretResponse, (SecretRecord, [String])?) in
            let secret: SecretRecord
            do {
                secret = try self.resolve(request.SecretId, in: tx, context: context)
            } catch let error as SecretsManagerError where force && error == .secretNotFound {
                // A forced delete of a missing secret succeeds: the caller's goal already holds.
                let arn =
                    SecretARN.parse(request.SecretId)?.description
                    ?? SecretARN(region: context.region, account: context.account, resource: request.SecretId).description
                return (DeleteSecretResponse(ARN: arn, Name: SecretARN.parse(request.SecretId)?.resource ?? request.SecretId, DeletionDate: now), nil)
            }
            guard !secret.isReplica else { throw SecretsManagerError.replicaIsReadOnly }
            let replicas = try tx.replicas(of: secret.id)
            guard replicas.isEmpty else {
                let regions = replicas.map(\.scope.region).sorted().joined(separator: ", ")
                throw SecretsManagerError(
                    .invalidParameter,
                    "You can't delete secret \(secret.arn) that still has replica regions [\(regions)]."
                )
            }
            let versions = try tx.versions(secretId: secret.id).map(\.versionId)
            if force {
                try self.recordChange(.deleted, of: secret, stages: .some(nil), by: context, in: tx)
                try tx.deleteSecret(id: secret.id)
                return (DeleteSecretResponse(ARN: secret.arn, Name: secret.name, DeletionDate: now), (secret, versions))
            }
            guard secret.deletedDate == nil else { throw SecretsManagerError.markedForDeletion }
            var scheduled = secret
            scheduled.deletedDate = now
            scheduled.deletionDate = deletionDate
            try tx.updateSecret(scheduled)
            try self.recordChange(.deletionScheduled, of: scheduled, by: context, in: tx)
            return (DeleteSecretResponse(ARN: secret.arn, Name: secret.name, DeletionDate: deletionDate), (secret, versions))
        }
        if let (secret, versions) = deleted {
            self.recordVersionEvents(force ? .endSecretVersionDelete : .startSecretVersionDelete, of: secret, versions: versions)
        }
        return response
    }

    /// RestoreSecret: cancels a scheduled deletion.
    public func restoreSecret(_ request: RestoreSecretRequest, context: RequestContext) async throws -> RestoreSecretResponse {
        let (response, restored) = try await self.write { tx -> (ARNAndName, (SecretRecord, [String])?) in
            var secret = try self.resolve(request.SecretId, in: tx, context: context)
            var restored: (SecretRecord, [String])?
            if secret.deletedDate != nil {
                secret.deletedDate = nil
                secret.deletionDate = nil
                secret.lastChangedDate = self.now()
                try tx.updateSecret(secret)
                try self.recordChange(.restored, of: secret, by: context, in: tx)
                restored = (secret, try tx.versions(secretId: secret.id).map(\.versionId))
            }
            return (ARNAndName(ARN: secret.arn, Name: secret.name), restored)
        }
        // CloudTrail logs CancelSecretVersionDelete for each version of a restored secret.
        if let (secret, versions) = restored { self.recordVersionEvents(.cancelSecretVersionDelete, of: secret, versions: versions) }
        return response
    }
}
