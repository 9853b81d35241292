import Foundation
import LockstepCore
import LockstepService
import LockstepStore
import Synchronization
import Testing

/// Lifecycle events a test can read back.
final class RecordedEvents: LifecycleEventSink {
    private let events = Mutex<[LifecycleEvent]>([])

    func record(_ event: LifecycleEvent) { self.events.withLock { $0.append(event) } }

    var names: [String] { self.events.withLock { $0.map(\.name) } }
}

/// RotateSecret and CancelRotateSecret as AWS defines them (spec §3.3–§3.5), over the real store. The engine that
/// runs the steps is tested in LockstepRotationTests; here nothing runs them.
@Suite struct RotateSecretTests {
    let harness: Harness
    let events = RecordedEvents()
    let manager: SecretsManager

    init() throws {
        self.harness = try Harness()
        let events = self.events
        self.manager = self.harness.manager.with(rotation: RotationHooks(canInvoke: { $0 == "known-rotator" }, events: events))
    }

    var context: RequestContext { self.harness.context }

    func rotate(_ id: String, lambda: String? = "known-rotator", rules: RotationRulesType? = nil, immediately: Bool? = nil, token: String? = nil)
        async throws -> RotateSecretResponse
    {
        try await self.manager.rotateSecret(
            RotateSecretRequest(
                SecretId: id,
                ClientRequestToken: token,
                RotationLambdaARN: lambda,
                RotationRules: rules,
                RotateImmediately: immediately
            ),
            context: self.context
        )
    }

    func describe(_ id: String) async throws -> DescribeSecretResponse {
        try await self.manager.describeSecret(DescribeSecretRequest(SecretId: id), context: self.context)
    }

    func status(_ id: String) async throws -> RotationStatusEntry {
        try #require(try await self.manager.rotationStatus(secretId: id, context: self.context).first)
    }

    @Test func refusedWithoutAFunctionOrWithOneThatCannotBeInvoked() async throws {
        try await self.harness.create("a")
        let none = await awsError { try await self.rotate("a", lambda: nil) }
        #expect(none?.code == .invalidRequest)
        #expect(none?.message == "No Lambda rotation function ARN is associated with this secret.")
        let unknown = await awsError { try await self.rotate("a", lambda: "arn:aws:lambda:us-east-1:123456789012:function:nope") }
        #expect(unknown?.code == .accessDenied)
        #expect(unknown?.message.hasPrefix("Secrets Manager cannot invoke the specified Lambda function.") == true)
        // Nothing was stored: AWS shows no Rotation* fields afterwards.
        let description = try await self.describe("a")
        #expect(description.RotationEnabled == nil && description.RotationLambdaARN == nil && description.RotationRules == nil)
        #expect(self.events.names.isEmpty)
    }

    @Test func frequencyAndScheduleTogetherAreRejectedWithAWSsMessage() async throws {
        try await self.harness.create("a")
        let error = await awsError {
            try await self.rotate("a", rules: RotationRulesType(AutomaticallyAfterDays: 7, ScheduleExpression: "rate(10 days)"))
        }
        #expect(error?.code == .invalidParameter)
        #expect(error?.message == "You cannot specify both rotation frequency and schedule expression together.")
    }

    @Test func startQueuesAPlaceholderVersionUnderAWSPENDING() async throws {
        let created = try await self.harness.create("a", #"{"password":"old"}"#)
        let response = try await self.rotate("a", rules: RotationRulesType(AutomaticallyAfterDays: 30))
        let token = try #require(response.VersionId)
        #expect(try await self.harness.stages("a") == [created.VersionId!: ["AWSCURRENT"], token: ["AWSPENDING"]])
        // The placeholder has no value: AWS answers as if there were none.
        let pending = await awsError { try await self.harness.get("a", stage: "AWSPENDING") }
        #expect(pending?.code == .resourceNotFound)
        #expect(pending?.message == "Secrets Manager can't find the specified secret value for staging label: AWSPENDING")
        let byId = await awsError { try await self.harness.get("a", versionId: token) }
        #expect(byId?.message == "Secrets Manager can't find the specified secret value for VersionId: \(token)")
        #expect(try await self.harness.get("a").SecretString?.value == #"{"password":"old"}"#)

        let description = try await self.describe("a")
        #expect(description.RotationEnabled == true)
        #expect(description.RotationLambdaARN == "known-rotator")
        #expect(description.RotationRules == RotationRulesType(AutomaticallyAfterDays: 30))
        let status = try await self.status("a")
        #expect(status.Status == "running" && status.Step == "createSecret" && status.Attempts == 0 && status.VersionId == token)
        #expect(self.events.names == ["RotationStarted"])
    }

    @Test func aSecondRotationWhilePendingIsRefusedButTheSameTokenIsIdempotent() async throws {
        try await self.harness.create("a")
        let token = Harness.token()
        let first = try await self.rotate("a", token: token)
        #expect(try await self.rotate("a", token: token).VersionId == first.VersionId)
        let second = await awsError { try await self.rotate("a") }
        #expect(second?.code == .invalidRequest)
        #expect(second?.message == "A previous rotation isn't complete. That rotation will be reattempted.")
        #expect(try await self.harness.stages("a").values.filter { $0.contains("AWSPENDING") }.count == 1)
    }

    @Test func theRotatorsPutFillsThePlaceholder() async throws {
        try await self.harness.create("a", "v1")
        let token = try #require(try await self.rotate("a").VersionId)
        let put = try await self.harness.put("a", "v2", stages: ["AWSPENDING"], token: token)
        #expect(put.VersionStages == ["AWSPENDING"])
        #expect(try await self.harness.get("a", versionId: token, stage: "AWSPENDING").SecretString?.value == "v2")
        #expect(try await self.harness.get("a").SecretString?.value == "v1")
        // The same put again is a no-op; another value under the token is refused.
        _ = try await self.harness.put("a", "v2", stages: ["AWSPENDING"], token: token)
        let clash = await awsError { try await self.harness.put("a", "v3", stages: ["AWSPENDING"], token: token) }
        #expect(clash?.code == .resourceExists)
        #expect(try await self.status("a").Status == "running")
    }

    @Test func aManualPutAbandonsTheRotation() async throws {
        let created = try await self.harness.create("a", "v1")
        let token = try #require(try await self.rotate("a", rules: RotationRulesType(AutomaticallyAfterDays: 10)).VersionId)
        let manual = try await self.manager.putSecretValue(
            PutSecretValueRequest(SecretId: "a", ClientRequestToken: Harness.token(), SecretString: "manual"),
            context: self.context
        )
        let stages = try await self.harness.stages("a")
        #expect(stages[manual.VersionId] == ["AWSCURRENT"])
        #expect(stages[created.VersionId!] == ["AWSPREVIOUS"])
        #expect(stages[token] == nil)
        #expect(try await self.status("a").Status == "abandoned")
        #expect(self.events.names == ["RotationStarted", "RotationAbandoned"])
        // It counts as a rotation: the next one is scheduled from now, and a new rotation may start.
        let next = try #require(try await self.describe("a").NextRotationDate)
        #expect(next > self.harness.now.addingTimeInterval(9 * 86_400) && next < self.harness.now.addingTimeInterval(11 * 86_400 + 1))
        _ = try await self.rotate("a")
    }

    @Test func anUpdateSecretWithAValueAbandonsTooButADescriptionChangeDoesNot() async throws {
        try await self.harness.create("a", "v1")
        _ = try await self.rotate("a")
        _ = try await self.manager.updateSecret(UpdateSecretRequest(SecretId: "a", Description: "d"), context: self.context)
        #expect(try await self.status("a").Status == "running")
        _ = try await self.manager.updateSecret(
            UpdateSecretRequest(SecretId: "a", ClientRequestToken: Harness.token(), SecretString: "v2"),
            context: self.context
        )
        #expect(try await self.status("a").Status == "abandoned")
        #expect(try await self.harness.stages("a").values.contains { $0.contains("AWSPENDING") } == false)
    }

    @Test func cancelStopsTheRotationAndLeavesTheLabels() async throws {
        try await self.harness.create("a", "v1")
        let token = try #require(try await self.rotate("a", rules: RotationRulesType(ScheduleExpression: "rate(10 days)")).VersionId)
        let before = try await self.harness.stages("a")
        let cancelled = try await self.manager.cancelRotateSecret(CancelRotateSecretRequest(SecretId: "a"), context: self.context)
        #expect(cancelled.VersionId == token)
        #expect(try await self.harness.stages("a") == before)
        let description = try await self.describe("a")
        #expect(description.RotationEnabled == false)
        #expect(description.RotationRules == RotationRulesType(ScheduleExpression: "rate(10 days)"))
        #expect(description.NextRotationDate == nil)
        #expect(try await self.status("a").Status == "cancelled")
        // AWSPENDING still blocks a new rotation until the operator cleans it up (AWS's behaviour); the re-drive
        // queues the cancelled rotation again.
        let again = await awsError { try await self.rotate("a") }
        #expect(again?.message == "A previous rotation isn't complete. That rotation will be reattempted.")
        #expect(try await self.status("a").Status == "running")
    }

    @Test func rotateImmediatelyFalseTestsACopyOfTheCurrentValue() async throws {
        try await self.harness.create("a", "v1")
        let token = try #require(try await self.rotate("a", rules: RotationRulesType(AutomaticallyAfterDays: 5), immediately: false).VersionId)
        #expect(try await self.harness.get("a", versionId: token, stage: "AWSPENDING").SecretString?.value == "v1")
        let status = try await self.status("a")
        #expect(status.Step == "testSecret")
        #expect(self.events.names == ["TestRotationStarted"])
        // The schedule is set now, counted from now (never rotated).
        let next = try #require(status.NextRotationDate)
        #expect(next >= self.harness.now.addingTimeInterval(4 * 86_400))
    }

    @Test func deletedSecretsCannotRotate() async throws {
        try await self.harness.create("a")
        _ = try await self.manager.deleteSecret(DeleteSecretRequest(SecretId: "a"), context: self.context)
        let error = await awsError { try await self.rotate("a") }
        #expect(error?.code == .invalidRequest)
        #expect(error?.message == SecretsManagerError.markedForDeletion.message)
    }

    @Test func scheduledRotationsStartWhenDueAndTheEarliestDueTimeComesFromTheIndexes() async throws {
        try await self.harness.create("a", "v1")
        try await self.harness.create("b", "v1")
        // Configure both; cancel the rotations RotateSecret starts so only the schedule is left.
        for id in ["a", "b"] {
            _ = try await self.rotate(id, rules: RotationRulesType(AutomaticallyAfterDays: id == "a" ? 2 : 9), immediately: false)
        }
        // Finish nothing: the test-only rotations are due now.
        #expect(try await self.manager.earliestRotationDue() == self.harness.now)
        let claims = try await self.manager.claimDueRotations(owner: "t", lease: 60)
        #expect(claims.count == 2)
        for claim in claims { try await self.manager.recordStepSuccess(.testSecret, of: claim, owner: "t") }
        let nextA = try #require(try await self.describe("a").NextRotationDate)
        #expect(try await self.manager.earliestRotationDue() == nextA)
        #expect(try await self.manager.startScheduledRotations() == 0)
        self.harness.advance(days: 3)
        #expect(try await self.manager.startScheduledRotations() == 1)
        #expect(try await self.status("a").Status == "running")
        #expect(try await self.status("b").Status == "succeeded")
        #expect(try await self.describe("a").NextRotationDate == nil)
    }
}
