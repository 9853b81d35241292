import Foundation
import LockstepCore
import LockstepDatabase
import Testing

@testable import LockstepMariaDB

#if canImport(Glibc)
import Glibc
#endif

@Suite(.mariaDB)
struct ConnectionTests {
    @Test func connectsWithTheRightPasswordAndPings() async throws {
        let server = try TestServer.require()
        let session = try await MariaDBDriver().connect(server.credentials(), timeouts: DatabaseTimeouts())
        try await session.ping()
        await session.close()
        await session.close()  // twice is fine
        await expectDatabaseError(.network) { try await session.ping() }
    }

    @Test func sessionsOfUsersAreCountedWithoutTheAskingOne() async throws {
        let server = try TestServer.require()
        let user = "sess_\(UInt32.random(in: 0...UInt32.max))"
        let admin = try await server.admin()
        _ = try await admin.query("CREATE USER '\(user)'@'%' IDENTIFIED BY 'Sessions-Pw-1'")
        let asking = try await server.login(user, "Sessions-Pw-1")
        #expect(try await asking.sessions(of: [user]).users[user]?.count == 0)  // itself left out
        let other = try await server.login(user, "Sessions-Pw-1")
        let seen = try await admin.sessions(of: [user, "nobody_here"])
        #expect(seen.users[user]?.count == 2 && seen.users[user]?.clients == ["127.0.0.1"])
        #expect(seen.users["nobody_here"] == SessionSnapshot.Sessions())
        await other.close()
        await asking.close()
        _ = try await admin.query("DROP USER '\(user)'@'%'")
        await admin.close()
    }

    @Test func localhostStillUsesTCP() async throws {
        let server = try TestServer.require()
        guard server.host == "127.0.0.1" else { return }
        // No server socket exists at libmariadb's default path: only TCP can succeed.
        let session = try await MariaDBDriver().connect(server.credentials(host: "localhost"), timeouts: DatabaseTimeouts())
        try await session.ping()
        await session.close()
    }

    @Test func wrongPasswordIsAuthentication() async throws {
        let server = try TestServer.require()
        let wrong = Random.password()
        let error = await expectDatabaseError(.authentication) {
            _ = try await MariaDBDriver().connect(server.credentials(password: wrong), timeouts: DatabaseTimeouts())
        }
        #expect(error?.message.contains("1045") == true)
        #expect(error?.message.contains(wrong) == false)
    }

    @Test func closedPortIsNetworkQuickly() async throws {
        let server = try TestServer.require()
        var credentials = server.credentials()
        credentials.port = 1
        let start = ContinuousClock.now
        await expectDatabaseError(.network) {
            _ = try await MariaDBDriver().connect(credentials, timeouts: DatabaseTimeouts(connect: .seconds(30)))
        }
        // A refusal ends the attempt without waiting out the connect timeout (a wide bound, not a speed test).
        #expect(ContinuousClock.now - start < .seconds(15))
    }

    @Test func silentServerIsNetworkWithinTheTimeout() async throws {
        let server = try TestServer.require()
        let listener = try SilentListener()
        defer { listener.close() }
        var credentials = server.credentials()
        credentials.port = listener.port
        let start = ContinuousClock.now
        await expectDatabaseError(.network) {
            _ = try await MariaDBDriver().connect(credentials, timeouts: DatabaseTimeouts(connect: .seconds(1), statement: .seconds(1)))
        }
        #expect(ContinuousClock.now - start < .seconds(10))
    }

    @Test func tlsFollowsTheSecretAndSSLTrueVerifiesTheServer() async throws {
        let server = try TestServer.require()
        let ca = try #require(server.ca, "LOCKSTEP_TEST_MARIADB_CA: scripts/testdb.sh gives the server a certificate")
        /// Connects and answers whether the session is encrypted.
        func encrypted(_ tls: DatabaseTLS, host: String? = nil, trust: DatabaseTrust? = nil) async throws(DatabaseError) -> Bool {
            let connection = try await MariaDBDriver(trust: trust).openConnection(server.credentials(host: host, tls: tls), timeouts: DatabaseTimeouts())
            defer { Task { await connection.close() } }
            let cipher = try await connection.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'").first?[1]
            return cipher?.isEmpty == false
        }
        // ssl absent: TLS when offered, the certificate unchecked (AWS's "try TLS, fall back").
        #expect(try await encrypted(.preferred))
        #expect(try await !encrypted(.disabled))
        // ssl: true: the certificate must chain to the trusted CA and name the host connected to.
        #expect(try await encrypted(.required, host: "localhost", trust: DatabaseTrust(caFile: ca)))
        let wrongHost = await expectDatabaseError(.network) {
            _ = try await encrypted(.required, host: "127.0.0.1", trust: DatabaseTrust(caFile: ca))
        }
        #expect(wrongHost?.message.contains("2026") == true)
        let untrusted = await expectDatabaseError(.network) {
            _ = try await encrypted(.required, host: "localhost", trust: .system)
        }
        #expect(untrusted?.message.contains("2026") == true)
        let nothingToVerifyWith = await expectDatabaseError(.validation) { _ = try await encrypted(.required, trust: nil) }
        #expect(nothingToVerifyWith == DatabaseTrust.missing)
    }
}

/// A TCP port that accepts connections (the kernel completes the handshake) but never says anything: a hung server.
private struct SilentListener {
    let descriptor: Int32
    let port: Int

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw MissingDatabase("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(descriptor, address, length) == 0 && listen(descriptor, 4) == 0
                    && getsockname(descriptor, address, &length) == 0
            }
        }
        guard bound else {
            Glibc.close(descriptor)
            throw MissingDatabase("could not listen on 127.0.0.1")
        }
        self.descriptor = descriptor
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { Glibc.close(self.descriptor) }
}
