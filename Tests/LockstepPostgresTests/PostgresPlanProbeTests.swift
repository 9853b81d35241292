import Foundation
import LockstepCore
import LockstepDatabase
import Testing

@testable import LockstepPostgres

/// The rotation plan's probe against the real server: its verdicts, and that the statements it sent (as
/// log_statement=all recorded them for its roles) are all SELECTs.
@Suite(.needsPostgres) struct PostgresPlanProbeTests {
    static let generator = try! PasswordGenerator(length: 32, excludeCharacters: PostgresDriver().excludedPasswordCharacters)

    func credentials(_ server: TestServer, _ user: String, _ password: Sensitive<String>) -> DatabaseCredentials {
        DatabaseCredentials(host: server.host, port: server.port, username: user, password: password, database: "postgres", tls: .disabled)
    }

    /// Statements the server logged for `users` since the test began.
    func statements(_ scratch: Scratch, of users: Set<String>) async throws -> [String] {
        let log = try await scratch.logSinceStart()
        // Simple-protocol statements log as `statement: …`, PQexecParams ones as `execute <unnamed>: …`.
        return log.split(separator: "\n").compactMap { line -> String? in
            guard let match = line.firstMatch(of: #/ (\S+)@\S+ LOG:  (?:statement|execute [^:]*): (.*)$/#),
                users.contains(String(match.output.1))
            else { return nil }
            return String(match.output.2)
        }
    }

    @Test func singleUserPlanOnlyReads() async throws {
        try await Scratch.run { scratch in
            let user = await scratch.roleName()
            let password = await scratch.password()
            try await scratch.createLoginRole(user, password: password)
            let server = scratch.server
            let checks = await PostgresDriver().plan(
                DatabasePlanRequest(current: self.credentials(server, user, password), strategy: .singleUser, generator: Self.generator),
                timeouts: DatabaseTimeouts()
            )
            let verdicts = Dictionary(checks.map { ($0.check, $0.status) }, uniquingKeysWith: max)
            #expect(verdicts == ["login": .pass, "tls": .warn, "authentication": .pass, "privileges": .pass, "password-policy": .warn])
            let sent = try await self.statements(scratch, of: [user])
            #expect(sent.count >= 3)
            #expect(sent.allSatisfy { $0.hasPrefix("SELECT ") }, "\(sent)")
        }
    }

    @Test func alternatingUsersWithACreateRoleMaster() async throws {
        try await Scratch.run { scratch in
            let user = await scratch.roleName()
            let master = await scratch.roleName("lockstep_m_")
            let password = await scratch.password()
            let masterPassword = await scratch.password()
            try await scratch.createLoginRole(user, password: password, options: "CREATEDB")
            try await scratch.createLoginRole(master, password: masterPassword, options: "CREATEROLE")
            let server = scratch.server
            let request = DatabasePlanRequest(
                current: self.credentials(server, user, password),
                strategy: .alternatingUsers(master: self.credentials(server, master, masterPassword), alternateUser: user + "_clone"),
                generator: Self.generator
            )
            let checks = await PostgresDriver().plan(request, timeouts: DatabaseTimeouts())
            let byName = Dictionary(checks.map { ($0.check, $0) }, uniquingKeysWith: { first, _ in first })
            #expect(byName["master-login"]?.status == .pass)
            #expect(byName["privileges"]?.status == .pass)
            #expect(byName["privileges"]?.reason.contains("CREATEROLE") == true)
            #expect(byName["clone-grants"]?.reason.contains("would be created (LOGIN, CREATEDB) as a member of \(user)") == true)
            #expect(try await scratch.value("SELECT count(*) FROM pg_roles WHERE rolname = $1", on: scratch.admin, [user + "_clone"]) == "0")
            let sent = try await self.statements(scratch, of: [user, master])
            #expect(sent.count >= 6)
            #expect(sent.allSatisfy { $0.hasPrefix("SELECT ") }, "\(sent)")
        }
    }

    @Test func aRefusedLoginIsTheOnlyCheck() async throws {
        try await Scratch.run { scratch in
            let user = await scratch.roleName()
            try await scratch.createLoginRole(user, password: await scratch.password())
            let wrong = await scratch.password()
            let checks = await PostgresDriver().plan(
                DatabasePlanRequest(current: self.credentials(scratch.server, user, wrong), strategy: .singleUser, generator: Self.generator),
                timeouts: DatabaseTimeouts()
            )
            #expect(checks.map(\.check) == ["login"])
            #expect(checks.first?.status == .fail)
            #expect(checks.first?.reason.contains("password authentication failed") == true)
            #expect(checks.first?.reason.contains(wrong.value) == false)
        }
    }
}
