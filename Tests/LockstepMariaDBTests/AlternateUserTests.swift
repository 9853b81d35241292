import LockstepCore
import LockstepDatabase
import Testing

@testable import LockstepMariaDB

@Suite(.mariaDB)
struct AlternateUserTests {
    /// An original with privileges at every level, on three hosts; returns the grants' objects.
    private struct Fixture {
        let original: String
        let clone: String
        let database = Random.name("lsdb")
        let role = Random.name("lsrole")
        let proxied = Random.name("lsproxied")
        let hosts = ["%", "10.9.8.%", "127.0.0.1"]

        init(original: String = Random.name()) {
            self.original = original
            self.clone = original + "_clone"
        }

        var users: [String] { [self.original, self.clone, self.proxied] }

        func create(on admin: MariaDBConnection) async throws {
            let db = sql.identifier(self.database)
            let hash = sql.literal(PasswordHash.nativePassword(Random.password()))
            let (everywhere, subnet, local) = (
                sql.account(self.original, "%"), sql.account(self.original, "10.9.8.%"), sql.account(self.original, "127.0.0.1")
            )
            try await admin.run(
                "CREATE DATABASE \(db)",
                "CREATE TABLE \(db).`t` (`a` INT, `b` INT)",
                "CREATE TABLE \(db).`t2` (`x` INT)",
                "CREATE PROCEDURE \(db).`p`() SELECT 1",
                "CREATE ROLE \(sql.identifier(self.role))",
                "GRANT SELECT ON \(db).* TO \(sql.identifier(self.role))",
                "CREATE USER \(sql.account(self.proxied, "%")) ACCOUNT LOCK",
                """
                CREATE USER \(everywhere) IDENTIFIED BY PASSWORD \(hash) \
                REQUIRE SUBJECT '/CN=it''s me' AND ISSUER '/CN=ca' WITH MAX_QUERIES_PER_HOUR 10 MAX_USER_CONNECTIONS 3
                """,
                "CREATE USER \(subnet) IDENTIFIED BY PASSWORD \(hash) REQUIRE X509",
                "CREATE USER \(local) IDENTIFIED BY PASSWORD \(hash)",
                "GRANT SELECT, RELOAD, BINLOG ADMIN ON *.* TO \(everywhere) WITH GRANT OPTION",
                "GRANT INSERT, DELETE HISTORY ON \(db).* TO \(everywhere)",
                "GRANT SELECT (`a`), UPDATE (`a`, `b`), INSERT ON \(db).`t` TO \(everywhere)",
                "GRANT EXECUTE ON PROCEDURE \(db).`p` TO \(everywhere) WITH GRANT OPTION",
                "GRANT PROXY ON \(sql.account(self.proxied, "%")) TO \(everywhere)",
                "GRANT \(sql.identifier(self.role)) TO \(everywhere) WITH ADMIN OPTION",
                "SET DEFAULT ROLE \(sql.identifier(self.role)) FOR \(everywhere)",
                "GRANT PROCESS ON *.* TO \(subnet)",
                "GRANT SELECT (`b`) ON \(db).`t` TO \(local) WITH GRANT OPTION",
                "GRANT USAGE ON \(db).`t2` TO \(local) WITH GRANT OPTION",
                "GRANT ALTER ROUTINE ON PROCEDURE \(db).`p` TO \(local)",
                "GRANT UPDATE ON \(db).* TO \(local)"
            )
        }

        /// The clone's grants and options equal the original's on every host.
        func expectCloneEqualsOriginal(_ admin: MariaDBConnection, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            #expect(try await admin.hosts(of: self.clone) == admin.hosts(of: self.original), sourceLocation: sourceLocation)
            for host in try await admin.hosts(of: self.original) {
                let original = try await admin.normalizedGrants(self.original, host)
                #expect(try await admin.normalizedGrants(self.clone, host) == original, "grants at \(host)", sourceLocation: sourceLocation)
                let options = try await admin.accountOptions(self.original, host)
                #expect(try await admin.accountOptions(self.clone, host) == options, "options at \(host)", sourceLocation: sourceLocation)
            }
        }
    }

    private func provision(_ fixture: Fixture, _ server: TestServer, password: String) async throws {
        let admin = try await MariaDBDriver().connect(server.credentials(), timeouts: DatabaseTimeouts())
        try await admin.provisionAlternateUser(fixture.clone, copying: fixture.original, password: Sensitive(password))
        await admin.close()
    }

    @Test func theCloneGetsEveryGrantOnEveryHostAndLogsIn() async throws {
        let fixture = Fixture()
        let password = Random.password()
        try await withAdmin(users: fixture.users, roles: [fixture.role], databases: [fixture.database]) { server, admin in
            try await fixture.create(on: admin)

            try await self.provision(fixture, server, password: password)

            try await fixture.expectCloneEqualsOriginal(admin)
            // The comparison is only as good as what the original has: check the fixture really has each kind.
            let everywhere = try await admin.normalizedGrants(fixture.original, "%").joined(separator: "\n")
            for expected in [
                "GRANT SELECT, RELOAD, BINLOG ADMIN ON *.* TO <grantee> REQUIRE ISSUER '/CN=ca' SUBJECT '/CN=it''s me' WITH GRANT OPTION MAX_QUERIES_PER_HOUR 10 MAX_USER_CONNECTIONS 3",
                "GRANT SELECT (`a`), INSERT, UPDATE (`a`, `b`) ON `\(fixture.database)`.`t` TO <grantee>",
                "GRANT EXECUTE ON PROCEDURE `\(fixture.database)`.`p` TO <grantee> WITH GRANT OPTION",
                "GRANT PROXY ON `\(fixture.proxied)`@`%` TO <grantee>",
                "GRANT `\(fixture.role)` TO <grantee> WITH ADMIN OPTION",
                "SET DEFAULT ROLE `\(fixture.role)` FOR <grantee>",
            ] {
                #expect(everywhere.contains(expected), "missing from the fixture: \(expected)")
            }
            #expect(try await admin.accountOptions(fixture.clone, "10.9.8.%").first == "2", "REQUIRE X509 copied")
            #expect(
                try await admin.normalizedGrants(fixture.clone, "127.0.0.1").contains {
                    $0.contains("GRANT USAGE ON `\(fixture.database)`.`t2` TO <grantee> WITH GRANT OPTION")
                }
            )

            // From 127.0.0.1 the clone is clone@127.0.0.1, which needs no TLS.
            let session = try await server.login(fixture.clone, password)
            try await session.ping()
            await session.close()

            let log = try server.logText()
            #expect(log.contains(PasswordHash.nativePassword(password)), "the password reached the log as a hash")
            #expect(!log.contains(password))
        }
    }

    @Test func aSecondRunChangesOnlyThePassword() async throws {
        let fixture = Fixture()
        let (first, second) = (Random.password(), Random.password())
        try await withAdmin(users: fixture.users, roles: [fixture.role], databases: [fixture.database]) { server, admin in
            try await fixture.create(on: admin)

            try await self.provision(fixture, server, password: first)
            let grants = try await fixture.hosts.asyncMap { try await admin.normalizedGrants(fixture.clone, $0) }
            let options = try await fixture.hosts.asyncMap { try await admin.accountOptions(fixture.clone, $0) }
            try await self.provision(fixture, server, password: second)

            #expect(try await fixture.hosts.asyncMap { try await admin.normalizedGrants(fixture.clone, $0) } == grants)
            #expect(try await fixture.hosts.asyncMap { try await admin.accountOptions(fixture.clone, $0) } == options)
            try await fixture.expectCloneEqualsOriginal(admin)
            try await server.login(fixture.clone, second).ping()
            await expectDatabaseError(.authentication) { _ = try await server.login(fixture.clone, first) }
            let log = try server.logText()
            #expect(!log.contains(first) && !log.contains(second))
        }
    }

    @Test func aResyncRemovesWhatTheOriginalLostAndWhatTheCloneGained() async throws {
        let fixture = Fixture()
        try await withAdmin(users: fixture.users, roles: [fixture.role], databases: [fixture.database]) { server, admin in
            try await fixture.create(on: admin)
            try await self.provision(fixture, server, password: Random.password())

            let db = sql.identifier(fixture.database)
            let everywhere = sql.account(fixture.original, "%")
            try await admin.run(
                "REVOKE INSERT ON \(db).`t` FROM \(everywhere)",
                "REVOKE UPDATE (`b`) ON \(db).`t` FROM \(everywhere)",
                "REVOKE GRANT OPTION ON *.* FROM \(everywhere)",
                "REVOKE \(sql.identifier(fixture.role)) FROM \(everywhere)",
                "SET DEFAULT ROLE NONE FOR \(everywhere)",
                "REVOKE PROXY ON \(sql.account(fixture.proxied, "%")) FROM \(everywhere)",
                "ALTER USER \(everywhere) REQUIRE SSL WITH MAX_QUERIES_PER_HOUR 0",
                "DROP USER \(sql.account(fixture.original, "10.9.8.%"))",
                "GRANT DELETE ON \(db).* TO \(sql.account(fixture.clone, "127.0.0.1"))",
                "GRANT SELECT (`x`) ON \(db).`t2` TO \(sql.account(fixture.clone, "127.0.0.1"))"
            )
            try await self.provision(fixture, server, password: Random.password())

            try await fixture.expectCloneEqualsOriginal(admin)
            #expect(try await admin.hosts(of: fixture.clone) == ["%", "127.0.0.1"])
            let clone = try await admin.normalizedGrants(fixture.clone, "%").joined(separator: "\n")
            #expect(!clone.contains("WITH GRANT OPTION MAX"))
            #expect(!clone.contains(fixture.role))
            #expect(!clone.contains("PROXY"))
            #expect(clone.contains("GRANT SELECT (`a`), UPDATE (`a`) ON `\(fixture.database)`.`t` TO <grantee>"))
            #expect(clone.contains("REQUIRE SSL"))
        }
    }

    @Test func namesWithQuotesAndBackticks() async throws {
        let original = "ls'q`" + Random.name("x")
        let clone = original + "_clone"
        let database = "ls`d'" + Random.name("y")
        let password = Random.password()
        try await withAdmin(users: [original, clone], databases: [database]) { server, admin in
            let db = sql.identifier(database)
            let account = sql.account(original, "127.0.0.1")
            try await admin.run(
                "CREATE DATABASE \(db)",
                "CREATE TABLE \(db).`t``'x` (`c``'` INT)",
                "CREATE USER \(account) IDENTIFIED BY PASSWORD \(sql.literal(PasswordHash.nativePassword(Random.password())))",
                "GRANT SELECT (`c``'`) ON \(db).`t``'x` TO \(account) WITH GRANT OPTION",
                "GRANT INSERT ON \(db).* TO \(account)"
            )
            let session = try await MariaDBDriver().connect(server.credentials(), timeouts: DatabaseTimeouts())
            try await session.provisionAlternateUser(clone, copying: original, password: Sensitive(password))
            await session.close()

            let grants = try await admin.normalizedGrants(original, "127.0.0.1")
            #expect(grants.count == 3)
            #expect(try await admin.normalizedGrants(clone, "127.0.0.1") == grants)
            try await server.login(clone, password).ping()
        }
    }

    @Test func anEd25519OriginalGetsAnEd25519Clone() async throws {
        let original = Random.name()
        let clone = original + "_clone"
        let password = Random.password(length: 32)
        try await withAdmin(users: [original, clone]) { server, admin in
            let hash = try #require(PasswordHash.ed25519(Random.password(length: 32)))
            try await admin.run(
                "CREATE USER \(sql.account(original, "127.0.0.1")) IDENTIFIED VIA ed25519 USING \(sql.literal(hash))",
                "GRANT PROCESS ON *.* TO \(sql.account(original, "127.0.0.1"))"
            )
            let session = try await MariaDBDriver().connect(server.credentials(), timeouts: DatabaseTimeouts())
            try await session.provisionAlternateUser(clone, copying: original, password: Sensitive(password))
            await session.close()

            #expect(try await admin.accountOptions(clone, "127.0.0.1").last == "ed25519")
            try await server.login(clone, password).ping()
            #expect(try !server.logText().contains(password))
        }
    }

    @Test func impossibleRequestsAreValidationErrors() async throws {
        let original = String(repeating: "o", count: 75)
        try await withAdmin(users: [original]) { server, admin in
            try await admin.run("CREATE USER \(sql.account(original, "%"))")
            let session = try await MariaDBDriver().connect(server.credentials(), timeouts: DatabaseTimeouts())
            await expectDatabaseError(.validation) {
                try await session.provisionAlternateUser(original + "_clone", copying: original, password: "x")
            }
            await expectDatabaseError(.validation) {
                try await session.provisionAlternateUser(Random.name() + "_clone", copying: Random.name(), password: "x")
            }
            #expect(try await admin.hosts(of: original + "_clone").isEmpty)
            await session.close()
        }
    }
}

extension Array {
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
