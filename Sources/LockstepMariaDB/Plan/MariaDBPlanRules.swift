import LockstepCore
import LockstepDatabase

/// What a rotation plan reads from a MariaDB (or MySQL) server, and the pure rules that turn it into checks: tested
/// without a server (`MariaDBPlanRulesTests`); ``MariaDBDriver/plan(_:timeouts:)`` gathers the facts.
enum MariaDBPlanRules {
    /// `SHOW GLOBAL VARIABLES` of the password validation plugins (present only while a plugin is loaded) and
    /// `strict_password_validation`.
    static let policyVariablesQuery = """
        SHOW GLOBAL VARIABLES WHERE Variable_name LIKE 'simple\\_password\\_check%' OR Variable_name LIKE 'cracklib\\_password\\_check%' \
        OR Variable_name LIKE 'validate\\_password%' OR Variable_name = 'strict_password_validation'
        """

    /// Whether the statement that sets the new password carries a hash rather than the plaintext: hashes keep the
    /// password out of the server's logs, and `strict_password_validation` refuses them.
    static func sendsHash(plugin: AuthenticationPlugin, isMariaDB: Bool, alternating: Bool, length: Int) -> Bool {
        guard isMariaDB else { return false }
        switch plugin {
        case .nativePassword: return true
        case .ed25519: return length == 32
        case .other: return alternating  // a clone of such an account is made a mysql_native_password one
        }
    }

    /// The account's authentication plugin and what the rotation does with it.
    /// - Parameters:
    ///   - account: `user@host`, for messages.
    ///   - names: the plugin names (``AuthenticationPlugin/pluginNames(showCreateUser:)``).
    static func authentication(
        account: String,
        names: [String],
        plugin: AuthenticationPlugin,
        isMariaDB: Bool,
        alternating: Bool,
        length: Int
    ) -> PlanCheck {
        let name = "authentication"
        let shown = names.isEmpty ? "no authentication plugin (no password)" : "plugin " + names.joined(separator: " OR ")
        guard isMariaDB else {
            return .pass(name, "\(account) uses \(shown); MySQL receives the new password as plaintext and masks it in its logs")
        }
        let passwordless: Set<String> = ["unix_socket", "pam", "gssapi", "named_pipe"]
        switch plugin {
        case .nativePassword:
            return .pass(name, "\(account) uses \(shown): the new password is sent as its mysql_native_password hash")
        case .ed25519:
            return length == 32
                ? .pass(name, "\(account) uses \(shown): the new password is sent as its ed25519 key")
                : .warn(name, "\(account) uses \(shown): a \(length)-character password has no hash form here, so its plaintext is sent")
        case .other:
            if alternating {
                return .warn(name, "\(account) uses \(shown): the clone is created with mysql_native_password instead")
            }
            if !names.isEmpty, names.allSatisfy(passwordless.contains) {
                return .fail(name, "\(account) uses \(shown), which has no password to rotate")
            }
            return .warn(
                name,
                "\(account) uses \(shown): no hash form, so SET PASSWORD carries the plaintext (the general log is switched off around it only with SUPER)"
            )
        }
    }

    /// The password validation plugins in force, from ``policyVariablesQuery``'s rows.
    static func policies(_ variables: [String: String]) -> [PasswordPolicy] {
        func number(_ key: String) -> Int { variables[key].flatMap { Int($0) } ?? 0 }
        var policies: [PasswordPolicy] = []
        if variables["simple_password_check_minimal_length"] != nil {
            let sameCase = number("simple_password_check_letters_same_case")
            policies.append(
                PasswordPolicy(
                    source: "simple_password_check",
                    minimumLength: number("simple_password_check_minimal_length"),
                    minimumLowercase: sameCase,
                    minimumUppercase: sameCase,
                    minimumDigits: number("simple_password_check_digits"),
                    minimumSpecial: number("simple_password_check_other_characters")
                )
            )
        }
        if variables["cracklib_password_check_dictionary"] != nil {
            policies.append(PasswordPolicy(source: "cracklib_password_check", dictionaryCheck: true))
        }
        // MySQL: the validate_password plugin (5.7, `validate_password_*`) or component (8.0, `validate_password.*`).
        for separator in ["_", "."] where variables["validate_password\(separator)length"] != nil {
            let key = { (suffix: String) in "validate_password\(separator)\(suffix)" }
            let level = (variables[key("policy")] ?? "MEDIUM").uppercased()
            let low = level == "LOW" || level == "0"
            let mixedCase = low ? 0 : number(key("mixed_case_count"))
            policies.append(
                PasswordPolicy(
                    source: "validate_password (policy \(level))",
                    minimumLength: number(key("length")),
                    minimumLowercase: mixedCase,
                    minimumUppercase: mixedCase,
                    minimumDigits: low ? 0 : number(key("number_count")),
                    minimumSpecial: low ? 0 : number(key("special_char_count")),
                    dictionaryCheck: level == "STRONG" || level == "2"
                )
            )
        }
        return policies
    }

    /// The password policy checks: each plugin against the generator, and `strict_password_validation` against a
    /// statement that carries a hash.
    static func passwordPolicy(variables: [String: String], generator: PasswordGenerator, sendsHash: Bool) -> [PlanCheck] {
        let policies = Self.policies(variables)
        guard !policies.isEmpty else {
            return [
                .pass(
                    "password-policy",
                    "no password validation plugin is active (simple_password_check, cracklib_password_check, validate_password)"
                )
            ]
        }
        var checks = policies.map { $0.check(generator) }
        if sendsHash, variables["strict_password_validation"]?.uppercased() == "ON" {
            let names = policies.map(\.source).joined(separator: ", ")
            checks.append(
                .fail(
                    "password-policy",
                    "strict_password_validation is ON with \(names) active: the server refuses a password given as a hash, "
                        + "and the rotation sends the new password as its hash so the plaintext never reaches the server's logs"
                )
            )
        }
        return checks
    }

    /// Whether `object` lies inside `scope` (a grant on `scope` covers it).
    static func covers(_ scope: GrantObject, _ object: GrantObject) -> Bool {
        switch (scope, object) {
        case (.global, _): true
        case (.database(let d), .database(let e)): d == e
        case (.database(let d), .table(let e, _)): d == e
        case (.database(let d), .routine(_, let e, _)): d == e
        default: scope == object
        }
    }

    /// What of `original` the master can't grant: privileges it lacks, or holds without GRANT OPTION, on a
    /// covering object; roles it can't administer; proxies it can't pass on.
    static func ungrantable(by master: AccountGrants, _ original: AccountGrants) -> [String] {
        var missing: [String] = []
        for privilege in original.privileges.sorted(by: Self.order) {
            let held = master.privileges.contains {
                $0.name == privilege.name && ($0.column == nil || $0.column == privilege.column) && Self.covers($0.object, privilege.object)
            }
            let grantable = master.grantOptions.contains { Self.covers($0, privilege.object) }
            if !held || !grantable {
                let column = privilege.column.map { " (\($0))" } ?? ""
                missing.append("\(privilege.name)\(column) ON \(Self.describe(privilege.object))\(held ? " (no GRANT OPTION)" : "")")
            }
        }
        for object in original.grantOptions.sorted() where !master.grantOptions.contains(where: { Self.covers($0, object) }) {
            missing.append("GRANT OPTION ON \(Self.describe(object))")
        }
        for role in original.roles.sorted(by: { $0.role < $1.role }) where !master.roles.contains(RoleGrant(role: role.role, withAdminOption: true)) {
            missing.append("role \(role.role) (needs ADMIN OPTION)")
        }
        for proxy in original.proxies.sorted(by: { ($0.user, $0.host) < ($1.user, $1.host) })
        where !master.proxies.contains(where: { $0.user == proxy.user && $0.host == proxy.host && $0.withGrantOption }) {
            missing.append("PROXY ON '\(proxy.user)'@'\(proxy.host)'")
        }
        return missing
    }

    /// Alternating users: may the master create (or change) the clone and grant it the original's privileges?
    /// - Parameters:
    ///   - master: `user@host` of the master login.
    ///   - grants: the master's own grants.
    ///   - original: the original's grants on each of its hosts.
    static func masterPrivileges(master: String, grants: AccountGrants, original: [AccountGrants]) -> PlanCheck {
        let name = "privileges"
        var problems: [String] = []
        if !grants.privileges.contains(Privilege(object: .global, name: "CREATE USER", column: nil)) {
            problems.append("it lacks the CREATE USER privilege (CREATE USER, ALTER USER, DROP USER of the clone)")
        }
        if grants.grantOptions.isEmpty, original.contains(where: { !$0.privileges.isEmpty }) {
            problems.append("it has no GRANT OPTION on anything")
        }
        let missing = Set(original.flatMap { Self.ungrantable(by: grants, $0) }).sorted()
        if !missing.isEmpty {
            problems.append("it can't grant " + Self.list(missing))
        }
        guard problems.isEmpty else {
            return .fail(name, "master \(master) can't provision the clone: " + problems.joined(separator: "; "))
        }
        return .pass(name, "master \(master) has CREATE USER and GRANT OPTION on everything the original holds")
    }

    /// One host of the original account, with the clone's grants there when it exists.
    struct CloneHost: Sendable {
        var host: String
        var desired: AccountGrants
        var existing: AccountGrants?
        /// The statements that would align the clone's grants with the original's (0 for a new clone).
        var changes: Int
    }

    /// Alternating users: what the clone would be granted, and whether it equals the original's grants.
    static func cloneGrants(
        original: String,
        clone: String,
        hosts: [CloneHost],
        extraHosts: [String],
        ungrantable: [String]
    ) -> PlanCheck {
        let name = "clone-grants"
        guard !hosts.isEmpty else { return .fail(name, "there is no account \(original) on the server to copy") }
        var parts: [String] = []
        for host in hosts {
            let counts =
                "\(host.desired.privileges.count) privilege(s), \(host.desired.roles.count) role(s), \(host.desired.proxies.count) proxy grant(s)"
            if host.existing == nil {
                parts.append("'\(clone)'@'\(host.host)' would be created with \(original)'s \(counts)")
            } else if host.changes == 0 {
                parts.append("'\(clone)'@'\(host.host)' exists with exactly \(original)'s \(counts)")
            } else {
                parts.append("'\(clone)'@'\(host.host)' exists; \(host.changes) statement(s) would make its grants equal to \(original)'s \(counts)")
            }
        }
        for host in extraHosts {
            parts.append("'\(clone)'@'\(host)' would be dropped (\(original) has no account on that host)")
        }
        guard ungrantable.isEmpty else {
            return .fail(name, parts.joined(separator: "; ") + "; but not equal: the master can't grant " + Self.list(ungrantable))
        }
        return .pass(name, parts.joined(separator: "; ") + ": equal to the original's")
    }

    private static func list(_ items: [String]) -> String {
        items.count <= 5 ? items.joined(separator: ", ") : items.prefix(5).joined(separator: ", ") + " and \(items.count - 5) more"
    }

    static func describe(_ object: GrantObject) -> String {
        switch object {
        case .global: "*.*"
        case .database(let database): "`\(database)`.*"
        case .table(let database, let table): "`\(database)`.`\(table)`"
        case .routine(let kind, let database, let name): "\(kind.rawValue) `\(database)`.`\(name)`"
        }
    }

    private static func order(_ lhs: Privilege, _ rhs: Privilege) -> Bool {
        (lhs.object, lhs.name, lhs.column ?? "") < (rhs.object, rhs.name, rhs.column ?? "")
    }
}
