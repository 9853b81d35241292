public import Foundation
public import LockstepAudit
import LockstepAuth
import LockstepCore
public import LockstepCrypto
public import LockstepStore

/// The AWS Secrets Manager operations over a store and an envelope.
///
/// Every entry point (the CLI, the HTTP server, the rotation engine) calls these functions, so validation and the
/// label rules live in one place. Each operation is one store transaction: a failed call changes nothing.
public struct SecretsManager: Sendable {
    public let store: any SecretStore
    public let envelope: Envelope
    /// The clock: tests move time to exercise deletion windows and schedules.
    public let now: @Sendable () -> Date
    /// Where API calls and lifecycle events are recorded (nil: not recorded, as in unit tests of the rules).
    public let audit: AuditLog?
    /// Whether policies are evaluated. Off only for the benchmark comparison (`serve --benchmark-without-access-control`).
    public let enforcesPolicies: Bool
    /// The rotation engine's side of RotateSecret, and where lifecycle events go.
    public let rotation: RotationHooks
    /// Wakes the change feed's long polls when a change commits.
    public let changes: ChangeSignal

    public init(
        store: any SecretStore,
        keyProvider: any KeyProvider,
        audit: AuditLog? = nil,
        enforcesPolicies: Bool = true,
        rotation: RotationHooks = .detached,
        cachedDataKeys: Int = Envelope.defaultCachedDataKeys,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.store = store
        self.envelope = Envelope(provider: keyProvider, cachedDataKeys: cachedDataKeys)
        self.audit = audit
        self.enforcesPolicies = enforcesPolicies
        self.rotation = Self.audited(rotation, audit)
        self.changes = ChangeSignal()
        self.now = now
    }

    /// The same service with other rotation hooks (the engine is built after the service it drives).
    public func with(rotation: RotationHooks) -> SecretsManager {
        SecretsManager(
            store: self.store,
            envelope: self.envelope,
            audit: self.audit,
            enforcesPolicies: self.enforcesPolicies,
            rotation: Self.audited(rotation, self.audit),
            changes: self.changes,
            now: self.now
        )
    }

    /// Lifecycle events go to the audit log as well as to the hooks' own sink.
    static func audited(_ rotation: RotationHooks, _ audit: AuditLog?) -> RotationHooks {
        guard let audit, !(rotation.events is AuditedLifecycleEvents) else { return rotation }
        var hooks = rotation
        hooks.events = AuditedLifecycleEvents(audit: audit, next: rotation.events)
        return hooks
    }

    private init(
        store: any SecretStore,
        envelope: Envelope,
        audit: AuditLog?,
        enforcesPolicies: Bool,
        rotation: RotationHooks,
        changes: ChangeSignal,
        now: @escaping @Sendable () -> Date
    ) {
        self.store = store
        self.envelope = envelope
        self.audit = audit
        self.enforcesPolicies = enforcesPolicies
        self.rotation = rotation
        self.changes = changes
        self.now = now
    }

    // MARK: Shared steps

    /// Finds the secret a `SecretId` names (a name, a full ARN or a partial ARN without the random suffix) and
    /// authorizes the request's operation on it: every operation on a secret passes through here.
    ///
    /// A full ARN may name a secret of another account (a cross-account call: both accounts' policies must allow
    /// it). A caller who may not act on a secret that doesn't exist is told AccessDenied, not ResourceNotFound, so
    /// names can't be probed.
    func resolve(_ secretId: String, in tx: any SecretStoreTransaction, context: RequestContext) throws -> SecretRecord {
        guard (1...2048).contains(secretId.count) else {
            throw SecretsManagerError.constraint("secretId", value: secretId, "Member must have length between 1 and 2048")
        }
        var found: SecretRecord?
        let arn = SecretARN.parse(secretId)
        if let arn {
            found = try tx.secret(arn: secretId)
            if found == nil, arn.region == context.region {
                found = try tx.secret(scope: Scope(account: arn.account, region: arn.region), name: arn.resource)
            }
        } else {
            found = try tx.secret(scope: context.scope, name: secretId)
        }
        let visible = found.flatMap { secret -> SecretRecord? in
            guard secret.scope.region == context.region, secret.scope.account == context.account || arn != nil else { return nil }
            if let deletionDate = secret.deletionDate, deletionDate <= self.now() { return nil }
            return secret
        }
        guard let visible else {
            let account = arn?.account ?? context.account
            let name = arn?.resource ?? secretId
            try self.authorize(
                resource: "arn:aws:secretsmanager:\(context.region):\(account):secret:\(name)",
                account: account,
                named: secretId,
                in: tx,
                context: context
            )
            throw SecretsManagerError.secretNotFound
        }
        try self.authorize(visible, named: secretId, in: tx, context: context)
        return visible
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
        if !doomed.isEmpty {
            try tx.deleteVersions(secretId: secret.id, versionIds: doomed)
            self.recordVersionEvents(.endSecretVersionDelete, of: secret, versions: doomed)
        }
    }

    /// Deletes every secret whose recovery window has passed. Runs at the start of each write.
    @discardableResult
    func purgeExpired(in tx: any SecretStoreTransaction) throws -> Int {
        let due = try tx.secretsDue(forDeletionBefore: self.now())
        for secret in due {
            let versions = try tx.versions(secretId: secret.id).map(\.versionId)
            try self.recordChange(.deleted, of: secret, stages: .some(nil), by: nil, in: tx)
            try tx.deleteSecret(id: secret.id)
            self.recordVersionEvents(.endSecretVersionDelete, of: secret, versions: versions)
        }
        return due.count
    }

    /// A write transaction that first purges expired deletions. The change feed's long polls hear of what it
    /// appended once it has committed.
    func write<T: Sendable>(_ body: @escaping @Sendable (any SecretStoreTransaction) throws -> T) async throws -> T {
        defer { self.changes.publish() }
        return try await self.store.write { tx in
            try self.purgeExpired(in: tx)
            return try body(tx)
        }
    }

    /// Permanently deletes secrets whose recovery window has passed; returns how many.
    public func purgeExpiredSecrets() async throws -> Int {
        defer { self.changes.publish() }
        return try await self.store.write { try self.purgeExpired(in: $0) }
    }

    /// Records a lifecycle event per version (deletion start, cancel and end). Recorded as the body runs: the
    /// paths that call this change nothing after it, so only a failed COMMIT could leave a record without its change.
    func recordVersionEvents(_ event: LifecycleEventName, of secret: SecretRecord, versions: [String]) {
        guard let audit = self.audit else { return }
        for version in versions {
            audit.record(event, secretARN: secret.arn, region: secret.scope.region, account: secret.scope.account, versionId: version)
        }
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
