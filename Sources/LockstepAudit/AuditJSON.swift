public import Foundation

/// A JSON value for audit records: parsed from request and response bodies, redacted, and written canonically
/// (sorted keys, no insignificant space), so a record's text is exactly what its hash covers.
enum AuditJSON: Sendable, Hashable, Decodable {
    case string(String)
    case integer(Int64)
    case double(Double)
    case bool(Bool)
    case null
    case array([AuditJSON])
    case object([String: AuditJSON])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let bool = try? container.decode(Bool.self) {
            self = .bool(bool)
        } else if let integer = try? container.decode(Int64.self) {
            self = .integer(integer)
        } else if let double = try? container.decode(Double.self) {
            self = .double(double)
        } else if let string = try? container.decode(String.self) {
            self = .string(string)
        } else if let array = try? container.decode([AuditJSON].self) {
            self = .array(array)
        } else {
            self = .object(try container.decode([String: AuditJSON].self))
        }
    }

    /// Members that are never logged (the API model marks them sensitive; spec §4.3).
    static let sensitiveMembers: Set<String> = ["SecretString", "SecretBinary", "RotationToken", "RandomPassword"]

    /// Parses a body; nil when it isn't JSON (then nothing of it is logged: it might be a value).
    static func parse(_ data: Data) -> AuditJSON? {
        guard !data.isEmpty else { return nil }
        return try? JSONDecoder().decode(AuditJSON.self, from: data)
    }

    /// The value without sensitive members, at any depth.
    var redacted: AuditJSON {
        switch self {
        case .object(let members):
            var kept: [String: AuditJSON] = [:]
            for (key, value) in members where !Self.sensitiveMembers.contains(key) { kept[key] = value.redacted }
            return .object(kept)
        case .array(let elements): return .array(elements.map(\.redacted))
        default: return self
        }
    }

    subscript(key: String) -> AuditJSON? {
        guard case .object(let members) = self else { return nil }
        return members[key]
    }

    var stringValue: String? {
        guard case .string(let string) = self else { return nil }
        return string
    }

    /// Canonical text: keys sorted by their UTF-8 bytes, minimal escaping, no spaces.
    var canonicalText: String {
        var output = ""
        self.write(into: &output)
        return output
    }

    func write(into output: inout String) {
        switch self {
        case .string(let string): Self.writeString(string, into: &output)
        case .integer(let value): output += String(value)
        case .double(let value): output += value.isFinite ? String(value) : "null"
        case .bool(let value): output += value ? "true" : "false"
        case .null: output += "null"
        case .array(let elements):
            output += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { output += "," }
                element.write(into: &output)
            }
            output += "]"
        case .object(let members):
            output += "{"
            for (index, key) in members.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
                if index > 0 { output += "," }
                Self.writeString(key, into: &output)
                output += ":"
                members[key]!.write(into: &output)
            }
            output += "}"
        }
    }

    static func writeString(_ string: String, into output: inout String) {
        output += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}

/// Redaction for callers that must not hold a body with secrets any longer than needed.
public enum AuditRedaction {
    /// The body without SecretString, SecretBinary, RotationToken and RandomPassword; nil when it isn't JSON.
    public static func redacted(_ body: Data) -> Data? {
        AuditJSON.parse(body).map { Data($0.redacted.canonicalText.utf8) }
    }
}
