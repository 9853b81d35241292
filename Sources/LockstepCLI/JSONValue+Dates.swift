import Foundation
import LockstepCore

extension JSONValue {
    /// Numeric members whose name ends in `Date` become ISO 8601 strings, as the aws CLI prints timestamps.
    func withReadableDates(key: String? = nil) -> JSONValue {
        switch self {
        case .integer(let seconds) where key?.hasSuffix("Date") == true:
            return .string(Self.iso8601(Double(seconds)))
        case .number(let seconds) where key?.hasSuffix("Date") == true:
            return .string(Self.iso8601(seconds))
        case .array(let array):
            return .array(array.map { $0.withReadableDates(key: key) })
        case .object(let object):
            return .object(Dictionary(uniqueKeysWithValues: object.map { ($0.key, $0.value.withReadableDates(key: $0.key)) }))
        default:
            return self
        }
    }

    private static func iso8601(_ seconds: Double) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: seconds))
    }
}
