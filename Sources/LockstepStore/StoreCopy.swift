public import Foundation

/// `lockstep store copy`: a SQLite deployment (a data directory's `lockstep.db` and `audit.db`) moved into an
/// empty PostgreSQL store, row for row: every secret with its row id, version ids, labels, tags, resource policy,
/// master key, access key, identity, session, rotation state and audit record, so the audit chain still verifies
/// under the same root key (which is not read here: nothing is decrypted or re-encrypted).
public enum StoreCopy {
    /// A copy that could not be made; the target is left as it was (one transaction).
    public struct Refused: Error, CustomStringConvertible {
        public let description: String
    }

    /// Tables in an order that satisfies their foreign keys; secrets primaries before replicas.
    static let secretTables: [(table: String, order: String)] = [
        ("kms_keys", "key_id"), ("kms_key_materials", "key_id, version"), ("kms_aliases", "alias"),
        ("secrets", "primary_id IS NOT NULL, id"), ("tags", "secret_id, position"), ("tagged_secrets", "secret_id"),
        ("external_rotation", "secret_id"), ("versions", "id"), ("stages", "secret_id, label"),
        ("access_keys", "access_key_id"), ("rotations", "secret_id"), ("identities", "account, kind, name"),
        ("identity_policies", "account, kind, name, policy_name"), ("sessions", "access_key_id"),
        ("resource_policies", "secret_id"), ("changes", "sequence"), ("changes_pruned", "id"),
        ("rotation_reports", "secret_id, token"), ("webhook_cursors", "name"),
    ]
    static let auditTables: [(table: String, order: String)] = [("audit_events", "sequence"), ("audit_head", "id"), ("audit_base", "id")]

    /// Copies the data directory's stores into the PostgreSQL database at `connectionString` (migrated first), which
    /// must hold no Lockstep data yet. Returns the rows copied per table.
    public static func copy(from directory: URL, to connectionString: String) throws -> [(table: String, rows: Int)] {
        let secrets = directory.appendingPathComponent(SQLiteSecretStore.fileName).path
        let audit = directory.appendingPathComponent(SQLiteAuditStore.fileName).path
        guard FileManager.default.fileExists(atPath: secrets) else { throw Refused(description: "no Lockstep store at \(secrets)") }
        // Bring both files to their newest schema (and move an older version's audit records into audit.db) first.
        _ = try SQLiteSecretStore(path: secrets)
        _ = try SQLiteAuditStore(directory: directory)
        _ = try PostgresSecretStore(connectionString: connectionString, connections: 1)
        _ = try PostgresAuditStore(connectionString: connectionString, connections: 1)

        let target = try PostgresConnection(connectionString)
        try target.execute("BEGIN")
        do {
            try target.query("SELECT pg_advisory_xact_lock(?), pg_advisory_xact_lock(?)", [.integer(PostgresLocks.secretWrites), .integer(PostgresLocks.auditWrites)])
            for table in ["kms_keys", "secrets", "identities", "access_keys", "audit_events", "audit_head"] {
                if try target.first("SELECT count(*) FROM \(table)", { $0.int64(0) }) ?? 0 > 0 {
                    throw Refused(description: "the target already holds Lockstep data (\(table) is not empty): copy into an empty database")
                }
            }
            var copied: [(String, Int)] = []
            for (file, tables) in [(secrets, Self.secretTables), (audit, Self.auditTables)] {
                let source = try SQLiteConnection(path: file, readOnly: true)
                try source.execute("BEGIN")  // one snapshot of each file
                defer { try? source.execute("COMMIT") }
                for (table, order) in tables {
                    copied.append((table, try Self.copyRows(of: table, orderedBy: order, from: source, to: target)))
                }
            }
            // New rows continue after the copied ids.
            for (table, column) in [("secrets", "id"), ("versions", "id"), ("changes", "sequence")] {
                try target.execute(
                    "SELECT setval(pg_get_serial_sequence('\(table)', '\(column)'), coalesce((SELECT max(\(column)) FROM \(table)), 0) + 1, false)"
                )
            }
            try target.execute("COMMIT")
            return copied
        } catch {
            try? target.execute("ROLLBACK")
            throw error
        }
    }

    private static func copyRows(of table: String, orderedBy order: String, from source: SQLiteConnection, to target: PostgresConnection) throws
        -> Int
    {
        let statement = try source.statement("SELECT * FROM \(table) ORDER BY \(order)")
        defer { statement.reset() }
        var insert: String?
        var rows = 0
        while try statement.step() {
            let columns = (0..<statement.columnCount)
            if insert == nil {
                let names = columns.map { statement.columnName($0) }
                insert = "INSERT INTO \(table) (\(names.joined(separator: ", "))) VALUES (\(names.map { _ in "?" }.joined(separator: ", ")))"
            }
            try target.query(insert!, columns.map { statement.value($0) })
            rows += 1
        }
        return rows
    }
}
