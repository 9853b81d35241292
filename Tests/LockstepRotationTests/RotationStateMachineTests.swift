import LockstepCore
import Testing

@testable import LockstepRotation

@Suite struct RotationStateMachineTests {
    static let token = "EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE"

    static func failure(_ step: RotationStep, _ errorClass: RotationErrorClass) -> RotationFailure {
        RotationFailure(step: step, errorClass: errorClass, message: "\(errorClass) during \(step)")
    }

    @Test func aFullRotationRunsTheFourStepsInOrderThenCompletes() {
        var machine = RotationStateMachine(token: Self.token)
        #expect(machine.start() == .run(.createSecret))
        #expect(machine.stepSucceeded(.createSecret) == .run(.setSecret))
        #expect(machine.stepSucceeded(.setSecret) == .run(.testSecret))
        #expect(machine.stepSucceeded(.testSecret) == .run(.finishSecret))
        #expect(machine.stepSucceeded(.finishSecret) == .complete)
        #expect(machine.state == .succeeded)
    }

    @Test func aTestOnlyRotationRunsTestSecretAndRemovesTheTemporaryVersion() {
        var machine = RotationStateMachine(token: Self.token, mode: .testOnly)
        #expect(machine.start() == .run(.testSecret))
        #expect(machine.stepSucceeded(.testSecret) == .removeTestVersion)
        #expect(machine.state == .succeeded)
    }

    @Test func aRetryableFailureWaitsThenRunsTheSameStepAgain() {
        var machine = RotationStateMachine(token: Self.token)
        _ = machine.stepSucceeded(.createSecret)
        let action = machine.stepFailed(Self.failure(.setSecret, .network), jitter: 0)
        #expect(action == .retry(.setSecret, after: 15))
        #expect(machine.retryDue() == .run(.setSecret))
        #expect(machine.state == .running(.setSecret, attempt: 2))
        #expect(machine.stepSucceeded(.setSecret) == .run(.testSecret))
        // A new step starts its own attempts.
        #expect(machine.state == .running(.testSecret, attempt: 1))
    }

    @Test func retriesAreBoundedAndTheRotationFailsWithTheErrorClass() {
        let policy = RotationRetryPolicy(baseDelay: 10, maximumDelay: 60, maximumAttempts: 4)
        var machine = RotationStateMachine(token: Self.token, policy: policy)
        var delays: [Double] = []
        for _ in 1..<4 {
            guard case .retry(_, let delay) = machine.stepFailed(Self.failure(.createSecret, .sql), jitter: 0.999_999) else {
                Issue.record("expected a retry")
                return
            }
            delays.append(delay)
            _ = machine.retryDue()
        }
        #expect(delays.map { $0.rounded() } == [10, 20, 40])
        let last = Self.failure(.createSecret, .sql)
        #expect(machine.stepFailed(last, jitter: 0.5) == .fail(last))
        #expect(machine.state == .failed(last, attempts: 4))
        #expect(machine.retryDue() == .ignore)
    }

    @Test func authenticationAndValidationFailuresAreNotRetried() {
        for errorClass in [RotationErrorClass.authentication, .validation] {
            var machine = RotationStateMachine(token: Self.token)
            let failure = Self.failure(.createSecret, errorClass)
            #expect(machine.stepFailed(failure, jitter: 0) == .fail(failure))
            #expect(machine.state == .failed(failure, attempts: 1))
        }
    }

    @Test func aManualChangeAbandonsAndCancelStopsWithoutTouchingLabels() {
        var abandoned = RotationStateMachine(token: Self.token)
        _ = abandoned.stepSucceeded(.createSecret)
        #expect(abandoned.valueChangedManually() == .abandon)
        #expect(abandoned.state == .abandoned)
        #expect(abandoned.stepSucceeded(.setSecret) == .ignore)

        var cancelled = RotationStateMachine(token: Self.token)
        _ = cancelled.stepFailed(Self.failure(.createSecret, .network), jitter: 0)
        #expect(cancelled.cancel() == .stop)
        #expect(cancelled.retryDue() == .ignore)
        #expect(cancelled.valueChangedManually() == .ignore)
    }

    @Test func lateOrDuplicatedEventsChangeNothing() {
        var machine = RotationStateMachine(token: Self.token)
        let before = machine
        #expect(machine.stepSucceeded(.setSecret) == .ignore)
        #expect(machine.stepFailed(Self.failure(.testSecret, .network), jitter: 0) == .ignore)
        #expect(machine.retryDue() == .ignore)
        #expect(machine == before)
        // Resuming a persisted rotation re-runs the step it was in.
        let restored = RotationStateMachine(
            token: Self.token,
            mode: .full,
            state: .waitingToRetry(.testSecret, attempt: 2, failure: Self.failure(.testSecret, .network))
        )
        #expect(restored.start() == .run(.testSecret))
    }

    @Test func backoffGrowsToItsCapWithJitterBetweenHalfAndFull() {
        let policy = RotationRetryPolicy()
        #expect(policy.delay(afterAttempt: 1, jitter: 0) == 15)
        #expect(policy.delay(afterAttempt: 3, jitter: 0.5) == 90)
        #expect(policy.delay(afterAttempt: 20, jitter: 0.999_999) <= 3_600)
        #expect(policy.delay(afterAttempt: 20, jitter: 0) == 1_800)
        var previous = 0.0
        for attempt in 1...10 {
            let delay = policy.delay(afterAttempt: attempt, jitter: 0.3)
            #expect(delay >= previous)
            previous = delay
        }
    }
}
