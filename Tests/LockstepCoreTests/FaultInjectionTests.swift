import Testing

@testable import LockstepCore

/// `LOCKSTEP_FAULT` parsing and the point names the crash harness (tests/crash/matrix.py) spells out.
@Suite struct FaultInjectionTests {
    @Test func aPlanNamesAPointAnActionAndOptionallyWhichHit() throws {
        let plan = try #require(FaultInjection.Plan("database.commit.unanswered:kill"))
        #expect(plan.point == .databaseCommitUnanswered && plan.action == .kill && plan.nth == 1)
        let third = try #require(FaultInjection.Plan("store.transaction:fail:3"))
        #expect(third.point == .storeTransaction && third.action == .fail && third.nth == 3)
    }

    @Test(arguments: [
        "", "store.transaction", "store.transaction:explode", "nowhere:kill", "store.transaction:kill:0",
        "store.transaction:kill:x", "store.transaction:kill:1:2", ":kill",
    ])
    func malformedPlansAreRejected(_ text: String) {
        #expect(FaultInjection.Plan(text) == nil)
    }

    @Test func everyStepHasItsFourStoreWritePoints() {
        for step in RotationStep.allCases {
            for after in [false, true] {
                #expect(FaultPoint.stepStart(step, after: after).rawValue.hasPrefix("\(step.rawValue).start."))
                #expect(FaultPoint.stepSuccess(step, after: after).rawValue.hasPrefix("\(step.rawValue).success."))
            }
        }
        // 16 step points, finishSecret.labels, 3 database points, the store, audit, maintenance and webhook
        // transactions: a new point must be added to the crash matrix (tests/crash/matrix.py) too, unless its timing is
        // the clock's (the audit writer's batches, the change feed's retention, webhook deliveries), which a matrix
        // can't count.
        #expect(FaultPoint.allCases.count == 24)
    }

    @Test func anUnarmedPointNeverFires() {
        // The test process has no LOCKSTEP_FAULT: every point passes through.
        #expect(FaultPoint.allCases.allSatisfy { !FaultInjection.reach($0) })
    }
}
