import Foundation
import LockstepCore
import LockstepDatabase
import Testing

@testable import LockstepPostgres

/// Connecting, error kinds and timeouts against the real server.
@Suite(.needsPostgres)
struct ConnectionTests {
    @Test func theRightPasswordLogsInWithTheSessionSettings() async throws {
        try await Scratch.run { scratch in
            let session = scratch.admin
            try await session.ping()
            #expect(try await scratch.value("SHOW application_name", on: session) == "lockstep")
            #expect(try await scratch.value("SHOW statement_timeout", on: session) == "10s")
            #expect(try await scratch.value("SELECT current_user", on: session) == scratch.server.user)
        }
    }

    @Test func aWrongPasswordIsAnAuthenticationError() async throws {
        try await Scratch.run { scratch in
            let wrong = await scratch.password()
            let error = try #require(await scratch.loginError(scratch.server.user, wrong))
            #expect(error.kind == .authentication)
            #expect(error.message.contains("password authentication failed"))
            #expect(!error.message.contains(wrong.value))
        }
    }

    @Test func anUnknownUserIsAnAuthenticationError() async throws {
        try await Scratch.run { scratch in
            let error = try #require(await scratch.loginError(await scratch.roleName(), await scratch.password()))
            #expect(error.kind == .authentication)
        }
    }

    @Test func aMissingDatabaseIsAValidationError() async throws {
        let server = try TestServer.require()
        let credentials = DatabaseCredentials(
            host: server.host,
            port: server.port,
            username: server.user,
            password: server.password,
            database: "lockstep_no_such_database",
            tls: .disabled
        )
        let error = await #expect(throws: DatabaseError.self) {
            _ = try await PostgresDriver().connect(credentials, timeouts: DatabaseTimeouts())
        }
        #expect(error?.kind == .validation)
    }

    @Test func aClosedPortIsANetworkErrorAtOnce() async throws {
        let credentials = DatabaseCredentials(host: "127.0.0.1", port: 1, username: "nobody", password: "irrelevant", tls: .disabled)
        let start = ContinuousClock.now
        let error = await #expect(throws: DatabaseError.self) {
            _ = try await PostgresDriver().connect(credentials, timeouts: DatabaseTimeouts(connect: .seconds(30)))
        }
        #expect(error?.kind == .network)
        #expect(error?.message.contains("refused") == true)
        // A refusal ends the attempt: it does not wait out the connect timeout (a wide bound, not a speed test).
        #expect(ContinuousClock.now - start < .seconds(15))
    }

    @Test func tlsFollowsTheSecretAndSSLTrueVerifiesTheServer() async throws {
        let server = try TestServer.require()
        let ca = try #require(server.caPath, "LOCKSTEP_TEST_POSTGRES_CA: scripts/testdb.sh gives the server a certificate")
        /// Connects and answers whether the session is encrypted.
        func encrypted(_ tls: DatabaseTLS, host: String = server.host, trust: DatabaseTrust? = nil) async throws(DatabaseError) -> Bool {
            let credentials = DatabaseCredentials(host: host, port: server.port, username: server.user, password: server.password, tls: tls)
            let session = try await PostgresDriver(trust: trust).connect(credentials, timeouts: DatabaseTimeouts())
            defer { Task { await session.close() } }
            let rows = try await (session as! PostgresSession).query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            return rows.first?.first == "t"
        }
        // ssl absent: TLS when offered, the certificate unchecked (AWS's "try TLS, fall back").
        #expect(try await encrypted(.preferred))
        #expect(try await !encrypted(.disabled))
        // ssl: true: the certificate must chain to the trusted CA and name the host connected to.
        #expect(try await encrypted(.required, host: "localhost", trust: DatabaseTrust(caFile: ca)))
        let wrongHost = await #expect(throws: DatabaseError.self) {
            _ = try await encrypted(.required, host: "127.0.0.1", trust: DatabaseTrust(caFile: ca))
        }
        #expect(wrongHost?.message.contains("does not match host name") == true)
        let untrusted = await #expect(throws: DatabaseError.self) {
            _ = try await encrypted(.required, host: "localhost", trust: .system)
        }
        #expect(untrusted?.message.contains("certificate verify failed") == true)
        let nothingToVerifyWith = await #expect(throws: DatabaseError.self) { _ = try await encrypted(.required, trust: nil) }
        #expect(nothingToVerifyWith == DatabaseTrust.missing)
    }

    @Test func theStatementTimeoutFires() async throws {
        try await Scratch.run { scratch in
            let session = try await scratch.connect(
                scratch.server.user,
                scratch.server.password,
                timeouts: DatabaseTimeouts(statement: .milliseconds(200))
            )
            let start = ContinuousClock.now
            let error = await #expect(throws: DatabaseError.self) { _ = try await session.query("SELECT pg_sleep(30)") }
            #expect(error?.kind == .network)
            #expect(error?.message.hasPrefix("SQLSTATE 57014") == true)
            #expect(ContinuousClock.now - start < .seconds(15))
            try await session.ping()  // the session survives a cancelled statement
        }
    }

    @Test func blockingCallsStayOffTheConcurrencyPool() async throws {
        // Eight sessions each wait 2 s in libpq at once. On their own queues that takes about 2 s; on the cooperative
        // pool (one thread per core, 2 here) it would take at least 8 s. The bound leaves room for a loaded machine.
        try await Scratch.run { scratch in
            var sessions: [PostgresSession] = []
            for _ in 0..<8 {
                sessions.append(try await scratch.connect(scratch.server.user, scratch.server.password))
            }
            let start = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for session in sessions {
                    group.addTask { _ = try await session.query("SELECT pg_sleep(2)") }
                }
                try await group.waitForAll()
            }
            #expect(ContinuousClock.now - start < .seconds(6))
        }
    }

    @Test func aFailedStatementIsAnSQLErrorWithItsState() async throws {
        try await Scratch.run { scratch in
            let error = await #expect(throws: DatabaseError.self) { try await scratch.admin.execute("SELECT * FROM lockstep_no_such_table") }
            #expect(error?.kind == .sql)
            #expect(error?.message == "SQLSTATE 42P01: relation \"lockstep_no_such_table\" does not exist")
        }
    }

    @Test func aClosedSessionRefusesCallsAndClosesTwice() async throws {
        try await Scratch.run { scratch in
            let session = try await scratch.connect(scratch.server.user, scratch.server.password)
            await session.close()
            await session.close()
            let error = await #expect(throws: DatabaseError.self) { try await session.ping() }
            #expect(error?.kind == .validation)
        }
    }

    @Test func theLogScanSeesWhatTheServerReceives() async throws {
        // Guards the password scans of the other tests: they prove nothing if statements never reach the log.
        try await Scratch.run { scratch in
            let marker = "lockstep_marker_" + (await scratch.roleName())
            _ = try await scratch.admin.query("SELECT '\(marker)'")
            #expect(try await scratch.logSinceStart().contains(marker))
        }
    }
}
