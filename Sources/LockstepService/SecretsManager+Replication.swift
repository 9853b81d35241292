import Foundation
import LockstepAudit
import LockstepCore
import LockstepCrypto
import LockstepStore

/// Replication between regions of one deployment.
///
/// A replica is a secret row in another region with the same name and ARN suffix that points at its primary.
/// It has no versions of its own: reads go to the primary's versions, labels and tags, so it is in sync by
/// construction. Writes to a replica are refused. Promoting it (StopReplicationToReplica) copies the primary's
/// versions into it, sealed again with the replica's own ARN as authenticated data.
extension SecretsManager {
    /// `xx-name-N` region names, such as `eu-west-1` or `us-gov-east-1`.
    static func isRegionName(_ name: String) -> Bool {
        RegionName.isValid(name)
    }

    static func validateReplicaRegions(_ regions: [ReplicaRegionType], primaryRegion: String) throws -> [ReplicaRegionType] {
        var seen: Set<String> = []
        for replica in regions {
            // AWS words a malformed region and the primary's own region alike.
            guard isRegionName(replica.Region), replica.Region != primaryRegion else {
                throw SecretsManagerError(.invalidParameter, "Invalid replica region.")
            }
            guard seen.insert(replica.Region).inserted else {
                throw SecretsManagerError(.invalidParameter, "The region \(replica.Region) is listed more than once.")
            }
        }
        return regions
    }

    static func replicationStatus(_ replica: SecretRecord) -> ReplicationStatusType {
        ReplicationStatusType(
            Region: replica.scope.region,
            KmsKeyId: replica.replicaKmsKeyReference ?? LocalKeyring.defaultAlias,
            Status: "InSync",
            StatusMessage: "Replication succeeded",
            LastAccessedDate: replica.lastAccessedDate
        )
    }

    /// Creates replica rows of `primary`; a name taken in a target region fails that region only, unless
    /// `overwrite` replaces the secret there.
    ///
    /// Every region is a resource of its own: the caller must be allowed `secretsmanager:ReplicateSecretToRegions`
    /// on the replica's ARN there (a policy scoped to one region reaches no other), and replacing a secret needs
    /// `secretsmanager:DeleteSecret` on that secret, under its own resource policy and tags. A replaced secret is
    /// audited as the deletion it is, in its own region. All regions are authorized before anything changes.
    func addReplicas(
        _ regions: [ReplicaRegionType],
        of primary: SecretRecord,
        overwrite: Bool,
        in tx: any SecretStoreTransaction,
        context: RequestContext
    ) throws -> [ReplicationStatusType] {
        let primaryARN = SecretARN.parse(primary.arn)!
        if !regions.isEmpty {
            try self.authorize(
                resource: primary.arn,
                account: primary.scope.account,
                secret: primary,
                action: Self.replicateAction,
                in: tx,
                context: context
            )
        }
        enum Plan { case create, keep, fail, replace(SecretRecord) }
        var plans: [(ReplicaRegionType, Plan)] = []
        for region in regions {
            let scope = Scope(account: primary.scope.account, region: region.Region)
            let replicaARN = primaryARN.inRegion(region.Region).description
            let existing = try tx.secret(scope: scope, name: primary.name)
            if existing?.primaryId == primary.id {
                plans.append((region, .keep))
                continue
            }
            try self.authorize(resource: replicaARN, account: scope.account, action: Self.replicateAction, in: tx, context: context)
            guard let existing else {
                plans.append((region, .create))
                continue
            }
            guard overwrite, try tx.replicas(of: existing.id).isEmpty else {
                plans.append((region, .fail))
                continue
            }
            context.trace.touched(existing.arn)
            try self.authorize(
                resource: existing.arn,
                account: existing.scope.account,
                secret: existing,
                action: Self.deleteAction,
                in: tx,
                context: context
            )
            plans.append((region, .replace(existing)))
        }
        var failures: [ReplicationStatusType] = []
        for (region, plan) in plans {
            switch plan {
            case .keep: continue
            case .fail:
                failures.append(
                    ReplicationStatusType(
                        Region: region.Region,
                        KmsKeyId: region.KmsKeyId,
                        Status: "Failed",
                        StatusMessage: "Replication failed: Secret name \(primary.name) already exists in region \(region.Region)."
                    )
                )
                continue
            case .replace(let existing):
                let versions = existing.isReplica ? [] : try tx.versions(secretId: existing.id).map(\.versionId)
                try self.recordChange(.deleted, of: existing, stages: .some(nil), by: context, in: tx)
                try tx.deleteSecret(id: existing.id)
                self.recordVersionEvents(.endSecretVersionDelete, of: existing, versions: versions)
            case .create: break
            }
            if let reference = region.KmsKeyId { _ = try self.envelope.provider.resolve(reference, in: tx) }
            let now = self.now()
            var replica = SecretRecord(
                scope: Scope(account: primary.scope.account, region: region.Region),
                name: primary.name,
                arn: primaryARN.inRegion(region.Region).description,
                kmsKeyId: primary.kmsKeyId,
                createdDate: now,
                lastChangedDate: now,
                primaryId: primary.id,
                replicaKmsKeyReference: region.KmsKeyId
            )
            replica.id = try tx.insertSecret(replica)
            try self.recordChange(.replicated, of: replica, by: context, in: tx)
        }
        return try tx.replicas(of: primary.id).map(Self.replicationStatus) + failures
    }

    static let replicateAction = "secretsmanager:ReplicateSecretToRegions"
    static let deleteAction = "secretsmanager:DeleteSecret"

    /// ReplicateSecretToRegions.
    public func replicateSecretToRegions(
        _ request: ReplicateSecretToRegionsRequest,
        context: RequestContext
    ) async throws -> ReplicateSecretToRegionsResponse {
        guard !request.AddReplicaRegions.isEmpty else { throw SecretsManagerError.missingParameter("AddReplicaRegions") }
        let regions = try Self.validateReplicaRegions(request.AddReplicaRegions, primaryRegion: context.region)
        return try await self.write { tx in
            let primary = try self.resolveWritable(request.SecretId, in: tx, context: context)
            let status = try self.addReplicas(
                regions,
                of: primary,
                overwrite: request.ForceOverwriteReplicaSecret ?? false,
                in: tx,
                context: context
            )
            return ReplicationResponse(ARN: primary.arn, ReplicationStatus: status)
        }
    }

    /// RemoveRegionsFromReplication: deletes the replicas in those regions.
    public func removeRegionsFromReplication(
        _ request: RemoveRegionsFromReplicationRequest,
        context: RequestContext
    ) async throws -> RemoveRegionsFromReplicationResponse {
        guard !request.RemoveReplicaRegions.isEmpty else { throw SecretsManagerError.missingParameter("RemoveReplicaRegions") }
        return try await self.write { tx in
            let primary = try self.resolveWritable(request.SecretId, in: tx, context: context)
            let replicas = try tx.replicas(of: primary.id)
            for region in request.RemoveReplicaRegions {
                guard let replica = replicas.first(where: { $0.scope.region == region }) else {
                    throw SecretsManagerError(.invalidParameter, "Invalid replica region.")
                }
                // The replica is a resource of its own region: a policy scoped to the primary's region reaches no other.
                context.trace.touched(replica.arn)
                try self.authorize(resource: replica.arn, account: replica.scope.account, secret: replica, in: tx, context: context)
                try self.recordChange(.deleted, of: replica, stages: .some(nil), by: context, in: tx)
                try tx.deleteSecret(id: replica.id)
            }
            return ReplicationResponse(ARN: primary.arn, ReplicationStatus: try tx.replicas(of: primary.id).map(Self.replicationStatus))
        }
    }

    /// StopReplicationToReplica: promotes a replica (called in its region) to a standalone secret.
    public func stopReplicationToReplica(
        _ request: StopReplicationToReplicaRequest,
        context: RequestContext
    ) async throws -> StopReplicationToReplicaResponse {
        try await self.write { tx in
            var replica = try self.resolve(request.SecretId, in: tx, context: context)
            guard replica.deletedDate == nil else { throw SecretsManagerError.markedForDeletion }
            guard replica.isReplica else {
                throw SecretsManagerError(.invalidRequest, "The secret \(replica.name) is not a replica secret.")
            }
            let primary = try self.dataOwner(of: replica, in: tx)
            replica.primaryId = nil
            replica.description = primary.description
            replica.type = primary.type
            replica.kmsKeyReference = replica.replicaKmsKeyReference
            replica.kmsKeyId = try self.envelope.provider.resolve(replica.replicaKmsKeyReference, in: tx)
            replica.replicaKmsKeyReference = nil
            replica.lastChangedDate = self.now()
            try tx.updateSecret(replica)
            for version in try tx.versions(secretId: primary.id).reversed() {
                var copy = version
                copy.secretId = replica.id
                let value = try self.open(version, of: primary, in: tx)
                let sealed = try self.envelope.seal(
                    value.bytes,
                    keyId: replica.kmsKeyId,
                    context: EncryptionContext(secretARN: replica.arn, versionId: version.versionId),
                    in: tx
                )
                copy.kmsKeyId = sealed.keyId
                copy.wrappedDataKey = sealed.wrappedDataKey
                copy.ciphertext = sealed.ciphertext
                try tx.insertVersion(copy)
            }
            try tx.replaceStages(secretId: replica.id, with: try tx.stages(secretId: primary.id))
            try tx.replaceTags(secretId: replica.id, with: try tx.tags(secretId: primary.id))
            try self.recordChange(.updated, of: replica, by: context, in: tx)
            return StopReplicationToReplicaResponse(ARN: replica.arn)
        }
    }
}
