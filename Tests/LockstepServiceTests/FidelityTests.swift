import Foundation
import LockstepCore
import LockstepService
import Testing

/// Behaviours checked against AWS's API reference and AWS-recorded answers (docs/aws-behaviour.md), at the service.
/// The same rows run over HTTP with boto3 and the aws CLI in tests/compat/test_fidelity.py.
@Suite struct FidelityTests {
    @Test func tagsBecomeAnEmptyListOnceTheLastIsRemoved() async throws {
        let h = try Harness()
        try await h.create("never")
        try await h.create("tagged", tags: [Tag(Key: "team", Value: "a")])
        try await h.create("later")
        _ = try await h.manager.tagResource(TagResourceRequest(SecretId: "later", Tags: [Tag(Key: "k", Value: "v")]), context: h.context)
        for name in ["tagged", "later"] {
            let key = name == "tagged" ? "team" : "k"
            _ = try await h.manager.untagResource(UntagResourceRequest(SecretId: name, TagKeys: [key]), context: h.context)
        }
        func tags(_ name: String) async throws -> [LockstepCore.Tag]? {
            try await h.manager.describeSecret(DescribeSecretRequest(SecretId: name), context: h.context).Tags
        }
        #expect(try await tags("never") == nil)
        #expect(try await tags("tagged") == [])
        #expect(try await tags("later") == [])
        let listed = try await h.manager.listSecrets(ListSecretsRequest(), context: h.context).SecretList
        #expect(Dictionary(uniqueKeysWithValues: listed.map { ($0.Name, $0.Tags) }) == ["never": nil, "tagged": [], "later": []])
        // Untagging a never-tagged secret leaves it without the member.
        _ = try await h.manager.untagResource(UntagResourceRequest(SecretId: "never", TagKeys: ["x"]), context: h.context)
        #expect(try await tags("never") == nil)
    }

    @Test func externalRotationMembersAreStoredAndShown() async throws {
        let h = try Harness()
        let manager = h.manager.with(rotation: RotationHooks(canInvoke: { $0 == "known-rotator" }, events: RecordedEvents()))
        try await h.create("ext")
        let metadata = [ExternalSecretRotationMetadataItem(Key: "partner", Value: "p1"), ExternalSecretRotationMetadataItem(Key: "n", Value: "2")]
        let role = "arn:aws:iam::123456789012:role/partner-rotation"
        _ = try await manager.rotateSecret(
            RotateSecretRequest(
                SecretId: "ext",
                ClientRequestToken: Harness.token(),
                RotationLambdaARN: "known-rotator",
                ExternalSecretRotationMetadata: metadata,
                ExternalSecretRotationRoleArn: role
            ),
            context: h.context
        )
        let described = try await manager.describeSecret(DescribeSecretRequest(SecretId: "ext"), context: h.context)
        #expect(described.ExternalSecretRotationMetadata == metadata)
        #expect(described.ExternalSecretRotationRoleArn == role)
        let listed = try await manager.listSecrets(ListSecretsRequest(), context: h.context).SecretList.first
        #expect(listed?.ExternalSecretRotationMetadata == metadata)
        #expect(listed?.ExternalSecretRotationRoleArn == role)
    }

    @Test func typeRoundTrips() async throws {
        let h = try Harness()
        _ = try await h.manager.createSecret(
            CreateSecretRequest(Name: "typed", ClientRequestToken: Harness.token(), SecretString: "v", Type: "custom-type"),
            context: h.context
        )
        #expect(try await h.manager.describeSecret(DescribeSecretRequest(SecretId: "typed"), context: h.context).Type == "custom-type")
        _ = try await h.manager.updateSecret(UpdateSecretRequest(SecretId: "typed", Type: "other"), context: h.context)
        #expect(try await h.manager.describeSecret(DescribeSecretRequest(SecretId: "typed"), context: h.context).Type == "other")
    }

    @Test func deleteChecksTheWindowFirstWhetherOrNotTheSecretExists() async throws {
        let h = try Harness()
        try await h.create("d")
        for id in ["d", "missing"] {
            for days in [0, 6, 31] as [Int64] {
                let error = await awsError {
                    try await h.manager.deleteSecret(
                        DeleteSecretRequest(SecretId: id, RecoveryWindowInDays: days, ForceDeleteWithoutRecovery: true),
                        context: h.context
                    )
                }
                #expect(error?.code == .invalidParameter)
                #expect(error?.message == "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
            }
            let conflict = await awsError {
                try await h.manager.deleteSecret(
                    DeleteSecretRequest(SecretId: id, RecoveryWindowInDays: 7, ForceDeleteWithoutRecovery: true),
                    context: h.context
                )
            }
            #expect(conflict?.message == "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
        }
    }
}
