import Foundation
import Testing

@testable import LockstepCore

/// Schedule computation: rate and cron forms across month ends, leap days and windows; AWS's validation errors.
@Suite struct RotationScheduleTests {
    /// `2024-02-27T10:00:00Z`-style literals.
    static func utc(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)!
    }

    static func schedule(days: Int64? = nil, _ expression: String? = nil, duration: String? = nil) throws -> RotationSchedule {
        try RotationSchedule(RotationRulesType(AutomaticallyAfterDays: days, Duration: duration, ScheduleExpression: expression))
    }

    @Test func utcDateArithmeticMatchesFoundation() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        for day in stride(from: -800, through: 60_000, by: 37) {
            let date = UTCDate.date(ofDay: day)
            let components = calendar.dateComponents([.year, .month, .day, .weekday], from: date)
            let civil = UTCDate.civil(fromDays: day)
            #expect(civil.year == components.year && civil.month == components.month && civil.day == components.day)
            #expect(UTCDate.weekday(ofDay: day) == components.weekday)
            #expect(UTCDate.daysSinceEpoch(year: civil.year, month: civil.month, day: civil.day) == day)
        }
        #expect(UTCDate.daysIn(year: 2024, month: 2) == 29)
        #expect(UTCDate.daysIn(year: 2023, month: 2) == 28)
        #expect(UTCDate.daysIn(year: 1900, month: 2) == 28)
        #expect(UTCDate.daysIn(year: 2000, month: 2) == 29)
    }

    @Test func daysCountFromTheLastRotationsDayAcrossMonthEndsAndLeapDays() throws {
        let window = try Self.schedule(days: 2).nextWindow(after: Self.utc("2024-02-27T22:15:00Z"))
        #expect(window.start == Self.utc("2024-02-29T00:00:00Z"))
        #expect(window.duration == 86_400)
        #expect(try Self.schedule(days: 1).nextWindow(after: Self.utc("2023-01-31T08:00:00Z")).start == Self.utc("2023-02-01T00:00:00Z"))
        #expect(try Self.schedule(days: 365).nextWindow(after: Self.utc("2023-03-01T12:00:00Z")).start == Self.utc("2024-02-29T00:00:00Z"))
        #expect(try Self.schedule("rate(30 days)").nextWindow(after: Self.utc("2024-12-15T23:59:59Z")).start == Self.utc("2025-01-14T00:00:00Z"))
        #expect(try Self.schedule("rate(1 day)", duration: "3h").nextWindow(after: Self.utc("2024-12-31T05:00:00Z")).duration == 3 * 3_600)
    }

    @Test func hourRatesOpenOnAGridFromMidnight() throws {
        let rate = try Self.schedule("rate(10 hours)")
        #expect(rate.nextWindow(after: Self.utc("2024-03-01T03:00:00Z")).start == Self.utc("2024-03-01T10:00:00Z"))
        #expect(rate.nextWindow(after: Self.utc("2024-03-01T10:00:00Z")).start == Self.utc("2024-03-01T20:00:00Z"))
        #expect(rate.nextWindow(after: Self.utc("2024-03-01T23:30:00Z")).start == Self.utc("2024-03-02T06:00:00Z"))
        #expect(rate.window == 3_600)
        #expect(try Self.schedule("rate(4 hours)", duration: "4h").window == 4 * 3_600)
    }

    @Test func cronHoursRestartEveryDay() throws {
        let cron = try Self.schedule("cron(0 4/12 * * ? *)")
        #expect(cron.nextWindow(after: Self.utc("2024-01-01T05:00:00Z")).start == Self.utc("2024-01-01T16:00:00Z"))
        #expect(cron.nextWindow(after: Self.utc("2024-01-01T16:30:00Z")).start == Self.utc("2024-01-02T04:00:00Z"))
        #expect(cron.nextWindow(after: Self.utc("2024-01-01T16:30:00Z")).duration == 3_600)
    }

    @Test func cronDaysLastNthAndNames() throws {
        // Last day of the month, in a leap February and an ordinary one.
        let last = try Self.schedule("cron(0 8 L * ? *)")
        #expect(last.nextWindow(after: Self.utc("2024-02-10T00:00:00Z")).start == Self.utc("2024-02-29T08:00:00Z"))
        #expect(last.nextWindow(after: Self.utc("2023-02-10T00:00:00Z")).start == Self.utc("2023-02-28T08:00:00Z"))
        #expect(last.nextWindow(after: Self.utc("2024-02-29T09:00:00Z")).start == Self.utc("2024-03-31T08:00:00Z"))
        // One hour a day: the window runs to the end of the UTC day.
        #expect(last.window == 16 * 3_600)
        // The first Monday of the month (2024-04-01 is a Monday).
        let firstMonday = try Self.schedule("cron(0 9 ? * 2#1 *)")
        #expect(firstMonday.nextWindow(after: Self.utc("2024-03-05T00:00:00Z")).start == Self.utc("2024-04-01T09:00:00Z"))
        // The last Friday, by name.
        let lastFriday = try Self.schedule("cron(0 9 ? * FRIL *)")
        #expect(lastFriday.nextWindow(after: Self.utc("2024-05-01T00:00:00Z")).start == Self.utc("2024-05-31T09:00:00Z"))
        // Month names, lists and weekday ranges.
        let twice = try Self.schedule("cron(0 0 1 JAN,JUL ? *)")
        #expect(twice.nextWindow(after: Self.utc("2024-01-01T00:00:00Z")).start == Self.utc("2024-07-01T00:00:00Z"))
        let weekdays = try Self.schedule("cron(0 18 ? * MON-FRI *)", duration: "2h")
        #expect(weekdays.nextWindow(after: Self.utc("2024-06-07T19:00:00Z")).start == Self.utc("2024-06-10T18:00:00Z"))
        #expect(weekdays.window == 7_200)
    }

    @Test func invalidRulesGetAWSErrors() {
        let both = #expect(throws: SecretsManagerError.self) { try Self.schedule(days: 30, "rate(10 days)") }
        #expect(both?.message == "You cannot specify both rotation frequency and schedule expression together.")
        for days: Int64 in [0, 1001] {
            #expect(throws: SecretsManagerError.self) { try Self.schedule(days: days) }
        }
        for expression in [
            "rate(3 hours)", "rate(0 days)", "rate(10 weeks)", "rate(ten days)", "every day", "cron(5 4 * * ? *)",
            "cron(0 4 * * ? 2025)", "cron(0 4 * * * *)", "cron(0 4 ? * ? *)", "cron(0 25 * * ? *)", "cron(0 4 * * ?)",
            "cron(0 4 32 * ? *)", "cron(0 4 ? * 2#6 *)", "cron(0 4 ? FOO * *)", "cron(0 6-2 * * ? *)",
        ] {
            let error = #expect(throws: SecretsManagerError.self, "\(expression)") { try Self.schedule(expression) }
            #expect(error?.code == .invalidParameter, "\(expression)")
        }
        for duration in ["0h", "25h", "2d", "h", "100h"] {
            #expect(throws: SecretsManagerError.self, "\(duration)") { try Self.schedule(days: 1, duration: duration) }
        }
        // A window may not run into the next window or the next day.
        #expect(throws: SecretsManagerError.self) { try Self.schedule("cron(0 4/12 * * ? *)", duration: "13h") }
        #expect(throws: SecretsManagerError.self) { try Self.schedule("cron(0 22 * * ? *)", duration: "3h") }
        #expect(throws: SecretsManagerError.self) { try Self.schedule("rate(6 hours)", duration: "7h") }
    }

    @Test func randomInstantsStayInsideTheWindow() throws {
        var generator = SystemRandomNumberGenerator()
        let window = try Self.schedule("cron(0 4/12 * * ? *)").nextWindow(after: Self.utc("2024-01-01T05:00:00Z"))
        for _ in 0..<1_000 {
            let instant = RotationSchedule.randomInstant(in: window, using: &generator)
            #expect(instant >= window.start && instant < window.end)
        }
    }
}
