public import LockstepDatabase

/// PostgreSQL (and Aurora PostgreSQL) through libpq, for the built-in rotators.
///
/// Every session is a connection of its own with its own thread (see ``DatabaseSession``): connect, rotate, verify,
/// close. Passwords reach the server only as SCRAM (or MD5) verifiers computed client-side, and error messages are
/// scrubbed of anything password-like.
///
/// ```swift
/// let session = try await PostgresDriver().connect(credentials, timeouts: DatabaseTimeouts())
/// try await session.changeOwnPassword(user: credentials.username, to: newPassword)
/// await session.close()
/// ```
public struct PostgresDriver: DatabaseDriver {
    /// What verifies a server's certificate when a secret requires TLS.
    public let trust: DatabaseTrust?

    /// - Parameter trust: the CAs that verify servers for `ssl: true` secrets; the system's bundle by default.
    public init(trust: DatabaseTrust? = .system) {
        self.trust = trust
    }

    public var engines: Set<String> { ["postgres", "aurora-postgresql"] }

    public var defaultPort: Int { 5432 }

    public var defaultDatabase: String? { "postgres" }

    /// AWS's PostgreSQL template: the colon separates `.pgpass` and URI fields, the rest are quoting characters.
    public var excludedPasswordCharacters: String { ":/@\"'\\" }

    /// NAMEDATALEN - 1; longer names would be truncated by the server.
    public var maximumUserNameLength: Int { RoleSQL.maximumRoleNameBytes }

    /// Connects with `PQconnectdbParams` on the new session's own thread.
    ///
    /// TLS follows `credentials.tls`: `required` is `sslmode=verify-full` against ``trust`` (the certificate must
    /// chain to it and name the host), `preferred` is `prefer` (encrypted when the server offers it, unverified, as
    /// on AWS), `disabled` is `disable`. `timeouts.connect` bounds connecting (libpq's `connect_timeout`, at least 2 s) and
    /// `timeouts.statement` every statement on the server (`statement_timeout`).
    public func connect(
        _ credentials: DatabaseCredentials,
        timeouts: DatabaseTimeouts
    ) async throws(DatabaseError)
        -> any DatabaseSession
    {
        try await self.openSession(credentials, timeouts: timeouts)
    }

    /// ``connect(_:timeouts:)`` with the concrete session (the rotation plan's probes use its queries).
    func openSession(_ credentials: DatabaseCredentials, timeouts: DatabaseTimeouts) async throws(DatabaseError) -> PostgresSession {
        let parameters = try ConnectionParameters(
            credentials,
            defaultDatabase: self.defaultDatabase ?? "postgres",
            timeouts: timeouts,
            trust: self.trust
        )
        let session = PostgresSession()
        try await session.open(parameters)
        return session
    }
}
