import LockstepCore
import LockstepDatabase
import Testing

@testable import LockstepPostgres

/// Single user: a user changes its own password (AWS's single-user template, spec §1.4).
@Suite(.needsPostgres)
struct PasswordChangeTests {
    @Test func theNewPasswordLogsInAndTheOldOneIsRefused() async throws {
        try await Scratch.run { scratch in
            let user = await scratch.roleName()
            let old = await scratch.password()
            let new = await scratch.password()
            try await scratch.createLoginRole(user, password: old)
            let session = try await scratch.connect(user, old)
            try await session.changeOwnPassword(user: user, to: new)
            #expect(await scratch.loginError(user, new) == nil)
            #expect(await scratch.loginError(user, old)?.kind == .authentication)
            // Stored as a SCRAM verifier computed client-side (the server's password_encryption).
            let stored = try await scratch.value("SELECT rolpassword FROM pg_authid WHERE rolname = $1", on: scratch.admin, [user])
            #expect(stored?.hasPrefix("SCRAM-SHA-256$") == true)
        }
    }

    @Test func aNameThatNeedsQuoting() async throws {
        try await Scratch.run { scratch in
            let user = await scratch.roleName("Lockstep \"Odd\" User ")
            let old = await scratch.password()
            let new = await scratch.password()
            try await scratch.createLoginRole(user, password: old)
            let session = try await scratch.connect(user, old)
            try await session.changeOwnPassword(user: user, to: new)
            #expect(await scratch.loginError(user, new) == nil)
            #expect(await scratch.loginError(user, old)?.kind == .authentication)
        }
    }

    @Test func aFailedChangeNamesNoVerifier() async throws {
        try await Scratch.run { scratch in
            let missing = await scratch.roleName()
            let password = await scratch.password()
            let error = await #expect(throws: DatabaseError.self) {
                try await scratch.admin.changeOwnPassword(user: missing, to: password)
            }
            #expect(error?.kind == .sql)
            #expect(error?.message == "SQLSTATE 42704: role \"\(missing)\" does not exist")
        }
    }

    @Test func aTooLongNameIsRefusedBeforeAnySQL() async throws {
        try await Scratch.run { scratch in
            let error = await #expect(throws: DatabaseError.self) {
                try await scratch.admin.changeOwnPassword(user: String(repeating: "u", count: 64), to: "irrelevant")
            }
            #expect(error?.kind == .validation)
        }
    }
}
