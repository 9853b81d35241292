/// Request-derived text made safe for a `key=value` log line.
///
/// A value of plain characters (`A-Za-z0-9` and `-_.:/@+,*`) is written as it is; anything else is quoted, with
/// `"` and `\` escaped and control and non-ASCII bytes written as `\xNN`, so a value can never end its field or
/// start a forged one (`status=200`), nor break the line. Values are cut to ``maximumLength`` bytes first.
public enum LogValue {
    /// The longest value written (longer ones end with `...`).
    public static let maximumLength = 256

    /// `text` as a single log field value.
    public static func quoted(_ text: some StringProtocol) -> String {
        let bytes = text.utf8
        if !bytes.isEmpty, bytes.count <= Self.maximumLength, bytes.allSatisfy(Self.isPlain) { return String(text) }
        var result: [UInt8] = [UInt8(ascii: "\"")]
        result.reserveCapacity(min(bytes.count, Self.maximumLength) + 8)
        func hex(_ nibble: UInt8) -> UInt8 { nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10 }
        for (index, byte) in bytes.enumerated() {
            guard index < Self.maximumLength else {
                result.append(contentsOf: "...".utf8)
                break
            }
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                result.append(UInt8(ascii: "\\"))
                result.append(byte)
            case 0x20...0x7E:
                result.append(byte)
            default:
                result.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "x"), hex(byte >> 4), hex(byte & 0x0F)])
            }
        }
        result.append(UInt8(ascii: "\""))
        return String(decoding: result, as: UTF8.self)
    }

    static func isPlain(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: ":"), UInt8(ascii: "/"), UInt8(ascii: "@"),
            UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: "*"):
            return true
        default:
            return false
        }
    }
}
