import Foundation
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
            guard isRegionName(replica.Region) else {
                throw SecretsManagerError(.invalidParameter, "Invalid replica region \(replica.Region).")
            }
            guard replica.Region != primaryRegion else {
                throw SecretsManagerError(.invalidParameter, "Invalid replica region: \(replica.Region) is the primary region of the secret.")
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
    func addReplicas(
        _ regions: [ReplicaRegionType],
        of primary: SecretRecord,
        overwrite: Bool,
        in tx: any SecretStoreTransaction
    ) throws -> [ReplicationStatusType] {
        var failures: [ReplicationStatusType] = []
        let primaryARN = SecretARN.parse(primary.arn)!
        for region in regions {
            let scope = Scope(account: primary.scope.account, region: region.Region)
            if let existing = try tx.secret(scope: scope, name: primary.name) {
                if existing.primaryId == primary.id { continue }
                guard overwrite, try tx.replicas(of: existing.id).isEmpty else {
                    failures.append(
                        ReplicationStatusType(
                            Region: region.Region,
                            KmsKeyId: region.KmsKeyId,
                            Status: "Failed",
                            StatusMessage: "Replication failed: Secret name \(primary.name) already exists in region \(region.Region)."
                        )
                    )
                    continue
                }
                try tx.deleteSecret(id: existing.id)
            }
            if let reference = region.KmsKeyId { _ = try self.envelope.provider.resolve(reference, in: tx) }
            let now = self.now()
            _ = try tx.insertSecret(
                SecretRecord(
                    scope: scope,
                    name: primary.name,
                    arn: primaryARN.inRegion(region.Region).description,
                    kmsKeyId: primary.kmsKeyId,
                    createdDate: now,
                    lastChangedDate: now,
                    primaryId: primary.id,
                    replicaKmsKeyReference: region.KmsKeyId
                )
            )
        }
        return try tx.replicas(of: primary.id).map(Self.replicationStatus) + failures
    }

    /// ReplicateSecretToRegions.
    public func replicateSecretToRegions(
        _ request: ReplicateSecretToRegionsRequest,
        context: RequestContext
    ) async throws -> ReplicateSecretToRegionsResponse {
        guard !request.AddReplicaRegions.isEmpty else { throw SecretsManagerError.missingParameter("AddReplicaRegions") }
        let regions = try Self.validateReplicaRegions(request.AddReplicaRegions, primaryRegion: context.region)
        return try await self.write { tx in
            let primary = try self.resolveWritable(request.SecretId, in: tx, context: context)
            let status = try self.addReplicas(regions, of: primary, overwrite: request.ForceOverwriteReplicaSecret ?? false, in: tx)
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
                    throw SecretsManagerError(.invalidParameter, "The secret isn't replicated to region \(region).")
                }
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
            return StopReplicationToReplicaResponse(ARN: replica.arn)
        }
    }
}
