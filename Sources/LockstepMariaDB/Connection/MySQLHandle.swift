import CMariaDB
import LockstepCore
import LockstepDatabase

/// Owns one `MYSQL*` and every call on it. Not `Sendable`: it lives inside one ``MariaDBConnection`` actor, whose
/// serial executor is the only thread that touches it. The handle is freed exactly once, by ``close()`` or, if the
/// owner never closed it, by `deinit`.
final class MySQLHandle {
    private var pointer: UnsafeMutablePointer<MYSQL>?

    /// Allocates the handle (`mysql_init`); nil when out of memory.
    init?() {
        guard let pointer = mysql_init(nil) else { return nil }
        self.pointer = pointer
    }

    deinit { self.close() }

    func close() {
        guard let pointer = self.pointer else { return }
        self.pointer = nil
        mysql_close(pointer)
    }

    /// Runs `body` on the open handle; a closed one fails as a lost connection.
    private func withHandle<R>(_ body: (UnsafeMutablePointer<MYSQL>) throws(DatabaseError) -> R) throws(DatabaseError) -> R {
        guard let pointer = self.pointer else { throw DatabaseError(.network, "the connection is closed") }
        return try body(pointer)
    }

    /// `mysql_options` with a value of type `T`.
    func setOption<T>(_ option: mysql_option, _ value: T) {
        guard let pointer = self.pointer else { return }
        var value = value
        _ = withUnsafePointer(to: &value) { mysql_options(pointer, option, $0) }
    }

    /// `mysql_options` with a string (the library copies it).
    func setOption(_ option: mysql_option, _ value: String) {
        guard let pointer = self.pointer else { return }
        _ = value.withCString { mysql_options(pointer, option, $0) }
    }

    /// Connects and authenticates over TCP.
    func connect(_ credentials: DatabaseCredentials) throws(DatabaseError) {
        try self.withHandle { pointer throws(DatabaseError) in
            let connected = credentials.host.withCString { host in
                credentials.username.withCString { user in
                    credentials.password.value.withCString { password in
                        withOptionalCString(credentials.database) { database in
                            mysql_real_connect(pointer, host, user, password, database, UInt32(credentials.port), nil, 0)
                        }
                    }
                }
            }
            if connected == nil {
                throw self.lastError(pointer, connecting: true, secrets: [credentials.password.value])
            }
        }
    }

    /// True when the server is MariaDB rather than MySQL (Connector/C's `mariadb_connection`).
    var isMariaDB: Bool {
        guard let pointer = self.pointer else { return false }
        return mariadb_connection(pointer) != 0
    }

    /// Runs one statement and discards any result.
    /// - Parameter secrets: values the statement carries (a password, a hash), removed from any error message.
    func execute(_ sql: String, secrets: [String] = []) throws(DatabaseError) {
        _ = try self.query(sql, secrets: secrets)
    }

    /// Runs one statement and returns its rows, every value as text (nil for NULL).
    func query(_ sql: String, secrets: [String] = []) throws(DatabaseError) -> [[String?]] {
        try self.withHandle { pointer throws(DatabaseError) in
            let status = sql.withCString { mysql_real_query(pointer, $0, UInt(sql.utf8.count)) }
            guard status == 0 else { throw self.lastError(pointer, connecting: false, secrets: secrets) }
            guard let result = mysql_store_result(pointer) else {
                if mysql_field_count(pointer) == 0 { return [] }
                throw self.lastError(pointer, connecting: false, secrets: secrets)
            }
            defer { mysql_free_result(result) }
            let fieldCount = Int(mysql_num_fields(result))
            var rows: [[String?]] = []
            while let row = mysql_fetch_row(result) {
                guard let lengths = mysql_fetch_lengths(result) else { break }
                rows.append(
                    (0..<fieldCount).map { index in
                        row[index].map { String(decoding: UnsafeRawBufferPointer(start: $0, count: Int(lengths[index])), as: UTF8.self) }
                    }
                )
            }
            if mysql_errno(pointer) != 0 { throw self.lastError(pointer, connecting: false, secrets: secrets) }
            return rows
        }
    }

    /// Quotes a string literal with `mysql_real_escape_string`, which follows the connection's character set and
    /// `NO_BACKSLASH_ESCAPES`.
    func literal(_ text: String) -> String {
        guard let pointer = self.pointer else { return SQLQuoting.standalone.literal(text) }
        let bytes = Array(text.utf8)
        var escaped = [UInt8](repeating: 0, count: bytes.count * 2 + 1)
        let length = bytes.withUnsafeBufferPointer { source in
            escaped.withUnsafeMutableBufferPointer { target in
                source.withMemoryRebound(to: CChar.self) { source in
                    target.withMemoryRebound(to: CChar.self) { target in
                        mysql_real_escape_string(pointer, target.baseAddress, source.baseAddress, UInt(bytes.count))
                    }
                }
            }
        }
        // (unsigned long)-1 means the buffer was too small, which 2n+1 bytes never is (the documented bound).
        precondition(length != UInt.max, "mysql_real_escape_string overflowed a 2n+1 buffer")
        return "'" + String(decoding: escaped[..<Int(length)], as: UTF8.self) + "'"
    }

    /// The handle's last error as a ``DatabaseError``, classified and scrubbed.
    private func lastError(_ pointer: UnsafeMutablePointer<MYSQL>, connecting: Bool, secrets: [String]) -> DatabaseError {
        let code = mysql_errno(pointer)
        let message = mysql_error(pointer).map { String(cString: $0) } ?? "unknown error"
        return MariaDBErrors.error(code: code, message: message, connecting: connecting, secrets: secrets)
    }
}

/// `body` with a C string for `value`, or with nil.
private func withOptionalCString<R>(_ value: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let value else { return body(nil) }
    return value.withCString(body)
}
