import LockstepDatabase
import Testing

@testable import LockstepMariaDB

/// The parts that need no server: hashes, scrubbing, parsing, statement building, error kinds.
struct PasswordHashTests {
    @Test func nativePasswordMatchesTheServersPASSWORD() {
        // SELECT PASSWORD('new1') on MariaDB 10.11.
        #expect(PasswordHash.nativePassword("new1") == "*15BAAFE0AF03EC9F23DD0462E0D10864B6CC30D0")
        #expect(PasswordHash.nativePassword("new2") != PasswordHash.nativePassword("new1"))
    }

    @Test func ed25519MatchesTheServersHashFor32BytePasswords() {
        // CREATE USER … IDENTIFIED VIA ed25519 USING PASSWORD('abcdefghijklmnopqrstuvwxyz012345'), then SHOW CREATE USER.
        #expect(PasswordHash.ed25519("abcdefghijklmnopqrstuvwxyz012345") == "d72O8L9NlCPzaBsB+LW0z98O5p+zVqd2JYnxtlzcq2M")
        #expect(PasswordHash.ed25519("too short") == nil)
        #expect(PasswordHash.ed25519(String(repeating: "x", count: 33)) == nil)
    }
}

struct SecretScrubberTests {
    @Test func knownSecretsAreRemovedWherever() {
        let scrubbed = SecretScrubber.scrub("bad value 'hunter2!' for hunter2!", secrets: ["hunter2!"])
        #expect(!scrubbed.contains("hunter2"))
        #expect(scrubbed.contains("<redacted>"))
    }

    @Test(arguments: [
        "You have an error in your SQL syntax; check the manual near 'PASSWORD('s3cret-pw')' at line 1",
        "Operation failed: SET PASSWORD = 's3cret-pw'",
        "CREATE USER `u`@`%` IDENTIFIED BY 's3cret-pw' failed",
        "ALTER USER x IDENTIFIED VIA ed25519 USING PASSWORD('s3cret-pw') failed",
        "message cut short: IDENTIFIED BY 's3cret-pw",
        "IDENTIFIED BY 's3cret''pw' and more",
    ])
    func quotedPasswordsAreRemovedWithoutKnowingThem(message: String) {
        let scrubbed = SecretScrubber.scrub(message)
        #expect(!scrubbed.contains("s3cret"), "\(scrubbed)")
        #expect(!scrubbed.contains("pw'"), "\(scrubbed)")
    }

    @Test func nativeHashesAreRemoved() {
        let scrubbed = SecretScrubber.scrub("account hash *15BAAFE0AF03EC9F23DD0462E0D10864B6CC30D0 rejected")
        #expect(scrubbed == "account hash *<redacted> rejected")
    }

    @Test func ordinaryMessagesAreKept() {
        let message = "Access denied for user 'app'@'10.0.0.1' (using password: YES)"
        #expect(SecretScrubber.scrub(message) == message)
    }

    @Test func driverErrorsAreScrubbedAndClassified() {
        let error = MariaDBErrors.error(
            code: 1064,
            message: "near 'PASSWORD('pw-123')' at line 1",
            connecting: false,
            secrets: ["pw-123"]
        )
        #expect(error.kind == .sql)
        #expect(!error.message.contains("pw-123"))
        #expect(!error.description.contains("pw-123"))
    }
}

struct ErrorKindTests {
    @Test(arguments: [
        (UInt32(1045), DatabaseError.Kind.authentication),
        (1044, .authentication),
        (1698, .authentication),
        (1251, .authentication),
        (2002, .network),
        (2003, .network),
        (2005, .network),
        (2006, .network),
        (2013, .network),
        (2026, .network),
        (1969, .network),
        (1064, .sql),
        (1146, .sql),
        (1470, .validation),
    ])
    func kinds(code: UInt32, kind: DatabaseError.Kind) {
        #expect(MariaDBErrors.kind(code: code, connecting: false) == kind)
    }

    @Test func otherClientErrorsWhileConnectingAreNetwork() {
        #expect(MariaDBErrors.kind(code: 2047, connecting: true) == .network)
        #expect(MariaDBErrors.kind(code: 2047, connecting: false) == .sql)
    }

    @Test func timeoutsRoundUpToWholeSeconds() {
        #expect(MariaDBConnection.seconds(.milliseconds(1500)) == 2)
        #expect(MariaDBConnection.seconds(.seconds(5)) == 5)
        #expect(MariaDBConnection.seconds(.zero) == 1)
    }
}

struct AuthenticationPluginTests {
    @Test(arguments: [
        ("CREATE USER `u`@`%` IDENTIFIED BY PASSWORD '*2B602296A79E0A8784ACC5C88D92E46588CCA3C3'", AuthenticationPlugin.nativePassword),
        ("CREATE USER `u`@`%` IDENTIFIED BY PASSWORD '*2B602296A79E0A8784ACC5C88D92E46588CCA3C3' REQUIRE SSL", .nativePassword),
        ("CREATE USER `u`@`%`", .nativePassword),
        ("CREATE USER `u`@`%` IDENTIFIED VIA ed25519 USING 'd72O8L9NlCPzaBsB+LW0z98O5p+zVqd2JYnxtlzcq2M'", .ed25519),
        ("CREATE USER `u`@`%` IDENTIFIED VIA ed25519 USING 'd72O8L9NlCPzaBsB+LW0z98O5p+zVqd2JYnxtlzcq2M' OR unix_socket", .other),
        ("CREATE USER `u`@`%` IDENTIFIED VIA unix_socket", .other),
        ("CREATE USER `a`` IDENTIFIED VIA ed25519 USING 'x'`@`%` IDENTIFIED VIA pam", .other),
        ("CREATE USER `a`` IDENTIFIED VIA pam`@`%`", .nativePassword),
        ("something else", .other),
    ])
    func fromShowCreateUser(statement: String, plugin: AuthenticationPlugin) {
        #expect(AuthenticationPlugin(showCreateUser: statement) == plugin)
    }

    @Test func passwordStatementsUseTheHashWhereOneExists() {
        let statements = PasswordStatements(isMariaDB: true, quoting: .standalone)
        let native = statements.setOwnPassword("pw", plugin: .nativePassword)
        #expect(native.sql == "SET PASSWORD = '\(PasswordHash.nativePassword("pw"))'")
        #expect(!native.sendsPlaintext)
        let fallback = statements.setOwnPassword("p'w", plugin: .other)
        #expect(fallback.sql == "SET PASSWORD = PASSWORD('p''w')")
        #expect(fallback.sendsPlaintext && fallback.secrets.contains("p'w"))
        #expect(statements.identified("pw", plugin: .other).sql == "IDENTIFIED BY PASSWORD '\(PasswordHash.nativePassword("pw"))'")
        let mysql = PasswordStatements(isMariaDB: false, quoting: .standalone)
        #expect(mysql.setOwnPassword("pw", plugin: .nativePassword).sql == "SET PASSWORD = 'pw'")
    }
}

struct GrantStatementsTests {
    let builder = GrantStatements(quoting: .standalone)
    let table = GrantObject.table(database: "d`b", table: "t")

    @Test func grantsWhatIsMissingAndRevokesWhatIsExtra() {
        var desired = AccountGrants()
        desired.privileges = [
            Privilege(object: .global, name: "SELECT"),
            Privilege(object: self.table, name: "SELECT", column: "a"),
            Privilege(object: self.table, name: "UPDATE", column: "b"),
            Privilege(object: self.table, name: "UPDATE", column: "a"),
        ]
        desired.grantOptions = [self.table]
        var current = AccountGrants()
        current.privileges = [Privilege(object: .global, name: "SELECT"), Privilege(object: .database("x"), name: "DELETE")]
        current.grantOptions = [.global]

        #expect(
            self.builder.statements(for: "'c'@'%'", from: current, to: desired) == [
                "GRANT SELECT (`a`), UPDATE (`a`, `b`) ON `d``b`.`t` TO 'c'@'%' WITH GRANT OPTION",
                "REVOKE DELETE ON `x`.* FROM 'c'@'%'",
                "REVOKE GRANT OPTION ON *.* FROM 'c'@'%'",
            ]
        )
        #expect(self.builder.statements(for: "'c'@'%'", from: desired, to: desired).isEmpty)
    }

    @Test func grantOptionAloneIsGrantedWithUsage() {
        var desired = AccountGrants()
        desired.grantOptions = [.routine(.procedure, database: "d", name: "p")]
        #expect(
            self.builder.statements(for: "'c'@'%'", from: AccountGrants(), to: desired) == [
                "GRANT USAGE ON PROCEDURE `d`.`p` TO 'c'@'%' WITH GRANT OPTION"
            ]
        )
    }

    @Test func proxiesRolesAndOptions() {
        var desired = AccountGrants()
        desired.proxies = [ProxyGrant(user: "o'q", host: "%", withGrantOption: true)]
        desired.roles = [RoleGrant(role: "r", withAdminOption: false)]
        desired.defaultRole = "r"
        desired.options = AccountOptions(sslType: "SPECIFIED", x509Subject: "/CN=it's", maxQuestions: "10", maxStatementTime: "0.000000")
        var current = AccountGrants()
        current.proxies = [ProxyGrant(user: "o'q", host: "%", withGrantOption: false)]
        current.roles = [RoleGrant(role: "old", withAdminOption: true)]

        #expect(
            self.builder.statements(for: "'c'@'%'", from: current, to: desired) == [
                "REVOKE PROXY ON 'o''q'@'%' FROM 'c'@'%'",
                "GRANT PROXY ON 'o''q'@'%' TO 'c'@'%' WITH GRANT OPTION",
                "REVOKE `old` FROM 'c'@'%'",
                "GRANT `r` TO 'c'@'%'",
                "SET DEFAULT ROLE `r` FOR 'c'@'%'",
                "ALTER USER 'c'@'%' REQUIRE SUBJECT '/CN=it''s' WITH MAX_QUERIES_PER_HOUR 10 MAX_STATEMENT_TIME 0.000000",
            ]
        )
    }

    @Test func optionsAreWrittenOnlyWhereTheyDiffer() {
        let unlimited = AccountOptions(
            maxQuestions: "0",
            maxUpdates: "0",
            maxConnections: "0",
            maxUserConnections: "0",
            maxStatementTime: "0.000000"
        )
        #expect(self.builder.optionsClause(unlimited) == nil)
        var limited = unlimited
        limited.sslType = "X509"
        limited.maxUpdates = "5"
        #expect(self.builder.optionsClause(limited) == "REQUIRE X509 WITH MAX_UPDATES_PER_HOUR 5")
        #expect(self.builder.optionsClause(unlimited, from: limited) == "REQUIRE NONE WITH MAX_UPDATES_PER_HOUR 0")
    }
}
