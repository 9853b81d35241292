import CSQLite
import Foundation

/// One `sqlite3*` handle and its prepared-statement cache.
///
/// `@unchecked Sendable` is sound because one thread at a time uses a connection: a lane's or the checkpointer's
/// connection only on its serial queue, an inline reader only while checked out of ``SQLiteDatabase``'s mutex-guarded free list. That
/// discipline is why connections open in multi-thread mode (`SQLITE_OPEN_NOMUTEX`: no per-call mutex on the
/// connection, which would otherwise be taken on every `sqlite3_column_*` call). The handle is closed exactly once,
/// in `deinit`, when the database object goes away.
final class SQLiteConnection: SQLConnection, @unchecked Sendable {
    static let dialect = SQLDialect.sqlite

    private var handle: OpaquePointer?
    private var statements: [String: SQLiteStatement] = [:]

    init(path: String, readOnly: Bool = false) throws {
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open database"
            sqlite3_close_v2(db)
            throw SQLiteError(code: rc, message: message)
        }
        self.handle = db
        sqlite3_extended_result_codes(db, 1)
    }

    deinit {
        self.statements.removeAll()
        sqlite3_close_v2(self.handle)
    }

    /// Runs one or more statements without arguments.
    func execute(_ sql: String) throws {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(self.handle, sql, nil, nil, &errorMessage)
        guard rc == SQLITE_OK else {
            let message = errorMessage.map { String(cString: $0) } ?? "error"
            sqlite3_free(errorMessage)
            throw SQLiteError(code: rc, message: message)
        }
    }

    /// A cached prepared statement for `sql`, reset and with bindings cleared.
    func statement(_ sql: String) throws -> SQLiteStatement {
        if let cached = self.statements[sql] {
            cached.reset()
            return cached
        }
        var raw: OpaquePointer?
        let rc = sqlite3_prepare_v3(self.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &raw, nil)
        guard rc == SQLITE_OK, let raw else { throw self.error(rc) }
        let statement = SQLiteStatement(raw, connection: self)
        self.statements[sql] = statement
        return statement
    }

    /// Prepares, binds and runs `sql` to completion, returning every row through `row`.
    func query(_ sql: String, _ arguments: [SQLValue], row: (SQLiteRow) throws -> Void) throws {
        let statement = try self.statement(sql)
        // A statement left mid-result would pin its read snapshot past COMMIT: always reset.
        defer { statement.reset() }
        try statement.bind(arguments)
        while try statement.step() { try row(SQLiteRow(statement: statement)) }
    }

    /// Runs `sql` and returns its first row mapped by `map`, if any.
    func first<T>(_ sql: String, _ arguments: [SQLValue], _ map: (SQLiteRow) throws -> T) throws -> T? {
        let statement = try self.statement(sql)
        defer { statement.reset() }
        try statement.bind(arguments)
        guard try statement.step() else { return nil }
        return try map(SQLiteRow(statement: statement))
    }

    /// After each commit on this connection, tells `checkpointer` how many pages the WAL holds (nil: no hook, and
    /// no automatic checkpoint either). The checkpointer must outlive the hook: its owner clears it first.
    func onWALCommit(_ checkpointer: Checkpointer?) {
        guard let checkpointer else {
            sqlite3_wal_hook(self.handle, nil, nil)
            return
        }
        sqlite3_wal_hook(
            self.handle,
            { context, _, _, pages in
                if let context { Unmanaged<Checkpointer>.fromOpaque(context).takeUnretainedValue().committed(walPages: pages) }
                return SQLITE_OK
            },
            Unmanaged.passUnretained(checkpointer).toOpaque()
        )
    }

    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(self.handle) }
    var changes: Int { Int(sqlite3_changes(self.handle)) }

    func error(_ rc: Int32) -> SQLiteError {
        SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(self.handle)))
    }
}

/// A prepared statement, owned by its connection's cache.
final class SQLiteStatement {
    private let raw: OpaquePointer
    private unowned let connection: SQLiteConnection

    init(_ raw: OpaquePointer, connection: SQLiteConnection) {
        self.raw = raw
        self.connection = connection
    }

    deinit { sqlite3_finalize(self.raw) }

    func reset() {
        sqlite3_reset(self.raw)
        sqlite3_clear_bindings(self.raw)
    }

    func bind(_ values: [SQLValue]) throws {
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch value {
            case .null: rc = sqlite3_bind_null(self.raw, index)
            case .integer(let int): rc = sqlite3_bind_int64(self.raw, index, int)
            case .real(let double): rc = sqlite3_bind_double(self.raw, index, double)
            case .text(let string):
                // Bound with its byte length, never -1: SQLite would stop at an embedded NUL and store a shorter
                // string than the one policies and validation saw.
                var string = string
                rc = string.withUTF8 { bytes in
                    bytes.withMemoryRebound(to: CChar.self) { chars in
                        guard let base = chars.baseAddress else { return sqlite3_bind_text(self.raw, index, "", 0, csqlite_transient()) }
                        return sqlite3_bind_text(self.raw, index, base, Int32(chars.count), csqlite_transient())
                    }
                }
            case .blob(let data):
                rc = data.withUnsafeBytes { bytes in
                    sqlite3_bind_blob(self.raw, index, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(bytes.count), csqlite_transient())
                }
            }
            guard rc == SQLITE_OK else { throw self.connection.error(rc) }
        }
    }

    /// Advances; true when a row is available.
    func step() throws -> Bool {
        let rc = sqlite3_step(self.raw)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw self.connection.error(rc)
        }
    }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(self.raw, column) == SQLITE_NULL }
    var columnCount: Int32 { sqlite3_column_count(self.raw) }
    func columnName(_ column: Int32) -> String { sqlite3_column_name(self.raw, column).map { String(cString: $0) } ?? "" }

    /// The column's value as stored (its storage class decides the case).
    func value(_ column: Int32) -> SQLValue {
        switch sqlite3_column_type(self.raw, column) {
        case SQLITE_INTEGER: .integer(self.int64(column))
        case SQLITE_FLOAT: .real(self.double(column))
        case SQLITE_TEXT: .text(self.text(column))
        case SQLITE_BLOB: .blob(self.blob(column))
        default: .null
        }
    }
    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(self.raw, column) }
    func double(_ column: Int32) -> Double { sqlite3_column_double(self.raw, column) }

    func text(_ column: Int32) -> String {
        guard let pointer = sqlite3_column_text(self.raw, column) else { return "" }
        // Read with its byte length, so a stored string comes back whole (an embedded NUL included).
        let count = Int(sqlite3_column_bytes(self.raw, column))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    func blob(_ column: Int32) -> Data {
        let count = Int(sqlite3_column_bytes(self.raw, column))
        guard count > 0, let pointer = sqlite3_column_blob(self.raw, column) else { return Data() }
        return Data(bytes: pointer, count: count)
    }
}

/// The current row of a statement.
struct SQLiteRow: SQLRow {
    let statement: SQLiteStatement

    func isNull(_ column: Int32) -> Bool { self.statement.isNull(column) }
    func int64(_ column: Int32) -> Int64 { self.statement.int64(column) }
    func double(_ column: Int32) -> Double { self.statement.double(column) }
    func text(_ column: Int32) -> String { self.statement.text(column) }
    func blob(_ column: Int32) -> Data { self.statement.blob(column) }
}
