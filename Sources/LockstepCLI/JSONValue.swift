import Foundation

/// A JSON document the CLI builds from options and prints from responses.
enum JSONValue: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let bool = try? container.decode(Bool.self) {
            self = .bool(bool)
        } else if let integer = try? container.decode(Int64.self) {
            self = .integer(integer)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let string = try? container.decode(String.self) {
            self = .string(string)
        } else if let array = try? container.decode([JSONValue].self) {
            self = .array(array)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let bool): try container.encode(bool)
        case .integer(let integer): try container.encode(integer)
        case .number(let number): try container.encode(number)
        case .string(let string): try container.encode(string)
        case .array(let array): try container.encode(array)
        case .object(let object): try container.encode(object)
        }
    }

    subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

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
