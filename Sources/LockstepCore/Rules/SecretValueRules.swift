public import Foundation

/// A secret value: a string or bytes, never both, 1–65,536 bytes.
public enum SecretValue: Sendable, Hashable {
    case string(String)
    case binary(Data)

    public static let maximumBytes = 65_536

    /// Builds the value a request carries, or nil when it carries none.
    ///
    /// Throws when both forms are present or the size is out of range. Messages name the parameter, never
    /// the value.
    public static func from(string: String?, binary: Data?) throws(SecretsManagerError) -> SecretValue? {
        switch (string, binary) {
        case (nil, nil):
            return nil
        case (.some, .some):
            throw SecretsManagerError(.invalidParameter, "You can't specify both a binary secret value and a string secret value in the same secret.")
        case (let string?, nil):
            guard (1...maximumBytes).contains(string.utf8.count) else {
                throw .constraint("secretString", "Member must have length between 1 and \(maximumBytes)")
            }
            return .string(string)
        case (nil, let binary?):
            guard (1...maximumBytes).contains(binary.count) else {
                throw .constraint("secretBinary", "Member must have length between 1 and \(maximumBytes)")
            }
            return .binary(binary)
        }
    }

    /// The bytes to encrypt.
    public var bytes: Data {
        switch self {
        case .string(let string): Data(string.utf8)
        case .binary(let data): data
        }
    }

    /// Whether the stored bytes are a string.
    public var isString: Bool {
        if case .string = self { return true }
        return false
    }
}

/// Deletion windows (spec §3.7).
public enum DeletionRules {
    public static let recoveryWindowDays: ClosedRange<Int64> = 7...30
    public static let defaultRecoveryWindowDays: Int64 = 30

    /// The deletion date for a DeleteSecret request made at `now`.
    ///
    /// The window is checked first (7–30, so 0 is refused too), then its conflict with a forced delete, as AWS does.
    public static func deletionDate(now: Date, recoveryWindowInDays: Int64?, force: Bool?) throws(SecretsManagerError) -> Date {
        if let days = recoveryWindowInDays, !recoveryWindowDays.contains(days) {
            throw SecretsManagerError(.invalidParameter, "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
        }
        if force == true {
            guard recoveryWindowInDays == nil else {
                throw SecretsManagerError(
                    .invalidParameter,
                    "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays."
                )
            }
            return now
        }
        let days = recoveryWindowInDays ?? defaultRecoveryWindowDays
        guard recoveryWindowDays.contains(days) else {
            throw SecretsManagerError(.invalidParameter, "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
        }
        return now.addingTimeInterval(TimeInterval(days) * 86_400)
    }
}

/// Day-resolution dates, as AWS reports LastAccessedDate.
public enum DayResolution {
    /// `date` truncated to midnight UTC.
    public static func truncate(_ date: Date) -> Date {
        let seconds = date.timeIntervalSince1970
        return Date(timeIntervalSince1970: (seconds / 86_400).rounded(.down) * 86_400)
    }
}
