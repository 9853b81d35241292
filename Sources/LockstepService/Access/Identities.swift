public import Foundation
import LockstepAuth
import LockstepCore
public import LockstepStore

/// IAM-style users and roles of accounts, and their inline policies: what `lockstep iam` manages.
///
/// Policies are checked against the IAM grammar when they are put (MalformedPolicyDocumentException with a message
/// that says what is wrong), so what is stored always compiles.
public struct Identities: Sendable {
    public let manager: SecretsManager

    public init(manager: SecretsManager) { self.manager = manager }

    /// The allow-all identity policy of administrators (the user `init` creates).
    public static let administratorPolicyName = "AdministratorAccess"
    public static let administratorPolicy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#

    /// A user or role as `list-users`, `create-role`, ... show it.
    public struct IdentityDescription: Codable, Sendable, Hashable {
        public var UserName: String?
        public var RoleName: String?
        public var Arn: String
        public var Account: String
        public var UserId: String?
        public var RoleId: String?
        public var CreateDate: Date
        public var AssumeRolePolicyDocument: String?

        init(_ record: IdentityRecord) {
            let isUser = record.kind == .user
            self.UserName = isUser ? record.name : nil
            self.RoleName = isUser ? nil : record.name
            self.Arn = "arn:aws:iam::\(record.account):\(record.kind.rawValue)/\(record.name)"
            self.Account = record.account
            self.UserId = isUser ? record.id : nil
            self.RoleId = isUser ? nil : record.id
            self.CreateDate = record.createdDate
            self.AssumeRolePolicyDocument = record.trustPolicy
        }
    }

    public struct PolicyDescription: Codable, Sendable, Hashable {
        public var PolicyName: String
        public var PolicyDocument: String
    }

    // MARK: Users and roles

    /// Creates a user (no permissions until a policy is put) or a role (with a trust policy saying who may assume it).
    @discardableResult
    public func create(_ kind: IdentityKind, name: String, account: String, trustPolicy: String? = nil) async throws -> IdentityDescription {
        try Self.validate(name: name, account: account)
        if let trustPolicy {
            do {
                _ = try PolicyDocument(parsing: trustPolicy, kind: .trust)
            } catch {
                throw SecretsManagerError(.malformedPolicyDocument, error.message)
            }
        }
        let record = IdentityRecord(
            account: account,
            kind: kind,
            name: name,
            id: (kind == .user ? "AIDA" : "AROA") + String(AccessKeyFormat.newAccessKeyId().dropFirst(4)),
            createdDate: self.manager.now(),
            trustPolicy: kind == .role ? trustPolicy ?? Self.accountTrustPolicy(account) : nil
        )
        try await self.manager.store.write { tx in
            guard try tx.identity(account: account, kind: kind, name: name) == nil else {
                throw SecretsManagerError(.resourceExists, "The \(kind.rawValue) \(name) already exists in account \(account).")
            }
            try tx.insertIdentity(record)
        }
        return IdentityDescription(record)
    }

    /// Creates a user with the allow-all policy (the administrator of `init`), or leaves an existing one as it is.
    public func ensureAdministrator(name: String, account: String) async throws {
        let exists = try await self.manager.store.read { tx in try tx.identity(account: account, kind: .user, name: name) != nil }
        guard !exists else { return }
        try await self.create(.user, name: name, account: account)
        try await self.putPolicy(.user, name: name, account: account, policyName: Self.administratorPolicyName, document: Self.administratorPolicy)
    }

    /// Deletes a user (with its access keys and policies) or a role (with its policies).
    public func delete(_ kind: IdentityKind, name: String, account: String) async throws {
        guard try await self.manager.store.write({ tx in try tx.deleteIdentity(account: account, kind: kind, name: name) }) else {
            throw Self.noSuchEntity(kind, name)
        }
    }

    public func list(_ kind: IdentityKind, account: String?) async throws -> [IdentityDescription] {
        try await self.manager.store.read { tx in try tx.identities(account: account) }.filter { $0.kind == kind }.map(IdentityDescription.init)
    }

    // MARK: Inline policies

    /// Creates or replaces an inline identity policy.
    public func putPolicy(_ kind: IdentityKind, name: String, account: String, policyName: String, document: String) async throws {
        guard (1...128).contains(policyName.count), policyName.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+=,.@_-".contains($0)) })
        else {
            throw SecretsManagerError(.validation, "The policy name must be 1-128 characters of letters, digits and +=,.@_-.")
        }
        do {
            _ = try PolicyDocument(parsing: document, kind: .identity)
        } catch {
            throw SecretsManagerError(.malformedPolicyDocument, error.message)
        }
        try await self.manager.store.write { tx in
            guard try tx.identity(account: account, kind: kind, name: name) != nil else { throw Self.noSuchEntity(kind, name) }
            try tx.putIdentityPolicy(
                account: account,
                kind: kind,
                name: name,
                policy: IdentityPolicyRecord(policyName: policyName, document: document)
            )
        }
    }

    public func policy(_ kind: IdentityKind, name: String, account: String, policyName: String) async throws -> PolicyDescription {
        let found = try await self.manager.store.read { tx in
            try tx.identityPolicies(account: account, kind: kind, name: name).first { $0.policyName == policyName }
        }
        guard let found else { throw SecretsManagerError(.resourceNotFound, "The \(kind.rawValue) policy with name \(policyName) cannot be found.") }
        return PolicyDescription(PolicyName: found.policyName, PolicyDocument: found.document)
    }

    public func policyNames(_ kind: IdentityKind, name: String, account: String) async throws -> [String] {
        try await self.manager.store.read { tx in try tx.identityPolicies(account: account, kind: kind, name: name) }.map(\.policyName)
    }

    public func deletePolicy(_ kind: IdentityKind, name: String, account: String, policyName: String) async throws {
        let deleted = try await self.manager.store.write { tx in
            try tx.deleteIdentityPolicy(account: account, kind: kind, name: name, policyName: policyName)
        }
        guard deleted else { throw SecretsManagerError(.resourceNotFound, "The \(kind.rawValue) policy with name \(policyName) cannot be found.") }
    }

    // MARK: Helpers

    /// The compiled permissions of a user or role (no identity: no permissions).
    static func permissions(of kind: IdentityKind, name: String, account: String, in tx: any SecretStoreTransaction) throws -> [PolicyDocument] {
        try tx.identityPolicies(account: account, kind: kind, name: name).compactMap { try? PolicyDocument(parsing: $0.document, kind: .identity) }
    }

    /// The default trust policy of a role: principals of its own account whose identity policies allow
    /// `sts:AssumeRole` on it.
    static func accountTrustPolicy(_ account: String) -> String {
        #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::\#(account):root"},"Action":"sts:AssumeRole"}]}"#
    }

    static func validate(name: String, account: String) throws {
        guard AccessKeyFormat.isValidUserName(name) else {
            throw SecretsManagerError(.validation, "The name must be 1-64 characters of letters, digits and +=,.@_-.")
        }
        guard account.count == 12, account.allSatisfy(\.isNumber) else {
            throw SecretsManagerError(.validation, "The account id must be 12 digits.")
        }
    }

    static func noSuchEntity(_ kind: IdentityKind, _ name: String) -> SecretsManagerError {
        SecretsManagerError(.resourceNotFound, "The \(kind.rawValue) with name \(name) cannot be found.")
    }
}
