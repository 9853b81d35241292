import LockstepDatabase

/// SQL that sets a password, in hash form wherever the account's plugin has one.
struct PasswordClause {
    var sql: String
    /// What `sql` reveals (the plaintext, its quoted form, the hash): scrubbed from any error message.
    var secrets: [String]
    /// The plaintext itself is in `sql`: there is no hash form for this plugin (or server).
    var sendsPlaintext: Bool
}

/// Builds the password-setting statements. MariaDB takes a ready hash (`SET PASSWORD = '<hash>'`, `IDENTIFIED BY
/// PASSWORD '<hash>'`, `IDENTIFIED VIA ed25519 USING '<hash>'`), so the plaintext never reaches its logs. MySQL 5.7
/// and later read the same `SET PASSWORD = '…'` as plaintext, so there the plaintext form is used (MySQL masks it in
/// its logs).
struct PasswordStatements {
    var isMariaDB: Bool
    var quoting: SQLQuoting

    /// `SET PASSWORD = …` for the session's own account; an unprivileged user may run it, where ALTER USER needs
    /// the CREATE USER privilege.
    func setOwnPassword(_ password: String, plugin: AuthenticationPlugin) -> PasswordClause {
        guard self.isMariaDB else {
            return self.plaintext(password) { "SET PASSWORD = \($0)" }
        }
        switch plugin {
        case .nativePassword:
            return self.hashed(PasswordHash.nativePassword(password), of: password) { "SET PASSWORD = \($0)" }
        case .ed25519:
            if let hash = PasswordHash.ed25519(password) {
                return self.hashed(hash, of: password) { "SET PASSWORD = \($0)" }
            }
            fallthrough
        case .other:
            // MariaDB 10.4+ hands PASSWORD('…') in SET PASSWORD to the account's own plugin.
            return self.plaintext(password) { "SET PASSWORD = PASSWORD(\($0))" }
        }
    }

    /// The `IDENTIFIED …` clause of CREATE USER / ALTER USER for an account that logs in like one using `plugin`.
    /// Plugins without a password (unix_socket, pam, ...) become `mysql_native_password`: the copy must log in
    /// with the password.
    func identified(_ password: String, plugin: AuthenticationPlugin) -> PasswordClause {
        guard self.isMariaDB else {
            return self.plaintext(password) { "IDENTIFIED BY \($0)" }
        }
        switch plugin {
        case .ed25519:
            if let hash = PasswordHash.ed25519(password) {
                return self.hashed(hash, of: password) { "IDENTIFIED VIA ed25519 USING \($0)" }
            }
            return self.plaintext(password) { "IDENTIFIED VIA ed25519 USING PASSWORD(\($0))" }
        case .nativePassword, .other:
            return self.hashed(PasswordHash.nativePassword(password), of: password) { "IDENTIFIED BY PASSWORD \($0)" }
        }
    }

    private func hashed(_ hash: String, of password: String, _ sql: (String) -> String) -> PasswordClause {
        PasswordClause(sql: sql(self.quoting.literal(hash)), secrets: [password, hash], sendsPlaintext: false)
    }

    private func plaintext(_ password: String, _ sql: (String) -> String) -> PasswordClause {
        let literal = self.quoting.literal(password)
        return PasswordClause(sql: sql(literal), secrets: [literal, password], sendsPlaintext: true)
    }
}

/// Checks on user names before any SQL is built.
enum UserNames {
    /// MariaDB's limit (10.0 and later); MySQL's is 32.
    static let maximumLength = 80

    static func validate(_ name: String) throws(DatabaseError) {
        guard !name.isEmpty else { throw DatabaseError(.validation, "the user name is empty") }
        guard name.unicodeScalars.count <= Self.maximumLength else {
            throw DatabaseError(.validation, "user name \(name) is longer than \(Self.maximumLength) characters")
        }
    }
}
