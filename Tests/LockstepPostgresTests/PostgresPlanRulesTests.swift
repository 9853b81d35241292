import LockstepCore
import LockstepDatabase
import Testing

@testable import LockstepPostgres

/// The rotation plan's PostgreSQL rules, from facts, without a server.
struct PostgresPlanRulesTests {
    typealias Rules = PostgresPlanRules

    static let generator = try! PasswordGenerator(length: 32, excludeCharacters: PostgresDriver().excludedPasswordCharacters)

    @Test func storedMethods() {
        #expect(Rules.authentication(user: "app", stored: .scram, passwordEncryption: "scram-sha-256").status == .pass)
        let md5 = Rules.authentication(user: "app", stored: .md5, passwordEncryption: "scram-sha-256")
        #expect(md5.status == .warn)
        #expect(md5.reason.contains("app's password is stored as md5"))
        #expect(md5.reason.contains("SCRAM-SHA-256"))
        #expect(Rules.authentication(user: "app", stored: .scram, passwordEncryption: "md5").status == .warn)
        #expect(Rules.authentication(user: "app", stored: PostgresPlanRules.StoredPassword.none, passwordEncryption: "scram-sha-256").status == .warn)
        let unknown = Rules.authentication(user: "app", stored: nil, passwordEncryption: "scram-sha-256")
        #expect(unknown.status == .pass)
        #expect(unknown.reason.contains("not readable"))
        #expect(Rules.authentication(user: "app", stored: nil, passwordEncryption: "md5").status == .warn)
    }

    static func master(
        superuser: Bool = false,
        createRole: Bool = true,
        adminOnOriginal: Bool = false,
        adminOnClone: Bool = false
    )
        -> Rules.Master
    {
        Rules.Master(name: "admin", superuser: superuser, createRole: createRole, adminOnOriginal: adminOnOriginal, adminOnClone: adminOnClone)
    }

    @Test func masterPrivileges() {
        let plain = RoleSQL.Attributes()
        func verdict(
            _ master: Rules.Master,
            _ attributes: RoleSQL.Attributes? = RoleSQL.Attributes(),
            exists: Bool = false,
            version: Int = 150_000
        )
            -> PlanCheck
        {
            Rules.masterPrivileges(
                master,
                original: "app",
                originalAttributes: attributes,
                clone: "app_clone",
                cloneExists: exists,
                serverVersion: version
            )
        }
        #expect(verdict(Self.master(superuser: true, createRole: false)).status == .pass)
        #expect(verdict(Self.master()).status == .pass)
        let none = verdict(Self.master(createRole: false))
        #expect(none.status == .fail)
        #expect(none.reason.contains("neither SUPERUSER nor CREATEROLE"))
        #expect(verdict(Self.master(), RoleSQL.Attributes(superuser: true)).status == .fail)
        #expect(verdict(Self.master(), nil).reason.contains("does not exist"))
        // PostgreSQL 16: CREATEROLE needs ADMIN OPTION on the original, and on an existing clone.
        #expect(verdict(Self.master(), plain, version: 160_002).status == .fail)
        #expect(verdict(Self.master(adminOnOriginal: true), plain, version: 160_002).status == .pass)
        #expect(verdict(Self.master(adminOnOriginal: true), plain, exists: true, version: 160_002).status == .fail)
        #expect(verdict(Self.master(adminOnOriginal: true, adminOnClone: true), plain, exists: true, version: 160_002).status == .pass)
    }

    @Test func cloneGrants() {
        let created = Rules.cloneGrants(
            original: "app",
            attributes: RoleSQL.Attributes(createDatabase: true),
            clone: "app_clone",
            existing: nil,
            masterIsSuperuser: false
        )
        #expect(created.status == .pass)
        #expect(created.reason.contains("would be created (LOGIN, CREATEDB) as a member of app"))
        let replication = Rules.cloneGrants(
            original: "app",
            attributes: RoleSQL.Attributes(replication: true),
            clone: "app_clone",
            existing: nil,
            masterIsSuperuser: false
        )
        #expect(replication.status == .warn)
        #expect(replication.reason.contains("REPLICATION"))
        #expect(
            Rules.cloneGrants(
                original: "app",
                attributes: RoleSQL.Attributes(replication: true),
                clone: "app_clone",
                existing: nil,
                masterIsSuperuser: true
            ).status
                == .pass
        )
        let back = Rules.ExistingClone(isAncestorOfOriginal: true, isMemberOfOriginal: false, startsAsOriginal: false)
        #expect(
            Rules.cloneGrants(original: "app_clone", attributes: RoleSQL.Attributes(), clone: "app", existing: back, masterIsSuperuser: true).reason
                .contains("first name")
        )
        let broken = Rules.ExistingClone(isAncestorOfOriginal: false, isMemberOfOriginal: false, startsAsOriginal: true)
        #expect(
            Rules.cloneGrants(original: "app", attributes: RoleSQL.Attributes(), clone: "app_clone", existing: broken, masterIsSuperuser: true).reason
                .contains("GRANT app TO app_clone")
        )
    }

    @Test func cloneAttributesDropSuperuserOnlyOnesWithoutASuperuser() {
        let all = RoleSQL.Attributes(superuser: true, createRole: true, replication: true, bypassRowLevelSecurity: true)
        #expect(RoleSQL.cloneAttributes(copying: all, sessionIsSuperuser: true) == all)
        #expect(RoleSQL.cloneAttributes(copying: all, sessionIsSuperuser: false) == RoleSQL.Attributes(createRole: true))
    }

    @Test func passwordcheck() {
        #expect(Rules.passwordPolicy(libraries: nil, generator: Self.generator).status == .warn)
        #expect(Rules.passwordPolicy(libraries: "", generator: Self.generator).status == .pass)
        #expect(Rules.passwordPolicy(libraries: "pg_stat_statements", generator: Self.generator).status == .pass)
        let loaded = Rules.passwordPolicy(libraries: "pg_stat_statements, \"passwordcheck\"", generator: Self.generator)
        #expect(loaded.status == .pass)
        #expect(loaded.reason.contains("passwordcheck accepts"))
        #expect(loaded.reason.contains("verifier"))
        // A generator it would refuse is only a warning: the server sees a verifier, never the plaintext.
        let short = try! PasswordGenerator(length: 6)
        #expect(Rules.passwordPolicy(libraries: "passwordcheck", generator: short).status == .warn)
    }
}
