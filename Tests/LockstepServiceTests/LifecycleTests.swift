import Foundation
import LockstepCore
import LockstepService
import Testing

@Suite struct LifecycleTests {
    @Test func deletionWindowRestoreAndPurge() async throws {
        let h = try Harness()
        let created = try await h.create("doomed", "v")
        let deleted = try await h.manager.deleteSecret(DeleteSecretRequest(SecretId: "doomed"), context: h.context)
        #expect(deleted.DeletionDate == h.now.addingTimeInterval(30 * 86_400))
        #expect(await awsError { try await h.get("doomed") } == .markedForDeletion)
        #expect(await awsError { try await h.put("doomed", "w") } == .markedForDeletion)
        #expect(await awsError { try await h.create("doomed") } == .nameScheduledForDeletion)
        let describe = try await h.manager.describeSecret(DescribeSecretRequest(SecretId: "doomed"), context: h.context)
        #expect(describe.DeletedDate == h.now)
        #expect(try await h.manager.listSecrets(ListSecretsRequest(), context: h.context).SecretList.isEmpty)
        let planned = try await h.manager.listSecrets(ListSecretsRequest(IncludePlannedDeletion: true), context: h.context)
        #expect(planned.SecretList.map(\.ARN) == [created.ARN])

        _ = try await h.manager.restoreSecret(RestoreSecretRequest(SecretId: "doomed"), context: h.context)
        #expect(try await h.get("doomed").SecretString?.value == "v")

        _ = try await h.manager.deleteSecret(DeleteSecretRequest(SecretId: "doomed", RecoveryWindowInDays: 7), context: h.context)
        h.advance(days: 6.9)
        #expect(await awsError { try await h.get("doomed") } == .markedForDeletion)
        h.advance(days: 0.2)
        #expect(await awsError { try await h.get("doomed") } == .secretNotFound)
        #expect(try await h.manager.purgeExpiredSecrets() == 1)
        // The name is free again, with a new ARN.
        let again = try await h.create("doomed", "new")
        #expect(again.ARN != created.ARN)
    }

    @Test func deleteParameterRules() async throws {
        let h = try Harness()
        try await h.create("s")
        let both = await awsError {
            try await h.manager.deleteSecret(
                DeleteSecretRequest(SecretId: "s", RecoveryWindowInDays: 7, ForceDeleteWithoutRecovery: true),
                context: h.context
            )
        }
        #expect(both?.message == "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
        for days: Int64 in [6, 31] {
            let error = await awsError {
                try await h.manager.deleteSecret(DeleteSecretRequest(SecretId: "s", RecoveryWindowInDays: days), context: h.context)
            }
            #expect(error?.code == .invalidParameter)
        }
        let forced = try await h.manager.deleteSecret(DeleteSecretRequest(SecretId: "s", ForceDeleteWithoutRecovery: true), context: h.context)
        #expect(forced.DeletionDate == h.now)
        #expect(await awsError { try await h.get("s") } == .secretNotFound)
        // Forcing the deletion of a missing secret succeeds.
        let missing = try await h.manager.deleteSecret(DeleteSecretRequest(SecretId: "never", ForceDeleteWithoutRecovery: true), context: h.context)
        #expect(missing.Name == "never")
        #expect(await awsError { try await h.manager.deleteSecret(DeleteSecretRequest(SecretId: "never"), context: h.context) } == .secretNotFound)
    }

    @Test func lookupByNameFullARNAndPartialARN() async throws {
        let h = try Harness()
        let arn = try await h.create("team/db-creds", "v").ARN
        let partial = String(arn.dropLast(7))
        #expect(partial.hasSuffix(":secret:team/db-creds"))
        for id in ["team/db-creds", arn, partial] {
            #expect(try await h.get(id).ARN == arn)
        }
        #expect(await awsError { try await h.get(arn.replacingOccurrences(of: "us-east-1", with: "eu-west-1")) } == .secretNotFound)
        #expect(await awsError { try await h.get("team/db") } == .secretNotFound)
    }

    @Test func invalidNamesGetTheValidationMessage() async throws {
        let h = try Harness()
        for name in ["", "has space", "quote'", String(repeating: "a", count: 513), "emoji🙂"] {
            #expect(await awsError { try await h.create(name) } == .invalidName)
        }
        try await h.create(String(repeating: "a", count: 512))
        try await h.create("A-z0_9/+=.@-")
    }

    @Test func sizeLimitsOfValues() async throws {
        let h = try Harness()
        try await h.create("max", String(repeating: "x", count: 65_536))
        let error = await awsError { try await h.create("over", String(repeating: "x", count: 65_537)) }
        #expect(error?.code == .validation)
        #expect(await awsError { try await h.get("over") } == .secretNotFound)
    }

    @Test func tagsAddOverwriteRemoveAndLimit() async throws {
        let h = try Harness()
        try await h.create("s", tags: [Tag(Key: "env", Value: "dev")])
        _ = try await h.manager.tagResource(
            TagResourceRequest(SecretId: "s", Tags: [Tag(Key: "env", Value: "prod"), Tag(Key: "Env", Value: "x")]),
            context: h.context
        )
        var tags = try await h.manager.describeSecret(DescribeSecretRequest(SecretId: "s"), context: h.context).Tags
        #expect(tags == [Tag(Key: "env", Value: "prod"), Tag(Key: "Env", Value: "x")])
        _ = try await h.manager.untagResource(UntagResourceRequest(SecretId: "s", TagKeys: ["Env", "absent"]), context: h.context)
        tags = try await h.manager.describeSecret(DescribeSecretRequest(SecretId: "s"), context: h.context).Tags
        #expect(tags == [Tag(Key: "env", Value: "prod")])
        let many = (1...50).map { Tag(Key: "k\($0)", Value: "v") }
        let error = await awsError { try await h.manager.tagResource(TagResourceRequest(SecretId: "s", Tags: many), context: h.context) }
        #expect(error?.code == .limitExceeded)
        tags = try await h.manager.describeSecret(DescribeSecretRequest(SecretId: "s"), context: h.context).Tags
        #expect(tags?.count == 1)
    }

    @Test func lastAccessedDateHasDayResolution() async throws {
        let h = try Harness()
        try await h.create("s")
        #expect(try await h.manager.describeSecret(DescribeSecretRequest(SecretId: "s"), context: h.context).LastAccessedDate == nil)
        _ = try await h.get("s")
        let accessed = try await h.manager.describeSecret(DescribeSecretRequest(SecretId: "s"), context: h.context).LastAccessedDate
        #expect(accessed == DayResolution.truncate(h.now))
        #expect(accessed!.timeIntervalSince1970.truncatingRemainder(dividingBy: 86_400) == 0)
    }

    @Test func batchGetReportsPerSecretErrors() async throws {
        let h = try Harness()
        try await h.create("a", "A")
        try await h.create("b", "B")
        let result = try await h.manager.batchGetSecretValue(BatchGetSecretValueRequest(SecretIdList: ["a", "missing", "b"]), context: h.context)
        #expect(result.SecretValues.map { $0.SecretString?.value } == ["A", "B"])
        #expect(result.Errors.map(\.SecretId) == ["missing"])
        #expect(result.Errors.first?.ErrorCode == "ResourceNotFoundException")
        let filtered = try await h.manager.batchGetSecretValue(
            BatchGetSecretValueRequest(Filters: [Filter(Key: "name", Values: ["b"])]),
            context: h.context
        )
        #expect(filtered.SecretValues.map(\.Name) == ["b"])
        let both = await awsError {
            try await h.manager.batchGetSecretValue(BatchGetSecretValueRequest(SecretIdList: ["a"], Filters: []), context: h.context)
        }
        #expect(both?.code == .invalidParameter)
    }

    @Test func randomPasswordsFollowTheRequest() async throws {
        let h = try Harness()
        let password = try await h.manager.getRandomPassword(
            GetRandomPasswordRequest(PasswordLength: 40, ExcludeCharacters: "/@\"'\\", ExcludePunctuation: false),
            context: h.context
        ).RandomPassword.value
        #expect(password.count == 40)
        #expect(!password.contains { "/@\"'\\".contains($0) })
        #expect(
            await awsError { try await h.manager.getRandomPassword(GetRandomPasswordRequest(PasswordLength: 0), context: h.context) }?.code
                == .validation
        )
    }
}
