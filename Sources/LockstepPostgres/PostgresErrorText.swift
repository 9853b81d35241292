import LockstepDatabase

/// Turns libpq's and the server's failure text into a ``DatabaseError`` that is safe to record.
///
/// Nothing here ever sees a plaintext password in SQL (the driver sends only verifiers), but a server message can
/// quote the statement it choked on, and a password verifier is as good as a password to an offline attacker. So
/// every message is scrubbed before it leaves the driver: the secrets of the call, anything single-quoted, anything
/// shaped like a SCRAM or MD5 verifier.
enum PostgresErrorText {
    static let redacted = "<redacted>"

    /// `message` with the given secrets, quoted literals and password verifiers replaced by `<redacted>`, on one line.
    ///
    /// Single-quoted literals go whole (doubled quotes and backslash escapes included; an unterminated one runs to the
    /// end), because the only literals the driver sends are verifiers and timestamps. Double-quoted identifiers stay:
    /// a role name is what makes the message useful.
    static func scrub(_ message: String, removing secrets: [String] = []) -> String {
        var text = message
        for secret in secrets where !secret.isEmpty {
            text = text.replacing(secret, with: Self.redacted)
        }
        text = text.replacing(/(?i)SCRAM-SHA-256\$[^\s'",]*/, with: Self.redacted)
        text = text.replacing(/(?i)md5[0-9a-f]{32}/, with: Self.redacted)
        text = text.replacing(/[Ee]?'(?:[^'\\]|''|\\.)*(?:'|$)/, with: Self.redacted)
        return text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// The error for a connection attempt libpq gave up on (`PQerrorMessage` after `PQconnectdbParams`).
    ///
    /// libpq reports a refused login without an SQLSTATE, so the text decides; it is English because a Swift process
    /// never calls `setlocale`, which leaves libpq's translations off. A server that refuses the user or its password
    /// is ``DatabaseError/Kind/authentication`` (not worth retrying), a missing database is
    /// ``DatabaseError/Kind/validation``; everything else (refused, unreachable, timed out, TLS impossible) is
    /// ``DatabaseError/Kind/network``.
    static func connectionFailure(_ message: String, removing secrets: [String]) -> DatabaseError {
        let text = Self.scrub(message, removing: secrets)
        let lowered = text.lowercased()
        let refusedLogin = [
            "password authentication failed", "authentication failed for user", "no pg_hba.conf entry",
            "pg_hba.conf rejects connection", "no password supplied", "password is required",
            "is not permitted to log in", "role \"",
        ]
        if refusedLogin.contains(where: lowered.contains) {
            return DatabaseError(.authentication, text)
        }
        if lowered.contains("database \""), lowered.contains("does not exist") {
            return DatabaseError(.validation, text)  // the secret's dbname is wrong: retrying won't help
        }
        return DatabaseError(.network, text.isEmpty ? "could not connect to the server" : text)
    }

    /// The error for a statement the server (or the connection) failed.
    /// - Parameters:
    ///   - sqlState: the SQLSTATE of the result, nil when libpq produced the error itself (the connection broke).
    ///   - primary: the server's primary message (`PG_DIAG_MESSAGE_PRIMARY`), never the statement text or its detail.
    ///   - fallback: libpq's own message, used when there is no primary message.
    ///   - secrets: values of this call to scrub.
    static func statementFailure(
        sqlState: String?,
        primary: String?,
        fallback: String,
        removing secrets: [String]
    )
        -> DatabaseError
    {
        let message = Self.scrub(primary ?? fallback, removing: secrets)
        guard let sqlState else {
            return DatabaseError(.network, message.isEmpty ? "the connection to the server was lost" : message)
        }
        let described = "SQLSTATE \(sqlState): \(message)"
        switch sqlState {
        case "57014":  // query_canceled: the statement_timeout fired.
            return DatabaseError(.network, described)
        case _ where sqlState.hasPrefix("08") || sqlState.hasPrefix("57P") || sqlState.hasPrefix("53"):
            // Connection exception, operator intervention (shutdown), insufficient resources: worth a retry.
            return DatabaseError(.network, described)
        case _ where sqlState.hasPrefix("28"):
            return DatabaseError(.authentication, described)
        default:
            return DatabaseError(.sql, described)
        }
    }
}
