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

    /// Lower-case hexadecimal, two digits a byte (SigV4 encodes two digests a request: written in one pass).
    public static func encode(_ data: some ContiguousBytes) -> String {
        data.withUnsafeBytes { bytes in
            String(unsafeUninitializedCapacity: bytes.count * 2) { text in
                for (index, byte) in bytes.enumerated() {
                    text[2 * index] = Self.digit(byte >> 4)
                    text[2 * index + 1] = Self.digit(byte & 0x0F)
                }
                return bytes.count * 2
            }
        }
    }

    private static func digit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10 }

    /// The bytes of an even-length hexadecimal string (either case), or nil.
    public static func decode(_ string: String) -> Data? {
        var string = string
        return string.withUTF8(Self.decode(utf8:))
    }

    /// The bytes of an even-length hexadecimal substring (either case), or nil.
    public static func decode(_ string: Substring) -> Data? {
        var string = string
        return string.withUTF8(Self.decode(utf8:))
    }

    private static func decode(utf8 text: UnsafeBufferPointer<UInt8>) -> Data? {
        guard text.count % 2 == 0 else { return nil }
        var data = Data(count: text.count / 2)
        let valid = data.withUnsafeMutableBytes { output -> Bool in
            for index in 0..<output.count {
                guard let high = Hex.nibble(text[2 * index]), let low = Hex.nibble(text[2 * index + 1]) else { return false }
                output[index] = high << 4 | low
            }
            return true
        }
        return valid ? data : nil
    }
}
