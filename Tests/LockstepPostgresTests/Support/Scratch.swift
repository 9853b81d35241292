import Foundation
import LockstepCore
import LockstepDatabase
import Testing

@testable import LockstepPostgres

/// What one live test creates on the server: uniquely named roles and schemas, random passwords, open sessions. All
/// of it is dropped or closed at the end, and the server log is checked for every password handed out.
actor Scratch {
    let server: TestServer
    /// A superuser session (the test server's user).
    let admin: PostgresSession
    private var roles: [String] = []
    private var schemas: [String] = []
    private var passwords: [String] = []
    private var sessions: [any DatabaseSession] = []

    /// Runs `body` against the test server, then cleans up and scans the log.
    static func run(_ body: (Scratch) async throws -> Void) async throws {
        let server = try TestServer.require()
        // Only what is logged from now on is this test's to scan (the log of a long-lived test server grows large).
        let logStart = (try? FileManager.default.attributesOfItem(atPath: server.logPath)[.size] as? NSNumber)?.uint64Value ?? 0
        let admin = try await Self.open(server.host, server.port, server.user, server.password)
        let scratch = Scratch(server: server, admin: admin, logStart: logStart)
        do {
            try await body(scratch)
        } catch {
            await scratch.cleanUp()
            throw error
        }
        await scratch.cleanUp()
        try await scratch.expectLogFreeOfPasswords()
    }

    private let logStart: UInt64

    private init(server: TestServer, admin: PostgresSession, logStart: UInt64) {
        self.server = server
        self.admin = admin
        self.logStart = logStart
    }

    // MARK: - Names and passwords

    /// A fresh role name (dropped at the end), `prefix` followed by random letters.
    func roleName(_ prefix: String = "lockstep_t_") -> String {
        let name = prefix + Self.random(from: "abcdefghijklmnopqrstuvwxyz0123456789", count: 10)
        self.roles.append(name)
        return name
    }

    /// Registers a role name made by the test (e.g. a clone name) for the clean-up.
    func adopt(role name: String) {
        self.roles.append(name)
    }

    /// A fresh schema owned by `owner` (dropped at the end); returns its quoted name.
    func schema(ownedBy owner: String) async throws -> String {
        let name = "lockstep_s_" + Self.random(from: "abcdefghijklmnopqrstuvwxyz0123456789", count: 10)
        self.schemas.append(name)
        try await self.admin.execute("CREATE SCHEMA \(name) AUTHORIZATION \(try await self.admin.escapeIdentifier(owner))")
        return name
    }

    /// A fresh random password (letters, digits and the punctuation AWS's PostgreSQL template allows), remembered
    /// for the log scan.
    func password() -> Sensitive<String> {
        let password = Self.random(from: "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789!#$%&()*+,-.;<=>?[]^_`{|}~", count: 28)
        self.passwords.append(password)
        return Sensitive(password)
    }

    // MARK: - Roles and sessions

    /// Creates a login role with `password` (as a verifier) and extra `CREATE ROLE` options.
    func createLoginRole(_ name: String, password: Sensitive<String>, options: String = "") async throws {
        let verifier = try await self.admin.passwordVerifier(user: name, password: password.value)
        let sql =
            "CREATE ROLE \(try await self.admin.escapeIdentifier(name)) LOGIN PASSWORD \(try await self.admin.escapeLiteral(verifier)) \(options)"
        try await self.admin.execute(sql)
    }

    /// A session as `user` (closed at the end).
    func connect(
        _ user: String,
        _ password: Sensitive<String>,
        timeouts: DatabaseTimeouts = DatabaseTimeouts()
    ) async throws(DatabaseError)
        -> PostgresSession
    {
        let session = try await Self.open(self.server.host, self.server.port, user, password, timeouts: timeouts)
        self.sessions.append(session)
        return session
    }

    /// The error of logging in as `user` with `password`, nil if the login worked.
    func loginError(_ user: String, _ password: Sensitive<String>) async -> DatabaseError? {
        do {
            let session = try await self.connect(user, password)
            await session.close()
            return nil
        } catch {
            return error
        }
    }

    /// The first column of the first row of `sql` on `session`.
    func value(_ sql: String, on session: PostgresSession, _ parameters: [String] = []) async throws -> String? {
        try await session.query(sql, parameters).first?.first ?? nil
    }

    // MARK: - End

    private func cleanUp() async {
        for session in self.sessions {
            await session.close()
        }
        for schema in self.schemas {
            try? await self.admin.execute("DROP SCHEMA IF EXISTS \(schema) CASCADE")
        }
        for role in self.roles.reversed() {
            guard let quoted = try? await self.admin.escapeIdentifier(role) else { continue }
            if (try? await self.admin.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role]).isEmpty) == false {
                try? await self.admin.execute("DROP OWNED BY \(quoted) CASCADE")
                try? await self.admin.execute("DROP ROLE \(quoted)")
            }
        }
        await self.admin.close()
    }

    /// Fails the test if any password this test used appears in the server log (never printing the password).
    /// What the server logged since this test began.
    func logSinceStart() throws -> String {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: self.server.logPath))
        defer { try? handle.close() }
        try handle.seek(toOffset: self.logStart)
        return String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
    }

    private func expectLogFreeOfPasswords() throws {
        let log = try self.logSinceStart()
        let passwords = self.passwords + [self.server.password.value]
        let leaked = passwords.filter { log.contains($0) }.count
        #expect(leaked == 0, "\(leaked) of \(passwords.count) passwords appear in the server log")
    }

    private static func open(
        _ host: String,
        _ port: Int,
        _ user: String,
        _ password: Sensitive<String>,
        timeouts: DatabaseTimeouts = DatabaseTimeouts()
    ) async throws(DatabaseError) -> PostgresSession {
        let credentials = DatabaseCredentials(host: host, port: port, username: user, password: password, tls: .disabled)
        let session = try await PostgresDriver().connect(credentials, timeouts: timeouts)
        return session as! PostgresSession
    }

    private static func random(from alphabet: String, count: Int) -> String {
        let characters = Array(alphabet)
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in characters.randomElement(using: &generator)! })
    }
}
