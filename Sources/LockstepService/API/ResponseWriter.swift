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

    private static func hexDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10 }

    private mutating func string(_ value: String) {
        self.bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): self.bytes.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): self.bytes.append(contentsOf: "\\\\".utf8)
            case 0x0A: self.bytes.append(contentsOf: "\\n".utf8)
            case 0x0D: self.bytes.append(contentsOf: "\\r".utf8)
            case 0x09: self.bytes.append(contentsOf: "\\t".utf8)
            case 0x00..<0x20:
                self.bytes.append(contentsOf: "\\u00".utf8)
                self.bytes.append(Self.hexDigit(byte >> 4))
                self.bytes.append(Self.hexDigit(byte & 0x0F))
            default: self.bytes.append(byte)
            }
        }
        self.bytes.append(UInt8(ascii: "\""))
    }
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
