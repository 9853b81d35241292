import Foundation
import LockstepCore
import LockstepService
import LockstepStore
import Testing

/// The change feed as the service writes it: one change per effect, in the change's own transaction, none for a call
/// that failed, and long polls woken when a change commits.
@Suite struct ChangeFeedTests {
    let harness: Harness
    let manager: SecretsManager

    init() throws {
        self.harness = try Harness()
        self.manager = self.harness.manager.with(rotation: RotationHooks(canInvoke: { $0 == "known-rotator" }, events: RecordedEvents()))
    }

    var context: RequestContext { self.harness.context }

    func changes(after sequence: Int64) async throws -> [ChangeRecord] {
        try await self.manager.changes(after: sequence, limit: 1_000, wait: .zero, context: self.context).changes
    }

    func head() async throws -> Int64 {
        try await self.manager.changes(after: nil, limit: 1, wait: .zero, context: self.context).next
    }

    @Test func eachChangingCallRecordsWhatHappenedAndAFailedCallNothing() async throws {
        let start = try await self.head()
        let created = try await self.harness.create("s", "one")
        let put = try await self.harness.put("s", "two")
        _ = try await self.manager.updateSecretVersionStage(
            UpdateSecretVersionStageRequest(SecretId: "s", VersionStage: "mine", MoveToVersionId: created.VersionId),
            context: self.context
        )
        let rotation = try await self.manager.rotateSecret(
            RotateSecretRequest(SecretId: "s", ClientRequestToken: Harness.token(), RotationLambdaARN: "known-rotator"),
            context: self.context
        )
        let manual = try await self.harness.put("s", "three")  // takes AWSCURRENT from the unfinished rotation
        _ = try await self.manager.deleteSecret(DeleteSecretRequest(SecretId: "s"), context: self.context)
        _ = try await self.manager.restoreSecret(RestoreSecretRequest(SecretId: "s"), context: self.context)
        _ = try await self.manager.deleteSecret(DeleteSecretRequest(SecretId: "s", ForceDeleteWithoutRecovery: true), context: self.context)
        #expect(await awsError { try await self.harness.put("missing", "x") }?.code == .resourceNotFound)

        let recorded = try await self.changes(after: start)
        #expect(
            recorded.map(\.kind) == [
                .created, .valuePut, .labelsMoved, .rotationStarted, .rotationAbandoned, .valuePut, .deletionScheduled, .restored,
                .deleted,
            ]
        )
        #expect(Set(recorded.map(\.secretARN)) == [created.ARN])
        #expect(recorded[1].versionId == put.VersionId && recorded[1].stages?.version(for: "AWSCURRENT") == put.VersionId)
        #expect(recorded[1].stages?.version(for: "AWSPREVIOUS") == created.VersionId)
        #expect(recorded[3].versionId == rotation.VersionId && recorded[3].stages?.version(for: "AWSPENDING") == rotation.VersionId)
        #expect(recorded[4].versionId == rotation.VersionId && recorded[4].stages?.version(for: "AWSPENDING") == nil)
        #expect(recorded[5].versionId == manual.VersionId)
        #expect(recorded.last?.stages == nil)
    }

    @Test func aChangeRemembersTheCallThatMadeItNeverItsBody() async throws {
        let start = try await self.head()
        try await self.harness.create("called", "first-SENTINEL")
        var context = self.context
        context.operation = "RotateSecret"  // as the dispatcher sets it
        let rotation = try await self.manager.rotateSecret(
            RotateSecretRequest(SecretId: "called", ClientRequestToken: Harness.token(), RotationLambdaARN: "known-rotator"),
            context: context
        )
        context.operation = "PutSecretValue"
        let put = try await self.manager.putSecretValue(
            PutSecretValueRequest(SecretId: "called", ClientRequestToken: Harness.token(), SecretString: Sensitive("second-SENTINEL")),
            context: context
        )
        let recorded = try await self.changes(after: start)
        #expect(recorded.map(\.kind) == [.created, .rotationStarted, .rotationAbandoned, .valuePut])
        // The harness calls the service directly, without an operation: no call is remembered.
        #expect(recorded[0].call == nil)
        #expect(recorded[1].call?.operation == "RotateSecret" && recorded[1].versionId == rotation.VersionId)
        #expect(recorded[1].call?.identityType == "Root" && recorded[1].call?.requestID == context.requestID)
        // The abandonment follows from the PutSecretValue: a service event, the call recorded once, on the value.
        #expect(recorded[2].call == nil)
        #expect(recorded[3].call?.operation == "PutSecretValue" && recorded[3].versionId == put.VersionId)
        #expect(!"\(recorded)".contains("SENTINEL"))
    }

    @Test func aLongPollAnswersWhenAChangeCommits() async throws {
        let start = try await self.head()
        let clock = ContinuousClock()
        let began = clock.now
        let poll = Task { try await self.manager.changes(after: start, limit: 10, wait: .seconds(30), context: self.context) }
        try await self.harness.create("woken")
        let page = try await poll.value
        #expect(page.changes.map(\.secretName) == ["woken"])
        #expect(clock.now - began < .seconds(15))  // woken, not timed out (30 s), even on a loaded machine
        // Nothing new: the poll waits out its time and answers where it stands.
        let quiet = try await self.manager.changes(after: page.next, limit: 10, wait: .milliseconds(200), context: self.context)
        #expect(quiet.changes.isEmpty && quiet.next == page.next && !quiet.reset)
    }

    @Test func aConsumerPastTheEndOrBehindRetentionStartsAgain() async throws {
        try await self.harness.create("a")
        try await self.harness.create("b")
        let head = try await self.head()
        #expect(try await self.manager.changes(after: head + 100, limit: 10, wait: .zero, context: self.context).reset)
        #expect(try await self.manager.pruneChanges(olderThan: 0, keepingAtMost: 1) >= 1)
        let behind = try await self.manager.changes(after: 0, limit: 10, wait: .zero, context: self.context)
        #expect(behind.reset && behind.changes.isEmpty && behind.next == head)
        #expect(try await !self.manager.changes(after: head, limit: 10, wait: .zero, context: self.context).reset)
    }

    @Test func theFeedRequestRefusesWhatItCannotRead() throws {
        #expect(try ChangeFeedRequest(query: "") == ChangeFeedRequest())
        #expect(try ChangeFeedRequest(query: "after=12&wait=20&limit=1000&other=x") == ChangeFeedRequest(after: 12, waitSeconds: 20, limit: 1_000))
        for bad in ["after=-1", "after=1x", "after=", "wait=21", "limit=0", "limit=1001", "after=1&after=2", "after=99999999999999999999"] {
            #expect(throws: SecretsManagerError.self, "\(bad)") { try ChangeFeedRequest(query: bad) }
        }
    }
}
