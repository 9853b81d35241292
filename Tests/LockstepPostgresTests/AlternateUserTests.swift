import LockstepCore
import LockstepDatabase
import Testing

@testable import LockstepPostgres

/// Alternating users: the master session provisions `<user>_clone` (and back) with the same privileges.
@Suite(.needsPostgres)
struct AlternateUserTests {
    /// An original user owning a schema with one table and one row, and its clone's name.
    struct Setup {
        var original: String
        var originalPassword: Sensitive<String>
        var clone: String
        var schema: String

        init(_ scratch: Scratch, originalPrefix: String = "lockstep_t_", options: String = "") async throws {
            self.original = await scratch.roleName(originalPrefix)
            self.originalPassword = await scratch.password()
            self.clone = self.original + "_clone"
            await scratch.adopt(role: self.clone)
            try await scratch.createLoginRole(self.original, password: self.originalPassword, options: options)
            self.schema = try await scratch.schema(ownedBy: self.original)
            let session = try await scratch.connect(self.original, self.originalPassword)
            try await session.execute("CREATE TABLE \(self.schema).by_original (value text); INSERT INTO \(self.schema).by_original VALUES ('first')")
        }
    }

    @Test func theCloneHasTheOriginalsPrivilegesBothWays() async throws {
        try await Scratch.run { scratch in
            let setup = try await Setup(scratch)
            let clonePassword = await scratch.password()
            try await scratch.admin.provisionAlternateUser(setup.clone, copying: setup.original, password: clonePassword)

            let clone = try await scratch.connect(setup.clone, clonePassword)
            #expect(try await scratch.value("SELECT session_user || ' as ' || current_user", on: clone) == "\(setup.clone) as \(setup.original)")
            // The clone reads and writes the original's table, and creates one of its own.
            try await clone.execute("INSERT INTO \(setup.schema).by_original VALUES ('from clone')")
            #expect(try await scratch.value("SELECT count(*) FROM \(setup.schema).by_original", on: clone) == "2")
            try await clone.execute("CREATE TABLE \(setup.schema).by_clone (value text); INSERT INTO \(setup.schema).by_clone VALUES ('x')")

            // The original uses the clone's table (it owns it), and a table it creates later is the clone's too.
            let original = try await scratch.connect(setup.original, setup.originalPassword)
            try await original.execute("INSERT INTO \(setup.schema).by_clone VALUES ('from original')")
            #expect(try await scratch.value("SELECT count(*) FROM \(setup.schema).by_clone", on: original) == "2")
            #expect(
                try await scratch.value(
                    "SELECT tableowner FROM pg_tables WHERE schemaname = $1 AND tablename = 'by_clone'",
                    on: original,
                    [setup.schema]
                )
                    == setup.original
            )
            try await original.execute("CREATE TABLE \(setup.schema).later (value text)")
            try await clone.execute("INSERT INTO \(setup.schema).later VALUES ('from clone'); DROP TABLE \(setup.schema).later")
        }
    }

    @Test func theCloneCopiesTheRoleAttributes() async throws {
        try await Scratch.run { scratch in
            let setup = try await Setup(scratch, options: "CREATEDB CREATEROLE CONNECTION LIMIT 7 VALID UNTIL '2100-01-01 00:00:00+00'")
            try await scratch.admin.provisionAlternateUser(setup.clone, copying: setup.original, password: await scratch.password())
            let attributes = "SELECT \(RoleSQL.Attributes.columns), rolcanlogin, rolsuper FROM pg_roles WHERE rolname = $1"
            let original = try await scratch.admin.query(attributes, [setup.original])
            let clone = try await scratch.admin.query(attributes, [setup.clone])
            #expect(clone == original)
            #expect(clone.first?[2] == "t")  // CREATEDB
            #expect(clone.first?[5] == "7")  // CONNECTION LIMIT
        }
    }

    @Test func runningItAgainChangesOnlyThePassword() async throws {
        try await Scratch.run { scratch in
            let setup = try await Setup(scratch)
            let first = await scratch.password()
            let second = await scratch.password()
            try await scratch.admin.provisionAlternateUser(setup.clone, copying: setup.original, password: first)
            let before = try await Self.catalog(of: setup.clone, scratch)
            try await scratch.admin.provisionAlternateUser(setup.clone, copying: setup.original, password: second)
            #expect(try await Self.catalog(of: setup.clone, scratch) == before)
            #expect(await scratch.loginError(setup.clone, second) == nil)
            #expect(await scratch.loginError(setup.clone, first)?.kind == .authentication)
        }
    }

    @Test func rotationAlternatesBackToTheOriginal() async throws {
        try await Scratch.run { scratch in
            let setup = try await Setup(scratch)
            let clonePassword = await scratch.password()
            try await scratch.admin.provisionAlternateUser(setup.clone, copying: setup.original, password: clonePassword)
            // Next rotation: the pending user is the original again, copying the clone.
            let originalPassword = await scratch.password()
            try await scratch.admin.provisionAlternateUser(setup.original, copying: setup.clone, password: originalPassword)
            #expect(await scratch.loginError(setup.original, originalPassword) == nil)
            #expect(await scratch.loginError(setup.original, setup.originalPassword)?.kind == .authentication)
            #expect(await scratch.loginError(setup.clone, clonePassword) == nil)
            // The original did not become a member of its clone, nor does it start as the clone.
            let isMember = "SELECT pg_has_role($1::name, $2::name, 'MEMBER')"
            #expect(try await scratch.value(isMember, on: scratch.admin, [setup.original, setup.clone]) == "f")
            let original = try await scratch.connect(setup.original, originalPassword)
            #expect(try await scratch.value("SELECT current_user", on: original) == setup.original)
            // And forth once more: still only passwords.
            let before = try await Self.catalog(of: setup.clone, scratch)
            let third = await scratch.password()
            try await scratch.admin.provisionAlternateUser(setup.clone, copying: setup.original, password: third)
            #expect(try await Self.catalog(of: setup.clone, scratch) == before)
            #expect(await scratch.loginError(setup.clone, third) == nil)
        }
    }

    @Test func aCloneCanStillChangeItsOwnPassword() async throws {
        // Single-user rotation of a clone: its sessions act as the original, yet the password is the clone's own.
        try await Scratch.run { scratch in
            let setup = try await Setup(scratch)
            let password = await scratch.password()
            try await scratch.admin.provisionAlternateUser(setup.clone, copying: setup.original, password: password)
            let clone = try await scratch.connect(setup.clone, password)
            let new = await scratch.password()
            try await clone.changeOwnPassword(user: setup.clone, to: new)
            #expect(await scratch.loginError(setup.clone, new) == nil)
            #expect(await scratch.loginError(setup.original, setup.originalPassword) == nil)
            #expect(try await scratch.value("SELECT current_user", on: clone) == setup.original)
        }
    }

    @Test func anExistingCloneWithoutTheMembershipIsRepaired() async throws {
        try await Scratch.run { scratch in
            let setup = try await Setup(scratch)
            try await scratch.createLoginRole(setup.clone, password: await scratch.password())
            let password = await scratch.password()
            try await scratch.admin.provisionAlternateUser(setup.clone, copying: setup.original, password: password)
            let clone = try await scratch.connect(setup.clone, password)
            #expect(try await scratch.value("SELECT current_user", on: clone) == setup.original)
            #expect(try await scratch.value("SELECT count(*) FROM \(setup.schema).by_original", on: clone) == "1")
        }
    }

    @Test func namesThatNeedQuoting() async throws {
        try await Scratch.run { scratch in
            let setup = try await Setup(scratch, originalPrefix: "Lockstep \"Odd\" User ")
            let password = await scratch.password()
            try await scratch.admin.provisionAlternateUser(setup.clone, copying: setup.original, password: password)
            let clone = try await scratch.connect(setup.clone, password)
            #expect(try await scratch.value("SELECT current_user", on: clone) == setup.original)
            #expect(try await scratch.value("SELECT value FROM \(setup.schema).by_original", on: clone) == "first")
            let back = await scratch.password()
            try await scratch.admin.provisionAlternateUser(setup.original, copying: setup.clone, password: back)
            #expect(await scratch.loginError(setup.original, back) == nil)
        }
    }

    @Test func aMissingOriginalOrAnOverlongNameIsAValidationError() async throws {
        try await Scratch.run { scratch in
            let missing = await scratch.roleName()
            let clone = missing + "_clone"
            await scratch.adopt(role: clone)
            let password = await scratch.password()
            let error = await #expect(throws: DatabaseError.self) {
                try await scratch.admin.provisionAlternateUser(clone, copying: missing, password: password)
            }
            #expect(error?.kind == .validation)
            let created = try await scratch.admin.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [clone])
            #expect(created.isEmpty)

            let long = String(repeating: "a", count: 58) + "_clone"
            let tooLong = await #expect(throws: DatabaseError.self) {
                try await scratch.admin.provisionAlternateUser(long, copying: scratch.server.user, password: password)
            }
            #expect(tooLong?.kind == .validation)
        }
    }

    /// What a provisioning may not change: the role's attributes, memberships and settings (not its password).
    static func catalog(of role: String, _ scratch: Scratch) async throws -> [[String?]] {
        let attributes = try await scratch.admin.query("SELECT \(RoleSQL.Attributes.columns), rolcanlogin FROM pg_roles WHERE rolname = $1", [role])
        let memberships = try await scratch.admin.query(
            "SELECT m.roleid::regrole::text, m.admin_option FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = $1 ORDER BY 1",
            [role]
        )
        let settings = try await scratch.admin.query(
            "SELECT s.setdatabase::text, s.setconfig::text FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole WHERE r.rolname = $1",
            [role]
        )
        return attributes + memberships + settings
    }
}
