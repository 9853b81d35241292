import Foundation
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
        return try await self.write { tx in
            let secret: SecretRecord
            do {
                secret = try self.resolve(request.SecretId, in: tx, context: context)
            } catch let error as SecretsManagerError where force && error == .secretNotFound {
                // A forced delete of a missing secret succeeds: the caller's goal already holds.
                let arn =
                    SecretARN.parse(request.SecretId)?.description
                    ?? SecretARN(region: context.region, account: context.account, resource: request.SecretId).description
                return DeleteSecretResponse(ARN: arn, Name: SecretARN.parse(request.SecretId)?.resource ?? request.SecretId, DeletionDate: now)
            }
            guard !secret.isReplica else { throw SecretsManagerError.replicaIsReadOnly }
            guard try tx.replicas(of: secret.id).isEmpty else {
                throw SecretsManagerError(
                    .invalidRequest,
                    "You can't delete secret \(secret.name) because it is replicated to other regions. Remove the replicas first (RemoveRegionsFromReplication)."
                )
            }
            if force {
                try tx.deleteSecret(id: secret.id)
                return DeleteSecretResponse(ARN: secret.arn, Name: secret.name, DeletionDate: now)
            }
            guard secret.deletedDate == nil else { throw SecretsManagerError.markedForDeletion }
            var scheduled = secret
            scheduled.deletedDate = now
            scheduled.deletionDate = deletionDate
            try tx.updateSecret(scheduled)
            return DeleteSecretResponse(ARN: secret.arn, Name: secret.name, DeletionDate: deletionDate)
        }
    }

    /// RestoreSecret: cancels a scheduled deletion.
    public func restoreSecret(_ request: RestoreSecretRequest, context: RequestContext) async throws -> RestoreSecretResponse {
        try await self.write { tx in
            var secret = try self.resolve(request.SecretId, in: tx, context: context)
            if secret.deletedDate != nil {
                secret.deletedDate = nil
                secret.deletionDate = nil
                secret.lastChangedDate = self.now()
                try tx.updateSecret(secret)
            }
            return ARNAndName(ARN: secret.arn, Name: secret.name)
        }
    }
}
