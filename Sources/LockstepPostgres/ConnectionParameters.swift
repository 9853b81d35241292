import LockstepCore
import LockstepDatabase

/// The keyword/value pairs handed to `PQconnectdbParams`.
///
/// Keyword arrays instead of a conninfo string: no value is ever parsed, so a password or database name with spaces,
/// quotes or backslashes needs no escaping (and `expand_dbname` stays 0, so a `dbname` is never read as a URI).
struct ConnectionParameters: Sendable, Equatable {
    /// Everything but the password, in the order libpq receives them: safe to print.
    var pairs: [Pair]
    /// Kept apart, and wrapped, so that no description of the parameters can show it.
    var password: Sensitive<String>

    struct Pair: Sendable, Equatable {
        var keyword: String
        var value: String
    }

    /// - Parameters:
    ///   - credentials: whom to log in as, and where.
    ///   - defaultDatabase: the database when the credentials name none.
    ///   - timeouts: `connect` becomes `connect_timeout` (whole seconds, rounded up, at least 2: libpq treats 1 as 2)
    ///     and bounds a dead peer through TCP keepalives and `tcp_user_timeout`; `statement` becomes the server's
    ///     `statement_timeout` for the session.
    /// - Throws: ``DatabaseError/Kind/validation`` when a value holds a NUL character (C strings would cut it).
    ///   - trust: the CAs that verify the server when the credentials require TLS (`sslmode=verify-full`).
    init(
        _ credentials: DatabaseCredentials,
        defaultDatabase: String,
        timeouts: DatabaseTimeouts,
        trust: DatabaseTrust? = nil
    ) throws(DatabaseError) {
        let connectSeconds = max(2, Self.wholeSecondsRoundedUp(timeouts.connect))
        let statementMilliseconds = max(1, Self.milliseconds(timeouts.statement))
        self.pairs = [
            Pair(keyword: "host", value: credentials.host),
            Pair(keyword: "port", value: String(credentials.port)),
            Pair(keyword: "user", value: credentials.username),
            Pair(keyword: "dbname", value: credentials.database ?? defaultDatabase),
            Pair(keyword: "sslmode", value: Self.sslMode(credentials.tls)),
            Pair(keyword: "gssencmode", value: "disable"),
            Pair(keyword: "connect_timeout", value: String(connectSeconds)),
            Pair(keyword: "keepalives", value: "1"),
            Pair(keyword: "keepalives_idle", value: String(connectSeconds)),
            Pair(keyword: "keepalives_interval", value: "1"),
            Pair(keyword: "keepalives_count", value: "3"),
            Pair(keyword: "tcp_user_timeout", value: String(connectSeconds * 1000)),
            Pair(keyword: "application_name", value: "lockstep"),
            Pair(keyword: "client_encoding", value: "UTF8"),
            // 0 would mean "no limit", hence the floor of 1 ms above.
            Pair(keyword: "options", value: "-c statement_timeout=\(statementMilliseconds)"),
        ]
        if credentials.tls == .required {
            guard let trust else { throw DatabaseTrust.missing }
            self.pairs.append(Pair(keyword: "sslrootcert", value: trust.caFile))
        }
        self.password = credentials.password
        for pair in self.pairsWithPassword where pair.value.utf8.contains(0) {
            throw DatabaseError(.validation, "the connection's \(pair.keyword) contains a NUL character")
        }
    }

    /// The pairs with the password, for the one call that needs it.
    var pairsWithPassword: [Pair] {
        self.pairs + [Pair(keyword: "password", value: self.password.value)]
    }

    /// The value of `keyword`, if present.
    func value(of keyword: String) -> String? {
        self.pairs.first { $0.keyword == keyword }?.value
    }

    static func sslMode(_ tls: DatabaseTLS) -> String {
        switch tls {
        case .preferred: "prefer"
        case .required: "verify-full"
        case .disabled: "disable"
        }
    }

    static func wholeSecondsRoundedUp(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) + (attoseconds > 0 ? 1 : 0)
    }

    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}
