import Foundation
import LockstepCore
import LockstepDatabase
import Testing

@testable import LockstepMariaDB

/// The rotation plan's probe against the real server: its verdicts, and that the statements it sent (as the general
/// log recorded them for its logins) are all SELECT or SHOW.
@Suite(.mariaDB) struct MariaDBPlanProbeTests {
    static let generator = try! PasswordGenerator(length: 32, excludeCharacters: MariaDBDriver().excludedPasswordCharacters)

    /// Statements of the connections of `users` in the general log since `server` was required.
    static func statements(_ server: TestServer, of users: Set<String>) throws -> [String] {
        var threads: Set<Substring> = []
        var statements: [(Substring, String)] = []
        for line in try server.logText().split(separator: "\n") {
            guard let match = line.firstMatch(of: #/^(?:\d{6}\s+\d{1,2}:\d\d:\d\d)?\s+(\d+) (Connect|Query)\t(.*)$/#) else { continue }
            if match.output.2 == "Connect", let user = match.output.3.split(separator: "@").first, users.contains(String(user)) {
                threads.insert(match.output.1)
            } else if match.output.2 == "Query" {
                statements.append((match.output.1, String(match.output.3)))
            }
        }
        return statements.filter { threads.contains($0.0) }.map(\.1)
    }

    @Test func alternatingUsersPlanReadsTheGrantsAndChangesNothing() async throws {
        let server = try TestServer.require()
        let admin = try await server.admin()
        let user = Random.name("plan")
        let password = Random.password()
        let database = Random.name("plandb")
        let master = Random.name("planm")
        let masterPassword = Random.password()
        try await admin.run(
            "CREATE DATABASE \(sql.identifier(database))",
            "CREATE USER \(sql.account(master, "%")) IDENTIFIED BY \(sql.literal(masterPassword))",
            "GRANT ALL PRIVILEGES ON *.* TO \(sql.account(master, "%")) WITH GRANT OPTION",
            "CREATE USER \(sql.account(user, "%")) IDENTIFIED BY \(sql.literal(password))",
            "GRANT SELECT, INSERT ON \(sql.identifier(database)).* TO \(sql.account(user, "%"))"
        )
        let request = DatabasePlanRequest(
            current: server.credentials(user: user, password: password),
            strategy: .alternatingUsers(master: server.credentials(user: master, password: masterPassword), alternateUser: user + "_clone"),
            generator: Self.generator
        )
        let checks = await MariaDBDriver().plan(request, timeouts: DatabaseTimeouts())
        let cloneHosts = try await admin.query("SELECT Host FROM mysql.user WHERE User = \(sql.literal(user + "_clone"))")
        try await admin.run("DROP USER \(sql.account(user, "%")), \(sql.account(master, "%"))", "DROP DATABASE \(sql.identifier(database))")
        await admin.close()

        let byName = Dictionary(checks.map { ($0.check, $0) }, uniquingKeysWith: { first, _ in first })
        #expect(byName["login"]?.status == .pass)
        #expect(byName["master-login"]?.status == .pass)
        #expect(byName["authentication"]?.reason.contains("mysql_native_password") == true)
        #expect(byName["privileges"]?.status == .pass)
        #expect(byName["clone-grants"]?.status == .pass)
        #expect(byName["clone-grants"]?.reason.contains("would be created with \(user)'s 2 privilege(s)") == true)
        #expect(byName["password-policy"]?.status == .pass)
        #expect(cloneHosts.isEmpty)
        let sent = try Self.statements(server, of: [user, master])
        #expect(sent.count >= 10)
        #expect(!sent.isEmpty)
        #expect(sent.allSatisfy { $0.hasPrefix("SELECT ") || $0.hasPrefix("SHOW ") }, "\(sent)")
    }

    @Test func singleUserPlanSendsOnlyReads() async throws {
        let server = try TestServer.require()
        let admin = try await server.admin()
        let user = Random.name("plan")
        let password = Random.password()
        try await admin.run("CREATE USER \(sql.account(user, "%")) IDENTIFIED BY \(sql.literal(password))")
        let checks = await MariaDBDriver().plan(
            DatabasePlanRequest(current: server.credentials(user: user, password: password), strategy: .singleUser, generator: Self.generator),
            timeouts: DatabaseTimeouts()
        )
        try await admin.run("DROP USER \(sql.account(user, "%"))")
        await admin.close()
        #expect(checks.map(\.check) == ["login", "tls", "authentication", "privileges", "password-policy"])
        #expect(checks.allSatisfy { $0.status != .fail }, "\(checks)")
        let sent = try Self.statements(server, of: [user])
        #expect(sent.count >= 4)
        #expect(sent.allSatisfy { $0.hasPrefix("SELECT ") || $0.hasPrefix("SHOW ") }, "\(sent)")
    }
}
