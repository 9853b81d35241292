import Foundation
import Testing

@testable import LockstepCore

/// The rotation state machine as a table: each row is a record, an event, and the record and effect (or refusal)
/// it must come to. No store, no clock, no engine.
@Suite struct RotationRecordTransitionTests {
    static let token = "EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE"
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    static let now = t0.addingTimeInterval(100)
    static let policy = RotationRetryPolicy(baseDelay: 10, maximumDelay: 60, maximumAttempts: 3)

    static func failure(_ step: RotationStep, _ errorClass: RotationErrorClass = .network) -> RotationFailure {
        RotationFailure(step: step, errorClass: errorClass, message: "\(errorClass) during \(step)")
    }

    /// A rotation as `begin` makes it at t0, then changed by `change`.
    static func record(_ mode: RotationRecord.Mode = .full, _ change: (inout RotationRecord) -> Void = { _ in }) -> RotationRecord {
        var record = RotationRecord.begin(secretId: 7, token: token, mode: mode, rotator: "postgresql", after: nil, at: t0)
        change(&record)
        return record
    }

    /// Held by `owner` at `step`, an attempt under way.
    static func running(
        _ step: RotationStep,
        attempt: Int = 1,
        by owner: String = "a",
        _ mode: RotationRecord.Mode = .full,
        _ change: (inout RotationRecord) -> Void = { _ in }
    ) -> RotationRecord {
        record(mode) {
            $0.step = step
            $0.attempt = attempt
            $0.stepStarted = true
            $0.leaseOwner = owner
            $0.dueDate = t0.addingTimeInterval(120)
            change(&$0)
        }
    }

    static func finished(_ status: RotationRecord.Status, at step: RotationStep = .setSecret) -> RotationRecord {
        record {
            $0.status = status
            $0.step = step
            $0.attempt = 2
            $0.stepStarted = true
            $0.dueDate = nil
            $0.finishedDate = t0
        }
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var before: RotationRecord
        var event: RotationRecord.Event
        /// The record afterwards and the effect, or the refusal.
        var expected: Result<(RotationRecord, RotationRecord.Effect), RotationRecord.Refusal>
        var testDescription: String { self.name }
    }

    static func changed(
        _ name: String,
        _ before: RotationRecord,
        _ event: RotationRecord.Event,
        _ effect: RotationRecord.Effect = .recordOnly,
        _ change: (inout RotationRecord) -> Void
    ) -> Row {
        var after = before
        change(&after)
        after.updatedDate = now
        return Row(name: name, before: before, event: event, expected: .success((after, effect)))
    }

    static func refused(_ name: String, _ before: RotationRecord, _ event: RotationRecord.Event, _ refusal: RotationRecord.Refusal) -> Row {
        Row(name: name, before: before, event: event, expected: .failure(refusal))
    }

    static let rows: [Row] = [
        // Claim and release.
        changed("a free rotation is claimed", record(), .claim(owner: "a", lease: 60)) {
            $0.leaseOwner = "a"
            $0.dueDate = now.addingTimeInterval(60)
        },
        changed("an expired lease is taken over", running(.setSecret, by: "b") { $0.dueDate = t0 }, .claim(owner: "a", lease: 60)) {
            $0.leaseOwner = "a"
            $0.dueDate = now.addingTimeInterval(60)
        },
        changed("the holder claims again (lockstep rotate after a retry wait)", running(.setSecret), .claim(owner: "a", lease: 60)) {
            $0.dueDate = now.addingTimeInterval(60)
        },
        refused("a live lease is not taken", running(.setSecret, by: "b"), .claim(owner: "a", lease: 60), .leaseNotHeld(holder: "b")),
        refused("a finished rotation is not claimed", finished(.succeeded), .claim(owner: "a", lease: 60), .finished(.succeeded)),
        changed("the holder releases between steps", running(.setSecret), .release(owner: "a")) {
            $0.leaseOwner = nil
            $0.dueDate = now
        },
        refused("only the holder releases", running(.setSecret, by: "b"), .release(owner: "a"), .leaseNotHeld(holder: "b")),

        // Steps.
        changed("a claimed step starts: attempt 1, lease renewed", record { $0.leaseOwner = "a" }, .stepStarting(.createSecret, owner: "a", lease: 90)) {
            $0.attempt = 1
            $0.stepStarted = true
            $0.dueDate = now.addingTimeInterval(90)
        },
        changed(
            "a waiting step starts its next attempt",
            running(.testSecret, attempt: 2) { $0.status = .waiting },
            .stepStarting(.testSecret, owner: "a", lease: 90)
        ) {
            $0.status = .running
            $0.attempt = 3
            $0.dueDate = now.addingTimeInterval(90)
        },
        refused("a step starts only under the lease", record(), .stepStarting(.createSecret, owner: "a", lease: 90), .leaseNotHeld(holder: nil)),
        refused("a step other than the current one does not start", running(.setSecret), .stepStarting(.testSecret, owner: "a", lease: 90), .otherStep(current: .setSecret)),
        changed("a step succeeds: the next is due, unstarted", running(.createSecret, attempt: 2), .stepSucceeded(.createSecret, owner: "a", startingNextWithLease: nil)) {
            $0.step = .setSecret
            $0.attempt = 0
            $0.stepStarted = false
        },
        changed(
            "a step succeeds and the next starts in the same transition",
            running(.setSecret),
            .stepSucceeded(.setSecret, owner: "a", startingNextWithLease: 90)
        ) {
            $0.step = .testSecret
            $0.attempt = 1
            $0.dueDate = now.addingTimeInterval(90)
        },
        changed(
            "finishSecret succeeds: the rotation completes and the failure count resets",
            running(.finishSecret) { $0.consecutiveFailures = 4 },
            .stepSucceeded(.finishSecret, owner: "a", startingNextWithLease: 90),
            .complete
        ) {
            $0.status = .succeeded
            $0.stepStarted = false
            $0.leaseOwner = nil
            $0.dueDate = nil
            $0.finishedDate = now
            $0.consecutiveFailures = 0
        },
        changed(
            "a test-only rotation's testSecret succeeds: its temporary version goes",
            running(.testSecret, .testOnly) { $0.consecutiveFailures = 2 },
            .stepSucceeded(.testSecret, owner: "a", startingNextWithLease: 90),
            .removeTestVersion
        ) {
            $0.status = .succeeded
            $0.stepStarted = false
            $0.leaseOwner = nil
            $0.dueDate = nil
            $0.finishedDate = now
        },
        refused("a late success of an earlier step changes nothing", running(.testSecret), .stepSucceeded(.setSecret, owner: "a", startingNextWithLease: nil), .otherStep(current: .testSecret)),
        refused(
            "a step waiting to be retried doesn't succeed before it runs again",
            running(.testSecret) { $0.status = .waiting },
            .stepSucceeded(.testSecret, owner: "a", startingNextWithLease: nil),
            .waitingToRetry
        ),
        refused("a lost lease's success changes nothing", running(.setSecret, by: "b"), .stepSucceeded(.setSecret, owner: "a", startingNextWithLease: nil), .leaseNotHeld(holder: "b")),

        // Failures and retries (policy: 10 s doubling to 60 s, 3 attempts; jitter 0.999999 is the full delay).
        changed(
            "a retryable failure waits, the lease handed back",
            running(.setSecret, attempt: 2),
            .stepFailed(failure(.setSecret), owner: "a", policy: policy, jitter: 0.999_999),
            .retry(after: policy.delay(afterAttempt: 2, jitter: 0.999_999))
        ) {
            $0.status = .waiting
            $0.lastFailure = failure(.setSecret)
            $0.leaseOwner = nil
            $0.dueDate = now.addingTimeInterval(policy.delay(afterAttempt: 2, jitter: 0.999_999))
        },
        changed(
            "the last attempt's failure fails the rotation and counts it",
            running(.setSecret, attempt: 3) { $0.consecutiveFailures = 1 },
            .stepFailed(failure(.setSecret, .sql), owner: "a", policy: policy, jitter: 0),
            .fail
        ) {
            $0.status = .failed
            $0.lastFailure = failure(.setSecret, .sql)
            $0.leaseOwner = nil
            $0.dueDate = nil
            $0.finishedDate = now
            $0.consecutiveFailures = 2
        },
        changed(
            "an authentication failure is not retried",
            running(.createSecret),
            .stepFailed(failure(.createSecret, .authentication), owner: "a", policy: policy, jitter: 0),
            .fail
        ) {
            $0.status = .failed
            $0.lastFailure = failure(.createSecret, .authentication)
            $0.leaseOwner = nil
            $0.dueDate = nil
            $0.finishedDate = now
            $0.consecutiveFailures = 1
        },
        changed(
            "a validation failure is not retried",
            running(.testSecret),
            .stepFailed(failure(.testSecret, .validation), owner: "a", policy: policy, jitter: 0),
            .fail
        ) {
            $0.status = .failed
            $0.lastFailure = failure(.testSecret, .validation)
            $0.leaseOwner = nil
            $0.dueDate = nil
            $0.finishedDate = now
            $0.consecutiveFailures = 1
        },
        refused(
            "a failure reported twice counts once",
            running(.setSecret) { $0.status = .waiting; $0.leaseOwner = "a" },
            .stepFailed(failure(.setSecret), owner: "a", policy: policy, jitter: 0),
            .waitingToRetry
        ),
        refused(
            "a failure of another step changes nothing",
            running(.testSecret),
            .stepFailed(failure(.setSecret), owner: "a", policy: policy, jitter: 0),
            .otherStep(current: .testSecret)
        ),

        // Cancel, abandon, redrive.
        changed("CancelRotateSecret stops a running rotation, whoever holds it", running(.setSecret, by: "b"), .cancel, .cancel) {
            $0.status = .cancelled
            $0.leaseOwner = nil
            $0.dueDate = nil
            $0.finishedDate = now
        },
        changed("CancelRotateSecret stops a waiting rotation", running(.testSecret) { $0.status = .waiting; $0.leaseOwner = nil }, .cancel, .cancel) {
            $0.status = .cancelled
            $0.dueDate = nil
            $0.finishedDate = now
        },
        refused("a finished rotation is not cancelled", finished(.failed), .cancel, .finished(.failed)),
        changed("a manual value change abandons the rotation", running(.testSecret), .abandon, .abandon) {
            $0.status = .abandoned
            $0.leaseOwner = nil
            $0.dueDate = nil
            $0.finishedDate = now
        },
        refused("a finished rotation is not abandoned", finished(.cancelled), .abandon, .finished(.cancelled)),
        changed("a failed rotation is redriven from its step", finished(.failed), .redrive(rotator: "mariadb")) {
            $0.status = .running
            $0.attempt = 0
            $0.rotator = "mariadb"
            $0.dueDate = now
            $0.finishedDate = nil
        },
        changed("a cancelled rotation is redriven", finished(.cancelled, at: .testSecret), .redrive(rotator: "postgresql")) {
            $0.status = .running
            $0.attempt = 0
            $0.dueDate = now
            $0.finishedDate = nil
        },
        refused("an unfinished rotation is queued already", running(.setSecret), .redrive(rotator: "postgresql"), .unfinished),
    ]

    @Test(arguments: rows) func transition(_ row: Row) {
        var record = row.before
        let outcome = Result { () throws(RotationRecord.Refusal) in try record.apply(row.event, at: Self.now) }
        switch (outcome, row.expected) {
        case (.success(let effect), .success(let (after, expectedEffect))):
            #expect(effect == expectedEffect)
            #expect(record == after)
        case (.failure(let refusal), .failure(let expectedRefusal)):
            #expect(refusal == expectedRefusal)
            #expect(record == row.before, "a refused event changed the record")
        default:
            Issue.record("\(row.name): got \(outcome), expected \(row.expected)")
        }
    }

    /// Every event on every finished rotation but redrive is refused without a change: a late or duplicated event
    /// after a crash is harmless.
    @Test func finishedRotationsRefuseEveryRunnerEvent() {
        let events: [RotationRecord.Event] = [
            .claim(owner: "a", lease: 60), .release(owner: "a"), .stepStarting(.setSecret, owner: "a", lease: 60),
            .stepSucceeded(.setSecret, owner: "a", startingNextWithLease: 60),
            .stepFailed(Self.failure(.setSecret), owner: "a", policy: Self.policy, jitter: 0), .cancel, .abandon,
        ]
        for status in [RotationRecord.Status.succeeded, .failed, .abandoned, .cancelled] {
            for event in events {
                var record = Self.finished(status)
                record.leaseOwner = "a"
                let before = record
                #expect(throws: RotationRecord.Refusal.finished(status)) { try record.apply(event, at: Self.now) }
                #expect(record == before)
            }
        }
    }

    /// A whole rotation driven through the machine alone: claim, four steps (the second retried once), complete.
    @Test func aFullRotationRunsTheFourStepsInOrderThenCompletes() throws {
        var record = Self.record { $0.consecutiveFailures = 1 }
        var effects: [RotationRecord.Effect] = []
        var clock = Self.t0
        func apply(_ event: RotationRecord.Event) throws {
            clock += 1
            effects.append(try record.apply(event, at: clock))
        }
        try apply(.claim(owner: "a", lease: 60))
        try apply(.stepStarting(.createSecret, owner: "a", lease: 60))
        try apply(.stepSucceeded(.createSecret, owner: "a", startingNextWithLease: 60))
        try apply(.stepFailed(Self.failure(.setSecret), owner: "a", policy: Self.policy, jitter: 0))
        #expect(record.status == .waiting && record.attempt == 1)
        try apply(.claim(owner: "b", lease: 60))
        try apply(.stepStarting(.setSecret, owner: "b", lease: 60))
        #expect(record.attempt == 2 && record.mayHaveRun(.setSecret))
        try apply(.stepSucceeded(.setSecret, owner: "b", startingNextWithLease: 60))
        #expect(!record.mayHaveRun(.setSecret))
        try apply(.stepSucceeded(.testSecret, owner: "b", startingNextWithLease: 60))
        try apply(.stepSucceeded(.finishSecret, owner: "b", startingNextWithLease: 60))
        #expect(effects.last == .complete)
        #expect(effects.dropLast().allSatisfy { $0 == .recordOnly || $0 == .retry(after: 5) })
        #expect(record.status == .succeeded && record.consecutiveFailures == 0 && record.leaseOwner == nil)
        #expect(record.lastFailure == Self.failure(.setSecret), "the last failure stays for status")
    }

    @Test func anAdoptedPendingVersionRunsFromCreateSecretAsIfItMayHaveRun() {
        let previous = Self.finished(.failed)
        let adopted = RotationRecord.adopt(secretId: 7, pendingVersion: "v9", rotator: "mariadb", after: previous, at: Self.now)
        #expect(adopted.step == .createSecret && adopted.status == .running && adopted.token == "v9")
        #expect(adopted.mayHaveRun(.createSecret))
        #expect(adopted.consecutiveFailures == previous.consecutiveFailures)
        let fresh = RotationRecord.begin(secretId: 7, token: "v9", mode: .testOnly, rotator: "x", after: nil, at: Self.now)
        #expect(fresh.step == .testSecret && !fresh.mayHaveRun(.testSecret) && fresh.dueDate == Self.now)
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
