import LockstepDatabase
import Testing

@testable import LockstepPostgres

/// The rotation SQL builders and name rules, without a server.
struct RoleSQLTests {
    @Test func createRoleCopiesTheAttributes() {
        let attributes = RoleSQL.Attributes(createRole: true, createDatabase: true, connectionLimit: 5)
        let sql = RoleSQL.createRole(
            "\"app_clone\"",
            verifierLiteral: "'V'",
            copying: attributes,
            validUntilLiteral: "'2100-01-01'",
            sessionIsSuperuser: false
        )
        #expect(sql == "CREATE ROLE \"app_clone\" WITH LOGIN PASSWORD 'V' CREATEDB CREATEROLE CONNECTION LIMIT 5 VALID UNTIL '2100-01-01'")
    }

    @Test func superuserOnlyAttributesNeedASuperuserSession() {
        let attributes = RoleSQL.Attributes(superuser: true, replication: true, bypassRowLevelSecurity: true)
        let plain = RoleSQL.createRole("c", verifierLiteral: "'V'", copying: attributes, validUntilLiteral: nil, sessionIsSuperuser: false)
        #expect(plain == "CREATE ROLE c WITH LOGIN PASSWORD 'V' CONNECTION LIMIT -1")
        let superuser = RoleSQL.createRole("c", verifierLiteral: "'V'", copying: attributes, validUntilLiteral: nil, sessionIsSuperuser: true)
        #expect(superuser == "CREATE ROLE c WITH LOGIN PASSWORD 'V' SUPERUSER REPLICATION BYPASSRLS CONNECTION LIMIT -1")
    }

    @Test func attributesFromARow() {
        let attributes = RoleSQL.Attributes(row: ["f", "t", "t", "f", "f", "3", nil])
        #expect(attributes == RoleSQL.Attributes(createRole: true, createDatabase: true, connectionLimit: 3))
    }

    @Test func roleNamesFitPostgreSQLsLimit() throws {
        try RoleSQL.validateRoleName(String(repeating: "a", count: 63))
        try RoleSQL.validateRoleName("Odd \"name\" ü")
        for bad in [String(repeating: "a", count: 64), String(repeating: "ü", count: 32), "", "a\u{0}b"] {
            let error = #expect(throws: DatabaseError.self) { try RoleSQL.validateRoleName(bad) }
            #expect(error?.kind == .validation)
        }
    }

    @Test func passwordsMustBeUsable() throws {
        try RoleSQL.validatePassword("x")
        #expect(throws: DatabaseError.self) { try RoleSQL.validatePassword("") }
        #expect(throws: DatabaseError.self) { try RoleSQL.validatePassword("a\u{0}") }
    }

    @Test func theDriverDescribesPostgreSQL() {
        let driver = PostgresDriver()
        #expect(driver.engines == ["postgres", "aurora-postgresql"])
        #expect(driver.defaultPort == 5432)
        #expect(driver.defaultDatabase == "postgres")
        #expect(driver.excludedPasswordCharacters == ":/@\"'\\")
        #expect(driver.maximumUserNameLength == 63)
    }
}
