import CPostgreSQL
import LockstepCore
import LockstepDatabase

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One libpq connection (`PGconn`), owned by an actor that runs on its own serial queue.
///
/// Why an actor with a custom executor: libpq blocks its thread for every round trip and forbids two threads on one
/// `PGconn` at a time. The ``DispatchQueueExecutor`` gives the connection a thread of its own, off the Swift
/// concurrency pool, and the actor serialises the calls. The `PGconn` never leaves the actor: it is isolated state,
/// so no `@unchecked Sendable` is needed.
///
/// The session's calls are the ``DatabaseSession`` operations (in `PostgresSession+Rotation.swift`); the primitives
/// here (``execute(_:removing:)``, ``query(_:_:)``, escaping) are internal, and tests reach them with
/// `@testable import`.
actor PostgresSession {
    private let executor = DispatchQueueExecutor(label: "lockstep.postgres.connection")
    /// The open connection; nil before ``open(_:)`` succeeds and after ``close()``.
    private var handle: ConnectionHandle?

    nonisolated var unownedExecutor: UnownedSerialExecutor {
        self.executor.asUnownedSerialExecutor()
    }

    init() {}

    /// Connects and authenticates; on failure the half-open connection is freed and the session stays closed.
    func open(_ parameters: ConnectionParameters) throws(DatabaseError) {
        precondition(self.handle == nil, "a PostgresSession is opened once")
        let pairs = parameters.pairsWithPassword
        let connection = CStringArray(pairs.map(\.keyword)).withPointers { keywords in
            CStringArray(pairs.map(\.value)).withPointers { values in
                PQconnectdbParams(keywords, values, 0)
            }
        }
        guard let connection else {
            throw DatabaseError(.network, "libpq could not allocate a connection")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(connection))
            PQfinish(connection)
            throw PostgresErrorText.connectionFailure(message, removing: [parameters.password.value])
        }
        // libpq prints server notices (`NOTICE: drop cascades to ...`) on stderr by default: drop them; a rotation's
        // outcome is its result or its error.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        self.handle = ConnectionHandle(connection)
    }

    /// Closes the connection; later calls fail with ``DatabaseError/Kind/validation``. Safe to call twice.
    func close() {
        self.handle = nil
    }

    // MARK: - Statements

    /// Runs `sql` (one or more statements, no parameters) and discards any rows.
    /// - Parameter secrets: values the statement carries that must not appear in an error (a password verifier).
    func execute(_ sql: String, removing secrets: [String] = []) throws(DatabaseError) {
        let connection = try self.openConnection()
        let result = PQexec(connection, sql)
        defer { PQclear(result) }
        try self.check(result, on: connection, removing: secrets)
    }

    /// Runs one statement with text parameters (`$1`, `$2`, ...) and returns its rows as text (nil for NULL).
    func query(_ sql: String, _ parameters: [String] = []) throws(DatabaseError) -> [[String?]] {
        let connection = try self.openConnection()
        let result = CStringArray(parameters).withPointers { values in
            PQexecParams(connection, sql, Int32(parameters.count), nil, values, nil, nil, 0)
        }
        defer { PQclear(result) }
        try self.check(result, on: connection, removing: [])
        return (0..<PQntuples(result)).map { row in
            (0..<PQnfields(result)).map { column in
                PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column))
            }
        }
    }

    /// Runs `body` between BEGIN and COMMIT; any error rolls back (best effort: the connection may be gone).
    func transaction<T>(_ body: () throws(DatabaseError) -> T) throws(DatabaseError) -> T {
        try self.execute("BEGIN")
        do {
            let value = try body()
            try self.execute("COMMIT")
            return value
        } catch {
            try? self.execute("ROLLBACK")
            throw error
        }
    }

    // MARK: - Escaping and verifiers

    /// `name` as a quoted SQL identifier (`PQescapeIdentifier`: knows the connection's encoding).
    func escapeIdentifier(_ name: String) throws(DatabaseError) -> String {
        let connection = try self.openConnection()
        return try self.takeString(PQescapeIdentifier(connection, name, name.utf8.count), on: connection)
    }

    /// `text` as a quoted SQL string literal (`PQescapeLiteral`: knows the connection's encoding).
    func escapeLiteral(_ text: String) throws(DatabaseError) -> String {
        let connection = try self.openConnection()
        return try self.takeString(PQescapeLiteral(connection, text, text.utf8.count), on: connection)
    }

    /// The password verifier the server would store for `user` and `password`, computed here by libpq
    /// (`PQencryptPasswordConn` with the server's `password_encryption`), so the plaintext never reaches the server.
    func passwordVerifier(user: String, password: String) throws(DatabaseError) -> String {
        let connection = try self.openConnection()
        guard let verifier = PQencryptPasswordConn(connection, password, user, nil) else {
            let message = String(cString: PQerrorMessage(connection))
            throw DatabaseError(.sql, "could not compute the password verifier: " + PostgresErrorText.scrub(message, removing: [password]))
        }
        defer { PQfreemem(verifier) }
        return String(cString: verifier)
    }

    // MARK: - Private

    private func openConnection() throws(DatabaseError) -> OpaquePointer {
        guard let handle else {
            throw DatabaseError(.validation, "the PostgreSQL session is closed")
        }
        return handle.connection
    }

    /// Throws the classified error of a failed result.
    private func check(_ result: OpaquePointer?, on connection: OpaquePointer, removing secrets: [String]) throws(DatabaseError) {
        let status = result.map(PQresultStatus) ?? PGRES_FATAL_ERROR
        guard status != PGRES_COMMAND_OK, status != PGRES_TUPLES_OK, status != PGRES_EMPTY_QUERY else { return }
        func field(_ code: UInt8) -> String? {
            guard let result, let value = PQresultErrorField(result, Int32(code)) else { return nil }
            return String(cString: value)
        }
        throw PostgresErrorText.statementFailure(
            sqlState: field(UInt8(ascii: "C")),  // PG_DIAG_SQLSTATE
            primary: field(UInt8(ascii: "M")),  // PG_DIAG_MESSAGE_PRIMARY
            fallback: String(cString: PQerrorMessage(connection)),
            removing: secrets
        )
    }

    /// Copies and frees a string libpq allocated (nil: libpq failed and says why in `PQerrorMessage`).
    private func takeString(_ pointer: UnsafeMutablePointer<CChar>?, on connection: OpaquePointer) throws(DatabaseError) -> String {
        guard let pointer else {
            let message = PostgresErrorText.scrub(String(cString: PQerrorMessage(connection)))
            throw DatabaseError(.validation, "could not quote a value: \(message)")
        }
        defer { PQfreemem(pointer) }
        return String(cString: pointer)
    }
}

/// Owns one `PGconn`: `PQfinish` runs exactly once, when the handle goes away (``PostgresSession/close()`` drops it,
/// or the session itself is freed without a close).
///
/// Not `Sendable`, and it never leaves its session. A dropped session may free it on whichever thread released the
/// last reference; that is harmless, since `PQfinish` only sends a Terminate message and closes the socket.
private final class ConnectionHandle {
    let connection: OpaquePointer

    init(_ connection: OpaquePointer) {
        self.connection = connection
    }

    deinit {
        PQfinish(self.connection)
    }
}

/// Strings copied into C memory for the duration of one call, as the NULL-terminated `const char *const *` arrays
/// libpq takes.
private struct CStringArray {
    let strings: [String]

    init(_ strings: [String]) { self.strings = strings }

    func withPointers<R>(_ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        let copies = self.strings.map { strdup($0) }
        defer {
            for copy in copies {
                if let copy {
                    // One of them is the password: wipe it before the memory goes back to the allocator.
                    #if canImport(Glibc)
                    explicit_bzero(copy, strlen(copy))
                    #endif
                    free(copy)
                }
            }
        }
        return body(copies.map { UnsafePointer($0) } + [nil])
    }
}
