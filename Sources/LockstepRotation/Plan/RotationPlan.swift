public import Foundation
public import LockstepCore
public import LockstepDatabase

/// The result of `lockstep rotation plan`: every check of a rotation that was not run, and the schedule's next
/// windows. A pure value with the pure rules that don't need a database (the secret's JSON, the schedule);
/// ``RotationPlanner`` gathers the facts, the drivers probe the databases (``DatabasePlanProbe``).
public struct RotationPlan: Sendable, Hashable {
    /// The secret's name and ARN.
    public var name: String
    public var arn: String
    /// The rotation function (RotationLambdaARN), if any.
    public var rotator: String?
    public var checks: [PlanCheck]
    /// The schedule expression as stored (`rate(30 days)`, `cron(...)`, `AutomaticallyAfterDays=30`), if any.
    public var schedule: String?
    /// The next windows in which the scheduler would start a rotation, in UTC.
    public var windows: [DateInterval]

    public init(name: String, arn: String, rotator: String?, checks: [PlanCheck], schedule: String?, windows: [DateInterval]) {
        self.name = name
        self.arn = arn
        self.rotator = rotator
        self.checks = checks
        self.schedule = schedule
        self.windows = windows
    }

    /// The worst verdict: `fail` when any check fails (the command then exits non-zero).
    public var status: PlanStatus { self.checks.map(\.status).max() ?? .pass }

    // MARK: - The secret's JSON

    /// The secret's JSON as the database rotator reads it (spec §2.3): the keys every rotation needs, `engine`
    /// against the driver, `port`, `ssl` (and whether a TLS verification is possible), and for alternating users
    /// `masterarn` and the clone's name. Never quotes the password.
    /// - Parameters:
    ///   - secret: AWSCURRENT's value.
    ///   - driver: the rotator's driver.
    ///   - alternating: alternating users (the clone and the master secret are needed).
    ///   - trust: the CAs that would verify the server for `"ssl": true`; nil when there are none.
    public static func secretChecks(
        _ secret: DatabaseSecret,
        driver: any DatabaseDriver,
        alternating: Bool,
        trust: DatabaseTrust?
    ) -> [PlanCheck] {
        var problems: [String] = []
        for key in ["host", "username", "password"] {
            if case .string(let text)? = secret.fields[key], !text.isEmpty { continue }
            problems.append("\(key) key is missing from secret JSON")
        }
        do {
            try secret.checkEngine(for: driver, required: alternating)
        } catch {
            problems.append(error.message)
        }
        if secret.fields["port"] != nil {
            if let port = secret.port {
                if !(1...65535).contains(port) { problems.append("port \(port) is out of range") }
            } else {
                problems.append("port must be a number in secret JSON")
            }
        }
        if alternating {
            if secret.masterARN?.isEmpty ?? true { problems.append("masterarn key is missing from secret JSON") }
            if let user = secret.username {
                let clone = AlternateUser.of(user)
                if clone.utf8.count > driver.maximumUserNameLength {
                    problems.append("the alternate user \(clone) is longer than \(driver.maximumUserNameLength) characters")
                }
            }
        }
        var checks: [PlanCheck] = []
        if problems.isEmpty {
            let engine = secret.engine.map { "engine \($0), " } ?? "no engine key (allowed for single user), "
            let port = secret.port ?? driver.defaultPort
            checks.append(.pass("secret", "\(engine)user \(secret.username ?? "?") at \(secret.host ?? "?"):\(port)"))
        } else {
            checks.append(.fail("secret", problems.joined(separator: "; ")))
        }
        if let ssl = Self.sslCheck(secret, trust: trust) { checks.append(ssl) }
        return checks
    }

    /// What the secret's `ssl` key asks for that is wrong before any connection: `true` with no CAs to verify the
    /// server, or a value that is neither true nor false. Nil otherwise: the connection's own TLS check (by the
    /// driver's probe) reports the rest.
    static func sslCheck(_ secret: DatabaseSecret, trust: DatabaseTrust?) -> PlanCheck? {
        switch secret.fields["ssl"] {
        case nil, .bool(false)?:
            return nil
        case .bool(true)?:
            return trust == nil ? .fail("ssl", DatabaseTrust.missing.message) : nil
        case .string(let text)? where ["true", "false"].contains(text.lowercased()):
            return text.lowercased() == "true" && trust == nil ? .fail("ssl", DatabaseTrust.missing.message) : nil
        default:
            return .warn("ssl", "\"ssl\" is neither true nor false: it is treated as absent (TLS when offered, unverified)")
        }
    }

    // MARK: - The schedule

    /// The schedule check and its next `count` windows.
    /// - Parameters:
    ///   - rules: the secret's RotationRules; nil when it has none.
    ///   - enabled: RotationEnabled.
    ///   - next: NextRotationDate, the instant the scheduler chose (nil when none is scheduled).
    ///   - lastRotated: LastRotatedDate.
    ///   - now: the current time.
    public static func schedule(
        _ rules: RotationRulesType?,
        enabled: Bool,
        next: Date?,
        lastRotated: Date?,
        now: Date,
        count: Int
    ) -> (PlanCheck, [DateInterval]) {
        guard let rules else {
            return (.warn("schedule", "no rotation rules: the secret rotates only when RotateSecret is called"), [])
        }
        let schedule: RotationSchedule
        do {
            schedule = try RotationSchedule(rules)
        } catch {
            return (.fail("schedule", "the rotation rules are invalid: \(error.message)"), [])
        }
        let first: DateInterval
        if enabled, let next {
            first = schedule.window(containing: next)
        } else {
            first = schedule.nextWindow(after: lastRotated ?? now)
        }
        let windows = schedule.windows(startingWith: first, count: count)
        guard let opening = windows.first else {
            return (.fail("schedule", "\(Self.describe(rules)) never opens a window: no date matches it"), [])
        }
        let hours = Self.hours(schedule.window)
        guard enabled else {
            return (
                .warn(
                    "schedule",
                    "rotation is not enabled, so nothing is scheduled; with \(Self.describe(rules)) the first window would open \(UTCDate.iso8601(opening.start))"
                ),
                windows
            )
        }
        let when = next.map { " (next rotation at \(UTCDate.iso8601($0)))" } ?? ""
        return (.pass("schedule", "\(Self.describe(rules)), windows of \(hours)\(when)"), windows)
    }

    /// `rate(10 days)`, `cron(0 4 * * ? *)` or `AutomaticallyAfterDays=30`, with `Duration` when given.
    public static func describe(_ rules: RotationRulesType) -> String {
        let base = rules.ScheduleExpression ?? rules.AutomaticallyAfterDays.map { "AutomaticallyAfterDays=\($0)" } ?? "-"
        return rules.Duration.map { "\(base), Duration \($0)" } ?? base
    }

    static func hours(_ interval: TimeInterval) -> String {
        let hours = Int(interval / 3_600)
        return hours == 1 ? "1 hour" : "\(hours) hours"
    }
}
