import Synchronization

/// Unique ids in UUID form (version 4 layout) minted without a system call each: a random per-instance prefix from
/// the system CSPRNG and a counter. For request ids and CloudTrail event ids, minted on every API call; not for
/// anything that must be unguessable (tokens, keys).
public final class SequentialUUIDs: Sendable {
    private let prefix: (UInt64, UInt32) = {
        var generator = SystemRandomNumberGenerator()
        return (generator.next(), UInt32(truncatingIfNeeded: generator.next() as UInt64))
    }()
    private let counter = Atomic<UInt64>(0)

    public init() {}

    public func next() -> String {
        let count = self.counter.wrappingAdd(1, ordering: .relaxed).newValue
        let (high, middle) = self.prefix
        func hex(_ value: UInt64, _ digits: Int) -> String {
            let text = String(value, radix: 16)
            return String(repeating: "0", count: max(0, digits - text.count)) + text
        }
        return
            "\(hex(high >> 32, 8))-\(hex((high >> 16) & 0xFFFF, 4))-4\(hex(high & 0xFFF, 3))-\(hex(UInt64(middle) & 0x3FFF | 0x8000, 4))-\(hex(count & 0xFFFF_FFFF_FFFF, 12))"
    }
}
