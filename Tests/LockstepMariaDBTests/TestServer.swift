import Foundation
import LockstepCore
import LockstepDatabase
import Testing

@testable import LockstepMariaDB

/// The MariaDB server of `scripts/testdb.sh`, from the LOCKSTEP_TEST_MARIADB_* environment.
///
/// Without those variables the database tests are skipped, unless LOCKSTEP_REQUIRE_DATABASES=1: then they run and
/// fail in ``require()`` with the reason.
struct TestServer: Sendable {
    var host: String
    var port: Int
    var user: String
    var password: String
    /// The general query log (every statement the server received).
    var log: String?
    /// The throwaway CA that signed the server's certificate (for DNS:localhost only).
    var ca: String?
    /// The general log's size when ``require()`` was called: what a test scans starts there (a long-lived test
    /// server's log grows large).
    var logStart: UInt64 = 0

    static let configured: TestServer? = {
        let environment = ProcessInfo.processInfo.environment
        guard let host = environment["LOCKSTEP_TEST_MARIADB_HOST"], let port = environment["LOCKSTEP_TEST_MARIADB_PORT"].flatMap(Int.init),
            let user = environment["LOCKSTEP_TEST_MARIADB_USER"], let password = environment["LOCKSTEP_TEST_MARIADB_PASSWORD"]
        else { return nil }
        return TestServer(
            host: host,
            port: port,
            user: user,
            password: password,
            log: environment["LOCKSTEP_TEST_MARIADB_LOG"],
            ca: environment["LOCKSTEP_TEST_MARIADB_CA"]
        )
    }()

    static var shouldRun: Bool {
        Self.configured != nil || ProcessInfo.processInfo.environment["LOCKSTEP_REQUIRE_DATABASES"] == "1"
    }

    static func require() throws -> TestServer {
        guard let configured = Self.configured else {
            throw MissingDatabase(
                "LOCKSTEP_REQUIRE_DATABASES=1 but LOCKSTEP_TEST_MARIADB_HOST/_PORT/_USER/_PASSWORD are not set: "
                    + "run `eval \"$(scripts/testdb.sh start mariadb)\"` first"
            )
        }
        var server = configured
        if let log = configured.log {
            server.logStart = (try? FileManager.default.attributesOfItem(atPath: log)[.size] as? NSNumber)?.uint64Value ?? 0
        }
        return server
    }

    func credentials(
        user: String? = nil,
        password: String? = nil,
        host: String? = nil,
        tls: DatabaseTLS = .preferred
    )
        -> DatabaseCredentials
    {
        DatabaseCredentials(
            host: host ?? self.host,
            port: self.port,
            username: user ?? self.user,
            password: Sensitive(password ?? self.password),
            tls: tls
        )
    }

    /// A privileged connection for setting up and inspecting accounts.
    func admin() async throws -> MariaDBConnection {
        try await MariaDBDriver().openConnection(self.credentials(), timeouts: DatabaseTimeouts())
    }

    /// Logs in as `user` (a plain TCP login from 127.0.0.1).
    func login(_ user: String, _ password: String) async throws(DatabaseError) -> any DatabaseSession {
        try await MariaDBDriver().connect(self.credentials(user: user, password: password), timeouts: DatabaseTimeouts())
    }

    /// The general log's text since ``require()``; the log tests need it.
    func logText() throws -> String {
        let path = try #require(self.log, "LOCKSTEP_TEST_MARIADB_LOG is not set")
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: self.logStart)
        return String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
    }
}

struct MissingDatabase: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension Trait where Self == ConditionTrait {
    /// Runs a test only when a MariaDB test server is configured (or required).
    static var mariaDB: Self {
        .enabled(if: TestServer.shouldRun, "needs LOCKSTEP_TEST_MARIADB_* (scripts/testdb.sh start mariadb)")
    }
}

/// Random names and passwords, so tests never collide and a password found in a log can only come from its test.
enum Random {
    static func name(_ prefix: String = "ls") -> String {
        prefix + "_" + String(UInt32.random(in: .min ... .max), radix: 16)
    }

    /// A password from AWS's MariaDB alphabet (no `/@"'\`), from the system CSPRNG.
    static func password(length: Int = 24) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&()*+,-.:;<=>?[]^_{|}~")
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
    }
}

/// SQL for test set-up (the test server runs without NO_BACKSLASH_ESCAPES).
var sql: SQLQuoting { .standalone }

extension MariaDBConnection {
    /// Runs each statement in order.
    func run(_ statements: String...) throws(DatabaseError) {
        for statement in statements {
            _ = try self.query(statement)
        }
    }

    /// SHOW GRANTS for `user`@`host` with the account name replaced by `<grantee>` and the password clause removed,
    /// sorted: equal for two accounts exactly when their grants are.
    func normalizedGrants(_ user: String, _ host: String) throws(DatabaseError) -> [String] {
        let grantee = sql.identifier(user) + "@" + sql.identifier(host)
        return try self.query("SHOW GRANTS FOR \(sql.account(user, host))")
            .compactMap { $0.first ?? nil }
            .map { line in
                line.replacing(grantee, with: "<grantee>")
                    .replacing(#/ IDENTIFIED (?:BY PASSWORD|VIA \S+ USING) '[^']*'/#, with: "")
            }
            .sorted()
    }

    /// The TLS requirement, limits and plugin of an account as stored in mysql.global_priv (an absent attribute read
    /// as its default, as the server does).
    func accountOptions(_ user: String, _ host: String) throws(DatabaseError) -> [String?] {
        let fields = [
            ("ssl_type", "0"), ("ssl_cipher", ""), ("x509_issuer", ""), ("x509_subject", ""), ("max_questions", "0"),
            ("max_updates", "0"), ("max_connections", "0"), ("max_user_connections", "0"), ("max_statement_time", "0.000000"),
            ("plugin", ""),
        ]
        let columns = fields.map { "COALESCE(JSON_VALUE(Priv, '$.\($0.0)'), '\($0.1)')" }.joined(separator: ", ")
        return try self.query(
            "SELECT \(columns) FROM mysql.global_priv WHERE User = \(sql.literal(user)) AND Host = \(sql.literal(host))"
        ).first ?? []
    }

    func hosts(of user: String) throws(DatabaseError) -> [String] {
        try self.query("SELECT Host FROM mysql.user WHERE User = \(sql.literal(user)) ORDER BY Host").compactMap { $0.first ?? nil }
    }

    /// Drops the users (on every host), roles and databases a test made, whatever state it left them in.
    func cleanUp(users: [String], roles: [String] = [], databases: [String] = []) async {
        for user in users {
            for host in (try? self.hosts(of: user)) ?? [] {
                _ = try? self.query("DROP USER \(sql.account(user, host))")
            }
        }
        for role in roles { _ = try? self.query("DROP ROLE IF EXISTS \(sql.identifier(role))") }
        for database in databases { _ = try? self.query("DROP DATABASE IF EXISTS \(sql.identifier(database))") }
    }
}

/// Runs `body` with an admin connection, then removes what the test created, also when `body` throws.
func withAdmin(
    users: [String],
    roles: [String] = [],
    databases: [String] = [],
    _ body: (TestServer, MariaDBConnection) async throws -> Void
) async throws {
    let server = try TestServer.require()
    let admin = try await server.admin()
    do {
        try await body(server, admin)
    } catch {
        await admin.cleanUp(users: users, roles: roles, databases: databases)
        await admin.close()
        throw error
    }
    await admin.cleanUp(users: users, roles: roles, databases: databases)
    await admin.close()
}

/// Expects `body` to throw a ``DatabaseError`` of `kind`, and returns it.
@discardableResult
func expectDatabaseError(
    _ kind: DatabaseError.Kind,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> Void
) async -> DatabaseError? {
    do {
        try await body()
        Issue.record("expected a \(kind) error, got success", sourceLocation: sourceLocation)
        return nil
    } catch let error as DatabaseError {
        #expect(error.kind == kind, "expected \(kind), got \(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected a DatabaseError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
