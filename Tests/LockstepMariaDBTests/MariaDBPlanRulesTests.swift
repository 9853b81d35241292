import LockstepCore
import LockstepDatabase
import Testing

@testable import LockstepMariaDB

/// The rotation plan's MariaDB rules, from facts, without a server.
struct MariaDBPlanRulesTests {
    typealias Rules = MariaDBPlanRules

    static let generator = try! PasswordGenerator(length: 32, excludeCharacters: MariaDBDriver(trust: nil).excludedPasswordCharacters)

    @Test func pluginNamesComeWithoutTheirHashes() {
        let native = "CREATE USER `app`@`%` IDENTIFIED BY PASSWORD '*0123456789ABCDEF0123456789ABCDEF01234567'"
        #expect(AuthenticationPlugin.pluginNames(showCreateUser: native) == ["mysql_native_password"])
        let two = "CREATE USER `app`@`%` IDENTIFIED VIA unix_socket OR mysql_native_password USING '*0123456789ABCDEF0123456789ABCDEF01234567'"
        #expect(AuthenticationPlugin.pluginNames(showCreateUser: two) == ["unix_socket", "mysql_native_password"])
        #expect(AuthenticationPlugin.pluginNames(showCreateUser: "CREATE USER `app`@`%`") == [])
    }

    @Test func authentication() {
        func verdict(_ plugin: AuthenticationPlugin, _ names: [String], alternating: Bool = false, length: Int = 32) -> PlanCheck {
            Rules.authentication(account: "app@%", names: names, plugin: plugin, isMariaDB: true, alternating: alternating, length: length)
        }
        #expect(verdict(.nativePassword, ["mysql_native_password"]).status == .pass)
        #expect(verdict(.ed25519, ["ed25519"]).status == .pass)
        #expect(verdict(.ed25519, ["ed25519"], length: 20).status == .warn)
        #expect(verdict(.other, ["unix_socket"]).status == .fail)
        #expect(verdict(.other, ["pam", "mysql_native_password"]).status == .warn)
        #expect(verdict(.other, ["unix_socket"], alternating: true).reason.contains("mysql_native_password instead"))
    }

    @Test func policiesFromVariables() {
        let variables = [
            "simple_password_check_minimal_length": "12", "simple_password_check_digits": "2",
            "simple_password_check_letters_same_case": "1", "simple_password_check_other_characters": "1",
            "cracklib_password_check_dictionary": "/usr/share/dict", "strict_password_validation": "ON",
        ]
        let policies = Rules.policies(variables)
        #expect(policies.map(\.source) == ["simple_password_check", "cracklib_password_check"])
        #expect(
            policies[0]
                == PasswordPolicy(
                    source: "simple_password_check",
                    minimumLength: 12,
                    minimumLowercase: 1,
                    minimumUppercase: 1,
                    minimumDigits: 2,
                    minimumSpecial: 1
                )
        )
        let mysql = Rules.policies(["validate_password.length": "8", "validate_password.policy": "LOW", "validate_password.number_count": "3"])
        #expect(mysql == [PasswordPolicy(source: "validate_password (policy LOW)", minimumLength: 8)])
        #expect(Rules.policies(["strict_password_validation": "ON"]).isEmpty)
    }

    @Test func strictValidationRefusesHashes() {
        let variables = ["simple_password_check_minimal_length": "8", "strict_password_validation": "ON"]
        let hashed = Rules.passwordPolicy(variables: variables, generator: Self.generator, sendsHash: true)
        #expect(hashed.map(\.status) == [.pass, .fail])
        #expect(hashed[1].reason.hasPrefix("strict_password_validation is ON"))
        #expect(Rules.passwordPolicy(variables: variables, generator: Self.generator, sendsHash: false).map(\.status) == [.pass])
        #expect(
            Rules.passwordPolicy(variables: ["strict_password_validation": "ON"], generator: Self.generator, sendsHash: true).map(\.status) == [.pass]
        )
        let long = ["simple_password_check_minimal_length": "40", "strict_password_validation": "OFF"]
        #expect(Rules.passwordPolicy(variables: long, generator: Self.generator, sendsHash: true).map(\.status) == [.fail])
    }

    static func grants(_ privileges: [(GrantObject, String)], options: [GrantObject] = [], roles: [RoleGrant] = []) -> AccountGrants {
        var grants = AccountGrants()
        grants.privileges = Set(privileges.map { Privilege(object: $0.0, name: $0.1, column: nil) })
        grants.grantOptions = Set(options)
        grants.roles = Set(roles)
        return grants
    }

    @Test func coverage() {
        #expect(Rules.covers(.global, .table(database: "d", table: "t")))
        #expect(Rules.covers(.database("d"), .table(database: "d", table: "t")))
        #expect(Rules.covers(.database("d"), .routine(.function, database: "d", name: "f")))
        #expect(!Rules.covers(.database("d"), .database("e")))
        #expect(!Rules.covers(.table(database: "d", table: "t"), .database("d")))
    }

    @Test func masterPrivileges() {
        let original = Self.grants(
            [(.database("app"), "SELECT"), (.table(database: "app", table: "t"), "INSERT")],
            roles: [RoleGrant(role: "reader", withAdminOption: false)]
        )
        let admin = Self.grants(
            [(.global, "CREATE USER"), (.global, "SELECT"), (.global, "INSERT")],
            options: [.global],
            roles: [RoleGrant(role: "reader", withAdminOption: true)]
        )
        #expect(Rules.masterPrivileges(master: "admin@%", grants: admin, original: [original]).status == .pass)
        #expect(Rules.ungrantable(by: admin, original).isEmpty)

        let noCreateUser = Self.grants(
            [(.global, "SELECT"), (.global, "INSERT")],
            options: [.global],
            roles: [RoleGrant(role: "reader", withAdminOption: true)]
        )
        let verdict = Rules.masterPrivileges(master: "weak@%", grants: noCreateUser, original: [original])
        #expect(verdict.status == .fail)
        #expect(verdict.reason.contains("lacks the CREATE USER privilege"))

        let noGrantOption = Self.grants([(.global, "CREATE USER"), (.global, "SELECT"), (.global, "INSERT")])
        let missing = Rules.ungrantable(by: noGrantOption, original)
        #expect(missing.contains("SELECT ON `app`.* (no GRANT OPTION)"))
        #expect(missing.contains("role reader (needs ADMIN OPTION)"))
        #expect(Rules.masterPrivileges(master: "m@%", grants: noGrantOption, original: [original]).reason.contains("no GRANT OPTION on anything"))

        let databaseOnly = Self.grants([(.global, "CREATE USER"), (.database("other"), "SELECT")], options: [.database("other")])
        #expect(Rules.ungrantable(by: databaseOnly, original).contains("SELECT ON `app`.*"))
    }

    @Test func cloneGrants() {
        let desired = Self.grants([(.database("app"), "SELECT")])
        let new = Rules.CloneHost(host: "%", desired: desired, existing: nil, changes: 0)
        let created = Rules.cloneGrants(original: "app", clone: "app_clone", hosts: [new], extraHosts: [], ungrantable: [])
        #expect(created.status == .pass)
        #expect(created.reason.contains("'app_clone'@'%' would be created with app's 1 privilege(s)"))
        let drift = Rules.CloneHost(host: "%", desired: desired, existing: AccountGrants(), changes: 1)
        let aligned = Rules.cloneGrants(original: "app", clone: "app_clone", hosts: [drift], extraHosts: ["10.0.0.%"], ungrantable: [])
        #expect(aligned.reason.contains("1 statement(s) would make its grants equal"))
        #expect(aligned.reason.contains("'app_clone'@'10.0.0.%' would be dropped"))
        #expect(
            Rules.cloneGrants(original: "app", clone: "app_clone", hosts: [new], extraHosts: [], ungrantable: ["SELECT ON `app`.*"]).status == .fail
        )
        #expect(Rules.cloneGrants(original: "app", clone: "app_clone", hosts: [], extraHosts: [], ungrantable: []).status == .fail)
    }
}
