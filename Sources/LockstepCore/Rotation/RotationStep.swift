/// The four steps of a rotation, in order, as AWS rotation functions name them.
public enum RotationStep: String, Sendable, Hashable, Codable, CaseIterable {
    case createSecret, setSecret, testSecret, finishSecret

    /// The step after this one in a full rotation.
    public var next: RotationStep? {
        switch self {
        case .createSecret: .setSecret
        case .setSecret: .testSecret
        case .testSecret: .finishSecret
        case .finishSecret: nil
        }
    }
}

/// What kind of failure a step met; it decides whether retrying can help.
public enum RotationErrorClass: String, Sendable, Hashable, Codable {
    /// The database or rotator could not be reached, or timed out: worth retrying.
    case network
    /// Credentials were refused: retrying with the same ones will not help.
    case authentication
    /// A statement failed: worth retrying (locks, transient server state).
    case sql
    /// The secret or its configuration is wrong: retrying will not help.
    case validation
    /// Anything else from the rotator (a process rotator's non-zero exit): worth retrying.
    case rotator

    public var isRetryable: Bool {
        switch self {
        case .network, .sql, .rotator: true
        case .authentication, .validation: false
        }
    }
}

/// A step's failure as the engine records it. The message is already scrubbed of secrets.
public struct RotationFailure: Sendable, Hashable, Codable {
    public var step: RotationStep
    public var errorClass: RotationErrorClass
    public var message: String

    public init(step: RotationStep, errorClass: RotationErrorClass, message: String) {
        self.step = step
        self.errorClass = errorClass
        self.message = message
    }
}
