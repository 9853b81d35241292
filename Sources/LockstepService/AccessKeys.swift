public import Foundation
public import LockstepAuth
public import LockstepCore
import LockstepCrypto
import LockstepStore
import Synchronization

/// IAM-style access keys for SigV4: create, import, list, delete, and look up for verification.
///
/// The secret access key is sealed like a secret value (a fresh data key under the default master key, bound to
/// the user's ARN and the key id) and shown exactly once, when created.
public struct AccessKeys: Sendable {
    public let manager: SecretsManager
    private let cache: CredentialCache

    /// - Parameters:
    ///   - manager: the service whose store and envelope keep the keys.
    ///   - cacheLifetime: how long a looked-up credential is reused. A key deleted by another process (the CLI)
    ///     stops working within this time, as IAM's own changes take a moment to propagate; 0 looks up every time.
    public init(manager: SecretsManager, cacheLifetime: TimeInterval = 2) {
        self.manager = manager
        self.cache = CredentialCache(lifetime: cacheLifetime)
    }

    /// Drops every cached credential: another node or the CLI changed identities, policies, keys or sessions.
    public func forgetCached() {
        self.cache.removeAll()
    }

    /// The answer to create-access-key: the only time the secret is shown.
    public struct CreatedKey: Codable, Sendable, Hashable {
        public var AccessKeyId: String
        public var SecretAccessKey: Sensitive<String>
        public var UserName: String
        public var Account: String
        public var CreateDate: Date
        public var Status: String
    }

    /// A key as list-access-keys shows it (no secret).
    public struct KeyMetadata: Codable, Sendable, Hashable {
        public var AccessKeyId: String
        public var UserName: String
        public var Account: String
        public var CreateDate: Date
        public var Status: String
    }

    /// What verification and authorization need: who the key belongs to and what it may do, its secret, a tag that
    /// changes if the key is replaced, and for temporary credentials the session token's digest and the expiry.
    public struct Credential: Sendable {
        public var principal: Principal
        public var permissions: IdentityPermissions
        public var secretAccessKey: Sensitive<String>
        public var generation: String
        /// SHA-256 of the session token; nil for long-term keys.
        public var sessionTokenDigest: Data?
        public var expiration: Date?

        public var caller: Caller { Caller(principal: self.principal, permissions: self.permissions) }

        /// Checks `X-Amz-Security-Token` against the credential: required (and compared in constant time) for
        /// temporary credentials, refused for long-term keys; an expired session is refused.
        public func checkSessionToken(_ token: String?, now: Date) throws(SecretsManagerError) {
            guard let digest = self.sessionTokenDigest else {
                if token != nil { throw SecretsManagerError(.unrecognizedClient, "The security token included in the request is invalid.") }
                return
            }
            guard let token, Self.constantTimeEqual(Sessions.digest(token), digest) else {
                throw SecretsManagerError(.unrecognizedClient, "The security token included in the request is invalid.")
            }
            if let expiration = self.expiration, expiration <= now {
                throw SecretsManagerError(.expiredToken, "The security token included in the request is expired")
            }
        }

        static func constantTimeEqual(_ a: Data, _ b: Data) -> Bool {
            guard a.count == b.count else { return false }
            var difference: UInt8 = 0
            for (x, y) in zip(a, b) { difference |= x ^ y }
            return difference == 0
        }
    }

    static func context(account: String, userName: String, accessKeyId: String) -> EncryptionContext {
        EncryptionContext(secretARN: "arn:aws:iam::\(account):user/\(userName)", versionId: accessKeyId)
    }

    /// Creates a key for `userName` in `account`, or imports an existing pair (for migrations and tests).
    ///
    /// A user that doesn't exist yet is created as an administrator (the allow-all policy), as every key was before
    /// policies existed and as `init` does for `admin`; for least privilege, create the user and its policies first.
    public func create(
        userName: String,
        account: String,
        importing existing: (accessKeyId: String, secretAccessKey: String)? = nil
    ) async throws -> CreatedKey {
        try await self.create(userName: userName, account: account, importing: existing, onlyIfNone: false)!
    }

    /// The first key of a new store (`init`, a first `serve`): created only if the store holds no key yet, checked in
    /// the same transaction, so nodes starting together on one new PostgreSQL store make one administrator key. nil
    /// when there was one.
    public func createFirst(userName: String, account: String) async throws -> CreatedKey? {
        guard try await self.isEmpty() else { return nil }
        return try await self.create(userName: userName, account: account, importing: nil, onlyIfNone: true)
    }

    private func create(
        userName: String,
        account: String,
        importing existing: (accessKeyId: String, secretAccessKey: String)?,
        onlyIfNone: Bool
    ) async throws -> CreatedKey? {
        try await Identities(manager: self.manager).ensureAdministrator(name: userName, account: account)
        guard AccessKeyFormat.isValidUserName(userName) else {
            throw SecretsManagerError(.validation, "The user name must be 1-64 characters of letters, digits and +=,.@_-.")
        }
        guard account.count == 12, account.allSatisfy(\.isNumber) else {
            throw SecretsManagerError(.validation, "The account id must be 12 digits.")
        }
        let id = existing?.accessKeyId ?? AccessKeyFormat.newAccessKeyId()
        let secret = existing?.secretAccessKey ?? AccessKeyFormat.newSecretAccessKey()
        guard AccessKeyFormat.isValidAccessKeyId(id) else {
            throw SecretsManagerError(.validation, "An access key id is 16-128 letters and digits.")
        }
        guard secret.count >= 16 else { throw SecretsManagerError(.validation, "A secret access key has at least 16 characters.") }
        let now = self.manager.now()
        let manager = self.manager
        let created = try await manager.store.write { tx -> Bool in
            if onlyIfNone, try !tx.accessKeys().isEmpty { return false }
            guard try tx.accessKey(id: id) == nil else {
                throw SecretsManagerError(.resourceExists, "The access key \(id) already exists.")
            }
            let keyId = try manager.envelope.provider.resolve(nil, in: tx)
            let sealed = try manager.envelope.seal(
                Data(secret.utf8),
                keyId: keyId,
                context: Self.context(account: account, userName: userName, accessKeyId: id),
                in: tx
            )
            try tx.insertAccessKey(
                AccessKeyRecord(
                    accessKeyId: id,
                    account: account,
                    userName: userName,
                    createdDate: now,
                    kmsKeyId: sealed.keyId,
                    wrappedDataKey: sealed.wrappedDataKey,
                    ciphertext: sealed.ciphertext
                )
            )
            return true
        }
        guard created else { return nil }
        return CreatedKey(
            AccessKeyId: id,
            SecretAccessKey: Sensitive(secret),
            UserName: userName,
            Account: account,
            CreateDate: now,
            Status: "Active"
        )
    }

    public func list() async throws -> [KeyMetadata] {
        try await self.manager.store.read { tx in try tx.accessKeys() }.map {
            KeyMetadata(AccessKeyId: $0.accessKeyId, UserName: $0.userName, Account: $0.account, CreateDate: $0.createdDate, Status: $0.status)
        }
    }

    public func delete(accessKeyId: String) async throws {
        guard try await self.manager.store.write({ tx in try tx.deleteAccessKey(id: accessKeyId) }) else {
            throw SecretsManagerError(.resourceNotFound, "The access key \(accessKeyId) doesn't exist.")
        }
        self.cache.remove(accessKeyId)
    }

    /// The credential of an active key, or nil when the key doesn't exist (or is inactive).
    public func credential(for accessKeyId: String) async throws -> Credential? {
        let now = self.manager.now()
        if let cached = self.cache.credential(for: accessKeyId, now: now) { return cached }
        var credential = try await self.lookUp(accessKeyId)
        if credential == nil { credential = try await self.lookUpSession(accessKeyId) }
        if let credential { self.cache.insert(credential, now: now) }
        return credential
    }

    private func lookUp(_ accessKeyId: String) async throws -> Credential? {
        let manager = self.manager
        return try await manager.store.read { tx in
            guard let record = try tx.accessKey(id: accessKeyId), record.status == "Active" else { return nil }
            let sealed = SealedValue(keyId: record.kmsKeyId, wrappedDataKey: record.wrappedDataKey, ciphertext: record.ciphertext)
            let context = Self.context(account: record.account, userName: record.userName, accessKeyId: record.accessKeyId)
            let secret = String(decoding: try manager.envelope.open(sealed, context: context, in: tx), as: UTF8.self)
            return Credential(
                principal: Principal(account: record.account, userName: record.userName, accessKeyId: record.accessKeyId),
                permissions: IdentityPermissions(
                    policies: try Identities.permissions(of: .user, name: record.userName, account: record.account, in: tx)
                ),
                secretAccessKey: Sensitive(secret),
                generation: String(record.createdDate.timeIntervalSince1970)
            )
        }
    }

    /// Temporary credentials of a role session.
    private func lookUpSession(_ accessKeyId: String) async throws -> Credential? {
        let manager = self.manager
        return try await manager.store.read { tx in
            guard let record = try tx.session(accessKeyId: accessKeyId) else { return nil }
            // An assumed role's session lives only as long as that role (by its immutable id, not its name).
            if record.issuer != Sessions.serviceIssuer {
                let role = try tx.identity(account: record.account, kind: .role, name: record.roleName)
                guard let role, let principalId = record.principalId, role.id == principalId else { return nil }
            }
            let sealed = SealedValue(keyId: record.kmsKeyId, wrappedDataKey: record.wrappedDataKey, ciphertext: record.ciphertext)
            let context = Sessions.context(
                account: record.account,
                roleName: record.roleName,
                sessionName: record.sessionName,
                accessKeyId: accessKeyId
            )
            let secret = String(decoding: try manager.envelope.open(sealed, context: context, in: tx), as: UTF8.self)
            // A service-issued session (process rotators) has only its session policy; an assumed role has the
            // role's policies, narrowed by the session policy.
            let rolePolicies =
                record.issuer == Sessions.serviceIssuer
                ? [try PolicyDocument(parsing: Identities.administratorPolicy, kind: .identity)]
                : try Identities.permissions(of: .role, name: record.roleName, account: record.account, in: tx)
            return Credential(
                principal: Principal(
                    account: record.account,
                    kind: .assumedRole(role: record.roleName, session: record.sessionName),
                    accessKeyId: accessKeyId
                ),
                permissions: IdentityPermissions(
                    policies: rolePolicies,
                    sessionPolicy: try record.sessionPolicy.map { try PolicyDocument(parsing: $0, kind: .identity) }
                ),
                secretAccessKey: Sensitive(secret),
                generation: String(record.createdDate.timeIntervalSince1970),
                sessionTokenDigest: record.tokenDigest,
                expiration: record.expiration
            )
        }
    }

    /// True when no access key exists yet (a new data directory).
    public func isEmpty() async throws -> Bool {
        try await self.manager.store.read { tx in try tx.accessKeys().isEmpty }
    }
}

/// Credentials looked up recently, each reused for a short lifetime. Bounded: cleared when full.
final class CredentialCache: Sendable {
    private struct Entry {
        var credential: AccessKeys.Credential
        var expires: Date
    }

    private let lifetime: TimeInterval
    private let entries = Mutex<[String: Entry]>([:])

    init(lifetime: TimeInterval) { self.lifetime = lifetime }

    func credential(for accessKeyId: String, now: Date) -> AccessKeys.Credential? {
        guard self.lifetime > 0 else { return nil }
        return self.entries.withLock { entries in
            guard let entry = entries[accessKeyId], entry.expires > now else { return nil }
            return entry.credential
        }
    }

    func insert(_ credential: AccessKeys.Credential, now: Date) {
        guard self.lifetime > 0 else { return }
        self.entries.withLock { entries in
            if entries.count >= 10_000 { entries.removeAll(keepingCapacity: true) }
            entries[credential.principal.accessKeyId] = Entry(credential: credential, expires: now.addingTimeInterval(self.lifetime))
        }
    }

    func remove(_ accessKeyId: String) {
        _ = self.entries.withLock { $0.removeValue(forKey: accessKeyId) }
    }

    func removeAll() {
        self.entries.withLock { $0.removeAll() }
    }
}
