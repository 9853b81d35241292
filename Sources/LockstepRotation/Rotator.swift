public import LockstepCore
public import LockstepService
import LockstepStore

/// The event an AWS rotation Lambda receives, for each step (spec §2.1).
public struct RotationEvent: Codable, Sendable, Hashable {
    public var Step: String
    public var SecretId: String
    public var ClientRequestToken: String
    public var RotationToken: String?

    public init(Step: String, SecretId: String, ClientRequestToken: String, RotationToken: String? = nil) {
        self.Step = Step
        self.SecretId = SecretId
        self.ClientRequestToken = ClientRequestToken
        self.RotationToken = RotationToken
    }
}

/// One step to run, with what the engine knows about the rotation.
public struct RotationInvocation: Sendable {
    public var step: RotationStep
    public var rotation: ClaimedRotation

    public init(step: RotationStep, rotation: ClaimedRotation) {
        self.step = step
        self.rotation = rotation
    }

    public var secretARN: String { self.rotation.secretARN }
    /// The ClientRequestToken: the version id of the AWSPENDING version every step works on.
    public var token: String { self.rotation.record.token }
    /// The account and region to call the API in.
    public var context: RequestContext { self.rotation.context }
    /// False when this step has never started under this token, so it can't have had effects yet.
    public var stepMayHaveRun: Bool { self.rotation.stepMayHaveRun }

    /// The Lambda event for this step.
    public var event: RotationEvent {
        RotationEvent(Step: self.step.rawValue, SecretId: self.secretARN, ClientRequestToken: self.token)
    }
}

/// A step failed. The message is recorded (status, audit) and so must never contain a secret.
public struct RotatorError: Error, Sendable, Hashable, CustomStringConvertible {
    public var errorClass: RotationErrorClass
    public var message: String

    public init(_ errorClass: RotationErrorClass, _ message: String) {
        self.errorClass = errorClass
        self.message = message
    }

    public var description: String { "\(self.errorClass.rawValue): \(self.message)" }
}

/// Something that can run the four rotation steps for a secret: a built-in database rotator, or a process
/// rotator under `rotators/` with the AWS Lambda contract. Each step must be idempotent: the engine runs a step
/// again after a failure or a crash, with the same token.
public protocol Rotator: Sendable {
    func invoke(_ invocation: RotationInvocation) async throws(RotatorError)
}
