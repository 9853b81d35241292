import Foundation
import LockstepCore
import LockstepService
import Testing

@Suite struct ReplicationTests {
    @Test func replicasAreReadOnlyCopiesInSyncWithThePrimary() async throws {
        let h = try Harness()
        let eu = h.context(region: "eu-west-1")
        let primary = try await h.create("shared", "v1")
        let replicated = try await h.manager.replicateSecretToRegions(
            ReplicateSecretToRegionsRequest(SecretId: "shared", AddReplicaRegions: [ReplicaRegionType(Region: "eu-west-1")]),
            context: h.context
        )
        #expect(replicated.ReplicationStatus.map(\.Region) == ["eu-west-1"])
        #expect(replicated.ReplicationStatus.first?.Status == "InSync")

        let replicaARN = primary.ARN.replacingOccurrences(of: "us-east-1", with: "eu-west-1")
        let read = try await h.manager.getSecretValue(GetSecretValueRequest(SecretId: "shared"), context: eu)
        #expect(read.SecretString?.value == "v1")
        #expect(read.ARN == replicaARN)

        // A write to the primary shows in the replica at once.
        try await h.put("shared", "v2")
        #expect(try await h.manager.getSecretValue(GetSecretValueRequest(SecretId: "shared"), context: eu).SecretString?.value == "v2")

        // Writes to the replica are refused.
        let write = await awsError {
            try await h.manager.putSecretValue(
                PutSecretValueRequest(SecretId: "shared", ClientRequestToken: Harness.token(), SecretString: "x"),
                context: eu
            )
        }
        #expect(write == .replicaIsReadOnly)
        let describeReplica = try await h.manager.describeSecret(DescribeSecretRequest(SecretId: "shared"), context: eu)
        #expect(describeReplica.PrimaryRegion == "us-east-1")
        let describePrimary = try await h.manager.describeSecret(DescribeSecretRequest(SecretId: "shared"), context: h.context)
        #expect(describePrimary.ReplicationStatus?.map(\.Region) == ["eu-west-1"])

        // A primary with replicas can't be deleted.
        #expect(
            await awsError { try await h.manager.deleteSecret(DeleteSecretRequest(SecretId: "shared"), context: h.context) }?.code == .invalidParameter
        )

        // Promotion: the replica keeps the value on its own, the primary can then go.
        _ = try await h.manager.stopReplicationToReplica(StopReplicationToReplicaRequest(SecretId: "shared"), context: eu)
        _ = try await h.manager.deleteSecret(DeleteSecretRequest(SecretId: "shared", ForceDeleteWithoutRecovery: true), context: h.context)
        let promoted = try await h.manager.getSecretValue(GetSecretValueRequest(SecretId: "shared"), context: eu)
        #expect(promoted.SecretString?.value == "v2")
        #expect(promoted.VersionStages == ["AWSCURRENT"])
        let put = try await h.manager.putSecretValue(
            PutSecretValueRequest(SecretId: "shared", ClientRequestToken: Harness.token(), SecretString: "v3"),
            context: eu
        )
        #expect(put.VersionStages == ["AWSCURRENT"])
    }

    @Test func removeRegionsDeletesTheReplicaAndNameClashesFail() async throws {
        let h = try Harness()
        let eu = h.context(region: "eu-west-1")
        _ = try await h.manager.createSecret(CreateSecretRequest(Name: "taken", ClientRequestToken: Harness.token(), SecretString: "eu"), context: eu)
        try await h.create("taken", "us")
        let clash = try await h.manager.replicateSecretToRegions(
            ReplicateSecretToRegionsRequest(SecretId: "taken", AddReplicaRegions: [ReplicaRegionType(Region: "eu-west-1")]),
            context: h.context
        )
        #expect(clash.ReplicationStatus.first?.Status == "Failed")
        #expect(try await h.manager.getSecretValue(GetSecretValueRequest(SecretId: "taken"), context: eu).SecretString?.value == "eu")
        let forced = try await h.manager.replicateSecretToRegions(
            ReplicateSecretToRegionsRequest(
                SecretId: "taken",
                AddReplicaRegions: [ReplicaRegionType(Region: "eu-west-1")],
                ForceOverwriteReplicaSecret: true
            ),
            context: h.context
        )
        #expect(forced.ReplicationStatus.first?.Status == "InSync")
        #expect(try await h.manager.getSecretValue(GetSecretValueRequest(SecretId: "taken"), context: eu).SecretString?.value == "us")
        let removed = try await h.manager.removeRegionsFromReplication(
            RemoveRegionsFromReplicationRequest(SecretId: "taken", RemoveReplicaRegions: ["eu-west-1"]),
            context: h.context
        )
        #expect(removed.ReplicationStatus.isEmpty)
        #expect(await awsError { try await h.manager.getSecretValue(GetSecretValueRequest(SecretId: "taken"), context: eu) } == .secretNotFound)
        let bad = await awsError {
            try await h.manager.replicateSecretToRegions(
                ReplicateSecretToRegionsRequest(SecretId: "taken", AddReplicaRegions: [ReplicaRegionType(Region: "Mars")]),
                context: h.context
            )
        }
        #expect(bad?.code == .invalidParameter)
    }
}
