public import Foundation

/// Identities, their policies, role sessions and resource policies (the access-control issue).
public protocol IdentityStoreTransaction {
    func identity(account: String, kind: IdentityKind, name: String) throws -> IdentityRecord?
    /// Every identity, or those of one account, by account, kind and name.
    func identities(account: String?) throws -> [IdentityRecord]
    func insertIdentity(_ record: IdentityRecord) throws
    /// Deletes an identity with its policies (and a user's access keys); false when there was none.
    func deleteIdentity(account: String, kind: IdentityKind, name: String) throws -> Bool

    func identityPolicies(account: String, kind: IdentityKind, name: String) throws -> [IdentityPolicyRecord]
    /// Creates or replaces an inline policy.
    func putIdentityPolicy(account: String, kind: IdentityKind, name: String, policy: IdentityPolicyRecord) throws
    func deleteIdentityPolicy(account: String, kind: IdentityKind, name: String, policyName: String) throws -> Bool

    func session(accessKeyId: String) throws -> SessionRecord?
    func insertSession(_ record: SessionRecord) throws
    /// Deletes sessions that expired before `date`; returns how many.
    func deleteSessions(expiredBefore date: Date) throws -> Int
    /// Deletes one session (its credentials stop working); false when there was none.
    func deleteSession(accessKeyId: String) throws -> Bool

    func resourcePolicy(secretId: Int64) throws -> String?
    /// Sets (or, with nil, removes) a secret's resource policy.
    func setResourcePolicy(secretId: Int64, document: String?) throws
}

/// The append-only audit chain (in its own store, ``AuditStore``).
public protocol AuditStoreTransaction {
    func auditHead() throws -> AuditHead?
    func setAuditHead(_ head: AuditHead) throws
    /// Appends records (in sequence order), several to a statement.
    func appendAuditEvents(_ rows: [AuditEventRow]) throws
    /// Records in sequence order matching `query`.
    func auditEvents(_ query: AuditQuery) throws -> [AuditEventRow]
    /// The last record exported out of the live log (nil when nothing was).
    func auditBase() throws -> AuditHead?
    /// Deletes the records up to and including `base.sequence` (they are in a sealed segment now) and sets the base.
    func exportedAuditEvents(through base: AuditHead) throws
}
