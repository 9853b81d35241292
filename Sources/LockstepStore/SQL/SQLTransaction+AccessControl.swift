import Foundation

extension SQLTransaction: IdentityStoreTransaction {
    private static func identity(_ row: Connection.Row) -> IdentityRecord {
        IdentityRecord(
            account: row.text(0),
            kind: IdentityKind(rawValue: row.text(1)) ?? .user,
            name: row.text(2),
            id: row.text(3),
            createdDate: row.date(4),
            trustPolicy: row.optionalText(5)
        )
    }

    func identity(account: String, kind: IdentityKind, name: String) throws -> IdentityRecord? {
        try self.connection.first(
            "SELECT \(SQLColumns.identityColumns) FROM identities WHERE account = ? AND kind = ? AND name = ?",
            [.text(account), .text(kind.rawValue), .text(name)],
            Self.identity
        )
    }

    func identities(account: String?) throws -> [IdentityRecord] {
        var result: [IdentityRecord] = []
        try self.connection.query(
            "SELECT \(SQLColumns.identityColumns) FROM identities WHERE CAST(?1 AS TEXT) IS NULL OR account = ?1 ORDER BY account, kind DESC, name",
            [.optional(account)]
        ) { result.append(Self.identity($0)) }
        return result
    }

    func insertIdentity(_ r: IdentityRecord) throws {
        try self.connection.query(
            "INSERT INTO identities (\(SQLColumns.identityColumns)) VALUES (?, ?, ?, ?, ?, ?)",
            [.text(r.account), .text(r.kind.rawValue), .text(r.name), .text(r.id), .date(r.createdDate), .optional(r.trustPolicy)]
        )
    }

    func deleteIdentity(account: String, kind: IdentityKind, name: String) throws -> Bool {
        try self.connection.query(
            "DELETE FROM identities WHERE account = ? AND kind = ? AND name = ?",
            [.text(account), .text(kind.rawValue), .text(name)]
        )
        let deleted = self.connection.changes > 0
        // Credentials die with their identity, in the same transaction.
        if deleted, kind == .user {
            try self.connection.query("DELETE FROM access_keys WHERE account = ? AND user_name = ?", [.text(account), .text(name)])
        }
        if deleted, kind == .role {
            try self.connection.query(
                "DELETE FROM sessions WHERE account = ? AND role_name = ? AND issuer = 'assume-role'",
                [.text(account), .text(name)]
            )
        }
        return deleted
    }

    func identityPolicies(account: String, kind: IdentityKind, name: String) throws -> [IdentityPolicyRecord] {
        var result: [IdentityPolicyRecord] = []
        try self.connection.query(
            "SELECT policy_name, document FROM identity_policies WHERE account = ? AND kind = ? AND name = ? ORDER BY policy_name",
            [.text(account), .text(kind.rawValue), .text(name)]
        ) { result.append(IdentityPolicyRecord(policyName: $0.text(0), document: $0.text(1))) }
        return result
    }

    func putIdentityPolicy(account: String, kind: IdentityKind, name: String, policy: IdentityPolicyRecord) throws {
        try self.connection.query(
            """
            INSERT INTO identity_policies (account, kind, name, policy_name, document) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (account, kind, name, policy_name) DO UPDATE SET document = excluded.document
            """,
            [.text(account), .text(kind.rawValue), .text(name), .text(policy.policyName), .text(policy.document)]
        )
    }

    func deleteIdentityPolicy(account: String, kind: IdentityKind, name: String, policyName: String) throws -> Bool {
        try self.connection.query(
            "DELETE FROM identity_policies WHERE account = ? AND kind = ? AND name = ? AND policy_name = ?",
            [.text(account), .text(kind.rawValue), .text(name), .text(policyName)]
        )
        return self.connection.changes > 0
    }

    func session(accessKeyId: String) throws -> SessionRecord? {
        try self.connection.first("SELECT \(SQLColumns.sessionColumns) FROM sessions WHERE access_key_id = ?", [.text(accessKeyId)]) { row in
            SessionRecord(
                accessKeyId: row.text(0),
                account: row.text(1),
                roleName: row.text(2),
                sessionName: row.text(3),
                tokenDigest: row.blob(4),
                sessionPolicy: row.optionalText(5),
                issuer: row.text(6),
                createdDate: row.date(7),
                expiration: row.date(8),
                kmsKeyId: row.text(9),
                wrappedDataKey: row.blob(10),
                ciphertext: row.blob(11),
                principalId: row.optionalText(12)
            )
        }
    }

    func insertSession(_ r: SessionRecord) throws {
        try self.connection.query(
            "INSERT INTO sessions (\(SQLColumns.sessionColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                .text(r.accessKeyId), .text(r.account), .text(r.roleName), .text(r.sessionName), .blob(r.tokenDigest),
                .optional(r.sessionPolicy), .text(r.issuer), .date(r.createdDate), .date(r.expiration), .text(r.kmsKeyId),
                .blob(r.wrappedDataKey), .blob(r.ciphertext), .optional(r.principalId),
            ]
        )
    }

    func deleteSessions(expiredBefore date: Date) throws -> Int {
        try self.connection.query("DELETE FROM sessions WHERE expiration < ?", [.date(date)])
        return self.connection.changes
    }

    func deleteSession(accessKeyId: String) throws -> Bool {
        try self.connection.query("DELETE FROM sessions WHERE access_key_id = ?", [.text(accessKeyId)])
        return self.connection.changes > 0
    }

    func resourcePolicy(secretId: Int64) throws -> String? {
        try self.connection.first("SELECT document FROM resource_policies WHERE secret_id = ?", [.integer(secretId)]) { $0.text(0) }
    }

    func setResourcePolicy(secretId: Int64, document: String?) throws {
        guard let document else {
            try self.connection.query("DELETE FROM resource_policies WHERE secret_id = ?", [.integer(secretId)])
            return
        }
        try self.connection.query(
            "INSERT INTO resource_policies (secret_id, document) VALUES (?, ?) ON CONFLICT (secret_id) DO UPDATE SET document = excluded.document",
            [.integer(secretId), .text(document)]
        )
    }
}

extension SQLColumns {
    static let identityColumns = "account, kind, name, id, created_date, trust_policy"

    static let sessionColumns = """
        access_key_id, account, role_name, session_name, token_digest, session_policy, issuer, created_date, expiration, \
        kms_key_id, wrapped_key, ciphertext, principal_id
        """
}
