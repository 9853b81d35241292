/// JSON string literals written straight into a byte buffer, for the writers that skip `JSONEncoder` on hot paths
/// (GetSecretValue responses, audit records).
public enum JSONString {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Appends `string` quoted, with RFC 8259's minimal escaping (`"`, `\` and control characters), the same text
    /// `JSONEncoder` writes with `.withoutEscapingSlashes`.
    public static func append(_ string: String, to output: inout [UInt8]) {
        var string = string
        string.withUTF8 { Self.append(utf8: $0, to: &output) }
    }

    /// Works on the string's contiguous UTF-8: an audit record writes some twenty strings, and stepping through
    /// `String.UTF8View` cost more than the rest of the record.
    private static func append(utf8 text: UnsafeBufferPointer<UInt8>, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        // Most strings need no escape: copy them whole.
        if !text.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            output.append(contentsOf: text)
            output.append(UInt8(ascii: "\""))
            return
        }
        for byte in text {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                output.append(Self.hexDigits[Int(byte >> 4)])
                output.append(Self.hexDigits[Int(byte & 0xF)])
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}
