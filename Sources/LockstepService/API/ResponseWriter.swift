import Foundation
import LockstepCore

/// Responses on the hot path write their JSON directly instead of going through `JSONEncoder` (which costs more
/// than the GetSecretValue lookup itself). The output must decode to exactly what `JSONEncoder` would produce; a test
/// compares the two.
protocol DirectJSONEncodable {
    func writeJSON(into writer: inout JSONWriter)
}

/// A minimal JSON object writer: string, number and array members, RFC 8259 string escaping.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []
    private var needsComma = false

    init(capacity: Int = 256) {
        self.bytes.reserveCapacity(capacity)
        self.bytes.append(UInt8(ascii: "{"))
    }

    mutating func finish() -> Data {
        self.bytes.append(UInt8(ascii: "}"))
        return Data(self.bytes)
    }

    private mutating func key(_ name: StaticString) {
        if self.needsComma { self.bytes.append(UInt8(ascii: ",")) }
        self.needsComma = true
        self.bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { self.bytes.append(contentsOf: $0) }
        self.bytes.append(contentsOf: "\":".utf8)
    }

    mutating func member(_ name: StaticString, _ value: String) {
        self.key(name)
        self.string(value)
    }

    mutating func member(_ name: StaticString, _ value: String?) {
        if let value { self.member(name, value) }
    }

    mutating func member(_ name: StaticString, _ values: [String]) {
        self.key(name)
        self.bytes.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { self.bytes.append(UInt8(ascii: ",")) }
            self.string(value)
        }
        self.bytes.append(UInt8(ascii: "]"))
    }

    /// A date as epoch seconds, as `JSONEncoder`'s `.secondsSince1970` writes it.
    mutating func member(_ name: StaticString, _ date: Date) {
        self.key(name)
        let seconds = date.timeIntervalSince1970
        if seconds == seconds.rounded(), abs(seconds) < 1e15 {
            self.bytes.append(contentsOf: String(Int64(seconds)).utf8)
        } else {
            self.bytes.append(contentsOf: "\(seconds)".utf8)
        }
    }

    private mutating func string(_ value: String) { JSONString.append(value, to: &self.bytes) }
}

extension GetSecretValueResponse: DirectJSONEncodable {
    func writeJSON(into writer: inout JSONWriter) {
        writer.member("ARN", self.ARN)
        writer.member("Name", self.Name)
        writer.member("VersionId", self.VersionId)
        writer.member("SecretBinary", self.SecretBinary.map { $0.value.base64EncodedString() })
        writer.member("SecretString", self.SecretString?.value)
        writer.member("VersionStages", self.VersionStages)
        writer.member("CreatedDate", self.CreatedDate)
    }
}

/// Requests on the hot path read a flat JSON object of string members directly. Anything else (another value
/// type, an escape other than the simple ones, a repeated member) returns nil, and the caller falls back to
/// `JSONDecoder`, so errors stay exactly as strict as before.
protocol DirectJSONDecodable {
    init?(directJSON members: [String: String])
}

enum FlatJSONObject {
    /// The members of `{"name": "string", ...}`, or nil when the body is anything else.
    static func members(of body: Data) -> [String: String]? {
        body.withUnsafeBytes { raw -> [String: String]? in
            let bytes = raw.bindMemory(to: UInt8.self)
            var index = 0
            func skipSpace() {
                while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 {
                    index += 1
                }
            }
            func string() -> String? {
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
                index += 1
                var text: [UInt8] = []
                while index < bytes.count {
                    let byte = bytes[index]
                    index += 1
                    switch byte {
                    case UInt8(ascii: "\""):
                        return String(validating: text, as: UTF8.self)
                    case UInt8(ascii: "\\"):
                        guard index < bytes.count else { return nil }
                        let escaped = bytes[index]
                        index += 1
                        switch escaped {
                        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(escaped)
                        case UInt8(ascii: "n"): text.append(0x0A)
                        case UInt8(ascii: "t"): text.append(0x09)
                        case UInt8(ascii: "r"): text.append(0x0D)
                        default: return nil
                        }
                    case 0x00..<0x20:
                        return nil
                    default:
                        text.append(byte)
                    }
                }
                return nil
            }
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else { return nil }
            index += 1
            var members: [String: String] = [:]
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
            } else {
                while true {
                    skipSpace()
                    guard let name = string() else { return nil }
                    skipSpace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
                    index += 1
                    skipSpace()
                    guard let value = string(), members.updateValue(value, forKey: name) == nil else { return nil }
                    skipSpace()
                    guard index < bytes.count else { return nil }
                    if bytes[index] == UInt8(ascii: ",") {
                        index += 1
                        continue
                    }
                    guard bytes[index] == UInt8(ascii: "}") else { return nil }
                    index += 1
                    break
                }
            }
            skipSpace()
            return index == bytes.count ? members : nil
        }
    }
}

extension GetSecretValueRequest: DirectJSONDecodable {
    init?(directJSON members: [String: String]) {
        guard let secretId = members["SecretId"] else { return nil }
        self.init(SecretId: secretId, VersionId: members["VersionId"], VersionStage: members["VersionStage"])
    }
}
