import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A named instant where a crash or a failure is worth proving harmless (issue 6; docs/ARCHITECTURE.md, "Fault
/// points"). The crash harness (`tests/crash`) arms one per run of `lockstep serve`.
public enum FaultPoint: String, Sendable, CaseIterable {
    // The engine's store writes around each step: the start record (stepStarted) and the success record.
    case createSecretStartBefore = "createSecret.start.before"
    case createSecretStartAfter = "createSecret.start.after"
    case createSecretSuccessBefore = "createSecret.success.before"
    case createSecretSuccessAfter = "createSecret.success.after"
    case setSecretStartBefore = "setSecret.start.before"
    case setSecretStartAfter = "setSecret.start.after"
    case setSecretSuccessBefore = "setSecret.success.before"
    case setSecretSuccessAfter = "setSecret.success.after"
    case testSecretStartBefore = "testSecret.start.before"
    case testSecretStartAfter = "testSecret.start.after"
    case testSecretSuccessBefore = "testSecret.success.before"
    case testSecretSuccessAfter = "testSecret.success.after"
    case finishSecretStartBefore = "finishSecret.start.before"
    case finishSecretStartAfter = "finishSecret.start.after"
    /// finishSecret's success record is the completion transaction (labels, dates, row) as a whole.
    case finishSecretSuccessBefore = "finishSecret.success.before"
    case finishSecretSuccessAfter = "finishSecret.success.after"
    /// Inside the completion transaction: the labels are moved, COMMIT not yet sent.
    case finishSecretLabels = "finishSecret.labels"

    // The database drivers, at the statement that changes a password (PostgreSQL `ALTER ROLE` / the clone's
    // `CREATE ROLE`; MariaDB `SET PASSWORD` / the clone's `CREATE USER` or `ALTER USER`).
    case databasePasswordBefore = "database.password.before"
    /// Its answer read. PostgreSQL: still inside the transaction; MariaDB: committed, the clone's grants not yet copied.
    case databasePasswordAfter = "database.password.after"
    /// The ambiguous commit: sent, its answer not read (PostgreSQL's COMMIT; MariaDB's autocommitted statement).
    case databaseCommitUnanswered = "database.commit.unanswered"

    // The store.
    /// Inside any write transaction but the audit writer's, before COMMIT. Its `nth` counts those transactions.
    case storeTransaction = "store.transaction"
    /// Inside an audit writer's transaction (a batch of records), before COMMIT. Kept apart from
    /// `store.transaction` because batching makes their number depend on timing.
    case auditTransaction = "audit.transaction"
    /// Inside a maintenance write whose timing is the clock's (the change feed's retention). Kept apart from
    /// `store.transaction` for the same reason.
    case maintenanceTransaction = "store.maintenance"
    /// Inside a webhook delivery's write (its lease, each endpoint's cursor and last attempt), before COMMIT. Kept
    /// apart from `store.transaction` because deliveries and their retries are timed by the receivers and the clock.
    case webhookTransaction = "store.webhooks"

    /// The store-write point of `step`'s start record (`after == false`: before the write).
    public static func stepStart(_ step: RotationStep, after: Bool) -> FaultPoint {
        FaultPoint(rawValue: "\(step.rawValue).start.\(after ? "after" : "before")")!
    }

    /// The store-write point of `step`'s success record (finishSecret: the completion transaction).
    public static func stepSuccess(_ step: RotationStep, after: Bool) -> FaultPoint {
        FaultPoint(rawValue: "\(step.rawValue).success.\(after ? "after" : "before")")!
    }
}

/// Debug-only fault injection, armed once per process from `LOCKSTEP_FAULT=<point>:<kill|fail>[:<nth>]`.
///
/// At the `nth` time (default 1) the process reaches `point`: `kill` sends itself SIGKILL on the spot (no cleanup,
/// no flush: a power cut as far as the store and the databases can tell); `fail` makes ``reach(_:)`` return true
/// once, and the caller throws the error a real failure there would (a network `DatabaseError`, a store error).
/// Every other time, and for every other point, ``reach(_:)`` returns false.
///
/// Release builds compile the check out entirely: the environment variable is never read, so a production binary
/// can't be made to crash or fail by its environment.
public enum FaultInjection {
    /// What an armed fault does.
    public enum Action: String, Sendable {
        case kill, fail
    }

    /// A parsed `LOCKSTEP_FAULT` value.
    public struct Plan: Sendable, Hashable {
        public var point: FaultPoint
        public var action: Action
        public var nth: Int

        /// Parses `<point>:<kill|fail>[:<nth>]`; nil when malformed.
        public init?(_ text: String) {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard (2...3).contains(parts.count), let point = FaultPoint(rawValue: parts[0]),
                let action = Action(rawValue: parts[1])
            else { return nil }
            let nth = parts.count == 3 ? Int(parts[2]) : 1
            guard let nth, nth >= 1 else { return nil }
            self.point = point
            self.action = action
            self.nth = nth
        }
    }

    /// The environment variable that arms a fault (debug builds only).
    public static let environmentVariable = "LOCKSTEP_FAULT"

    /// Reads the environment now, so that the armed fault is announced (or a malformed value reported) at start-up
    /// rather than at the first fault point. Does nothing in release builds.
    public static func prepare() {
        #if DEBUG
        _ = Armed.shared
        #endif
    }

    /// Called at `point`. Kills the process, or returns true when the call at this point must fail; false otherwise.
    @inline(__always)
    public static func reach(_ point: FaultPoint) -> Bool {
        #if DEBUG
        return Armed.shared?.reach(point) ?? false
        #else
        return false
        #endif
    }

    #if DEBUG
    /// The armed fault and how often its point was reached.
    private final class Armed: Sendable {
        static let shared: Armed? = {
            guard let text = ProcessInfo.processInfo.environment[FaultInjection.environmentVariable], !text.isEmpty else { return nil }
            guard let plan = Plan(text) else {
                Armed.announce("ignoring malformed \(FaultInjection.environmentVariable)=\(text)")
                return nil
            }
            Armed.announce("armed \(plan.point.rawValue):\(plan.action.rawValue):\(plan.nth)")
            return Armed(plan)
        }()

        let plan: Plan
        private let hits = Atomic(0)

        init(_ plan: Plan) { self.plan = plan }

        func reach(_ point: FaultPoint) -> Bool {
            guard point == self.plan.point else { return false }
            let hit = self.hits.add(1, ordering: .relaxed).newValue
            guard hit == self.plan.nth else {
                // Traced so that a harness can count a point's hits in a clean run (arm it with a large nth).
                if hit < self.plan.nth { Armed.announce("reached \(point.rawValue) (hit \(hit))") }
                return false
            }
            Armed.announce("\(self.plan.action == .kill ? "killing the process" : "failing the call") at \(point.rawValue) (hit \(hit))")
            if self.plan.action == .kill { kill(getpid(), SIGKILL) }
            return true
        }

        /// One line on stderr, written at once (the harness reads it to know the fault fired).
        private static func announce(_ message: String) {
            FileHandle.standardError.write(Data("lockstep.fault: \(message)\n".utf8))
        }
    }
    #endif
}

/// The error a fault point throws where a store call fails and the caller has no store error type of its own to
/// throw (the rotation engine above the service). Treated like any store failure.
public struct InjectedStoreFailure: Error, Sendable, CustomStringConvertible {
    public let point: FaultPoint

    public init(_ point: FaultPoint) { self.point = point }

    public var description: String { "store unavailable (fault injected at \(self.point.rawValue))" }
}
