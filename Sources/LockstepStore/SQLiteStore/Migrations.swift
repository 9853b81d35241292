/// The schema, versioned with `PRAGMA user_version`. Each entry upgrades from the previous version; never edit
/// an entry that has shipped, append a new one.
enum Migrations {
    static let steps: [String] = [
        // 1: secrets, versions, labels, tags, master keys.
        """
        CREATE TABLE secrets (
            id INTEGER PRIMARY KEY,
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            name TEXT NOT NULL,
            arn TEXT NOT NULL UNIQUE,
            description TEXT,
            kms_key_id TEXT NOT NULL,
            kms_key_ref TEXT,
            type TEXT,
            owning_service TEXT,
            created_date REAL NOT NULL,
            last_changed_date REAL NOT NULL,
            last_accessed_date REAL,
            deleted_date REAL,
            deletion_date REAL,
            rotation_enabled INTEGER,
            rotation_lambda_arn TEXT,
            rotation_rules TEXT,
            last_rotated_date REAL,
            next_rotation_date REAL,
            primary_id INTEGER REFERENCES secrets(id) ON DELETE CASCADE,
            replica_kms_key_ref TEXT,
            UNIQUE (account, region, name)
        ) STRICT;
        CREATE INDEX secrets_by_created ON secrets(account, region, created_date, id);
        CREATE INDEX secrets_by_changed ON secrets(account, region, last_changed_date, id);
        CREATE INDEX secrets_by_accessed ON secrets(account, region, coalesce(last_accessed_date, 0), id);
        CREATE INDEX secrets_by_name ON secrets(account, region, name, id);
        CREATE INDEX secrets_deletion ON secrets(deletion_date) WHERE deletion_date IS NOT NULL;
        CREATE INDEX secrets_next_rotation ON secrets(next_rotation_date) WHERE next_rotation_date IS NOT NULL;
        CREATE INDEX secrets_primary ON secrets(primary_id) WHERE primary_id IS NOT NULL;

        CREATE TABLE tags (
            secret_id INTEGER NOT NULL REFERENCES secrets(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (secret_id, key)
        ) STRICT;

        CREATE TABLE versions (
            id INTEGER PRIMARY KEY,
            secret_id INTEGER NOT NULL REFERENCES secrets(id) ON DELETE CASCADE,
            version_id TEXT NOT NULL,
            created_date REAL NOT NULL,
            last_accessed_date REAL,
            kms_key_id TEXT NOT NULL,
            wrapped_key BLOB NOT NULL,
            ciphertext BLOB NOT NULL,
            is_string INTEGER NOT NULL,
            UNIQUE (secret_id, version_id)
        ) STRICT;

        -- A label sits on one version of a secret: the primary key says so. A labelled version can't be deleted
        -- (the foreign key has no cascade), so pruning can never take one.
        CREATE TABLE stages (
            secret_id INTEGER NOT NULL REFERENCES secrets(id) ON DELETE CASCADE,
            label TEXT NOT NULL,
            version_id TEXT NOT NULL,
            PRIMARY KEY (secret_id, label),
            FOREIGN KEY (secret_id, version_id) REFERENCES versions(secret_id, version_id)
        ) STRICT;

        CREATE TABLE kms_keys (
            key_id TEXT PRIMARY KEY,
            description TEXT NOT NULL,
            created_date REAL NOT NULL
        ) STRICT;
        CREATE TABLE kms_key_materials (
            key_id TEXT NOT NULL REFERENCES kms_keys(key_id) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            wrapped BLOB NOT NULL,
            PRIMARY KEY (key_id, version)
        ) STRICT;
        CREATE TABLE kms_aliases (
            alias TEXT PRIMARY KEY,
            key_id TEXT NOT NULL REFERENCES kms_keys(key_id) ON DELETE CASCADE
        ) STRICT;
        """,
        // 2: access keys for SigV4 (the secret sealed like a secret value).
        """
        CREATE TABLE access_keys (
            access_key_id TEXT PRIMARY KEY,
            account TEXT NOT NULL,
            user_name TEXT NOT NULL,
            created_date REAL NOT NULL,
            status TEXT NOT NULL,
            kms_key_id TEXT NOT NULL,
            wrapped_key BLOB NOT NULL,
            ciphertext BLOB NOT NULL
        ) STRICT;
        CREATE INDEX access_keys_by_user ON access_keys(account, user_name);
        """,
        // 3: rotations: each secret's newest rotation, the rotation engine's persisted state (DESIGN.md §6).
        // `due_date` is when a runner may take the row: the retry time while waiting, the lease expiry while a
        // runner holds it, NULL once finished. One partial index answers "what is due next" in O(log n).
        """
        CREATE TABLE rotations (
            secret_id INTEGER PRIMARY KEY REFERENCES secrets(id) ON DELETE CASCADE,
            token TEXT NOT NULL,
            mode TEXT NOT NULL,
            rotator TEXT NOT NULL,
            status TEXT NOT NULL,
            step TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            step_started INTEGER NOT NULL,
            error_step TEXT,
            error_class TEXT,
            error_message TEXT,
            due_date REAL,
            lease_owner TEXT,
            started_date REAL NOT NULL,
            updated_date REAL NOT NULL,
            finished_date REAL
        ) STRICT;
        CREATE INDEX rotations_due ON rotations(due_date) WHERE due_date IS NOT NULL;
        """,
        // 4: access control: users and roles of accounts, their inline policies, role sessions (temporary
        // credentials; the session token only as a digest) and secrets' resource policies. Users who had access keys
        // before keep what they could do: full access, as an inline policy.
        """
        CREATE TABLE identities (
            account TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('user', 'role')),
            name TEXT NOT NULL,
            id TEXT NOT NULL UNIQUE,
            created_date REAL NOT NULL,
            trust_policy TEXT,
            PRIMARY KEY (account, kind, name)
        ) STRICT;
        CREATE TABLE identity_policies (
            account TEXT NOT NULL,
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            policy_name TEXT NOT NULL,
            document TEXT NOT NULL,
            PRIMARY KEY (account, kind, name, policy_name),
            FOREIGN KEY (account, kind, name) REFERENCES identities(account, kind, name) ON DELETE CASCADE
        ) STRICT;
        CREATE TABLE sessions (
            access_key_id TEXT PRIMARY KEY,
            account TEXT NOT NULL,
            role_name TEXT NOT NULL,
            session_name TEXT NOT NULL,
            token_digest BLOB NOT NULL,
            session_policy TEXT,
            issuer TEXT NOT NULL,
            created_date REAL NOT NULL,
            expiration REAL NOT NULL,
            kms_key_id TEXT NOT NULL,
            wrapped_key BLOB NOT NULL,
            ciphertext BLOB NOT NULL
        ) STRICT;
        CREATE INDEX sessions_expiration ON sessions(expiration);
        CREATE TABLE resource_policies (
            secret_id INTEGER PRIMARY KEY REFERENCES secrets(id) ON DELETE CASCADE,
            document TEXT NOT NULL
        ) STRICT;
        INSERT OR IGNORE INTO identities (account, kind, name, id, created_date)
            SELECT account, 'user', user_name, 'AIDA' || upper(hex(randomblob(8))), min(created_date) FROM access_keys
            GROUP BY account, user_name;
        INSERT OR IGNORE INTO identity_policies (account, kind, name, policy_name, document)
            SELECT account, 'user', name, 'AdministratorAccess',
                '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}' FROM identities;
        """,
        // 5: the audit log: CloudTrail-shaped records, each chained to the one before by a keyed hash, and the
        // chain's head kept apart so that a removed tail shows (DESIGN.md §7). No secondary index: every API call
        // appends a row, and `audit list` filters by scanning in sequence order.
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
        // 6: a role session is bound to the role's immutable id (IAM's RoleId), so a role deleted and created again
        // under the same name does not revive the old role's sessions. Sessions from before carry no id and are
        // refused (they last 12 hours at most).
        """
        ALTER TABLE sessions ADD COLUMN principal_id TEXT;
        """,
        // 7: what AWS remembers beside a secret's columns: that it has ever had a tag (DescribeSecret then shows
        // `"Tags": []` once the last one is removed), and the partner rotation settings of a managed external
        // secret (RotateSecret's ExternalSecretRotationMetadata and ExternalSecretRotationRoleArn).
        """
        CREATE TABLE tagged_secrets (
            secret_id INTEGER PRIMARY KEY REFERENCES secrets(id) ON DELETE CASCADE
        ) STRICT;
        INSERT OR IGNORE INTO tagged_secrets (secret_id) SELECT DISTINCT secret_id FROM tags;
        CREATE TABLE external_rotation (
            secret_id INTEGER PRIMARY KEY REFERENCES secrets(id) ON DELETE CASCADE,
            role_arn TEXT,
            metadata TEXT
        ) STRICT;
        """,
        // 8: the change feed's outbox: one row per change to a secret, written in the change's own transaction, in
        // commit order (one writer). Retention removes the oldest rows but always keeps the newest, so a sequence is
        // never used twice; `changes_pruned` remembers how far it went, so a consumer behind it learns it missed some.
        """
        CREATE TABLE changes (
            sequence INTEGER PRIMARY KEY,
            event_time REAL NOT NULL,
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            secret_arn TEXT NOT NULL,
            secret_name TEXT NOT NULL,
            kind TEXT NOT NULL,
            version_id TEXT,
            stages TEXT
        ) STRICT;
        CREATE INDEX changes_by_time ON changes(event_time);
        CREATE TABLE changes_pruned (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            sequence INTEGER NOT NULL
        ) STRICT;
        """,
        // 9: how many rotations of a secret failed for good since its last success (the consecutive-failures gauge).
        """
        ALTER TABLE rotations ADD COLUMN consecutive_failures INTEGER NOT NULL DEFAULT 0;
        """,
        // 10: the connection-impact report of each finished rotation (JSON, no value), the newest 20 per secret.
        """
        CREATE TABLE rotation_reports (
            secret_id INTEGER NOT NULL REFERENCES secrets(id) ON DELETE CASCADE,
            token TEXT NOT NULL,
            finished_date REAL NOT NULL,
            report TEXT NOT NULL,
            PRIMARY KEY (secret_id, token)
        ) STRICT;
        """,
        // 11: events to webhooks. A change made by an API call remembers the call (operation, and the caller as JSON:
        // identity, source address, user agent, request id; never a body), so it can be sent as CloudTrail's record
        // of that call. `webhook_cursors` holds each endpoint's delivery: the last change delivered, the node leasing
        // it, the last attempt's outcome.
        """
        ALTER TABLE changes ADD COLUMN event_name TEXT;
        ALTER TABLE changes ADD COLUMN caller TEXT;
        CREATE TABLE webhook_cursors (
            name TEXT PRIMARY KEY,
            delivered_through INTEGER NOT NULL,
            lease_owner TEXT,
            lease_until REAL,
            seen REAL NOT NULL,
            attempts INTEGER NOT NULL,
            last_attempt REAL,
            last_status INTEGER,
            last_error TEXT,
            last_success REAL,
            delivered INTEGER NOT NULL,
            lost INTEGER NOT NULL
        ) STRICT;
        """,
    ]

    /// Brings the database to the newest schema, one transaction per step.
    static func migrate(_ connection: SQLiteConnection) throws {
        let current = try connection.first("PRAGMA user_version") { Int($0.int64(0)) } ?? 0
        guard current < steps.count else { return }
        for (index, sql) in steps.enumerated() where index >= current {
            try connection.execute("BEGIN IMMEDIATE")
            do {
                // Another process may have migrated while we waited for the lock.
                let now = try connection.first("PRAGMA user_version") { Int($0.int64(0)) } ?? 0
                if now <= index {
                    try connection.execute(sql)
                    try connection.execute("PRAGMA user_version = \(index + 1)")
                }
                try connection.execute("COMMIT")
            } catch {
                try? connection.execute("ROLLBACK")
                throw error
            }
        }
    }
}
