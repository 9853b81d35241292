/// An AWS Secrets Manager `cron(Minutes Hours Day-of-month Month Day-of-week Year)` expression, always in UTC.
///
/// Rotation windows start on the hour, so Minutes must be `0`; Year must be `*`; one of Day-of-month and
/// Day-of-week must be `?`. Fields take `,` `-` `*` `/`, Day-of-month `L` (last day), Day-of-week `<DAY>L` (last such
/// weekday of the month) and `<DAY>#n` (the n-th), months `JAN`–`DEC` and days `SUN`–`SAT` (`SUN` = 1).
public struct CronExpression: Sendable, Hashable {
    /// Hours at which a window may open, sorted.
    public let hours: [Int]
    public let months: Set<Int>
    let days: DayRule

    enum DayRule: Sendable, Hashable {
        /// Day-of-month values; `lastDay` adds the month's last day.
        case monthDays(Set<Int>, lastDay: Bool)
        /// Day-of-week values (1 = Sunday).
        case weekdays(Set<Int>)
        /// The last given weekday of the month (`6L`).
        case lastWeekday(Int)
        /// The n-th given weekday of the month (`2#1`).
        case nthWeekday(Int, Int)
        /// `?` in one and `*` in the other.
        case everyDay
    }

    /// True when the window length defaults to one hour (several hours a day), false when it runs to the end of
    /// the UTC day (one hour a day).
    public var isHourBased: Bool { self.hours.count > 1 }

    private static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    private static let dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

    /// Parses the part inside `cron(...)`.
    public init(parsing body: String) throws(SecretsManagerError) {
        let fields = body.split(separator: " ", omittingEmptySubsequences: true).map { String($0).uppercased() }
        guard fields.count == 6 else {
            throw Self.invalid("a cron expression has 6 fields: Minutes Hours Day-of-month Month Day-of-week Year")
        }
        guard fields[0] == "0" else {
            throw Self.invalid("rotation windows start on the hour, so the Minutes field must be 0")
        }
        guard fields[5] == "*" else { throw Self.invalid("the Year field must be *") }
        self.hours = try Self.values(fields[1], range: 0...23, names: [], field: "Hours").sorted()
        self.months = Set(try Self.values(fields[3], range: 1...12, names: Self.monthNames, field: "Month"))
        let (dom, dow) = (fields[2], fields[4])
        switch (dom == "?", dow == "?") {
        case (true, true), (false, false):
            throw Self.invalid("one of the Day-of-month and Day-of-week fields must be ?")
        case (false, true):
            if dom == "*" {
                self.days = .everyDay
            } else {
                let lastDay = dom.split(separator: ",").contains("L")
                let rest = dom.split(separator: ",").filter { $0 != "L" }.joined(separator: ",")
                let values = rest.isEmpty ? [] : try Self.values(rest, range: 1...31, names: [], field: "Day-of-month")
                self.days = .monthDays(Set(values), lastDay: lastDay)
            }
        case (true, false):
            if dow == "*" {
                self.days = .everyDay
            } else if dow.hasSuffix("L"), dow.count > 1 {
                self.days = .lastWeekday(try Self.single(String(dow.dropLast()), range: 1...7, names: Self.dayNames, field: "Day-of-week"))
            } else if let hash = dow.firstIndex(of: "#") {
                let day = try Self.single(String(dow[..<hash]), range: 1...7, names: Self.dayNames, field: "Day-of-week")
                guard let n = Int(dow[dow.index(after: hash)...]), (1...5).contains(n) else {
                    throw Self.invalid("the number after # in Day-of-week must be 1 to 5")
                }
                self.days = .nthWeekday(day, n)
            } else {
                self.days = .weekdays(Set(try Self.values(dow, range: 1...7, names: Self.dayNames, field: "Day-of-week")))
            }
        }
    }

    /// True when a window may open on this UTC day.
    func matches(day: Int) -> Bool {
        let (year, month, dayOfMonth) = UTCDate.civil(fromDays: day)
        guard self.months.contains(month) else { return false }
        let weekday = UTCDate.weekday(ofDay: day)
        switch self.days {
        case .everyDay:
            return true
        case .monthDays(let values, let lastDay):
            return values.contains(dayOfMonth) || (lastDay && dayOfMonth == UTCDate.daysIn(year: year, month: month))
        case .weekdays(let values):
            return values.contains(weekday)
        case .lastWeekday(let wanted):
            return weekday == wanted && dayOfMonth + 7 > UTCDate.daysIn(year: year, month: month)
        case .nthWeekday(let wanted, let n):
            return weekday == wanted && (dayOfMonth - 1) / 7 + 1 == n
        }
    }

    /// One field: `*`, values, ranges, steps and names, comma-separated.
    static func values(_ field: String, range: ClosedRange<Int>, names: [String], field name: String) throws(SecretsManagerError) -> [Int] {
        var result = Set<Int>()
        for part in field.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard (1...2).contains(pieces.count) else { throw Self.invalid("\(name) field '\(field)' is not valid") }
            var step = 1
            if pieces.count == 2 {
                guard let value = Int(pieces[1]), value > 0 else { throw Self.invalid("\(name) step in '\(field)' must be a positive number") }
                step = value
            }
            let base = pieces[0]
            let lower: Int
            var upper: Int
            if base == "*" {
                (lower, upper) = (range.lowerBound, range.upperBound)
            } else if let dash = base.firstIndex(of: "-") {
                lower = try Self.single(String(base[..<dash]), range: range, names: names, field: name)
                upper = try Self.single(String(base[base.index(after: dash)...]), range: range, names: names, field: name)
                guard lower <= upper else { throw Self.invalid("\(name) range '\(base)' runs backwards") }
            } else {
                lower = try Self.single(String(base), range: range, names: names, field: name)
                // `4/12` means from 4 every 12 to the end of the range.
                upper = pieces.count == 2 ? range.upperBound : lower
            }
            for value in stride(from: lower, through: upper, by: step) { result.insert(value) }
        }
        return Array(result)
    }

    static func single(_ text: String, range: ClosedRange<Int>, names: [String], field: String) throws(SecretsManagerError) -> Int {
        if let index = names.firstIndex(of: text) { return range.lowerBound + index }
        guard let value = Int(text), range.contains(value) else {
            throw Self.invalid(
                "\(field) value '\(text)' must be between \(range.lowerBound) and \(range.upperBound)\(names.isEmpty ? "" : " or a name")"
            )
        }
        return value
    }

    static func invalid(_ detail: String) -> SecretsManagerError {
        SecretsManagerError(.invalidParameter, "Invalid ScheduleExpression: \(detail).")
    }
}
