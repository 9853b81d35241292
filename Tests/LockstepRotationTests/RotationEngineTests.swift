import Foundation
import LockstepCore
import LockstepRotation
import LockstepService
import MetricsTestKit
import Synchronization
import Testing

/// A rotator whose steps do the minimum a real one does to the secret (createSecret writes the pending value) and
/// fail when the test says so. It tests the engine's decisions over the real store; the database rotators are
/// proven against real PostgreSQL and MariaDB in their own tests.
final class ScriptedRotator: Rotator {
    struct Call: Hashable {
        var step: RotationStep
        var mayHaveRun: Bool
    }

    private let state = Mutex<(failures: [RotationStep: [RotatorError]], calls: [Call])>(([:], []))
    let manager: Mutex<SecretsManager?> = Mutex(nil)
    /// Runs inside a step before it returns (to cancel, put a value or stop the engine mid-rotation).
    let during = Mutex<[RotationStep: @Sendable () async -> Void]>([:])

    func fail(_ step: RotationStep, _ errors: RotatorError...) { self.state.withLock { $0.failures[step, default: []] += errors } }

    var calls: [Call] { self.state.withLock { $0.calls } }

    func invoke(_ invocation: RotationInvocation) async throws(RotatorError) {
        let failure = self.state.withLock { state -> RotatorError? in
            state.calls.append(Call(step: invocation.step, mayHaveRun: invocation.stepMayHaveRun))
            return state.failures[invocation.step]?.isEmpty == false ? state.failures[invocation.step]!.removeFirst() : nil
        }
        if let hook = self.during.withLock({ $0[invocation.step] }) { await hook() }
        if let failure { throw failure }
        guard invocation.step == .createSecret, let manager = self.manager.withLock({ $0 }) else { return }
        do {
            _ = try await manager.putSecretValue(
                PutSecretValueRequest(
                    SecretId: invocation.secretARN,
                    ClientRequestToken: invocation.token,
                    SecretString: Sensitive("rotated-\(invocation.token)"),
                    VersionStages: ["AWSPENDING"]
                ),
                context: invocation.context
            )
        } catch {
            throw RotatorError(.validation, "put failed: \(error)")
        }
    }
}

@Suite struct RotationEngineTests {
    let harness: RotationHarness
    let rotator = ScriptedRotator()
    let manager: SecretsManager

    init() throws {
        self.harness = try RotationHarness()
        self.manager = self.harness.manager(accepting: ["scripted"])
        self.rotator.manager.withLock { $0 = self.manager }
    }

    func engine(owner: String = "runner-a", attempts: Int = 3) -> RotationEngine {
        RotationEngine(
            manager: self.manager,
            registry: RotatorRegistry(["scripted": self.rotator]),
            policy: RotationRetryPolicy(baseDelay: 60, maximumDelay: 600, maximumAttempts: attempts),
            owner: owner,
            lease: 120
        )
    }

    /// Creates secret `name` and queues a rotation; returns (current version, pending token).
    func start(_ name: String = "app", rules: RotationRulesType? = RotationRulesType(AutomaticallyAfterDays: 30)) async throws -> (String, String) {
        let created = try await self.manager.createSecret(
            CreateSecretRequest(Name: name, ClientRequestToken: UUID().uuidString, SecretString: "v1"),
            context: self.harness.context
        )
        let rotation = try await self.manager.rotateSecret(
            RotateSecretRequest(SecretId: name, RotationLambdaARN: "arn:aws:lambda:us-east-1:123456789012:function:scripted", RotationRules: rules),
            context: self.harness.context
        )
        return (created.VersionId!, rotation.VersionId!)
    }

    @Test func aRotationRunsTheFourStepsAndMovesTheLabelsInOneGo() async throws {
        let (old, token) = try await self.start()
        let outcomes = try await self.engine().runDueRotations()
        #expect(outcomes == [.succeeded])
        #expect(self.rotator.calls.map(\.step) == [.createSecret, .setSecret, .testSecret, .finishSecret])
        #expect(self.rotator.calls.allSatisfy { !$0.mayHaveRun })
        // AWS leaves exactly this: the new version AWSCURRENT alone, the old one AWSPREVIOUS, no AWSPENDING.
        #expect(try await self.harness.stages(self.manager, "app") == [token: ["AWSCURRENT"], old: ["AWSPREVIOUS"]])
        let value = try await self.manager.getSecretValue(GetSecretValueRequest(SecretId: "app"), context: self.harness.context)
        #expect(value.SecretString?.value == "rotated-\(token)")
        let description = try await self.harness.describe(self.manager, "app")
        #expect(description.LastRotatedDate == self.harness.clock.date)
        let next = try #require(description.NextRotationDate)
        #expect(next >= self.harness.clock.date.addingTimeInterval(29 * 86_400) && next <= self.harness.clock.date.addingTimeInterval(31 * 86_400))
        #expect(self.harness.events.names == ["RotationStarted", "RotationSucceeded"])
        #expect(try await self.harness.status(self.manager, "app")?.Status == "succeeded")
    }

    /// Runs end counted by result and rotator, each step's call timed; a rotator this process hasn't installed is
    /// `unknown`, whatever the secret names.
    @Test func rotationsAreCountedByResultAndRotatorAndStepsTimed() async throws {
        let metrics = TestMetrics()
        let engine = RotationEngine(
            manager: self.manager, registry: RotatorRegistry(["scripted": self.rotator]),
            policy: RotationRetryPolicy(baseDelay: 60, maximumDelay: 600, maximumAttempts: 3), owner: "runner-a", lease: 120, metrics: metrics
        )
        _ = try await self.start()
        self.rotator.fail(.testSecret, RotatorError(.network, "connection refused"))
        #expect(try await engine.runDueRotations().count == 1)  // waits to retry testSecret
        self.harness.clock.advance(by: .seconds(61))
        #expect(try await engine.runDueRotations() == [.succeeded])
        #expect(try metrics.expectCounter("lockstep_rotations_total", [("result", "retrying"), ("rotator", "scripted")]).totalValue == 1)
        #expect(try metrics.expectCounter("lockstep_rotations_total", [("result", "succeeded"), ("rotator", "scripted")]).totalValue == 1)
        let failed = try metrics.expectTimer("lockstep_rotation_step_duration_seconds", [("step", "testSecret"), ("rotator", "scripted"), ("result", "failed")])
        #expect(failed.values.count == 1)
        for step in RotationStep.allCases {
            let timer = try metrics.expectTimer("lockstep_rotation_step_duration_seconds", [("step", step.rawValue), ("rotator", "scripted"), ("result", "ok")])
            #expect(timer.values.count == 1 && timer.values.allSatisfy { $0 >= 0 })
        }
        let labels = RotationEngine(manager: self.manager, registry: RotatorRegistry(["scripted": self.rotator]), metrics: metrics)
        #expect(labels.rotatorLabel("arn:aws:lambda:us-east-1:123456789012:function:scripted:live") == "scripted")
        #expect(labels.rotatorLabel("arn:aws:lambda:us-east-1:123456789012:function:\(String(repeating: "x", count: 60))") == "unknown")
        #expect(labels.rotatorLabel("not an arn: at all") == "unknown")
    }

    @Test func aRetryableFailureWaitsThenResumesTheSameStepWithTheSameToken() async throws {
        let (old, token) = try await self.start()
        self.rotator.fail(.setSecret, RotatorError(.network, "connection refused"))
        let outcome = try await self.engine().runDueRotations()
        guard case .waiting(let until) = outcome.first else { Issue.record("expected a wait, got \(outcome)"); return }
        #expect(abs(until.timeIntervalSince(try #require(try await self.retryDate()))) < 0.001)
        let waiting = try #require(try await self.harness.status(self.manager, "app"))
        #expect(waiting.Status == "waiting" && waiting.Step == "setSecret" && waiting.LastErrorClass == "network")
        #expect(waiting.NextAttemptDate! > self.harness.clock.date)
        // AWSCURRENT still serves the old value while it waits.
        #expect(try await self.harness.stages(self.manager, "app")[old] == ["AWSCURRENT"])
        // Not due yet: nothing runs.
        #expect(try await self.engine().runDueRotations().isEmpty)
        self.harness.clock.advance(by: .seconds(61))
        #expect(try await self.engine(owner: "runner-b").runDueRotations() == [.succeeded])
        // createSecret ran once; setSecret ran again knowing it may have run before.
        #expect(self.rotator.calls.map(\.step) == [.createSecret, .setSecret, .setSecret, .testSecret, .finishSecret])
        #expect(self.rotator.calls[2].mayHaveRun)
        #expect(try await self.harness.stages(self.manager, "app") == [token: ["AWSCURRENT"], old: ["AWSPREVIOUS"]])
    }

    private func retryDate() async throws -> Date? {
        try await self.harness.status(self.manager, "app")?.NextAttemptDate
    }

    @Test func retriesAreBoundedAndTheFailureSurfacesWithItsClass() async throws {
        let (old, token) = try await self.start()
        let engine = self.engine(attempts: 2)
        self.rotator.fail(.testSecret, RotatorError(.sql, "e1"), RotatorError(.sql, "e2"))
        #expect(try await engine.runDueRotations().count == 1)
        self.harness.clock.advance(by: .seconds(61))
        let outcome = try await engine.runDueRotations()
        #expect(outcome == [.failed(RotationFailure(step: .testSecret, errorClass: .sql, message: "e2"))])
        let status = try #require(try await self.harness.status(self.manager, "app"))
        #expect(status.Status == "failed" && status.Attempts == 2 && status.LastError == "e2" && status.LastErrorStep == "testSecret")
        // Failed but safe: AWSCURRENT untouched, AWSPENDING left where it is (as on AWS), next window scheduled.
        #expect(try await self.harness.stages(self.manager, "app") == [old: ["AWSCURRENT"], token: ["AWSPENDING"]])
        #expect(try await self.harness.describe(self.manager, "app").NextRotationDate != nil)
        let failed = try #require(self.harness.events.all.last)
        #expect(failed.name == "RotationFailed" && failed.step == "testSecret" && failed.errorClass == "sql")
        // A later RotateSecret re-drives the same token, and it completes.
        let again = await #expect(throws: SecretsManagerError.self) {
            _ = try await self.manager.rotateSecret(RotateSecretRequest(SecretId: "app"), context: self.harness.context)
        }
        #expect(again?.message == SecretsManager.previousRotationIncompleteMessage)
        #expect(try await engine.runDueRotations() == [.succeeded])
        #expect(try await self.harness.stages(self.manager, "app") == [token: ["AWSCURRENT"], old: ["AWSPREVIOUS"]])
    }

    @Test func anAuthenticationFailureIsNotRetried() async throws {
        _ = try await self.start()
        self.rotator.fail(.setSecret, RotatorError(.authentication, "password authentication failed"))
        let outcome = try await self.engine().runDueRotations()
        #expect(outcome == [.failed(RotationFailure(step: .setSecret, errorClass: .authentication, message: "password authentication failed"))])
        #expect(self.rotator.calls.filter { $0.step == .setSecret }.count == 1)
    }

    @Test func twoRunnersNeverHoldTheSameRotation() async throws {
        _ = try await self.start()
        let a = self.engine(owner: "a")
        let b = self.engine(owner: "b")
        let claimsA = try await self.manager.claimDueRotations(owner: a.owner, lease: a.lease)
        #expect(claimsA.count == 1)
        #expect(try await self.manager.claimDueRotations(owner: b.owner, lease: b.lease).isEmpty)
        // A stalls past its lease: B takes over, and A, waking up, finds it has lost the rotation.
        self.harness.clock.advance(by: .seconds(121))
        let claimsB = try await self.manager.claimDueRotations(owner: b.owner, lease: b.lease)
        #expect(claimsB.count == 1)
        #expect(await a.run(claimsA[0]) == .lost)
        #expect(await b.run(claimsB[0]) == .succeeded)
        #expect(self.rotator.calls.map(\.step) == [.createSecret, .setSecret, .testSecret, .finishSecret])
    }

    @Test func shutdownBetweenStepsHandsTheRotationBack() async throws {
        _ = try await self.start()
        let stopFlag = StopFlag()
        self.rotator.during.withLock { $0[.setSecret] = { stopFlag.set() } }
        let first = try await self.engine(owner: "a").runDueRotations(shouldStop: { stopFlag.isSet })
        #expect(first == [.paused])
        let paused = try #require(try await self.harness.status(self.manager, "app"))
        #expect(paused.Step == "testSecret" && paused.LeaseOwner == nil)
        // The next process resumes at testSecret at once (no lease to wait out).
        #expect(try await self.engine(owner: "b").runDueRotations() == [.succeeded])
        #expect(self.rotator.calls.map(\.step) == [.createSecret, .setSecret, .testSecret, .finishSecret])
    }

    @Test func cancelMidRotationStopsTheEngineAndLeavesTheLabels() async throws {
        let (old, token) = try await self.start()
        let manager = self.manager
        let context = self.harness.context
        self.rotator.during.withLock {
            $0[.setSecret] = { _ = try? await manager.cancelRotateSecret(CancelRotateSecretRequest(SecretId: "app"), context: context) }
        }
        #expect(try await self.engine().runDueRotations() == [.lost])
        #expect(self.rotator.calls.map(\.step) == [.createSecret, .setSecret])
        #expect(try await self.harness.stages(self.manager, "app") == [old: ["AWSCURRENT"], token: ["AWSPENDING"]])
        #expect(try await self.harness.status(self.manager, "app")?.Status == "cancelled")
    }

    @Test func aManualPutMidRotationAbandonsIt() async throws {
        let (old, _) = try await self.start()
        let manager = self.manager
        let context = self.harness.context
        let manual = UUID().uuidString
        self.rotator.during.withLock {
            $0[.testSecret] = {
                _ = try? await manager.putSecretValue(
                    PutSecretValueRequest(SecretId: "app", ClientRequestToken: manual, SecretString: "by hand"),
                    context: context
                )
            }
        }
        #expect(try await self.engine().runDueRotations() == [.lost])
        #expect(try await self.harness.stages(self.manager, "app") == [manual: ["AWSCURRENT"], old: ["AWSPREVIOUS"]])
        #expect(self.harness.events.names == ["RotationStarted", "RotationAbandoned"])
    }

    @Test func aSecretScheduledForDeletionStopsRotating() async throws {
        let (old, token) = try await self.start()
        let manager = self.manager
        let context = self.harness.context
        self.rotator.during.withLock {
            $0[.setSecret] = { _ = try? await manager.deleteSecret(DeleteSecretRequest(SecretId: "app"), context: context) }
        }
        #expect(try await self.engine().runDueRotations() == [.lost])
        #expect(self.rotator.calls.map(\.step) == [.createSecret, .setSecret])
        // The lease expires; the next runner finds a deleted secret and cancels the rotation instead of running it.
        self.harness.clock.advance(by: .seconds(121))
        #expect(try await self.engine(owner: "b").runDueRotations().isEmpty)
        _ = try await manager.restoreSecret(RestoreSecretRequest(SecretId: "app"), context: context)
        #expect(try await self.harness.status(manager, "app")?.Status == "cancelled")
        #expect(try await self.harness.stages(manager, "app") == [old: ["AWSCURRENT"], token: ["AWSPENDING"]])
    }

    @Test func aTestOnlyRotationRemovesItsTemporaryVersion() async throws {
        let created = try await self.manager.createSecret(
            CreateSecretRequest(Name: "t", ClientRequestToken: UUID().uuidString, SecretString: "v1"),
            context: self.harness.context
        )
        _ = try await self.manager.rotateSecret(
            RotateSecretRequest(SecretId: "t", RotationLambdaARN: "scripted", RotationRules: RotationRulesType(AutomaticallyAfterDays: 3), RotateImmediately: false),
            context: self.harness.context
        )
        #expect(try await self.engine().runDueRotations() == [.succeeded])
        #expect(self.rotator.calls.map(\.step) == [.testSecret])
        #expect(try await self.harness.stages(self.manager, "t") == [created.VersionId!: ["AWSCURRENT"]])
        let versions = try await self.manager.listSecretVersionIds(
            ListSecretVersionIdsRequest(SecretId: "t", IncludeDeprecated: true),
            context: self.harness.context
        )
        #expect(versions.Versions.count == 1)
        #expect(self.harness.events.names == ["TestRotationStarted", "TestRotationSucceeded"])
    }

    @Test func theSchedulerWakesAtTheDueTimeOnItsClockAndStopsOnShutdown() async throws {
        let wakeup = RotationWakeup()
        let manager = self.harness.manager(accepting: ["scripted"], wakeup: wakeup)
        self.rotator.manager.withLock { $0 = manager }
        let engine = RotationEngine(manager: manager, registry: RotatorRegistry(["scripted": self.rotator]), owner: "s", lease: 120)
        let scheduler = RotationScheduler(engine: engine, clock: self.harness.clock, wakeup: wakeup, maximumIdle: .seconds(3_600 * 24 * 400))
        _ = try await manager.createSecret(CreateSecretRequest(Name: "s", ClientRequestToken: UUID().uuidString, SecretString: "v1"), context: self.harness.context)
        // Configure a 2-day schedule with a test rotation only: the first real rotation is due in 2 days.
        _ = try await manager.rotateSecret(
            RotateSecretRequest(SecretId: "s", RotationLambdaARN: "scripted", RotationRules: RotationRulesType(AutomaticallyAfterDays: 2), RotateImmediately: false),
            context: self.harness.context
        )
        let task = Task { try await scheduler.run() }
        // It runs the test rotation at once (woken by RotateSecret), then sleeps until the window.
        #expect(try await eventually { try await self.harness.status(manager, "s")?.Status == "succeeded" })
        #expect(self.rotator.calls.map(\.step) == [.testSecret])
        // Wait for the scheduler's one sleep to aim at the due time (not the lease of the test rotation, which
        // it slept on while that ran): advancing the clock before it sleeps again would make the test a race.
        let due = try #require(try await self.harness.describe(manager, "s").NextRotationDate)
        let sleepsUntilDue = { @Sendable in
            let deadlines = self.harness.clock.deadlines
            return deadlines.count == 1 && deadlines[0] >= due.addingTimeInterval(-0.001) && deadlines[0] < due.addingTimeInterval(1)
        }
        #expect(try await eventually { sleepsUntilDue() })
        self.harness.clock.advance(by: .seconds(Int64(due.timeIntervalSince(self.harness.clock.date)) - 60))
        try await Task.sleep(for: .milliseconds(100))
        #expect(self.rotator.calls.count == 1)
        #expect(sleepsUntilDue())
        self.harness.clock.advance(by: .seconds(61))
        #expect(try await eventually { try await self.harness.describe(manager, "s").LastRotatedDate != nil })
        #expect(self.rotator.calls.map(\.step) == [.testSecret, .createSecret, .setSecret, .testSecret, .finishSecret])
        task.cancel()
        _ = await task.result
    }
}

final class StopFlag: Sendable {
    private let flag = Atomic(false)
    func set() { self.flag.store(true, ordering: .relaxed) }
    var isSet: Bool { self.flag.load(ordering: .relaxed) }
}
