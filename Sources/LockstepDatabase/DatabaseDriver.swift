public import LockstepCore

/// How a connection uses TLS, from the secret's `ssl` key (AWS's tri-state, spec §1.4).
public enum DatabaseTLS: String, Sendable, Hashable {
    /// `ssl` absent or not understood: try TLS, fall back to plaintext.
    case preferred
    /// `ssl: true` (or `"true"`): TLS or no connection.
    case required
    /// `ssl: false` (or `"false"`): plaintext only.
    case disabled
}

/// Everything needed to log in as one database user.
public struct DatabaseCredentials: Sendable, Hashable {
    public var host: String
    public var port: Int
    public var username: String
    public var password: Sensitive<String>
    /// The database to connect to; nil means the driver's default.
    public var database: String?
    public var tls: DatabaseTLS

    public init(
        host: String,
        port: Int,
        username: String,
        password: Sensitive<String>,
        database: String? = nil,
        tls: DatabaseTLS = .preferred
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
    }
}

/// Limits on every call a driver makes: a rotation must never hang on a database.
public struct DatabaseTimeouts: Sendable, Hashable {
    /// Connecting and authenticating.
    public var connect: Duration
    /// One statement (server side where the engine supports it, and read/write timeouts on the socket).
    public var statement: Duration

    public init(connect: Duration = .seconds(5), statement: Duration = .seconds(10)) {
        self.connect = connect
        self.statement = statement
    }
}

/// A database call failed. The message is safe to record: drivers scrub passwords and password hashes from it.
public struct DatabaseError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// The server could not be reached, or a call timed out.
        case network
        /// The server refused the credentials.
        case authentication
        /// A statement failed.
        case sql
        /// The request can't work (a user name too long, an unsupported engine feature).
        case validation
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(self.kind.rawValue): \(self.message)" }
}

/// One database engine's client, as the built-in rotators use it (PostgreSQL through libpq, MariaDB through
/// libmariadb). The rotation logic (AWS's single-user and alternating-users templates) is written once over this
/// protocol; a driver supplies only the connection and the engine's SQL.
public protocol DatabaseDriver: Sendable {
    /// The `engine` values of a secret's JSON this driver serves (`postgres`, `aurora-postgresql`, ...).
    var engines: Set<String> { get }
    /// The port when the secret has none.
    var defaultPort: Int { get }
    /// The database when the secret has no `dbname` (nil: none).
    var defaultDatabase: String? { get }
    /// Characters new passwords must not contain (AWS's template defaults).
    var excludedPasswordCharacters: String { get }
    /// The longest user name the engine accepts (the `_clone` user must fit).
    var maximumUserNameLength: Int { get }

    /// Connects and authenticates. A refused login throws ``DatabaseError/Kind/authentication``; an unreachable
    /// or silent server throws ``DatabaseError/Kind/network`` within `timeouts.connect`.
    func connect(_ credentials: DatabaseCredentials, timeouts: DatabaseTimeouts) async throws(DatabaseError)
        -> any DatabaseSession
}

/// One open connection. Every call runs off the Swift concurrency pool (a connection owns a serial executor),
/// and no call sends a plaintext password where the server would log it.
public protocol DatabaseSession: Sendable {
    /// Runs a trivial query (testSecret's proof that the login works).
    func ping() async throws(DatabaseError)
    /// Single user: this session's user `user` sets its own password.
    func changeOwnPassword(user: String, to password: Sensitive<String>) async throws(DatabaseError)
    /// Alternating users, on a privileged session: makes `user` a login user with `password` and the same
    /// privileges as `original`, creating it if absent. Idempotent.
    func provisionAlternateUser(_ user: String, copying original: String, password: Sensitive<String>)
        async throws(DatabaseError)
    /// The sessions, other than this one, of each of `users` now (the connection-impact report).
    func sessions(of users: [String]) async throws(DatabaseError) -> SessionSnapshot
    /// Closes the connection. Safe to call twice.
    func close() async
}
