import Crypto
import Foundation
import Testing

@testable import LockstepAudit
@testable import LockstepStore

/// The audit chain over a real SQLite store, tampered with the way an attacker with the database file would.
@Suite struct AuditChainTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString)")
    let key = SymmetricKey(size: .bits256)

    func log(records: Int) async throws -> (SQLiteAuditStore, AuditLog) {
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        let store = try SQLiteAuditStore(directory: self.directory)
        let log = AuditLog(store: store, key: self.key)
        for index in 1...records {
            log.record(Self.event("GetSecretValue", index))
        }
        try await log.flush()
        return (store, log)
    }

    static func event(_ name: String, _ index: Int) -> AuditEvent {
        AuditEvent(
            eventTime: Date(timeIntervalSince1970: 1_800_000_000 + Double(index)),
            eventName: name,
            region: "us-east-1",
            recipientAccount: "111111111111",
            sourceIPAddress: "127.0.0.1",
            userAgent: "test",
            identity: AuditEvent.Identity(type: "IAMUser", arn: "arn:aws:iam::111111111111:user/alice", accountId: "111111111111"),
            requestParameters: Data(#"{"SecretId":"db/\#(index)"}"#.utf8),
            requestID: "request-\(index)",
            readOnly: true,
            resources: ["arn:aws:secretsmanager:us-east-1:111111111111:secret:db/\(index)-AbCdEf"]
        )
    }

    /// Runs SQL on the database file directly, as someone with the file (not the root key) could.
    func tamper(_ sql: String) throws {
        let connection = try SQLiteConnection(path: self.directory.appendingPathComponent(SQLiteAuditStore.fileName).path)
        try connection.execute(sql)
    }

    func verify(_ store: SQLiteAuditStore, _ log: AuditLog) async throws -> AuditLog.Verification {
        try await AuditLog.verify(store: store, chain: log.chain)
    }

    @Test func anIntactChainVerifies() async throws {
        let (store, log) = try await self.log(records: 25)
        let result = try await self.verify(store, log)
        #expect(result.records == 25)
        #expect(result.problem == nil)
        // Appends from a second writer (another process on the same file) continue the same chain.
        let second = AuditLog(store: store, key: self.key)
        second.record(Self.event("DescribeSecret", 26))
        try await second.flush()
        #expect(try await self.verify(store, log).problem == nil)
    }

    @Test func anEditedRecordIsNamed() async throws {
        let (store, log) = try await self.log(records: 10)
        try self.tamper("UPDATE audit_events SET record = replace(record, 'alice', 'mallory') WHERE sequence = 4")
        #expect(try await self.verify(store, log).problem == .changed(sequence: 4))
    }

    @Test func anEditedIndexColumnDoesNotHideAnEditedRecord() async throws {
        let (store, log) = try await self.log(records: 5)
        try self.tamper(
            "UPDATE audit_events SET record = replace(record, 'GetSecretValue', 'DescribeSecret'), event_name = 'DescribeSecret' WHERE sequence = 5"
        )
        #expect(try await self.verify(store, log).problem == .changed(sequence: 5))
    }

    @Test func aRemovedRecordIsNamed() async throws {
        let (store, log) = try await self.log(records: 10)
        try self.tamper("DELETE FROM audit_events WHERE sequence = 6")
        #expect(try await self.verify(store, log).problem == .missing(expected: 6, found: 7))
    }

    @Test func aRemovedAndRenumberedRecordBreaksTheLink() async throws {
        let (store, log) = try await self.log(records: 10)
        try self.tamper("DELETE FROM audit_events WHERE sequence = 6; UPDATE audit_events SET sequence = sequence - 1 WHERE sequence > 6")
        #expect(try await self.verify(store, log).problem == .brokenLink(sequence: 6))
    }

    @Test func reorderedRecordsAreNamed() async throws {
        let (store, log) = try await self.log(records: 10)
        try self.tamper(
            """
            UPDATE audit_events SET sequence = -3 WHERE sequence = 3;
            UPDATE audit_events SET sequence = 3 WHERE sequence = 4;
            UPDATE audit_events SET sequence = 4 WHERE sequence = -3;
            """
        )
        #expect(try await self.verify(store, log).problem == .brokenLink(sequence: 3))
    }

    @Test func aTruncatedTailIsNamed() async throws {
        let (store, log) = try await self.log(records: 10)
        try self.tamper("DELETE FROM audit_events WHERE sequence > 7")
        #expect(try await self.verify(store, log).problem == .truncated(lastRecord: 7, head: 10))
    }

    @Test func aTruncatedTailWithAForgedHeadIsNamed() async throws {
        let (store, log) = try await self.log(records: 10)
        try self.tamper(
            "DELETE FROM audit_events WHERE sequence > 7; UPDATE audit_head SET sequence = 7, hash = (SELECT hash FROM audit_events WHERE sequence = 7)"
        )
        #expect(try await self.verify(store, log).problem == .headChanged)
    }

    @Test func aWipedLogIsNoticed() async throws {
        let (store, log) = try await self.log(records: 3)
        try self.tamper("DELETE FROM audit_events")
        #expect(try await self.verify(store, log).problem == .truncated(lastRecord: 0, head: 3))
    }

    @Test func aKeyFromAnotherRootKeyDoesNotVerify() async throws {
        let (store, _) = try await self.log(records: 3)
        let other = AuditChain(key: SymmetricKey(size: .bits256))
        #expect(try await AuditLog.verify(store: store, chain: other).problem == .changed(sequence: 1))
    }

    @Test func recordsHaveCloudTrailsShapeWithoutSecrets() async throws {
        let (store, log) = try await self.log(records: 1)
        var event = Self.event("PutSecretValue", 2)
        event.readOnly = false
        event.requestParameters = Data(#"{"SecretId":"db/2","SecretString":"hunter2-super-secret","RotationToken":"tok-123"}"#.utf8)
        event.responseElements = Data(#"{"ARN":"arn:x","VersionId":"v1","RandomPassword":"pw-999","Nested":{"SecretBinary":"AAAA"}}"#.utf8)
        event.errorCode = nil
        log.record(event)
        log.record(
            .rotationFailed,
            secretARN: "arn:aws:secretsmanager:us-east-1:111111111111:secret:db/2-AbCdEf",
            region: "us-east-1",
            account: "111111111111",
            errorCode: "setSecret",
            errorMessage: "could not connect"
        )
        try await log.flush()
        let rows = try await AuditLog.list(store: store, query: AuditQuery())
        #expect(rows.count == 3)
        let put = try #require(try JSONSerialization.jsonObject(with: Data(rows[1].record.utf8)) as? [String: Any])
        for field in [
            "eventVersion", "eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress", "userAgent", "userIdentity",
            "requestParameters", "responseElements", "requestID", "eventID", "readOnly", "eventType", "resources",
        ] {
            #expect(put[field] != nil, "missing \(field)")
        }
        #expect(put["eventSource"] as? String == "secretsmanager.amazonaws.com")
        #expect((put["requestParameters"] as? [String: Any])?["SecretId"] as? String == "db/2")
        for secret in ["hunter2-super-secret", "tok-123", "pw-999", "AAAA", "SecretString", "RotationToken", "RandomPassword", "SecretBinary"] {
            #expect(!rows[1].record.contains(secret), "\(secret) reached the audit record")
        }
        let failed = try #require(try JSONSerialization.jsonObject(with: Data(rows[2].record.utf8)) as? [String: Any])
        #expect(failed["eventType"] as? String == "AwsServiceEvent")
        #expect((failed["userIdentity"] as? [String: Any])?["invokedBy"] as? String == "secretsmanager.amazonaws.com")
        #expect((failed["requestID"] as? String)?.hasPrefix("Rotation-arn:aws:secretsmanager:") == true)
        #expect(try await self.verify(store, log).problem == nil)
    }

    @Test func listFiltersByTimeNameSecretPrincipalAndNode() async throws {
        let (store, log) = try await self.log(records: 6)
        log.record(Self.event("DescribeSecret", 7))
        try await log.flush()
        #expect(try await AuditLog.list(store: store, query: AuditQuery(eventName: "DescribeSecret")).map(\.sequence) == [7])
        #expect(try await AuditLog.list(store: store, query: AuditQuery(secretARN: "db/3")).map(\.sequence) == [3])
        #expect(
            try await AuditLog.list(store: store, query: AuditQuery(secretARN: "arn:aws:secretsmanager:us-east-1:111111111111:secret:db/4")).map(
                \.sequence
            )
                == [4]
        )
        let window = AuditQuery(from: Date(timeIntervalSince1970: 1_800_000_002), to: Date(timeIntervalSince1970: 1_800_000_004))
        #expect(try await AuditLog.list(store: store, query: window).map(\.sequence) == [2, 3, 4])
        #expect(try await AuditLog.list(store: store, query: AuditQuery(principal: "arn:aws:iam::111111111111:user/alice")).count == 7)
        #expect(try await AuditLog.list(store: store, query: AuditQuery(principal: "arn:aws:iam::111111111111:user/bob")).isEmpty)
        #expect(try await AuditLog.list(store: store, query: AuditQuery(node: AuditLog.Configuration.defaultNode)).count == 7)
        #expect(try await AuditLog.list(store: store, query: AuditQuery(node: "another-node")).isEmpty)
    }

    @Test func rewrittenFilterColumnsHideNothing() async throws {
        let (store, log) = try await self.log(records: 6)
        try self.tamper(
            """
            UPDATE audit_events SET principal = 'arn:aws:iam::111111111111:user/bob', event_name = 'ListSecrets',
                secret_arn = 'elsewhere', event_time = 0 WHERE sequence IN (2, 5)
            """
        )
        let alice = AuditQuery(principal: "arn:aws:iam::111111111111:user/alice")
        #expect(try await AuditLog.list(store: store, query: alice).map(\.sequence) == [1, 2, 3, 4, 5, 6])
        #expect(try await AuditLog.list(store: store, query: AuditQuery(principal: "arn:aws:iam::111111111111:user/bob")).isEmpty)
        #expect(try await AuditLog.list(store: store, query: AuditQuery(eventName: "GetSecretValue")).count == 6)
        #expect(try await AuditLog.list(store: store, query: AuditQuery(secretARN: "db/5")).map(\.sequence) == [5])
        let window = AuditQuery(from: Date(timeIntervalSince1970: 1_800_000_002), to: Date(timeIntervalSince1970: 1_800_000_002))
        #expect(try await AuditLog.list(store: store, query: window).map(\.sequence) == [2])
        // `verify` names the first rewritten column.
        #expect(try await self.verify(store, log).problem == .columnRewritten(sequence: 2, column: "event_name"))
    }

    @Test func aFullQueueDropsAndRecordsTheLoss() async throws {
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        let store = try SQLiteAuditStore(directory: self.directory)
        var configuration = AuditLog.Configuration()
        configuration.queueCapacity = 3
        let log = AuditLog(store: store, key: self.key, configuration: configuration)
        for index in 1...5 { log.record(Self.event("GetSecretValue", index)) }
        try await log.flush()
        let rows = try await AuditLog.list(store: store, query: AuditQuery())
        #expect(rows.map(\.eventName) == ["GetSecretValue", "GetSecretValue", "GetSecretValue", "AuditRecordsDropped"])
        #expect(rows.last?.record.contains(#""DroppedRecords":"2""#) == true)
    }

    @Test(arguments: [
        ("event_name", "'ListSecrets'"), ("principal", "'arn:aws:iam::111111111111:user/mallory'"), ("secret_arn", "NULL"),
        ("event_time", "0"),
    ])
    func aRewrittenFilterColumnIsNamed(column: String, value: String) async throws {
        let (store, log) = try await self.log(records: 6)
        try self.tamper("UPDATE audit_events SET \(column) = \(value) WHERE sequence = 3")
        #expect(try await self.verify(store, log).problem == .columnRewritten(sequence: 3, column: column))
    }

    @Test func exportedSegmentsVerifyWithTheLiveLogAndAMissingOneShows() async throws {
        let (store, log) = try await self.log(records: 30)
        let keys = AuditSigningKeys(seed: SymmetricKey(size: .bits256))
        let segments = AuditSegmentDirectory(path: self.directory.appendingPathComponent("segments").path)
        // Records 1–20 have times before this (the events are a second apart from a fixed start).
        let export = try await AuditLog.export(
            store: store, chain: log.chain, keys: keys, node: "test", before: Date(timeIntervalSince1970: 1_800_000_021), to: segments
        )
        #expect(export.records == 20 && export.through == 20)
        let anchors = AuditLog.Anchors(segments: segments, keys: keys)
        let result = try await AuditLog.verify(store: store, chain: log.chain, anchors: anchors)
        #expect(result.problem == nil && result.records == 30 && result.exportedRecords == 20 && result.segments == 1)
        // The live log alone, without the segment, starts after records nobody holds.
        let alone = try await AuditLog.verify(store: store, chain: log.chain, anchors: AuditLog.Anchors(keys: keys))
        #expect(alone.problem == .exportedMissing(from: 1, through: 20))
        // Another key's seal is refused.
        let other = AuditLog.Anchors(segments: segments, keys: AuditSigningKeys(seed: SymmetricKey(size: .bits256)))
        let forged = try await AuditLog.verify(store: store, chain: log.chain, anchors: other)
        guard case .segment(_, let reason)? = forged.problem else { Issue.record("expected a segment problem"); return }
        #expect(reason == "its seal is not signed by this data directory's key")
        // Appends continue the chain after the export.
        log.record(Self.event("DescribeSecret", 31))
        try await log.flush()
        #expect(try await AuditLog.verify(store: store, chain: log.chain, anchors: anchors).problem == nil)
    }

}

@Suite struct AuditSinkTests {
    @Test func jsonLinesAndLabelNotifications() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("audit-sinks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let lines = directory.appendingPathComponent("audit.jsonl").path
        let notifications = directory.appendingPathComponent("notifications").path
        var configuration = AuditLog.Configuration(jsonLinesPath: lines, notifyCommand: "cat >> '\(notifications)'; echo >> '\(notifications)'")
        configuration.notifyTimeout = 5
        let log = AuditLog(store: try SQLiteAuditStore(directory: directory), key: SymmetricKey(size: .bits256), configuration: configuration)
        var put = AuditChainTests.event("PutSecretValue", 1)
        put.readOnly = false
        put.requestParameters = Data(#"{"SecretId":"db/1","SecretString":"never-in-a-sink"}"#.utf8)
        put.responseElements = Data(#"{"ARN":"arn:x","Name":"db/1","VersionId":"v2","VersionStages":["AWSCURRENT","custom"]}"#.utf8)
        log.record(put)
        var pending = put
        pending.responseElements = Data(#"{"ARN":"arn:x","Name":"db/1","VersionId":"v3","VersionStages":["AWSPENDING"]}"#.utf8)
        log.record(pending)
        var denied = put
        denied.errorCode = "AccessDeniedException"
        log.record(denied)
        log.record(
            .rotationFailed,
            secretARN: "arn:aws:secretsmanager:us-east-1:111111111111:secret:db/1-AbCdEf",
            region: "us-east-1",
            account: "111111111111"
        )
        try await log.flush()
        // The sinks run after the commit, on their own queue: wait for them.
        var text = ""
        for _ in 0..<100 {
            text = (try? String(contentsOfFile: notifications, encoding: .utf8)) ?? ""
            if text.split(separator: "\n").count >= 3 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let events = text.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(events.count == 3)
        let labels = events.compactMap { ($0?["detail"] as? [String: Any])?["labelUpdated"] as? String }
        #expect(labels == ["AWSCURRENT", "custom"])
        #expect(events.last??["detail-type"] as? String == "AWS Service Event via CloudTrail")
        // The JSON-lines copy follows the store (in `serve`, between batches): one line a record, in chain order.
        try await log.prepareMaintenance()
        await log.maintain(final: true)
        let written = try String(contentsOfFile: lines, encoding: .utf8)
        #expect(written.split(separator: "\n").compactMap { AuditLine(parsing: $0) }.map(\.sequence) == [1, 2, 3, 4])
        #expect(try AuditLog.verify(file: lines, chain: log.chain).problem == nil)
        #expect(!written.contains("never-in-a-sink") && !text.contains("never-in-a-sink"))
    }
}

@Suite struct AuditRecordTests {
    /// The record is written field by field in key order; it must be exactly the canonical form of itself, or the
    /// hash would cover a text nobody could reproduce from the JSON.
    @Test func recordsAreCanonicalJSON() throws {
        var event = AuditChainTests.event("PutSecretValue", 1)
        event.identity = AuditEvent.Identity(
            type: "AssumedRole",
            arn: "arn:aws:sts::111111111111:assumed-role/r/s",
            accountId: "111111111111",
            accessKeyId: "ASIAX",
            userName: "s",
            roleARN: "arn:aws:iam::111111111111:role/r"
        )
        event.errorCode = "AccessDeniedException"
        event.errorMessage = "User: \"quoted\" \\ and a\ttab"
        event.additionalEventData = ["SecretId": "arn:x", "VersionId": "v"]
        event.requestParameters = Data(#"{"b":[1,2.5,true,null,{"z":"\u00e9\n"}],"SecretString":"gone","a":"x"}"#.utf8)
        event.responseElements = Data(#"{"VersionStages":["AWSCURRENT"],"ARN":"arn:x"}"#.utf8)
        event.resources = [
            "arn:aws:secretsmanager:us-east-1:222222222222:secret:a-AbCdEf", "arn:aws:secretsmanager:us-east-1:111111111111:secret:b-AbCdEf",
        ]
        for candidate in [event, AuditChainTests.event("GetSecretValue", 2)] {
            let text = AuditRecord(candidate, eventID: "e", node: "node-a").text
            let parsed = try #require(AuditJSON.parse(Data(text.utf8)))
            #expect(parsed.canonicalText == text)
            #expect(!text.contains("gone"))
        }
        let text = AuditRecord(event, eventID: "e", node: "node-a").text
        #expect(text.hasPrefix(#"{"additionalEventData":{"LockstepNode":"node-a","SecretId":"arn:x","VersionId":"v"}"#))
        #expect(AuditRecord(AuditChainTests.event("GetSecretValue", 2), eventID: "e", node: "node-b").text.hasPrefix(
            #"{"additionalEventData":{"LockstepNode":"node-b"}"#))
        #expect(
            text.contains(#""sessionContext":{"sessionIssuer":{"accountId":"111111111111","arn":"arn:aws:iam::111111111111:role/r","type":"Role"}}"#)
        )
        #expect(text.contains(#""resources":[{"ARN":"arn:aws:secretsmanager:us-east-1:222222222222:secret:a-AbCdEf","accountId":"222222222222""#))
    }

    @Test(arguments: [
        (#"{"a":"x"}"#, true), (#" [1, -2e3, "\ud83d\ude00"] "#, true), (#"{"a":}"#, false), (#"{"a":"x"} extra"#, false), ("", false),
        (#""unterminated"#, false), ("nul", false), (String(repeating: "[", count: 100) + String(repeating: "]", count: 100), false),
    ])
    func strictParsing(text: String, valid: Bool) {
        #expect((AuditJSON.parse(Data(text.utf8)) != nil) == valid)
    }

    /// The writer writes request parameters redacted in one pass: the same bytes as redacting, then writing.
    @Test(arguments: [
        #"{"SecretId":"prod/db"}"#, #"{"SecretString":"gone","SecretId":"a","RotationToken":"t"}"#,
        #"{"x":[{"SecretBinary":"b","k":1},{"RandomPassword":"p"}],"y":{"z":{"SecretString":"s","w":null}}}"#,
        #"{"SecretString":"only"}"#, #"[{"SecretString":"s"},2,"SecretString"]"#, #""SecretString""#, "3.5", "true",
    ])
    func redactedWritingIsRedactingThenWriting(text: String) throws {
        let value = try #require(AuditJSON.parse(Data(text.utf8)))
        var once: [UInt8] = []
        value.writeRedacted(into: &once)
        #expect(String(decoding: once, as: UTF8.self) == value.redacted.canonicalText)
        #expect(!String(decoding: once, as: UTF8.self).contains(#""SecretString":"#))
    }

    @Test func escapesRoundTrip() throws {
        let value = AuditJSON.string("é \u{1F600} \"q\" \\ \u{01}")
        let text = value.canonicalText
        #expect(try #require(AuditJSON.parse(Data(text.utf8))) == value)
    }
}
