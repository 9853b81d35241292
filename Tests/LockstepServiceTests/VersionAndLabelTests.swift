import Foundation
import LockstepCore
import LockstepService
import Testing

@Suite struct VersionAndLabelTests {
    @Test func createThenGetReturnsTheValueLabelledCurrent() async throws {
        let h = try Harness()
        let created = try await h.create("db/app", #"{"username":"app"}"#)
        let value = try await h.get("db/app")
        #expect(value.SecretString?.value == #"{"username":"app"}"#)
        #expect(value.VersionId == created.VersionId)
        #expect(value.VersionStages == ["AWSCURRENT"])
        #expect(value.ARN == created.ARN)
        #expect(created.ARN.hasPrefix("arn:aws:secretsmanager:us-east-1:123456789012:secret:db/app-"))
        #expect(created.ARN.count == "arn:aws:secretsmanager:us-east-1:123456789012:secret:db/app-".count + 6)
    }

    @Test func binaryValuesRoundTrip() async throws {
        let h = try Harness()
        let bytes = Data((0...255).map(UInt8.init))
        _ = try await h.manager.createSecret(
            CreateSecretRequest(Name: "bin", ClientRequestToken: Harness.token(), SecretBinary: Sensitive(bytes)),
            context: h.context
        )
        let value = try await h.get("bin")
        #expect(value.SecretBinary?.value == bytes)
        #expect(value.SecretString == nil)
    }

    @Test func putMovesCurrentAndPreviousAndStripsPendingFromTheDemotedVersion() async throws {
        let h = try Harness()
        let v1 = try await h.create("s", "one").VersionId!
        let v2 = try await h.put("s", "two").VersionId
        #expect(try await h.stages("s") == [v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT"]])
        // Put AWSPENDING on the current version, then a plain put: the demoted version loses it.
        _ = try await h.manager.updateSecretVersionStage(
            UpdateSecretVersionStageRequest(SecretId: "s", VersionStage: "AWSPENDING", MoveToVersionId: v2),
            context: h.context
        )
        #expect(try await h.stages("s")[v2] == ["AWSCURRENT", "AWSPENDING"])
        let v3 = try await h.put("s", "three").VersionId
        #expect(try await h.stages("s") == [v2: ["AWSPREVIOUS"], v3: ["AWSCURRENT"]])
        #expect(try await h.get("s", stage: "AWSPREVIOUS").SecretString?.value == "two")
    }

    @Test func putWithCustomStagesLeavesCurrentAlone() async throws {
        let h = try Harness()
        let v1 = try await h.create("s", "one").VersionId!
        let v2 = try await h.put("s", "two", stages: ["BLUE"]).VersionId
        #expect(try await h.stages("s") == [v1: ["AWSCURRENT"], v2: ["BLUE"]])
        let v3 = try await h.put("s", "three", stages: ["BLUE"]).VersionId
        // v2 lost its only label: deprecated, so absent from VersionIdsToStages.
        #expect(try await h.stages("s") == [v1: ["AWSCURRENT"], v3: ["BLUE"]])
        let all = try await h.manager.listSecretVersionIds(ListSecretVersionIdsRequest(SecretId: "s", IncludeDeprecated: true), context: h.context)
        #expect(all.Versions.map(\.VersionId) == [v3, v2, v1])
        #expect(all.Versions[1].VersionStages == nil)
        let labelled = try await h.manager.listSecretVersionIds(ListSecretVersionIdsRequest(SecretId: "s"), context: h.context)
        #expect(labelled.Versions.map(\.VersionId) == [v3, v1])
    }

    @Test func firstValueOfAnEmptySecretGetsCurrentWhateverWasAsked() async throws {
        let h = try Harness()
        let created = try await h.create("empty", nil)
        #expect(created.VersionId == nil)
        #expect(await awsError { try await h.get("empty") } == .stageNotFound("AWSCURRENT"))
        let v1 = try await h.put("empty", "first", stages: ["CUSTOM"]).VersionId
        #expect(try await h.stages("empty") == [v1: ["AWSCURRENT", "CUSTOM"]])
    }

    @Test func sameTokenSameValueIsANoOpAndOtherValueIsRefused() async throws {
        let h = try Harness()
        try await h.create("s", "one")
        let token = Harness.token()
        let first = try await h.put("s", "two", token: token)
        let again = try await h.put("s", "two", token: token)
        #expect(first.VersionId == again.VersionId)
        #expect(again.VersionStages == ["AWSCURRENT"])
        let versions = try await h.manager.listSecretVersionIds(
            ListSecretVersionIdsRequest(SecretId: "s", IncludeDeprecated: true),
            context: h.context
        )
        #expect(versions.Versions.count == 2)
        let error = await awsError { try await h.put("s", "different", token: token) }
        #expect(error?.code == .resourceExists)
        #expect(error?.message.contains("different") == false)
    }

    @Test func createWithTheSameTokenAndValueIsIdempotent() async throws {
        let h = try Harness()
        let request = CreateSecretRequest(Name: "idem", ClientRequestToken: Harness.token(), SecretString: "v")
        let first = try await h.manager.createSecret(request, context: h.context)
        let second = try await h.manager.createSecret(request, context: h.context)
        #expect(first == second)
        var other = request
        other.SecretString = "w"
        // The token of an existing version with another value: AWS names the token, not the name.
        #expect(
            await awsError { try await h.manager.createSecret(other, context: h.context) }
                == .clientRequestTokenInUse(request.ClientRequestToken!, secretARN: first.ARN)
        )
        other.ClientRequestToken = Harness.token()
        #expect(await awsError { try await h.manager.createSecret(other, context: h.context) } == .secretExists("idem"))
    }

    @Test func tokensMustBe32To64Characters() async throws {
        let h = try Harness()
        try await h.create("s")
        #expect(await awsError { try await h.put("s", "x", token: "short") }?.code == .validation)
        #expect(await awsError { try await h.put("s", "x", token: String(repeating: "a", count: 65)) }?.code == .validation)
        try await h.put("s", "x", token: String(repeating: "a", count: 32))
        try await h.put("s", "y", token: String(repeating: "b", count: 64))
    }

    @Test func missingTokenGetsAWSMessage() async throws {
        let h = try Harness()
        try await h.create("s")
        let error = await awsError {
            try await h.manager.putSecretValue(PutSecretValueRequest(SecretId: "s", SecretString: "x"), context: h.context)
        }
        #expect(error == .missingClientRequestToken)
        #expect(error?.code == .invalidRequest)
        // Neither value: that is the error, token or not.
        let noValue = await awsError {
            try await h.manager.putSecretValue(PutSecretValueRequest(SecretId: "s", ClientRequestToken: Harness.token()), context: h.context)
        }
        #expect(noValue == .missingSecretValue)
        #expect(noValue?.code == .invalidRequest)
        #expect(await awsError { try await h.manager.putSecretValue(PutSecretValueRequest(SecretId: "s"), context: h.context) } == .missingSecretValue)
    }

    @Test func updateSecretVersionStageRules() async throws {
        let h = try Harness()
        let v1 = try await h.create("s", "one").VersionId!
        let v2 = try await h.put("s", "two", stages: ["AWSPENDING"]).VersionId
        // Moving AWSCURRENT needs RemoveFromVersionId naming the holder.
        let missing = await awsError {
            try await h.manager.updateSecretVersionStage(
                UpdateSecretVersionStageRequest(SecretId: "s", VersionStage: "AWSCURRENT", MoveToVersionId: v2),
                context: h.context
            )
        }
        #expect(missing?.code == .invalidParameter)
        #expect(missing?.message.contains(v1) == true)
        _ = try await h.manager.updateSecretVersionStage(
            UpdateSecretVersionStageRequest(SecretId: "s", VersionStage: "AWSCURRENT", RemoveFromVersionId: v1, MoveToVersionId: v2),
            context: h.context
        )
        // The target keeps AWSPENDING; the demoted version gets AWSPREVIOUS.
        #expect(try await h.stages("s") == [v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT", "AWSPENDING"]])
        // Unknown target version.
        let unknown = String(repeating: "f", count: 36)
        #expect(
            await awsError {
                try await h.manager.updateSecretVersionStage(
                    UpdateSecretVersionStageRequest(SecretId: "s", VersionStage: "X", MoveToVersionId: unknown),
                    context: h.context
                )
            } == .versionNotFound(unknown)
        )
    }

    @Test func versionIdAndStageMustAgree() async throws {
        let h = try Harness()
        let v1 = try await h.create("s", "one").VersionId!
        try await h.put("s", "two")
        #expect(try await h.get("s", versionId: v1, stage: "AWSPREVIOUS").SecretString?.value == "one")
        #expect(await awsError { try await h.get("s", versionId: v1, stage: "AWSCURRENT") } == .stageVersionMismatch)
        #expect(await awsError { try await h.get("s", stage: "NOPE") } == .stageNotFound("NOPE"))
        let unknown = String(repeating: "e", count: 40)
        #expect(await awsError { try await h.get("s", versionId: unknown) } == .versionNotFound(unknown))
    }

    @Test func moreThanTwentyLabelsOnAVersionIsRefusedAndChangesNothing() async throws {
        let h = try Harness()
        try await h.create("s", "one")
        let labels = (1...20).map { "L\($0)" }
        let v2 = try await h.put("s", "two", stages: labels).VersionId
        let before = try await h.stages("s")
        let error = await awsError {
            try await h.manager.updateSecretVersionStage(
                UpdateSecretVersionStageRequest(SecretId: "s", VersionStage: "L21", MoveToVersionId: v2),
                context: h.context
            )
        }
        #expect(error?.code == .limitExceeded)
        #expect(try await h.stages("s") == before)
        #expect(await awsError { try await h.put("s", "three", stages: labels + ["L21"]) }?.code == .validation)
    }

    @Test func deprecatedVersionsBeyondTheNewestHundredArePruned() async throws {
        let h = try Harness()
        let first = try await h.create("s", "v0").VersionId!
        _ = try await h.put("s", "pinned", stages: ["KEEP"])
        for index in 1...110 { try await h.put("s", "v\(index)") }
        let all = try await h.manager.listSecretVersionIds(
            ListSecretVersionIdsRequest(SecretId: "s", MaxResults: 100, IncludeDeprecated: true),
            context: h.context
        )
        var ids = all.Versions.map(\.VersionId)
        var next = all.NextToken
        while let token = next {
            let page = try await h.manager.listSecretVersionIds(
                ListSecretVersionIdsRequest(SecretId: "s", MaxResults: 100, NextToken: token, IncludeDeprecated: true),
                context: h.context
            )
            ids += page.Versions.map(\.VersionId)
            next = page.NextToken
        }
        // 3 labelled (AWSCURRENT, AWSPREVIOUS, KEEP) + 100 deprecated.
        #expect(ids.count == 103)
        #expect(Set(ids).count == 103)
        #expect(!ids.contains(first))
        #expect(try await h.get("s", stage: "KEEP").SecretString?.value == "pinned")
    }

    @Test func updateSecretWithAValueMovesCurrentAndAnswersARetry() async throws {
        let h = try Harness()
        let v1 = try await h.create("s", "one").VersionId!
        let token = Harness.token()
        let updated = try await h.manager.updateSecret(
            UpdateSecretRequest(SecretId: "s", ClientRequestToken: token, Description: "d", SecretString: "two"),
            context: h.context
        )
        #expect(updated.VersionId == token)
        #expect(try await h.stages("s") == [v1: ["AWSPREVIOUS"], token: ["AWSCURRENT"]])
        // An SDK's retry (same token, same value) succeeds with that version and makes no other.
        let retry = try await h.manager.updateSecret(
            UpdateSecretRequest(SecretId: "s", ClientRequestToken: token, SecretString: "two"),
            context: h.context
        )
        #expect(retry.VersionId == token)
        #expect(try await h.stages("s") == [v1: ["AWSPREVIOUS"], token: ["AWSCURRENT"]])
        // The same token with another value is refused.
        let again = await awsError {
            try await h.manager.updateSecret(UpdateSecretRequest(SecretId: "s", ClientRequestToken: token, SecretString: "three"), context: h.context)
        }
        #expect(again?.code == .resourceExists)
        #expect(again?.message.hasPrefix("You can't use ClientRequestToken \(token) because that value is already in use") == true)
        let describe = try await h.manager.describeSecret(DescribeSecretRequest(SecretId: "s"), context: h.context)
        #expect(describe.Description == "d")
        // Metadata-only update needs no token and makes no version.
        let metadata = try await h.manager.updateSecret(UpdateSecretRequest(SecretId: "s", Description: "e"), context: h.context)
        #expect(metadata.VersionId == nil)
    }
}
