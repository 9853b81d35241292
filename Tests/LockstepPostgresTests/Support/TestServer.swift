import Foundation
import LockstepCore
import Testing

/// The throwaway server of `scripts/testdb.sh start postgres`, from its `LOCKSTEP_TEST_POSTGRES_*` environment.
///
/// Tests that need it carry the ``Testing/Trait/needsPostgres`` trait and call ``require()`` first: without the
/// variables they are skipped, unless `LOCKSTEP_REQUIRE_DATABASES=1`, in which case they run and fail with a message
/// saying what is missing (CI must not pass by skipping).
struct TestServer: Sendable {
    var host: String
    var port: Int
    var user: String
    var password: Sensitive<String>
    /// The server log (log_statement=all): tests check no plaintext password reached it.
    var logPath: String
    /// The throwaway CA that signed the server's certificate (for DNS:localhost only).
    var caPath: String?

    static let current: TestServer? = {
        let environment = ProcessInfo.processInfo.environment
        func value(_ suffix: String) -> String? { environment["LOCKSTEP_TEST_POSTGRES_\(suffix)"].flatMap { $0.isEmpty ? nil : $0 } }
        guard let host = value("HOST"), let port = value("PORT").flatMap({ Int($0) }), let user = value("USER"),
            let password = value("PASSWORD"), let log = value("LOG")
        else { return nil }
        return TestServer(host: host, port: port, user: user, password: Sensitive(password), logPath: log, caPath: value("CA"))
    }()

    static let isRequired = ProcessInfo.processInfo.environment["LOCKSTEP_REQUIRE_DATABASES"] == "1"

    /// The server, or an error that fails the test with instructions.
    static func require() throws -> TestServer {
        guard let current else { throw Missing() }
        return current
    }

    struct Missing: Error, CustomStringConvertible {
        var description: String {
            "LOCKSTEP_REQUIRE_DATABASES=1 but LOCKSTEP_TEST_POSTGRES_HOST/_PORT/_USER/_PASSWORD/_LOG are not all set: "
                + "run `scripts/testdb.sh start postgres` and `eval \"$(scripts/testdb.sh env)\"`"
        }
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test when the PostgreSQL test server is configured, or when databases are required (it then fails).
    static var needsPostgres: Self {
        .enabled(
            if: TestServer.current != nil || TestServer.isRequired,
            "needs the PostgreSQL test server: scripts/testdb.sh start postgres; eval \"$(scripts/testdb.sh env)\""
        )
    }
}
