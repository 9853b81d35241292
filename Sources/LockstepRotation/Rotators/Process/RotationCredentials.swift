public import Foundation
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

/// Until scoped credentials exist: a fresh access key of the user `lockstep-rotation` for each step, deleted when
/// the step ends. The key can do whatever an access key of the account can: scoping comes with access control.
///
/// A key left behind by a crash mid-step is deleted by the next step that issues one, once it is older than
/// `staleAfter`.
public struct AccessKeyCredentialIssuer: RotationCredentialIssuer {
    public static let userName = "lockstep-rotation"

    let keys: AccessKeys
    let staleAfter: TimeInterval
    let logger: Logger

    /// - Parameters:
    ///   - keys: the access keys of the store the server authenticates against.
    ///   - staleAfter: age after which a rotation key can only be a leftover (longer than any step can run).
    public init(keys: AccessKeys, staleAfter: TimeInterval = 3_600, logger: Logger = Logger(label: "lockstep.rotation")) {
        self.keys = keys
        self.staleAfter = staleAfter
        self.logger = logger
    }

    public func issue(secretARN: String, masterARN: String?, context: RequestContext) async throws -> RotationCredentials {
        await self.deleteStaleKeys()
        let key = try await self.keys.create(userName: Self.userName, account: context.account)
        return RotationCredentials(accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey)
    }

    public func revoke(_ credentials: RotationCredentials) async {
        do {
            try await self.keys.delete(accessKeyId: credentials.accessKeyId)
        } catch {
            self.logger.error("could not delete a rotation access key", metadata: ["access-key-id": "\(credentials.accessKeyId)"])
        }
    }

    private func deleteStaleKeys() async {
        guard let all = try? await self.keys.list() else { return }
        let cutoff = self.keys.manager.now().addingTimeInterval(-self.staleAfter)
        for key in all where key.UserName == Self.userName && key.CreateDate < cutoff {
            try? await self.keys.delete(accessKeyId: key.AccessKeyId)
        }
    }
}
