#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 CIDR range for `IpAddress` / `NotIpAddress` (a bare address is a /32 or /128).
///
/// Addresses are compared as 16 bytes: IPv4 as its IPv4-mapped IPv6 form, so `::ffff:10.0.0.1` and `10.0.0.1`
/// are the same address.
public struct IPAddressRange: Sendable, Hashable {
    let network: [UInt8]
    let prefixLength: Int

    public init?(cidr: String) {
        let parts = cidr.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = Self.parse(String(parts[0])) else { return nil }
        let maximum = address.isIPv4 ? 32 : 128
        var length = maximum
        if parts.count == 2 {
            guard let value = Int(parts[1]), (0...maximum).contains(value) else { return nil }
            length = value
        }
        self.prefixLength = address.isIPv4 ? length + 96 : length
        self.network = address.bytes
    }

    public func contains(_ address: [UInt8]) -> Bool {
        guard address.count == 16 else { return false }
        var remaining = self.prefixLength
        for index in 0..<16 where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if address[index] & mask != self.network[index] & mask { return false }
            remaining -= bits
        }
        return true
    }

    /// The 16-byte form of an IPv4 or IPv6 address, or nil.
    public static func parseAddress(_ text: String) -> [UInt8]? { parse(text)?.bytes }

    private static func parse(_ text: String) -> (bytes: [UInt8], isIPv4: Bool)? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            let value = withUnsafeBytes(of: &v4) { Array($0) }
            return (Array(repeating: 0, count: 10) + [0xFF, 0xFF] + value, true)
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return (withUnsafeBytes(of: &v6) { Array($0) }, false)
        }
        return nil
    }
}
