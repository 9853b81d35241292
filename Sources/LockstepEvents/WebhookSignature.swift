import Crypto
public import Foundation

/// The signature of a webhook request: `Lockstep-Signature: v1=<hex>`, the lowercase hex HMAC-SHA256, keyed with
/// the endpoint's secret, of `<timestamp>.<body>`, where `<timestamp>` is the `Lockstep-Timestamp` header (Unix
/// seconds when the attempt was made) and `<body>` the request body's exact bytes. A receiver recomputes it,
/// compares in constant time, and refuses a timestamp more than ``tolerance`` from its clock (a replay).
public struct WebhookSignature: Sendable {
    public static let signatureHeader = "Lockstep-Signature"
    public static let timestampHeader = "Lockstep-Timestamp"
    public static let eventIDHeader = "Lockstep-Event-Id"
    /// How far a receiver should accept a timestamp from its own clock, either way.
    public static let tolerance: TimeInterval = 300

    private let key: SymmetricKey

    /// - Parameter secret: the endpoint's shared secret, as read from its file or environment variable.
    public init(secret: Data) {
        self.key = SymmetricKey(data: secret)
    }

    /// The header value for `body` sent at `timestamp` (Unix seconds).
    public func sign(_ body: some DataProtocol, timestamp: Int64) -> String {
        var mac = HMAC<SHA256>(key: self.key)
        mac.update(data: Data("\(timestamp).".utf8))
        mac.update(data: body)
        return "v1=" + Data(mac.finalize()).map { String(format: "%02x", $0) }.joined()
    }

    /// Whether `header` is a valid signature of `body` at `timestamp`, and the timestamp is within ``tolerance`` of
    /// `now` (what a receiver does; here for the tests and as the reference).
    public func verify(_ header: String, body: some DataProtocol, timestamp: Int64, now: Date) -> Bool {
        guard abs(now.timeIntervalSince1970 - Double(timestamp)) <= Self.tolerance, header.hasPrefix("v1=") else { return false }
        let hex = header.dropFirst(3)
        guard hex.utf8.count == 64 else { return false }
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return false }
            bytes.append(byte)
            index = next
        }
        var message = Data("\(timestamp).".utf8)
        message.append(contentsOf: body)
        return HMAC<SHA256>.isValidAuthenticationCode(bytes, authenticating: message, using: self.key)
    }
}

/// How long to wait before the next attempt at an event after `failures` failed ones: `initial` doubling each time,
/// at most `maximum`, then half of that fixed and half random ("equal jitter", so endpoints failing together don't
/// retry together). Attempts never stop (at-least-once): an endpoint that keeps failing holds its later events back,
/// in order, and shows in `lockstep events status` and `/metrics`.
public struct DeliveryBackoff: Sendable, Hashable {
    public var initial: Duration
    public var maximum: Duration

    public init(initial: Duration = .milliseconds(500), maximum: Duration = .seconds(300)) {
        self.initial = initial
        self.maximum = max(maximum, initial)
    }

    /// The full (un-jittered) delay after `failures` failures (1 or more).
    public func ceiling(afterFailures failures: Int) -> Duration {
        let doublings = min(max(failures - 1, 0), 40)
        let initial = Double(self.initial.components.seconds) + Double(self.initial.components.attoseconds) / 1e18
        let maximum = Double(self.maximum.components.seconds) + Double(self.maximum.components.attoseconds) / 1e18
        let seconds = min(initial * pow(2, Double(doublings)), maximum)
        return .milliseconds(Int64(seconds * 1_000))
    }

    /// The delay after `failures` failures; `random` is a number in 0...1 (the jitter).
    public func delay(afterFailures failures: Int, random: Double) -> Duration {
        let ceiling = self.ceiling(afterFailures: failures)
        let fraction = 0.5 + 0.5 * min(max(random, 0), 1)
        return ceiling * fraction
    }
}
