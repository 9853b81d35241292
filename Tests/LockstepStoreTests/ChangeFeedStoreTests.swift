import Foundation
import LockstepCore
import Testing

@testable import LockstepStore

/// The change feed's outbox on every backend: ordered sequences that never repeat, labels kept, retention that
/// remembers how far it went.
@Suite struct ChangeFeedStoreTests {
    let scope = Scope(account: "111122223333", region: "us-east-1")

    func change(_ name: String, _ kind: SecretChangeKind, at time: Date, stages: StageMap? = nil) -> ChangeRecord {
        ChangeRecord(
            time: time,
            scope: self.scope,
            secretARN: "arn:aws:secretsmanager:us-east-1:111122223333:secret:\(name)-abcdef",
            secretName: name,
            kind: kind,
            versionId: stages?.version(for: "AWSCURRENT"),
            stages: stages
        )
    }

    @Test(arguments: StoreBackend.available) func changesComeBackInOrderWithTheirLabels(_ backend: StoreBackend) async throws {
        let scratch = try ScratchStore(backend)
        defer { scratch.remove() }
        let store = try scratch.open()
        let t0 = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(try await store.read { try $0.changeFeedBounds() } == ChangeFeedBounds(prunedThrough: 0, newest: 0))
        let stages = StageMap(["AWSCURRENT": "v2", "AWSPREVIOUS": "v1"])
        let sequences = try await store.write { tx in
            [
                try tx.appendChange(self.change("a", .created, at: t0)),
                try tx.appendChange(self.change("a", .valuePut, at: t0.addingTimeInterval(1), stages: stages)),
                try tx.appendChange(self.change("b", .deleted, at: t0.addingTimeInterval(2))),
            ]
        }
        #expect(sequences == sequences.sorted() && Set(sequences).count == 3)
        let read = try await store.read { try $0.changes(after: 0, limit: 10) }
        #expect(read.map(\.sequence) == sequences)
        #expect(read.map(\.kind) == [.created, .valuePut, .deleted])
        #expect(read[1].stages == stages && read[1].versionId == "v2" && read[0].stages == nil)
        #expect(read[1].time == t0.addingTimeInterval(1) && read[1].scope == self.scope && read[1].secretName == "a")
        #expect(try await store.read { try $0.changes(after: sequences[0], limit: 1) }.map(\.sequence) == [sequences[1]])
        // A failed transaction's change is not kept.
        struct Abort: Error {}
        await #expect(throws: Abort.self) {
            try await store.write { tx in
                try tx.appendChange(self.change("c", .created, at: t0))
                throw Abort()
            }
        }
        #expect(try await store.read { try $0.changes(after: sequences[2], limit: 10) }.isEmpty)
    }

    @Test(arguments: StoreBackend.available) func retentionKeepsTheNewestAndRemembersHowFarItWent(_ backend: StoreBackend) async throws {
        let scratch = try ScratchStore(backend)
        defer { scratch.remove() }
        let store = try scratch.open()
        let t0 = Date(timeIntervalSince1970: 1_700_000_000)
        let sequences = try await store.write { tx in
            try (0..<6).map { try tx.appendChange(self.change("s\($0)", .valuePut, at: t0.addingTimeInterval(Double($0) * 60))) }
        }
        // Older than t0 + 2 min: the first two go.
        #expect(try await store.write { try $0.pruneChanges(before: t0.addingTimeInterval(120), keepingAtMost: 100) } == 2)
        var bounds = try await store.read { try $0.changeFeedBounds() }
        #expect(bounds == ChangeFeedBounds(prunedThrough: sequences[1], newest: sequences[5]))
        #expect(!bounds.canResume(after: sequences[0]) && bounds.canResume(after: sequences[1]) && bounds.canResume(after: sequences[5]))
        #expect(!bounds.canResume(after: sequences[5] + 1))
        // All but the newest 2; then everything is old, but the newest stays, so a sequence is never reused.
        #expect(try await store.write { try $0.pruneChanges(before: t0, keepingAtMost: 2) } == 2)
        #expect(try await store.write { try $0.pruneChanges(before: t0.addingTimeInterval(86_400), keepingAtMost: 100) } == 1)
        bounds = try await store.read { try $0.changeFeedBounds() }
        #expect(bounds == ChangeFeedBounds(prunedThrough: sequences[4], newest: sequences[5]))
        let next = try await store.write { try $0.appendChange(self.change("later", .created, at: t0)) }
        #expect(next > sequences[5])
    }

    @Test(arguments: StoreBackend.available) func aChangeKeepsItsCallAndWebhookCursorsRoundTrip(_ backend: StoreBackend) async throws {
        let scratch = try ScratchStore(backend)
        defer { scratch.remove() }
        let store = try scratch.open()
        let t0 = Date(timeIntervalSince1970: 1_700_000_000)
        let call = ChangeCall(
            operation: "PutSecretValue",
            identityType: "AssumedRole",
            principalARN: "arn:aws:sts::111122223333:assumed-role/app/s1",
            accountId: "111122223333",
            accessKeyId: "ASIAEXAMPLE",
            roleARN: "arn:aws:iam::111122223333:role/app",
            sourceIPAddress: "10.0.0.1",
            userAgent: "boto3",
            requestID: "r-1"
        )
        var made = self.change("a", .valuePut, at: t0)
        made.call = call
        try await store.write { [made] tx in
            try tx.appendChange(made)
            try tx.appendChange(self.change("a", .rotationSucceeded, at: t0))
        }
        let read = try await store.read { try $0.changes(after: 0, limit: 10) }
        #expect(read.map(\.call) == [call, nil])

        let cursor = WebhookCursorRecord(
            name: "ops", deliveredThrough: 1, leaseOwner: "node-a", leaseUntil: t0, seen: t0, attempts: 2, lastAttempt: t0,
            lastStatus: 500, lastError: "HTTP 500", lastSuccess: nil, delivered: 3, lost: 0
        )
        try await store.write(faultPoint: .webhookTransaction) { try $0.saveWebhookCursor(cursor) }
        #expect(try await store.read { try $0.webhookCursor(name: "ops") } == cursor)
        var moved = cursor
        moved.deliveredThrough = 2
        moved.lastStatus = nil
        try await store.write(faultPoint: .webhookTransaction) { [moved] in try $0.saveWebhookCursor(moved) }
        #expect(try await store.read { try $0.webhookCursors() } == [moved])
        #expect(try await store.write(faultPoint: .webhookTransaction) { try $0.deleteWebhookCursor(name: "ops") })
        #expect(try await store.read { try $0.webhookCursors() }.isEmpty)
    }

    @Test(arguments: StoreBackend.available) func retentionWaitsForAnEndpointUntilTheCountLimitAndThenCountsWhatItLost(
        _ backend: StoreBackend
    ) async throws {
        let scratch = try ScratchStore(backend)
        defer { scratch.remove() }
        let store = try scratch.open()
        let t0 = Date(timeIntervalSince1970: 1_700_000_000)
        let sequences = try await store.write { tx in
            try (0..<6).map { try tx.appendChange(self.change("s\($0)", .valuePut, at: t0.addingTimeInterval(Double($0) * 60))) }
        }
        // An endpoint seen recently has had only the first two; another, not seen within the retention age, none.
        try await store.write { tx in
            try tx.saveWebhookCursor(WebhookCursorRecord(name: "slow", deliveredThrough: sequences[1], seen: t0.addingTimeInterval(86_400)))
            try tx.saveWebhookCursor(WebhookCursorRecord(name: "gone", deliveredThrough: 0, seen: t0))
        }
        // Everything is old, but the age limit stops at what "slow" hasn't had ("gone" holds nothing back: what it
        // never had is counted as lost).
        #expect(try await store.write { try $0.pruneChanges(before: t0.addingTimeInterval(3_600), keepingAtMost: 100) } == 2)
        var cursors = try await store.read { try $0.webhookCursors() }
        #expect(cursors.map(\.name) == ["gone", "slow"])
        #expect(cursors.map(\.deliveredThrough) == [sequences[1], sequences[1]] && cursors.map(\.lost) == [2, 0])
        // The count limit doesn't wait: "slow" continues after the cut, the changes it never had counted as lost.
        #expect(try await store.write { try $0.pruneChanges(before: t0.addingTimeInterval(3_600), keepingAtMost: 1) } == 3)
        cursors = try await store.read { try $0.webhookCursors() }
        #expect(cursors.map(\.deliveredThrough) == [sequences[4], sequences[4]] && cursors.map(\.lost) == [5, 3])
    }
}
