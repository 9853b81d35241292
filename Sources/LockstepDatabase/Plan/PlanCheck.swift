public import LockstepCore

/// The verdict of one check of a rotation plan (`lockstep rotation plan`).
public enum PlanStatus: String, Sendable, Hashable, Codable, Comparable {
    /// The rotation will get past this point.
    case pass
    /// It will, but something deserves attention (weaker security, a fact the plan could not read).
    case warn
    /// The rotation would fail here.
    case fail

    private var rank: Int {
        switch self {
        case .pass: 0
        case .warn: 1
        case .fail: 2
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
}

/// One check of a rotation plan: what was checked, the verdict, and why, in words a user can act on.
///
/// A reason names users, hosts, roles, privileges and settings, never a password or a password hash.
public struct PlanCheck: Sendable, Hashable, Codable {
    /// A stable identifier (`login`, `tls`, `authentication`, `privileges`, `clone-grants`, `password-policy`, ...).
    public var check: String
    public var status: PlanStatus
    public var reason: String

    public init(_ check: String, _ status: PlanStatus, _ reason: String) {
        self.check = check
        self.status = status
        self.reason = reason
    }

    public static func pass(_ check: String, _ reason: String) -> Self { Self(check, .pass, reason) }
    public static func warn(_ check: String, _ reason: String) -> Self { Self(check, .warn, reason) }
    public static func fail(_ check: String, _ reason: String) -> Self { Self(check, .fail, reason) }
}

/// What a driver's plan probe is asked: the logins of the rotation and the passwords it would generate.
public struct DatabasePlanRequest: Sendable {
    /// How the rotation changes the password.
    public enum Strategy: Sendable {
        /// The user sets its own password.
        case singleUser
        /// The master login creates or changes `alternateUser` as a copy of the current user.
        case alternatingUsers(master: DatabaseCredentials, alternateUser: String)
    }

    /// AWSCURRENT's login.
    public var current: DatabaseCredentials
    public var strategy: Strategy
    /// The generator createSecret would use (the rotator's GetRandomPassword settings).
    public var generator: PasswordGenerator

    public init(current: DatabaseCredentials, strategy: Strategy, generator: PasswordGenerator) {
        self.current = current
        self.strategy = strategy
        self.generator = generator
    }
}

/// A driver that can check, without changing anything, whether a rotation would work: it logs in, reads the
/// account, its privileges and the server's password policy with read-only statements (SELECT and SHOW only) on
/// its own sessions (off the concurrency pool), and reports each finding as a ``PlanCheck``.
public protocol DatabasePlanProbe: Sendable {
    /// The checks of the database side of a rotation: logins, TLS, authentication method, the right to change the
    /// password, the clone's grants (alternating users) and the password policy. Never throws: a failure is a check.
    func plan(_ request: DatabasePlanRequest, timeouts: DatabaseTimeouts) async -> [PlanCheck]
}

extension DatabaseCredentials {
    /// `user@host:port` for messages (no password).
    public var account: String { "\(self.username)@\(self.host):\(self.port)" }
}

extension DatabaseTLS {
    /// The TLS check of a connection that was made: what the secret asked for against what the connection has.
    /// - Parameters:
    ///   - login: which login (`AWSCURRENT`, `master`), for the message.
    ///   - encrypted: whether the open connection uses TLS.
    public func planCheck(login: String, encrypted: Bool) -> PlanCheck {
        switch (self, encrypted) {
        case (.required, _):
            return .pass("tls", "\(login): TLS with the server's certificate verified against the trusted CAs and the host name (\"ssl\": true)")
        case (.preferred, true):
            return .warn(
                "tls",
                "\(login): encrypted but the server's certificate is not verified (\"ssl\" is not set); set \"ssl\": true to verify it"
            )
        case (.preferred, false):
            return .warn("tls", "\(login): the server offers no TLS, so the connection is plaintext (\"ssl\" is not set)")
        case (.disabled, _):
            return .warn("tls", "\(login): plaintext by choice (\"ssl\": false); passwords travel as hashes, but queries do not")
        }
    }
}
