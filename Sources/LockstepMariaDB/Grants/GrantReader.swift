import LockstepDatabase

/// Reads an account's privileges from the server's structured tables, never from SHOW GRANTS text:
/// `information_schema.USER_/SCHEMA_/TABLE_/COLUMN_PRIVILEGES` give every global, database, table and column
/// privilege by the name GRANT uses (new privileges included, whatever the server version), and `mysql.procs_priv`,
/// `mysql.proxies_priv`, `mysql.roles_mapping` and `mysql.user` give routine, proxy and role grants, the default role,
/// the TLS requirement and the resource limits. Needs SELECT on the `mysql` schema.
struct GrantReader {
    let handle: MySQLHandle
    let isMariaDB: Bool

    private func literal(_ text: String) -> String { self.handle.literal(text) }

    /// The hosts an account exists on (`'app'@'%'`, `'app'@'10.0.0.%'`, ...), roles excluded.
    func hosts(of user: String) throws(DatabaseError) -> [String] {
        let notRole = self.isMariaDB ? " AND is_role = 'N'" : ""
        return try self.handle.query("SELECT Host FROM mysql.user WHERE User = \(self.literal(user))\(notRole) ORDER BY Host")
            .compactMap { $0.first ?? nil }
    }

    /// Everything `user`@`host` may do, and how it logs in.
    func grants(of user: String, at host: String) throws(DatabaseError) -> (grants: AccountGrants, plugin: AuthenticationPlugin) {
        let grantee = try self.granteeCondition(user, host)
        let account = "User = \(self.literal(user)) AND Host = \(self.literal(host))"
        var grants = AccountGrants()

        for row in try self.handle.query(
            "SELECT PRIVILEGE_TYPE, IS_GRANTABLE FROM information_schema.USER_PRIVILEGES WHERE \(grantee)"
        ) {
            try grants.add(.global, name: row[0], column: nil, grantable: row[1])
        }
        for row in try self.handle.query(
            "SELECT TABLE_SCHEMA, PRIVILEGE_TYPE, IS_GRANTABLE FROM information_schema.SCHEMA_PRIVILEGES WHERE \(grantee)"
        ) {
            try grants.add(.database(row[0] ?? ""), name: row[1], column: nil, grantable: row[2])
        }
        for row in try self.handle.query(
            """
            SELECT TABLE_SCHEMA, TABLE_NAME, PRIVILEGE_TYPE, IS_GRANTABLE FROM information_schema.TABLE_PRIVILEGES \
            WHERE \(grantee)
            """
        ) {
            try grants.add(.table(database: row[0] ?? "", table: row[1] ?? ""), name: row[2], column: nil, grantable: row[3])
        }
        for row in try self.handle.query(
            """
            SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, PRIVILEGE_TYPE, IS_GRANTABLE \
            FROM information_schema.COLUMN_PRIVILEGES WHERE \(grantee)
            """
        ) {
            try grants.add(.table(database: row[0] ?? "", table: row[1] ?? ""), name: row[3], column: row[2] ?? "", grantable: row[4])
        }
        for row in try self.handle.query("SELECT Db, Routine_name, Routine_type, Proc_priv FROM mysql.procs_priv WHERE \(account)") {
            guard let kind = RoutineKind(rawValue: row[2] ?? "") else {
                throw DatabaseError(.validation, "unknown routine type \(row[2] ?? "NULL") in mysql.procs_priv")
            }
            let object = GrantObject.routine(kind, database: row[0] ?? "", name: row[1] ?? "")
            for privilege in (row[3] ?? "").split(separator: ",") {
                if privilege == "Grant" {
                    grants.grantOptions.insert(object)
                } else {
                    try grants.add(object, name: privilege.uppercased(), column: nil, grantable: "NO")
                }
            }
        }
        for row in try self.handle.query("SELECT Proxied_user, Proxied_host, With_grant FROM mysql.proxies_priv WHERE \(account)") {
            grants.proxies.insert(ProxyGrant(user: row[0] ?? "", host: row[1] ?? "", withGrantOption: row[2] == "1"))
        }
        if self.isMariaDB {
            for row in try self.handle.query("SELECT Role, Admin_option FROM mysql.roles_mapping WHERE \(account)") {
                grants.roles.insert(RoleGrant(role: row[0] ?? "", withAdminOption: row[1] == "Y"))
            }
        }
        let plugin = try self.readAccount(account, into: &grants)
        return (grants, plugin)
    }

    /// The `mysql.user` row: plugin, TLS requirement, limits, default role.
    private func readAccount(_ account: String, into grants: inout AccountGrants) throws(DatabaseError) -> AuthenticationPlugin {
        let mariaDBColumns = self.isMariaDB ? ", max_statement_time, default_role" : ""
        let rows = try self.handle.query(
            """
            SELECT plugin, ssl_type, ssl_cipher, x509_issuer, x509_subject, max_questions, max_updates, max_connections, \
            max_user_connections\(mariaDBColumns) FROM mysql.user WHERE \(account)
            """
        )
        guard let row = rows.first else { throw DatabaseError(.sql, "the account disappeared while it was read") }
        grants.options = AccountOptions(
            sslType: row[1] ?? "",
            sslCipher: row[2] ?? "",
            x509Issuer: row[3] ?? "",
            x509Subject: row[4] ?? "",
            maxQuestions: try Self.number(row[5]),
            maxUpdates: try Self.number(row[6]),
            maxConnections: try Self.number(row[7]),
            maxUserConnections: try Self.number(row[8]),
            maxStatementTime: self.isMariaDB ? try Self.number(row[9]) : nil
        )
        if self.isMariaDB, let role = row[10], !role.isEmpty {
            grants.defaultRole = role
        }
        return AuthenticationPlugin(pluginName: row[0] ?? "")
    }

    /// `GRANTEE = '<user>'@'<host>'` for information_schema, whose GRANTEE joins the parts without escaping them. The
    /// comparison is binary (user names are case-sensitive), and a name that another account's name would print
    /// identically (`a'@'b` at `c` and `a` at `b'@'c`) is refused rather than read wrongly.
    private func granteeCondition(_ user: String, _ host: String) throws(DatabaseError) -> String {
        let grantee = "CAST(\(self.literal("'\(user)'@'\(host)'")) AS BINARY)"
        let count = try self.handle.query(
            "SELECT COUNT(*) FROM mysql.user WHERE CAST(CONCAT('''', User, '''@''', Host, '''') AS BINARY) = \(grantee)"
        )
        guard count.first?.first == "1" else {
            throw DatabaseError(.validation, "the account name \(user)@\(host) is ambiguous in information_schema")
        }
        return "CAST(GRANTEE AS BINARY) = \(grantee)"
    }

    /// A limit as the server printed it, checked to be a number before it is put into SQL.
    private static func number(_ value: String?) throws(DatabaseError) -> String? {
        guard let value else { return nil }
        guard value.wholeMatch(of: #/[0-9]+(\.[0-9]+)?/#) != nil else {
            throw DatabaseError(.validation, "unexpected resource limit \(value) in mysql.user")
        }
        return value
    }
}

extension AccountGrants {
    /// Adds one information_schema row: the privilege (unless it is `USAGE`, "no privilege") and the grant option.
    fileprivate mutating func add(_ object: GrantObject, name: String?, column: String?, grantable: String?) throws(DatabaseError) {
        if grantable == "YES" {
            self.grantOptions.insert(object)
        }
        guard let name, name != "USAGE" else { return }
        // Privilege names go into GRANT unquoted: only the shape of a keyword is accepted.
        guard name.wholeMatch(of: #/[A-Z][A-Z_ ]*/#) != nil else {
            throw DatabaseError(.validation, "unexpected privilege name \(name)")
        }
        self.privileges.insert(Privilege(object: object, name: name, column: column))
    }
}
