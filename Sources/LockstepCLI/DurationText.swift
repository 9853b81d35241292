/// Durations as operators write them: a positive whole number and a unit, `d`, `h`, `m` or `s` ("90d", "12h").
enum DurationText {
    static func parse(_ text: String) -> Duration? {
        guard let unit = text.last, let count = Int64(text.dropLast()), count > 0, count <= 36_500 * 86_400 else { return nil }
        let seconds: Int64
        switch unit {
        case "d": seconds = 86_400
        case "h": seconds = 3_600
        case "m": seconds = 60
        case "s": seconds = 1
        default: return nil
        }
        let (total, overflow) = count.multipliedReportingOverflow(by: seconds)
        return overflow || total > 36_500 * 86_400 ? nil : .seconds(total)
    }
}
