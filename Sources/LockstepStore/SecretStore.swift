public import Foundation
public import LockstepCore

/// The persistence contract of Lockstep: secrets, versions, labels, tags and master keys.
///
/// Every API operation runs as one ``read(_:)`` or ``write(_:)`` transaction; a throw from `body` leaves the store
/// exactly as before. Bodies run synchronously on the store's own executor, off the Swift concurrency pool.
public protocol SecretStore: Sendable {
    /// Runs `body` against a consistent snapshot.
    func read<T: Sendable>(_ body: @escaping @Sendable (any SecretStoreTransaction) throws -> T) async throws -> T
    /// Runs `body` as one atomic write transaction. `faultPoint` names the transaction for the crash harness
    /// (debug builds only): ``FaultPoint/storeTransaction`` for every write a request or a rotation causes,
    /// ``FaultPoint/auditTransaction`` for the audit writer's batches, whose number depends on timing.
    func write<T: Sendable>(
        faultPoint: FaultPoint,
        _ body: @escaping @Sendable (any SecretStoreTransaction) throws -> T
    ) async throws -> T
}

extension SecretStore {
    /// Runs `body` as one atomic write transaction.
    public func write<T: Sendable>(_ body: @escaping @Sendable (any SecretStoreTransaction) throws -> T) async throws -> T {
        try await self.write(faultPoint: .storeTransaction, body)
    }
}

/// The operations available inside a transaction. Writes fail on a read transaction.
public protocol SecretStoreTransaction: MasterKeySource, IdentityStoreTransaction {
    // Secrets
    func secret(id: Int64) throws -> SecretRecord?
    func secret(scope: Scope, name: String) throws -> SecretRecord?
    func secret(arn: String) throws -> SecretRecord?
    /// Inserts and returns the new row id.
    func insertSecret(_ record: SecretRecord) throws -> Int64
    func updateSecret(_ record: SecretRecord) throws
    /// Deletes a secret with its versions, labels, tags and replicas.
    func deleteSecret(id: Int64) throws
    /// Replicas of a primary.
    func replicas(of primaryId: Int64) throws -> [SecretRecord]
    /// Secrets whose scheduled deletion date is at or before `date`.
    func secretsDue(forDeletionBefore date: Date) throws -> [SecretRecord]
    /// Up to `limit` secrets of `scope` in sort order after `cursor`.
    func scanSecrets(
        scope: Scope,
        sortBy: SecretSortKey,
        ascending: Bool,
        after cursor: ScanCursor?,
        includePlannedDeletion: Bool,
        limit: Int
    ) throws -> [SecretRecord]
    /// The cursor value of `record` for `sortBy`.
    func cursor(of record: SecretRecord, sortBy: SecretSortKey) -> ScanCursor

    // Tags
    func tags(secretId: Int64) throws -> [Tag]
    func replaceTags(secretId: Int64, with tags: [Tag]) throws
    /// Whether the secret has ever had a tag (remembered by ``replaceTags(secretId:with:)``).
    func hasHadTags(secretId: Int64) throws -> Bool

    // Managed external secrets
    func externalRotation(secretId: Int64) throws -> ExternalRotationRecord?
    func setExternalRotation(secretId: Int64, _ record: ExternalRotationRecord) throws

    // Versions and labels
    /// Every version, newest first.
    func versions(secretId: Int64) throws -> [VersionRecord]
    func versionCount(secretId: Int64) throws -> Int
    func version(secretId: Int64, versionId: String) throws -> VersionRecord?
    /// GetSecretValue's common case in one statement: the secret named `name` in `scope`, the version carrying
    /// `label` (of the primary, for a replica), that version's labels, and the ARN its value is bound to.
    func labelledVersion(scope: Scope, name: String, label: String) throws -> LabelledVersion?
    func insertVersion(_ record: VersionRecord) throws
    /// Replaces the sealed value of a version (re-wrapping under another master key, or filling RotateSecret's
    /// placeholder).
    func updateVersionCiphertext(_ record: VersionRecord) throws
    func touchVersion(secretId: Int64, versionId: String, lastAccessedDate: Date) throws
    func deleteVersions(secretId: Int64, versionIds: [String]) throws
    func stages(secretId: Int64) throws -> StageMap
    func replaceStages(secretId: Int64, with stages: StageMap) throws

    // Rotations
    func rotation(secretId: Int64) throws -> RotationRecord?
    /// Inserts or replaces the secret's rotation row.
    func saveRotation(_ record: RotationRecord) throws
    /// Every rotation row, by secret id.
    func rotations() throws -> [RotationRecord]
    /// Up to `limit` rotations whose due date is at or before `date`, earliest first.
    func rotationsDue(before date: Date, limit: Int) throws -> [RotationRecord]
    /// Up to `limit` secrets with automatic rotation on, by id (the per-secret rotation metrics).
    func rotationEnabledSecrets(limit: Int) throws -> [SecretRecord]
    /// Up to `limit` secrets whose next scheduled rotation is at or before `date`, earliest first.
    func secretsDueForRotation(before date: Date, limit: Int) throws -> [SecretRecord]
    /// The earliest instant anything rotation-related is due: a scheduled rotation, a retry or an expiring lease.
    /// Answered from two indexes, in O(log n).
    func earliestRotationDue() throws -> Date?

    // The change feed's outbox
    /// Appends `change` (its `sequence` is ignored) and returns the sequence it was given.
    @discardableResult
    func appendChange(_ change: ChangeRecord) throws -> Int64
    /// Up to `limit` changes after `sequence`, oldest first.
    func changes(after sequence: Int64, limit: Int) throws -> [ChangeRecord]
    func changeFeedBounds() throws -> ChangeFeedBounds
    /// Removes the changes made before `date` and all but the newest `maximum`, always keeping the newest one.
    /// Changes a webhook endpoint seen since `date` hasn't delivered are kept from the age limit (not from the count
    /// limit: an endpoint the count limit overtakes continues after the cut, the changes it missed added to its
    /// ``WebhookCursorRecord/lost``). Returns how many were removed.
    func pruneChanges(before date: Date, keepingAtMost maximum: Int) throws -> Int

    // Webhook delivery cursors
    /// Every endpoint's row, by name.
    func webhookCursors() throws -> [WebhookCursorRecord]
    func webhookCursor(name: String) throws -> WebhookCursorRecord?
    /// Inserts or replaces the endpoint's row.
    func saveWebhookCursor(_ record: WebhookCursorRecord) throws
    /// Removes an endpoint's row; false when there was none.
    func deleteWebhookCursor(name: String) throws -> Bool

    // Connection-impact reports
    /// Inserts or replaces the report of `token`'s rotation, keeping the newest `keeping` reports of the secret.
    func saveRotationReport(secretId: Int64, token: String, finished: Date, report: String, keeping: Int) throws
    /// The secret's reports, newest first: (token, finished, report JSON).
    func rotationReports(secretId: Int64) throws -> [(token: String, finished: Date, report: String)]

    // Access keys
    func accessKey(id: String) throws -> AccessKeyRecord?
    func accessKeys() throws -> [AccessKeyRecord]
    func insertAccessKey(_ record: AccessKeyRecord) throws
    /// Deletes a key; false when there was none.
    func deleteAccessKey(id: String) throws -> Bool
}
