import LockstepDatabase
import Testing

@testable import LockstepPostgres

/// The scrubber and the error classification, without a server.
struct ErrorTextTests {
    @Test func verifiersAreRedacted() {
        let scram = "SCRAM-SHA-256$4096:c2FsdHNhbHQ=$c3RvcmVka2V5:c2VydmVya2V5"
        #expect(PostgresErrorText.scrub("syntax error at or near \(scram) here") == "syntax error at or near <redacted> here")
        #expect(PostgresErrorText.scrub("near \"\(scram)\"") == "near \"<redacted>\"")
        #expect(PostgresErrorText.scrub("hash md5\(String(repeating: "a1", count: 16)).") == "hash <redacted>.")
    }

    @Test func quotedLiteralsAreRedactedWhole() {
        #expect(PostgresErrorText.scrub("near 'it''s secret' x") == "near <redacted> x")
        #expect(PostgresErrorText.scrub(#"near E'a\'b' x"#) == "near <redacted> x")
        #expect(PostgresErrorText.scrub("unterminated 'secret and more") == "unterminated <redacted>")
    }

    @Test func identifiersStayAndLinesJoin() {
        #expect(PostgresErrorText.scrub("role \"App User\" does not exist\n\tHINT:  x") == "role \"App User\" does not exist HINT: x")
    }

    @Test func theCallsSecretsAreRedactedWherever() {
        #expect(PostgresErrorText.scrub("odd echo of hunter2x in text", removing: ["hunter2x", ""]) == "odd echo of <redacted> in text")
    }

    @Test func connectionFailuresAreClassifiedByText() {
        let refused = PostgresErrorText.connectionFailure(
            "connection to server at \"127.0.0.1\", port 55432 failed: FATAL:  password authentication failed for user \"app\"\n",
            removing: ["pw"]
        )
        #expect(
            refused
                == DatabaseError(
                    .authentication,
                    "connection to server at \"127.0.0.1\", port 55432 failed: FATAL: password authentication failed for user \"app\""
                )
        )
        let hba = PostgresErrorText.connectionFailure("FATAL:  no pg_hba.conf entry for host \"10.0.0.1\"", removing: [])
        #expect(hba.kind == .authentication)
        let down = PostgresErrorText.connectionFailure(
            "connection to server at \"127.0.0.1\", port 1 failed: Connection refused\n\tIs the server running on that host?",
            removing: []
        )
        #expect(down.kind == .network)
        #expect(PostgresErrorText.connectionFailure("timeout expired", removing: []).kind == .network)
        let noDatabase = PostgresErrorText.connectionFailure("FATAL:  database \"nope\" does not exist", removing: [])
        #expect(noDatabase.kind == .validation)
    }

    @Test func statementFailuresAreClassifiedBySQLState() {
        func kind(_ state: String?) -> DatabaseError.Kind {
            PostgresErrorText.statementFailure(sqlState: state, primary: "m", fallback: "f", removing: []).kind
        }
        #expect(kind("42601") == .sql)
        #expect(kind("42501") == .sql)
        #expect(kind("57014") == .network)
        #expect(kind("08006") == .network)
        #expect(kind("57P01") == .network)
        #expect(kind("28P01") == .authentication)
        #expect(kind(nil) == .network)
        let error = PostgresErrorText.statementFailure(
            sqlState: "42601",
            primary: "syntax error at or near \"'SCRAM-SHA-256$4096:abc'\"",
            fallback: "",
            removing: []
        )
        #expect(error.message == "SQLSTATE 42601: syntax error at or near \"<redacted>\"")
    }
}
