import LockstepDatabase

/// Turns libmariadb and server error numbers into ``DatabaseError`` kinds, with messages scrubbed of secrets.
enum MariaDBErrors {
    /// Refused logins: wrong password (1045), no access to the database (1044), no password given (1698),
    /// unsupported authentication (1251), host not allowed (1130), expired password at login (1862), locked account
    /// (4151), client-side authentication plugin failures (2059, 2061).
    static let authentication: Set<UInt32> = [1044, 1045, 1130, 1251, 1698, 1862, 4151, 2059, 2061]

    /// The server could not be reached or went away: socket errors (2001-2006), lost connection (2013, 2055),
    /// handshake and TLS failures (2012, 2026), too many connections (1040), host blocked (1129), shutdown in progress
    /// (1053), and statement timeouts (MariaDB's max_statement_time 1969, MySQL's max_execution_time 3024).
    static let network: Set<UInt32> = [
        1040, 1053, 1129, 1969, 2001, 2002, 2003, 2004, 2005, 2006, 2011, 2012, 2013, 2026, 2055, 3024,
    ]

    /// A name longer than the server accepts (ER_WRONG_STRING_LENGTH: "too long for user name").
    static let validation: Set<UInt32> = [1470]

    static func kind(code: UInt32, connecting: Bool) -> DatabaseError.Kind {
        if Self.authentication.contains(code) { return .authentication }
        if Self.network.contains(code) { return .network }
        if Self.validation.contains(code) { return .validation }
        // Any other client-side error (2000-2999) while connecting is a failure to reach the server.
        if connecting && (2000..<3000).contains(code) { return .network }
        return .sql
    }

    static func error(code: UInt32, message: String, connecting: Bool, secrets: [String]) -> DatabaseError {
        let kind = Self.kind(code: code, connecting: connecting)
        return DatabaseError(kind, "MariaDB error \(code): " + SecretScrubber.scrub(message, secrets: secrets))
    }
}
