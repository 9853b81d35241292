import Foundation
import LockstepCore

/// ``SecretStoreTransaction`` over one connection inside an open transaction, SQLite's or PostgreSQL's: the SQL is
/// written once (``SQLConnection``).
struct SQLTransaction<Connection: SQLConnection>: SecretStoreTransaction {
    let connection: Connection

    /// The secret columns, qualified with the alias `s`.
    private static func secret(_ row: Connection.Row) -> SecretRecord {
        SecretRecord(
            id: row.int64(0),
            scope: Scope(account: row.text(1), region: row.text(2)),
            name: row.text(3),
            arn: row.text(4),
            description: row.optionalText(5),
            kmsKeyId: row.text(6),
            kmsKeyReference: row.optionalText(7),
            type: row.optionalText(8),
            owningService: row.optionalText(9),
            createdDate: row.date(10),
            lastChangedDate: row.date(11),
            lastAccessedDate: row.optionalDate(12),
            deletedDate: row.optionalDate(13),
            deletionDate: row.optionalDate(14),
            rotation: RotationSettings(
                enabled: row.optionalBool(15),
                lambdaARN: row.optionalText(16),
                rules: row.optionalText(17).flatMap { try? JSONDecoder().decode(RotationRulesType.self, from: Data($0.utf8)) },
                lastRotatedDate: row.optionalDate(18),
                nextRotationDate: row.optionalDate(19)
            ),
            primaryId: row.optionalInt64(20),
            replicaKmsKeyReference: row.optionalText(21)
        )
    }

    private static func arguments(_ r: SecretRecord) -> [SQLValue] {
        let rules = r.rotation.rules.flatMap { try? JSONEncoder().encode($0) }.map { String(decoding: $0, as: UTF8.self) }
        return [
            .text(r.scope.account), .text(r.scope.region), .text(r.name), .text(r.arn), .optional(r.description),
            .text(r.kmsKeyId), .optional(r.kmsKeyReference), .optional(r.type), .optional(r.owningService),
            .date(r.createdDate), .date(r.lastChangedDate), .date(r.lastAccessedDate), .date(r.deletedDate),
            .date(r.deletionDate), .bool(r.rotation.enabled), .optional(r.rotation.lambdaARN), .optional(rules),
            .date(r.rotation.lastRotatedDate), .date(r.rotation.nextRotationDate), r.primaryId.map(SQLValue.integer) ?? .null,
            .optional(r.replicaKmsKeyReference),
        ]
    }

    // MARK: Secrets

    func secret(id: Int64) throws -> SecretRecord? {
        try self.connection.first("SELECT \(SQLColumns.secretColumns) FROM secrets WHERE id = ?", [.integer(id)], Self.secret)
    }

    func secret(scope: Scope, name: String) throws -> SecretRecord? {
        try self.connection.first(
            "SELECT \(SQLColumns.secretColumns) FROM secrets WHERE account = ? AND region = ? AND name = ?",
            [.text(scope.account), .text(scope.region), .text(name)],
            Self.secret
        )
    }

    func secret(arn: String) throws -> SecretRecord? {
        try self.connection.first("SELECT \(SQLColumns.secretColumns) FROM secrets WHERE arn = ?", [.text(arn)], Self.secret)
    }

    func insertSecret(_ record: SecretRecord) throws -> Int64 {
        let id = try self.connection.first(
            """
            INSERT INTO secrets (account, region, name, arn, description, kms_key_id, kms_key_ref, type, owning_service, \
            created_date, last_changed_date, last_accessed_date, deleted_date, deletion_date, rotation_enabled, \
            rotation_lambda_arn, rotation_rules, last_rotated_date, next_rotation_date, primary_id, replica_kms_key_ref)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
            """,
            Self.arguments(record)
        ) { $0.int64(0) }
        return id ?? 0
    }

    func updateSecret(_ record: SecretRecord) throws {
        try self.connection.query(
            """
            UPDATE secrets SET account = ?, region = ?, name = ?, arn = ?, description = ?, kms_key_id = ?, kms_key_ref = ?, \
            type = ?, owning_service = ?, created_date = ?, last_changed_date = ?, last_accessed_date = ?, deleted_date = ?, \
            deletion_date = ?, rotation_enabled = ?, rotation_lambda_arn = ?, rotation_rules = ?, last_rotated_date = ?, \
            next_rotation_date = ?, primary_id = ?, replica_kms_key_ref = ? WHERE id = ?
            """,
            Self.arguments(record) + [.integer(record.id)]
        )
    }

    func deleteSecret(id: Int64) throws {
        // Labels first: they hold the versions in place.
        try self.connection.query(
            "DELETE FROM stages WHERE secret_id = ? OR secret_id IN (SELECT id FROM secrets WHERE primary_id = ?)",
            [.integer(id), .integer(id)]
        )
        try self.connection.query("DELETE FROM secrets WHERE id = ?", [.integer(id)])
    }

    func replicas(of primaryId: Int64) throws -> [SecretRecord] {
        var result: [SecretRecord] = []
        try self.connection.query("SELECT \(SQLColumns.secretColumns) FROM secrets WHERE primary_id = ? ORDER BY region", [.integer(primaryId)]) {
            result.append(Self.secret($0))
        }
        return result
    }

    func secretsDue(forDeletionBefore date: Date) throws -> [SecretRecord] {
        var result: [SecretRecord] = []
        try self.connection.query("SELECT \(SQLColumns.secretColumns) FROM secrets WHERE deletion_date <= ? ORDER BY deletion_date", [.date(date)]) {
            result.append(Self.secret($0))
        }
        return result
    }

    func scanSecrets(
        scope: Scope,
        sortBy: SecretSortKey,
        ascending: Bool,
        after cursor: ScanCursor?,
        includePlannedDeletion: Bool,
        limit: Int
    ) throws -> [SecretRecord] {
        let column = Self.sortColumn(sortBy)
        let direction = ascending ? "ASC" : "DESC"
        var sql = "SELECT \(SQLColumns.secretColumns) FROM secrets WHERE account = ? AND region = ?"
        var arguments: [SQLValue] = [.text(scope.account), .text(scope.region)]
        if !includePlannedDeletion { sql += " AND deleted_date IS NULL" }
        if let cursor {
            sql += " AND (\(column), id) \(ascending ? ">" : "<") (?, ?)"
            arguments += [Self.cursorValue(cursor.sortValue, sortBy), .integer(cursor.id)]
        }
        sql += " ORDER BY \(column) \(direction), id \(direction) LIMIT ?"
        arguments.append(.integer(Int64(limit)))
        var result: [SecretRecord] = []
        try self.connection.query(sql, arguments) { result.append(Self.secret($0)) }
        return result
    }

    func cursor(of record: SecretRecord, sortBy: SecretSortKey) -> ScanCursor {
        let value: String
        switch sortBy {
        case .name: value = record.name
        case .createdDate: value = String(record.createdDate.timeIntervalSince1970)
        case .lastChangedDate: value = String(record.lastChangedDate.timeIntervalSince1970)
        case .lastAccessedDate: value = String(record.lastAccessedDate?.timeIntervalSince1970 ?? 0)
        }
        return ScanCursor(sortValue: value, id: record.id)
    }

    private static func sortColumn(_ key: SecretSortKey) -> String {
        switch key {
        case .name: "name"
        case .createdDate: "created_date"
        case .lastChangedDate: "last_changed_date"
        case .lastAccessedDate: "coalesce(last_accessed_date, 0)"
        }
    }

    private static func cursorValue(_ value: String, _ key: SecretSortKey) -> SQLValue {
        key == .name ? .text(value) : .real(Double(value) ?? 0)
    }

    // MARK: Tags

    func tags(secretId: Int64) throws -> [Tag] {
        var result: [Tag] = []
        try self.connection.query("SELECT key, value FROM tags WHERE secret_id = ? ORDER BY position", [.integer(secretId)]) {
            result.append(Tag(Key: $0.text(0), Value: $0.text(1)))
        }
        return result
    }

    func replaceTags(secretId: Int64, with tags: [Tag]) throws {
        try self.connection.query("DELETE FROM tags WHERE secret_id = ?", [.integer(secretId)])
        for (position, tag) in tags.enumerated() {
            try self.connection.query(
                "INSERT INTO tags (secret_id, position, key, value) VALUES (?, ?, ?, ?)",
                [.integer(secretId), .integer(Int64(position)), .text(tag.Key), .text(tag.Value)]
            )
        }
        if !tags.isEmpty {
            try self.connection.query("INSERT INTO tagged_secrets (secret_id) VALUES (?) ON CONFLICT DO NOTHING", [.integer(secretId)])
        }
    }

    func hasHadTags(secretId: Int64) throws -> Bool {
        try self.connection.first("SELECT 1 FROM tagged_secrets WHERE secret_id = ?", [.integer(secretId)]) { _ in true } ?? false
    }

    func externalRotation(secretId: Int64) throws -> ExternalRotationRecord? {
        try self.connection.first("SELECT role_arn, metadata FROM external_rotation WHERE secret_id = ?", [.integer(secretId)]) {
            ExternalRotationRecord(roleARN: $0.optionalText(0), metadataJSON: $0.optionalText(1))
        }
    }

    func setExternalRotation(secretId: Int64, _ record: ExternalRotationRecord) throws {
        try self.connection.query(
            """
            INSERT INTO external_rotation (secret_id, role_arn, metadata) VALUES (?, ?, ?)
            ON CONFLICT (secret_id) DO UPDATE SET role_arn = excluded.role_arn, metadata = excluded.metadata
            """,
            [.integer(secretId), .optional(record.roleARN), .optional(record.metadataJSON)]
        )
    }

    // MARK: Versions and labels

    private static func version(_ row: Connection.Row) -> VersionRecord {
        VersionRecord(
            secretId: row.int64(0),
            versionId: row.text(1),
            sequence: row.int64(2),
            createdDate: row.date(3),
            lastAccessedDate: row.optionalDate(4),
            kmsKeyId: row.text(5),
            wrappedDataKey: row.blob(6),
            ciphertext: row.blob(7),
            isString: row.bool(8)
        )
    }

    func versions(secretId: Int64) throws -> [VersionRecord] {
        var result: [VersionRecord] = []
        try self.connection.query("SELECT \(SQLColumns.versionColumns) FROM versions WHERE secret_id = ? ORDER BY id DESC", [.integer(secretId)]) {
            result.append(Self.version($0))
        }
        return result
    }

    func labelledVersion(scope: Scope, name: String, label: String) throws -> LabelledVersion? {
        try self.connection.first(
            Connection.dialect.labelledVersionSQL,
            [.text(label), .text(scope.account), .text(scope.region), .text(name)]
        ) { row in
            let version = VersionRecord(
                secretId: row.int64(22),
                versionId: row.text(23),
                sequence: row.int64(24),
                createdDate: row.date(25),
                lastAccessedDate: row.optionalDate(26),
                kmsKeyId: row.text(27),
                wrappedDataKey: row.blob(28),
                ciphertext: row.blob(29),
                isString: row.bool(30)
            )
            let labels = row.text(32).split(separator: "\u{1F}").map(String.init)
            return LabelledVersion(
                secret: Self.secret(row),
                version: version,
                labels: labels,
                ownerARN: row.text(31),
                resourcePolicy: row.optionalText(33)
            )
        }
    }

    func versionCount(secretId: Int64) throws -> Int {
        try self.connection.first("SELECT count(*) FROM versions WHERE secret_id = ?", [.integer(secretId)]) { Int($0.int64(0)) } ?? 0
    }

    func version(secretId: Int64, versionId: String) throws -> VersionRecord? {
        try self.connection.first(
            "SELECT \(SQLColumns.versionColumns) FROM versions WHERE secret_id = ? AND version_id = ?",
            [.integer(secretId), .text(versionId)],
            Self.version
        )
    }

    func insertVersion(_ r: VersionRecord) throws {
        try self.connection.query(
            """
            INSERT INTO versions (secret_id, version_id, created_date, last_accessed_date, kms_key_id, wrapped_key, ciphertext, is_string)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .integer(r.secretId), .text(r.versionId), .date(r.createdDate), .date(r.lastAccessedDate), .text(r.kmsKeyId),
                .blob(r.wrappedDataKey), .blob(r.ciphertext), .bool(r.isString),
            ]
        )
    }

    func updateVersionCiphertext(_ r: VersionRecord) throws {
        try self.connection.query(
            "UPDATE versions SET kms_key_id = ?, wrapped_key = ?, ciphertext = ?, is_string = ? WHERE secret_id = ? AND version_id = ?",
            [.text(r.kmsKeyId), .blob(r.wrappedDataKey), .blob(r.ciphertext), .bool(r.isString), .integer(r.secretId), .text(r.versionId)]
        )
    }

    func touchVersion(secretId: Int64, versionId: String, lastAccessedDate: Date) throws {
        try self.connection.query(
            "UPDATE versions SET last_accessed_date = ? WHERE secret_id = ? AND version_id = ?",
            [.date(lastAccessedDate), .integer(secretId), .text(versionId)]
        )
    }

    func deleteVersions(secretId: Int64, versionIds: [String]) throws {
        for versionId in versionIds {
            try self.connection.query("DELETE FROM versions WHERE secret_id = ? AND version_id = ?", [.integer(secretId), .text(versionId)])
        }
    }

    func stages(secretId: Int64) throws -> StageMap {
        var map: [String: String] = [:]
        try self.connection.query("SELECT label, version_id FROM stages WHERE secret_id = ?", [.integer(secretId)]) {
            map[$0.text(0)] = $0.text(1)
        }
        return StageMap(map)
    }

    func replaceStages(secretId: Int64, with stages: StageMap) throws {
        try self.connection.query("DELETE FROM stages WHERE secret_id = ?", [.integer(secretId)])
        for (label, versionId) in stages.versionByLabel.sorted(by: { $0.key < $1.key }) {
            try self.connection.query(
                "INSERT INTO stages (secret_id, label, version_id) VALUES (?, ?, ?)",
                [.integer(secretId), .text(label), .text(versionId)]
            )
        }
    }

    // MARK: Connection-impact reports

    func saveRotationReport(secretId: Int64, token: String, finished: Date, report: String, keeping: Int) throws {
        try self.connection.query(
            """
            INSERT INTO rotation_reports (secret_id, token, finished_date, report) VALUES (?, ?, ?, ?) \
            ON CONFLICT (secret_id, token) DO UPDATE SET report = excluded.report
            """,
            [.integer(secretId), .text(token), .date(finished), .text(report)]
        )
        try self.connection.query(
            """
            DELETE FROM rotation_reports WHERE secret_id = ?1 AND token NOT IN \
            (SELECT token FROM rotation_reports WHERE secret_id = ?1 ORDER BY finished_date DESC LIMIT ?2)
            """,
            [.integer(secretId), .integer(Int64(keeping))]
        )
    }

    func rotationReports(secretId: Int64) throws -> [(token: String, finished: Date, report: String)] {
        var result: [(token: String, finished: Date, report: String)] = []
        try self.connection.query(
            "SELECT token, finished_date, report FROM rotation_reports WHERE secret_id = ? ORDER BY finished_date DESC",
            [.integer(secretId)]
        ) { result.append(($0.text(0), $0.date(1), $0.text(2))) }
        return result
    }

    // MARK: Change feed

    func appendChange(_ c: ChangeRecord) throws -> Int64 {
        let stages = c.stages.map { ChangeStages.text($0) }
        return try self.connection.first(
            """
            INSERT INTO changes (event_time, account, region, secret_arn, secret_name, kind, version_id, stages, event_name, caller) \
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING sequence
            """,
            [
                .date(c.time), .text(c.scope.account), .text(c.scope.region), .text(c.secretARN), .text(c.secretName),
                .text(c.kind.rawValue), .optional(c.versionId), .optional(stages), .optional(c.call?.operation),
                .optional(c.call.map(ChangeCallText.text)),
            ]
        ) { $0.int64(0) } ?? 0
    }

    func changes(after sequence: Int64, limit: Int) throws -> [ChangeRecord] {
        var result: [ChangeRecord] = []
        try self.connection.query(
            """
            SELECT sequence, event_time, account, region, secret_arn, secret_name, kind, version_id, stages, event_name, caller \
            FROM changes WHERE sequence > ? ORDER BY sequence LIMIT ?
            """,
            [.integer(sequence), .integer(Int64(limit))]
        ) { row in
            // A kind this build doesn't know (written by a newer node) reads as an update: consumers look again.
            let kind = SecretChangeKind(rawValue: row.text(6)) ?? .updated
            let stages = row.optionalText(8).flatMap(ChangeStages.map)
            var call: ChangeCall?
            if let operation = row.optionalText(9), let text = row.optionalText(10) {
                guard let decoded = ChangeCallText.call(text, operation: operation) else {
                    throw StoreCorruption(description: "change \(row.int64(0)) has an unreadable caller")
                }
                call = decoded
            }
            result.append(
                ChangeRecord(
                    sequence: row.int64(0),
                    time: row.date(1),
                    scope: Scope(account: row.text(2), region: row.text(3)),
                    secretARN: row.text(4),
                    secretName: row.text(5),
                    kind: kind,
                    versionId: row.optionalText(7),
                    stages: stages,
                    call: call
                )
            )
        }
        return result
    }

    func changeFeedBounds() throws -> ChangeFeedBounds {
        let pruned = try self.connection.first("SELECT sequence FROM changes_pruned WHERE id = 1") { $0.int64(0) } ?? 0
        let newest = try self.connection.first("SELECT coalesce(max(sequence), 0) FROM changes") { $0.int64(0) } ?? 0
        return ChangeFeedBounds(prunedThrough: pruned, newest: max(newest, pruned))
    }

    func pruneChanges(before date: Date, keepingAtMost maximum: Int) throws -> Int {
        let bounds = try self.changeFeedBounds()
        let old = try self.connection.first("SELECT coalesce(max(sequence), 0) FROM changes WHERE event_time < ?", [.date(date)]) {
            $0.int64(0)
        } ?? 0
        // The age limit waits for every webhook endpoint a node has configured within that age; the count limit doesn't.
        let held = try self.connection.first("SELECT min(delivered_through) FROM webhook_cursors WHERE seen >= ?", [.date(date)]) {
            $0.isNull(0) ? nil : $0.int64(0)
        } ?? nil
        let byAge = held.map { min(old, $0) } ?? old
        let cut = min(max(byAge, bounds.newest - Int64(max(maximum, 1))), bounds.newest - 1)
        guard cut > bounds.prunedThrough else { return 0 }
        // An endpoint behind the cut is told: what it never got is counted as lost, and it continues after the cut.
        try self.connection.query(
            """
            UPDATE webhook_cursors SET lost = lost + (SELECT count(*) FROM changes WHERE sequence > webhook_cursors.delivered_through \
            AND sequence <= ?1), delivered_through = ?1, attempts = 0 WHERE delivered_through < ?1
            """,
            [.integer(cut)]
        )
        try self.connection.query("DELETE FROM changes WHERE sequence <= ?", [.integer(cut)])
        let removed = self.connection.changes
        try self.connection.query(
            "INSERT INTO changes_pruned (id, sequence) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET sequence = excluded.sequence",
            [.integer(cut)]
        )
        return removed
    }

    // MARK: Webhook cursors

    private static var webhookColumns: String { WebhookColumns.list }

    private static func webhookCursor(_ row: Connection.Row) -> WebhookCursorRecord {
        WebhookCursorRecord(
            name: row.text(0),
            deliveredThrough: row.int64(1),
            leaseOwner: row.optionalText(2),
            leaseUntil: row.optionalDate(3),
            seen: row.date(4),
            attempts: row.int64(5),
            lastAttempt: row.optionalDate(6),
            lastStatus: row.optionalInt64(7),
            lastError: row.optionalText(8),
            lastSuccess: row.optionalDate(9),
            delivered: row.int64(10),
            lost: row.int64(11)
        )
    }

    func webhookCursors() throws -> [WebhookCursorRecord] {
        var result: [WebhookCursorRecord] = []
        try self.connection.query("SELECT \(Self.webhookColumns) FROM webhook_cursors ORDER BY name") { result.append(Self.webhookCursor($0)) }
        return result
    }

    func webhookCursor(name: String) throws -> WebhookCursorRecord? {
        try self.connection.first("SELECT \(Self.webhookColumns) FROM webhook_cursors WHERE name = ?", [.text(name)], Self.webhookCursor)
    }

    func saveWebhookCursor(_ r: WebhookCursorRecord) throws {
        let updates = WebhookColumns.updates
        try self.connection.query(
            "INSERT INTO webhook_cursors (\(Self.webhookColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET \(updates)",
            [
                .text(r.name), .integer(r.deliveredThrough), .optional(r.leaseOwner), .date(r.leaseUntil), .date(r.seen),
                .integer(r.attempts), .date(r.lastAttempt), r.lastStatus.map(SQLValue.integer) ?? .null, .optional(r.lastError),
                .date(r.lastSuccess), .integer(r.delivered), .integer(r.lost),
            ]
        )
    }

    func deleteWebhookCursor(name: String) throws -> Bool {
        try self.connection.query("DELETE FROM webhook_cursors WHERE name = ?", [.text(name)])
        return self.connection.changes > 0
    }

    // MARK: Rotations

    private static func rotation(_ row: Connection.Row) -> RotationRecord {
        var failure: RotationFailure?
        if let step = row.optionalText(8).flatMap(RotationStep.init(rawValue:)),
            let errorClass = row.optionalText(9).flatMap(RotationErrorClass.init(rawValue:))
        {
            failure = RotationFailure(step: step, errorClass: errorClass, message: row.optionalText(10) ?? "")
        }
        return RotationRecord(
            secretId: row.int64(0),
            token: row.text(1),
            mode: RotationRecord.Mode(rawValue: row.text(2)) ?? .full,
            rotator: row.text(3),
            status: RotationRecord.Status(rawValue: row.text(4)) ?? .failed,
            step: RotationStep(rawValue: row.text(5)) ?? .createSecret,
            attempt: Int(row.int64(6)),
            stepStarted: row.int64(7) != 0,
            lastFailure: failure,
            dueDate: row.optionalDate(11),
            leaseOwner: row.optionalText(12),
            startedDate: row.date(13),
            updatedDate: row.date(14),
            finishedDate: row.optionalDate(15),
            consecutiveFailures: Int(row.int64(16))
        )
    }

    func rotation(secretId: Int64) throws -> RotationRecord? {
        try self.connection.first("SELECT \(SQLColumns.rotationColumns) FROM rotations WHERE secret_id = ?", [.integer(secretId)], Self.rotation)
    }

    func saveRotation(_ r: RotationRecord) throws {
        try self.connection.query(
            "INSERT INTO rotations (\(SQLColumns.rotationColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                + "ON CONFLICT (secret_id) DO UPDATE SET \(SQLColumns.rotationUpdates)",
            [
                .integer(r.secretId), .text(r.token), .text(r.mode.rawValue), .text(r.rotator), .text(r.status.rawValue),
                .text(r.step.rawValue), .integer(Int64(r.attempt)), .bool(r.stepStarted), .optional(r.lastFailure?.step.rawValue),
                .optional(r.lastFailure?.errorClass.rawValue), .optional(r.lastFailure?.message), .date(r.dueDate),
                .optional(r.leaseOwner), .date(r.startedDate), .date(r.updatedDate), .date(r.finishedDate),
                .integer(Int64(r.consecutiveFailures)),
            ]
        )
    }

    func rotations() throws -> [RotationRecord] {
        var result: [RotationRecord] = []
        try self.connection.query("SELECT \(SQLColumns.rotationColumns) FROM rotations ORDER BY secret_id", []) { result.append(Self.rotation($0)) }
        return result
    }

    func rotationsDue(before date: Date, limit: Int) throws -> [RotationRecord] {
        var result: [RotationRecord] = []
        try self.connection.query(
            "SELECT \(SQLColumns.rotationColumns) FROM rotations WHERE due_date <= ? ORDER BY due_date LIMIT ?",
            [.date(date), .integer(Int64(limit))]
        ) { result.append(Self.rotation($0)) }
        return result
    }

    func rotationEnabledSecrets(limit: Int) throws -> [SecretRecord] {
        var result: [SecretRecord] = []
        try self.connection.query(
            "SELECT \(SQLColumns.secretColumns) FROM secrets WHERE rotation_enabled = 1 ORDER BY id LIMIT ?",
            [.integer(Int64(limit))]
        ) { result.append(Self.secret($0)) }
        return result
    }

    func secretsDueForRotation(before date: Date, limit: Int) throws -> [SecretRecord] {
        var result: [SecretRecord] = []
        try self.connection.query(
            "SELECT \(SQLColumns.secretColumns) FROM secrets WHERE next_rotation_date <= ? AND rotation_enabled = 1 ORDER BY next_rotation_date LIMIT ?",
            [.date(date), .integer(Int64(limit))]
        ) { result.append(Self.secret($0)) }
        return result
    }

    func earliestRotationDue() throws -> Date? {
        // Two MIN()s over partial indexes: each is one B-tree descent, whatever the number of secrets.
        let (scheduled, retries) =
            try self.connection.first(
                """
                SELECT (SELECT min(next_rotation_date) FROM secrets WHERE next_rotation_date IS NOT NULL),
                       (SELECT min(due_date) FROM rotations WHERE due_date IS NOT NULL)
                """
            ) { ($0.optionalDate(0), $0.optionalDate(1)) } ?? (nil, nil)
        return [scheduled, retries].compactMap { $0 }.min()
    }

    // MARK: Access keys

    private static func accessKey(_ row: Connection.Row) -> AccessKeyRecord {
        AccessKeyRecord(
            accessKeyId: row.text(0),
            account: row.text(1),
            userName: row.text(2),
            createdDate: row.date(3),
            status: row.text(4),
            kmsKeyId: row.text(5),
            wrappedDataKey: row.blob(6),
            ciphertext: row.blob(7)
        )
    }

    func accessKey(id: String) throws -> AccessKeyRecord? {
        try self.connection.first("SELECT \(SQLColumns.accessKeyColumns) FROM access_keys WHERE access_key_id = ?", [.text(id)], Self.accessKey)
    }

    func accessKeys() throws -> [AccessKeyRecord] {
        var result: [AccessKeyRecord] = []
        try self.connection.query("SELECT \(SQLColumns.accessKeyColumns) FROM access_keys ORDER BY account, user_name, created_date") {
            result.append(Self.accessKey($0))
        }
        return result
    }

    func insertAccessKey(_ r: AccessKeyRecord) throws {
        try self.connection.query(
            "INSERT INTO access_keys (\(SQLColumns.accessKeyColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                .text(r.accessKeyId), .text(r.account), .text(r.userName), .date(r.createdDate), .text(r.status), .text(r.kmsKeyId),
                .blob(r.wrappedDataKey), .blob(r.ciphertext),
            ]
        )
    }

    func deleteAccessKey(id: String) throws -> Bool {
        try self.connection.query("DELETE FROM access_keys WHERE access_key_id = ?", [.text(id)])
        return self.connection.changes > 0
    }

    // MARK: Master keys

    func masterKey(id: String) throws -> MasterKeyRecord? {
        guard
            var record = try self.connection.first(
                "SELECT key_id, description, created_date FROM kms_keys WHERE key_id = ?",
                [.text(id)],
                { MasterKeyRecord(keyId: $0.text(0), description: $0.text(1), createdDate: $0.date(2), wrappedMaterials: [:], aliases: []) }
            )
        else { return nil }
        try self.connection.query("SELECT version, wrapped FROM kms_key_materials WHERE key_id = ?", [.text(id)]) {
            record.wrappedMaterials[Int($0.int64(0))] = $0.blob(1)
        }
        try self.connection.query("SELECT alias FROM kms_aliases WHERE key_id = ? ORDER BY alias", [.text(id)]) {
            record.aliases.append($0.text(0))
        }
        return record
    }

    func masterKeyId(alias: String) throws -> String? {
        try self.connection.first("SELECT key_id FROM kms_aliases WHERE alias = ?", [.text(alias)]) { $0.text(0) }
    }

    func saveMasterKey(_ record: MasterKeyRecord) throws {
        try self.connection.query(
            "INSERT INTO kms_keys (key_id, description, created_date) VALUES (?, ?, ?) ON CONFLICT (key_id) DO UPDATE SET description = excluded.description",
            [.text(record.keyId), .text(record.description), .date(record.createdDate)]
        )
        for (version, wrapped) in record.wrappedMaterials {
            try self.connection.query(
                "INSERT INTO kms_key_materials (key_id, version, wrapped) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                [.text(record.keyId), .integer(Int64(version)), .blob(wrapped)]
            )
        }
        try self.connection.query("DELETE FROM kms_aliases WHERE key_id = ?", [.text(record.keyId)])
        for alias in record.aliases {
            try self.connection.query("INSERT INTO kms_aliases (alias, key_id) VALUES (?, ?)", [.text(alias), .text(record.keyId)])
        }
    }

    func allMasterKeys() throws -> [MasterKeyRecord] {
        var ids: [String] = []
        try self.connection.query("SELECT key_id FROM kms_keys ORDER BY created_date, key_id") { ids.append($0.text(0)) }
        return try ids.compactMap { try self.masterKey(id: $0) }
    }
}

/// The column lists of the shared transactions (stored here: a generic type can't have stored static properties).
enum SQLColumns {
    static let secretColumns = """
        id, account, region, name, arn, description, kms_key_id, kms_key_ref, type, owning_service, created_date, \
        last_changed_date, last_accessed_date, deleted_date, deletion_date, rotation_enabled, rotation_lambda_arn, \
        rotation_rules, last_rotated_date, next_rotation_date, primary_id, replica_kms_key_ref
        """

    static let qualifiedSecretColumns = secretColumns.split(separator: ",").map { "s.\($0.trimmingCharacters(in: .whitespaces))" }
        .joined(separator: ", ")

    static let versionColumns =
        "secret_id, version_id, id, created_date, last_accessed_date, kms_key_id, wrapped_key, ciphertext, is_string"

    static let rotationColumns = """
        secret_id, token, mode, rotator, status, step, attempt, step_started, error_step, error_class, error_message, \
        due_date, lease_owner, started_date, updated_date, finished_date, consecutive_failures
        """

    static let rotationUpdates = rotationColumns.split(separator: ",").dropFirst()
        .map { "\($0.trimmingCharacters(in: .whitespaces)) = excluded.\($0.trimmingCharacters(in: .whitespaces))" }.joined(separator: ", ")

    static let accessKeyColumns = "access_key_id, account, user_name, created_date, status, kms_key_id, wrapped_key, ciphertext"
}

/// The columns of `webhook_cursors`, in ``WebhookCursorRecord``'s order.
enum WebhookColumns {
    static let list = """
        name, delivered_through, lease_owner, lease_until, seen, attempts, last_attempt, last_status, last_error, \
        last_success, delivered, lost
        """
    static let updates = list.split(separator: ",").dropFirst()
        .map { "\($0.trimmingCharacters(in: .whitespacesAndNewlines)) = excluded.\($0.trimmingCharacters(in: .whitespacesAndNewlines))" }
        .joined(separator: ", ")
}

/// A change's caller as stored in the `caller` column: its ``ChangeCall`` as JSON without the operation (that is
/// `event_name`), keys sorted.
enum ChangeCallText {
    private struct Stored: Codable {
        var identityType: String
        var principalARN: String?
        var accountId: String
        var accessKeyId: String?
        var userName: String?
        var roleARN: String?
        var sourceIPAddress: String
        var userAgent: String
        var requestID: String
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()

    static func text(_ call: ChangeCall) -> String {
        let stored = Stored(
            identityType: call.identityType,
            principalARN: call.principalARN,
            accountId: call.accountId,
            accessKeyId: call.accessKeyId,
            userName: call.userName,
            roleARN: call.roleARN,
            sourceIPAddress: call.sourceIPAddress,
            userAgent: call.userAgent,
            requestID: call.requestID
        )
        return String(decoding: (try? Self.encoder.encode(stored)) ?? Data("{}".utf8), as: UTF8.self)
    }

    static func call(_ text: String, operation: String) -> ChangeCall? {
        guard let s = try? JSONDecoder().decode(Stored.self, from: Data(text.utf8)) else { return nil }
        return ChangeCall(
            operation: operation,
            identityType: s.identityType,
            principalARN: s.principalARN,
            accountId: s.accountId,
            accessKeyId: s.accessKeyId,
            userName: s.userName,
            roleARN: s.roleARN,
            sourceIPAddress: s.sourceIPAddress,
            userAgent: s.userAgent,
            requestID: s.requestID
        )
    }
}

/// A change's labels as stored: a JSON object of label → version id, keys sorted.
enum ChangeStages {
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()

    static func text(_ stages: StageMap) -> String {
        String(decoding: (try? Self.encoder.encode(stages.versionByLabel)) ?? Data("{}".utf8), as: UTF8.self)
    }

    static func map(_ text: String) -> StageMap? {
        (try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))).map(StageMap.init)
    }
}
