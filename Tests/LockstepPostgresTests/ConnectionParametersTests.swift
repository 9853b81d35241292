import LockstepCore
import LockstepDatabase
import Testing

@testable import LockstepPostgres

/// What libpq is asked for, without a server.
struct ConnectionParametersTests {
    let credentials = DatabaseCredentials(host: "db.example", port: 6543, username: "app", password: "s3cret pw'\\", tls: .required)

    @Test func credentialsAndTimeoutsMapToKeywords() throws {
        let parameters = try ConnectionParameters(
            self.credentials,
            defaultDatabase: "postgres",
            timeouts: DatabaseTimeouts(connect: .milliseconds(3500), statement: .milliseconds(1500)),
            trust: DatabaseTrust(caFile: "/etc/lockstep/db-ca.pem")
        )
        #expect(parameters.value(of: "host") == "db.example")
        #expect(parameters.value(of: "port") == "6543")
        #expect(parameters.value(of: "user") == "app")
        #expect(parameters.value(of: "dbname") == "postgres")
        #expect(parameters.value(of: "sslmode") == "verify-full")
        #expect(parameters.value(of: "sslrootcert") == "/etc/lockstep/db-ca.pem")
        #expect(parameters.value(of: "connect_timeout") == "4")
        #expect(parameters.value(of: "application_name") == "lockstep")
        #expect(parameters.value(of: "options") == "-c statement_timeout=1500")
    }

    @Test func thePasswordIsKeptApart() throws {
        let parameters = try ConnectionParameters(
            self.credentials,
            defaultDatabase: "postgres",
            timeouts: DatabaseTimeouts(),
            trust: DatabaseTrust(caFile: "/etc/lockstep/db-ca.pem")
        )
        #expect(parameters.value(of: "password") == nil)
        #expect(parameters.pairsWithPassword.last == .init(keyword: "password", value: "s3cret pw'\\"))
        #expect(!String(describing: parameters).contains("s3cret"))
    }

    @Test func tlsModes() {
        #expect(ConnectionParameters.sslMode(.preferred) == "prefer")
        #expect(ConnectionParameters.sslMode(.required) == "verify-full")
        #expect(ConnectionParameters.sslMode(.disabled) == "disable")
    }

    @Test func timeoutsNeverMeanNoLimit() throws {
        var credentials = self.credentials
        credentials.database = "other"
        let parameters = try ConnectionParameters(
            credentials,
            defaultDatabase: "postgres",
            timeouts: DatabaseTimeouts(connect: .zero, statement: .zero),
            trust: DatabaseTrust(caFile: "/etc/lockstep/db-ca.pem")
        )
        #expect(parameters.value(of: "dbname") == "other")
        #expect(parameters.value(of: "connect_timeout") == "2")  // libpq's minimum; 0 would wait forever
        #expect(parameters.value(of: "options") == "-c statement_timeout=1")  // 0 would disable it
    }

    @Test func aNULCharacterIsAValidationError() {
        var credentials = self.credentials
        credentials.password = Sensitive("a\u{0}b")
        credentials.tls = .preferred
        let error = #expect(throws: DatabaseError.self) {
            try ConnectionParameters(credentials, defaultDatabase: "postgres", timeouts: DatabaseTimeouts())
        }
        #expect(error?.kind == .validation)
        #expect(error?.message == "the connection's password contains a NUL character")
    }

    @Test func sslTrueWithNothingToVerifyTheServerWithIsRefused() {
        let error = #expect(throws: DatabaseError.self) {
            try ConnectionParameters(self.credentials, defaultDatabase: "postgres", timeouts: DatabaseTimeouts(), trust: nil)
        }
        #expect(error == DatabaseTrust.missing)
    }
}
