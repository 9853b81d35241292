import Foundation
import LockstepCore
import LockstepDatabase

/// The rotation operations. Passwords travel only as verifiers computed by libpq (`PQencryptPasswordConn`): the
/// plaintext never appears in SQL text, so a server logging every statement never sees it. (`ALTER ROLE ... PASSWORD`
/// can't take a bind parameter, STYLE.md §2.4 item 10; the verifier goes in as an escaped literal.)
extension PostgresSession: DatabaseSession {
    func ping() throws(DatabaseError) {
        _ = try self.query("SELECT now()")
    }

    /// From `pg_stat_activity`: a role sees every session's user name, but another role's client address only with
    /// `pg_read_all_stats` (then "hidden").
    func sessions(of users: [String]) throws(DatabaseError) -> SessionSnapshot {
        for user in users { try RoleSQL.validateRoleName(user) }
        guard !users.isEmpty else { return SessionSnapshot(time: Date(), users: [:]) }
        let placeholders = users.indices.map { "$\($0 + 1)" }.joined(separator: ", ")
        let rows = try self.query(
            """
            SELECT usename, extract(epoch FROM backend_start)::text, coalesce(host(client_addr), CASE WHEN client_port = -1 THEN 'local' ELSE 'hidden' END) \
            FROM pg_stat_activity WHERE usename IN (\(placeholders)) AND pid <> pg_backend_pid()
            """,
            users
        )
        return SessionSnapshot.from(
            rows.compactMap { row in
                guard row.count == 3, let user = row[0] else { return nil }
                return (user, row[1].flatMap(Double.init).map(Date.init(timeIntervalSince1970:)), row[2] ?? "hidden")
            },
            users: users,
            time: Date()
        )
    }

    /// Sets the password of the session's own user.
    ///
    /// A clone made by ``provisionAlternateUser(_:copying:password:)`` logs in as itself but acts as the original,
    /// and PostgreSQL lets a role change only the password of the role it *acts as*; so when `user` is the session's
    /// login user acting as another role, the change runs under `SET LOCAL ROLE NONE` (the login user, for this
    /// transaction only).
    func changeOwnPassword(user: String, to password: Sensitive<String>) throws(DatabaseError) {
        try RoleSQL.validateRoleName(user)
        try RoleSQL.validatePassword(password.value)
        try self.transaction { () throws(DatabaseError) in
            let verifier = try self.passwordVerifier(user: user, password: password.value)
            let sql = RoleSQL.setPassword(try self.escapeIdentifier(user), verifierLiteral: try self.escapeLiteral(verifier))
            if try self.query(RoleSQL.actsAsAnotherRoleQuery, [user]).first?.first == "t" {
                try self.execute("SET LOCAL ROLE NONE")
            }
            try self.executeSettingPassword(sql, removing: [password.value, verifier])
        }
    }

    /// Makes `user` a login role with `password` that acts exactly as `original`, in one transaction.
    ///
    /// AWS's template only grants the original to the clone; objects the clone then creates belong to the clone and
    /// the original can't use them (spec §1.8). Here a new clone is created with the original's role attributes,
    /// made a member of the original, and given `ALTER ROLE clone SET role = original`: every session of the clone
    /// starts as the original (`current_user` is the original), so it has exactly the original's privileges, and
    /// whatever it creates is owned by the original and usable by both.
    ///
    /// An existing role only gets the new password, plus a repair of the membership and the `SET role` when they
    /// are missing, unless the role is the original's *ancestor*: rotation alternates back to the first name, and
    /// the first user must not become a member of its own clone. Running it twice changes nothing but the password.
    func provisionAlternateUser(_ user: String, copying original: String, password: Sensitive<String>) throws(DatabaseError) {
        try RoleSQL.validateRoleName(user)
        try RoleSQL.validateRoleName(original)
        try RoleSQL.validatePassword(password.value)
        guard user != original else {
            throw DatabaseError(.validation, "the alternate user must differ from the user it copies (\"\(user)\")")
        }
        try self.transaction { () throws(DatabaseError) in
            guard let attributes = try self.attributes(of: original) else {
                throw DatabaseError(.validation, "the role \"\(original)\" to copy does not exist")
            }
            let verifier = try self.passwordVerifier(user: user, password: password.value)
            let secrets = [password.value, verifier]
            let clone = try self.escapeIdentifier(user)
            let verifierLiteral = try self.escapeLiteral(verifier)
            guard try self.attributes(of: user) != nil else {
                let isSuperuser = try self.query("SELECT current_setting('is_superuser')").first?.first == "on"
                let create = RoleSQL.createRole(
                    clone,
                    verifierLiteral: verifierLiteral,
                    copying: attributes,
                    validUntilLiteral: try attributes.validUntil.map { (text) throws(DatabaseError) in try self.escapeLiteral(text) },
                    sessionIsSuperuser: isSuperuser
                )
                try self.executeSettingPassword(create, removing: secrets)
                try self.execute(RoleSQL.grant(try self.escapeIdentifier(original), to: clone))
                try self.execute(RoleSQL.actAs(try self.escapeLiteral(original), clone: clone))
                return
            }
            try self.executeSettingPassword(RoleSQL.setPassword(clone, verifierLiteral: verifierLiteral), removing: secrets)
            let link = try self.query(RoleSQL.linkQuery, [user, original]).first ?? []
            guard link.count == 3, link[0] == "f" else { return }  // the original's ancestor: only the password
            if link[1] != "t" {
                try self.execute(RoleSQL.grant(try self.escapeIdentifier(original), to: clone))
            }
            if link[2] != "t" {
                try self.execute(RoleSQL.actAs(try self.escapeLiteral(original), clone: clone))
            }
        }
    }

    /// The statement that changes a password, between its two fault points (a failure there is a lost connection).
    private func executeSettingPassword(_ sql: String, removing secrets: [String]) throws(DatabaseError) {
        if FaultInjection.reach(.databasePasswordBefore) { throw Self.injectedDisconnect(.databasePasswordBefore) }
        try self.execute(sql, removing: secrets)
        if FaultInjection.reach(.databasePasswordAfter) { throw Self.injectedDisconnect(.databasePasswordAfter) }
    }

    private static func injectedDisconnect(_ point: FaultPoint) -> DatabaseError {
        DatabaseError(.network, "server closed the connection unexpectedly (fault injected at \(point.rawValue))")
    }

    private func attributes(of role: String) throws(DatabaseError) -> RoleSQL.Attributes? {
        try self.query(RoleSQL.attributesQuery, [role]).first.map(RoleSQL.Attributes.init(row:))
    }
}
