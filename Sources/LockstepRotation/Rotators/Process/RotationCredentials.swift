import Foundation
public import LockstepCore
public import LockstepService
public import Logging

/// The AWS credentials a process rotator gets for one step, in `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and,
/// when present, `AWS_SESSION_TOKEN`.
public struct RotationCredentials: Sendable, Hashable {
    public var accessKeyId: String
    public var secretAccessKey: Sensitive<String>
    public var sessionToken: Sensitive<String>?

    public init(accessKeyId: String, secretAccessKey: Sensitive<String>, sessionToken: Sensitive<String>? = nil) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }
}

/// Issues the credentials of one rotation step and takes them back when the step ends (success, failure or
/// timeout alike).
///
/// The seam for access control: credentials should let the rotator act only on the secret being rotated and on
/// the master secret its `masterarn` names, exactly as an AWS rotation Lambda's execution role would.
public protocol RotationCredentialIssuer: Sendable {
    /// - Parameters:
    ///   - secretARN: the secret being rotated.
    ///   - masterARN: the `masterarn` of the secret's current value, when it has one.
    ///   - context: the account and region the rotation acts in.
    func issue(secretARN: String, masterARN: String?, context: RequestContext) async throws -> RotationCredentials
    /// Revokes `credentials`. Never throws: the step's outcome stands; a failure is logged (without the secret).
    func revoke(_ credentials: RotationCredentials) async
}

/// Role-session credentials allowed to act only on the secret being rotated and the master secret its `masterarn`
/// names (an inline session policy of the `LockstepRotator` role, as an AWS rotation Lambda's execution role would
/// be scoped), issued for one step and revoked when it ends. They expire after 15 minutes in any case, so a crash
/// mid-step leaves nothing usable for long.
public struct ScopedCredentialIssuer: RotationCredentialIssuer {
    let sessions: Sessions
    let logger: Logger

    public init(sessions: Sessions, logger: Logger = Logger(label: "lockstep.rotation")) {
        self.sessions = sessions
        self.logger = logger
    }

    public func issue(secretARN: String, masterARN: String?, context: RequestContext) async throws -> RotationCredentials {
        let credentials = try await self.sessions.scopedCredentials(
            account: context.account,
            region: context.region,
            secretARNs: [secretARN] + (masterARN.map { [$0] } ?? []),
            sessionName: "lockstep-rotation"
        )
        return RotationCredentials(
            accessKeyId: credentials.AccessKeyId,
            secretAccessKey: credentials.SecretAccessKey,
            sessionToken: credentials.SessionToken
        )
    }

    public func revoke(_ credentials: RotationCredentials) async {
        do {
            try await self.sessions.revoke(accessKeyId: credentials.accessKeyId)
        } catch {
            self.logger.error("could not revoke a rotation session", metadata: ["access-key-id": "\(credentials.accessKeyId)"])
        }
    }
}
