import CMariaDB
public import LockstepDatabase

/// The MariaDB (and MySQL) driver of the built-in rotators, over libmariadb (MariaDB Connector/C).
///
/// Call ``initializeLibrary()`` once at start-up, before any thread or service starts: `mysql_library_init` is not
/// thread-safe. Each session is an actor on its own serial executor, so libmariadb's blocking calls never run on the
/// Swift concurrency pool.
///
/// Passwords travel as hashes wherever the server accepts one: `mysql_native_password` hashes and (for 32-byte
/// passwords) `ed25519` keys are computed here, so the plaintext never reaches the server's logs.
public struct MariaDBDriver: DatabaseDriver {
    public var engines: Set<String> { ["mariadb", "mysql", "aurora-mysql"] }
    public var defaultPort: Int { 3306 }
    public var defaultDatabase: String? { nil }
    /// AWS's MySQL and MariaDB templates exclude these.
    public var excludedPasswordCharacters: String { "/@\"'\\" }
    public var maximumUserNameLength: Int { UserNames.maximumLength }

    /// What verifies a server's certificate when a secret requires TLS.
    public let trust: DatabaseTrust?

    /// - Parameter trust: the CAs that verify servers for `ssl: true` secrets; the system's bundle by default.
    public init(trust: DatabaseTrust? = .system) {
        self.trust = trust
        Self.initializeLibrary()
    }

    /// Initializes libmariadb (`mysql_library_init`) exactly once. Call it at start-up before other threads exist;
    /// the driver calls it too, as a safety net, but then it may race a thread already in libmariadb.
    public static func initializeLibrary() {
        _ = Self.libraryInitialized
    }

    /// Swift runs a static property's initializer once, thread-safely: the once-token. The authentication plugins are
    /// loaded here too: loaded lazily, two concurrent logins race to load the same plugin and one fails.
    private static let libraryInitialized: Bool = {
        guard cmariadb_library_init() == 0 else { return false }
        cmariadb_preload_auth_plugins()
        return true
    }()

    /// Connects and authenticates over TCP (a host of "localhost" too), with `timeouts.connect` for the connection
    /// and `timeouts.statement` for each read, write and statement. TLS follows `credentials.tls`: `required` needs
    /// TLS and a server certificate that ``trust`` verifies, for the host connected to; `preferred` uses TLS when
    /// the server offers it, unverified.
    public func connect(
        _ credentials: DatabaseCredentials,
        timeouts: DatabaseTimeouts
    ) async throws(DatabaseError)
        -> any DatabaseSession
    {
        try await self.openConnection(credentials, timeouts: timeouts)
    }

    func openConnection(
        _ credentials: DatabaseCredentials,
        timeouts: DatabaseTimeouts,
        readOnly: Bool = false
    ) async throws(DatabaseError)
        -> MariaDBConnection
    {
        Self.initializeLibrary()
        let connection = MariaDBConnection()
        try await connection.open(credentials, timeouts: timeouts, trust: self.trust, readOnly: readOnly)
        return connection
    }
}
