/// Everything an account may do, read from the server's privilege tables in a form that compares across accounts:
/// two accounts have the same privileges exactly when their `AccountGrants` are equal.
struct AccountGrants: Hashable {
    /// Each privilege on each object, one column at a time for column privileges.
    var privileges: Set<Privilege> = []
    /// The objects on which the account holds GRANT OPTION.
    var grantOptions: Set<GrantObject> = []
    /// `GRANT PROXY ON 'user'@'host'` grants.
    var proxies: Set<ProxyGrant> = []
    /// Roles granted to the account (MariaDB).
    var roles: Set<RoleGrant> = []
    /// The role enabled at login (MariaDB); nil for none.
    var defaultRole: String?
    /// TLS requirement and resource limits.
    var options = AccountOptions()
}

/// Something a privilege is granted on.
enum GrantObject: Hashable, Comparable {
    case global
    case database(String)
    case table(database: String, table: String)
    case routine(RoutineKind, database: String, name: String)

    /// The `ON …` part of GRANT and REVOKE.
    func sql(_ quoting: SQLQuoting) -> String {
        switch self {
        case .global: "*.*"
        case .database(let database): "\(quoting.identifier(database)).*"
        case .table(let database, let table): "\(quoting.identifier(database)).\(quoting.identifier(table))"
        case .routine(let kind, let database, let name):
            "\(kind.rawValue) \(quoting.identifier(database)).\(quoting.identifier(name))"
        }
    }
}

/// The routine kinds of `mysql.procs_priv.Routine_type`, spelled as GRANT spells them.
enum RoutineKind: String, Hashable, Comparable {
    case function = "FUNCTION"
    case procedure = "PROCEDURE"
    case package = "PACKAGE"
    case packageBody = "PACKAGE BODY"

    static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One privilege (`SELECT`, `BINLOG ADMIN`, ...) on one object, or on one column of a table.
struct Privilege: Hashable {
    var object: GrantObject
    /// The privilege as GRANT spells it; only capital letters, spaces and underscores (checked when read).
    var name: String
    var column: String?
}

struct ProxyGrant: Hashable {
    var user: String
    var host: String
    var withGrantOption: Bool
}

struct RoleGrant: Hashable {
    var role: String
    var withAdminOption: Bool
}

/// The account attributes of `mysql.user` that a copy must keep: the TLS requirement and the resource limits.
struct AccountOptions: Hashable {
    /// `ssl_type`: "" (none), `ANY` (REQUIRE SSL), `X509`, `SPECIFIED` (cipher, issuer and/or subject).
    var sslType = ""
    var sslCipher = ""
    var x509Issuer = ""
    var x509Subject = ""
    /// Limits as the server prints them (digits, and a decimal point for max_statement_time); nil when the server
    /// has no such limit (max_statement_time is MariaDB's).
    var maxQuestions: String?
    var maxUpdates: String?
    var maxConnections: String?
    var maxUserConnections: String?
    var maxStatementTime: String?

    /// A new account's attributes: no TLS requirement, no limits.
    static let fresh = AccountOptions(
        maxQuestions: "0",
        maxUpdates: "0",
        maxConnections: "0",
        maxUserConnections: "0",
        maxStatementTime: "0"
    )
}
