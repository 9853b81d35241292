import Foundation

/// A value bound to a statement parameter.
enum SQLValue {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)

    static func optional(_ string: String?) -> SQLValue { string.map(SQLValue.text) ?? .null }
    static func date(_ date: Date?) -> SQLValue { date.map { .real($0.timeIntervalSince1970) } ?? .null }
    static func bool(_ bool: Bool?) -> SQLValue { bool.map { .integer($0 ? 1 : 0) } ?? .null }
}

/// Typed access to the current row of a result. Dates are seconds since 1970 (REAL / double precision), booleans
/// integers, on every backend.
protocol SQLRow: SendableMetatype {
    func isNull(_ column: Int32) -> Bool
    func int64(_ column: Int32) -> Int64
    func double(_ column: Int32) -> Double
    func text(_ column: Int32) -> String
    func blob(_ column: Int32) -> Data
}

extension SQLRow {
    func bool(_ column: Int32) -> Bool { self.int64(column) != 0 }
    func date(_ column: Int32) -> Date { Date(timeIntervalSince1970: self.double(column)) }

    func optionalText(_ column: Int32) -> String? { self.isNull(column) ? nil : self.text(column) }
    func optionalInt64(_ column: Int32) -> Int64? { self.isNull(column) ? nil : self.int64(column) }
    func optionalBool(_ column: Int32) -> Bool? { self.isNull(column) ? nil : self.bool(column) }
    func optionalDate(_ column: Int32) -> Date? { self.isNull(column) ? nil : self.date(column) }
}

/// What the shared transactions (``SQLTransaction``, ``SQLAuditTransaction``) need of a connection inside an open
/// transaction, so that each statement is written once for SQLite and PostgreSQL: `?` placeholders (or `?N` to use
/// one argument twice; a PostgreSQL connection renumbers them `$N`), `ON CONFLICT` upserts, `RETURNING`. The few
/// spellings that differ are the ``dialect``'s. A parameter PostgreSQL can't type from its first use (`? IS NULL`)
/// is cast: `CAST(?1 AS TEXT) IS NULL`.
protocol SQLConnection: SendableMetatype {
    associatedtype Row: SQLRow
    static var dialect: SQLDialect { get }
    /// Runs `sql` to completion, each row through `row`.
    func query(_ sql: String, _ arguments: [SQLValue], row: (Row) throws -> Void) throws
    /// Runs `sql` and maps its first row, if any.
    func first<T>(_ sql: String, _ arguments: [SQLValue], _ map: (Row) throws -> T) throws -> T?
    /// Rows the last statement inserted, changed or deleted.
    var changes: Int { get }
}

extension SQLConnection {
    func query(_ sql: String, _ arguments: [SQLValue] = []) throws { try self.query(sql, arguments, row: { _ in }) }
    func query(_ sql: String, row: (Row) throws -> Void) throws { try self.query(sql, [], row: row) }
    func first<T>(_ sql: String, _ map: (Row) throws -> T) throws -> T? { try self.first(sql, [], map) }
}

/// The spellings that differ between the backends, and the statements built from them once.
struct SQLDialect: Sendable {
    /// An expression joining the text column `column` of a group with U+001F (the labels of a version).
    let joinedWithUnitSeparator: @Sendable (_ column: String) -> String
    /// GetSecretValue's one query (made once: it runs on every read, and building it cost more than looking it up).
    let labelledVersionSQL: String

    init(joinedWithUnitSeparator: @escaping @Sendable (_ column: String) -> String) {
        self.joinedWithUnitSeparator = joinedWithUnitSeparator
        self.labelledVersionSQL = """
            SELECT \(SQLColumns.qualifiedSecretColumns), v.secret_id, v.version_id, v.id, v.created_date, v.last_accessed_date, v.kms_key_id, \
            v.wrapped_key, v.ciphertext, v.is_string, o.arn, \
            (SELECT \(joinedWithUnitSeparator("x.label")) FROM stages x WHERE x.secret_id = v.secret_id AND x.version_id = v.version_id),
            (SELECT rp.document FROM resource_policies rp WHERE rp.secret_id = s.id)
            FROM secrets s
            JOIN secrets o ON o.id = coalesce(s.primary_id, s.id)
            JOIN stages st ON st.secret_id = o.id AND st.label = ?
            JOIN versions v ON v.secret_id = st.secret_id AND v.version_id = st.version_id
            WHERE s.account = ? AND s.region = ? AND s.name = ?
            """
    }

    static let sqlite = SQLDialect(joinedWithUnitSeparator: { "group_concat(\($0), char(31))" })
    static let postgres = SQLDialect(joinedWithUnitSeparator: { "string_agg(\($0), chr(31))" })
}
