/// The statements that turn one account's privileges into another's: what `current` lacks is granted, what it has
/// beyond `desired` is revoked. Grants come first, so a re-sync never leaves the account with less than both.
struct GrantStatements {
    var quoting: SQLQuoting

    /// - Parameters:
    ///   - account: the account to change, already quoted (``SQLQuoting/account(_:_:)``).
    ///   - current: what it has now.
    ///   - desired: what it must have (the original's grants).
    func statements(for account: String, from current: AccountGrants, to desired: AccountGrants) -> [String] {
        var statements: [String] = []

        let missing = desired.privileges.subtracting(current.privileges)
        let missingGrantOptions = desired.grantOptions.subtracting(current.grantOptions)
        for object in Set(missing.map(\.object)).union(missingGrantOptions).sorted() {
            let privileges = self.list(missing.filter { $0.object == object })
            let option = desired.grantOptions.contains(object) ? " WITH GRANT OPTION" : ""
            statements.append("GRANT \(privileges ?? "USAGE") ON \(object.sql(self.quoting)) TO \(account)\(option)")
        }

        let extra = current.privileges.subtracting(desired.privileges)
        for object in Set(extra.map(\.object)).sorted() {
            guard let privileges = self.list(extra.filter { $0.object == object }) else { continue }
            statements.append("REVOKE \(privileges) ON \(object.sql(self.quoting)) FROM \(account)")
        }
        for object in current.grantOptions.subtracting(desired.grantOptions).sorted() {
            statements.append("REVOKE GRANT OPTION ON \(object.sql(self.quoting)) FROM \(account)")
        }

        // A proxy or role whose option differs is revoked and granted again: REVOKE removes it whole.
        for proxy in current.proxies.subtracting(desired.proxies).sorted(by: Self.order) {
            statements.append("REVOKE PROXY ON \(self.quoting.account(proxy.user, proxy.host)) FROM \(account)")
        }
        for proxy in desired.proxies.subtracting(current.proxies).sorted(by: Self.order) {
            let option = proxy.withGrantOption ? " WITH GRANT OPTION" : ""
            statements.append("GRANT PROXY ON \(self.quoting.account(proxy.user, proxy.host)) TO \(account)\(option)")
        }
        for role in current.roles.subtracting(desired.roles).sorted(by: Self.order) {
            statements.append("REVOKE \(self.quoting.identifier(role.role)) FROM \(account)")
        }
        for role in desired.roles.subtracting(current.roles).sorted(by: Self.order) {
            let option = role.withAdminOption ? " WITH ADMIN OPTION" : ""
            statements.append("GRANT \(self.quoting.identifier(role.role)) TO \(account)\(option)")
        }
        if current.defaultRole != desired.defaultRole {
            let role = desired.defaultRole.map(self.quoting.identifier) ?? "NONE"
            statements.append("SET DEFAULT ROLE \(role) FOR \(account)")
        }

        if let clause = self.optionsClause(desired.options, from: current.options) {
            statements.append("ALTER USER \(account) \(clause)")
        }
        return statements
    }

    /// `REQUIRE … WITH limits` with only what differs from `current` (a new account's defaults for CREATE USER):
    /// nil when nothing does. The server stores an explicit `REQUIRE NONE` or zero limit apart from an absent one,
    /// so leaving unchanged attributes out keeps a copy identical in `mysql.global_priv` too.
    func optionsClause(_ desired: AccountOptions, from current: AccountOptions = AccountOptions.fresh) -> String? {
        var clause: [String] = []
        if (desired.sslType, desired.sslCipher, desired.x509Issuer, desired.x509Subject)
            != (current.sslType, current.sslCipher, current.x509Issuer, current.x509Subject)
        {
            clause.append("REQUIRE " + self.requirement(desired))
        }
        let limits = [
            ("MAX_QUERIES_PER_HOUR", desired.maxQuestions, current.maxQuestions),
            ("MAX_UPDATES_PER_HOUR", desired.maxUpdates, current.maxUpdates),
            ("MAX_CONNECTIONS_PER_HOUR", desired.maxConnections, current.maxConnections),
            ("MAX_USER_CONNECTIONS", desired.maxUserConnections, current.maxUserConnections),
            ("MAX_STATEMENT_TIME", desired.maxStatementTime, current.maxStatementTime),
        ].compactMap { name, desired, current in
            desired.flatMap { Double($0) != current.flatMap(Double.init) ? "\(name) \($0)" : nil }
        }
        if !limits.isEmpty {
            clause.append("WITH " + limits.joined(separator: " "))
        }
        return clause.isEmpty ? nil : clause.joined(separator: " ")
    }

    private func requirement(_ options: AccountOptions) -> String {
        switch options.sslType {
        case "ANY": return "SSL"
        case "X509": return "X509"
        case "SPECIFIED":
            let parts = [("CIPHER", options.sslCipher), ("ISSUER", options.x509Issuer), ("SUBJECT", options.x509Subject)]
                .filter { !$0.1.isEmpty }
                .map { "\($0.0) \(self.quoting.literal($0.1))" }
            return parts.isEmpty ? "SSL" : parts.joined(separator: " AND ")
        default: return "NONE"
        }
    }

    /// `SELECT, INSERT, UPDATE (`a`, `b`)`: table-wide privileges and column lists; nil when empty.
    private func list(_ privileges: Set<Privilege>) -> String? {
        var columns: [String: [String]] = [:]
        var names: Set<String> = []
        for privilege in privileges {
            names.insert(privilege.name)
            if let column = privilege.column {
                columns[privilege.name, default: []].append(column)
            }
        }
        guard !names.isEmpty else { return nil }
        var parts: [String] = []
        for name in names.sorted() {
            if privileges.contains(where: { $0.name == name && $0.column == nil }) {
                parts.append(name)
            }
            if let columns = columns[name] {
                parts.append("\(name) (\(columns.sorted().map(self.quoting.identifier).joined(separator: ", ")))")
            }
        }
        return parts.joined(separator: ", ")
    }

    private static func order(_ lhs: ProxyGrant, _ rhs: ProxyGrant) -> Bool {
        (lhs.user, lhs.host, lhs.withGrantOption ? 1 : 0) < (rhs.user, rhs.host, rhs.withGrantOption ? 1 : 0)
    }

    private static func order(_ lhs: RoleGrant, _ rhs: RoleGrant) -> Bool {
        (lhs.role, lhs.withAdminOption ? 1 : 0) < (rhs.role, rhs.withAdminOption ? 1 : 0)
    }
}
