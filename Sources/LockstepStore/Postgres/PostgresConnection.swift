import CPostgreSQL
import Foundation
public import LockstepCore

/// A failure of the PostgreSQL store: the server's SQLSTATE and message (libpq's, never a statement's arguments, so
/// never a value), or a connection that is down.
public struct PostgresStoreError: Error, Sendable, CustomStringConvertible {
    /// The SQLSTATE (`23505` unique violation, `08006` connection failure, ...); empty when libpq had none.
    public let state: String
    public let message: String

    public var description: String { self.state.isEmpty ? "PostgreSQL: \(self.message)" : "PostgreSQL error \(self.state): \(self.message)" }

    /// The connection is gone or the server can't take work now: worth a new connection and a retry of the whole
    /// transaction (class 08 connection exceptions, 57P admin shutdown / crash, 53 insufficient resources).
    public var isUnavailable: Bool {
        self.state.isEmpty || self.state.hasPrefix("08") || self.state.hasPrefix("57P") || self.state.hasPrefix("53")
    }
    /// A serialization failure or deadlock: the transaction may simply be run again.
    public var isRetryable: Bool { self.state == "40001" || self.state == "40P01" }
}

extension PostgresStoreError: AWSAnswerable {
    public var awsError: SecretsManagerError? {
        if self.isUnavailable {
            return SecretsManagerError(.serviceUnavailable, "The store is unavailable; try again.")
        }
        // 22021 character_not_in_repertoire, 22P05 untranslatable_character: a NUL, which PostgreSQL's text can't hold.
        if self.state == "22021" || self.state == "22P05" {
            return SecretsManagerError(.invalidParameter, "A string in the request holds a character the store can't keep (NUL).")
        }
        return nil
    }
}

/// One libpq connection of the PostgreSQL store and its prepared statements.
///
/// `@unchecked Sendable` is sound for the same reason as ``SQLiteConnection``: one thread at a time uses it, the
/// lane that checked it out of ``PostgresDatabase``'s pool. Every call blocks that thread (libpq is synchronous),
/// never an event loop: lanes run on their own dispatch queues.
final class PostgresConnection: SQLConnection, @unchecked Sendable {
    static let dialect = SQLDialect.postgres

    let handle: OpaquePointer
    /// SQL (as written, with `?`) → the name of its prepared statement on this connection.
    private var prepared: [String: String] = [:]
    private(set) var changes = 0
    /// The transaction's `BEGIN`, not yet sent: it goes with the transaction's first statement, in one round trip
    /// (libpq's pipeline mode), so a read of one statement costs one round trip, not three with its COMMIT.
    private var deferredBegin: (sql: String, reconnectIfStale: Bool)?
    /// A read-only transaction's COMMIT was sent without waiting; its answer is read before the connection's next use.
    private var commitInFlight = false

    /// Connects with a libpq connection URI or keyword string (`postgresql://user:pass@host:port/db?...`).
    init(_ connectionString: String, applicationName: String = "lockstep") throws {
        // `expand_dbname`: the string is expanded in place, and later settings override earlier ones, so the URI's
        // own settings win over these defaults. TCP keepalives notice a server that vanished without closing its
        // connections (a failed-over machine, a cut network) in about 20 s, where a connection waiting for an answer
        // would otherwise hang for as long as the kernel retransmits (15 minutes or more).
        let settings = [
            ("application_name", applicationName), ("connect_timeout", "10"),
            ("keepalives_idle", "10"), ("keepalives_interval", "3"), ("keepalives_count", "3"), ("tcp_user_timeout", "20000"),
            ("dbname", connectionString),
        ]
        let keywords = settings.map(\.0)
        let values = settings.map(\.1)
        let connection = Self.withCStrings(keywords) { k in
            Self.withCStrings(values) { v in PQconnectdbParams(k, v, 1) }
        }
        guard let connection else { throw PostgresStoreError(state: "", message: "libpq could not allocate a connection") }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = Self.trimmed(PQerrorMessage(connection))
            PQfinish(connection)
            throw PostgresStoreError(state: "08001", message: message)
        }
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        self.handle = connection
    }

    deinit { PQfinish(self.handle) }

    /// False once the server closed the connection or the network failed: the pool replaces it. (Reads the answer
    /// of a COMMIT still in flight first.)
    var isHealthy: Bool {
        self.settle()
        return PQstatus(self.handle) == CONNECTION_OK && PQtransactionStatus(self.handle) == PQTRANS_IDLE
    }

    /// ``isHealthy``, after reading whatever the server sent an idle connection without being asked (without
    /// blocking: libpq's socket is non-blocking): a server shutting down (a restart, a failover) says FATAL and
    /// closes, which libpq only notices when it next reads.
    var isAlive: Bool { self.isHealthy && PQconsumeInput(self.handle) == 1 && self.isHealthy }

    // MARK: Transactions

    /// Opens a transaction with `sql` (`BEGIN ...`), sent with its first statement. `reconnectIfStale`: the
    /// connection was idle in the pool, so when that first round trip finds it closed by the server (restarted,
    /// failed over since), nothing of the transaction ran, and it is reconnected (where a multi-host URI finds the
    /// new primary) and sent again once.
    func begin(_ sql: String, reconnectIfStale: Bool) {
        self.settle()
        self.deferredBegin = (sql, reconnectIfStale)
    }

    /// Commits, waiting for the server's answer (a write is durable only then).
    func commit() throws {
        guard self.deferredBegin == nil else { return self.deferredBegin = nil }  // nothing was sent
        try self.execute("COMMIT")
    }

    /// Ends a read-only transaction without waiting: nothing it did can fail to commit. The answer is read before
    /// the connection's next use.
    func commitReadOnly() {
        guard self.deferredBegin == nil else { return self.deferredBegin = nil }
        self.commitInFlight = PQsendQuery(self.handle, "COMMIT") == 1
    }

    func rollback() {
        guard self.deferredBegin == nil else { return self.deferredBegin = nil }
        try? self.execute("ROLLBACK")
    }

    /// Reads (and drops) the answer of a COMMIT sent without waiting.
    private func settle() {
        guard self.commitInFlight else { return }
        self.commitInFlight = false
        while let result = PQgetResult(self.handle) { PQclear(result) }
    }

    // MARK: Statements

    /// Runs statements without arguments (several, separated by semicolons, for migrations).
    func execute(_ sql: String) throws {
        self.settle()
        if let begin = self.deferredBegin {
            self.deferredBegin = nil
            try self.execute(begin.sql)
        }
        let result = PQexec(self.handle, sql)
        defer { PQclear(result) }
        try self.check(result)
    }

    func query(_ sql: String, _ arguments: [SQLValue], row: (PostgresRow) throws -> Void) throws {
        let result = try self.run(sql, arguments)
        defer { PQclear(result) }
        for index in 0..<PQntuples(result) { try row(PostgresRow(result: result, row: index)) }
    }

    func first<T>(_ sql: String, _ arguments: [SQLValue], _ map: (PostgresRow) throws -> T) throws -> T? {
        let result = try self.run(sql, arguments)
        defer { PQclear(result) }
        guard PQntuples(result) > 0 else { return nil }
        return try map(PostgresRow(result: result, row: 0))
    }

    /// Prepares `sql` once per connection, then executes it: integers and reals as text, text and blobs as their
    /// bytes with their length (binary format), so a string is never cut at a NUL (PostgreSQL refuses a NUL in
    /// text outright: the statement fails, nothing is stored). Results come back as text.
    private func run(_ sql: String, _ arguments: [SQLValue]) throws -> OpaquePointer? {
        self.settle()
        var name = try self.statement(sql)
        var buffers: [[UInt8]] = []
        var formats: [Int32] = []
        buffers.reserveCapacity(arguments.count)
        for argument in arguments {
            switch argument {
            case .null:
                buffers.append([])
                formats.append(0)
            case .integer(let value):
                buffers.append(Array(String(value).utf8))
                formats.append(0)
            case .real(let value):
                buffers.append(Array(String(value).utf8))
                formats.append(0)
            case .text(let value):
                buffers.append(Array(value.utf8))
                formats.append(1)
            case .blob(let value):
                buffers.append(Array(value))
                formats.append(1)
            }
        }
        let lengths = buffers.map { Int32($0.count) }
        let nulls = arguments.map { if case .null = $0 { true } else { false } }
        let execute = { (name: String) -> OpaquePointer? in
            Self.withPointers(buffers, nulls: nulls) { values in
                PQexecPrepared(self.handle, name, Int32(arguments.count), values, lengths, formats, 0)
            }
        }
        let result: OpaquePointer?
        if let begin = self.deferredBegin {
            self.deferredBegin = nil
            do {
                result = try self.pipelined(begin: begin.sql, name: name, buffers: buffers, nulls: nulls, lengths: lengths, formats: formats)
            } catch let error as PostgresStoreError where begin.reconnectIfStale && PQstatus(self.handle) != CONNECTION_OK {
                // Closed by the server while idle in the pool: nothing of the transaction ran. Reconnect in place
                // (libpq keeps every setting; a multi-host URI tries its hosts again) and send it once more.
                PQreset(self.handle)
                guard PQstatus(self.handle) == CONNECTION_OK, PQpipelineStatus(self.handle) == PQ_PIPELINE_OFF else { throw error }
                self.prepared = [:]
                name = try self.statement(sql)
                result = try self.pipelined(begin: begin.sql, name: name, buffers: buffers, nulls: nulls, lengths: lengths, formats: formats)
            }
        } else {
            result = execute(name)
            do {
                try self.check(result)
            } catch {
                PQclear(result)
                throw error
            }
        }
        self.changes = Int(String(cString: PQcmdTuples(result))) ?? 0
        return result
    }

    /// `begin`, then the prepared statement `name`, in one round trip; the statement's result (checked), or the
    /// error of whichever failed first.
    private func pipelined(
        begin: String, name: String, buffers: [[UInt8]], nulls: [Bool], lengths: [Int32], formats: [Int32]
    ) throws -> OpaquePointer? {
        guard PQenterPipelineMode(self.handle) == 1 else { throw self.connectionError() }
        let sent = Self.withPointers(buffers, nulls: nulls) { values in
            PQsendQueryParams(self.handle, begin, 0, nil, nil, nil, nil, 0) == 1
                && PQsendQueryPrepared(self.handle, name, Int32(buffers.count), values, lengths, formats, 0) == 1
                && PQpipelineSync(self.handle) == 1
        }
        // Each query's results end with a NULL; the sync's marker ends the pipeline. A broken connection returns
        // NULL for good: stop there.
        var results: [OpaquePointer] = []
        var synced = false
        var emptyReads = 0
        while sent, !synced, emptyReads < 3 {
            guard let result = PQgetResult(self.handle) else {
                emptyReads = PQstatus(self.handle) == CONNECTION_OK ? emptyReads + 1 : 3
                continue
            }
            emptyReads = 0
            if PQresultStatus(result) == PGRES_PIPELINE_SYNC {
                PQclear(result)
                synced = true
            } else {
                results.append(result)
            }
        }
        PQexitPipelineMode(self.handle)
        defer { results.dropFirst(2).forEach { PQclear($0) } }
        guard synced, results.count >= 2 else {
            results.prefix(2).forEach { PQclear($0) }
            throw self.connectionError()
        }
        let (opened, result) = (results[0], results[1])
        do {
            defer { PQclear(opened) }
            try self.check(opened)
            try self.check(result)
        } catch {
            PQclear(result)
            throw error
        }
        return result
    }

    /// The connection's own error (no result to read it from), as a connection failure when the connection is down.
    private func connectionError() -> PostgresStoreError {
        PostgresStoreError(state: PQstatus(self.handle) == CONNECTION_OK ? "" : "08006", message: Self.trimmed(PQerrorMessage(self.handle)))
    }

    private func statement(_ sql: String) throws -> String {
        if let name = self.prepared[sql] { return name }
        let name = "s\(self.prepared.count)"
        let result = PQprepare(self.handle, name, Self.numbered(sql), 0, nil)
        defer { PQclear(result) }
        try self.check(result)
        self.prepared[sql] = name
        return name
    }

    private func check(_ result: OpaquePointer?) throws {
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY: return
        default:
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? ""
            let message =
                result.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "M"))) }.map { String(cString: $0) }
                ?? Self.trimmed(PQerrorMessage(self.handle))
            throw PostgresStoreError(state: PQstatus(self.handle) == CONNECTION_OK ? state : (state.isEmpty ? "08006" : state), message: message)
        }
    }

    /// `?` → `$1`, `$2`, ... in order, and `?N` → `$N`, outside quoted strings and identifiers.
    static func numbered(_ sql: String) -> String {
        var output = ""
        output.reserveCapacity(sql.utf8.count + 16)
        var next = 0
        var quote: Character?
        var characters = sql.makeIterator()
        var pending = characters.next()
        while let character = pending {
            pending = characters.next()
            if let open = quote {
                output.append(character)
                if character == open { quote = nil }
                continue
            }
            switch character {
            case "'", "\"":
                quote = character
                output.append(character)
            case "?":
                var digits = ""
                while let digit = pending, digit.isASCII, digit.isNumber {
                    digits.append(digit)
                    pending = characters.next()
                }
                if digits.isEmpty {
                    next += 1
                    digits = String(next)
                }
                output += "$" + digits
            default:
                output.append(character)
            }
        }
        return output
    }

    /// libpq's message on one line (a multi-host URI's has a line, and a hint line, per host tried).
    private static func trimmed(_ message: UnsafePointer<CChar>?) -> String {
        guard let message else { return "unknown error" }
        return String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
            .replacingOccurrences(of: "\n\t", with: " ").replacingOccurrences(of: "\n", with: "; ")
    }

    private static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
        let copies = strings.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        let pointers = copies.map { UnsafePointer($0) } + [nil]
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    private static func withPointers<R>(_ buffers: [[UInt8]], nulls: [Bool], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
        // One allocation holds every argument; each pointer is into it (nil for NULL).
        var storage: [UInt8] = []
        var offsets: [Int] = []
        for buffer in buffers {
            offsets.append(storage.count)
            storage += buffer
            storage.append(0)
        }
        return storage.withUnsafeBufferPointer { bytes in
            let base = UnsafeRawPointer(bytes.baseAddress!).assumingMemoryBound(to: CChar.self)
            let pointers: [UnsafePointer<CChar>?] = zip(offsets, nulls).map { offset, null in null ? nil : base + offset }
            return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
        }
    }
}

/// One row of a result, read as text (the store asks for text results): integers, reals and `bytea` (hex) parsed here.
struct PostgresRow: SQLRow {
    let result: OpaquePointer?
    let row: Int32

    func isNull(_ column: Int32) -> Bool { PQgetisnull(self.result, self.row, column) == 1 }
    func int64(_ column: Int32) -> Int64 { strtoll(PQgetvalue(self.result, self.row, column), nil, 10) }
    func double(_ column: Int32) -> Double { strtod(PQgetvalue(self.result, self.row, column), nil) }

    func text(_ column: Int32) -> String {
        guard let value = PQgetvalue(self.result, self.row, column) else { return "" }
        let count = Int(PQgetlength(self.result, self.row, column))
        return value.withMemoryRebound(to: UInt8.self, capacity: count) {
            String(decoding: UnsafeBufferPointer(start: $0, count: count), as: UTF8.self)
        }
    }

    /// `bytea` in hex output format: `\x` then two hex digits a byte.
    func blob(_ column: Int32) -> Data {
        guard let value = PQgetvalue(self.result, self.row, column) else { return Data() }
        let count = Int(PQgetlength(self.result, self.row, column))
        return value.withMemoryRebound(to: UInt8.self, capacity: count) { text -> Data in
            guard count >= 2, text[0] == UInt8(ascii: "\\"), text[1] == UInt8(ascii: "x") else { return Data() }
            // Decoded into the buffer in place: appending byte by byte cost more than the query's own decoding.
            let length = (count - 2) / 2
            var data = Data(count: length)
            data.withUnsafeMutableBytes { buffer in
                let bytes = buffer.bindMemory(to: UInt8.self)
                for index in 0..<length {
                    bytes[index] = Self.nibble(text[2 + 2 * index]) << 4 | Self.nibble(text[3 + 2 * index])
                }
            }
            return data
        }
    }

    private static func nibble(_ c: UInt8) -> UInt8 {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: 0
        }
    }
}
