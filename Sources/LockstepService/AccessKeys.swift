public import Foundation
public import LockstepAuth
public import LockstepCore
import LockstepCrypto
import LockstepStore

/// IAM-style access keys for SigV4: create, import, list, delete, and look up for verification.
///
/// The secret access key is sealed like a secret value (a fresh data key under the default master key, bound to
/// the user's ARN and the key id) and shown exactly once, when created.
public struct AccessKeys: Sendable {
    public let manager: SecretsManager

    public init(manager: SecretsManager) {
        self.manager = manager
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

    /// What verification needs: who the key belongs to, its secret, and a tag that changes if the key is replaced.
    public struct Credential: Sendable {
        public var principal: Principal
        public var secretAccessKey: Sensitive<String>
        public var generation: String
    }

    static func context(account: String, userName: String, accessKeyId: String) -> EncryptionContext {
        EncryptionContext(secretARN: "arn:aws:iam::\(account):user/\(userName)", versionId: accessKeyId)
    }

    /// Creates a key for `userName` in `account`, or imports an existing pair (for migrations and tests).
    public func create(
        userName: String,
        account: String,
        importing existing: (accessKeyId: String, secretAccessKey: String)? = nil
    ) async throws -> CreatedKey {
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
        try await manager.store.write { tx in
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
        }
        return CreatedKey(AccessKeyId: id, SecretAccessKey: Sensitive(secret), UserName: userName, Account: account, CreateDate: now, Status: "Active")
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
    }

    /// The credential of an active key, or nil when the key doesn't exist (or is inactive).
    public func credential(for accessKeyId: String) async throws -> Credential? {
        let manager = self.manager
        return try await manager.store.read { tx in
            guard let record = try tx.accessKey(id: accessKeyId), record.status == "Active" else { return nil }
            let sealed = SealedValue(keyId: record.kmsKeyId, wrappedDataKey: record.wrappedDataKey, ciphertext: record.ciphertext)
            let context = Self.context(account: record.account, userName: record.userName, accessKeyId: record.accessKeyId)
            let secret = String(decoding: try manager.envelope.open(sealed, context: context, in: tx), as: UTF8.self)
            return Credential(
                principal: Principal(account: record.account, userName: record.userName, accessKeyId: record.accessKeyId),
                secretAccessKey: Sensitive(secret),
                generation: String(record.createdDate.timeIntervalSince1970)
            )
        }
    }

    /// True when no access key exists yet (a new data directory).
    public func isEmpty() async throws -> Bool {
        try await self.manager.store.read { tx in try tx.accessKeys().isEmpty }
    }
}
