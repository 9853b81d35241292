public import Foundation

/// Hexadecimal digits, as the protocols spell them (SigV4 signatures, JSON `\uXXXX` escapes).
public enum Hex {
    /// The value of one hexadecimal digit (either case), or nil for any other byte.
    @inlinable
    public static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Lower-case hexadecimal, two digits a byte.
    public static func encode(_ data: some Sequence<UInt8>) -> String {
        func digit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10 }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64)
        for byte in data {
            bytes.append(digit(byte >> 4))
            bytes.append(digit(byte & 0x0F))
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The bytes of an even-length hexadecimal string (either case), or nil.
    public static func decode(_ string: String) -> Data? {
        guard string.utf8.count % 2 == 0 else { return nil }
        var data = Data(capacity: string.utf8.count / 2)
        var high: UInt8?
        for byte in string.utf8 {
            guard let value = Hex.nibble(byte) else { return nil }
            if let h = high {
                data.append(h << 4 | value)
                high = nil
            } else {
                high = value
            }
        }
        return data
    }
}
