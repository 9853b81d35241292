public import Foundation
import LockstepCore

/// A JSON value for audit records: parsed from request and response bodies, redacted, and written canonically
/// (sorted keys, no insignificant space), so a record's text is exactly what its hash covers.
///
/// Parsing and writing work on UTF-8 bytes: the writer turns every API call into a record, and `JSONDecoder` or
/// character-by-character `String` building cost more than the call itself.
enum AuditJSON: Sendable, Hashable {
    case string(String)
    case integer(Int64)
    case double(Double)
    case bool(Bool)
    case null
    case array([AuditJSON])
    case object([String: AuditJSON])

    /// Members that are never logged (the API model marks them sensitive; spec §4.3).
    static let sensitiveMembers: Set<String> = ["SecretString", "SecretBinary", "RotationToken", "RandomPassword"]

    /// Parses a body; nil when it isn't exactly one JSON value (then nothing of it is logged: it might be a value).
    static func parse(_ data: Data) -> AuditJSON? {
        guard !data.isEmpty else { return nil }
        return data.withUnsafeBytes { raw -> AuditJSON? in
            var parser = Parser(bytes: raw.bindMemory(to: UInt8.self))
            guard let value = parser.value(depth: 0) else { return nil }
            parser.skipSpace()
            return parser.index == parser.bytes.count ? value : nil
        }
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
        var output: [UInt8] = []
        output.reserveCapacity(1024)
        self.write(into: &output)
        return String(decoding: output, as: UTF8.self)
    }

    func write(into output: inout [UInt8]) { self.write(into: &output, redacting: false) }

    /// What `redacted.write(into:)` writes, without building the redacted copy first (the writer does this for
    /// every record's request parameters).
    func writeRedacted(into output: inout [UInt8]) { self.write(into: &output, redacting: true) }

    private func write(into output: inout [UInt8], redacting: Bool) {
        switch self {
        case .string(let string): JSONString.append(string, to: &output)
        case .integer(let value): output.append(contentsOf: String(value).utf8)
        case .double(let value): output.append(contentsOf: (value.isFinite ? String(value) : "null").utf8)
        case .bool(let value): output.append(contentsOf: (value ? "true" : "false").utf8)
        case .null: output.append(contentsOf: "null".utf8)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                element.write(into: &output, redacting: redacting)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            var first = true
            for member in members.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
                if redacting, Self.sensitiveMembers.contains(member.key) { continue }
                if !first { output.append(UInt8(ascii: ",")) }
                first = false
                JSONString.append(member.key, to: &output)
                output.append(UInt8(ascii: ":"))
                member.value.write(into: &output, redacting: redacting)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// A strict RFC 8259 parser (nesting limited to 64 levels).
    struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        mutating func skipSpace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        mutating func value(depth: Int) -> AuditJSON? {
            guard depth < 64 else { return nil }
            self.skipSpace()
            guard index < bytes.count else { return nil }
            switch bytes[index] {
            case UInt8(ascii: "{"): return self.object(depth: depth)
            case UInt8(ascii: "["): return self.array(depth: depth)
            case UInt8(ascii: "\""): return self.string().map(AuditJSON.string)
            case UInt8(ascii: "t"): return self.literal("true") ? .bool(true) : nil
            case UInt8(ascii: "f"): return self.literal("false") ? .bool(false) : nil
            case UInt8(ascii: "n"): return self.literal("null") ? .null : nil
            default: return self.number()
            }
        }

        mutating func literal(_ word: StaticString) -> Bool {
            let count = word.utf8CodeUnitCount
            guard index + count <= bytes.count else { return false }
            for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return false }
            index += count
            return true
        }

        mutating func object(depth: Int) -> AuditJSON? {
            index += 1
            var members: [String: AuditJSON] = [:]
            self.skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(members)
            }
            while true {
                self.skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\""), let key = self.string() else { return nil }
                self.skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
                index += 1
                guard let value = self.value(depth: depth + 1) else { return nil }
                members[key] = value
                self.skipSpace()
                guard index < bytes.count else { return nil }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                guard bytes[index] == UInt8(ascii: "}") else { return nil }
                index += 1
                return .object(members)
            }
        }

        mutating func array(depth: Int) -> AuditJSON? {
            index += 1
            var elements: [AuditJSON] = []
            self.skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(elements)
            }
            while true {
                guard let value = self.value(depth: depth + 1) else { return nil }
                elements.append(value)
                self.skipSpace()
                guard index < bytes.count else { return nil }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                guard bytes[index] == UInt8(ascii: "]") else { return nil }
                index += 1
                return .array(elements)
            }
        }

        /// A string at `index` (which is the opening quote).
        mutating func string() -> String? {
            index += 1
            let start = index
            // Fast path: no escapes.
            while index < bytes.count, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\"), bytes[index] >= 0x20 { index += 1 }
            guard index < bytes.count else { return nil }
            if bytes[index] == UInt8(ascii: "\"") {
                defer { index += 1 }
                return String(validating: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            }
            var scalars = Array(bytes[start..<index])
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    index += 1
                    return String(validating: scalars, as: UTF8.self)
                }
                guard byte >= 0x20 else { return nil }
                guard byte == UInt8(ascii: "\\") else {
                    scalars.append(byte)
                    index += 1
                    continue
                }
                index += 1
                guard index < bytes.count else { return nil }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scalars.append(escape)
                case UInt8(ascii: "b"): scalars.append(0x08)
                case UInt8(ascii: "f"): scalars.append(0x0C)
                case UInt8(ascii: "n"): scalars.append(0x0A)
                case UInt8(ascii: "r"): scalars.append(0x0D)
                case UInt8(ascii: "t"): scalars.append(0x09)
                case UInt8(ascii: "u"):
                    guard var code = self.hex4() else { return nil }
                    if (0xD800..<0xDC00).contains(code) {
                        guard self.literal("\\u"), let low = self.hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { return nil }
                    scalars.append(contentsOf: String(Character(scalar)).utf8)
                default: return nil
                }
            }
            return nil
        }

        mutating func hex4() -> UInt32? {
            guard index + 4 <= bytes.count else { return nil }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: return nil
                }
                value = value << 4 | UInt32(digit)
                index += 1
            }
            return value
        }

        mutating func number() -> AuditJSON? {
            let start = index
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
            var integral = true
            while index < bytes.count {
                let byte = bytes[index]
                if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                    index += 1
                } else if byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") || byte == UInt8(ascii: "+")
                    || byte == UInt8(ascii: "-")
                {
                    integral = false
                    index += 1
                } else {
                    break
                }
            }
            guard index > start, let text = String(validating: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self) else { return nil }
            if integral, let value = Int64(text) { return .integer(value) }
            return Double(text).map(AuditJSON.double)
        }
    }
}

/// Redaction for callers that must not hold a body with secrets any longer than needed.
public enum AuditRedaction {
    /// The body without SecretString, SecretBinary, RotationToken and RandomPassword; nil when it isn't JSON.
    public static func redacted(_ body: Data) -> Data? {
        AuditJSON.parse(body).map { Data($0.redacted.canonicalText.utf8) }
    }
}
