import LockstepCore
import LockstepDatabase

extension MariaDBConnection {
    /// Single user rotation: the session's account sets its own password with `SET PASSWORD`, in hash form when
    /// the account's plugin has one (read from `SHOW CREATE USER CURRENT_USER()`, which needs no privilege).
    func changeOwnPassword(user: String, to password: Sensitive<String>) throws(DatabaseError) {
        try UserNames.validate(user)
        let handle = try self.openHandle()
        let current = try handle.query("SELECT CURRENT_USER()").first?.first ?? nil
        guard let current, current.hasPrefix(user + "@"), !current.dropFirst(user.count + 1).contains("@") else {
            throw DatabaseError(.validation, "this session is not logged in as \(user)")
        }
        var plugin = AuthenticationPlugin.other
        if self.isMariaDB, let statement = try? handle.query("SHOW CREATE USER CURRENT_USER()").first?.first ?? nil {
            plugin = AuthenticationPlugin(showCreateUser: statement)
        }
        let statements = PasswordStatements(isMariaDB: self.isMariaDB, quoting: SQLQuoting { handle.literal($0) })
        let clause = statements.setOwnPassword(password.value, plugin: plugin)
        try handle.execute(clause.sql, secrets: clause.secrets)
    }

    /// Alternating users: makes `user` a copy of `original` on every host `original` is defined on, with
    /// `password`: created where absent (the TLS requirement and limits in CREATE USER itself), its password set
    /// where present, then its privileges made equal to the original's by granting what it lacks and revoking what
    /// it has beyond them. A `user` account on a host the original is not defined on is dropped. Idempotent.
    func provisionAlternateUser(_ user: String, copying original: String, password: Sensitive<String>) throws(DatabaseError) {
        try UserNames.validate(user)
        try UserNames.validate(original)
        guard user != original else { throw DatabaseError(.validation, "the alternate user must differ from \(original)") }
        let handle = try self.openHandle()
        let quoting = SQLQuoting { handle.literal($0) }
        let reader = GrantReader(handle: handle, isMariaDB: self.isMariaDB)
        let passwords = PasswordStatements(isMariaDB: self.isMariaDB, quoting: quoting)
        let builder = GrantStatements(quoting: quoting)

        let hosts = try reader.hosts(of: original)
        guard !hosts.isEmpty else { throw DatabaseError(.validation, "there is no user \(original)") }
        let existing = Set(try reader.hosts(of: user))
        for host in hosts {
            let (desired, plugin) = try reader.grants(of: original, at: host)
            let account = quoting.account(user, host)
            let identified = passwords.identified(password.value, plugin: plugin)
            let create = ["CREATE USER \(account) \(identified.sql)", builder.optionsClause(desired.options)]
            let statement =
                existing.contains(host)
                ? "ALTER USER \(account) \(identified.sql)" : create.compactMap { $0 }.joined(separator: " ")
            try self.executeSettingPassword(statement, clause: identified, on: handle)
            let (current, _) = try reader.grants(of: user, at: host)
            for statement in builder.statements(for: account, from: current, to: desired) {
                try handle.execute(statement)
            }
        }
        for host in existing.subtracting(hosts).sorted() {
            try handle.execute("DROP USER \(quoting.account(user, host))")
        }
    }

    /// Runs a statement that sets a password. When it must carry the plaintext (no hash form), the general log is
    /// switched off for this session around it where the account may do so (`sql_log_off` needs SUPER).
    private func executeSettingPassword(_ sql: String, clause: PasswordClause, on handle: MySQLHandle) throws(DatabaseError) {
        guard clause.sendsPlaintext else {
            try handle.execute(sql, secrets: clause.secrets)
            return
        }
        let loggingOff = (try? handle.execute("SET SESSION sql_log_off = 1")) != nil
        defer { if loggingOff { try? handle.execute("SET SESSION sql_log_off = 0") } }
        try handle.execute(sql, secrets: clause.secrets)
    }
}
