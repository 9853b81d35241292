import Foundation
import Testing

@testable import LockstepCore

/// The windows `rotation plan` lists: the one holding the scheduled instant, then each next one.
@Suite struct RotationWindowTests {
    static let utc = RotationScheduleTests.utc
    static func schedule(days: Int64? = nil, _ expression: String? = nil, duration: String? = nil) throws -> RotationSchedule {
        try RotationScheduleTests.schedule(days: days, expression, duration: duration)
    }

    @Test func dayWindowsOpenAtMidnight() throws {
        let schedule = try Self.schedule(days: 7)
        let first = schedule.window(containing: Self.utc("2026-03-10T13:24:00Z"))
        #expect(first == DateInterval(start: Self.utc("2026-03-10T00:00:00Z"), duration: 86_400))
        let windows = schedule.windows(startingWith: first, count: 3)
        #expect(windows.map(\.start) == ["2026-03-10T00:00:00Z", "2026-03-17T00:00:00Z", "2026-03-24T00:00:00Z"].map(Self.utc))
    }

    @Test func hourRatesKeepTheirGrid() throws {
        let schedule = try Self.schedule("rate(6 hours)", duration: "2h")
        let first = schedule.window(containing: Self.utc("2026-03-10T13:30:00Z"))
        #expect(first == DateInterval(start: Self.utc("2026-03-10T12:00:00Z"), duration: 7_200))
        let starts = schedule.windows(startingWith: first, count: 3).map(\.start)
        #expect(starts == ["2026-03-10T12:00:00Z", "2026-03-10T18:00:00Z", "2026-03-11T00:00:00Z"].map(Self.utc))
    }

    @Test func cronWindowsFollowTheExpression() throws {
        // 04:00 on Mondays for 2 hours; 2026-03-09 is a Monday.
        let schedule = try Self.schedule("cron(0 4 ? * MON *)", duration: "2h")
        let first = schedule.window(containing: Self.utc("2026-03-09T05:10:00Z"))
        #expect(first == DateInterval(start: Self.utc("2026-03-09T04:00:00Z"), duration: 7_200))
        let starts = schedule.windows(startingWith: first, count: 3).map(\.start)
        #expect(starts == ["2026-03-09T04:00:00Z", "2026-03-16T04:00:00Z", "2026-03-23T04:00:00Z"].map(Self.utc))
    }

    @Test func aCronThatNeverMatchesGivesNoWindow() throws {
        let schedule = try Self.schedule("cron(0 0 31 2 ? *)")
        let first = schedule.nextWindow(after: Self.utc("2026-01-01T00:00:00Z"))
        #expect(schedule.windows(startingWith: first, count: 5).isEmpty)
    }
}
