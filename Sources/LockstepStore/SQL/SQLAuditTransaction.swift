import Foundation

/// The audit store's transaction (SQLite's `audit.db`, or PostgreSQL's audit tables): `connection` is inside a
/// transaction the store began.
struct SQLAuditTransaction<Connection: SQLConnection>: AuditStoreTransaction {
    let connection: Connection

    func auditHead() throws -> AuditHead? {
        try self.connection.first("SELECT sequence, hash, seal FROM audit_head WHERE id = 1") {
            AuditHead(sequence: $0.int64(0), hash: $0.blob(1), seal: $0.blob(2))
        }
    }

    func setAuditHead(_ head: AuditHead) throws {
        try self.connection.query(
            """
            INSERT INTO audit_head (id, sequence, hash, seal) VALUES (1, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET sequence = excluded.sequence, hash = excluded.hash, seal = excluded.seal
            """,
            [.integer(head.sequence), .blob(head.hash), .blob(head.seal)]
        )
    }

    func auditBase() throws -> AuditHead? {
        try self.connection.first("SELECT sequence, hash, seal FROM audit_base WHERE id = 1") {
            AuditHead(sequence: $0.int64(0), hash: $0.blob(1), seal: $0.blob(2))
        }
    }

    func exportedAuditEvents(through base: AuditHead) throws {
        try self.connection.query("DELETE FROM audit_events WHERE sequence <= ?", [.integer(base.sequence)])
        try self.connection.query(
            """
            INSERT INTO audit_base (id, sequence, hash, seal) VALUES (1, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET sequence = excluded.sequence, hash = excluded.hash, seal = excluded.seal
            """,
            [.integer(base.sequence), .blob(base.hash), .blob(base.seal)]
        )
    }

    /// Rows per INSERT at most: a batch of a busy second is a few statements (a round trip each on PostgreSQL), and
    /// each connection prepares at most one statement per size in ``insertSizes``.
    static var insertSizes: [Int] { [64, 16, 4, 1] }

    func appendAuditEvents(_ rows: [AuditEventRow]) throws {
        var remaining = rows[...]
        while !remaining.isEmpty {
            let size = Self.insertSizes.first { $0 <= remaining.count } ?? 1
            let chunk = remaining.prefix(size)
            remaining = remaining.dropFirst(size)
            var arguments: [SQLValue] = []
            arguments.reserveCapacity(size * 8)
            for r in chunk {
                arguments += [
                    .integer(r.sequence), .date(r.eventTime), .text(r.eventName), .optional(r.principal), .optional(r.secretARN),
                    .text(r.record), .blob(r.previousHash), .blob(r.hash),
                ]
            }
            try self.connection.query(Self.insert(rows: size), arguments)
        }
    }

    private static func insert(rows: Int) -> String {
        "INSERT INTO audit_events (sequence, event_time, event_name, principal, secret_arn, record, previous_hash, hash) VALUES "
            + Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?)", count: rows).joined(separator: ", ")
    }

    func auditEvents(_ q: AuditQuery) throws -> [AuditEventRow] {
        var result: [AuditEventRow] = []
        try self.connection.query(
            """
            SELECT sequence, event_time, event_name, principal, secret_arn, record, previous_hash, hash FROM audit_events
            WHERE sequence > ?1 AND (CAST(?2 AS DOUBLE PRECISION) IS NULL OR event_time >= ?2) AND (CAST(?3 AS DOUBLE PRECISION) IS NULL OR event_time <= ?3)
              AND (CAST(?4 AS TEXT) IS NULL OR event_name = ?4) AND (CAST(?5 AS TEXT) IS NULL OR secret_arn = ?5 OR secret_arn LIKE ?5 || '-______' OR secret_arn LIKE '%:secret:' || ?5 || '-______')
              AND (CAST(?6 AS TEXT) IS NULL OR principal = ?6)
            ORDER BY sequence LIMIT ?7
            """,
            [
                .integer(q.afterSequence), .date(q.from), .date(q.to), .optional(q.eventName), .optional(q.secretARN),
                .optional(q.principal), .integer(Int64(q.limit)),
            ]
        ) { row in
            result.append(
                AuditEventRow(
                    sequence: row.int64(0),
                    eventTime: row.date(1),
                    eventName: row.text(2),
                    principal: row.optionalText(3),
                    secretARN: row.optionalText(4),
                    record: row.text(5),
                    previousHash: row.blob(6),
                    hash: row.blob(7)
                )
            )
        }
        return result
    }
}
