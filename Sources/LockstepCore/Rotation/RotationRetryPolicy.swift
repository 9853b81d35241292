/// Bounded exponential backoff with jitter for failed steps (AWS retries the same token but documents no cadence).
///
/// Attempt n (n ≥ 1) waits `min(maximumDelay, baseDelay × 2^(n-1))`, scaled by a jitter factor in [0.5, 1.0), so
/// many secrets failing together don't retry in lockstep. After `maximumAttempts` attempts of a step the rotation
/// fails for good; the scheduler tries again at the next window, and a later RotateSecret re-drives it.
public struct RotationRetryPolicy: Sendable, Hashable {
    public var baseDelay: Double
    public var maximumDelay: Double
    public var maximumAttempts: Int

    public init(baseDelay: Double = 30, maximumDelay: Double = 3_600, maximumAttempts: Int = 6) {
        self.baseDelay = baseDelay
        self.maximumDelay = maximumDelay
        self.maximumAttempts = maximumAttempts
    }

    /// Seconds to wait after failed attempt `attempt`; `jitter` is a uniform random number in [0, 1).
    public func delay(afterAttempt attempt: Int, jitter: Double) -> Double {
        let exponent = Double(max(0, attempt - 1))
        let raw = min(self.maximumDelay, self.baseDelay * pow2(exponent))
        return raw * (0.5 + 0.5 * min(max(jitter, 0), 1))
    }

    private func pow2(_ exponent: Double) -> Double {
        var result = 1.0
        for _ in 0..<Int(min(exponent, 62)) { result *= 2 }
        return result
    }
}
