import Synchronization

/// Unique ids in UUID form (version 4 layout) minted without a system call each: a random per-instance prefix from
/// the system CSPRNG and a counter. For request ids and CloudTrail event ids, minted on every API call; not for
/// anything that must be unguessable (tokens, keys).
public final class SequentialUUIDs: Sendable {
    /// The first four groups and their dashes (`xxxxxxxx-xxxx-4xxx-yxxx-`, 24 bytes), made once: only the last
    /// group, the counter, changes from one id to the next.
    private let prefix: [UInt8]
    private let counter = Atomic<UInt64>(0)

    public convenience init() {
        var generator = SystemRandomNumberGenerator()
        self.init(high: generator.next(), middle: UInt32(truncatingIfNeeded: generator.next() as UInt64))
    }

    /// Ids after a given random prefix (tests).
    init(high: UInt64, middle: UInt32) {
        var prefix: [UInt8] = []
        prefix.reserveCapacity(24)
        Self.appendHex(high >> 32, digits: 8, to: &prefix)
        prefix.append(UInt8(ascii: "-"))
        Self.appendHex((high >> 16) & 0xFFFF, digits: 4, to: &prefix)
        prefix.append(contentsOf: "-4".utf8)
        Self.appendHex(high & 0xFFF, digits: 3, to: &prefix)
        prefix.append(UInt8(ascii: "-"))
        Self.appendHex(UInt64(middle) & 0x3FFF | 0x8000, digits: 4, to: &prefix)
        prefix.append(UInt8(ascii: "-"))
        self.prefix = prefix
    }

    public func next() -> String {
        let count = self.counter.wrappingAdd(1, ordering: .relaxed).newValue & 0xFFFF_FFFF_FFFF
        return String(unsafeUninitializedCapacity: 36) { buffer in
            _ = buffer.initialize(from: self.prefix)
            var value = count
            for index in stride(from: 35, through: 24, by: -1) {
                buffer[index] = Self.digits[Int(value & 0xF)]
                value >>= 4
            }
            return 36
        }
    }

    private static let digits = Array("0123456789abcdef".utf8)

    /// `value` in lower-case hex, zero-padded to `digits` (never cut: the callers mask to fit).
    private static func appendHex(_ value: UInt64, digits: Int, to bytes: inout [UInt8]) {
        let text = String(value, radix: 16)
        bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: max(0, digits - text.utf8.count)))
        bytes.append(contentsOf: text.utf8)
    }
}
