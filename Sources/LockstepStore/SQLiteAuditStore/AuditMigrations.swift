import Foundation

/// The schema of `audit.db`, versioned with its own `PRAGMA user_version` (independent of `lockstep.db`'s
/// ``Migrations``). Each entry upgrades from the previous version; never edit an entry that has shipped.
enum AuditMigrations {
    static let steps: [String] = [
        // 1: CloudTrail-shaped records, each chained to the one before by a keyed hash, and the chain's head kept
        // apart so that a removed tail shows (DESIGN.md §7, §11). No secondary index: every API call appends a row,
        // and `audit list` filters by scanning in sequence order. The same shape as lockstep.db's migration 5, so
        // records an older version kept there are copied over unchanged.
        """
        CREATE TABLE audit_events (
            sequence INTEGER PRIMARY KEY,
            event_time REAL NOT NULL,
            event_name TEXT NOT NULL,
            principal TEXT,
            secret_arn TEXT,
            record TEXT NOT NULL,
            previous_hash BLOB NOT NULL,
            hash BLOB NOT NULL
        ) STRICT;
        CREATE TABLE audit_head (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            sequence INTEGER NOT NULL,
            hash BLOB NOT NULL,
            seal BLOB NOT NULL
        ) STRICT;
        """,
        // 2: the live log's base. `audit export` (and retention) move the oldest records into sealed segment files and
        // delete them here; the base names the last record moved and its hash, sealed like the head, so the live log
        // verifies from there and a deleted prefix without a base shows.
        """
        CREATE TABLE audit_base (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            sequence INTEGER NOT NULL,
            hash BLOB NOT NULL,
            seal BLOB NOT NULL
        ) STRICT;
        """,
    ]

    static func migrate(_ connection: SQLiteConnection) throws {
        let current = try connection.first("PRAGMA user_version") { Int($0.int64(0)) } ?? 0
        guard current < steps.count else { return }
        for (index, sql) in steps.enumerated() where index >= current {
            try transaction(connection) {
                // Another process may have migrated while we waited for the lock.
                let now = try connection.first("PRAGMA user_version") { Int($0.int64(0)) } ?? 0
                if now <= index {
                    try connection.execute(sql)
                    try connection.execute("PRAGMA user_version = \(index + 1)")
                }
            }
        }
    }

    /// Moves the audit records of a `lockstep.db` from before `audit.db` (its migration 5 tables) into this file.
    ///
    /// Two transactions, each idempotent, so a crash between them loses nothing: first the rows are copied (`INSERT
    /// OR IGNORE`, keyed by sequence) with the head if it is newer than ours; then the rows this file now holds
    /// are deleted from `lockstep.db`. The tables themselves stay there, empty (no lockstep.db migration).
    static func importLegacy(from legacyPath: String, into connection: SQLiteConnection) throws {
        let quoted = legacyPath.replacingOccurrences(of: "'", with: "''")
        try connection.execute("ATTACH DATABASE '\(quoted)' AS legacy")
        defer { try? connection.execute("DETACH DATABASE legacy") }
        let hasTables =
            try connection.first("SELECT count(*) FROM legacy.sqlite_master WHERE type = 'table' AND name IN ('audit_events', 'audit_head')") {
                $0.int64(0)
            } == 2
        guard hasTables else { return }
        let pending = try connection.first("SELECT EXISTS (SELECT 1 FROM legacy.audit_events) OR EXISTS (SELECT 1 FROM legacy.audit_head)") {
            $0.int64(0)
        }
        guard pending == 1 else { return }
        try transaction(connection) {
            try connection.execute(
                """
                INSERT OR IGNORE INTO main.audit_events SELECT sequence, event_time, event_name, principal, secret_arn, record, \
                previous_hash, hash FROM legacy.audit_events;
                INSERT INTO main.audit_head (id, sequence, hash, seal) SELECT 1, sequence, hash, seal FROM legacy.audit_head WHERE id = 1
                    AND sequence > coalesce((SELECT sequence FROM main.audit_head WHERE id = 1), -1)
                ON CONFLICT (id) DO UPDATE SET sequence = excluded.sequence, hash = excluded.hash, seal = excluded.seal;
                """
            )
        }
        try transaction(connection) {
            try connection.execute(
                """
                DELETE FROM legacy.audit_events WHERE sequence IN (SELECT sequence FROM main.audit_events);
                DELETE FROM legacy.audit_head WHERE sequence <= coalesce((SELECT sequence FROM main.audit_head WHERE id = 1), -1);
                """
            )
        }
    }

    private static func transaction(_ connection: SQLiteConnection, _ body: () throws -> Void) throws {
        try connection.execute("BEGIN IMMEDIATE")
        do {
            try body()
            try connection.execute("COMMIT")
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
    }
}
