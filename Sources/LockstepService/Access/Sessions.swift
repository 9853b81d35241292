import Crypto
public import Foundation
import LockstepAuth
public import LockstepCore
import LockstepCrypto
import LockstepStore

/// Temporary credentials: an access key, its secret and a session token, valid until an expiry, acting as a
/// session of a role.
///
/// Two ways in share this machinery: `assume-role` (a caller the role's trust policy admits gets the role's
/// permissions, optionally narrowed by an inline session policy) and ``scopedCredentials(account:region:secretARNs:sessionName:duration:)``,
/// which the rotation engine uses to give a process rotator `secretsmanager:*` on exactly the secrets it rotates.
///
/// The session token is stored only as its SHA-256 digest and compared in constant time; the secret is sealed like
/// an access key's.
public struct Sessions: Sendable {
    public let manager: SecretsManager

    public init(manager: SecretsManager) { self.manager = manager }

    /// What assume-role answers (the aws CLI's `Credentials` shape).
    public struct Credentials: Codable, Sendable, Hashable {
        public var AccessKeyId: String
        public var SecretAccessKey: Sensitive<String>
        public var SessionToken: Sensitive<String>
        public var Expiration: Date
    }

    public struct AssumedRoleUser: Codable, Sendable, Hashable {
        public var AssumedRoleId: String
        public var Arn: String
    }

    public struct AssumeRoleResult: Codable, Sendable, Hashable {
        public var Credentials: Credentials
        public var AssumedRoleUser: AssumedRoleUser
    }

    /// The role every process rotator's session belongs to (a built-in role with no stored policies: only the
    /// session policy limits it).
    public static let rotatorRole = "LockstepRotator"
    static let serviceIssuer = "service"
    static let assumeRoleIssuer = "assume-role"

    /// Assumes `roleARN` for `caller`: the role's trust policy must admit the caller (and, for a principal named
    /// only by its account, the caller's identity policies must allow `sts:AssumeRole` on the role).
    ///
    /// - Parameters:
    ///   - caller: who asks; the local operator is its account's root.
    ///   - roleARN: `arn:aws:iam::<account>:role/<name>`.
    ///   - sessionName: 2-64 characters of letters, digits and `+=,.@_-`.
    ///   - duration: 900-43200 seconds (default 3600).
    ///   - policy: an inline session policy that narrows the role's permissions.
    public func assumeRole(
        caller: Caller,
        roleARN: String,
        sessionName: String,
        duration: TimeInterval = 3600,
        policy: String? = nil
    ) async throws -> AssumeRoleResult {
        guard (900...43_200).contains(duration) else {
            throw SecretsManagerError(.validation, "The duration must be between 900 and 43200 seconds.")
        }
        let parts = roleARN.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[2] == "iam", parts[5].hasPrefix("role/") else {
            throw SecretsManagerError(.validation, "RoleArn must be arn:aws:iam::<account>:role/<name>.")
        }
        let account = String(parts[4])
        let roleName = String(parts[5].dropFirst("role/".count))
        let denied = SecretsManagerError(
            .accessDenied,
            "User: \(caller.principal.arn) is not authorized to perform: sts:AssumeRole on resource: \(roleARN)"
        )
        let role = try await self.manager.store.read { tx in try tx.identity(account: account, kind: .role, name: roleName) }
        guard let role, let trustText = role.trustPolicy, let trust = try? PolicyDocument(parsing: trustText, kind: .trust) else { throw denied }
        let request = AuthorizationRequest(principal: caller.principal, action: "sts:AssumeRole", resource: roleARN, resourceAccount: account)
        let facts = PrincipalFacts(principal: caller.principal)
        guard PolicyEvaluator.decideTrust(request, identity: caller.permissions, trustPolicy: trust, context: facts).isAllowed else { throw denied }
        let credentials = try await self.issue(
            account: account,
            roleName: roleName,
            sessionName: sessionName,
            sessionPolicy: policy,
            issuer: Self.assumeRoleIssuer,
            principalId: role.id,
            duration: duration
        )
        return AssumeRoleResult(
            Credentials: credentials,
            AssumedRoleUser: AssumedRoleUser(
                AssumedRoleId: "\(role.id):\(sessionName)",
                Arn: "arn:aws:sts::\(account):assumed-role/\(roleName)/\(sessionName)"
            )
        )
    }

    /// Credentials for a process rotator: `secretsmanager:*` on the given secrets only (the secret it rotates and,
    /// for the alternating-users scheme, the secret its `masterarn` names), nothing else.
    ///
    /// - Parameters:
    ///   - account: the account of the secrets.
    ///   - region: unused by the credentials themselves (SigV4 scopes carry the region); kept for the audit trail.
    ///   - secretARNs: full ARNs of the secrets the session may use.
    ///   - sessionName: names the session in audit records (e.g. the rotation token's first characters).
    ///   - duration: how long the credentials live (default 15 minutes).
    public func scopedCredentials(
        account: String,
        region: String,
        secretARNs: [String],
        sessionName: String,
        duration: TimeInterval = 900
    ) async throws -> Credentials {
        guard !secretARNs.isEmpty else { throw SecretsManagerError(.invalidParameter, "Scoped credentials need at least one secret.") }
        return try await self.issue(
            account: account,
            roleName: Self.rotatorRole,
            sessionName: sessionName,
            sessionPolicy: Self.scopedPolicy(secretARNs),
            issuer: Self.serviceIssuer,
            duration: duration
        )
    }

    /// Credentials for the process rotator of `secretId`: scoped to that secret and, when its current value is a
    /// JSON object with a `masterarn` (the alternating-users scheme), to that secret too.
    ///
    /// - Parameters:
    ///   - secretId: the secret being rotated (name or ARN, in `account` and `region`).
    ///   - account: the secret's account.
    ///   - region: the secret's region.
    ///   - sessionName: names the session in audit records.
    /// Ends a session before it expires (a rotation step's credentials, once the step is over). A server that looked
    /// the session up keeps accepting it for its credential cache lifetime (2 s).
    @discardableResult
    public func revoke(accessKeyId: String) async throws -> Bool {
        try await self.manager.store.write { try $0.deleteSession(accessKeyId: accessKeyId) }
    }

    public func rotatorCredentials(secretId: String, account: String, region: String, sessionName: String) async throws -> Credentials {
        let value = try await self.manager.getSecretValue(
            GetSecretValueRequest(SecretId: secretId),
            context: RequestContext.system(account: account, region: region)
        )
        var arns = [value.ARN]
        if let text = value.SecretString?.value,
            let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
            let master = object["masterarn"] as? String, master.hasPrefix("arn:")
        {
            arns.append(master)
        }
        return try await self.scopedCredentials(account: account, region: region, secretARNs: arns, sessionName: sessionName)
    }

    /// `Allow secretsmanager:*` on exactly these ARNs.
    static func scopedPolicy(_ secretARNs: [String]) -> String {
        let resources = secretARNs.map { "\"\($0)\"" }.joined(separator: ",")
        // GetRandomPassword acts on no secret (Resource "*"): AWS's rotation templates call it in createSecret.
        return #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:*","Resource":[\#(resources)]},"#
            + #"{"Effect":"Allow","Action":"secretsmanager:GetRandomPassword","Resource":"*"}]}"#
    }

    func issue(
        account: String,
        roleName: String,
        sessionName: String,
        sessionPolicy: String?,
        issuer: String,
        principalId: String? = nil,
        duration: TimeInterval
    ) async throws -> Credentials {
        guard (2...64).contains(sessionName.count), sessionName.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+=,.@_-".contains($0)) })
        else {
            throw SecretsManagerError(.validation, "The role session name must be 2-64 characters of letters, digits and +=,.@_-.")
        }
        if let sessionPolicy {
            do {
                _ = try PolicyDocument(parsing: sessionPolicy, kind: .identity)
            } catch {
                throw SecretsManagerError(.malformedPolicyDocument, error.message)
            }
        }
        let accessKeyId = "ASIA" + String(AccessKeyFormat.newAccessKeyId().dropFirst(4))
        let secret = AccessKeyFormat.newSecretAccessKey()
        let token = Self.newSessionToken()
        let now = self.manager.now()
        let expiration = now.addingTimeInterval(duration)
        let manager = self.manager
        try await manager.store.write { tx in
            _ = try tx.deleteSessions(expiredBefore: now)
            let keyId = try manager.envelope.provider.resolve(nil, in: tx)
            let sealed = try manager.envelope.seal(
                Data(secret.utf8),
                keyId: keyId,
                context: Self.context(account: account, roleName: roleName, sessionName: sessionName, accessKeyId: accessKeyId),
                in: tx
            )
            try tx.insertSession(
                SessionRecord(
                    accessKeyId: accessKeyId,
                    account: account,
                    roleName: roleName,
                    sessionName: sessionName,
                    tokenDigest: Self.digest(token),
                    sessionPolicy: sessionPolicy,
                    issuer: issuer,
                    createdDate: now,
                    expiration: expiration,
                    kmsKeyId: sealed.keyId,
                    wrappedDataKey: sealed.wrappedDataKey,
                    ciphertext: sealed.ciphertext,
                    principalId: principalId
                )
            )
        }
        return Credentials(AccessKeyId: accessKeyId, SecretAccessKey: Sensitive(secret), SessionToken: Sensitive(token), Expiration: expiration)
    }

    static func context(account: String, roleName: String, sessionName: String, accessKeyId: String) -> EncryptionContext {
        EncryptionContext(secretARN: "arn:aws:sts::\(account):assumed-role/\(roleName)/\(sessionName)", versionId: accessKeyId)
    }

    /// 96 bytes from the system CSPRNG, base64.
    static func newSessionToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return Data((0..<96).map { _ in UInt8.random(in: 0...255, using: &generator) }).base64EncodedString()
    }

    static func digest(_ token: String) -> Data { Data(SHA256.hash(data: Data(token.utf8))) }
}

/// The condition keys of a caller alone (trust policies are evaluated before any secret is involved).
struct PrincipalFacts: ConditionContext {
    let principal: Principal

    func values(for key: ConditionKey) -> [String]? {
        switch key.canonical {
        case "aws:principalarn": return [self.principal.roleARN ?? self.principal.arn]
        case "aws:principalaccount": return [self.principal.account]
        case "aws:principaltype": return [self.principal.identityType]
        case "aws:currenttime": return [UTCDate.iso8601(Date())]
        default: return nil
        }
    }
}
