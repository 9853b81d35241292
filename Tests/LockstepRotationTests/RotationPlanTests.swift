import Foundation
import LockstepCore
import LockstepDatabase
import LockstepPostgres
import Testing

@testable import LockstepRotation

/// The rotation plan's rules that need no database: the secret's JSON, the schedule, the verdict, process rotators.
struct RotationPlanTests {
    static let driver = PostgresDriver(trust: nil)
    static let now = Date(timeIntervalSince1970: 1_800_000_000)  // 2027-01-15T08:00:00Z

    static func secret(_ json: String) throws -> DatabaseSecret { try DatabaseSecret(json: json) }

    @Test func aCompleteSecretPasses() throws {
        let secret = try Self.secret(#"{"engine":"postgres","host":"db","port":5433,"username":"app","password":"p"}"#)
        let checks = RotationPlan.secretChecks(secret, driver: Self.driver, alternating: false, trust: nil)
        #expect(checks == [.pass("secret", "engine postgres, user app at db:5433")])
    }

    @Test func everyProblemOfTheJSONIsNamedWithoutTheValue() throws {
        let secret = try Self.secret(#"{"engine":"mysql","port":"x","username":"app","password":"hunter2-secret"}"#)
        let checks = RotationPlan.secretChecks(secret, driver: Self.driver, alternating: true, trust: nil)
        #expect(checks.count == 1)
        #expect(checks[0].status == .fail)
        for part in [
            "host key is missing", "Database engine must be set to 'aurora-postgresql' or 'postgres'", "port must be a number",
            "masterarn key is missing",
        ] {
            #expect(checks[0].reason.contains(part), "\(part)")
        }
        #expect(!checks[0].reason.contains("hunter2"))
    }

    @Test func sslTrueNeedsCAs() throws {
        let secret = try Self.secret(#"{"host":"db","username":"app","password":"p","ssl":true}"#)
        #expect(RotationPlan.secretChecks(secret, driver: Self.driver, alternating: false, trust: nil).map(\.status) == [.pass, .fail])
        let trusted = RotationPlan.secretChecks(secret, driver: Self.driver, alternating: false, trust: DatabaseTrust(caFile: "/ca.pem"))
        #expect(trusted.map(\.status) == [.pass])
        let odd = try Self.secret(#"{"host":"db","username":"app","password":"p","ssl":"yes"}"#)
        #expect(RotationPlan.secretChecks(odd, driver: Self.driver, alternating: false, trust: nil).last?.status == .warn)
    }

    @Test func theCloneNameMustFit() throws {
        let long = String(repeating: "u", count: 60)
        let secret = try Self.secret(#"{"engine":"postgres","host":"db","username":"\#(long)","password":"p","masterarn":"arn"}"#)
        let checks = RotationPlan.secretChecks(secret, driver: Self.driver, alternating: true, trust: nil)
        #expect(checks[0].reason.contains("longer than 63 characters"))
    }

    @Test func schedulesFromTheScheduledInstant() {
        let next = Self.now.addingTimeInterval(3 * 86_400 + 3_600)
        let (check, windows) = RotationPlan.schedule(
            RotationRulesType(ScheduleExpression: "rate(10 days)"),
            enabled: true,
            next: next,
            lastRotated: nil,
            now: Self.now,
            count: 3
        )
        #expect(check.status == .pass)
        #expect(windows.count == 3)
        #expect(windows[0].contains(next))
        #expect(windows[1].start.timeIntervalSince(windows[0].start) == 10 * 86_400)
    }

    @Test func scheduleWarningsAndFailures() {
        #expect(RotationPlan.schedule(nil, enabled: true, next: nil, lastRotated: nil, now: Self.now, count: 3).0.status == .warn)
        let disabled = RotationPlan.schedule(
            RotationRulesType(AutomaticallyAfterDays: 30),
            enabled: false,
            next: nil,
            lastRotated: nil,
            now: Self.now,
            count: 2
        )
        #expect(disabled.0.status == .warn)
        #expect(disabled.0.reason.contains("not enabled"))
        #expect(disabled.1.count == 2)
        let never = RotationPlan.schedule(
            RotationRulesType(ScheduleExpression: "cron(0 0 31 2 ? *)"),
            enabled: true,
            next: nil,
            lastRotated: nil,
            now: Self.now,
            count: 2
        )
        #expect(never.0.status == .fail)
        #expect(never.0.reason.contains("never opens a window"))
        #expect(never.1.isEmpty)
        let invalid = RotationPlan.schedule(
            RotationRulesType(ScheduleExpression: "rate(1 hours)"),
            enabled: true,
            next: nil,
            lastRotated: nil,
            now: Self.now,
            count: 2
        )
        #expect(invalid.0.status == .fail)
    }

    @Test func theWorstCheckIsTheResult() {
        var plan = RotationPlan(name: "a", arn: "arn", rotator: nil, checks: [.pass("a", ""), .warn("b", "")], schedule: nil, windows: [])
        #expect(plan.status == .warn)
        plan.checks.append(.fail("c", ""))
        #expect(plan.status == .fail)
        plan.checks = []
        #expect(plan.status == .pass)
    }

    @Test func processRuntimes() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("plan-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let script = folder.appendingPathComponent("rotate.sh")
        try Data("#!/bin/sh\n".utf8).write(to: script)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        let process = try RotatorManifest(json: Data(#"{"runtime":"process","command":["./rotate.sh"]}"#.utf8), folder: folder)
        #expect(RotationPlanner.processChecks(process, path: "/usr/bin:/bin").map(\.status) == [.pass, .pass])
        let missing = try RotatorManifest(json: Data(#"{"runtime":"process","command":["./nope.sh"]}"#.utf8), folder: folder)
        #expect(RotationPlanner.processChecks(missing, path: "/usr/bin:/bin").last?.status == .fail)
        let python = try RotatorManifest(json: Data(#"{"runtime":"python-lambda","handler":"lambda_function.handler"}"#.utf8), folder: folder)
        #expect(RotationPlanner.processChecks(python, path: "/nonexistent").last?.reason == "python-lambda: python3 is not on PATH")
        #expect(RotationPlanner.processChecks(python, path: "/usr/bin:/bin").last?.reason.contains("lambda_function.py is not in") == true)
        try Data("def handler(e, c): pass\n".utf8).write(to: folder.appendingPathComponent("lambda_function.py"))
        #expect(RotationPlanner.processChecks(python, path: "/usr/bin:/bin").last?.status == .pass)
    }
}
