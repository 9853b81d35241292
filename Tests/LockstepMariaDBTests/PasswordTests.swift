import LockstepCore
import LockstepDatabase
import Testing

@testable import LockstepMariaDB

@Suite(.mariaDB)
struct PasswordTests {
    @Test func nativeAccountChangesItsPasswordByHash() async throws {
        let user = Random.name()
        let (old, new) = (Random.password(), Random.password())
        try await withAdmin(users: [user]) { server, admin in
            try await admin.run(
                "CREATE USER \(sql.account(user, "%")) IDENTIFIED BY PASSWORD \(sql.literal(PasswordHash.nativePassword(old)))"
            )
            let session = try await server.login(user, old)
            try await session.changeOwnPassword(user: user, to: Sensitive(new))
            await session.close()

            try await server.login(user, new).ping()
            await expectDatabaseError(.authentication) { _ = try await server.login(user, old) }
            let log = try server.logText()
            #expect(log.contains(PasswordHash.nativePassword(new)), "the change reached the log as a hash")
            #expect(!log.contains(new))
            #expect(!log.contains(old))
        }
    }

    @Test func ed25519AccountChangesA32BytePasswordByHash() async throws {
        let user = Random.name()
        let (old, new) = (Random.password(length: 32), Random.password(length: 32))
        try await withAdmin(users: [user]) { server, admin in
            let oldHash = try #require(PasswordHash.ed25519(old))
            try await admin.run("CREATE USER \(sql.account(user, "%")) IDENTIFIED VIA ed25519 USING \(sql.literal(oldHash))")
            let session = try await server.login(user, old)
            try await session.changeOwnPassword(user: user, to: Sensitive(new))
            await session.close()

            try await server.login(user, new).ping()
            await expectDatabaseError(.authentication) { _ = try await server.login(user, old) }
            #expect(try await admin.accountOptions(user, "%").last == "ed25519", "still an ed25519 account")
            let log = try server.logText()
            #expect(log.contains(try #require(PasswordHash.ed25519(new))), "the change reached the log as a hash")
            #expect(!log.contains(new))
        }
    }

    @Test func ed25519AccountFallsBackToPlaintextForOtherLengths() async throws {
        let user = Random.name()
        let (old, new) = (Random.password(length: 32), Random.password(length: 20))
        try await withAdmin(users: [user]) { server, admin in
            let oldHash = try #require(PasswordHash.ed25519(old))
            try await admin.run("CREATE USER \(sql.account(user, "%")) IDENTIFIED VIA ed25519 USING \(sql.literal(oldHash))")
            let session = try await server.login(user, old)
            try await session.changeOwnPassword(user: user, to: Sensitive(new))
            await session.close()

            try await server.login(user, new).ping()
            await expectDatabaseError(.authentication) { _ = try await server.login(user, old) }
            #expect(try await admin.accountOptions(user, "%").last == "ed25519")
        }
    }

    @Test func anotherUsersNameIsRefused() async throws {
        let user = Random.name()
        let password = Random.password()
        try await withAdmin(users: [user]) { server, admin in
            try await admin.run(
                "CREATE USER \(sql.account(user, "%")) IDENTIFIED BY PASSWORD \(sql.literal(PasswordHash.nativePassword(password)))"
            )
            let session = try await server.login(user, password)
            await expectDatabaseError(.validation) {
                try await session.changeOwnPassword(user: server.user, to: Sensitive(Random.password()))
            }
            await session.close()
            try await server.login(user, password).ping()
        }
    }
}
