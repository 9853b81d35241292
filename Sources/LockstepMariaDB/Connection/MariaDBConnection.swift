import CMariaDB
import Dispatch
import Foundation
import LockstepCore
import LockstepDatabase

/// One connection to a MariaDB (or MySQL) server: an actor on its own serial executor, so every libmariadb call runs
/// on this connection's private queue, one at a time, and never on the Swift concurrency pool.
actor MariaDBConnection: DatabaseSession {
    private let executor: DispatchQueueExecutor
    private var handle: MySQLHandle?
    /// MariaDB rather than MySQL: decides the password and role syntax (asked of the server, not read from a
    /// version string).
    private(set) var isMariaDB = true

    nonisolated var unownedExecutor: UnownedSerialExecutor { self.executor.asUnownedSerialExecutor() }

    init() {
        self.executor = DispatchQueueExecutor(label: "lockstep.mariadb.connection")
    }

    /// Connects and authenticates; see ``MariaDBDriver/connect(_:timeouts:)``.
    /// - Parameter readOnly: send nothing but what the caller asks (the rotation plan): no `SET SESSION
    ///   max_statement_time`, so each statement is bounded by the socket's read timeout alone.
    func open(_ credentials: DatabaseCredentials, timeouts: DatabaseTimeouts, trust: DatabaseTrust?, readOnly: Bool = false) throws(DatabaseError) {
        guard (1...65535).contains(credentials.port) else {
            throw DatabaseError(.validation, "port \(credentials.port) is out of range")
        }
        guard let handle = MySQLHandle() else { throw DatabaseError(.network, "libmariadb could not allocate a connection") }
        handle.setOption(MYSQL_OPT_PROTOCOL, UInt32(MYSQL_PROTOCOL_TCP.rawValue))  // "localhost" too: never a socket
        handle.setOption(MYSQL_OPT_CONNECT_TIMEOUT, Self.seconds(timeouts.connect))
        handle.setOption(MYSQL_OPT_READ_TIMEOUT, Self.seconds(timeouts.statement))
        handle.setOption(MYSQL_OPT_WRITE_TIMEOUT, Self.seconds(timeouts.statement))
        handle.setOption(MYSQL_SET_CHARSET_NAME, "utf8mb4")
        try Self.configureTLS(handle, credentials.tls, trust: trust)
        try handle.connect(credentials)
        self.handle = handle
        self.isMariaDB = handle.isMariaDB
        if self.isMariaDB, !readOnly {
            // The server's own limit on each statement, beside the socket timeouts.
            try handle.execute("SET SESSION max_statement_time = \(Self.seconds(timeouts.statement))")
        }
    }

    func ping() throws(DatabaseError) {
        let rows = try self.openHandle().query("SELECT 1")
        guard rows.first?.first == "1" else { throw DatabaseError(.sql, "SELECT 1 returned no row") }
    }

    /// From `information_schema.PROCESSLIST`: every session of the users, if this account has PROCESS (otherwise only
    /// its own user's). MariaDB doesn't keep when a session connected, only how long its current command has run.
    func sessions(of users: [String]) throws(DatabaseError) -> SessionSnapshot {
        guard !users.isEmpty else { return SessionSnapshot(time: Date(), users: [:]) }
        let quoting = try self.quoting()
        let names = users.map(quoting.literal).joined(separator: ", ")
        let rows = try self.openHandle().query(
            "SELECT USER, HOST FROM information_schema.PROCESSLIST WHERE USER IN (\(names)) AND ID <> CONNECTION_ID()"
        )
        return SessionSnapshot.from(
            rows.compactMap { row in
                guard row.count == 2, let user = row[0] else { return nil }
                // HOST is host:port for TCP sessions, localhost for the socket.
                let host = row[1].map { String($0.split(separator: ":").first ?? Substring($0)) } ?? "hidden"
                return (user, nil, host)
            },
            users: users,
            time: Date()
        )
    }

    func close() {
        self.handle?.close()
        self.handle = nil
    }

    /// The open handle, or a lost-connection error after ``close()``.
    func openHandle() throws(DatabaseError) -> MySQLHandle {
        guard let handle = self.handle else { throw DatabaseError(.network, "the connection is closed") }
        return handle
    }

    /// Literals quoted by this connection.
    func quoting() throws(DatabaseError) -> SQLQuoting {
        let handle = try self.openHandle()
        return SQLQuoting { handle.literal($0) }
    }

    /// Runs a statement (test and tooling use; the session API is the rest of this type).
    func query(_ sql: String) throws(DatabaseError) -> [[String?]] {
        try self.openHandle().query(sql)
    }

    /// TLS from the secret's `ssl` key. Connector/C 3.3 encrypts only when asked; without certificate verification
    /// it falls back to plaintext when the server has no TLS, and with verification it refuses such a server, a
    /// certificate that doesn't chain to `trust`, and one that doesn't name the host.
    private static func configureTLS(_ handle: MySQLHandle, _ tls: DatabaseTLS, trust: DatabaseTrust?) throws(DatabaseError) {
        let yes: my_bool = 1
        let no: my_bool = 0
        switch tls {
        case .disabled:
            handle.setOption(MYSQL_OPT_SSL_ENFORCE, no)
            handle.setOption(MYSQL_OPT_SSL_VERIFY_SERVER_CERT, no)
        case .preferred:
            handle.setOption(MYSQL_OPT_SSL_ENFORCE, yes)
            handle.setOption(MYSQL_OPT_SSL_VERIFY_SERVER_CERT, no)
        case .required:
            guard let trust else { throw DatabaseTrust.missing }
            handle.setOption(MYSQL_OPT_SSL_ENFORCE, yes)
            handle.setOption(MYSQL_OPT_SSL_VERIFY_SERVER_CERT, yes)
            handle.setOption(MYSQL_OPT_SSL_CA, trust.caFile)
        }
    }

    /// Whole seconds for libmariadb's options: at least 1, rounded up.
    static func seconds(_ duration: Duration) -> UInt32 {
        let (seconds, attoseconds) = duration.components
        let rounded = seconds + (attoseconds > 0 ? 1 : 0)
        return UInt32(clamping: max(1, rounded))
    }
}
