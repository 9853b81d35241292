public import Foundation

/// When a secret rotates: `AutomaticallyAfterDays`, `rate(N hours|days)` or `cron(...)`, with a window (spec §3.4).
///
/// Pure computation over UTC dates: ``nextWindow(after:)`` gives the next window after the last rotation (a manual
/// value change counts as one); the scheduler picks a random instant inside it.
public struct RotationSchedule: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// Every N days, counted from the last rotation's UTC day.
        case days(Int)
        /// `rate(N hours)`, N ≥ 4: windows open on hour boundaries counted from midnight UTC.
        case hours(Int)
        case cron(CronExpression)
    }

    public let kind: Kind
    /// The window length.
    public let window: TimeInterval

    /// Validates `RotationRules` with AWS's rules and builds the schedule.
    public init(_ rules: RotationRulesType) throws(SecretsManagerError) {
        let duration = try rules.Duration.map { (text: String) throws(SecretsManagerError) -> Int in
            guard (2...3).contains(text.count), text.hasSuffix("h"), let hours = Int(text.dropLast()), (1...24).contains(hours) else {
                throw SecretsManagerError(.invalidParameter, "Invalid Duration \(text): use 1h to 24h.")
            }
            return hours
        }
        switch (rules.AutomaticallyAfterDays, rules.ScheduleExpression) {
        case (.some, .some):
            throw SecretsManagerError(.invalidParameter, "You cannot specify both rotation frequency and schedule expression together.")
        case (nil, nil):
            throw SecretsManagerError(.invalidParameter, "RotationRules needs AutomaticallyAfterDays or ScheduleExpression.")
        case (let days?, nil):
            guard (1...1000).contains(days) else {
                throw SecretsManagerError.constraint(
                    "rotationRules.automaticallyAfterDays",
                    value: String(days),
                    "Member must have value between 1 and 1000"
                )
            }
            self.kind = .days(Int(days))
            self.window = TimeInterval((duration ?? 24) * 3_600)
        case (nil, let expression?):
            (self.kind, self.window) = try Self.parse(expression, duration: duration)
        }
    }

    private static func parse(_ expression: String, duration: Int?) throws(SecretsManagerError) -> (Kind, TimeInterval) {
        let text = expression.trimmingCharacters(in: .whitespaces)
        guard (1...256).contains(text.count), text.hasSuffix(")") else {
            throw SecretsManagerError(.invalidParameter, "Invalid ScheduleExpression: use rate(...) or cron(...).")
        }
        if text.hasPrefix("rate(") {
            let parts = text.dropFirst(5).dropLast().split(separator: " ")
            guard parts.count == 2, let n = Int(parts[0]), n > 0 else {
                throw SecretsManagerError(.invalidParameter, "Invalid ScheduleExpression: use rate(N hours) or rate(N days).")
            }
            switch parts[1] {
            case "hour", "hours":
                guard n >= 4 else {
                    throw SecretsManagerError(.invalidParameter, "Invalid ScheduleExpression: the shortest rotation interval is 4 hours.")
                }
                guard n <= 24_000 else {
                    throw SecretsManagerError(.invalidParameter, "Invalid ScheduleExpression: the longest interval is 1000 days.")
                }
                let hours = duration ?? 1
                guard hours <= n else {
                    throw SecretsManagerError(.invalidParameter, "The rotation window (Duration) can't be longer than the rotation interval.")
                }
                return (.hours(n), TimeInterval(hours * 3_600))
            case "day", "days":
                guard n <= 1000 else {
                    throw SecretsManagerError(.invalidParameter, "Invalid ScheduleExpression: the longest interval is 1000 days.")
                }
                return (.days(n), TimeInterval((duration ?? 24) * 3_600))
            default:
                throw SecretsManagerError(.invalidParameter, "Invalid ScheduleExpression: the unit of a rate is hours or days.")
            }
        }
        guard text.hasPrefix("cron(") else {
            throw SecretsManagerError(.invalidParameter, "Invalid ScheduleExpression: use rate(...) or cron(...).")
        }
        let cron = try CronExpression(parsing: String(text.dropFirst(5).dropLast()))
        let hours: Int
        if let duration {
            hours = duration
        } else {
            hours = cron.isHourBased ? 1 : 24 - cron.hours[0]
        }
        // A window can't run into the next UTC day, nor into the next window of the same day.
        for (index, start) in cron.hours.enumerated() {
            let end = index + 1 < cron.hours.count ? cron.hours[index + 1] : 24
            guard start + hours <= end else {
                throw SecretsManagerError(
                    .invalidParameter,
                    "The rotation window (Duration) starting at \(start):00 would run into the next window or the next day."
                )
            }
        }
        return (.cron(cron), TimeInterval(hours * 3_600))
    }

    /// The next window after `lastRotation`: when it opens and how long it stays open.
    public func nextWindow(after lastRotation: Date) -> DateInterval {
        switch self.kind {
        case .days(let n):
            return DateInterval(start: UTCDate.date(ofDay: UTCDate.day(of: lastRotation) + n), duration: self.window)
        case .hours(let n):
            // Windows open every n hours, counted from midnight UTC of the last rotation's day.
            let day = UTCDate.day(of: lastRotation)
            let elapsed = lastRotation.timeIntervalSince(UTCDate.date(ofDay: day)) / 3_600
            let slot = Int(elapsed.rounded(.down)) / n + 1
            return DateInterval(start: UTCDate.date(ofDay: day, hour: slot * n), duration: self.window)
        case .cron(let cron):
            let start = Self.nextCronInstant(cron, after: lastRotation)
            return DateInterval(start: start, duration: self.window)
        }
    }

    /// The window that holds `date` when one does (the scheduled instant, NextRotationDate, lies in one), else the
    /// last one that opened before it. Day-based windows open at midnight UTC; hour rates on their grid of N hours
    /// from midnight UTC; cron windows at the expression's hours.
    public func window(containing date: Date) -> DateInterval {
        let day = UTCDate.day(of: date)
        switch self.kind {
        case .days:
            return DateInterval(start: UTCDate.date(ofDay: day), duration: self.window)
        case .hours(let n):
            let elapsed = date.timeIntervalSince(UTCDate.date(ofDay: day)) / 3_600
            return DateInterval(start: UTCDate.date(ofDay: day, hour: Int(elapsed.rounded(.down)) / n * n), duration: self.window)
        case .cron(let cron):
            let start = Self.nextCronInstant(cron, after: date.addingTimeInterval(-self.window))
            return DateInterval(start: start <= date ? start : date, duration: start <= date ? self.window : 0)
        }
    }

    /// `count` consecutive windows: the first is `first`, each next one ``nextWindow(after:)`` the start of the one
    /// before (where a rotation at any instant of a window puts the next). Ends early at a window that never opens
    /// (`Date.distantFuture`: a cron expression no date matches).
    public func windows(startingWith first: DateInterval, count: Int) -> [DateInterval] {
        var windows: [DateInterval] = []
        var window = first
        while windows.count < count, window.start < Date.distantFuture {
            windows.append(window)
            window = self.nextWindow(after: window.start)
        }
        return windows
    }

    /// The first hour matching `cron` strictly after `date` (searching up to 20 years ahead).
    static func nextCronInstant(_ cron: CronExpression, after date: Date) -> Date {
        let firstDay = UTCDate.day(of: date)
        for day in firstDay..<(firstDay + 366 * 20) where cron.matches(day: day) {
            for hour in cron.hours {
                let instant = UTCDate.date(ofDay: day, hour: hour)
                if instant > date { return instant }
            }
        }
        return Date.distantFuture
    }

    /// A random instant inside `window`, from `generator` (the scheduler passes the system CSPRNG).
    public static func randomInstant<G: RandomNumberGenerator>(in window: DateInterval, using generator: inout G) -> Date {
        window.start.addingTimeInterval(Double.random(in: 0..<max(1, window.duration), using: &generator).rounded(.down))
    }
}
