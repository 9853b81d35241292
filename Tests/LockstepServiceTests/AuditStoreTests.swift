import Foundation
import LockstepAudit
import LockstepService
import Testing

@testable import LockstepStore

/// The audit log in its own file: reads don't grow the secrets database, and records an older version kept in
/// lockstep.db move to audit.db.
@Suite struct AuditStoreTests {
    static func size(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }

    @Test func readsGrowTheAuditFileNotTheSecretsDatabase() async throws {
        let harness = try AccessHarness()
        defer { try? FileManager.default.removeItem(at: harness.directory) }
        let admin = try await harness.admin()
        _ = try await harness.create(admin, "hot/db")
        _ = try await harness.call(admin, "GetSecretValue", ["SecretId": "hot/db"]).get()  // touches the access date once
        try await harness.environment.auditLog.flush()
        try await harness.environment.store.checkpoint()
        try await harness.environment.auditStore.checkpoint()
        let secrets = harness.directory.appendingPathComponent(SQLiteSecretStore.fileName).path
        let audit = harness.directory.appendingPathComponent(SQLiteAuditStore.fileName).path
        let secretsBefore = Self.size(secrets) + Self.size(secrets + "-wal")
        let auditBefore = Self.size(audit) + Self.size(audit + "-wal")

        for _ in 0..<3_000 { _ = try await harness.call(admin, "GetSecretValue", ["SecretId": "hot/db"]).get() }
        try await harness.environment.auditLog.flush()
        try await harness.environment.store.checkpoint()
        try await harness.environment.auditStore.checkpoint()

        #expect(Self.size(secrets) + Self.size(secrets + "-wal") == secretsBefore)
        #expect(Self.size(audit) + Self.size(audit + "-wal") > auditBefore + 500_000)
        let verification = try await AuditLog.verify(store: harness.environment.auditStore, chain: harness.environment.auditLog.chain)
        #expect(verification.problem == nil)
    }

    /// The records in the audit store right now, without flushing the queue.
    static func storedEvents(_ harness: AccessHarness) async throws -> [String] {
        try await AuditLog.list(store: harness.environment.auditStore, query: AuditQuery()).map(\.eventName)
    }

    @Test func aChangingCallAnswersOnlyOnceItsRecordIsDurableAReadIsQueued() async throws {
        let harness = try AccessHarness()
        defer { try? FileManager.default.removeItem(at: harness.directory) }
        let admin = try await harness.admin()
        // No writer is running (no `run()`): whatever is in the store now was written by the call itself.
        _ = try await harness.create(admin, "durable/db")
        #expect(try await Self.storedEvents(harness).last == "CreateSecret")
        let denied = await harness.call(admin, "PutSecretValue", ["SecretId": "durable/missing", "SecretString": "x", "ClientRequestToken": UUID().uuidString])
        #expect(denied.errorCode == "ResourceNotFoundException")
        #expect(try await Self.storedEvents(harness).last == "PutSecretValue")

        _ = try await harness.call(admin, "GetSecretValue", ["SecretId": "durable/db"]).get()
        #expect(harness.environment.auditLog.pendingCount == 1)
        #expect(try await Self.storedEvents(harness).last == "PutSecretValue")
        // The next changing call commits the queued read's record with its own, in order.
        _ = try await harness.call(admin, "TagResource", ["SecretId": "durable/db", "Tags": [["Key": "k", "Value": "v"]]]).get()
        #expect(harness.environment.auditLog.pendingCount == 0)
        #expect(try await Self.storedEvents(harness).suffix(2) == ["GetSecretValue", "TagResource"])
    }

    @Test func concurrentChangingCallsShareCommitsAndKeepOneChain() async throws {
        let harness = try AccessHarness()
        defer { try? FileManager.default.removeItem(at: harness.directory) }
        let admin = try await harness.admin()
        _ = try await harness.create(admin, "busy/db")
        let before = try await Self.storedEvents(harness).count
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<64 {
                group.addTask {
                    let operation = index.isMultiple(of: 2) ? "PutSecretValue" : "GetSecretValue"
                    var body: [String: Any] = ["SecretId": "busy/db"]
                    if operation == "PutSecretValue" { body.merge(["SecretString": "value \(index)", "ClientRequestToken": UUID().uuidString]) { $1 } }
                    _ = try await harness.call(admin, operation, body).get()
                }
            }
            try await group.waitForAll()
        }
        let stored = try await Self.storedEvents(harness).dropFirst(before)
        // Every put is stored the moment its call returned; some reads may still be queued.
        #expect(stored.filter { $0 == "PutSecretValue" }.count == 32)
        try await harness.environment.auditLog.flush()
        let all = try await Self.storedEvents(harness).dropFirst(before)
        #expect(all.filter { $0 == "GetSecretValue" }.count == 32)
        let verification = try await AuditLog.verify(store: harness.environment.auditStore, chain: harness.environment.auditLog.chain)
        #expect(verification.problem == nil)
        #expect(verification.records == Int64(before + 64))
    }

    @Test func recordsKeptInLockstepDbMoveToAuditDb() async throws {
        let harness = try AccessHarness()
        defer { try? FileManager.default.removeItem(at: harness.directory) }
        let admin = try await harness.admin()
        _ = try await harness.create(admin, "old/db")
        let count = try await harness.auditRecords().count
        #expect(count > 0)
        // Put the records back where a version before audit.db kept them.
        let audit = try SQLiteConnection(path: harness.directory.appendingPathComponent(SQLiteAuditStore.fileName).path)
        let legacy = harness.directory.appendingPathComponent(SQLiteSecretStore.fileName).path
        try audit.execute(
            """
            ATTACH DATABASE '\(legacy)' AS legacy;
            INSERT INTO legacy.audit_events SELECT * FROM main.audit_events;
            INSERT INTO legacy.audit_head SELECT * FROM main.audit_head;
            DELETE FROM main.audit_events;
            DELETE FROM main.audit_head;
            DETACH DATABASE legacy;
            """
        )

        let reopened = try LockstepEnvironment.open(harness.environment.configuration, create: false)
        let verification = try await AuditLog.verify(store: reopened.auditStore, chain: reopened.auditLog.chain)
        #expect(verification.problem == nil)
        #expect(verification.records == Int64(count))
        let left = try SQLiteConnection(path: legacy).first("SELECT (SELECT count(*) FROM audit_events) + (SELECT count(*) FROM audit_head)") {
            $0.int64(0)
        }
        #expect(left == 0)
        // New records continue the moved chain.
        reopened.auditLog.record(.rotationStarted, secretARN: "arn:aws:secretsmanager:us-east-1:111111111111:secret:old/db-AbCdEf", region: "us-east-1", account: "111111111111")
        try await reopened.auditLog.flush()
        #expect(try await AuditLog.verify(store: reopened.auditStore, chain: reopened.auditLog.chain).records == Int64(count + 1))
    }
}
