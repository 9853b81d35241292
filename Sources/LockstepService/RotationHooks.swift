import Foundation
public import Logging

/// A rotation or deletion lifecycle event (CloudTrail's event names, spec §4.1): RotationStarted,
/// RotationSucceeded, RotationFailed, RotationAbandoned, TestRotationStarted, TestRotationSucceeded,
/// TestRotationFailed. It never carries a secret value, a password or a rotation token.
public struct LifecycleEvent: Sendable, Hashable {
    public var name: String
    public var secretARN: String
    public var account: String
    public var region: String
    /// The rotation's version id (the ClientRequestToken is a version id, not a secret).
    public var versionId: String?
    public var step: String?
    public var errorClass: String?
    public var errorMessage: String?

    public init(
        name: String,
        secretARN: String,
        account: String,
        region: String,
        versionId: String? = nil,
        step: String? = nil,
        errorClass: String? = nil,
        errorMessage: String? = nil
    ) {
        self.name = name
        self.secretARN = secretARN
        self.account = account
        self.region = region
        self.versionId = versionId
        self.step = step
        self.errorClass = errorClass
        self.errorMessage = errorMessage
    }
}

/// Where lifecycle events go: the audit log (issue 7) plugs in here. Must not block or throw.
public protocol LifecycleEventSink: Sendable {
    func record(_ event: LifecycleEvent)
}

/// The default sink: one structured log line per event.
public struct LoggingLifecycleEvents: LifecycleEventSink {
    let logger: Logger

    public init(logger: Logger = Logger(label: "lockstep.events")) { self.logger = logger }

    public func record(_ event: LifecycleEvent) {
        var metadata: Logger.Metadata = ["secret": "\(event.secretARN)"]
        if let versionId = event.versionId { metadata["version"] = "\(versionId)" }
        if let step = event.step { metadata["step"] = "\(step)" }
        if let errorClass = event.errorClass { metadata["errorClass"] = "\(errorClass)" }
        if let message = event.errorMessage { metadata["error"] = "\(message)" }
        self.logger.info("\(event.name)", metadata: metadata)
    }
}

/// How the service reaches the rotation engine without depending on it (the engine sits above the service).
public struct RotationHooks: Sendable {
    /// Whether a RotationLambdaARN names a rotator this installation can run (a built-in or `rotators/<name>`).
    public var canInvoke: @Sendable (String) -> Bool
    /// A rotation became due now (RotateSecret, a re-drive): wake the engine.
    public var rotationQueued: @Sendable () -> Void
    public var events: any LifecycleEventSink

    public init(
        canInvoke: @escaping @Sendable (String) -> Bool,
        rotationQueued: @escaping @Sendable () -> Void = {},
        events: any LifecycleEventSink = LoggingLifecycleEvents()
    ) {
        self.canInvoke = canInvoke
        self.rotationQueued = rotationQueued
        self.events = events
    }

    /// No engine attached: every rotator name is accepted and nothing runs until an engine picks the rotation up
    /// from the store (`lockstep rotate`, or a `serve` process).
    public static let detached = RotationHooks(canInvoke: { _ in true })
}
