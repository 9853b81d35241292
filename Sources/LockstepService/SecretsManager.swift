public import Foundation
import LockstepCore
public import LockstepCrypto
public import LockstepStore

/// Who is calling and where: the account and region a request acts in.
///
/// The HTTP server takes the region from the SigV4 scope; the CLI from its configuration. Identity and policy
/// evaluation (the access-control issue) will hang off this type.
public struct RequestContext: Sendable, Hashable {
    public var account: String
    public var region: String

    public init(account: String, region: String) {
        self.account = account
        self.region = region
    }

    var scope: Scope { Scope(account: self.account, region: self.region) }
}

/// The AWS Secrets Manager operations over a store and an envelope.
///
/// Every entry point (the CLI, the HTTP server, the rotation engine) calls these functions, so validation and the
/// label rules live in one place. Each operation is one store transaction: a failed call changes nothing.
public struct SecretsManager: Sendable {
    public let store: any SecretStore
    public let envelope: Envelope
    /// The clock: tests move time to exercise deletion windows and schedules.
    public let now: @Sendable () -> Date
    /// The rotation engine's side of RotateSecret, and where lifecycle events go.
    public let rotation: RotationHooks

    public init(
        store: any SecretStore,
        keyProvider: any KeyProvider,
        rotation: RotationHooks = .detached,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.store = store
        self.envelope = Envelope(provider: keyProvider)
        self.rotation = rotation
        self.now = now
    }

    /// The same service with other rotation hooks (the engine is built after the service it drives).
    public func with(rotation: RotationHooks) -> SecretsManager {
        SecretsManager(store: self.store, envelope: self.envelope, rotation: rotation, now: self.now)
    }

    private init(store: any SecretStore, envelope: Envelope, rotation: RotationHooks, now: @escaping @Sendable () -> Date) {
        self.store = store
        self.envelope = envelope
        self.rotation = rotation
        self.now = now
    }

    // MARK: Shared steps

    /// Finds the secret a `SecretId` names: a name, a full ARN or a partial ARN (without the random suffix).
    func resolve(_ secretId: String, in tx: any SecretStoreTransaction, context: RequestContext) throws -> SecretRecord {
        guard (1...2048).contains(secretId.count) else {
            throw SecretsManagerError.constraint("secretId", value: secretId, "Member must have length between 1 and 2048")
        }
        var found: SecretRecord?
        if let arn = SecretARN.parse(secretId) {
            found = try tx.secret(arn: secretId)
            if found == nil, arn.account == context.account, arn.region == context.region {
                found = try tx.secret(scope: context.scope, name: arn.resource)
            }
        } else {
            found = try tx.secret(scope: context.scope, name: secretId)
        }
        guard let found, found.scope == context.scope else { throw SecretsManagerError.secretNotFound }
        if let deletionDate = found.deletionDate, deletionDate <= self.now() { throw SecretsManagerError.secretNotFound }
        return found
    }

    /// Resolves a secret that is about to change: not scheduled for deletion, not a replica.
    func resolveWritable(_ secretId: String, in tx: any SecretStoreTransaction, context: RequestContext) throws -> SecretRecord {
        let secret = try self.resolve(secretId, in: tx, context: context)
        guard secret.deletedDate == nil else { throw SecretsManagerError.markedForDeletion }
        guard !secret.isReplica else { throw SecretsManagerError.replicaIsReadOnly }
        return secret
    }

    /// The secret whose versions, labels and tags `secret` shows: itself, or its primary for a replica.
    func dataOwner(of secret: SecretRecord, in tx: any SecretStoreTransaction) throws -> SecretRecord {
        guard let primaryId = secret.primaryId else { return secret }
        guard let primary = try tx.secret(id: primaryId) else { throw SecretsManagerError.secretNotFound }
        return primary
    }

    /// Seals `value` as version `versionId` of `secret` and inserts it.
    func insertVersion(
        _ value: SecretValue,
        versionId: String,
        of secret: SecretRecord,
        in tx: any SecretStoreTransaction
    ) throws {
        try tx.insertVersion(try self.seal(value, versionId: versionId, of: secret, in: tx))
    }

    /// Seals `value` as version `versionId` of `secret`, ready to insert (or to fill a placeholder with).
    func seal(_ value: SecretValue, versionId: String, of secret: SecretRecord, in tx: any SecretStoreTransaction) throws -> VersionRecord {
        let context = EncryptionContext(secretARN: secret.arn, versionId: versionId)
        let sealed = try self.envelope.seal(value.bytes, keyId: secret.kmsKeyId, context: context, in: tx)
        return VersionRecord(
            secretId: secret.id,
            versionId: versionId,
            createdDate: self.now(),
            kmsKeyId: sealed.keyId,
            wrappedDataKey: sealed.wrappedDataKey,
            ciphertext: sealed.ciphertext,
            isString: value.isString
        )
    }

    /// Decrypts a stored version of `owner` (the secret that holds the data).
    func open(_ version: VersionRecord, of owner: SecretRecord, in tx: any SecretStoreTransaction) throws -> SecretValue {
        try self.open(version, boundTo: owner.arn, in: tx)
    }

    /// Decrypts a stored version sealed with `arn` (the owner's ARN) as authenticated data.
    func open(_ version: VersionRecord, boundTo arn: String, in tx: any SecretStoreTransaction) throws -> SecretValue {
        let context = EncryptionContext(secretARN: arn, versionId: version.versionId)
        let sealed = SealedValue(keyId: version.kmsKeyId, wrappedDataKey: version.wrappedDataKey, ciphertext: version.ciphertext)
        let bytes = try self.envelope.open(sealed, context: context, in: tx)
        guard version.isString else { return .binary(bytes) }
        guard let string = String(validating: bytes, as: UTF8.self) else { throw SecretsManagerError.decryptionFailure }
        return .string(string)
    }

    /// Deletes deprecated versions beyond the newest 100 (never a labelled one).
    func pruneVersions(of secret: SecretRecord, stages: StageMap, in tx: any SecretStoreTransaction) throws {
        guard try tx.versionCount(secretId: secret.id) > VersionRetention.keptDeprecatedVersions else { return }
        let candidates = try tx.versions(secretId: secret.id).map {
            VersionRetention.Candidate(versionId: $0.versionId, sequence: $0.sequence)
        }
        let doomed = VersionRetention.versionsToPrune(candidates, stages: stages)
        if !doomed.isEmpty { try tx.deleteVersions(secretId: secret.id, versionIds: doomed) }
    }

    /// Deletes every secret whose recovery window has passed. Runs at the start of each write.
    @discardableResult
    func purgeExpired(in tx: any SecretStoreTransaction) throws -> Int {
        let due = try tx.secretsDue(forDeletionBefore: self.now())
        for secret in due { try tx.deleteSecret(id: secret.id) }
        return due.count
    }

    /// A write transaction that first purges expired deletions.
    func write<T: Sendable>(_ body: @escaping @Sendable (any SecretStoreTransaction) throws -> T) async throws -> T {
        try await self.store.write { tx in
            try self.purgeExpired(in: tx)
            return try body(tx)
        }
    }

    /// Permanently deletes secrets whose recovery window has passed; returns how many.
    public func purgeExpiredSecrets() async throws -> Int {
        try await self.store.write { try self.purgeExpired(in: $0) }
    }

    static func validateLength(_ value: String?, _ name: String, max: Int) throws {
        if let value, value.count > max {
            throw SecretsManagerError.constraint(name, "Member must have length less than or equal to \(max)")
        }
    }

    /// Values are compared in constant time: the comparison must not tell an attacker how much matched.
    static func sameValue(_ a: SecretValue, _ b: SecretValue) -> Bool {
        guard a.isString == b.isString else { return false }
        let x = a.bytes
        let y = b.bytes
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for (p, q) in zip(x, y) { difference |= p ^ q }
        return difference == 0
    }
}
